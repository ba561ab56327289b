"""A case's state rules, in SQL: the `MOVES` table and the changes reviewers make to a case's state and assignee.

Each change names the states it may leave, and the row count says whether it happened, so two reviewers (or two
replicas) pressing at once change a case once, and a stale button changes nothing.

    new ──acknowledge──▶ acknowledged ──start review──▶ in_review ──close (outcome)──▶ closed ──reopen──▶ in_review
     └──────────────────────────────close────────────────────────────────┘

Every move is one `UPDATE ... WHERE status IN (...)` built from `MOVES` below: the only place the rules are.
Part of the `Cases` repository (bot/storage/cases.py).
"""

from __future__ import annotations

from typing import Literal

from bot.storage.database import Database

CaseStatus = Literal["new", "acknowledged", "in_review", "closed"]
STATUSES: tuple[CaseStatus, ...] = ("new", "acknowledged", "in_review", "closed")
OPEN_STATUSES: tuple[CaseStatus, ...] = ("new", "acknowledged", "in_review")
Move = Literal["acknowledge", "review", "close", "reopen"]
# The case's state rules, all of them: a move's allowed starting states and where it leads.
MOVES: dict[Move, tuple[tuple[CaseStatus, ...], CaseStatus]] = {
    "acknowledge": (("new",), "acknowledged"),
    "review": (("acknowledged",), "in_review"),
    "close": (OPEN_STATUSES, "closed"),
    "reopen": (("closed",), "in_review"),
}


class CaseStates:
    """The state changes of the `Cases` repository (it provides `db`)."""

    db: Database

    async def move(self, ref: str, move: Move, outcome: str | None = None, at: float | None = None) -> bool:
        """Move a case by the rules in MOVES: True when it moved, False (nothing changed) when it was in no state
        the move may leave (a stale button, a second Close, two reviewers at once). Closing sets the outcome and
        time; reopening clears them."""
        starts, target = MOVES[move]
        marks = ", ".join("?" for _ in starts)
        extra, params = "", []
        if target == "closed":
            extra, params = ", outcome = ?, closed_at = ?", [outcome, at]
        elif move == "reopen":
            extra = ", outcome = NULL, closed_at = NULL"
        return await self.db.execute(f"UPDATE reports SET status = ?{extra} WHERE ref = ? AND status IN ({marks})",
                                     [target, *params, ref, *starts]) == 1

    async def acknowledge(self, ref: str) -> bool:
        """new -> acknowledged."""
        return await self.move(ref, "acknowledge")

    async def start_review(self, ref: str) -> bool:
        """acknowledged -> in_review."""
        return await self.move(ref, "review")

    async def close(self, ref: str, outcome: str, at: float) -> bool:
        """Any open state -> closed with an outcome; False when already closed (closed is final)."""
        return await self.move(ref, "close", outcome, at)

    async def reopen(self, ref: str) -> bool:
        """closed -> in_review, only when asked explicitly (the caller audits it with a reason)."""
        return await self.move(ref, "reopen")

    async def assign(self, ref: str, reviewer: str | None) -> bool:
        """Assign an open case to a reviewer (None: to nobody); never to one kept from it."""
        return await self.db.execute(
            "UPDATE reports SET assignee = ? WHERE ref = ? AND status IN ('new', 'acknowledged', 'in_review') "
            "AND NOT EXISTS (SELECT 1 FROM case_exclusions e WHERE e.ref = reports.ref AND e.reviewer = ?)",
            [reviewer, ref, reviewer or ""]) == 1
