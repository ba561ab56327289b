"""Taking a quiz, one question at a time, persisted so a restart loses nothing.

    quiz ──▶ session (3 questions) ──▶ question card ──press──▶ feedback + next card
                                          ▲                         │
                                          └──── until the last ─────┘──▶ score, streak, weakest section

Each button carries the session id, question id and choice; a press for a question that is not the
current one (double click, old message, finished quiz) gets a polite note and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import secrets
import sqlite3
import time
from collections import Counter

from bot.messages import Button, Card, Incoming, Reply
from bot.policy.pack import Pack
from bot.quiz.selection import choose, due_at, next_box
from bot.store import Store

QUIZ_LENGTH = 3


def iso_week(ts: float) -> str:
    year, week, _ = dt.datetime.fromtimestamp(ts, dt.UTC).isocalendar()
    return f"{year}-W{week:02d}"


class QuizMaster:
    """Runs quizzes for people identified by their opaque user key."""

    def __init__(self, store: Store, pack: Pack, length: int = QUIZ_LENGTH, clock=time.time, rng: random.Random | None = None,
                 on_answer=None):
        self.store, self.pack, self.length, self.clock = store, pack, length, clock
        self.rng = rng or random.Random()
        self.questions = {q.id: q for q in pack.questions}
        self.on_answer = on_answer

    def start(self, user_key: str, round_id: str = "") -> tuple[str, Reply]:
        """Create a session and return its id and the first question card."""
        now = self.clock()
        cards = {r["question_id"]: (r["box"], r["due"]) for r in
                 self.store.db.query("SELECT question_id, box, due FROM quiz_cards WHERE user_key = ?", [user_key])}
        picked = choose(list(self.questions.values()), cards, now, self.length, self.rng)
        session_id = secrets.token_hex(8)
        self.store.write(lambda db: db["quiz_sessions"].insert({
            "id": session_id, "user_key": user_key, "questions": json.dumps([q.id for q in picked]), "position": 0,
            "score": 0, "started_at": now, "finished_at": None, "round_id": round_id}))
        return session_id, self.question_reply(session_id, picked[0].id, 0, len(picked))

    async def begin(self, incoming: Incoming) -> list[Reply]:
        return [self.start(incoming.user_key)[1]]

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
        row = next(self.store.db.query("SELECT * FROM quiz_sessions WHERE id = ?", [session_id]), None)
        if row is None or row["user_key"] != incoming.user_key:
            return [Reply("That quiz is not yours or no longer exists. Say \"quiz\" for a new one.", private=True)]
        ids = json.loads(row["questions"])
        if row["finished_at"] or row["position"] >= len(ids) or ids[row["position"]] != question_id:
            return [Reply("You already answered that one. Say \"quiz\" for a new quiz.", private=True)]
        q = self.questions.get(question_id)
        if q is None or not 0 <= choice < len(q.choices):
            return [Reply("That answer button is not one of mine.", private=True)]
        correct = choice == q.answer
        now = self.clock()
        finished = row["position"] + 1 >= len(ids)

        def record(db):
            # The position check inside the transaction makes a double click count once.
            cur = db.execute("UPDATE quiz_sessions SET position = position + 1, score = score + ?, finished_at = ? "
                             "WHERE id = ? AND position = ?", [int(correct), now if finished else None, session_id, row["position"]])
            if cur.rowcount != 1:
                return False
            db["quiz_answers"].insert({"session_id": session_id, "user_key": incoming.user_key, "question_id": q.id,
                                       "section": q.section, "correct": int(correct), "at": now})
            card = next(db.query("SELECT box FROM quiz_cards WHERE user_key = ? AND question_id = ?", [incoming.user_key, q.id]), None)
            box = next_box(card["box"] if card else 0, correct) if card else (1 if correct else 0)
            db["quiz_cards"].upsert({"user_key": incoming.user_key, "question_id": q.id, "box": box,
                                     "due": due_at(box, now), "seen": 1}, pk=("user_key", "question_id"))
            return True

        try:
            counted = self.store.write(record)
        except sqlite3.IntegrityError:
            counted = False
        if not counted:
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
        if finished:
            replies.append(self.summary(session_id, incoming.user_key))
        else:
            replies.append(self.question_reply(session_id, ids[row["position"] + 1], row["position"] + 1, len(ids)))
        return replies

    def streak(self, user_key: str) -> int:
        """Weeks in a row, ending this week or last, with a finished quiz."""
        weeks = {iso_week(r["finished_at"]) for r in self.store.db.query(
            "SELECT finished_at FROM quiz_sessions WHERE user_key = ? AND finished_at IS NOT NULL", [user_key])}
        now = self.clock()
        day = dt.datetime.fromtimestamp(now, dt.UTC)
        if iso_week(now) not in weeks:
            day -= dt.timedelta(weeks=1)
        count = 0
        while iso_week(day.timestamp()) in weeks:
            count += 1
            day -= dt.timedelta(weeks=1)
        return count

    def record(self, user_key: str) -> str:
        """One line on a person's quiz record, for their home screen."""
        rows = list(self.store.db.query("SELECT score, questions FROM quiz_sessions WHERE user_key = ? AND finished_at IS NOT NULL",
                                        [user_key]))
        if not rows:
            return "You haven't taken a quiz yet: three questions, two minutes."
        right = sum(r["score"] for r in rows)
        asked = sum(len(json.loads(r["questions"])) for r in rows)
        streak = self.streak(user_key)
        return (f"Your quizzes: {len(rows)} finished, {right} of {asked} answers right, "
                f"streak {streak} week{'s' if streak != 1 else ''}.")

    def summary(self, session_id: str, user_key: str) -> Reply:
        row = next(self.store.db.query("SELECT * FROM quiz_sessions WHERE id = ?", [session_id]))
        total = len(json.loads(row["questions"]))
        missed = Counter(r["section"].split(".")[0] for r in self.store.db.query(
            "SELECT section FROM quiz_answers WHERE user_key = ? AND correct = 0", [user_key]))
        streak = self.streak(user_key)
        lines = [f"Quiz done: {row['score']} of {total} right. Streak: {streak} week{'s' if streak != 1 else ''} in a row."]
        buttons = [Button("Another quiz", "quiz.start", style="primary")]
        if missed:
            weakest = self.pack.sections[missed.most_common(1)[0][0]]
            lines.append(f"The guideline you missed most: {weakest.title}. Want to read it?")
            buttons.append(Button(f"Read: {weakest.title}"[:75], "policy.section", weakest.id))
        text = "\n".join(lines)
        return Reply(text, Card(title="Quiz done", body=text, fields=(("Score", f"{row['score']} / {total}"),
                                                                          ("Streak", f"{streak} week{'s' if streak != 1 else ''}")),
                                buttons=tuple(buttons)))

    async def read_section(self, incoming: Incoming) -> list[Reply]:
        section = self.pack.sections.get(incoming.value)
        if section is None:
            return [Reply("I don't know that guideline.", private=True)]
        return [Reply(f"{section.title}: \u201c{section.text}\u201d", Card(title=section.title, quote=section.text))]
