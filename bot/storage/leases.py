"""Lease rows: who holds a named job (sending a round) until when. The rules of taking one over (a holder on
this machine that died) are in bot/leases.py; this module only keeps the rows, with conditional writes so two
holders never both succeed."""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage.database import Database, Row


@dataclass(frozen=True)
class Lease:
    name: str
    holder: str
    expires_at: float


def _from_row(row: Row) -> Lease:
    return Lease(row["name"], row["holder"] or "", float(row["expires_at"] or 0.0))


class LeaseTable:
    def __init__(self, db: Database):
        self.db = db

    async def get(self, name: str) -> Lease | None:
        """The row of `name` as stored, expired or not."""
        row = await self.db.fetchone("SELECT name, holder, expires_at FROM leases WHERE name = ?", [name])
        return _from_row(row) if row else None

    async def take(self, name: str, holder: str, now: float, until: float) -> bool:
        """Take `name` for `holder` until `until`, in one statement: it succeeds when there is no row, when the
        row ran out before `now`, or when `holder` already has it (a renewal). False while someone else holds it."""
        return await self.db.execute(
            "INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
            "holder = excluded.holder, expires_at = excluded.expires_at "
            "WHERE leases.expires_at < ? OR leases.holder = excluded.holder",
            [name, holder, until, now]) == 1

    async def release(self, name: str, holder: str) -> bool:
        """Delete `name` if `holder` has it (never someone else's); whether a row went."""
        return await self.db.execute("DELETE FROM leases WHERE name = ? AND holder = ?", [name, holder]) == 1

    async def release_all(self, holder: str) -> list[str]:
        """Delete every lease `holder` has (a process shutting down); the names released."""
        rows = await self.db.fetchall("DELETE FROM leases WHERE holder = ? RETURNING name", [holder])
        return sorted(r["name"] for r in rows)
