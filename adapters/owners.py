"""The owners' loop at the edge: the console's routes, the daily retention of kept question words, and the
answer events flushed at shutdown. `create_app` calls `mount`; channels add their own announcers and
deliverers to `bot.owners` (Slack: the owners' channel and DMs; Teams: proactive messages)."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from adapters.background import Background
from adapters.web import console
from adapters.web.identity import WebIdentity
from bot.owners import OwnersDesk
from bot.settings import Settings

log = logging.getLogger("smpolicy.owners")
DAY = 86400


class Retention(Background):
    """Once at start and then daily: the words of questions older than SMPOLICY_QUESTION_RETENTION_DAYS go."""

    def __init__(self, owners: OwnersDesk, interval: float = DAY):
        super().__init__(self.run)
        self.owners, self.interval = owners, interval

    async def run(self) -> None:
        while True:
            try:
                cleared = await self.owners.forget_old()
                if cleared:
                    log.info("old question words deleted", extra={"count": cleared})
            except Exception as exc:
                log.error("question retention failed", extra={"error": type(exc).__name__})
            await asyncio.sleep(self.interval)


def mount(app: web.Application, owners: OwnersDesk, identity: WebIdentity, settings: Settings) -> None:
    app.add_routes(console.routes(owners, identity, settings.owners))
    retention = Retention(owners)
    app.on_startup.append(retention.start)

    async def finish(_app: web.Application) -> None:
        await retention.stop()
        await owners.settle()  # queued answer events are written before the database closes

    app.on_shutdown.append(finish)
