"""Teams conversation references, for proactive quiz prompts only. A report never uses them: it keeps no
route back to whoever filed it."""

from __future__ import annotations

import time
from dataclasses import dataclass

from bot.storage.database import Database


@dataclass(frozen=True)
class Reference:
    user_key: str
    tenant_id: str
    reference: str  # the serialized ConversationReference (JSON)


class References:
    def __init__(self, db: Database):
        self.db = db

    async def save(self, user_key: str, tenant_id: str, reference: str) -> None:
        await self.db.execute(
            "INSERT INTO teams_references (user_key, tenant_id, reference, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (user_key) DO UPDATE SET tenant_id = excluded.tenant_id, reference = excluded.reference, "
            "updated_at = excluded.updated_at", [user_key, tenant_id, reference, time.time()])

    async def get(self, user_key: str) -> Reference | None:
        row = await self.db.fetchone("SELECT user_key, tenant_id, reference FROM teams_references WHERE user_key = ?", [user_key])
        return Reference(row["user_key"], row["tenant_id"] or "", row["reference"]) if row else None

    async def people(self) -> list[str]:
        """Everyone with a stored reference (they installed the app), in a stable order."""
        return [r["user_key"] for r in await self.db.fetchall("SELECT user_key FROM teams_references ORDER BY user_key")]
