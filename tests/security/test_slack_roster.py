"""The Slack review roster follows the review channel (issue 13, finding 9): a reviewer removed from it loses
access at once on the event and within a minute without it; one added is not refused."""

from __future__ import annotations

import json

from aiohttp.test_utils import TestClient, TestServer

from adapters.server import SLACK, create_app
from tests.fakes import slack_payloads as p
from tests.server.conftest import settings_for
from tests.slack.conftest import send

CHANNEL = "GREVIEW"


def opened_texts(fake) -> list[str]:
    return [json.dumps(c.args["view"]) for c in fake.of("views.open")]


async def test_leaving_and_joining_the_review_channel(tmp_path, slack_api):
    slack_api.channel_members[CHANNEL] = ["UREV1", "UREV2"]
    settings = settings_for(tmp_path, slack_bot_token="xoxb-t", slack_signing_secret=p.SECRET, slack_api_url=slack_api.api_url,
                            slack_review_channel=CHANNEL, quiz_rounds=False)
    async with TestClient(TestServer(create_app(settings))) as client:
        await slack_api.wait_for("conversations.members")
        status, out = await send(client, p.command("reports", user="UREV2"))
        assert "No open cases" in out
        # UREV2 leaves the channel: the event refreshes the roster, and the next command is refused.
        slack_api.channel_members[CHANNEL] = ["UREV1"]
        await send(client, p.event({"type": "member_left_channel", "user": "UREV2", "channel": CHANNEL, "team": "T1"}, event_id="EvL"))
        await slack_api.wait_for("conversations.members", 2)
        status, out = await send(client, p.command("reports", user="UREV2"))
        assert "Only the designated reviewers" in out
        channel = client.server.app[SLACK]
        # UNEW is added and no event reaches us: the refusal path refreshes the roster first (at most every 10 s).
        slack_api.channel_members[CHANNEL] = ["UREV1", "UNEW"]
        channel._roster_at -= 11
        status, out = await send(client, p.command("reports", user="UNEW"))
        assert "No open cases" in out
        # UREV1 is removed and no event reaches us either: a roster over a minute old is refreshed before use.
        slack_api.channel_members[CHANNEL] = ["UNEW"]
        status, out = await send(client, p.command("reports", user="UREV1"))
        assert "No open cases" in out  # within the minute the old roster still holds ...
        channel._roster_at -= 61
        status, out = await send(client, p.command("reports", user="UREV1"))
        assert "Only the designated reviewers" in out  # ... and not a second longer
