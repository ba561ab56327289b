"""Slack wiring: the `SlackChannel` (a `Channel`, adapters/channels.py), `POST /slack/events` (commands, events,
interactivity) and optional Socket Mode, the review channel's roster and the weekly quiz's audience.

Over HTTP, `/smpolicy` commands are answered by `handle_http` directly; everything else goes to one Bolt
AsyncApp, which also runs every handler over Socket Mode (see `handle_http` for why). Its listeners are in
chat.py (commands, messages, mentions, the assistant panel, App Home) and interactive.py (presses, shortcuts,
modal submissions); what they send goes through sending.py, after the ack.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from typing import Any

import orjson
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from adapters.slack import inbound, render
from adapters.slack.chat import COMMAND, Chat
from adapters.slack.clients import web_client
from adapters.slack.directory import active_humans, channel_members, display_names
from adapters.slack.inbound import MALFORMED, tolerant
from adapters.slack.interactive import Interactive
from adapters.slack.owners import OWNER_ACTIONS, SlackOwners
from adapters.slack.pacing import AdaptivePacer
from adapters.slack.profiles import NamedCore, Profiles
from adapters.slack.sending import Sender
from bot.messages import Incoming, Reply
from bot.reports.review import is_reviewer_action
from bot.routes import Bot
from bot.settings import Settings
from bot.storage import Storage

log = logging.getLogger("smpolicy.slack")
JSON, FORM = "application/json", "application/x-www-form-urlencoded"
ROSTER_SECONDS = 60  # a reviewer removed from the review channel loses access within a minute (events make it sooner)
ROSTER_RETRY_SECONDS = 10  # a refused reviewer command refreshes the roster at most this often


class SlackChannel:
    """The Slack edge: inbound payloads to the core, replies back as Block Kit (a `Channel`, adapters/channels.py)."""

    name = "slack"

    def __init__(self, settings: Settings, bot: Bot, storage: Storage):
        self.bot, self.events, self.pack = bot, storage.events, bot.core.pack
        self.reviewers = storage.reviewers
        self.fanout = AdaptivePacer()
        self.client = web_client(settings, self.fanout)
        self.send = Sender(self.client)
        self.core = NamedCore(bot.core, Profiles(self.client))  # profile names, for the scrubber (adapters/slack/profiles.py)
        self.owners = SlackOwners(self, settings.slack_owners_channel, bot.owners) if settings.slack_owners_channel else None
        if self.owners:
            self.owners.attach()
        self.review_channel = settings.slack_review_channel
        self.quiz_channel = settings.slack_quiz_channel
        # Built-in middleware for a feature this bot doesn't use (workflow functions) is off.
        self.app = AsyncApp(client=self.client, signing_secret=settings.slack_signing_secret, process_before_response=True,
                            attaching_function_token_enabled=False, logger=logging.getLogger("smpolicy.slack.bolt"))
        self.verifier = SignatureVerifier(settings.slack_signing_secret)
        self.app_token = settings.slack_app_token
        self._socket: Any = None  # slack_bolt's AsyncSocketModeHandler, imported only with an app token
        self._team_id = ""
        self._roster_at = 0.0
        self._roster_lock = asyncio.Lock()
        self._named: set[str] = set()  # the members whose names were last read (read again when the channel changes)
        self.chat = Chat(self.core, self.send, self.events, self.check_reviewer)
        self.interactive = Interactive(self.core, self.send, self.check_roles)
        self._register()

    def _register(self) -> None:
        app = self.app
        self.chat.register(app)

        @app.event("member_joined_channel")
        @app.event("member_left_channel")
        @tolerant
        async def roster(ack, event):
            await ack()
            if event.get("channel") == self.review_channel:
                self.send.spawn(self.sync_reviewers(force=True))
            if self.owners:
                self.send.spawn(self.owners.on_roster_event(event))

        self.interactive.register(app)

        @app.error
        async def on_error(error, body):
            log.error("slack listener failed", extra={"error": type(error).__name__})

    # ---------------------------------------------------------------- reviewers

    async def review_ready(self) -> bool:
        return bool(self.review_channel)

    async def notify_reviewers(self, reply: Reply) -> None:
        await self.send.post(self.review_channel, [replace(reply, private=False)])

    async def check_roles(self, incoming: Incoming) -> None:
        """Before a press or submission: a fresh enough roster of whoever may do it (reviewers, owners)."""
        if is_reviewer_action(incoming.action_id):
            await self.check_reviewer(incoming.user_key)
        elif self.owners and incoming.action_id in OWNER_ACTIONS:
            await self.owners.check(incoming.user_key)

    async def check_reviewer(self, user_key: str) -> None:
        """Before a reviewer command: a roster at most a minute old, and a fresh one (at most every 10 s) when
        this person is not on it, so that someone just added to the review channel is not refused."""
        await self.sync_reviewers()
        if self.review_channel and time.monotonic() - self._roster_at >= ROSTER_RETRY_SECONDS and not await self.reviewers.is_reviewer(user_key):
            await self.sync_reviewers(force=True)

    async def sync_reviewers(self, force: bool = False) -> None:
        """The reviewers are the members of the review channel: refresh the roster (at most every minute unless forced).
        One refresh at a time: a reviewer command that arrives while one runs (a leave event's) waits for its roster."""
        async with self._roster_lock:
            if not self.review_channel or (not force and time.monotonic() - self._roster_at < ROSTER_SECONDS):
                return
            if not self._team_id:
                self._team_id = (await self.client.auth_test())["team_id"]
            members = await channel_members(self.client, self.review_channel)
            names = await display_names(self.client, members) if set(members) != self._named else {}
            self._named = set(members)
            await self.reviewers.set_reviewers("slack", [inbound.user_key(self._team_id, m) for m in members],
                                               {inbound.user_key(self._team_id, m): n for m, n in names.items()})
            self._roster_at = time.monotonic()

    # ---------------------------------------------------------------- weekly quiz rounds

    async def quiz_people(self) -> list[str]:
        """Active humans of the workspace (users.list without bots, deleted users and Slackbot), or the
        members of SMPOLICY_SLACK_QUIZ_CHANNEL among them when it is set."""
        if not self._team_id:
            self._team_id = (await self.client.auth_test())["team_id"]
        humans = await active_humans(self.client)
        if self.quiz_channel:
            members = set(await channel_members(self.client, self.quiz_channel))
            humans = [h for h in humans if h in members]
        return [inbound.user_key(self._team_id, h) for h in humans]

    async def deliver_quiz(self, user_key: str, reply: Reply, round_id: str) -> None:
        """The invitation in the person's DM with the app (posting to a user id opens it), tagged with the
        round in message metadata so a resumed round can tell whether it arrived."""
        user_id = user_key.rsplit(":", 1)[1]
        metadata = {"event_type": "smpolicy_quiz_round", "event_payload": {"round": round_id}}
        for message in render.messages(reply):
            await self.fanout.slot()
            await self.client.chat_postMessage(channel=user_id, metadata=metadata, **message)
            self.fanout.success()

    async def confirm_quiz(self, user_key: str, round_id: str) -> bool:
        """Whether this round's invitation is already in the person's DM."""
        channel = await self.send.dm_channel(user_key.rsplit(":", 1)[1])
        history = await self.client.conversations_history(channel=channel, limit=50, include_all_metadata=True)
        messages: list[dict] = history.get("messages", [])
        return any(((m.get("metadata") or {}).get("event_payload") or {}).get("round") == round_id for m in messages)

    # ---------------------------------------------------------------- HTTP and lifecycle

    async def handle_http(self, request: web.Request) -> web.Response:
        """`POST /slack/events`. Signed `/smpolicy` commands are answered here; events, interactivity,
        url_verification and ssl_check go to Bolt (which answers 401 to a bad or stale signature).

        Why commands skip Bolt: its per-request work (parsing, middleware, a Web API client and context,
        kwargs injection) was 3/4 of a command's cost, and its form parser drops any command whose text
        contains the word "payload". The signature check is slack_sdk's `SignatureVerifier`, the one
        Bolt uses, and the answer is `on_command`, the same function the Bolt listener (Socket Mode) calls."""
        if request.content_type not in (JSON, FORM):
            return web.json_response({"error": "unsupported content type"}, status=415)
        try:
            text = (await request.read()).decode("utf-8")
            if request.content_type == FORM and not text.startswith("{"):
                fields = inbound.form_fields(text)
                if fields.get("command") == COMMAND and "payload" not in fields and "ssl_check" not in fields:
                    return await self._command_http(request, text, fields)
            bolt_response = await self.app.async_dispatch(AsyncBoltRequest(body=text, query=request.query_string,
                                                                           headers=request.headers))  # type: ignore[arg-type]
        except (ValueError, KeyError, TypeError, AttributeError, IndexError, UnicodeDecodeError) as exc:
            # Bolt parses before it verifies: odd shapes (a list where an object belongs) raise here.
            log.warning("malformed slack request", extra={"error": type(exc).__name__})
            return web.json_response({"error": "malformed request"}, status=400)
        if bolt_response.status >= 500:
            # Bolt answers 500 when reading a verified payload of an odd shape fails inside its dispatch
            # (say, a string where `view` should be an object): that is the sender's mistake, not ours.
            log.warning("slack request could not be processed", extra={"status": bolt_response.status})
            return web.json_response({"error": "request could not be processed"}, status=400)
        return await to_aiohttp_response(bolt_response)

    async def _command_http(self, request: web.Request, text: str, fields: dict[str, str]) -> web.Response:
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        if not timestamp.isdigit() or not self.verifier.is_valid(text, timestamp, request.headers.get("X-Slack-Signature")):
            return web.json_response({"error": "invalid request"}, status=401)  # Bolt's answer, word for word
        try:
            ack = await self.chat.on_command(fields)
        except MALFORMED as exc:  # signed, but not the shape Slack documents: acknowledged and dropped
            log.warning("malformed slack payload", extra={"error": type(exc).__name__})
            ack = {}
        # orjson: the answer's Block Kit is most of the response, and json.dumps was a tenth of a command's cost.
        return web.Response(body=orjson.dumps(ack), content_type=JSON) if ack else web.Response(status=200)

    def mount(self, app: web.Application) -> None:
        app.router.add_post("/slack/events", self.handle_http)
        app.on_startup.append(self._start)
        app.on_shutdown.append(self._finish_tasks)
        if self.app_token:
            app.on_startup.append(self._start_socket_mode)
            app.on_cleanup.append(self._stop_socket_mode)

    async def _start(self, _app: web.Application) -> None:
        if self.review_channel:
            self.send.spawn(self.sync_reviewers(force=True))
        if self.owners:
            self.send.spawn(self.owners.sync(force=True))

    async def _finish_tasks(self, _app: web.Application) -> None:
        """On shutdown, let follow-up work already acknowledged finish (bounded)."""
        await self.send.finish(timeout=10)

    async def _start_socket_mode(self, _app: web.Application) -> None:
        from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

        self._socket = AsyncSocketModeHandler(self.app, self.app_token)

        async def connect() -> None:
            try:
                await self._socket.connect_async()
                log.info("slack socket mode connected")
            except Exception as exc:  # a network problem must not stop the HTTP server
                log.error("slack socket mode could not connect", extra={"error": type(exc).__name__})

        self._connect_task = asyncio.create_task(connect())

    async def _stop_socket_mode(self, _app: web.Application) -> None:
        if self._socket is not None:
            await self._socket.close_async()
