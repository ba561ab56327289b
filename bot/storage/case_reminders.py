"""What the notifier (adapters/notifier.py) sends reviewers about cases: the notice of each new case, and the
reminders of its deadlines (the due dates are fixed at filing; bot/reports/cases.py says which are near or past).

Several `smpolicy serve` processes may notify from one database: each notice and each reminder
is claimed with one statement, so exactly one of them sends it, and a failed send gives the claim back for the
next tick. Part of the `Cases` repository (bot/storage/cases.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.storage.database import Database

ReminderKind = Literal["ack_soon", "ack_overdue", "feedback_soon", "feedback_overdue"]


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


class CaseReminders:
    """The notices and reminders of the `Cases` repository (it provides `db`)."""

    db: Database

    # ---------------------------------------------------------------- notices of new cases

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

    # ---------------------------------------------------------------- deadline reminders

    async def claim_reminder(self, ref: str, kind: ReminderKind, at: float) -> bool:
        """This process's turn to send the `kind` reminder of `ref`: one INSERT, so of several notifiers on one
        database (and across restarts) exactly one ever gets it; False when it was claimed (or sent) already."""
        return await self.db.execute("INSERT INTO case_reminders (ref, kind, at) VALUES (?, ?, ?) ON CONFLICT (ref, kind) DO NOTHING",
                                     [ref, kind, at]) == 1

    async def release_reminder(self, ref: str, kind: ReminderKind, at: float) -> None:
        """A reminder's send failed everywhere: give the claim back so the next tick tries again."""
        await self.db.execute("DELETE FROM case_reminders WHERE ref = ? AND kind = ? AND at = ?", [ref, kind, at])

    async def reminders(self, ref: str) -> list[str]:
        """The kinds of reminder sent for a case."""
        return [r["kind"] for r in await self.db.fetchall("SELECT kind FROM case_reminders WHERE ref = ? ORDER BY kind", [ref])]
