"""Reports and what hangs off them: messages, the audit log, follow-up sessions, notices to reviewers, retention.

Rows hold ciphertext only: sealing and opening is the domain's (bot/reports/cases.py), which also decides what a
stored time may say (the hour). The case's state rules are here, in SQL: each change names the states it may
leave, and the row count says whether it happened, so two reviewers (or two replicas) pressing at once change a
case once.

    new ──acknowledge──▶ in_review ──close──▶ closed ──reopen──▶ in_review
     └──────────────────close───────────────────┘
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, cast

from bot.storage.database import Database, Row
from bot.storage.errors import DuplicateError

CaseStatus = Literal["new", "in_review", "closed"]
STATUSES: tuple[CaseStatus, ...] = ("new", "in_review", "closed")
Author = Literal["reporter", "reviewer", "note"]


class DuplicateSubmission(DuplicateError):
    """The form's submission was filed already (a double click, a retried request): as case `ref`."""

    def __init__(self, ref: str):
        super().__init__(f"this submission was filed already as {ref}")
        self.ref = ref


@dataclass(frozen=True)
class NewReport:
    """A report as it is stored: sealed words, no trace of who filed it, times to the hour."""

    ref: str
    code_hash: str
    code_salt: str
    created_at: float
    category: str
    urgency: str
    nonce: str
    ciphertext: str
    submission: str  # an HMAC of the form's one-time token, never the token
    notify_after: float


@dataclass(frozen=True)
class CaseRow:
    """A case as the lists show it (nothing decrypted)."""

    ref: str
    category: str
    urgency: str
    status: CaseStatus
    created_at: float
    outcome: str | None
    notified_at: float | None

    @classmethod
    def _from_row(cls, row: Row) -> CaseRow:
        return cls(row["ref"], row["category"], row["urgency"], cast(CaseStatus, row["status"]), row["created_at"],
                   row["outcome"], row["notified_at"])


@dataclass(frozen=True)
class MessageRow:
    author: str
    at: float
    nonce: str
    ciphertext: str


@dataclass(frozen=True)
class SealedCase:
    """One case with its sealed words and messages (oldest first)."""

    case: CaseRow
    nonce: str
    ciphertext: str
    messages: tuple[MessageRow, ...]


@dataclass(frozen=True)
class AuditEntry:
    at: float
    reviewer: str
    action: str
    ref: str


@dataclass(frozen=True)
class CodeRecord:
    code_hash: str
    code_salt: str


@dataclass(frozen=True)
class DueCase:
    """A case waiting to be announced to reviewers (what the notice shows: nothing decrypted)."""

    ref: str
    category: str
    urgency: str
    notify_after: float | None


@dataclass(frozen=True)
class NoticeClaim:
    """This process's claim to announce `ref`, held until `until`; `released` puts `notify_after` back."""

    ref: str
    until: float
    was: float | None


LISTED = "ref, category, urgency, status, created_at, outcome, notified_at"
URGENT_FIRST = "CASE urgency WHEN 'urgent' THEN 0 WHEN 'normal' THEN 1 ELSE 2 END, created_at, ref"


