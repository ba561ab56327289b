"""Builders of signed requests shaped like Slack's documented payloads."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

SECRET = "test-signing-secret"
TEAM = "T1"


def sign(body: str, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    sig = "v0=" + hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig}


def form(body: dict, **sign_args) -> tuple[str, dict[str, str]]:
    raw = urlencode(body)
    return raw, {"Content-Type": "application/x-www-form-urlencoded", **sign(raw, **sign_args)}


def as_json(body: dict, **sign_args) -> tuple[str, dict[str, str]]:
    raw = json.dumps(body)
    return raw, {"Content-Type": "application/json", **sign(raw, **sign_args)}


def command(text: str, user: str = "U100", response_url: str = "https://hooks.slack.invalid/x", **sign_args):
    return form({"token": "legacy", "team_id": TEAM, "team_domain": "acme", "channel_id": "C1", "channel_name": "general",
                 "user_id": user, "user_name": "someone", "command": "/smpolicy", "text": text, "api_app_id": "A1",
                 "is_enterprise_install": "false", "response_url": response_url, "trigger_id": "13345224609.738474920.8088930838d88f008e0"},
                **sign_args)


def event(inner: dict, event_id: str = "Ev1", **sign_args):
    return as_json({"token": "legacy", "team_id": TEAM, "api_app_id": "A1", "event": inner, "type": "event_callback",
                    "event_id": event_id, "event_time": int(time.time()),
                    "authorizations": [{"team_id": TEAM, "user_id": "UBOT", "is_bot": True}]}, **sign_args)


def dm(text: str, user: str = "U100", event_id: str = "Ev1", ts: str = "1700000000.000100"):
    return event({"type": "message", "channel": "D100", "user": user, "text": text, "ts": ts, "event_ts": ts,
                  "channel_type": "im"}, event_id)


def home_opened(user: str = "U100", event_id: str = "EvHome"):
    return event({"type": "app_home_opened", "user": user, "channel": "D100", "tab": "home", "event_ts": "1700000000.1"}, event_id)


def interactive(payload: dict, **sign_args):
    return form({"payload": json.dumps(payload)}, **sign_args)


def block_action(action_id: str, value: str, user: str = "U100", channel: str | None = "D100", ephemeral: bool = False,
                 response_url: str | None = None, view_id: str | None = None):
    """A button press in a message, or with `view_id` in a modal (no channel then, as Slack sends it)."""
    payload = {"type": "block_actions", "user": {"id": user, "team_id": TEAM}, "team": {"id": TEAM, "domain": "acme"},
               "api_app_id": "A1", "trigger_id": "123.456.abc", "token": "legacy",
               "container": {"type": "message", "message_ts": "1700000000.000200", "channel_id": channel, "is_ephemeral": ephemeral},
               "actions": [{"action_id": action_id, "block_id": "b1", "type": "button", "value": value,
                            "text": {"type": "plain_text", "text": "x"}, "action_ts": "1700000001.0"}]}
    if view_id:
        payload["container"] = {"type": "view", "view_id": view_id}
        payload["view"] = {"id": view_id, "type": "modal", "callback_id": "", "private_metadata": "", "state": {"values": {}}}
        channel = None
    if channel:
        payload["channel"] = {"id": channel, "name": "directmessage"}
    if response_url:
        payload["response_url"] = response_url
    return interactive(payload)


def view_submission(values: dict[str, str], action_id: str = "report.submit", value: str = "tok-1", user: str = "U100",
                    callback_id: str = "smpolicy.form"):
    private_metadata = json.dumps({"action_id": action_id, "value": value})
    def element(name: str, v: str) -> dict:
        if name == "exclude":  # a multiple choice: comma-separated values here, selected options in the payload
            return {"type": "multi_static_select", "selected_options": [{"value": x} for x in v.split(",") if x]}
        if name in ("where", "section", "urgency", "outcome", "reviewer", "verdict", "add", "who"):
            return {"type": "static_select", "selected_option": {"value": v}}
        return {"type": "plain_text_input", "value": v}

    state = {name: {name: element(name, v)} for name, v in values.items()}
    return interactive({"type": "view_submission", "team": {"id": TEAM, "domain": "acme"}, "user": {"id": user, "team_id": TEAM},
                        "api_app_id": "A1", "token": "legacy", "trigger_id": "123.456.def",
                        "view": {"id": "V1", "type": "modal", "callback_id": callback_id, "private_metadata": private_metadata,
                                 "state": {"values": state}, "hash": "h"}})
