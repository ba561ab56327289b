"""Slack wiring: `POST /slack/events` (commands, events, interactivity) and optional Socket Mode.

Over HTTP, `/smpolicy` commands are answered by `handle_http` directly; everything else goes to one Bolt
AsyncApp, which also runs every handler over Socket Mode (see `handle_http` for why).

Every listener acknowledges first; Web API work runs after the ack in tasks the channel keeps
(`spawn`). Event retries are dropped by event id, recorded in SQLite so it holds across restarts.
Any reply that carries a form opens as a modal (`views.open` with the request's trigger_id, used
at once); modal submissions come back as the form's action. Replies meant for one person that
answer a press in a channel go out ephemeral.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import time
from collections.abc import Awaitable
from dataclasses import replace
from typing import Any

import orjson
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp, AsyncAssistant
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from adapters.slack import inbound, render
from adapters.slack.clients import response_hook, web_client
from adapters.slack.directory import active_humans, channel_members, display_names
from adapters.slack.owners import OWNER_ACTIONS, SlackOwners
from adapters.slack.pacing import AdaptivePacer
from adapters.slack.profiles import NamedCore, Profiles
from adapters.slack.surfaces import FOLLOW_UP, PRIVATE_WORDS, SUGGESTED_PROMPTS, without_dialogs
from adapters.slack.threads import ThreadContext
from bot.messages import Incoming, Reply, incoming_action
from bot.reports.review import is_reviewer_action
from bot.routes import Bot
from bot.settings import Settings
from bot.storage import Storage

log = logging.getLogger("smpolicy.slack")
COMMAND = "/smpolicy"
JSON, FORM = "application/json", "application/x-www-form-urlencoded"
HELP_WORDS = {"", "help", "?", "menu"}
MALFORMED = (inbound.PayloadError, KeyError, TypeError, AttributeError, IndexError)
ROSTER_SECONDS = 60  # a reviewer removed from the review channel loses access within a minute (events make it sooner)
ROSTER_RETRY_SECONDS = 10  # a refused reviewer command refreshes the roster at most this often


def _obj(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _first_word(text: str) -> str:
    return text.split(maxsplit=1)[0].lower() if text.strip() else ""


def _form_reply(replies: list[Reply]) -> Reply | None:
    return next((r for r in replies if r.card and r.card.form), None)


class SlackChannel:
    """The Slack edge: inbound payloads to the core, replies back as Block Kit (a `Channel`, adapters/channels.py)."""

    name = "slack"

    def __init__(self, settings: Settings, bot: Bot, storage: Storage):
        self.bot, self.events, self.pack = bot, storage.events, bot.core.pack
        self.reviewers = storage.reviewers
        self.fanout = AdaptivePacer()
        self.client = web_client(settings, self.fanout)
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
        self.tasks: set[asyncio.Task] = set()
        self.threads = ThreadContext()
        self._register()

    # ---------------------------------------------------------------- sending

    def spawn(self, work: Awaitable[None]) -> None:
        """Run Web API work after the ack, keeping a reference so it is neither lost nor collected."""
        task = asyncio.create_task(self._guarded(work))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _guarded(self, work: Awaitable[None]) -> None:
        try:
            await work
        except Exception as exc:  # one bad call must not take the server down; the log says what failed
            log.error("slack follow-up failed", extra={"error": type(exc).__name__}, exc_info=True)

    async def post(self, channel: str, replies: list[Reply], thread_ts: str | None = None, user_id: str | None = None) -> None:
        """Post replies to a channel; private ones go ephemeral to `user_id` outside direct messages."""
        for reply in replies:
            for message in render.messages(reply):
                if reply.private and user_id and not channel.startswith("D"):
                    await self.client.chat_postEphemeral(channel=channel, user=user_id, **message)
                else:
                    await self.client.chat_postMessage(channel=channel, thread_ts=thread_ts, **message)

    async def dm_channel(self, user_id: str) -> str:
        opened = await self.client.conversations_open(users=user_id)
        return opened["channel"]["id"]

    async def open_modal(self, trigger_id: str, reply: Reply) -> None:
        await self.client.views_open(trigger_id=trigger_id, view=render.modal(reply))

    async def show_dialog(self, body: dict, replies: list[Reply]) -> None:
        """Dialog replies of a button press, in a modal: a new one (views.open) from a message, or in the modal
        the press came from (views.push for a form, views.update otherwise)."""
        form = _form_reply(replies)
        notes = " ".join(r.text for r in replies if r is not form)
        view = render.modal(form, note=notes) if form is not None else render.result_view(replies)
        inside = _obj(body.get("view")).get("id") if _obj(body.get("container")).get("type") == "view" else None
        if inside and form is not None:
            await self.client.views_push(trigger_id=body["trigger_id"], view=view)
        elif inside:
            await self.client.views_update(view_id=inside, view=view)
        else:
            await self.client.views_open(trigger_id=body["trigger_id"], view=view)

    # ---------------------------------------------------------------- reviewers

    async def review_ready(self) -> bool:
        return bool(self.review_channel)

    async def notify_reviewers(self, reply: Reply) -> None:
        await self.post(self.review_channel, [replace(reply, private=False)])

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
        channel = await self.dm_channel(user_key.rsplit(":", 1)[1])
        history = await self.client.conversations_history(channel=channel, limit=50, include_all_metadata=True)
        messages: list[dict] = history.get("messages", [])
        return any(((m.get("metadata") or {}).get("event_payload") or {}).get("round") == round_id for m in messages)

    # ---------------------------------------------------------------- listeners

    def _register(self) -> None:
        # process_before_response=True: each listener's ack is the HTTP response, sent as soon as the
        # listener returns; Web API calls go to `spawn`, after the ack (no Bolt ack polling, no copies).
        app = self.app

        def tolerant(listener):
            """A signed payload of an unexpected shape is acknowledged and dropped, never a 500."""
            @functools.wraps(listener)
            async def run(**kwargs):
                try:
                    return await listener(**kwargs)
                except MALFORMED as exc:
                    log.warning("malformed slack payload", extra={"error": type(exc).__name__})
                    await kwargs["ack"]()
            return run

        @app.command(COMMAND)
        @tolerant
        async def command(ack, body):  # over Socket Mode; over HTTP `handle_http` answers commands itself
            await ack(**await self.on_command(body))

        @app.event("message")
        @tolerant
        async def message(ack, body, event):
            await ack()
            if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
                return
            if not await self.events.first_time(str(body.get("event_id") or "")):
                log.info("retried event dropped")
                return
            self.spawn(self.answer_dm(inbound.from_message(body, event), event))

        @app.event("app_mention")
        @tolerant
        async def mention(ack, body, event):
            await ack()
            if event.get("bot_id") or not await self.events.first_time(str(body.get("event_id") or "")):
                return
            self.spawn(self.answer_mention(inbound.from_mention(body, event), event))

        assistant = AsyncAssistant(logger=logging.getLogger("smpolicy.slack.bolt"))

        @assistant.thread_started
        async def assistant_started(body, set_suggested_prompts):
            """The assistant side panel opened: a greeting and the four jobs as suggested prompts."""
            if await self.events.first_time(str(body.get("event_id") or "")):
                thread = body["event"]["assistant_thread"]
                self.spawn(self.greet_assistant(thread["channel_id"], thread["thread_ts"], set_suggested_prompts))

        @assistant.thread_context_changed
        async def assistant_context(body):
            """The person moved to another channel with the panel open: nothing of it is kept."""

        @assistant.user_message
        async def assistant_message(body, payload):
            """A message in an assistant thread: answered in that thread like any direct message."""
            if await self.events.first_time(str(body.get("event_id") or "")):
                self.spawn(self.answer_dm(inbound.from_message(body, payload), payload))

        app.assistant(assistant)

        @app.event("app_home_opened")
        @tolerant
        async def home(ack, body, event):
            await ack()
            if event.get("tab", "home") == "home" and await self.events.first_time(str(body.get("event_id") or "")):
                self.spawn(self.publish_home(str(body.get("team_id") or ""), event["user"]))

        @app.event("member_joined_channel")
        @app.event("member_left_channel")
        @tolerant
        async def roster(ack, event):
            await ack()
            if event.get("channel") == self.review_channel:
                self.spawn(self.sync_reviewers(force=True))
            if self.owners:
                self.spawn(self.owners.on_roster_event(event))

        @app.action(re.compile(r".+"))
        @tolerant
        async def action(ack, body):
            await ack()
            incoming = inbound.from_block_action(body)
            if is_reviewer_action(incoming.action_id):
                await self.check_reviewer(incoming.user_key)
            elif self.owners and incoming.action_id in OWNER_ACTIONS:
                await self.owners.check(incoming.user_key)
            self.spawn(self.answer_action(incoming, body))

        @app.shortcut("smpolicy.report")
        @tolerant
        async def shortcut(ack, body):
            await ack()
            incoming = incoming_action("slack", inbound.user_key(str((body.get("team") or {}).get("id") or ""), body["user"]["id"]),
                                       "", "report.open")
            form = _form_reply(await self.core.handle(incoming))
            if form:
                self.spawn(self.open_modal(body["trigger_id"], form))

        @app.shortcut("smpolicy.check")
        @tolerant
        async def check_message(ack, body):
            """The message shortcut "Check against the guidelines": the verdict, privately, to whoever asked."""
            await ack()
            text = str((body.get("message") or {}).get("text") or "")
            incoming = Incoming(channel="slack", user_key=inbound.user_key(str((body.get("team") or {}).get("id") or ""), body["user"]["id"]),
                                conversation_key=str((body.get("channel") or {}).get("id") or ""), text=f"check: {text}")
            replies = without_dialogs(await self.core.handle(incoming))
            self.spawn(self.respond_all(body.get("response_url"), [m for r in replies for m in render.messages(r)]))

        @app.view(render.FORM_CALLBACK)
        @tolerant
        async def form_submitted(ack, body):
            incoming = inbound.from_view_submission(body)
            if is_reviewer_action(incoming.action_id):
                await self.check_reviewer(incoming.user_key)  # a reviewer removed meanwhile is refused here too
            elif self.owners and incoming.action_id in OWNER_ACTIONS:
                await self.owners.check(incoming.user_key)  # so is an owner
            replies = await self.core.handle(incoming)
            errors = next((r.field_errors for r in replies if r.field_errors), ())
            form = _form_reply(replies)
            if errors:
                await ack(response_action="errors", errors=dict(errors))
            elif form is not None:
                note = " ".join(r.text for r in replies if r is not form)
                await ack(response_action="update", view=render.modal(form, note=note))
            else:
                await ack(response_action="update", view=render.result_view(replies))

        @app.error
        async def on_error(error, body):
            log.error("slack listener failed", extra={"error": type(error).__name__})

    # ---------------------------------------------------------------- work after the ack

    async def on_command(self, body: dict) -> dict:
        """`/smpolicy ...`: the acknowledgement's fields (the answer itself, so it arrives with the ack);
        anything slower (a DM quiz, a modal, the rest of a long answer) is spawned to run after it."""
        incoming = inbound.from_command(body)
        word = _first_word(incoming.text)
        if word == "quiz" and len(incoming.text.split()) == 1:
            self.spawn(self.dm_quiz(incoming, body["user_id"]))
            return {"text": "I've sent you a quiz in our direct messages."}
        if word in ("reports", "cases"):
            await self.check_reviewer(incoming.user_key)
        replies = await self.core.handle(replace(incoming, text="help") if word in HELP_WORDS else incoming)
        form = _form_reply(replies)
        if form is not None:
            self.spawn(self.open_modal(body["trigger_id"], form))
            return {}
        replies = without_dialogs(replies)
        if not replies:
            return {}
        messages = [m for r in replies for m in render.messages(r)]
        if len(messages) > 1:
            self.spawn(self.respond_all(body.get("response_url"), messages[1:]))
        return {"response_type": "ephemeral", **messages[0]}

    async def respond_all(self, response_url: str | None, messages: list[dict]) -> None:
        """Ephemeral follow-ups through the request's response_url, retried on 429, connection and server errors."""
        if not response_url:
            log.warning("slack follow-up dropped: no response_url")
            return
        hook = response_hook(response_url, self.client.timeout)
        for message in messages:
            await hook.send(response_type="ephemeral", replace_original=False, **message)

    async def dm_quiz(self, incoming: Incoming, user_id: str) -> None:
        channel = await self.dm_channel(user_id)
        await self.post(channel, without_dialogs(await self.core.handle(replace(incoming, conversation_key=channel, text="quiz"))))

    async def answer_dm(self, incoming: Incoming, event: dict) -> None:
        replies = without_dialogs(await self.core.handle(incoming))
        await self.post(event["channel"], replies, thread_ts=event.get("thread_ts") or event.get("ts"))

    async def answer_mention(self, incoming: Incoming, event: dict) -> None:
        """A mention in a channel, answered in the message's thread (in public, as the question was). A follow-up
        mention in that thread that the guidelines can't place on its own is answered with the thread's first
        question as context. Reports, cases and quizzes stay out of channels: they go to the direct messages."""
        channel, thread = event["channel"], event.get("thread_ts") or event["ts"]
        if _first_word(incoming.text) in PRIVATE_WORDS:
            text = "I do that in our direct messages, where only you can see it: open the app's Messages tab and say it there."
            await self.post(channel, [Reply(text)], thread_ts=thread)
            return
        topic = self.threads.topic(channel, thread)
        if topic and FOLLOW_UP.match(incoming.text):
            # "and on TikTok?", "what if it's after the launch?": the new detail, read with the thread's question.
            replies = await self.core.handle(replace(incoming, text=f"{topic} {incoming.text}"))
        else:
            replies = await self.core.handle(incoming if incoming.text else replace(incoming, text="help"))
            if topic and any(r.card and r.card.badge == "unknown" for r in replies):
                replies = await self.core.handle(replace(incoming, text=f"{topic} {incoming.text}"))
        if incoming.text:
            self.threads.remember(channel, thread, incoming.text)
        public = [replace(r, private=False) for r in without_dialogs(replies)]
        await self.post(channel, public, thread_ts=thread)

    async def greet_assistant(self, channel: str, thread: str, set_suggested_prompts) -> None:
        await set_suggested_prompts(prompts=SUGGESTED_PROMPTS, title="What can I help you with?")
        await self.post(channel, [Reply("Hi! Ask me whether you may post something, paste a draft to check it, "
                                        "report a concern anonymously or take a quick quiz.")], thread_ts=thread)

    async def publish_home(self, team_id: str, user_id: str) -> None:
        [reply] = await self.core.handle(incoming_action("slack", inbound.user_key(team_id, user_id), "", "home.open"))
        card = reply.card
        assert card is not None  # home.open always answers with a card
        await self.client.views_publish(user_id=user_id, view=render.home_view(card.body, card.fields[0][1], list(card.buttons)))

    async def answer_action(self, incoming: Incoming, body: dict) -> None:
        replies = await self.core.handle(incoming)
        dialogs = [r for r in replies if r.dialog or (r.card and r.card.form)]
        if dialogs:
            await self.show_dialog(body, dialogs)
            replies = [r for r in replies if r not in dialogs]
        if not replies:
            return
        container = body.get("container") or {}
        if container.get("is_ephemeral") and body.get("response_url"):
            await self.respond_all(body["response_url"], [m for r in replies for m in render.messages(r)])
            return
        channel = incoming.conversation_key or await self.dm_channel(body["user"]["id"])
        await self.post(channel, replies, user_id=body["user"]["id"])

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
            ack = await self.on_command(fields)
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
            self.spawn(self.sync_reviewers(force=True))
        if self.owners:
            self.spawn(self.owners.sync(force=True))

    async def _finish_tasks(self, _app: web.Application) -> None:
        """On shutdown, let follow-up work already acknowledged finish (bounded)."""
        if self.tasks:
            await asyncio.wait(list(self.tasks), timeout=10)

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
