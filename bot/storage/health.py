"""What /healthz asks the database."""

from __future__ import annotations

from bot.storage.database import Database
from bot.storage.errors import StoreError


class Health:
    def __init__(self, db: Database):
        self.db = db

    async def writable(self) -> bool:
        """Whether a write commits right now. It writes a counter, not a time: a probe's exact time in the WAL
        would bracket whatever was written around it."""
        try:
            await self.db.execute("INSERT INTO health (id, at) VALUES (1, 0) ON CONFLICT (id) DO UPDATE SET at = health.at + 1")
            return True
        except (StoreError, OSError):
            return False
