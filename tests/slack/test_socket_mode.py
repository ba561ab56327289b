"""Socket Mode: with SLACK_APP_TOKEN the same handlers run over a websocket (stand-in Slack on loopback)."""

import asyncio
import json
import time

from aiohttp.test_utils import TestClient, TestServer

from adapters.server import create_app
from bot.settings import Settings
from tests.fakes.slack_payloads import SECRET, TEAM


async def test_events_arrive_over_socket_mode_and_are_acked(tmp_path, slack_api):
    envelope_payload = {"token": "legacy", "team_id": TEAM, "api_app_id": "A1", "type": "event_callback", "event_id": "EvSock",
                        "event_time": int(time.time()),
                        "event": {"type": "message", "channel": "D100", "user": "U100", "text": "Can I get fired for a post?",
                                  "ts": "1700000000.000900", "channel_type": "im"}}
    slack_api.socket_envelopes.append({"envelope_id": "env-1", "type": "events_api", "accepts_response_payload": False,
                                       "retry_attempt": 0, "retry_reason": "", "payload": envelope_payload})
    settings = Settings(data_dir=tmp_path, db_path=tmp_path / "smpolicy.db", slack_bot_token="xoxb-test-token",
                        slack_signing_secret=SECRET, slack_app_token="xapp-test-token", slack_api_url=slack_api.api_url)
    async with TestClient(TestServer(create_app(settings))):
        [call] = await slack_api.wait_for("chat.postMessage", timeout=10)
        assert call.args["channel"] == "D100" and call.args["text"].startswith("Here is what the guidelines say")
        assert "Consequences" in json.dumps(call.args["blocks"])
        assert {"envelope_id": "env-1"} in [{k: v for k, v in a.items() if k == "envelope_id"} for a in slack_api.socket_acks]


async def test_slash_command_over_socket_mode_is_answered_in_the_ack(tmp_path, slack_api):
    """Over Socket Mode commands go through the Bolt listener, which calls the same `on_command` the HTTP path does."""
    command = {"token": "legacy", "team_id": TEAM, "channel_id": "C1", "user_id": "U100", "command": "/smpolicy",
               "text": "can I post a screenshot of our internal dashboard?", "response_url": "https://hooks.slack.invalid/x",
               "trigger_id": "1.2.3"}
    slack_api.socket_envelopes.append({"envelope_id": "env-cmd", "type": "slash_commands", "accepts_response_payload": True,
                                       "payload": command})
    settings = Settings(data_dir=tmp_path, db_path=tmp_path / "smpolicy.db", slack_bot_token="xoxb-test-token",
                        slack_signing_secret=SECRET, slack_app_token="xapp-test-token", slack_api_url=slack_api.api_url)
    async with TestClient(TestServer(create_app(settings))):
        for _ in range(100):
            acks = [a for a in slack_api.socket_acks if a.get("envelope_id") == "env-cmd"]
            if acks:
                break
            await asyncio.sleep(0.1)
    [ack] = acks
    assert ack["payload"]["response_type"] == "ephemeral" and ack["payload"]["text"].startswith("Not allowed.")
    assert "Confidentiality and Privacy" in json.dumps(ack["payload"]["blocks"])
