"""The reviewers' group per platform (kept by each channel from its review channel or team) and where each
platform's review notices go. Reviewers are named (their actions are audited); reporters never are."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

from bot.storage.database import Database


@dataclass(frozen=True)
class Reviewer:
    key: str
    name: str  # as the platform shows them (the key's id when it gave no name)
    platform: str


def _fallback(key: str) -> str:
    return key.rsplit(":", 1)[-1]


class Reviewers:
    def __init__(self, db: Database):
        self.db = db

    async def is_reviewer(self, user_key: str) -> bool:
        return await self.db.fetchone("SELECT 1 AS yes FROM reviewers WHERE user_key = ?", [user_key]) is not None

    async def members(self, platform: str) -> list[str]:
        """The reviewers of one platform, in a stable order."""
        rows = await self.db.fetchall("SELECT user_key FROM reviewers WHERE platform = ? ORDER BY user_key", [platform])
        return [r["user_key"] for r in rows]

    async def roster(self) -> list[Reviewer]:
        """Every reviewer of every platform, by name: the same list whoever asks."""
        rows = await self.db.fetchall("SELECT user_key, name, platform FROM reviewers")
        people = [Reviewer(r["user_key"], r["name"] or _fallback(r["user_key"]), r["platform"]) for r in rows]
        return sorted(people, key=lambda r: (r.name.casefold(), r.key))

    async def set_reviewers(self, platform: str, user_keys: list[str], names: Mapping[str, str] | None = None) -> None:
        """Replace a platform's reviewers by `user_keys`, in one transaction. Two replicas replacing the same
        roster at once take turns (an advisory lock on PostgreSQL, the write lock on SQLite), so the last roster
        wins whole: someone removed never survives as the union of two. An unchanged roster (the usual refresh)
        writes nothing."""
        keys = list(dict.fromkeys(user_keys))
        names = {k: v[:80] for k, v in (names or {}).items() if v}
        rows = await self.db.fetchall("SELECT user_key, name FROM reviewers WHERE platform = ?", [platform])
        if set(keys) == {r["user_key"] for r in rows} and all(r["name"] == names.get(r["user_key"], r["name"]) for r in rows):
            return
        now = time.time()
        async with self.db.transaction() as tx:
            if self.db.dialect == "postgresql":
                await tx.execute("SELECT pg_advisory_xact_lock(hashtext(?))", [f"smpolicy:reviewers:{platform}"])
            await tx.execute("DELETE FROM reviewers WHERE platform = ?", [platform])
            if keys:
                await tx.executemany(
                    "INSERT INTO reviewers (user_key, platform, updated_at, name) VALUES (?, ?, ?, ?) ON CONFLICT (user_key) DO UPDATE "
                    "SET platform = excluded.platform, updated_at = excluded.updated_at, name = excluded.name",
                    [[key, platform, now, names.get(key)] for key in keys])

    async def set_destination(self, platform: str, target: str) -> None:
        """Where the platform's review notices go (the Teams reviewers' channel reference, say)."""
        await self.db.execute(
            "INSERT INTO destinations (platform, target, updated_at) VALUES (?, ?, ?) ON CONFLICT (platform) DO UPDATE "
            "SET target = excluded.target, updated_at = excluded.updated_at", [platform, target, time.time()])

    async def destination(self, platform: str) -> str | None:
        row = await self.db.fetchone("SELECT target FROM destinations WHERE platform = ?", [platform])
        return row["target"] if row else None
