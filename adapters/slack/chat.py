"""Commands and messages: `/smpolicy ...`, direct messages, mentions in channels, the assistant panel and the
App Home tab, each answered through the core after the ack.

A slash command's answer is its acknowledgement (`on_command`: over HTTP `SlackChannel.handle_http` calls it
without Bolt, over Socket Mode the Bolt listener does). Event retries are dropped by event id, recorded in the
database (`Events.first_time`) so it holds across restarts and replicas.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace

from slack_bolt.async_app import AsyncApp, AsyncAssistant

from adapters.slack import inbound, render
from adapters.slack.inbound import tolerant
from adapters.slack.profiles import NamedCore
from adapters.slack.sending import Sender, form_reply
from adapters.slack.surfaces import FOLLOW_UP, PRIVATE_WORDS, SUGGESTED_PROMPTS, without_dialogs
from adapters.slack.threads import ThreadContext
from bot.messages import Incoming, Reply, incoming_action
from bot.storage.events import Events

log = logging.getLogger("smpolicy.slack")
COMMAND = "/smpolicy"
HELP_WORDS = {"", "help", "?", "menu"}


def _first_word(text: str) -> str:
    return text.split(maxsplit=1)[0].lower() if text.strip() else ""


class Chat:
    """The listeners for what people type (commands, messages, mentions) and the conversations' own surfaces."""

    def __init__(self, core: NamedCore, send: Sender, events: Events, check_reviewer: Callable[[str], Awaitable[None]]):
        self.core, self.send, self.events, self.check_reviewer = core, send, events, check_reviewer
        self.threads = ThreadContext()

    def register(self, app: AsyncApp) -> None:
        # process_before_response=True: each listener's ack is the HTTP response, sent as soon as the
        # listener returns; Web API calls go to `spawn`, after the ack (no Bolt ack polling, no copies).
        spawn = self.send.spawn

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
            spawn(self.answer_dm(inbound.from_message(body, event), event))

        @app.event("app_mention")
        @tolerant
        async def mention(ack, body, event):
            await ack()
            if event.get("bot_id") or not await self.events.first_time(str(body.get("event_id") or "")):
                return
            spawn(self.answer_mention(inbound.from_mention(body, event), event))

        assistant = AsyncAssistant(logger=logging.getLogger("smpolicy.slack.bolt"))

        @assistant.thread_started
        async def assistant_started(body, set_suggested_prompts):
            """The assistant side panel opened: a greeting and the four jobs as suggested prompts."""
            if await self.events.first_time(str(body.get("event_id") or "")):
                thread = body["event"]["assistant_thread"]
                spawn(self.greet_assistant(thread["channel_id"], thread["thread_ts"], set_suggested_prompts))

        @assistant.thread_context_changed
        async def assistant_context(body):
            """The person moved to another channel with the panel open: nothing of it is kept."""

        @assistant.user_message
        async def assistant_message(body, payload):
            """A message in an assistant thread: answered in that thread like any direct message."""
            if await self.events.first_time(str(body.get("event_id") or "")):
                spawn(self.answer_dm(inbound.from_message(body, payload), payload))

        app.assistant(assistant)

        @app.event("app_home_opened")
        @tolerant
        async def home(ack, body, event):
            await ack()
            if event.get("tab", "home") == "home" and await self.events.first_time(str(body.get("event_id") or "")):
                spawn(self.publish_home(str(body.get("team_id") or ""), event["user"]))

    # ---------------------------------------------------------------- work after the ack

    async def on_command(self, body: dict) -> dict:
        """`/smpolicy ...`: the acknowledgement's fields (the answer itself, so it arrives with the ack);
        anything slower (a DM quiz, a modal, the rest of a long answer) is spawned to run after it."""
        incoming = inbound.from_command(body)
        word = _first_word(incoming.text)
        if word == "quiz" and len(incoming.text.split()) == 1:
            self.send.spawn(self.dm_quiz(incoming, body["user_id"]))
            return {"text": "I've sent you a quiz in our direct messages."}
        if word in ("reports", "cases"):
            await self.check_reviewer(incoming.user_key)
        replies = await self.core.handle(replace(incoming, text="help") if word in HELP_WORDS else incoming)
        form = form_reply(replies)
        if form is not None:
            self.send.spawn(self.send.open_modal(body["trigger_id"], form))
            return {}
        replies = without_dialogs(replies)
        if not replies:
            return {}
        messages = [m for r in replies for m in render.messages(r)]
        if len(messages) > 1:
            self.send.spawn(self.send.respond_all(body.get("response_url"), messages[1:]))
        return {"response_type": "ephemeral", **messages[0]}

    async def dm_quiz(self, incoming: Incoming, user_id: str) -> None:
        channel = await self.send.dm_channel(user_id)
        await self.send.post(channel, without_dialogs(await self.core.handle(replace(incoming, conversation_key=channel, text="quiz"))))

    async def answer_dm(self, incoming: Incoming, event: dict) -> None:
        replies = without_dialogs(await self.core.handle(incoming))
        await self.send.post(event["channel"], replies, thread_ts=event.get("thread_ts") or event.get("ts"))

    async def answer_mention(self, incoming: Incoming, event: dict) -> None:
        """A mention in a channel, answered in the message's thread (in public, as the question was). A follow-up
        mention in that thread that the guidelines can't place on its own is answered with the thread's first
        question as context. Reports, cases and quizzes stay out of channels: they go to the direct messages."""
        channel, thread = event["channel"], event.get("thread_ts") or event["ts"]
        if _first_word(incoming.text) in PRIVATE_WORDS:
            text = "I do that in our direct messages, where only you can see it: open the app's Messages tab and say it there."
            await self.send.post(channel, [Reply(text)], thread_ts=thread)
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
        await self.send.post(channel, public, thread_ts=thread)

    async def greet_assistant(self, channel: str, thread: str, set_suggested_prompts) -> None:
        await set_suggested_prompts(prompts=SUGGESTED_PROMPTS, title="What can I help you with?")
        await self.send.post(channel, [Reply("Hi! Ask me whether you may post something, paste a draft to check it, "
                                             "report a concern anonymously or take a quick quiz.")], thread_ts=thread)

    async def publish_home(self, team_id: str, user_id: str) -> None:
        [reply] = await self.core.handle(incoming_action("slack", inbound.user_key(team_id, user_id), "", "home.open"))
        card = reply.card
        assert card is not None  # home.open always answers with a card
        await self.send.client.views_publish(user_id=user_id, view=render.home_view(card.body, card.fields[0][1], list(card.buttons)))
