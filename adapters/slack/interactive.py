"""Interactive payloads: button presses (block actions), the shortcuts, and modal submissions.

Any reply that carries a form opens as a modal (`views.open` with the request's trigger_id, used at once); a
modal submission comes back as the form's action, and its acknowledgement is the answer: field errors, the next
form, or the result in the same modal. A press or submission of a reviewer's or an owner's action first
refreshes that roster (`check_roles`), so someone removed meanwhile is refused.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from slack_bolt.async_app import AsyncApp

from adapters.slack import inbound, render
from adapters.slack.inbound import tolerant
from adapters.slack.profiles import NamedCore
from adapters.slack.sending import Sender, form_reply
from adapters.slack.surfaces import without_dialogs
from bot.messages import Incoming, incoming_action


class Interactive:
    """The listeners for presses, shortcuts and modal submissions, and the answers to a press."""

    def __init__(self, core: NamedCore, send: Sender, check_roles: Callable[[Incoming], Awaitable[None]]):
        self.core, self.send, self.check_roles = core, send, check_roles

    def register(self, app: AsyncApp) -> None:
        spawn = self.send.spawn

        @app.action(re.compile(r".+"))
        @tolerant
        async def action(ack, body):
            await ack()
            incoming = inbound.from_block_action(body)
            await self.check_roles(incoming)
            spawn(self.answer_action(incoming, body))

        @app.shortcut("smpolicy.report")
        @tolerant
        async def shortcut(ack, body):
            await ack()
            incoming = incoming_action("slack", inbound.user_key(str((body.get("team") or {}).get("id") or ""), body["user"]["id"]),
                                       "", "report.open")
            form = form_reply(await self.core.handle(incoming))
            if form:
                spawn(self.send.open_modal(body["trigger_id"], form))

        @app.shortcut("smpolicy.check")
        @tolerant
        async def check_message(ack, body):
            """The message shortcut "Check against the guidelines": the verdict, privately, to whoever asked."""
            await ack()
            text = str((body.get("message") or {}).get("text") or "")
            incoming = Incoming(channel="slack", user_key=inbound.user_key(str((body.get("team") or {}).get("id") or ""), body["user"]["id"]),
                                conversation_key=str((body.get("channel") or {}).get("id") or ""), text=f"check: {text}")
            replies = without_dialogs(await self.core.handle(incoming))
            spawn(self.send.respond_all(body.get("response_url"), [m for r in replies for m in render.messages(r)]))

        @app.view(render.FORM_CALLBACK)
        @tolerant
        async def form_submitted(ack, body):
            incoming = inbound.from_view_submission(body)
            await self.check_roles(incoming)  # a reviewer (or owner) removed meanwhile is refused here too
            replies = await self.core.handle(incoming)
            errors = next((r.field_errors for r in replies if r.field_errors), ())
            form = form_reply(replies)
            if errors:
                await ack(response_action="errors", errors=dict(errors))
            elif form is not None:
                note = " ".join(r.text for r in replies if r is not form)
                await ack(response_action="update", view=render.modal(form, note=note))
            else:
                await ack(response_action="update", view=render.result_view(replies))

    async def answer_action(self, incoming: Incoming, body: dict) -> None:
        """A press answered after the ack: dialog replies in a modal, the rest in the chat (ephemeral in place of
        an ephemeral message, else in the channel or the person's DM)."""
        replies = await self.core.handle(incoming)
        dialogs = [r for r in replies if r.dialog or (r.card and r.card.form)]
        if dialogs:
            await self.send.show_dialog(body, dialogs)
            replies = [r for r in replies if r not in dialogs]
        if not replies:
            return
        container = body.get("container") or {}
        if container.get("is_ephemeral") and body.get("response_url"):
            await self.send.respond_all(body["response_url"], [m for r in replies for m in render.messages(r)])
            return
        channel = incoming.conversation_key or await self.send.dm_channel(body["user"]["id"])
        await self.send.post(channel, replies, user_id=body["user"]["id"])
