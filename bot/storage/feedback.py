"""Helpful / not helpful presses on answers (the topic only: never who pressed)."""

from __future__ import annotations

import time

from bot.storage.database import Database


class Feedback:
    def __init__(self, db: Database):
        self.db = db

    async def record(self, topic: str, helpful: bool) -> None:
        await self.db.execute("INSERT INTO feedback (topic, helpful, at) VALUES (?, ?, ?)", [topic[:100], int(helpful), time.time()])
