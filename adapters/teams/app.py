"""CloudAdapter wiring on `POST /api/messages`, proactive sends through stored conversation references.

With no MicrosoftAppId the endpoint runs unauthenticated for the Bot Framework Emulator (a warning,
once). With an app id, a missing, malformed or forged token gets 401.
"""

from __future__ import annotations

import json
import logging
import time

from aiohttp import web
from botbuilder.core import Bot, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity, ConversationReference

from adapters.teams import inbound, render
from adapters.teams.sending import Pacer, with_retry
from bot.core import help_reply
from bot.messages import Reply
from bot.routes import Bot as CoreBot
from bot.settings import Settings
from bot.store import Store

log = logging.getLogger("smpolicy.teams")
HANDLED = ("message", "conversationUpdate")


class _BotConfig:
    """The attribute names ConfigurationBotFrameworkAuthentication reads."""

    def __init__(self, settings: Settings):
        self.APP_ID = settings.teams_app_id
        self.APP_PASSWORD = settings.teams_app_password
        self.APP_TYPE = settings.teams_app_type
        self.APP_TENANTID = settings.teams_tenant_id


class TeamsChannel(Bot):
    """The Teams edge. Implements botbuilder's Bot (`on_turn`) and nothing else of it leaks out."""

    def __init__(self, settings: Settings, bot: CoreBot, store: Store):
        self.bot, self.core, self.store = bot, bot.core, store
        self.admins = set(settings.teams_admins)
        self.app_id = settings.teams_app_id
        self.auth_enabled = bool(self.app_id)
        if not self.auth_enabled:
            log.warning("teams endpoint runs without authentication (no MicrosoftAppId): for the Bot Framework Emulator only")
        self.adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(_BotConfig(settings)))
        self.adapter.on_turn_error = self._on_turn_error
        self.per_conversation = Pacer(7)
        self.per_tenant = Pacer(30)

    # ---------------------------------------------------------------- inbound

    async def on_turn(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity.serialize()
        if activity.get("type") == "message":
            incoming = inbound.to_incoming(activity)
            if incoming.kind == "message" and incoming.text.lower().rstrip(".!") == "reviewers here":
                await self.send(turn_context, [await self.make_reviewers_channel(turn_context, activity)])
                return
            if incoming.text.lower() in ("reports", "cases") or incoming.action_id.startswith("case."):
                await self.refresh_roster(turn_context)
            await self.send(turn_context, await self.core.handle(incoming))
        elif activity.get("type") == "conversationUpdate":
            if inbound.team_of(activity) and inbound.team_of(activity) == self._review_team():
                await self.refresh_roster(turn_context)
            if inbound.bot_was_added(activity) and not inbound.team_of(activity):
                self.remember(turn_context, activity)
                await self.send(turn_context, [help_reply()])

    def remember(self, turn_context: TurnContext, activity: dict) -> None:
        """Store the conversation reference (with its tenant) for proactive quiz prompts."""
        reference = TurnContext.get_conversation_reference(turn_context.activity).serialize()
        tenant = inbound.tenant_of(activity)
        reference.setdefault("conversation", {})["tenantId"] = tenant
        row = {"user_key": inbound.user_key(activity), "tenant_id": tenant, "reference": json.dumps(reference), "updated_at": time.time()}
        self.store.write(lambda db: db["teams_references"].upsert(row, pk="user_key"))

    async def send(self, turn_context: TurnContext, replies: list[Reply]) -> None:
        for reply in replies:
            outgoing = Activity().deserialize(render.activity(reply))
            await with_retry(lambda outgoing=outgoing: turn_context.send_activity(outgoing))

    # ---------------------------------------------------------------- reviewers

    def _review_destination(self) -> dict | None:
        target = self.bot.cases.destination("teams")
        return json.loads(target) if target else None

    def _review_team(self) -> str:
        destination = self._review_destination()
        return destination["team_id"] if destination else ""

    def review_ready(self) -> bool:
        return self._review_destination() is not None

    async def make_reviewers_channel(self, turn_context: TurnContext, activity: dict) -> Reply:
        """`reviewers here`, typed by an admin in a team channel: that channel gets the reports and the
        team's members become the reviewers."""
        team_id = inbound.team_of(activity)
        if not team_id:
            return Reply("Type \"reviewers here\" in a channel of the team whose members review reports.", private=True)
        if ((activity.get("from") or {}).get("aadObjectId") or "") not in self.admins:
            return Reply("Only the administrators listed in SMPOLICY_TEAMS_ADMINS can choose the reviewers' channel.", private=True)
        reference = TurnContext.get_conversation_reference(turn_context.activity).serialize()
        reference.setdefault("conversation", {})["tenantId"] = inbound.tenant_of(activity)
        self.bot.cases.set_destination("teams", json.dumps({"team_id": team_id, "tenant_id": inbound.tenant_of(activity),
                                                            "reference": reference}))
        count = await self.refresh_roster(turn_context)
        self.bot.cases.audit(inbound.user_key(activity), "reviewers-here", "")
        return Reply(f"This channel now receives new reports; the {count} members of this team are the reviewers.")

    async def refresh_roster(self, turn_context: TurnContext) -> int:
        """Reload the reviewers (the review team's members) through the connector."""
        destination = self._review_destination()
        if destination is None:
            return 0
        try:
            # Asked by team id explicitly (TeamsInfo.get_team_members would ask for the current
            # conversation's members, which in a personal chat would make its user a "reviewer").
            connector = turn_context.turn_state[turn_context.adapter.BOT_CONNECTOR_CLIENT_KEY]
            members = await connector.conversations.get_conversation_members(destination["team_id"])
        except Exception as exc:  # keep the last known roster
            log.warning("teams roster refresh failed", extra={"error": type(exc).__name__})
            return 0
        tenant = destination["tenant_id"]
        keys = [f"teams:{tenant}:{m.aad_object_id or m.id}" for m in members]
        self.bot.cases.set_reviewers("teams", keys)
        return len(keys)

    async def notify_reviewers(self, reply: Reply) -> None:
        destination = self._review_destination()
        assert destination is not None
        reference = ConversationReference().deserialize(destination["reference"])
        await self.per_tenant.wait(destination["tenant_id"])

        async def deliver(turn_context: TurnContext) -> None:
            await self.send(turn_context, [reply])

        await self.adapter.continue_conversation(reference, deliver, self.app_id or None)

    async def _on_turn_error(self, turn_context: TurnContext, error: Exception) -> None:
        log.error("teams turn failed", extra={"error": type(error).__name__})

    # ---------------------------------------------------------------- proactive

    async def send_proactive(self, user_key: str, replies: list[Reply]) -> bool:
        """Send replies into a stored conversation, paced under Teams' limits. False when no reference exists."""
        row = next(self.store.db.query("SELECT reference, tenant_id FROM teams_references WHERE user_key = ?", [user_key]), None)
        if row is None:
            return False
        reference = ConversationReference().deserialize(json.loads(row["reference"]))
        await self.per_tenant.wait(row["tenant_id"])
        await self.per_conversation.wait(reference.conversation.id)

        async def deliver(turn_context: TurnContext) -> None:
            await self.send(turn_context, replies)

        await self.adapter.continue_conversation(reference, deliver, self.app_id or None)
        return True

    # ---------------------------------------------------------------- weekly quiz rounds

    async def quiz_people(self) -> list[str]:
        """Everyone with a stored conversation reference (they installed the app)."""
        return [r[0] for r in self.store.db.execute("SELECT user_key FROM teams_references ORDER BY user_key")]

    async def deliver_quiz(self, user_key: str, reply: Reply, round_id: str) -> None:
        if not await self.send_proactive(user_key, [reply]):
            raise LookupError("no conversation reference")

    # ---------------------------------------------------------------- HTTP

    async def handle_http(self, request: web.Request) -> web.Response:
        if request.content_type != "application/json":
            return web.json_response({"error": "activities are application/json"}, status=415)
        try:
            body = inbound.validate(await request.json())
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.json_response({"error": "malformed JSON"}, status=400)
        except inbound.ActivityError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        if self.auth_enabled and not request.headers.get("Authorization", "").startswith("Bearer "):
            return web.json_response({"error": "missing bearer token"}, status=401)
        try:
            response = await self.adapter.process(request, self)
        except web.HTTPUnauthorized:
            return web.json_response({"error": "unauthorized"}, status=401)
        except web.HTTPException:
            raise
        except Exception as exc:
            # botbuilder raises a variety of errors for malformed or forged tokens; with auth on they are 401.
            if self.auth_enabled:
                log.warning("teams token rejected", extra={"error": type(exc).__name__})
                return web.json_response({"error": "unauthorized"}, status=401)
            log.warning("teams activity rejected", extra={"error": type(exc).__name__})
            return web.json_response({"error": "bad activity"}, status=400)
        if body.get("type") not in HANDLED:
            return web.Response(status=200)
        return response or web.Response(status=200)

    def mount(self, app: web.Application) -> None:
        app.router.add_post("/api/messages", self.handle_http)
