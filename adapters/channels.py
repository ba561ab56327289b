"""The Channel seam: what every chat platform the bot serves provides, and which ones are enabled.

    mount(app)                       routes, start-up and shutdown work on the aiohttp app
    review_ready()                   whether a reviewers' destination is configured
    notify_reviewers(reply)          post a (bare) review notice there
    quiz_people()                    the weekly quiz audience, as user keys
    deliver_quiz(user_key, reply, round_id)   send one person the round's invitation
    confirm_quiz(user_key, round_id) did that invitation arrive? (True, False, or None: the channel cannot tell)

`create_app` loops over `enabled(settings, bot, storage)`; a third channel is one folder of `adapters/` and one
line in `CHANNELS`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Protocol

from aiohttp import web

from bot.messages import Reply
from bot.routes import Bot
from bot.settings import Settings
from bot.storage import Storage


class Channel(Protocol):
    """A chat platform's edge, as the composition root, the notifier and the quiz scheduler use it."""

    name: str

    def mount(self, app: web.Application) -> None: ...

    async def review_ready(self) -> bool: ...

    async def notify_reviewers(self, reply: Reply) -> None: ...

    async def quiz_people(self) -> list[str]: ...

    async def deliver_quiz(self, user_key: str, reply: Reply, round_id: str) -> None: ...

    async def confirm_quiz(self, user_key: str, round_id: str) -> bool | None: ...


# name, "module:class", whether the settings turn it on (Teams only by intent: an app id, or the loopback emulator).
CHANNELS: list[tuple[str, str, Callable[[Settings], bool]]] = [
    ("slack", "adapters.slack.app:SlackChannel", lambda s: s.slack_enabled),
    ("teams", "adapters.teams.app:TeamsChannel", lambda s: s.teams_enabled),
]


def enabled(settings: Settings, bot: Bot, storage: Storage) -> list[Channel]:
    """The channels these settings turn on, built (their SDKs are imported only when enabled)."""
    out: list[Channel] = []
    for _, where, wanted in CHANNELS:
        if wanted(settings):
            module, _, cls = where.partition(":")
            out.append(getattr(importlib.import_module(module), cls)(settings, bot, storage))
    return out
