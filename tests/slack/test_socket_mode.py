"""Socket Mode: with SLACK_APP_TOKEN the same handlers run over a websocket (stand-in Slack on loopback)."""

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
