"""A bot with the owners' flow on each storage backend, and a conversation helper (say / press / submit)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.messages import Incoming, Reply, incoming_action
from bot.owners import OwnerSettings
from bot.reports.crypto import Sealer
from bot.routes import Bot, build_bot
from bot.storage import Storage
from tests.reports.conftest import log_lines  # noqa: F401  (the JSON log lines, to scan)

UNKNOWN = "What is the weather tomorrow in Berlin?"
ANSWERED = "Can I use the company logo on my personal website?"


@dataclass
class Person:
    bot: Bot
    key: str
    channel: str = "web"
    names: tuple[str, ...] = ()

    async def say(self, text: str) -> list[Reply]:
        return await self.bot.core.handle(Incoming(self.channel, self.key, self.key, text=text, names=self.names))

    async def press(self, action_id: str, value: str = "", **form: str) -> list[Reply]:
        incoming = incoming_action(self.channel, self.key, self.key, action_id, value, form)
        from dataclasses import replace

        return await self.bot.core.handle(replace(incoming, names=self.names))


def button(reply: Reply, action_id: str):
    return next(b for b in reply.card.buttons if b.action_id == action_id)


@pytest.fixture
async def owners_bot(pack, engine, database_url, tmp_path):
    storage = Storage.open(tmp_path / "smpolicy.db", database_url)
    await storage.start()
    bot = build_bot(pack, engine, storage, Sealer(b"k" * 32),
                    owner_settings=OwnerSettings(web_owners=("owner@example.com",)))
    yield bot
    await bot.owners.settle()
    await storage.close()
