"""Taking a quiz, one question at a time, persisted so a restart loses nothing.

    quiz ──▶ session (3 questions) ──▶ question card ──press──▶ feedback + next card
                                          ▲                         │
                                          └──── until the last ─────┘──▶ score, streak, weakest section

Each button carries the session id, question id and choice; a press for a question that is not the
current one (double click, old message, finished quiz) gets a polite note and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
import time
from collections import Counter
from collections.abc import Callable

from bot.messages import Button, Card, Incoming, Reply
from bot.policy.pack import Pack
from bot.quiz.selection import choose, due_at, next_box
from bot.storage.quiz import Quizzes, Session

QUIZ_LENGTH = 3


def iso_week(ts: float) -> str:
    year, week, _ = dt.datetime.fromtimestamp(ts, dt.UTC).isocalendar()
    return f"{year}-W{week:02d}"


def weeks_in_a_row(finished: list[Session], now: float) -> int:
    """How many weeks in a row, ending this week or last, have a finished quiz."""
    weeks = {iso_week(s.finished_at) for s in finished if s.finished_at is not None}
    day = dt.datetime.fromtimestamp(now, dt.UTC)
    if iso_week(now) not in weeks:
        day -= dt.timedelta(weeks=1)
    count = 0
    while iso_week(day.timestamp()) in weeks:
        count += 1
        day -= dt.timedelta(weeks=1)
    return count


class QuizMaster:
    """Runs quizzes for people identified by their opaque user key."""

    def __init__(self, quizzes: Quizzes, pack: Pack, length: int = QUIZ_LENGTH, clock: Callable[[], float] = time.time,
                 rng: random.Random | None = None, on_answer: Callable[[bool], None] | None = None):
        self.quizzes, self.pack, self.length, self.clock = quizzes, pack, length, clock
        self.rng = rng or random.Random()
        self.questions = {q.id: q for q in pack.questions}
        self.on_answer = on_answer

    async def start(self, user_key: str, round_id: str = "") -> tuple[str, Reply]:
        """Create a session and return its id and the first question card."""
        now = self.clock()
        cards = {qid: (card.box, card.due) for qid, card in (await self.quizzes.recall(user_key)).items()}
        picked = choose(list(self.questions.values()), cards, now, self.length, self.rng)
        session = await self.quizzes.start(secrets.token_hex(8), user_key, [q.id for q in picked], now, round_id)
        return session.id, self.question_reply(session.id, picked[0].id, 0, len(picked))

    async def begin(self, incoming: Incoming) -> list[Reply]:
        return [(await self.start(incoming.user_key))[1]]

    def question_reply(self, session_id: str, question_id: str, position: int, total: int) -> Reply:
        q = self.questions[question_id]
        buttons = tuple(Button(choice[:75], "quiz.answer", f"{session_id}:{q.id}:{i}") for i, choice in enumerate(q.choices))
        title = f"Quiz question {position + 1} of {total}"
        text = f"{title}: {q.question}\n" + "\n".join(f"{i + 1}. {c}" for i, c in enumerate(q.choices))
        return Reply(text, Card(title=title, body=q.question, buttons=buttons))

    async def answer(self, incoming: Incoming) -> list[Reply]:
        try:
            session_id, question_id, choice_text = incoming.value.split(":")
            choice = int(choice_text)
        except ValueError:
            return [Reply("That answer button is not one of mine.", private=True)]
        session = await self.quizzes.session(session_id)
        if session is None or session.user_key != incoming.user_key:
            return [Reply("That quiz is not yours or no longer exists. Say \"quiz\" for a new one.", private=True)]
        ids = session.questions
        if session.finished_at or session.position >= len(ids) or ids[session.position] != question_id:
            return [Reply("You already answered that one. Say \"quiz\" for a new quiz.", private=True)]
        q = self.questions.get(question_id)
        if q is None or not 0 <= choice < len(q.choices):
            return [Reply("That answer button is not one of mine.", private=True)]
        correct = choice == q.answer
        now = self.clock()

        def reschedule(box: int | None) -> tuple[int, float]:
            # A new card starts in box 1 when answered right, box 0 when wrong; a known one moves by Leitner.
            after = (1 if correct else 0) if box is None else next_box(box, correct)
            return after, due_at(after, now)

        # The position check inside the transaction makes a double click count once.
        if not await self.quizzes.record_answer(session, q.id, q.section, correct, now, reschedule):
            return [Reply("You already answered that one.", private=True)]
        if self.on_answer:
            self.on_answer(correct)
        section = self.pack.section(q.section)
        verdict = "Right!" if correct else f"Not quite. The answer is: {q.choices[q.answer]}."
        feedback = f"{verdict} {q.explanation}\nGuideline: {section.title}: \u201c{section.text}\u201d"
        # The card names the chosen and the right choice, so a channel can mark them on the question's buttons.
        marks = (("Your answer", q.choices[choice]),) + (() if correct else (("Right answer", q.choices[q.answer]),))
        replies = [Reply(feedback, Card(title="Right!" if correct else "Not quite", body=q.explanation,
                                        fields=(*marks, ("Guideline", section.title)), quote=section.text))]
        if session.position + 1 >= len(ids):
            replies.append(await self.summary(session.id, incoming.user_key))
        else:
            replies.append(self.question_reply(session.id, ids[session.position + 1], session.position + 1, len(ids)))
        return replies

    async def streak(self, user_key: str) -> int:
        """Weeks in a row, ending this week or last, with a finished quiz."""
        return weeks_in_a_row(await self.quizzes.finished(user_key), self.clock())

    async def record(self, user_key: str) -> str:
        """One line on a person's quiz record, for their home screen."""
        finished = await self.quizzes.finished(user_key)
        if not finished:
            return "You haven't taken a quiz yet: three questions, two minutes."
        right = sum(s.score for s in finished)
        asked = sum(len(s.questions) for s in finished)
        streak = weeks_in_a_row(finished, self.clock())
        return (f"Your quizzes: {len(finished)} finished, {right} of {asked} answers right, "
                f"streak {streak} week{'s' if streak != 1 else ''}.")

    async def summary(self, session_id: str, user_key: str) -> Reply:
        session = await self.quizzes.session(session_id)
        assert session is not None
        total = len(session.questions)
        missed = Counter(section.split(".")[0] for section in await self.quizzes.missed_sections(user_key))
        streak = await self.streak(user_key)
        lines = [f"Quiz done: {session.score} of {total} right. Streak: {streak} week{'s' if streak != 1 else ''} in a row."]
        buttons = [Button("Another quiz", "quiz.start", style="primary")]
        if missed:
            weakest = self.pack.sections[missed.most_common(1)[0][0]]
            lines.append(f"The guideline you missed most: {weakest.title}. Want to read it?")
            buttons.append(Button(f"Read: {weakest.title}"[:75], "policy.section", weakest.id))
        text = "\n".join(lines)
        return Reply(text, Card(title="Quiz done", body=text, fields=(("Score", f"{session.score} / {total}"),
                                                                          ("Streak", f"{streak} week{'s' if streak != 1 else ''}")),
                                buttons=tuple(buttons)))

    async def read_section(self, incoming: Incoming) -> list[Reply]:
        section = self.pack.sections.get(incoming.value)
        if section is None:
            return [Reply("I don't know that guideline.", private=True)]
        return [Reply(f"{section.title}: \u201c{section.text}\u201d", Card(title=section.title, quote=section.text))]
