"""Quizzes: sessions (the questions picked and how far a person got), their answers, each person's
spaced-repetition cards (Leitner box and when a question is due again), and the statistics the policy owners
read. No statistic names a person."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from bot.storage.database import Database, Row
from bot.storage.errors import DuplicateError


@dataclass(frozen=True)
class Session:
    id: str
    user_key: str
    questions: tuple[str, ...]  # question ids, in the order asked
    position: int  # how many are answered
    score: int
    started_at: float
    finished_at: float | None
    round_id: str  # the weekly round that invited it, '' when the person asked


def _session(row: Row) -> Session:
    return Session(row["id"], row["user_key"], tuple(json.loads(row["questions"])), int(row["position"]), int(row["score"]),
                   float(row["started_at"]), None if row["finished_at"] is None else float(row["finished_at"]), row["round_id"] or "")


SESSION_COLUMNS = "id, user_key, questions, position, score, started_at, finished_at, round_id"


@dataclass(frozen=True)
class Recall:
    """One person's spaced-repetition card for one question."""

    question_id: str
    box: int
    due: float


@dataclass(frozen=True)
class RoundStats:
    """Per round: invitations sent, quizzes started (at least one answer) and finished, their average score."""

    round: str
    sent: int
    started: int
    finished: int
    average_score: float | None


@dataclass(frozen=True)
class QuestionStats:
    question_id: str
    answers: int
    wrong: int


@dataclass(frozen=True)
class SectionStats:
    section: str  # as the question names it (a dotted suffix kept)
    answers: int
    wrong: int


class Quizzes:
    def __init__(self, db: Database):
        self.db = db

    # ---------------------------------------------------------------- a person's quizzes

    async def recall(self, user_key: str) -> dict[str, Recall]:
        """A person's cards, by question id (questions never answered have none)."""
        rows = await self.db.fetchall("SELECT question_id, box, due FROM quiz_cards WHERE user_key = ?", [user_key])
        return {r["question_id"]: Recall(r["question_id"], int(r["box"]), float(r["due"])) for r in rows}

    async def start(self, session_id: str, user_key: str, questions: list[str], now: float, round_id: str = "") -> Session:
        await self.db.execute(
            "INSERT INTO quiz_sessions (id, user_key, questions, position, score, started_at, finished_at, round_id) "
            "VALUES (?, ?, ?, 0, 0, ?, NULL, ?)", [session_id, user_key, json.dumps(questions), now, round_id])
        return Session(session_id, user_key, tuple(questions), 0, 0, now, None, round_id)

    async def session(self, session_id: str) -> Session | None:
        row = await self.db.fetchone(f"SELECT {SESSION_COLUMNS} FROM quiz_sessions WHERE id = ?", [session_id])
        return _session(row) if row else None

    async def record_answer(self, session: Session, question_id: str, section: str, correct: bool, at: float,
                            reschedule: Callable[[int | None], tuple[int, float]]) -> bool:
        """Count an answer to the question at `session.position`, in one transaction: the session moves on (and
        is finished after its last question), the answer is kept, and the person's card for the question gets
        the (box, due) that `reschedule` gives for its current box (None when it has no card yet). False, with
        nothing written, when the session is no longer where `session` saw it (a double click, a second device):
        each question counts once."""
        finished = session.position + 1 >= len(session.questions)
        try:
            async with self.db.transaction() as tx:
                moved = await tx.execute(
                    "UPDATE quiz_sessions SET position = position + 1, score = score + ?, finished_at = ? WHERE id = ? AND position = ?",
                    [int(correct), at if finished else None, session.id, session.position])
                if moved != 1:
                    return False
                await tx.execute("INSERT INTO quiz_answers (session_id, user_key, question_id, section, correct, at) VALUES (?, ?, ?, ?, ?, ?)",
                                 [session.id, session.user_key, question_id, section, int(correct), at])
                card = await tx.fetchone("SELECT box FROM quiz_cards WHERE user_key = ? AND question_id = ?", [session.user_key, question_id])
                box, due = reschedule(int(card["box"]) if card else None)
                await tx.execute(
                    "INSERT INTO quiz_cards (user_key, question_id, box, due, seen) VALUES (?, ?, ?, ?, 1) "
                    "ON CONFLICT (user_key, question_id) DO UPDATE SET box = excluded.box, due = excluded.due, seen = 1",
                    [session.user_key, question_id, box, due])
        except DuplicateError:
            return False
        return True

    async def finished(self, user_key: str) -> list[Session]:
        """A person's finished quizzes, oldest first."""
        rows = await self.db.fetchall(f"SELECT {SESSION_COLUMNS} FROM quiz_sessions WHERE user_key = ? AND finished_at IS NOT NULL "
                                      "ORDER BY finished_at", [user_key])
        return [_session(r) for r in rows]

    async def missed_sections(self, user_key: str) -> list[str]:
        """The section of every question a person answered wrong (repeats kept: they count)."""
        rows = await self.db.fetchall("SELECT section FROM quiz_answers WHERE user_key = ? AND correct = 0", [user_key])
        return [r["section"] for r in rows]

    # ---------------------------------------------------------------- statistics (no names)

    async def round_stats(self) -> list[RoundStats]:
        rows = await self.db.fetchall("""
            SELECT r.round_id AS round,
                   (SELECT COUNT(*) FROM quiz_sends s WHERE s.round_id = r.round_id AND s.state = 'sent') AS sent,
                   (SELECT COUNT(DISTINCT q.id) FROM quiz_sessions q JOIN quiz_answers a ON a.session_id = q.id
                     WHERE q.round_id = r.round_id) AS started,
                   (SELECT COUNT(*) FROM quiz_sessions q WHERE q.round_id = r.round_id AND q.finished_at IS NOT NULL) AS finished,
                   (SELECT ROUND(AVG(q.score), 2) FROM quiz_sessions q WHERE q.round_id = r.round_id AND q.finished_at IS NOT NULL)
                     AS average_score
            FROM quiz_rounds r ORDER BY r.round_id""")
        return [RoundStats(r["round"], int(r["sent"]), int(r["started"]), int(r["finished"]),
                           None if r["average_score"] is None else float(r["average_score"])) for r in rows]

    async def question_stats(self, limit: int) -> list[QuestionStats]:
        """Questions with at least one answer, the most often wrong (by share) first."""
        rows = await self.db.fetchall(
            "SELECT question_id, COUNT(*) AS answers, SUM(1 - correct) AS wrong FROM quiz_answers GROUP BY question_id "
            "ORDER BY 1.0 * SUM(1 - correct) / COUNT(*) DESC, COUNT(*) DESC, question_id LIMIT ?", [limit])
        return [QuestionStats(r["question_id"], int(r["answers"]), int(r["wrong"])) for r in rows]

    async def section_stats(self) -> list[SectionStats]:
        rows = await self.db.fetchall("SELECT section, COUNT(*) AS answers, SUM(1 - correct) AS wrong FROM quiz_answers "
                                      "GROUP BY section ORDER BY section")
        return [SectionStats(r["section"], int(r["answers"]), int(r["wrong"])) for r in rows]
