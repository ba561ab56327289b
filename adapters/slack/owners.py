"""The policy owners on Slack: the owners' channel (SMPOLICY_SLACK_OWNERS_CHANNEL) gets a bare notice of each
question asked of them, its members are the owners (roster at most a minute old, as the review channel's), and
an owner's answer reaches a person who asked by name in their direct messages with the app.

    question ──▶ notice in the owners' channel [Answer] ──▶ modal (views.open) ──▶ owners.reply
                                                                                     │ asked by name
                                                  the asker's DM (conversations.open) ◀┘
    anonymous: nothing goes to the person; they read the answer with their one-time code (/smpolicy my question)

Only the user id of a named asker is used to reach them (it is stored with a named question anyway); an
anonymous question has no route to anyone.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from adapters.slack import inbound
from adapters.slack.directory import channel_members
from bot.messages import Reply
from bot.owners import Delivery, OwnersDesk

if TYPE_CHECKING:
    from adapters.slack.app import SlackChannel

OWNER_ACTIONS = frozenset({"owners.open", "owners.reply"})
ROSTER_SECONDS = 60  # an owner removed from the owners' channel can't answer within a minute (events make it sooner)
ROSTER_RETRY_SECONDS = 10  # a refused press refreshes the roster at most this often


class SlackOwners:
    """The owners' channel of one workspace, wired into the owners' desk (announcer and deliverer)."""

    def __init__(self, channel: SlackChannel, owners_channel: str, desk: OwnersDesk):
        self.slack, self.owners_channel, self.desk = channel, owners_channel, desk
        self._roster_at = 0.0
        self._lock = asyncio.Lock()

    def attach(self) -> None:
        self.desk.announcers.append(self.announce)
        self.desk.deliverers["slack"] = self.deliver

    async def announce(self, notice: Reply) -> None:
        await self.slack.send.post(self.owners_channel, [replace(notice, private=False)])

    async def deliver(self, delivery: Delivery) -> None:
        """An answer to a question asked by name, in the asker's DM with the app."""
        user_id = delivery.user_key.rsplit(":", 1)[1]
        await self.slack.send.post(await self.slack.send.dm_channel(user_id), [replace(delivery.reply, private=False)])

    async def sync(self, force: bool = False) -> None:
        """The owners are the members of the owners' channel: refresh (at most every minute unless forced)."""
        async with self._lock:
            if not force and time.monotonic() - self._roster_at < ROSTER_SECONDS:
                return
            if not self.slack._team_id:
                self.slack._team_id = (await self.slack.client.auth_test())["team_id"]
            members = await channel_members(self.slack.client, self.owners_channel)
            self.desk.set_owners("slack", [inbound.user_key(self.slack._team_id, m) for m in members])
            self._roster_at = time.monotonic()

    async def check(self, user_key: str) -> None:
        """Before an owner's press or submission: a roster at most a minute old, and a fresh one (at most every
        10 s) for someone not on it, so that an owner just added to the channel is not refused."""
        await self.sync()
        if time.monotonic() - self._roster_at >= ROSTER_RETRY_SECONDS and not self.desk.is_owner(user_key):
            await self.sync(force=True)

    async def on_roster_event(self, event: dict) -> None:
        if event.get("channel") == self.owners_channel:
            await self.sync(force=True)
