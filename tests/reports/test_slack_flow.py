"""The report flow on Slack through /slack/events and a stand-in Web API, on both backends: nobody learns who
reported."""

import json

from aiohttp.test_utils import TestClient, TestServer

from adapters.server import create_app
from bot.settings import Settings
from tests.fakes import slack_payloads as p
from tests.reports.conftest import assert_nowhere
from tests.slack.conftest import report_token, send

REPORTER = "UREPORTER7"
REVIEWER = "UREVIEWER1"
REVIEW_CHANNEL = "GREVIEWS01"


async def test_slack_report_notify_review_and_follow_up(tmp_path, database_url, slack_api, log_lines):
    slack_api.channel_members[REVIEW_CHANNEL] = [REVIEWER, "UOTHERREV"]
    settings = Settings(data_dir=tmp_path, db_path=tmp_path / "smpolicy.db", database_url=database_url or "", slack_bot_token="xoxb-test",
                        slack_signing_secret=p.SECRET, slack_api_url=slack_api.api_url, slack_review_channel=REVIEW_CHANNEL,
                        report_notify_delay=0)
    async with TestClient(TestServer(create_app(settings))) as client:
        # The reporter opens the form from the slash command and submits the modal.
        status, _ = await send(client, p.command("report", user=REPORTER))
        [opened] = await slack_api.wait_for("views.open")
        meta = json.loads(opened.args["view"]["private_metadata"])
        status, out = await send(client, p.view_submission({"what": "Someone posted <!channel> our client's <https://evil.example|invoice>",
                                                            "urgency": "urgent"}, meta["action_id"], meta["value"], user=REPORTER))
        body = json.loads(out)
        assert status == 200 and body["response_action"] == "update"
        text = json.dumps(body["view"])
        ref = text.split("case ")[1][:8]
        code = text.split("follow-up code is ")[1][:14]

        # The review channel gets a bare notice: reference, guideline, urgency and a button; never the words.
        [note] = await slack_api.wait_for("chat.postMessage", timeout=8)
        assert note.args["channel"] == REVIEW_CHANNEL and ref in note.args["text"]
        flat = json.dumps(note.args)
        assert "client" not in flat and "invoice" not in flat and "channel&gt;" not in flat
        button = next(b for b in note.args["blocks"] if b["type"] == "actions")["elements"][0]
        assert button["action_id"].startswith("case.open")

        # Someone outside the review channel is refused, in a modal; the reviewer reads the case in a modal.
        await send(client, p.block_action(button["action_id"], ref, user="UNOTREVIEWER", channel=REVIEW_CHANNEL))
        views = await slack_api.wait_for("views.open", 2)
        assert "Only the designated reviewers" in json.dumps(views[1].args["view"]) and "client" not in json.dumps(views[1].args)
        await send(client, p.block_action(button["action_id"], ref, user=REVIEWER, channel=REVIEW_CHANNEL))
        views = await slack_api.wait_for("views.open", 3)
        case_view = json.dumps(views[2].args["view"])
        assert "client's" in case_view and "&lt;!channel&gt;" in case_view and "<!channel>" not in case_view
        assert slack_api.of("chat.postEphemeral") == []  # nothing about the case went into a chat

        # Inside that modal the reviewer writes to the reporter (a pushed modal) and sends.
        await send(client, p.block_action("case.write#1", ref, user=REVIEWER, view_id="V1"))
        [pushed] = await slack_api.wait_for("views.push")
        meta = json.loads(pushed.args["view"]["private_metadata"])
        assert meta == {"action_id": "case.send", "value": ref}
        status, out = await send(client, p.view_submission({"message": "Thanks, we are on it. Which account posted it?"},
                                                           "case.send", ref, user=REVIEWER))
        assert "Message saved" in out

        # The reporter opens the case with /smpolicy case, reads and answers, all inside modals.
        await send(client, p.command("case", user=REPORTER))
        views = await slack_api.wait_for("views.open", 4)
        assert json.loads(views[3].args["view"]["private_metadata"])["action_id"] == "case.verify"
        status, out = await send(client, p.view_submission({"ref": ref, "code": "WRONG-CODE"}, "case.verify", "-", user=REPORTER))
        assert json.loads(out) == {"response_action": "errors", "errors": {"code": "Reference and code don't match."}}
        status, out = await send(client, p.view_submission({"ref": ref, "code": code}, "case.verify", "-", user=REPORTER))
        view = json.loads(out)["view"]
        assert "Which account posted it?" in json.dumps(view)
        token = json.loads(view["private_metadata"])["value"]
        status, out = await send(client, p.view_submission({"message": "A team account, now deleted."}, "case.reply", token, user=REPORTER))
        assert "saved" in out

        await send(client, p.block_action("case.open#0", ref, user=REVIEWER, channel=REVIEW_CHANNEL))
        views = await slack_api.wait_for("views.open", 5)
        assert "Reporter: A team account, now deleted." in json.dumps(views[4].args["view"])

        # /smpolicy reports lists it for reviewers only.
        status, out = await send(client, p.command("reports", user=REVIEWER))
        assert ref in out
        status, out = await send(client, p.command("reports", user=REPORTER))
        assert "Only the designated reviewers" in out and ref not in out

    to_reviewers = json.dumps([c.args for c in slack_api.calls if c.args.get("channel") == REVIEW_CHANNEL])
    await assert_nowhere([REPORTER, "DREPORTER7"], tmp_path, database_url, log_lines.getvalue(), to_reviewers)


async def test_reports_wait_without_a_review_channel(tmp_path, database_url, slack_api):
    settings = Settings(data_dir=tmp_path, db_path=tmp_path / "smpolicy.db", database_url=database_url or "", slack_bot_token="xoxb-test",
                        slack_signing_secret=p.SECRET, slack_api_url=slack_api.api_url, report_notify_delay=0)
    async with TestClient(TestServer(create_app(settings))) as client:
        token = await report_token(client, slack_api, REPORTER)
        status, out = await send(client, p.view_submission({"what": "A leak"}, "report.submit", token, user=REPORTER))
        assert status == 200 and "R-" in out
    assert slack_api.of("chat.postMessage") == []
    settings = Settings(**{**settings.__dict__, "slack_review_channel": REVIEW_CHANNEL})
    async with TestClient(TestServer(create_app(settings))):
        [note] = await slack_api.wait_for("chat.postMessage", timeout=8)
        assert note.args["channel"] == REVIEW_CHANNEL and "A leak" not in note.args["text"] and "R-" in note.args["text"]
