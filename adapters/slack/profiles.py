"""People's names from their Slack profile (users.info), into `Incoming.names` so that the scrubber removes
them from any words kept for the policy owners. Memory only, bounded, an hour at most; never logged.

Profiles are looked up for questions only (see `NamedCore.named`). A slash command never waits for users.info:
it carries the person's user name, and a profile not yet cached is fetched after the answer for the next time.
A direct message or mention waits for it, briefly, the first time a person asks in an hour.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from dataclasses import replace
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.surfaces import PRIVATE_WORDS
from bot.messages import Incoming, Reply

log = logging.getLogger("smpolicy.slack")
PROFILE_SECONDS = 3600
PROFILES = 10_000
RETRY_SECONDS = 60  # a failed users.info is tried again after this
WAIT_SECONDS = 1.0  # users.info slower than this: the message goes on with the names it has


def profile_names(user: dict) -> tuple[str, ...]:
    """Display name, real name and user name of a users.info `user`, each once."""
    profile = user.get("profile")
    profile = profile if isinstance(profile, dict) else {}
    found = [profile.get("display_name"), profile.get("real_name"), user.get("real_name"), user.get("name")]
    out: list[str] = []
    for name in found:
        if isinstance(name, str) and name.strip() and name.strip() not in out:
            out.append(name.strip())
    return tuple(out)


class Profiles:
    """users.info by user id, cached (names only)."""

    def __init__(self, client: AsyncWebClient, clock=time.monotonic):
        self.client, self.clock = client, clock
        self._cache: OrderedDict[str, tuple[float, tuple[str, ...]]] = OrderedDict()
        self._fetching: dict[str, asyncio.Task] = {}

    def cached(self, user_id: str) -> tuple[str, ...] | None:
        hit = self._cache.get(user_id)
        if hit is None or hit[0] < self.clock() - PROFILE_SECONDS:
            return None
        return hit[1]

    async def names(self, user_id: str) -> tuple[str, ...]:
        cached = self.cached(user_id)
        if cached is not None:
            return cached
        task = self._fetching.get(user_id) or self._fetch(user_id)
        try:
            return await asyncio.wait_for(asyncio.shield(task), WAIT_SECONDS)
        except TimeoutError:
            return ()

    def prefetch(self, user_id: str) -> None:
        if self.cached(user_id) is None and user_id not in self._fetching:
            self._fetch(user_id)

    def _fetch(self, user_id: str) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(self._lookup(user_id))
        self._fetching[user_id] = task
        task.add_done_callback(lambda _t: self._fetching.pop(user_id, None))
        return task

    async def _lookup(self, user_id: str) -> tuple[str, ...]:
        try:
            response = await self.client.users_info(user=user_id)
            user = response.get("user")
            names = profile_names(user) if isinstance(user, dict) else ()
        except Exception as exc:  # no names is the same as a profile without any: the scrubber still runs
            log.warning("slack profile not read", extra={"error": type(exc).__name__})
            self._keep(user_id, (), self.clock() - PROFILE_SECONDS + RETRY_SECONDS)  # tried again in a minute
            return ()
        self._keep(user_id, names, self.clock())
        return names

    def _keep(self, user_id: str, names: tuple[str, ...], at: float) -> None:
        self._cache[user_id] = (at, names)
        self._cache.move_to_end(user_id)
        while len(self._cache) > PROFILES:
            self._cache.popitem(last=False)


class NamedCore:
    """The core as the Slack edge calls it: each Slack message or action gets the person's profile names."""

    def __init__(self, core: Any, profiles: Profiles):
        self.core, self.profiles = core, profiles
        self.pack = core.pack

    def __getattr__(self, name: str) -> Any:
        return getattr(self.core, name)

    async def handle(self, incoming: Incoming) -> list[Reply]:
        return await self.core.handle(await self.named(incoming))

    async def named(self, incoming: Incoming) -> Incoming:
        """`incoming` with the person's names: cached ones always; users.info only for a question (a message
        that is not a report, case or quiz word), never for an action. So no profile is looked up when someone
        reports, follows up or asks the owners anonymously (its time would say who), and none from a report's
        words; the names an anonymous "Ask the owners" scrubs are those cached when the person asked."""
        user_id = incoming.user_key.rsplit(":", 1)[-1]
        if incoming.channel != "slack" or not user_id:
            return incoming
        cached = self.profiles.cached(user_id)
        if cached is None:
            words = incoming.text.split(maxsplit=1)
            if incoming.action_id or not words or words[0].lower() in PRIVATE_WORDS:
                return incoming
            if incoming.names:  # a slash command: its user name now, the profile for next time
                self.profiles.prefetch(user_id)
                return incoming
            cached = await self.profiles.names(user_id)
        merged = tuple(dict.fromkeys((*incoming.names, *cached)))
        return replace(incoming, names=merged) if merged != incoming.names else incoming
