"""`check` on every surface: command line, web chat, Slack command and message shortcut, Teams."""

import json
import subprocess
import sys

from tests.conftest import ROOT
from tests.fakes import slack_payloads as p
from tests.fakes import teams_activities as a
from tests.slack.conftest import running as slack_running
from tests.slack.conftest import send
from tests.teams.conftest import running as teams_running

DRAFT = "Sneak peek: our unreleased v5 dashboard ships next month. Prod key AKIAIOSFODNN7EXAMPLE"


def test_cli_check_and_batch():
    result = subprocess.run([sys.executable, "-m", "adapters.cli", "check", DRAFT], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0 and result.stdout.startswith("Don't post this") and "IOSFODNN7EXAMPLE" not in result.stdout
    result = subprocess.run([sys.executable, "-m", "adapters.cli", "check", "--json", "-"], input="Happy Friday!\n\n" + DRAFT + "\n",
                            capture_output=True, text=True, cwd=ROOT)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [x.get("verdict") for x in lines] == ["ok", None, "do_not_post"] and lines[1]["error"] == "the draft is empty"
    result = subprocess.run([sys.executable, "-m", "adapters.cli", "check", "x" * 4001], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2 and "longer than 4,000" in result.stderr


async def test_web_chat_check(client):
    resp = await client.post("/api/local/messages", json={"user_id": "u", "text": "check: " + DRAFT})
    [reply] = (await resp.json())["replies"]
    assert reply["card"]["title"] == "Don't post this as it is" and "IOSFODNN7EXAMPLE" not in json.dumps(reply)
    metrics = await (await client.get("/metrics")).text()
    assert 'smpolicy_draft_checks_total{verdict="do_not_post"} 1.0' in metrics


async def test_slack_command_and_message_shortcut(tmp_path, slack_api, caplog):
    async with slack_running(tmp_path, slack_api) as client:
        status, out = await send(client, p.command("check " + DRAFT))
        body = json.loads(out)
        assert status == 200 and body["response_type"] == "ephemeral"
        assert body["text"].startswith("Don't post this") and "IOSFODNN7EXAMPLE" not in out
        shortcut = {"type": "message_action", "callback_id": "smpolicy.check", "trigger_id": "1.2.3", "team": {"id": "T1"},
                    "user": {"id": "U100"}, "channel": {"id": "C1"}, "response_url": slack_api.response_url("s1"),
                    "message": {"type": "message", "user": "U200", "ts": "1.1", "text": "Q3 revenue came in way above forecast!"},
                    "message_ts": "1.1", "token": "legacy"}
        status, _ = await send(client, p.interactive(shortcut))
        assert status == 200
        [call] = await slack_api.wait_for("response_url")
        assert call.args["response_type"] == "ephemeral" and call.args["text"].startswith("Don't post this")
    assert "IOSFODNN7EXAMPLE" not in caplog.text and "Q3 revenue" not in caplog.text


async def test_teams_check(tmp_path, connector):
    async with teams_running(tmp_path) as client:
        await client.post("/api/messages", json=a.message("check " + DRAFT, connector.url))
        [reply] = await connector.wait_for(1)
        assert reply["text"].startswith("Don't post this") and "IOSFODNN7EXAMPLE" not in json.dumps(reply)
