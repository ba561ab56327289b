"""CloudAdapter wiring on `POST /api/messages`, a TeamsActivityHandler with dialogs (task modules), proactive
sends through stored conversation references.

Mounted by intent only (adapters/server.py): with a MicrosoftAppId every activity needs a valid Bot Framework
token (a missing, malformed or forged one gets 401); with SMPOLICY_TEAMS_EMULATOR=on and no app id the
endpoint is unauthenticated, so `serve` keeps it on a loopback host and it accepts only activities whose
serviceUrl is a loopback URL (403 otherwise): the bot never sends anything to an address a request names.

What must stay out of chat history (report forms and confirmations, case views and their forms) is shown
only in dialogs: a button marked `dialog` opens one (task/fetch), its cards submit into it (task/submit),
and a reply marked `dialog` is never sent as a chat message (render.activity refuses it). Typed words that
lead to such a reply (`report`, `case`) get a small card whose button opens the dialog.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from http import HTTPStatus
from urllib.parse import urlsplit

from aiohttp import web
from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity, Attachment, ConversationReference
from botbuilder.schema.teams import (
    TaskModuleContinueResponse,
    TaskModuleMessageResponse,
    TaskModuleRequest,
    TaskModuleResponse,
    TaskModuleTaskInfo,
)

from adapters.teams import inbound, render
from adapters.teams.owners import OWNER_ACTIONS, OWNERS_HERE, TeamsOwners
from adapters.teams.sending import Pacer, with_retry
from bot.core import help_reply
from bot.messages import Button, Card, Incoming, Reply
from bot.reports.review import is_reviewer_action
from bot.routes import Bot as CoreBot
from bot.settings import Settings
from bot.storage import Storage

log = logging.getLogger("smpolicy.teams")
HANDLED = ("message", "conversationUpdate", "invoke")
REVIEWERS_HERE = re.compile(r"reviewers here\s*[.!]?", re.I)  # fullmatch on the stripped text: linear
# Actions that only show a form (no change): the only ones a dialog may run again to show its form with errors.
# (`teams.say` re-sends the words typed in the chat, e.g. "case"; a reviewer's words refresh the roster first, and
# `owners.open`, the owner's answer form, refreshes the owners' roster first.)
FORM_OPENERS = frozenset({"report.open", "case.lookup", "case.write", "case.close", "case.reopen", "owners.open", "teams.say"})
# The launcher's button label, by the action the dialog's form submits.
LAUNCH_LABELS = {"report.submit": "Report a concern", "case.verify": "Open your case", "owners.check": "Read the owners' answer"}
LAUNCH_NOTE = "This opens in a dialog: what you enter and what it shows stay out of this chat's history."
STALE_FORM = ("This form is out of date and nothing was sent. Forms now open in a dialog, so that nothing about a "
              "report stays in the chat history: say \"help\" to start again.")


class _BotConfig:
    """The attribute names ConfigurationBotFrameworkAuthentication reads."""

    def __init__(self, settings: Settings):
        self.APP_ID = settings.teams_app_id
        self.APP_PASSWORD = settings.teams_app_password
        self.APP_TYPE = settings.teams_app_type
        self.APP_TENANTID = settings.teams_tenant_id


def _task(dialog: render.Dialog) -> TaskModuleResponse:
    """A render.Dialog as the task module response Teams documents: continue (a card) or message."""
    if dialog.card is None:
        return TaskModuleResponse(task=TaskModuleMessageResponse(value=dialog.message))
    card = Attachment(content_type=render.CARD_TYPE, content=dialog.card)
    return TaskModuleResponse(task=TaskModuleContinueResponse(
        value=TaskModuleTaskInfo(title=dialog.title, height=dialog.size, width=dialog.size, card=card)))


class TeamsChannel(TeamsActivityHandler):
    """The Teams edge: botbuilder's TeamsActivityHandler; nothing of botbuilder leaks out of this folder."""

    name = "teams"

    def __init__(self, settings: Settings, bot: CoreBot, storage: Storage):
        super().__init__()
        self.bot, self.core, self.references, self.reviewers = bot, bot.core, storage.references, storage.reviewers
        self.admins = set(settings.teams_admins)
        self.app_id = settings.teams_app_id
        # With an app id every activity that reaches the handler carried a valid token (CloudAdapter checks it,
        # including that the token's serviceurl claim is the activity's). Without one, emulator mode: loopback only.
        self.authenticated = bool(self.app_id)
        if not self.authenticated:
            log.warning("teams endpoint runs without authentication (SMPOLICY_TEAMS_EMULATOR=on): loopback only, "
                        "for the Bot Framework Emulator and tests")
        self.adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(_BotConfig(settings)))
        self.adapter.on_turn_error = self._on_turn_error
        self.per_conversation = Pacer(7)
        self.per_tenant = Pacer(30)
        self.owners = TeamsOwners(self, bot.owners)  # `owners here`, the owners' notices and answers (adapters/teams/owners.py)
        self.owners.attach()

    # ---------------------------------------------------------------- trust

    def trusted(self, activity: dict) -> bool:
        """Whether an activity may be answered, store a conversation reference, fetch a roster or choose the
        reviewers: authenticated, or (emulator mode) naming a loopback serviceUrl."""
        return self.authenticated or inbound.loopback_url(activity.get("serviceUrl"))

    def may_send_to(self, service_url: object) -> bool:
        """Whether a stored reference's serviceUrl may get a proactive send: loopback, or with authentication an
        https URL (the Bot Framework's services are https; a token is only ever sent over https)."""
        if inbound.loopback_url(service_url):
            return True
        return self.authenticated and isinstance(service_url, str) and service_url.lower().startswith("https://")

    def is_admin(self, activity: dict) -> bool:
        """Whether a trusted activity comes from an administrator listed in SMPOLICY_TEAMS_ADMINS (who choose the
        reviewers' and the owners' channels)."""
        return self.trusted(activity) and ((activity.get("from") or {}).get("aadObjectId") or "") in self.admins

    # ---------------------------------------------------------------- inbound

    async def on_turn(self, turn_context: TurnContext) -> None:
        if not self.trusted(turn_context.activity.serialize()):  # handle_http refuses these first; kept as a second line
            log.warning("teams activity refused: untrusted serviceUrl")
            return
        await super().on_turn(turn_context)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity.serialize()
        incoming = inbound.to_incoming(activity)
        if incoming.kind == "message" and REVIEWERS_HERE.fullmatch(incoming.text.strip()):
            replies = [await self.make_reviewers_channel(turn_context, activity)]
        elif incoming.kind == "message" and OWNERS_HERE.fullmatch(incoming.text.strip()):
            replies = [await self.owners.make_channel(turn_context, activity)]
        elif incoming.form:
            # Forms are shown only in dialogs; one submitted from a chat card is an old card (or forged): run nothing.
            replies = [Reply(STALE_FORM, private=True)]
        else:
            replies = self.in_chat(incoming, await self._handle(turn_context, activity, incoming))
        if inbound.is_personal(activity):
            # Owners' answers to this person's named questions that no proactive message brought (no stored reference).
            replies += await self.bot.owners.inbox(incoming.user_key)
        await self.send(turn_context, replies)

    def in_chat(self, incoming: Incoming, replies: list[Reply]) -> list[Reply]:
        """What of a chat turn's replies may be a chat message: all but the dialog ones, which are replaced by
        one small card whose button opens them in a dialog (the same words or action, run again there)."""
        chat = [r for r in replies if not r.dialog]
        dialog = [r for r in replies if r.dialog]
        if dialog:
            submits = [r.card.submit.action_id for r in dialog if r.card and r.card.submit]
            label = LAUNCH_LABELS.get(submits[0] if submits else "", "Open in a dialog")
            if incoming.kind == "message":
                button = Button(label, inbound.SAY, incoming.text, "primary", dialog=True)
            else:
                button = Button(label, incoming.action_id, incoming.value, "primary", dialog=True)
            chat.append(Reply(f"{label}: {LAUNCH_NOTE}", Card(title=label, body=LAUNCH_NOTE, buttons=(button,)), private=True))
        return chat

    @staticmethod
    def _reviewer_intent(incoming: Incoming) -> bool:
        action = incoming.action_id
        return incoming.text.lower() in ("reports", "cases") or is_reviewer_action(action)

    async def _handle(self, turn_context: TurnContext, activity: dict, incoming: Incoming) -> list[Reply]:
        """The core's answer, with the review roster refreshed first for anything a reviewer does, and the owners'
        roster for an owner's Answer press or answer."""
        if self._reviewer_intent(incoming):
            await self.refresh_roster(turn_context, activity)
        if incoming.action_id in OWNER_ACTIONS:
            await self.owners.refresh(turn_context, activity)
        return await self.core.handle(incoming)

    async def on_conversation_update_activity(self, turn_context: TurnContext) -> None:
        # Handled here rather than by TeamsActivityHandler's members-added dispatch, which asks the connector
        # for every added member: the bot needs only "was it me" and "is this the review (or owners') team".
        activity = turn_context.activity.serialize()
        team = inbound.team_of(activity)
        if team and team == await self._review_team():
            await self.refresh_roster(turn_context, activity)
        if team and team == await self.owners.team():
            await self.owners.refresh(turn_context, activity)
        if inbound.bot_was_added(activity) and not team:
            await self.remember(turn_context, activity)
            await self.send(turn_context, [help_reply()])

    # ---------------------------------------------------------------- dialogs (task modules)

    @staticmethod
    def _create_invoke_response(body: object = None) -> InvokeResponse:
        # botbuilder 4.17's ActivityHandler serializes the body here and the aiohttp CloudAdapter serializes it
        # again (msrest then fails on the dict, and every task module response would be lost): keep the model,
        # the adapter serializes it once.
        return InvokeResponse(status=int(HTTPStatus.OK), body=body)

    async def on_teams_task_module_fetch(self, turn_context: TurnContext, task_module_request: TaskModuleRequest) -> TaskModuleResponse:
        """A button marked `dialog` was pressed: open the dialog with what the core answers."""
        return _task(await self.dialog_turn(turn_context))

    async def on_teams_task_module_submit(self, turn_context: TurnContext, task_module_request: TaskModuleRequest) -> TaskModuleResponse:
        """A dialog's card was submitted: show the next card in the dialog, or a message that closes it."""
        return _task(await self.dialog_turn(turn_context))

    async def dialog_turn(self, turn_context: TurnContext) -> render.Dialog:
        """Run the core with the dialog's data (action, value, inputs) and show every reply in the dialog.

        A card shown in a dialog carries in its submit data the action that produced it (`opener`) when that
        action had no inputs: when a submitted form comes back with field errors only, the opener runs again
        and the form is shown again, filled in with what was submitted and the errors beside the fields."""
        activity = turn_context.activity.serialize()
        data = inbound.dialog_data(activity)
        incoming = inbound.from_data(activity, data)
        if incoming is None:
            return render.Dialog(message="This button is out of date. Say \"help\" to start again.")
        replies = await self._handle(turn_context, activity, incoming)
        given = data.get("opener") if isinstance(data.get("opener"), dict) else {}
        rerun = {"action_id": given.get("action_id"), "value": given.get("value")} if given else None
        opener = None if incoming.form else {"action_id": str(data["action_id"]), "value": incoming.text if incoming.kind == "message" else incoming.value}
        errors = {name for r in replies for name, _ in r.field_errors}
        if errors and rerun and rerun["action_id"] in FORM_OPENERS and not any(r.card for r in replies):
            again = inbound.from_data(activity, rerun)
            if again is not None and not again.form:
                for reply in await self._handle(turn_context, activity, again):
                    if reply.card and errors <= {f.name for f in reply.card.form}:
                        return render.dialog(replies, rerun, form_again=reply.card, values=incoming.form_dict())
        return render.dialog(replies, opener)

    # ---------------------------------------------------------------- sending

    async def remember(self, turn_context: TurnContext, activity: dict) -> None:
        """Store the conversation reference (with its tenant) for proactive quiz prompts: only from a trusted
        activity (authenticated, or the emulator on loopback)."""
        if not self.trusted(activity):
            return
        reference = TurnContext.get_conversation_reference(turn_context.activity).serialize()
        tenant = inbound.tenant_of(activity)
        reference.setdefault("conversation", {})["tenantId"] = tenant
        await self.references.save(inbound.user_key(activity), tenant, json.dumps(reference))

    async def send(self, turn_context: TurnContext, replies: list[Reply]) -> None:
        """Send replies as chat messages. A reply marked `dialog` raises (render.activity): it never is one."""
        for reply in replies:
            outgoing = Activity().deserialize(render.activity(reply))
            await with_retry(functools.partial(turn_context.send_activity, outgoing))

    # ---------------------------------------------------------------- team channels: reviewers and owners

    async def destination(self, key: str) -> dict | None:
        """A chosen team channel (`reviewers here`: "teams", `owners here`: "teams-owners"): its team, tenant and
        conversation reference."""
        target = await self.reviewers.destination(key)
        return json.loads(target) if target else None

    async def choose_team(self, turn_context: TurnContext, activity: dict, key: str) -> None:
        """Store the channel of this (trusted, admin's) activity as the destination `key`."""
        reference = TurnContext.get_conversation_reference(turn_context.activity).serialize()
        reference.setdefault("conversation", {})["tenantId"] = inbound.tenant_of(activity)
        await self.reviewers.set_destination(key, json.dumps({"team_id": inbound.team_of(activity), "tenant_id": inbound.tenant_of(activity),
                                                              "reference": reference}))

    async def team_members(self, turn_context: TurnContext, activity: dict, destination: dict) -> dict[str, str] | None:
        """The members of a destination's team (user key -> name), read through the connector of a trusted
        activity; None when that is not possible (the caller keeps the last known roster)."""
        if not self.trusted(activity):
            return None
        try:
            # Asked by team id explicitly (TeamsInfo.get_team_members would ask for the current
            # conversation's members, which in a personal chat would make its user a member).
            connector = turn_context.turn_state[turn_context.adapter.BOT_CONNECTOR_CLIENT_KEY]
            members = await connector.conversations.get_conversation_members(destination["team_id"])
        except Exception as exc:
            log.warning("teams roster refresh failed", extra={"error": type(exc).__name__})
            return None
        tenant = destination["tenant_id"]
        return {f"teams:{tenant}:{m.aad_object_id or m.id}": m.name or "" for m in members}

    async def post_to(self, destination: dict, replies: list[Reply]) -> None:
        """Post (bare) notices to a destination's channel, proactively; their dialog buttons open dialogs."""
        if not self.may_send_to(destination["reference"].get("serviceUrl")):
            raise LookupError("the channel has a serviceUrl this mode does not send to")
        reference = ConversationReference().deserialize(destination["reference"])
        await self.per_tenant.wait(destination["tenant_id"])

        async def deliver(turn_context: TurnContext) -> None:
            await self.send(turn_context, replies)

        await self.adapter.continue_conversation(reference, deliver, self.app_id or None)

    async def _review_destination(self) -> dict | None:
        return await self.destination("teams")

    async def _review_team(self) -> str:
        destination = await self._review_destination()
        return destination["team_id"] if destination else ""

    async def review_ready(self) -> bool:
        destination = await self._review_destination()
        return destination is not None and self.may_send_to(destination["reference"].get("serviceUrl"))

    async def make_reviewers_channel(self, turn_context: TurnContext, activity: dict) -> Reply:
        """`reviewers here`, typed by an admin in a team channel: that channel gets the reports and the
        team's members become the reviewers."""
        if not inbound.team_of(activity):
            return Reply("Type \"reviewers here\" in a channel of the team whose members review reports.", private=True)
        if not self.is_admin(activity):
            return Reply("Only the administrators listed in SMPOLICY_TEAMS_ADMINS can choose the reviewers' channel.", private=True)
        await self.choose_team(turn_context, activity, "teams")
        count = await self.refresh_roster(turn_context, activity)
        await self.bot.cases.audit(inbound.user_key(activity), "reviewers-here", "")
        return Reply(f"This channel now receives new reports; the {count} members of this team are the reviewers.")

    async def refresh_roster(self, turn_context: TurnContext, activity: dict) -> int:
        """Reload the reviewers (the review team's members) through the connector of a trusted activity."""
        destination = await self._review_destination()
        if destination is None:
            return 0
        members = await self.team_members(turn_context, activity, destination)
        if members is None:  # keep the last known roster
            return 0
        await self.reviewers.set_reviewers("teams", list(members), members)
        return len(members)

    async def notify_reviewers(self, reply: Reply) -> None:
        """Post a (bare) review notice to the reviewers' channel; its Open case button opens a dialog."""
        destination = await self._review_destination()
        if destination is None:
            raise LookupError("no reviewers' channel is chosen")
        await self.post_to(destination, [reply])

    async def _on_turn_error(self, turn_context: TurnContext, error: Exception) -> None:
        log.error("teams turn failed", extra={"error": type(error).__name__})

    # ---------------------------------------------------------------- proactive

    async def personal_reference(self, user_key: str) -> dict | None:
        """The person's stored conversation reference when it is of a personal chat that may get a proactive send
        (a reference stored by an install in a group chat is not: what goes to one person never goes there)."""
        row = await self.references.get(user_key)
        if row is None:
            return None
        stored = json.loads(row.reference)
        return stored if inbound.is_personal(stored) and self.may_send_to(stored.get("serviceUrl")) else None

    async def send_proactive(self, user_key: str, replies: list[Reply]) -> bool:
        """Send replies into a stored conversation, paced under Teams' limits. False when no reference exists
        (or its serviceUrl is not one this mode sends to)."""
        row = await self.references.get(user_key)
        if row is None:
            return False
        stored = json.loads(row.reference)
        if not self.may_send_to(stored.get("serviceUrl")):
            log.warning("teams reference skipped: serviceUrl not allowed in this mode")
            return False
        reference = ConversationReference().deserialize(stored)
        await self.per_tenant.wait(row.tenant_id)
        await self.per_conversation.wait(reference.conversation.id)

        async def deliver(turn_context: TurnContext) -> None:
            await self.send(turn_context, replies)

        await self.adapter.continue_conversation(reference, deliver, self.app_id or None)
        return True

    # ---------------------------------------------------------------- weekly quiz rounds

    async def quiz_people(self) -> list[str]:
        """Everyone with a stored conversation reference (they installed the app)."""
        return await self.references.people()

    async def confirm_quiz(self, user_key: str, round_id: str) -> bool | None:
        """Teams cannot tell whether a proactive message arrived: None (a crashed send counts as delivered)."""
        return None

    async def deliver_quiz(self, user_key: str, reply: Reply, round_id: str) -> None:
        if not await self.send_proactive(user_key, [reply]):
            raise LookupError("no conversation reference")

    # ---------------------------------------------------------------- HTTP

    async def handle_http(self, request: web.Request) -> web.Response:
        if not self.authenticated and not inbound.loopback_host(urlsplit("//" + request.host).hostname or ""):
            # Emulator mode is for this machine: a rebound DNS name (a page elsewhere posting here) is refused.
            return web.json_response({"error": "host: not a loopback name"}, status=403)
        if request.content_type != "application/json":
            return web.json_response({"error": "activities are application/json"}, status=415)
        try:
            body = inbound.validate(await request.json())
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.json_response({"error": "malformed JSON"}, status=400)
        except inbound.ActivityError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        if self.authenticated and not request.headers.get("Authorization", "").startswith("Bearer "):
            return web.json_response({"error": "missing bearer token"}, status=401)
        if self.authenticated and body.get("channelId") != "msteams":
            # Identity is read from `from` and the tenant fields: only Teams fills them in for its users. Other
            # channels of the same bot (Web Chat, Direct Line) let the client choose them, so they are refused.
            return web.json_response({"error": "only activities from Microsoft Teams are accepted"}, status=403)
        if not self.authenticated and not inbound.loopback_url(body.get("serviceUrl")):
            # Emulator mode talks only to this machine: no request to an address an unauthenticated activity names.
            log.warning("teams activity refused: emulator mode accepts only a loopback serviceUrl")
            return web.json_response({"error": "emulator mode accepts only a loopback serviceUrl"}, status=403)
        try:
            response = await self.adapter.process(request, self)
        except web.HTTPUnauthorized:
            return web.json_response({"error": "unauthorized"}, status=401)
        except web.HTTPException:
            raise
        except Exception as exc:
            # botbuilder raises a variety of errors for malformed or forged tokens; with auth on they are 401.
            if self.authenticated:
                log.warning("teams token rejected", extra={"error": type(exc).__name__})
                return web.json_response({"error": "unauthorized"}, status=401)
            log.warning("teams activity rejected", extra={"error": type(exc).__name__})
            return web.json_response({"error": "bad activity"}, status=400)
        if body.get("type") not in HANDLED:
            return web.Response(status=200)
        return response or web.Response(status=200)

    def mount(self, app: web.Application) -> None:
        app.router.add_post("/api/messages", self.handle_http)
