"""Case data: listing, reading (decrypting), messages both ways, status, audit, follow-up codes, notices,
retention and key rotation, over the `Cases` and `Reviewers` repositories (bot/storage).

Nothing here knows who filed a case. Reviewers are named by their opaque user key in the audit log.
Times that could point at a reporter are coarse: a case's `created_at` is rounded down to the hour, and so
are message times, notice times, session expiries and notice claims.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.reports.crypto import CODE_ALPHABET, Sealer, TamperedError
from bot.storage.case_reminders import DueCase, NoticeClaim, ReminderKind
from bot.storage.case_states import OPEN_STATUSES, STATUSES, CaseStatus
from bot.storage.cases import AuditEntry, CaseRow, Cases, CodeRecord, ExclusionKind
from bot.storage.reviewers import Reviewer, Reviewers

OPEN: tuple[CaseStatus, ...] = OPEN_STATUSES
SOON_DAYS = 2  # reviewers are reminded this many days before a due date, and once it has passed
SESSION_SECONDS = 1800
HOUR = 3600
# A notifier's claim on a due case lasts at least this long and ends on the hour after (a claim's end is stored in
# the row: it must not say more than the hour). A failed send gives the claim back at once; only a notifier that
# died mid-send leaves one to run out (another notifier, or this one restarted, announces it then).
CLAIM_SECONDS = 300
REF = re.compile(f"R-[{CODE_ALPHABET}]{{6}}")

__all__ = ["CaseBook", "Case", "Message", "CaseRow", "CaseStatus", "DueCase", "NoticeClaim", "OPEN", "STATUSES", "Reminder",
           "Reviewer", "day_of", "due_dates", "hour_of", "overdue", "valid_ref"]


def hour_of(ts: float) -> float:
    """A time rounded down to its hour: what is stored of when a reporter did anything."""
    return ts - ts % HOUR


def day_of(ts: float) -> str:
    """The UTC day of a time, YYYY-MM-DD."""
    return time.strftime("%Y-%m-%d", time.gmtime(ts))


def _plus(day: str, days: int) -> str:
    return (datetime.date.fromisoformat(day) + datetime.timedelta(days=days)).isoformat()


def due_dates(created_at: float, ack_days: int, feedback_days: int) -> tuple[str, str]:
    """The acknowledgement and feedback due dates of a case filed at `created_at` (from its filing day, UTC)."""
    filed = day_of(created_at)
    return _plus(filed, ack_days), _plus(filed, feedback_days)


def pending(row: CaseRow) -> list[tuple[str, str]]:
    """The deadlines of a case not yet met, as (kind, due day): acknowledgement until it leaves "new", feedback
    until a reviewer has written to the reporter or the case is closed."""
    out = []
    if row.status == "new" and row.ack_due:
        out.append(("ack", row.ack_due))
    if row.status != "closed" and not row.replied and row.feedback_due:
        out.append(("feedback", row.feedback_due))
    return out


def overdue(row: CaseRow, today: str) -> list[str]:
    """Which deadlines of a case have passed unmet on `today` ("ack", "feedback")."""
    return [kind for kind, due in pending(row) if today > due]


@dataclass(frozen=True)
class Reminder:
    """A reminder due for reviewers: which case, which deadline, and whether it is close or past."""

    ref: str
    kind: ReminderKind
    due: str

    def text(self) -> str:
        what = "acknowledgement" if self.kind.startswith("ack") else "feedback to the reporter"
        if self.kind.endswith("overdue"):
            return f"Reminder: case {self.ref}: {what} is overdue (it was due {self.due})."
        return f"Reminder: case {self.ref}: {what} is due on {self.due}."


def valid_ref(ref: str) -> bool:
    """Whether `ref` has the shape of a case reference (R- and six code letters): nothing else is ever looked up."""
    return bool(REF.fullmatch(ref))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Message:
    author: str  # "reporter", "reviewer" or "note" (internal, reviewers only)
    at: float  # to the hour
    text: str


@dataclass(frozen=True)
class Case:
    """One case, decrypted: what a reviewer (or the verified reporter) reads."""

    ref: str
    category: str
    urgency: str
    status: CaseStatus
    created_at: float
    outcome: str | None
    body: Mapping[str, str]
    messages: tuple[Message, ...]
    ack_due: str = ""
    feedback_due: str = ""
    assignee: str | None = None
    row: CaseRow | None = None


class CaseBook:
    """The domain side of cases: seals and opens their words, keeps stored times to the hour, hands out
    follow-up sessions; the repositories keep the rows and the state rules."""

    def __init__(self, cases: Cases, reviewers: Reviewers, sealer: Sealer, clock: Callable[[], float] = time.time,
                 ack_days: int = 7, feedback_days: int = 90):
        self.repository, self.reviewers, self.sealer, self.clock = cases, reviewers, sealer, clock
        self.ack_days, self.feedback_days = ack_days, feedback_days

    def today(self) -> str:
        return day_of(self.clock())

    # ---------------------------------------------------------------- reading

    async def cases(self, include_closed: bool = False) -> list[CaseRow]:
        """Open cases (or all), urgent first: nothing decrypted."""
        return await self.repository.listing(include_closed)

    async def case(self, ref: str) -> Case | None:
        """A case with its decrypted words and messages; TamperedError if any ciphertext was altered."""
        sealed = await self.repository.one(ref)
        if sealed is None:
            return None
        row = sealed.case
        body = json.loads(self.sealer.open(ref, sealed.nonce, sealed.ciphertext))
        messages = tuple(Message(m.author, m.at, self.sealer.open(ref, m.nonce, m.ciphertext)) for m in sealed.messages)
        return Case(row.ref, row.category, row.urgency, row.status, row.created_at, row.outcome, body, messages,
                    row.ack_due, row.feedback_due, row.assignee, row)

    async def status(self, ref: str) -> CaseStatus | None:
        return await self.repository.status(ref)

    async def message_counts(self) -> dict[str, int]:
        return await self.repository.message_counts()

    def age(self, created_at: float) -> str:
        hours = max(0, int((self.clock() - created_at) // HOUR))
        return f"{hours // 24} days" if hours >= 48 else f"{hours} hours"

    # ---------------------------------------------------------------- writing

    async def add_message(self, ref: str, author: str, text: str) -> bool:
        """Add a message to an open case (its time kept to the hour); False when the case is closed or gone."""
        nonce, ciphertext = self.sealer.seal(ref, text)
        return await self.repository.add_message(ref, "reporter" if author == "reporter" else "reviewer", hour_of(self.clock()),
                                            nonce, ciphertext)

    async def add_note(self, ref: str, text: str) -> bool:
        """An internal note only reviewers see (the reason of a reopening, say), whatever the case's status."""
        nonce, ciphertext = self.sealer.seal(ref, text)
        return await self.repository.add_note(ref, hour_of(self.clock()), nonce, ciphertext)

    # The case's state rules live in the repository, in SQL: each change names the states it may leave.
    async def acknowledge(self, ref: str) -> bool:
        """new -> acknowledged; False (nothing changed) from any other state."""
        return await self.repository.acknowledge(ref)

    async def start_review(self, ref: str) -> bool:
        """acknowledged -> in_review; False from any other state."""
        return await self.repository.start_review(ref)

    async def assign(self, ref: str, reviewer: str | None) -> bool:
        """Assign an open case (None: to nobody); False when closed, gone, or the reviewer is kept from it."""
        return await self.repository.assign(ref, reviewer)

    async def close(self, ref: str, outcome: str) -> bool:
        """Any open state -> closed with an outcome; False when already closed (closed is final)."""
        return await self.repository.close(ref, outcome, self.clock())

    async def reopen(self, ref: str) -> bool:
        """closed -> in_review, only when asked explicitly (the caller audits it with a reason)."""
        return await self.repository.reopen(ref)

    async def audit(self, reviewer: str, action: str, ref: str, detail: str = "") -> None:
        # A message's audit time is kept to the hour like the message: exact times of reviewers' messages would
        # bracket a reporter's reply between them (the thread's order is known).
        at = hour_of(self.clock()) if action == "message" else self.clock()
        await self.repository.audit(at, reviewer, action, ref, detail)

    async def audit_log(self, ref: str | None = None) -> list[AuditEntry]:
        return await self.repository.audit_log(ref)

    # ---------------------------------------------------------------- reporter follow-up

    async def code_record(self, ref: str) -> CodeRecord | None:
        """The stored code hash and salt of `ref` (None if no such case)."""
        return await self.repository.code_record(ref)

    async def open_session(self, ref: str) -> str:
        """A short-lived token that lets the verified reporter answer without typing the code again. Its expiry
        is stored as the end of an hour (at least 30 minutes away), so it does not tell when the case was opened."""
        token = secrets.token_urlsafe(18)
        await self.repository.open_session(_token_hash(token), ref, hour_of(self.clock() + SESSION_SECONDS) + HOUR)
        return token

    async def session_ref(self, token: str) -> str | None:
        return await self.repository.session_ref(_token_hash(token), self.clock())

    # ---------------------------------------------------------------- reviewers

    async def is_reviewer(self, user_key: str) -> bool:
        return await self.reviewers.is_reviewer(user_key)

    async def roster(self) -> list[Reviewer]:
        """Every reviewer by name: the same list for everyone (the report form offers it)."""
        return await self.reviewers.roster()

    # ---------------------------------------------------------------- conflict of interest

    async def exclude(self, ref: str, reviewer: str, kind: ExclusionKind) -> bool:
        return await self.repository.exclude(ref, reviewer, kind)

    async def is_excluded(self, ref: str, reviewer: str) -> bool:
        return await self.repository.is_excluded(ref, reviewer)

    async def excluded_refs(self, reviewer: str) -> set[str]:
        return await self.repository.excluded_refs(reviewer)

    async def exclusions(self, ref: str) -> dict[str, str]:
        return await self.repository.exclusions(ref)

    # ---------------------------------------------------------------- deadlines

    async def due_reminders(self, now: float | None = None) -> list[Reminder]:
        """The reminders due at `now` (default: the clock) and not yet sent: a deadline within SOON_DAYS days,
        or passed. A case whose deadline has passed gets the overdue one only."""
        today = day_of(self.clock() if now is None else now)
        out = []
        for row in await self.repository.listing():
            for kind, due in pending(row):
                if today > due:
                    out.append(Reminder(row.ref, "ack_overdue" if kind == "ack" else "feedback_overdue", due))
                elif _plus(today, SOON_DAYS) >= due:
                    out.append(Reminder(row.ref, "ack_soon" if kind == "ack" else "feedback_soon", due))
        sent = {(r.ref, kind) for r in out for kind in await self.repository.reminders(r.ref)}
        return [r for r in out if (r.ref, r.kind) not in sent]

    async def claim_reminder(self, reminder: Reminder, now: float | None = None) -> float | None:
        """This process's turn to send `reminder` (the claim's time, to give it back), or None when another
        notifier has it or it was sent; the claim is the row that records it as sent."""
        at = hour_of(self.clock() if now is None else now)
        return at if await self.repository.claim_reminder(reminder.ref, reminder.kind, at) else None

    async def release_reminder(self, reminder: Reminder, at: float) -> None:
        await self.repository.release_reminder(reminder.ref, reminder.kind, at)

    # ---------------------------------------------------------------- notices to reviewers

    async def due_notifications(self) -> list[DueCase]:
        """Cases due to be announced: ref, category, urgency (nothing decrypted)."""
        return await self.repository.due(self.clock())

    async def readable(self, ref: str) -> bool:
        """Whether the case's words and messages decrypt with the configured keys."""
        try:
            return await self.case(ref) is not None
        except TamperedError:
            return False

    async def claim_notice(self, due: DueCase) -> NoticeClaim | None:
        """This process's turn to announce `due`, or None when another notifier has it (or it was announced)."""
        now = self.clock()
        return await self.repository.claim(due, now, hour_of(now + CLAIM_SECONDS) + HOUR)

    async def release_notice(self, claim: NoticeClaim) -> None:
        """A send failed: the case is due again at once (for this notifier or another)."""
        await self.repository.release(claim)

    async def mark_notified(self, ref: str) -> None:
        await self.repository.mark_notified(ref, hour_of(self.clock()))

    # ---------------------------------------------------------------- retention and key rotation

    async def purge(self, days: int) -> int:
        """Delete closed cases (with their messages and sessions) closed more than `days` days ago."""
        now = self.clock()
        return await self.repository.purge(now - days * 86400, now)

    async def rekey(self) -> int:
        """Re-encrypt every report and message with the newest key (after adding it in front of the old one),
        all or nothing: TamperedError (nothing changed) when a record opens with none of the keys. The words are
        opened and sealed again in memory; nothing of them is logged or stored in the clear."""

        def reseal(ref: str, nonce: str, ciphertext: str) -> tuple[str, str]:
            return self.sealer.seal(ref, self.sealer.open(ref, nonce, ciphertext))

        return await self.repository.reseal(reseal)
