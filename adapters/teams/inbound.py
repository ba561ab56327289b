"""Bot Framework activities (as JSON dicts) to the core's `Incoming`; validation of what must be there."""

from __future__ import annotations

import html
import re

from bot.messages import Incoming, incoming_action

CHANNEL = "teams"
MENTION = re.compile(r"<at>.*?</at>", re.S)
TAG = re.compile(r"<[^>]{1,200}>")


class ActivityError(ValueError):
    """An activity that lacks what the Bot Framework always sends: 400."""


def _str(node: object, *path: str) -> str:
    for key in path:
        if not isinstance(node, dict) or not isinstance(node.get(key), (str, dict)):
            raise ActivityError(f"missing {'.'.join(path)}")
        node = node[key]
    if not isinstance(node, str) or not node:
        raise ActivityError(f"{'.'.join(path)} must be a non-empty string")
    return node


def validate(body: object) -> dict:
    """The activity as a dict, or ActivityError naming what is missing."""
    if not isinstance(body, dict):
        raise ActivityError("activity must be a JSON object")
    kind = _str(body, "type")
    if kind in ("message", "conversationUpdate"):
        _str(body, "serviceUrl")
        _str(body, "conversation", "id")
        _str(body, "from", "id")
        _str(body, "recipient", "id")
    if kind == "message" and body.get("value") is not None and not isinstance(body["value"], dict):
        raise ActivityError("value must be an object")
    return body


def _obj(value: object) -> dict:
    """`value` if it is a JSON object, else an empty one: fields outside our checks may hold anything."""
    return value if isinstance(value, dict) else {}


def tenant_of(activity: dict) -> str:
    tenant = _obj(activity.get("conversation")).get("tenantId") or _obj(_obj(activity.get("channelData")).get("tenant")).get("id")
    return str(tenant or "")


def team_of(activity: dict) -> str:
    """The team id when the activity comes from a team channel, else ''."""
    return str(_obj(_obj(activity.get("channelData")).get("team")).get("id") or "")


def user_key(activity: dict) -> str:
    sender = _obj(activity.get("from"))
    return f"teams:{tenant_of(activity)}:{sender.get('aadObjectId') or sender.get('id')}"


def clean_text(text: str) -> str:
    """Remove @mentions of the bot and HTML tags Teams may wrap around text."""
    return html.unescape(TAG.sub(" ", MENTION.sub(" ", text))).strip()


def to_incoming(activity: dict) -> Incoming:
    """A message activity: typed text, or a card submission (`value` carries action_id, value, inputs)."""
    key, conversation = user_key(activity), activity["conversation"]["id"]
    value = activity.get("value")
    if isinstance(value, dict) and isinstance(value.get("action_id"), str):
        form = {k: str(v) for k, v in value.items() if k not in ("action_id", "value") and isinstance(v, (str, int, float))}
        return incoming_action(CHANNEL, key, conversation, value["action_id"], str(value.get("value") or ""), form)
    return Incoming(channel=CHANNEL, user_key=key, conversation_key=conversation, text=clean_text(str(activity.get("text") or "")))


def bot_was_added(activity: dict) -> bool:
    bot_id = _obj(activity.get("recipient")).get("id")
    members = activity.get("membersAdded")
    return bool(bot_id) and isinstance(members, list) and any(_obj(m).get("id") == bot_id for m in members)
