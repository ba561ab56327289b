"""What the policy owners see: answer events, questions sent to them, content suggestions, and the figures
of the quiz and report tables (counts only).

Privacy, as SECURITY.md says: an answer event has no user id and no conversation id; its `question` holds
scrubbed words only for unknown, unsure or not-helpful answers (the flow decides, bot/owners/), and only
until `forget_before(day)` clears them. An owner question keeps who asked only when they asked by name; an
anonymous one keeps a hash of the one-time token its asker holds, which is cleared when the answer is read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.storage.database import Database, Row

OPEN, ASKED, ANSWERED, SUGGESTED, DISMISSED = "open", "asked", "answered", "suggested", "dismissed"


@dataclass(frozen=True)
class AnswerEvent:
    """One answer, as counted: never who asked or where."""

    event_id: str
    day: str  # YYYY-MM-DD
    channel: str
    verdict: str
    kind: str
    topic: str
    section: str
    band: str  # high | medium | low
    question: str | None = None  # scrubbed words, only for unknown or unsure answers (or later: not helpful)
    gap: str = ""  # the nearest situation's topic id: what groups similar gaps
    helpful: bool | None = None

    def row(self) -> list:
        return [self.event_id, self.day, self.channel, self.verdict, self.kind, self.topic, self.section, self.band,
                None if self.helpful is None else int(self.helpful), self.question, self.gap, OPEN]


@dataclass(frozen=True)
class OwnerQuestion:
    id: str
    day: str
    channel: str
    question: str
    verdict: str
    section: str
    gap: str
    named: bool
    asker_key: str
    asker_conversation: str
    asker_name: str
    status: str
    answer: str
    answer_verdict: str
    answer_section: str
    answered_by: str
    answered_day: str
    delivered: bool

    @classmethod
    def _from_row(cls, r: Row) -> OwnerQuestion:
        return cls(r["id"], r["day"], r["channel"] or "", r["question"] or "", r["verdict"] or "", r["section"] or "",
                   r["gap"] or "", bool(r["named"]), r["asker_key"] or "", r["asker_conversation"] or "",
                   r["asker_name"] or "", r["status"], r["answer"] or "", r["answer_verdict"] or "",
                   r["answer_section"] or "", r["answered_by"] or "", r["answered_day"] or "", bool(r["delivered"]))


@dataclass(frozen=True)
class Suggestion:
    id: str
    day: str
    question: str
    verdict: str
    answer: str
    section: str
    source: str
    status: str

    @classmethod
    def _from_row(cls, r: Row) -> Suggestion:
        return cls(r["id"], r["day"], r["question"] or "", r["verdict"] or "", r["answer"] or "", r["section"] or "",
                   r["source"] or "", r["status"])


BATCH_ROWS = 500  # 12 parameters a row: well under SQLite's 32,766
EVENT_COLUMNS = "event_id, day, channel, verdict, kind, topic, section, band, helpful, question, gap, status"
QUESTION_COLUMNS = ("id, day, channel, question, verdict, section, gap, named, asker_key, asker_conversation, asker_name, "
                    "status, answer, answer_verdict, answer_section, answered_by, answered_day, delivered")


class Insights:
    """The owners' repository (answer events, owner questions, suggestions) and read-only figures of others."""

    def __init__(self, db: Database):
        self.db = db

    # ------------------------------------------------------------ answer events

    async def record(self, events: Sequence[AnswerEvent]) -> None:
        """Write a batch of events, each chunk one statement (one commit: no transaction held open across awaits,
        which the old synchronous store on the same SQLite file would wait on); a retried batch changes nothing."""
        for start in range(0, len(events), BATCH_ROWS):
            chunk = events[start:start + BATCH_ROWS]
            values = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(chunk))
            await self.db.execute(f"INSERT INTO answer_events ({EVENT_COLUMNS}) VALUES {values} ON CONFLICT (event_id) DO NOTHING",
                                  [v for e in chunk for v in e.row()])

    async def event(self, event_id: str) -> Row | None:
        return await self.db.fetchone(f"SELECT {EVENT_COLUMNS} FROM answer_events WHERE event_id = ?", [event_id])

    async def mark_helpful(self, event_id: str, helpful: bool, question: str | None = None) -> bool:
        """Record a Helpful / Not helpful press on its event; `question` (scrubbed) is kept when given and none is."""
        changed = await self.db.execute("UPDATE answer_events SET helpful = ?, question = COALESCE(question, ?) WHERE event_id = ?",
                                        [int(helpful), question, event_id])
        return changed > 0

    async def set_event_status(self, event_id: str, status: str) -> None:
        await self.db.execute("UPDATE answer_events SET status = ? WHERE event_id = ?", [status, event_id])

    async def set_gap_status(self, gap: str, status: str) -> int:
        """Mark every open kept question of a gap group (dismissed, suggested, answered); how many."""
        return await self.db.execute("UPDATE answer_events SET status = ? WHERE gap = ? AND status = ? AND question IS NOT NULL",
                                     [status, gap, OPEN])

    async def forget_before(self, day: str) -> int:
        """Delete the words of questions from before `day` (events keep their counts), and owner questions from
        before it; the number of events whose words went."""
        cleared = await self.db.execute("UPDATE answer_events SET question = NULL WHERE day < ? AND question IS NOT NULL", [day])
        await self.db.execute("DELETE FROM owner_questions WHERE day < ?", [day])
        return cleared

    async def counts(self, since: str) -> list[Row]:
        """Answer counts by day, verdict and helpfulness since `since` (the overview folds them into weeks)."""
        return await self.db.fetchall("SELECT day, verdict, helpful, COUNT(*) AS n FROM answer_events WHERE day >= ? "
                                      "GROUP BY day, verdict, helpful", [since])

    async def by_section(self, since: str) -> list[Row]:
        return await self.db.fetchall(
            "SELECT section, COUNT(*) AS n, SUM(CASE WHEN helpful = 1 THEN 1 ELSE 0 END) AS up, "
            "SUM(CASE WHEN helpful = 0 THEN 1 ELSE 0 END) AS down FROM answer_events "
            "WHERE day >= ? AND section IS NOT NULL AND section <> '' GROUP BY section ORDER BY n DESC, section", [since])

    async def gap_questions(self, since: str, limit: int = 5000) -> list[Row]:
        """Kept, open questions (unknown, unsure or not helpful), newest first."""
        return await self.db.fetchall(
            "SELECT event_id, day, verdict, kind, helpful, question, gap FROM answer_events "
            "WHERE day >= ? AND question IS NOT NULL AND status = ? ORDER BY day DESC, event_id LIMIT ?", [since, OPEN, limit])

    async def kept_questions(self) -> list[str]:
        """Every question's kept words (for tests and the retention check)."""
        return [r["question"] for r in await self.db.fetchall("SELECT question FROM answer_events WHERE question IS NOT NULL")]

    # ------------------------------------------------------------ questions for the owners

    async def add_question(self, question: OwnerQuestion, token_hash: str | None) -> None:
        q = question
        await self.db.execute(
            f"INSERT INTO owner_questions ({QUESTION_COLUMNS}, token_hash) VALUES ({', '.join('?' * 19)})",
            [q.id, q.day, q.channel, q.question, q.verdict, q.section, q.gap, int(q.named), q.asker_key or None,
             q.asker_conversation or None, q.asker_name or None, q.status, None, None, None, None, None, 0, token_hash])

    async def question(self, question_id: str) -> OwnerQuestion | None:
        row = await self.db.fetchone(f"SELECT {QUESTION_COLUMNS} FROM owner_questions WHERE id = ?", [question_id])
        return OwnerQuestion._from_row(row) if row else None

    async def questions(self, status: str | None = None, limit: int = 200) -> list[OwnerQuestion]:
        where, params = ("WHERE status = ?", [status]) if status else ("", [])
        rows = await self.db.fetchall(f"SELECT {QUESTION_COLUMNS} FROM owner_questions {where} ORDER BY day DESC, id LIMIT ?",
                                      [*params, limit])
        return [OwnerQuestion._from_row(r) for r in rows]

    async def answer_question(self, question_id: str, answer: str, verdict: str, section: str, owner: str, day: str) -> bool:
        """Record the owner's answer; False when the question is gone or already answered (a second owner)."""
        changed = await self.db.execute(
            "UPDATE owner_questions SET status = ?, answer = ?, answer_verdict = ?, answer_section = ?, answered_by = ?, "
            "answered_day = ? WHERE id = ? AND status = ?", [ANSWERED, answer, verdict, section, owner, day, question_id, OPEN])
        return changed > 0

    async def undelivered_for(self, asker_key: str) -> list[OwnerQuestion]:
        """Answered questions asked by name by `asker_key` that have not reached them yet."""
        rows = await self.db.fetchall(f"SELECT {QUESTION_COLUMNS} FROM owner_questions WHERE asker_key = ? AND status = ? "
                                      "AND delivered = 0 ORDER BY answered_day, id", [asker_key, ANSWERED])
        return [OwnerQuestion._from_row(r) for r in rows]

    async def mark_delivered(self, question_id: str) -> bool:
        return await self.db.execute("UPDATE owner_questions SET delivered = 1 WHERE id = ? AND delivered = 0", [question_id]) > 0

    async def by_token(self, token_hash: str) -> OwnerQuestion | None:
        row = await self.db.fetchone(f"SELECT {QUESTION_COLUMNS} FROM owner_questions WHERE token_hash = ?", [token_hash])
        return OwnerQuestion._from_row(row) if row else None

    async def spend_token(self, question_id: str) -> bool:
        """An anonymous answer was read: the token stops working (one-time) and the question counts as delivered."""
        return await self.db.execute("UPDATE owner_questions SET token_hash = NULL, delivered = 1 WHERE id = ? AND "
                                     "token_hash IS NOT NULL", [question_id]) > 0

    # ------------------------------------------------------------ content suggestions

    async def add_suggestion(self, s: Suggestion) -> None:
        await self.db.execute("INSERT INTO content_suggestions (id, day, question, verdict, answer, section, source, status) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [s.id, s.day, s.question, s.verdict, s.answer, s.section,
                                                                 s.source, s.status])

    async def suggestions(self, status: str | None = "new") -> list[Suggestion]:
        where, params = ("WHERE status = ?", [status]) if status else ("", [])
        rows = await self.db.fetchall(f"SELECT id, day, question, verdict, answer, section, source, status FROM content_suggestions "
                                      f"{where} ORDER BY day, id", params)
        return [Suggestion._from_row(r) for r in rows]

    # ------------------------------------------------------------ other aggregates' figures (read only)

    async def quiz_rounds(self) -> list[Row]:
        """Per weekly round: people invited, people who finished, their average score (quiz tables)."""
        return await self.db.fetchall(
            "SELECT r.round_id, r.started_at, "
            "(SELECT COUNT(*) FROM quiz_sends s WHERE s.round_id = r.round_id) AS invited, "
            "(SELECT COUNT(DISTINCT q.user_key) FROM quiz_sessions q WHERE q.round_id = r.round_id AND q.finished_at IS NOT NULL) AS finished, "
            "(SELECT AVG(q.score) FROM quiz_sessions q WHERE q.round_id = r.round_id AND q.finished_at IS NOT NULL) AS avg_score "
            "FROM quiz_rounds r ORDER BY r.started_at DESC LIMIT 52")

    async def quiz_totals(self) -> Row:
        row = await self.db.fetchone("SELECT COUNT(*) AS sessions, AVG(score) AS avg_score FROM quiz_sessions WHERE finished_at IS NOT NULL")
        return row or {"sessions": 0, "avg_score": None}

    async def quiz_questions(self, limit: int = 10) -> list[Row]:
        """The questions answered wrong most often (share right, lowest first)."""
        return await self.db.fetchall(
            "SELECT question_id, section, COUNT(*) AS n, AVG(correct * 1.0) AS right_share FROM quiz_answers "
            "GROUP BY question_id, section ORDER BY right_share, n DESC, question_id LIMIT ?", [limit])

    async def quiz_sections(self) -> list[Row]:
        return await self.db.fetchall(
            "SELECT section, COUNT(*) AS n, AVG(correct * 1.0) AS right_share FROM quiz_answers "
            "GROUP BY section ORDER BY right_share, n DESC, section")

    async def report_cases(self) -> list[Row]:
        """Each case's filing hour, guideline and status: counts are made from these, never shown one by one."""
        return await self.db.fetchall("SELECT created_at, category, status FROM reports")
