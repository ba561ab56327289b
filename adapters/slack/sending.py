"""Web API output: messages, ephemeral answers, modals and response_url follow-ups, and the work after the ack.

Every listener acknowledges first; Web API work runs after the ack in tasks kept here (`spawn`), so none is lost
or collected and shutdown can wait for them. Replies meant for one person that answer a press in a channel go out
ephemeral. A dialog reply opens in a modal: a new one from a message, or in the modal the press came from.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import render
from adapters.slack.clients import response_hook
from bot.messages import Reply

log = logging.getLogger("smpolicy.slack")


def _obj(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def form_reply(replies: list[Reply]) -> Reply | None:
    """The first reply that carries a form (it opens as a modal), if any."""
    return next((r for r in replies if r.card and r.card.form), None)


class Sender:
    """Everything the Slack channel sends, through the one Web API client."""

    def __init__(self, client: AsyncWebClient):
        self.client = client
        self.tasks: set[asyncio.Task] = set()

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

    async def finish(self, timeout: float) -> None:
        """Let the work already acknowledged finish (at most `timeout` seconds)."""
        if self.tasks:
            await asyncio.wait(list(self.tasks), timeout=timeout)

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
        form = form_reply(replies)
        notes = " ".join(r.text for r in replies if r is not form)
        view = render.modal(form, note=notes) if form is not None else render.result_view(replies)
        inside = _obj(body.get("view")).get("id") if _obj(body.get("container")).get("type") == "view" else None
        if inside and form is not None:
            await self.client.views_push(trigger_id=body["trigger_id"], view=view)
        elif inside:
            await self.client.views_update(view_id=inside, view=view)
        else:
            await self.client.views_open(trigger_id=body["trigger_id"], view=view)

    async def respond_all(self, response_url: str | None, messages: list[dict]) -> None:
        """Ephemeral follow-ups through the request's response_url, retried on 429, connection and server errors."""
        if not response_url:
            log.warning("slack follow-up dropped: no response_url")
            return
        hook = response_hook(response_url, self.client.timeout)
        for message in messages:
            await hook.send(response_type="ephemeral", replace_original=False, **message)
