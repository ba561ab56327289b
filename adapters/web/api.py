"""`POST /api/local/messages` and `/api/local/actions`: JSON in, the core's neutral replies out.

Bad input gets 400 naming the field; the page at `/` is the only client we ship. Who is asking comes from
`WebIdentity` (the SSO header, or on loopback the id the page sends), the same on every route.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from aiohttp import web

from adapters.web.identity import WebIdentity
from bot.core import Core
from bot.messages import Incoming, incoming_action
from bot.owners import OwnersDesk

STATIC = Path(__file__).resolve().parent / "static"
MAX_ID = 200


def bad_request(message: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=json.dumps({"error": message}), content_type="application/json")


async def read_object(request: web.Request) -> dict:
    try:
        body = await request.json(loads=json.loads)
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        raise bad_request("body: malformed JSON") from None
    if not isinstance(body, dict):
        raise bad_request("body: must be a JSON object")
    return body


def text_field(body: dict, name: str, required: bool = True, limit: int = 8000) -> str:
    value = body.get(name)
    if value is None:
        if required:
            raise bad_request(f"{name}: required")
        return ""
    if not isinstance(value, str):
        raise bad_request(f"{name}: must be a string")
    if required and not value.strip():
        raise bad_request(f"{name}: must not be empty")
    if len(value) > limit:
        raise bad_request(f"{name}: longer than {limit} characters")
    return value


def form_field(body: dict) -> dict[str, str]:
    form = body.get("form") or {}
    if not isinstance(form, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in form.items()):
        raise bad_request("form: must be an object of strings")
    return form


def routes(core: Core, identity: WebIdentity, owners: OwnersDesk | None = None) -> list[web.AbstractRouteDef]:
    """The page, its static files and the JSON API; none of them when `identity` serves no web chat."""
    if not identity.enabled:
        return []

    def who(request: web.Request, body: dict) -> str:
        identity.check_request(request)
        claimed = "" if identity.header else text_field(body, "user_id", limit=MAX_ID)
        return identity.user(request, claimed)

    def names(user: str) -> tuple[str, ...]:
        # Behind SSO the identity is a name or an email: scrubbed out of any words kept for the owners.
        return (user,) if identity.header else ()

    async def page(request: web.Request) -> web.FileResponse:
        identity.check_request(request)
        identity.user(request, "")
        return web.FileResponse(STATIC / "index.html")

    async def messages(request: web.Request) -> web.Response:
        identity.check_request(request)
        body = await read_object(request)
        user = who(request, body)
        text = text_field(body, "text", limit=8000)
        replies = await core.handle(Incoming(channel="web", user_key="web:" + user, conversation_key="web:" + user, text=text,
                                             names=names(user)))
        return web.json_response({"replies": [r.to_json() for r in replies]})

    async def actions(request: web.Request) -> web.Response:
        identity.check_request(request)
        body = await read_object(request)
        user = who(request, body)
        action_id = text_field(body, "action_id", limit=100)
        value = text_field(body, "value", required=False, limit=2000)
        incoming = incoming_action("web", "web:" + user, "web:" + user, action_id, value, form_field(body))
        replies = await core.handle(replace(incoming, names=names(user)))
        return web.json_response({"replies": [r.to_json() for r in replies]})

    async def inbox(request: web.Request) -> web.Response:
        """The page polls: owners' answers to this person's questions asked by name, and to the anonymous
        questions whose codes the page holds (each shown once; the codes never leave the person's browser otherwise)."""
        identity.check_request(request)
        body = await read_object(request)
        user = who(request, body)
        codes = body.get("codes") or []
        if not isinstance(codes, list) or len(codes) > 20 or not all(isinstance(c, str) and 0 < len(c) <= 40 for c in codes):
            raise bad_request("codes: up to 20 strings")
        replies, done = ([], []) if owners is None else await owners.collect("web:" + user, codes)
        return web.json_response({"replies": [r.to_json() for r in replies], "done": done})

    routes: list[web.AbstractRouteDef] = [web.get("/", page), web.post("/api/local/messages", messages),
                                          web.post("/api/local/actions", actions), web.post("/api/local/inbox", inbox),
                                          web.static("/static", STATIC)]
    return routes
