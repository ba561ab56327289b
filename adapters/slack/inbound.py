"""Slack payloads to the core's `Incoming`. Nothing of the raw payload travels further.

The user key is `slack:<team>:<user>`; the conversation key is the channel (DM) id. Both are
opaque to the core. Button action ids carry a `#index` suffix added by render; it is stripped.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from urllib.parse import unquote_plus

from bot.messages import Incoming, incoming_action

CHANNEL = "slack"
log = logging.getLogger("smpolicy.slack")


class PayloadError(ValueError):
    """A payload that lacks what Slack always sends; the request gets a 4xx."""


# What reading a signed payload of an unexpected shape raises (here, or in a listener that reads it).
MALFORMED = (PayloadError, KeyError, TypeError, AttributeError, IndexError)


def tolerant(listener):
    """A Bolt listener for which a signed payload of an unexpected shape is acknowledged and dropped, never a 500."""
    @functools.wraps(listener)
    async def run(**kwargs):
        try:
            return await listener(**kwargs)
        except MALFORMED as exc:
            log.warning("malformed slack payload", extra={"error": type(exc).__name__})
            await kwargs["ack"]()
    return run


def _obj(value: object) -> dict:
    """`value` if it is a JSON object, else an empty one (payload fields may hold anything)."""
    return value if isinstance(value, dict) else {}


def _req(payload: dict, *path: str) -> str:
    node = payload
    for key in path:
        if not isinstance(node, dict) or key not in node:
            raise PayloadError(f"missing {'.'.join(path)}")
        node = node[key]
    if not isinstance(node, str):
        raise PayloadError(f"{'.'.join(path)} must be a string")
    return node


def form_fields(body: str) -> dict[str, str]:
    """An application/x-www-form-urlencoded body as a dict, the same as `dict(parse_qsl(body,
    keep_blank_values=True))` (last value wins) at half the cost: most of a slash command's fields have
    nothing to decode, so only those with `%` or `+` go through `unquote_plus`."""
    fields: dict[str, str] = {}
    for pair in body.split("&"):
        if not pair:
            continue
        key, _, value = pair.partition("=")
        if "%" in key or "+" in key:
            key = unquote_plus(key)
        if "%" in value or "+" in value:
            value = unquote_plus(value)
        fields[key] = value
    return fields


def user_key(team_id: str, user_id: str) -> str:
    return f"slack:{team_id}:{user_id}"


def from_command(body: dict) -> Incoming:
    """A slash command form body (`/smpolicy ...`)."""
    team, user, channel = _req(body, "team_id"), _req(body, "user_id"), _req(body, "channel_id")
    text = body.get("text") or ""
    if not isinstance(text, str):
        raise PayloadError("text must be a string")
    name = body.get("user_name")  # Slack's user name, for the scrubber (adapters/slack/profiles.py adds the profile's)
    return Incoming(channel=CHANNEL, user_key=user_key(team, user), conversation_key=channel, text=text.strip(),
                    names=(name,) if isinstance(name, str) and name else ())


def from_message(body: dict, event: dict) -> Incoming:
    """A `message.im` event."""
    team = body.get("team_id") or event.get("team") or ""
    return Incoming(channel=CHANNEL, user_key=user_key(str(team), _req(event, "user")), conversation_key=_req(event, "channel"),
                    text=str(event.get("text") or ""))


MENTION = re.compile(r"<@[A-Z0-9]{1,30}(?:\|[^>]{0,100})?>")  # bounded, so no scan to the end from every <@


def from_mention(body: dict, event: dict) -> Incoming:
    """An `app_mention` in a channel: the text without the mentions of the bot."""
    team = body.get("team_id") or event.get("team") or ""
    text = MENTION.sub(" ", str(event.get("text") or "")).strip()
    return Incoming(channel=CHANNEL, user_key=user_key(str(team), _req(event, "user")), conversation_key=_req(event, "channel"),
                    text=" ".join(text.split()))


def action_id(raw: str) -> str:
    return raw.split("#", 1)[0]


def from_block_action(body: dict) -> Incoming:
    """One `block_actions` press (the first action of the payload)."""
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
        raise PayloadError("missing actions")
    action = actions[0]
    team = _obj(body.get("team")).get("id") or _obj(body.get("user")).get("team_id") or ""
    channel = _obj(body.get("channel")).get("id") or _obj(body.get("container")).get("channel_id") or ""
    return incoming_action(CHANNEL, user_key(str(team), _req(body, "user", "id")), str(channel),
                           action_id(_req(action, "action_id")), str(action.get("value") or ""))


def form_values(view: dict) -> dict[str, str]:
    """The values of a submitted modal: block_id -> text or selected option value."""
    values = _obj(view.get("state")).get("values") or {}
    if not isinstance(values, dict):
        raise PayloadError("view.state.values must be an object")
    out: dict[str, str] = {}
    for block_id, actions in values.items():
        if not isinstance(actions, dict):
            continue
        for element in actions.values():
            if not isinstance(element, dict):
                continue
            if element.get("type") == "static_select":
                out[block_id] = str(_obj(element.get("selected_option")).get("value") or "")
            elif element.get("type") == "multi_static_select":
                chosen = element.get("selected_options") or []
                out[block_id] = ",".join(str(_obj(o).get("value") or "") for o in chosen if isinstance(o, dict)) if isinstance(chosen, list) else ""
            else:
                out[block_id] = str(element.get("value") or "")
    return out


def from_view_submission(body: dict) -> Incoming:
    """A modal submission as the form's action; action id and value come back in private_metadata."""
    view = body.get("view")
    if not isinstance(view, dict):
        raise PayloadError("missing view")
    try:
        meta = json.loads(view.get("private_metadata") or "")
    except (TypeError, ValueError):
        raise PayloadError("view.private_metadata is not ours") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("action_id"), str):
        raise PayloadError("view.private_metadata is not ours")
    team = _obj(body.get("team")).get("id") or ""
    return incoming_action(CHANNEL, user_key(str(team), _req(body, "user", "id")), "", meta["action_id"],
                           str(meta.get("value") or ""), form_values(view))
