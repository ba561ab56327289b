"""Found by the red team: on Slack, modal submissions never refresh the review roster.

SECURITY.md: the roster is "refreshed at once on member_joined_channel/member_left_channel, at least every minute"
and a removed reviewer sees nothing "within 60 s". `check_reviewer` runs for slash commands and block actions
only; `form_submitted` (every view_submission: case.send, case.closed, case.reopened) trusts whatever roster is in
the database, however old. When the leave event does not arrive (the bot was briefly down, Slack gave up retrying,
the channel was converted, the event subscription was not reinstalled after the manifest change), a removed
reviewer keeps working cases through modals for as long as nobody else presses a button, and `case.reopened`
hands back the case's words in the updated modal.
"""

from __future__ import annotations

import json

from aiohttp.test_utils import TestClient, TestServer

from adapters.server import SLACK, create_app
from tests.fakes import slack_payloads as p
from tests.server.conftest import settings_for
from tests.slack.conftest import report_token, send

CHANNEL = "GREVIEW"
WORDS = "the regional director posted the unreleased results"


async def test_a_removed_slack_reviewer_cannot_reopen_a_case_from_a_modal(tmp_path, slack_api):
    slack_api.channel_members[CHANNEL] = ["UREV1", "UREV2"]
    settings = settings_for(tmp_path, slack_bot_token="xoxb-t", slack_signing_secret=p.SECRET, slack_api_url=slack_api.api_url,
                            slack_review_channel=CHANNEL, report_notify_delay=0, quiz_rounds=False)
    async with TestClient(TestServer(create_app(settings))) as client:
        await slack_api.wait_for("conversations.members")
        token = await report_token(client, slack_api, user="U100")
        _, out = await send(client, p.view_submission({"what": WORDS}, "report.submit", token, user="U100"))
        ref = out.split("case ")[1][:8]
        _, out = await send(client, p.view_submission({"outcome": "no_violation"}, "case.closed", ref, user="UREV2"))
        assert "is closed" in out

        # UREV1 is removed from the review channel; the leave event never reaches the bot; more than a minute passes.
        slack_api.channel_members[CHANNEL] = ["UREV2"]
        client.server.app[SLACK]._roster_at -= 61
        _, out = await send(client, p.view_submission({"reason": "curious"}, "case.reopened", ref, user="UREV1"))
        assert WORDS not in json.dumps(json.loads(out)), "a reviewer removed over a minute ago read the case"
