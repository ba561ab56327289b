"""The `Cases` repository: reports and what hangs off them. Here: filing, listing and reading, messages, who is
kept from a case, the audit log, follow-up sessions, retention and key rotation. Its state rules (the `MOVES`
table, assignment) are in case_states.py, its notices and deadline reminders in case_reminders.py.

Rows hold ciphertext only: sealing and opening is the domain's (bot/reports/cases.py), which also decides what a
stored time may say (the hour).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, cast

from bot.storage.case_reminders import CaseReminders
from bot.storage.case_states import CaseStates, CaseStatus
from bot.storage.database import Database, Row
from bot.storage.errors import DuplicateError

Author = Literal["reporter", "reviewer", "note"]
ExclusionKind = Literal["kept", "recused"]  # kept from the case by its reporter, or recused themself


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
    ack_due: str = ""  # YYYY-MM-DD (UTC): the filing day plus the acknowledgement days
    feedback_due: str = ""  # the filing day plus the feedback days
    kept_from: tuple[str, ...] = ()  # reviewer keys the reporter kept the case from


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
    ack_due: str = ""
    feedback_due: str = ""
    assignee: str | None = None
    replied: bool = False  # a reviewer has written to the reporter (the feedback the directive asks for)

    @classmethod
    def _from_row(cls, row: Row) -> CaseRow:
        return cls(row["ref"], row["category"], row["urgency"], cast(CaseStatus, row["status"]), row["created_at"],
                   row["outcome"], row["notified_at"], row["ack_due"] or "", row["feedback_due"] or "", row["assignee"],
                   bool(row["replied"]))


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
    detail: str = ""


@dataclass(frozen=True)
class CodeRecord:
    code_hash: str
    code_salt: str


LISTED = ("ref, category, urgency, status, created_at, outcome, notified_at, ack_due, feedback_due, assignee, "
          "EXISTS (SELECT 1 FROM report_messages m WHERE m.ref = reports.ref AND m.author = 'reviewer') AS replied")
URGENT_FIRST = "CASE urgency WHEN 'urgent' THEN 0 WHEN 'normal' THEN 1 ELSE 2 END, created_at, ref"


def _day(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(ts)) if ts is not None else ""


def _purged_detail(row: Row) -> str:
    return (f"filed {_day(row['created_at'])}; acknowledgement due {row['ack_due'] or ''}; feedback due {row['feedback_due'] or ''}; "
            f"closed {_day(row['closed_at'])}; outcome {row['outcome'] or ''}")


class Cases(CaseStates, CaseReminders):
    """One repository per aggregate: the case, with its parts in case_states.py and case_reminders.py."""

    def __init__(self, db: Database):
        self.db = db

    # ---------------------------------------------------------------- filing

    async def add(self, report: NewReport) -> None:
        """Store a new report, committed before this returns, then fold the WAL into the file (a reporter's write
        must not be ordered among exactly timed ones). A submission filed already raises DuplicateSubmission; a
        reference already taken raises DuplicateError (the caller picks another)."""
        try:
            async with self.db.transaction() as tx:
                await tx.execute(
                    "INSERT INTO reports (ref, code_hash, code_salt, created_at, status, category, urgency, nonce, ciphertext, "
                    "submission, notified_at, notify_after, ack_due, feedback_due) VALUES (?, ?, ?, ?, 'new', ?, ?, ?, ?, ?, NULL, ?, ?, ?)",
                    [report.ref, report.code_hash, report.code_salt, report.created_at, report.category, report.urgency,
                     report.nonce, report.ciphertext, report.submission, report.notify_after, report.ack_due or None,
                     report.feedback_due or None])
                if report.kept_from:
                    await tx.executemany("INSERT INTO case_exclusions (ref, reviewer, kind) VALUES (?, ?, 'kept')",
                                         [[report.ref, key] for key in dict.fromkeys(report.kept_from)])
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
            "WHERE ref = ? AND status IN ('new', 'acknowledged', 'in_review')", [author, at, nonce, ciphertext, ref]) == 1
        if author == "reporter":
            await self.db.checkpoint()
        return added

    async def add_note(self, ref: str, at: float, nonce: str, ciphertext: str) -> bool:
        """An internal note (reviewers only), whatever the case's status; False when the case is gone."""
        return await self.db.execute(
            "INSERT INTO report_messages (ref, author, at, nonce, ciphertext) SELECT ref, 'note', ?, ?, ? FROM reports "
            "WHERE ref = ?", [at, nonce, ciphertext, ref]) == 1

    # ---------------------------------------------------------------- conflict of interest

    async def exclude(self, ref: str, reviewer: str, kind: ExclusionKind) -> bool:
        """Keep `reviewer` from a case (the reporter's choice, or a recusal), and unassign them; False when they
        were kept from it already or the case is gone."""
        async with self.db.transaction() as tx:
            added = await tx.execute("INSERT INTO case_exclusions (ref, reviewer, kind) SELECT ref, ?, ? FROM reports WHERE ref = ? "
                                     "ON CONFLICT (ref, reviewer) DO NOTHING", [reviewer, kind, ref]) == 1
            await tx.execute("UPDATE reports SET assignee = NULL WHERE ref = ? AND assignee = ?", [ref, reviewer])
        return added

    async def is_excluded(self, ref: str, reviewer: str) -> bool:
        return await self.db.fetchone("SELECT 1 AS yes FROM case_exclusions WHERE ref = ? AND reviewer = ?", [ref, reviewer]) is not None

    async def excluded_refs(self, reviewer: str) -> set[str]:
        """The cases `reviewer` is kept from."""
        return {r["ref"] for r in await self.db.fetchall("SELECT ref FROM case_exclusions WHERE reviewer = ?", [reviewer])}

    async def exclusions(self, ref: str) -> dict[str, str]:
        """Reviewer key -> kind ("kept" or "recused") of everyone kept from a case."""
        rows = await self.db.fetchall("SELECT reviewer, kind FROM case_exclusions WHERE ref = ? ORDER BY reviewer", [ref])
        return {r["reviewer"]: r["kind"] for r in rows}

    # ---------------------------------------------------------------- audit

    async def audit(self, at: float, reviewer: str, action: str, ref: str, detail: str = "") -> None:
        await self.db.execute("INSERT INTO audit (at, reviewer, action, ref, detail) VALUES (?, ?, ?, ?, ?)",
                              [at, reviewer, action, ref, detail or None])

    async def audit_log(self, ref: str | None = None) -> list[AuditEntry]:
        if ref:
            rows = await self.db.fetchall("SELECT at, reviewer, action, ref, detail FROM audit WHERE ref = ? ORDER BY id", [ref])
        else:
            rows = await self.db.fetchall("SELECT at, reviewer, action, ref, detail FROM audit ORDER BY id")
        return [AuditEntry(r["at"], r["reviewer"], r["action"], r["ref"], r["detail"] or "") for r in rows]

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

    # ---------------------------------------------------------------- retention

    async def purge(self, closed_before: float, now: float) -> int:
        """Delete the cases closed before `closed_before`, with their messages and sessions, and every expired
        session; how many cases this call deleted. Safe when several processes purge at once: the cases are
        locked (PostgreSQL) or the database is (SQLite), so each is deleted once and a case reopened meanwhile
        is kept whole. A transaction is opened only when there is a case to delete (most days there is none)."""
        due = "SELECT ref, created_at, closed_at, outcome, ack_due, feedback_due FROM reports WHERE status = 'closed' AND closed_at < ? ORDER BY ref"
        deleted = 0
        if await self.db.fetchone(due, [closed_before]):
            lock = " FOR UPDATE" if self.db.dialect == "postgresql" else ""
            async with self.db.transaction() as tx:
                for row in await tx.fetchall(due + lock, [closed_before]):
                    await tx.execute("DELETE FROM report_messages WHERE ref = ?", [row["ref"]])
                    await tx.execute("DELETE FROM case_sessions WHERE ref = ?", [row["ref"]])
                    await tx.execute("DELETE FROM case_exclusions WHERE ref = ?", [row["ref"]])
                    await tx.execute("DELETE FROM case_reminders WHERE ref = ?", [row["ref"]])
                    gone = await tx.execute("DELETE FROM reports WHERE ref = ? AND status = 'closed'", [row["ref"]])
                    if gone:
                        # The audit log of a purged case keeps its reference, dates and outcome: who did what goes.
                        await tx.execute("DELETE FROM audit WHERE ref = ?", [row["ref"]])
                        await tx.execute("INSERT INTO audit (at, reviewer, action, ref, detail) VALUES (?, '', 'purged', ?, ?)",
                                         [now - now % 3600, row["ref"], _purged_detail(row)])
                    deleted += gone
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