class Cases:
    def __init__(self, db: Database):
        self.db = db

    # ---------------------------------------------------------------- filing

    async def add(self, report: NewReport) -> None:
        """Store a new report, committed before this returns, then fold the WAL into the file (a reporter's write
        must not be ordered among exactly timed ones). A submission filed already raises DuplicateSubmission; a
        reference already taken raises DuplicateError (the caller picks another)."""
        try:
            await self.db.execute(
                "INSERT INTO reports (ref, code_hash, code_salt, created_at, status, category, urgency, nonce, ciphertext, "
                "submission, notified_at, notify_after) VALUES (?, ?, ?, ?, 'new', ?, ?, ?, ?, ?, NULL, ?)",
                [report.ref, report.code_hash, report.code_salt, report.created_at, report.category, report.urgency,
                 report.nonce, report.ciphertext, report.submission, report.notify_after])
        except DuplicateError:
            existing = await self.filed_as(report.submission)
            if existing is not None:
                raise DuplicateSubmission(existing) from None
            raise
        await self.db.checkpoint()

    async def filed_as(self, submission: str) -> str | None:
        """The reference a submission was filed as, if it was."""
        row = await self.db.fetchone("SELECT ref FROM reports WHERE submission = ?", [submission])
        return row["ref"] if row else None

    # ---------------------------------------------------------------- reading

    async def listing(self, include_closed: bool = False) -> list[CaseRow]:
        """Open cases (or all), urgent first, then oldest first."""
        where = "" if include_closed else "WHERE status <> 'closed' "
        return [CaseRow._from_row(r) for r in await self.db.fetchall(f"SELECT {LISTED} FROM reports {where}ORDER BY {URGENT_FIRST}")]

    async def one(self, ref: str) -> SealedCase | None:
        """A case with its sealed words and messages."""
        row = await self.db.fetchone(f"SELECT {LISTED}, nonce, ciphertext FROM reports WHERE ref = ?", [ref])
        if row is None:
            return None
        messages = await self.db.fetchall("SELECT author, at, nonce, ciphertext FROM report_messages WHERE ref = ? ORDER BY id", [ref])
        return SealedCase(CaseRow._from_row(row), row["nonce"], row["ciphertext"],
                          tuple(MessageRow(m["author"], m["at"], m["nonce"], m["ciphertext"]) for m in messages))

    async def status(self, ref: str) -> CaseStatus | None:
        row = await self.db.fetchone("SELECT status FROM reports WHERE ref = ?", [ref])
        return cast(CaseStatus, row["status"]) if row else None

    async def message_counts(self) -> dict[str, int]:
        """Messages (and notes) per case, for the export."""
        rows = await self.db.fetchall("SELECT ref, COUNT(*) AS n FROM report_messages GROUP BY ref")
        return {r["ref"]: int(r["n"]) for r in rows}

    # ---------------------------------------------------------------- messages

    async def add_message(self, ref: str, author: Author, at: float, nonce: str, ciphertext: str) -> bool:
        """Add a message to an open case; False when the case is closed or gone. A reporter's message is folded
        into the database file at once (the WAL would order it among exactly timed writes)."""
        added = await self.db.execute(
            "INSERT INTO report_messages (ref, author, at, nonce, ciphertext) SELECT ref, ?, ?, ?, ? FROM reports "
            "WHERE ref = ? AND status IN ('new', 'in_review')", [author, at, nonce, ciphertext, ref]) == 1
        if author == "reporter":
            await self.db.checkpoint()
        return added

    async def add_note(self, ref: str, at: float, nonce: str, ciphertext: str) -> bool:
        """An internal note (reviewers only), whatever the case's status; False when the case is gone."""
        return await self.db.execute(
            "INSERT INTO report_messages (ref, author, at, nonce, ciphertext) SELECT ref, 'note', ?, ?, ? FROM reports "
            "WHERE ref = ?", [at, nonce, ciphertext, ref]) == 1

    # ---------------------------------------------------------------- the state rules

    async def acknowledge(self, ref: str) -> bool:
        """new -> in_review; False (nothing changed) from any other state, e.g. a stale button on a closed case."""
        return await self.db.execute("UPDATE reports SET status = 'in_review' WHERE ref = ? AND status = 'new'", [ref]) == 1

    async def close(self, ref: str, outcome: str, at: float) -> bool:
        """new or in_review -> closed with an outcome; False when already closed (closed is final)."""
        return await self.db.execute("UPDATE reports SET status = 'closed', outcome = ?, closed_at = ? "
                                     "WHERE ref = ? AND status IN ('new', 'in_review')", [outcome, at, ref]) == 1

    async def reopen(self, ref: str) -> bool:
        """closed -> in_review, only when asked explicitly (the caller audits it with a reason)."""
        return await self.db.execute("UPDATE reports SET status = 'in_review', outcome = NULL, closed_at = NULL "
                                     "WHERE ref = ? AND status = 'closed'", [ref]) == 1

    # ---------------------------------------------------------------- audit

    async def audit(self, at: float, reviewer: str, action: str, ref: str) -> None:
        await self.db.execute("INSERT INTO audit (at, reviewer, action, ref) VALUES (?, ?, ?, ?)", [at, reviewer, action, ref])

    async def audit_log(self, ref: str | None = None) -> list[AuditEntry]:
        if ref:
            rows = await self.db.fetchall("SELECT at, reviewer, action, ref FROM audit WHERE ref = ? ORDER BY id", [ref])
        else:
            rows = await self.db.fetchall("SELECT at, reviewer, action, ref FROM audit ORDER BY id")
        return [AuditEntry(r["at"], r["reviewer"], r["action"], r["ref"]) for r in rows]

    # ---------------------------------------------------------------- reporter follow-up

    async def code_record(self, ref: str) -> CodeRecord | None:
        """The stored code hash and salt of `ref` (None if no such case)."""
        row = await self.db.fetchone("SELECT code_hash, code_salt FROM reports WHERE ref = ?", [ref])
        return CodeRecord(row["code_hash"], row["code_salt"]) if row else None

    async def open_session(self, token_hash: str, ref: str, expires: float) -> None:
        """Store a follow-up session (a reporter's write: folded into the file at once)."""
        await self.db.execute("INSERT INTO case_sessions (token_hash, ref, expires) VALUES (?, ?, ?)", [token_hash, ref, expires])
        await self.db.checkpoint()

    async def session_ref(self, token_hash: str, now: float) -> str | None:
        """The case of a session that has not expired at `now`."""
        row = await self.db.fetchone("SELECT ref FROM case_sessions WHERE token_hash = ? AND expires > ?", [token_hash, now])
        return row["ref"] if row else None

    # ---------------------------------------------------------------- notices to reviewers

    async def due(self, now: float) -> list[DueCase]:
        """Cases not yet announced whose time has come (and that no notifier holds a claim on)."""
        rows = await self.db.fetchall(
            "SELECT ref, category, urgency, notify_after FROM reports WHERE notified_at IS NULL AND COALESCE(notify_after, 0) <= ? "
            "ORDER BY COALESCE(notify_after, 0), ref", [now])  # the same order on both backends (NULLs sort differently)
        return [DueCase(r["ref"], r["category"], r["urgency"], r["notify_after"]) for r in rows]

    async def claim(self, case: DueCase, now: float, until: float) -> NoticeClaim | None:
        """Claim the announcement of a due case until `until`: one statement, so of several notifiers on one
        database exactly one gets it (the row count decides); None when another one has it or it was announced."""
        taken = await self.db.execute("UPDATE reports SET notify_after = ? WHERE ref = ? AND notified_at IS NULL "
                                      "AND COALESCE(notify_after, 0) <= ?", [until, case.ref, now])
        return NoticeClaim(case.ref, until, case.notify_after) if taken == 1 else None

    async def release(self, claim: NoticeClaim) -> None:
        """Give a claim back after a failed send, so the next tick (of any notifier) tries again; nothing when the
        claim ran out and another notifier holds the case now."""
        await self.db.execute("UPDATE reports SET notify_after = ? WHERE ref = ? AND notified_at IS NULL AND notify_after = ?",
                              [claim.was, claim.ref, claim.until])

    async def mark_notified(self, ref: str, at: float) -> None:
        await self.db.execute("UPDATE reports SET notified_at = ?, notify_after = NULL WHERE ref = ?", [at, ref])

    # ---------------------------------------------------------------- retention

    async def purge(self, closed_before: float, now: float) -> int:
        """Delete the cases closed before `closed_before`, with their messages and sessions, and every expired
        session; how many cases this call deleted. Safe when several processes purge at once: the cases are
        locked (PostgreSQL) or the database is (SQLite), so each is deleted once and a case reopened meanwhile
        is kept whole. A transaction is opened only when there is a case to delete (most days there is none)."""
        due = "SELECT ref FROM reports WHERE status = 'closed' AND closed_at < ? ORDER BY ref"
        deleted = 0
        if await self.db.fetchone(due, [closed_before]):
            lock = " FOR UPDATE" if self.db.dialect == "postgresql" else ""
            async with self.db.transaction() as tx:
                for row in await tx.fetchall(due + lock, [closed_before]):
                    await tx.execute("DELETE FROM report_messages WHERE ref = ?", [row["ref"]])
                    await tx.execute("DELETE FROM case_sessions WHERE ref = ?", [row["ref"]])
                    deleted += await tx.execute("DELETE FROM reports WHERE ref = ? AND status = 'closed'", [row["ref"]])
        await self.db.execute("DELETE FROM case_sessions WHERE expires < ?", [now])
        await self.db.execute("DELETE FROM code_failures")  # no longer written: old per-case records go
        return deleted

    # ---------------------------------------------------------------- key rotation

    async def reseal(self, reseal: Callable[[str, str, str], tuple[str, str]]) -> int:
        """Replace every report's and message's (nonce, ciphertext) by `reseal(ref, nonce, ciphertext)`, in one
        transaction: when it raises for any record (a key that opens none of them), nothing is changed. The
        plain text never passes through here. How many records were resealed."""
        lock = " FOR UPDATE" if self.db.dialect == "postgresql" else ""
        async with self.db.transaction() as tx:
            reports = await tx.fetchall(f"SELECT ref, nonce, ciphertext FROM reports ORDER BY ref{lock}")
            messages = await tx.fetchall(f"SELECT id, ref, nonce, ciphertext FROM report_messages ORDER BY id{lock}")
            new_reports = [[*reseal(r["ref"], r["nonce"], r["ciphertext"]), r["ref"]] for r in reports]
            new_messages = [[*reseal(m["ref"], m["nonce"], m["ciphertext"]), m["id"]] for m in messages]
            if new_reports:
                await tx.executemany("UPDATE reports SET nonce = ?, ciphertext = ? WHERE ref = ?", new_reports)
            if new_messages:
                await tx.executemany("UPDATE report_messages SET nonce = ?, ciphertext = ? WHERE id = ?", new_messages)
        return len(new_reports) + len(new_messages)
