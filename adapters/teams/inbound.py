"""Bot Framework activities (as JSON dicts) to the core's `Incoming`; validation of what must be there; which
service URLs count as loopback (the only ones the unauthenticated emulator mode talks to)."""

from __future__ import annotations

import html
import re
from dataclasses import replace

from adapters.loopback import is_loopback_host, is_loopback_url
from bot.messages import Incoming, incoming_action

CHANNEL = "teams"
MENTION = re.compile(r"<at>[^<]{0,300}</at>")  # bounded: no scan to the end of the text from every <at>
TAG = re.compile(r"<[^>]{1,200}>")
# A launcher button (a card in chat that opens a dialog) carries what the person typed under this action id:
# the dialog runs it again and shows its dialog replies, so no form or confirmation is ever a chat message.
SAY = "teams.say"
TASK_INVOKES = ("task/fetch", "task/submit")
# Keys of card data that are not form inputs: the action, Teams' own marker, the action that opened a dialog.
DATA_KEYS = ("action_id", "value", "msteams", "opener")


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
    if kind in ("message", "conversationUpdate", "invoke"):
        _str(body, "serviceUrl")
        _str(body, "conversation", "id")
        _str(body, "from", "id")
        _str(body, "recipient", "id")
    if kind == "message" and body.get("value") is not None and not isinstance(body["value"], dict):
        raise ActivityError("value must be an object")
    if kind == "invoke" and body.get("name") in TASK_INVOKES:
        if not isinstance(body.get("value"), dict) or not isinstance(body["value"].get("data"), dict):
            raise ActivityError("value.data must be an object")
    return body


loopback_host, loopback_url = is_loopback_host, is_loopback_url  # this machine only (adapters/loopback.py)


def _obj(value: object) -> dict:
    """`value` if it is a JSON object, else an empty one: fields outside our checks may hold anything."""
    return value if isinstance(value, dict) else {}


def tenant_of(activity: dict) -> str:
    tenant = _obj(activity.get("conversation")).get("tenantId") or _obj(_obj(activity.get("channelData")).get("tenant")).get("id")
    return str(tenant or "")


def team_of(activity: dict) -> str:
    """The team id when the activity comes from a team channel, else ''."""
    return str(_obj(_obj(activity.get("channelData")).get("team")).get("id") or "")


def is_personal(activity: dict) -> bool:
    """Whether an activity, or a stored conversation reference, is of a personal chat (one person and the bot):
    Teams' `conversationType`, or without one (the Emulator) a conversation that is neither a group nor a team's."""
    conversation = _obj(activity.get("conversation"))
    kind = conversation.get("conversationType")
    if kind:
        return kind == "personal"
    return not conversation.get("isGroup") and not team_of(activity)


def user_key(activity: dict) -> str:
    sender = _obj(activity.get("from"))
    return f"teams:{tenant_of(activity)}:{sender.get('aadObjectId') or sender.get('id')}"


def names_of(activity: dict) -> tuple[str, ...]:
    """The sender's display name as Teams sends it (`from.name`, in the authenticated activity): only ever used
    to scrub it from words kept for the policy owners."""
    name = _obj(activity.get("from")).get("name")
    return (name.strip(),) if isinstance(name, str) and name.strip() else ()


def clean_text(text: str) -> str:
    """Remove @mentions of the bot and HTML tags Teams may wrap around text."""
    return html.unescape(TAG.sub(" ", MENTION.sub(" ", text))).strip()


def from_data(activity: dict, data: dict) -> Incoming | None:
    """Card data (an Action.Submit's `data` merged with the card's inputs) as an Incoming: the action with
    its form, or, for a launcher button, the words it carries as if typed. None without an action id."""
    key, conversation = user_key(activity), _obj(activity.get("conversation")).get("id", "")
    action = data.get("action_id")
    if not isinstance(action, str) or not action:
        return None
    value = data.get("value")
    value = str(value) if isinstance(value, (str, int, float)) and not isinstance(value, bool) else ""
    if action == SAY:
        return Incoming(channel=CHANNEL, user_key=key, conversation_key=conversation, text=clean_text(value), names=names_of(activity))
    form = {k: str(v) for k, v in data.items() if k not in DATA_KEYS and isinstance(v, (str, int, float)) and not isinstance(v, bool)}
    return replace(incoming_action(CHANNEL, key, conversation, action, value, form), names=names_of(activity))


def to_incoming(activity: dict) -> Incoming:
    """A message activity: typed text, or a card submission (`value` carries action_id, value, inputs)."""
    value = activity.get("value")
    if isinstance(value, dict):
        incoming = from_data(activity, value)
        if incoming is not None:
            return incoming
    return Incoming(channel=CHANNEL, user_key=user_key(activity), conversation_key=activity["conversation"]["id"],
                    text=clean_text(str(activity.get("text") or "")), names=names_of(activity))


def dialog_data(activity: dict) -> dict:
    """The `data` of a task/fetch or task/submit invoke (validated to be an object)."""
    return _obj(_obj(activity.get("value")).get("data"))


def bot_was_added(activity: dict) -> bool:
    bot_id = _obj(activity.get("recipient")).get("id")
    members = activity.get("membersAdded")
    return bool(bot_id) and isinstance(members, list) and any(_obj(m).get("id") == bot_id for m in members)
