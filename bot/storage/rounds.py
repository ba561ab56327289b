"""Weekly quiz rounds: the rounds started, the send log (one row per person and round: who claimed the
invitation, and whether it went), and who opted out of the invitations.

A claim is a write whose row count decides who sends, so two senders never both send one person:
- a person without a row: `INSERT ... ON CONFLICT DO NOTHING` (`claim`);
- a pending row (failed, or left in 'sending' by a sender that stopped): a conditional update that only takes
  the row as the caller saw it (`retake`). On PostgreSQL it picks the row with `FOR UPDATE SKIP LOCKED`, so a
  row another replica is claiming at that moment is skipped at once instead of waited for; SQLite has one
  writer at a time, and its plain conditional update is the same claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast

from bot.storage.database import Database, Row

SendState = Literal["sending", "sent", "failed"]
SEND_STATES: tuple[SendState, ...] = ("sending", "sent", "failed")


@dataclass(frozen=True)
class Send:
    """One person's row of a round's send log. `owner` is the lease holder that claimed it ('' for rows
    written before owners were kept)."""

    round_id: str
    user_key: str
    state: SendState
    channel: str
    at: float
    owner: str


def _send(row: Row) -> Send:
    state = row["state"]
    if state not in SEND_STATES:
        raise ValueError(f"unknown send state {state!r}")
    return Send(row["round_id"], row["user_key"], cast(SendState, state), row["channel"] or "", float(row["at"] or 0.0),
                row["owner"] or "")


SEND_COLUMNS = "round_id, user_key, state, channel, at, owner"


class RoundLog:
    def __init__(self, db: Database):
        self.db = db

    # ---------------------------------------------------------------- rounds

    async def start(self, round_id: str, now: float) -> bool:
        """Record that `round_id` started (once: a second start keeps the first time); whether this call did."""
        return await self.db.execute("INSERT INTO quiz_rounds (round_id, started_at) VALUES (?, ?) ON CONFLICT (round_id) DO NOTHING",
                                     [round_id, now]) == 1

    async def finish(self, round_id: str, now: float) -> None:
        await self.db.execute("UPDATE quiz_rounds SET finished_at = ? WHERE round_id = ?", [now, round_id])

    async def unfinished(self) -> list[str]:
        """Rounds started and not finished, oldest first."""
        rows = await self.db.fetchall("SELECT round_id FROM quiz_rounds WHERE finished_at IS NULL ORDER BY started_at, round_id")
        return [r["round_id"] for r in rows]

    # ---------------------------------------------------------------- the send log

    async def sends(self, round_id: str) -> dict[str, Send]:
        """The round's send log, by person."""
        rows = await self.db.fetchall(f"SELECT {SEND_COLUMNS} FROM quiz_sends WHERE round_id = ?", [round_id])
        return {r["user_key"]: _send(r) for r in rows}

    async def send(self, round_id: str, user_key: str) -> Send | None:
        row = await self.db.fetchone(f"SELECT {SEND_COLUMNS} FROM quiz_sends WHERE round_id = ? AND user_key = ?", [round_id, user_key])
        return _send(row) if row else None

    async def claim(self, round_id: str, user_key: str, channel: str, owner: str, now: float) -> bool:
        """Claim a person who has no row yet: one insert, and whoever's insert lands sends."""
        return await self.db.execute(
            "INSERT INTO quiz_sends (round_id, user_key, state, channel, at, owner) VALUES (?, ?, 'sending', ?, ?, ?) "
            "ON CONFLICT (round_id, user_key) DO NOTHING", [round_id, user_key, channel, now, owner]) == 1

    async def retake(self, seen: Send, owner: str, now: float) -> bool:
        """Claim a pending row (failed, or a stopped sender's 'sending') for `owner`, only if it is still as `seen`:
        same state, same owner. False when someone else changed or is claiming it."""
        if seen.state == "sent":
            return False
        where = "round_id = ? AND user_key = ? AND state = ? AND COALESCE(owner, '') = ?"
        params = [seen.round_id, seen.user_key, seen.state, seen.owner]
        if self.db.dialect == "postgresql":
            sql = (f"UPDATE quiz_sends SET state = 'sending', owner = ?, at = ? WHERE (round_id, user_key) IN "
                   f"(SELECT round_id, user_key FROM quiz_sends WHERE {where} FOR UPDATE SKIP LOCKED)")
        else:
            sql = f"UPDATE quiz_sends SET state = 'sending', owner = ?, at = ? WHERE {where}"
        return await self.db.execute(sql, [owner, now, *params]) == 1

    async def mark(self, round_id: str, user_key: str, owner: str, state: SendState, now: float) -> bool:
        """Record how `owner`'s claim ended ('sent' or 'failed'); nothing when the claim is no longer theirs
        (another sender took it over). Whether it was recorded."""
        return await self.db.execute("UPDATE quiz_sends SET state = ?, at = ? WHERE round_id = ? AND user_key = ? AND owner = ?",
                                     [state, now, round_id, user_key, owner]) == 1

    # ---------------------------------------------------------------- opting out

    async def opt_out(self, user_key: str, now: float) -> None:
        await self.db.execute("INSERT INTO quiz_optout (user_key, at) VALUES (?, ?) ON CONFLICT (user_key) DO UPDATE SET at = excluded.at",
                              [user_key, now])

    async def opt_in(self, user_key: str) -> None:
        await self.db.execute("DELETE FROM quiz_optout WHERE user_key = ?", [user_key])

    async def opted_out(self, user_key: str) -> bool:
        return await self.db.fetchone("SELECT 1 AS out FROM quiz_optout WHERE user_key = ?", [user_key]) is not None
