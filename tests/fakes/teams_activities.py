"""Builders of activities shaped like the ones Teams sends to a bot in a personal chat."""

from __future__ import annotations

import itertools

TENANT = "72f988bf-0000-0000-0000-2d7cd011db47"
BOT = "28:bot-app-id"
_ids = itertools.count(1)


def _base(kind: str, service_url: str, user: str = "29:1user", aad: str = "aad-user-1", conversation: str = "a:1personal-chat",
          name: str = "Alex Example") -> dict:
    return {"type": kind, "id": f"act-{next(_ids)}", "timestamp": "2026-11-25T10:00:00.000Z", "localTimestamp": "2026-11-25T11:00:00.000+01:00",
            "serviceUrl": service_url, "channelId": "msteams",
            "from": {"id": user, "name": name, "aadObjectId": aad},
            "conversation": {"conversationType": "personal", "tenantId": TENANT, "id": conversation},
            "recipient": {"id": BOT, "name": "smpolicy"}, "entities": [{"type": "clientInfo", "locale": "en-US"}],
            "channelData": {"tenant": {"id": TENANT}}, "locale": "en-US"}


def message(text: str, service_url: str, **kw) -> dict:
    return {**_base("message", service_url, **kw), "text": text, "textFormat": "plain"}


def submit(value: dict, service_url: str, **kw) -> dict:
    """An Action.Submit press: a message with `value` (the card's data plus its inputs) and no text."""
    return {**_base("message", service_url, **kw), "value": value, "channelData": {"tenant": {"id": TENANT}, "source": {"name": "message"}},
            "replyToId": "1700000000000"}


def installed(service_url: str, **kw) -> dict:
    act = _base("conversationUpdate", service_url, **kw)
    act["membersAdded"] = [{"id": BOT}, {"id": act["from"]["id"], "aadObjectId": act["from"]["aadObjectId"]}]
    return act


def members_changed(service_url: str, added: tuple[str, ...] = (), removed: tuple[str, ...] = (), **kw) -> dict:
    """A conversationUpdate: people (by user id) added to or removed from the conversation (send it `in_channel`
    for a team's membership)."""
    act = _base("conversationUpdate", service_url, **kw)
    act["membersAdded"], act["membersRemoved"] = [{"id": i} for i in added], [{"id": i} for i in removed]
    return act


def in_channel(activity: dict, team: str = "19:team-general@thread.tacv2", channel: str = "19:reviews@thread.tacv2") -> dict:
    """The same activity as sent from a team channel."""
    return {**activity, "conversation": {"conversationType": "channel", "tenantId": TENANT, "id": f"{channel};messageid=1", "isGroup": True},
            "channelData": {"tenant": {"id": TENANT}, "team": {"id": team}, "channel": {"id": channel}}}


def invoke(invoke_name: str, data: dict, service_url: str, **kw) -> dict:
    """An invoke activity as Teams sends it for a dialog: `task/fetch` (a button with
    `"msteams": {"type": "task/fetch"}` was pressed; `data` is that button's data) or `task/submit` (a card in
    the dialog was submitted; `data` is its Action.Submit data merged with the card's inputs)."""
    return {**_base("invoke", service_url, **kw), "name": invoke_name, "value": {"data": data, "context": {"theme": "default"}}}


def task_fetch(data: dict, service_url: str, **kw) -> dict:
    return invoke("task/fetch", data, service_url, **kw)


def task_submit(data: dict, service_url: str, **kw) -> dict:
    return invoke("task/submit", data, service_url, **kw)
