"""Platform event ids already handled, so a retried delivery is answered once, across restarts and replicas."""

from __future__ import annotations

import time

from bot.storage.database import Database
from bot.storage.errors import DuplicateError


class Events:
    def __init__(self, db: Database):
        self.db = db

    async def first_time(self, event_id: str) -> bool:
        """Record a platform event id; False when it was seen before (a retry, or another replica got it first).
        The time is kept to the hour: it only decides when the id is forgotten."""
        now = time.time()
        try:
            await self.db.execute("INSERT INTO seen_events (event_id, at) VALUES (?, ?)", [event_id, now - now % 3600])
        except DuplicateError:
            return False
        return True

    async def forget(self, older_than: float) -> int:
        """Drop ids recorded before `older_than` (Slack retries within minutes: a day is plenty)."""
        return await self.db.execute("DELETE FROM seen_events WHERE at < ?", [older_than])
