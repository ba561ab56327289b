"""Weekly rounds against a stand-in Slack (with 429s) and Teams connector, through the real CLI and HTTP."""

import asyncio
import json
import os
import sqlite3
import sys

from aiohttp.test_utils import TestClient, TestServer

from adapters.server import create_app
from bot.reports.crypto import load_keys
from bot.settings import Settings
from bot.storage.sqlite import SQLiteDatabase
from tests.conftest import ROOT
from tests.fakes import slack_payloads as p
from tests.fakes import teams_activities as a
from tests.slack.conftest import send

HUMANS = [f"UHUMAN{i}" for i in range(6)]
USERS = [{"id": u, "name": u.lower(), "is_bot": False, "deleted": False} for u in HUMANS] + [
    {"id": "UBOTX", "name": "somebot", "is_bot": True, "deleted": False},
    {"id": "UGONE", "name": "gone", "is_bot": False, "deleted": True},
    {"id": "USLACKBOT", "name": "slackbot", "is_bot": False, "deleted": False},
]


async def quiz_send(tmp_path, env: dict, *args: str) -> tuple[int, str, str]:
    SQLiteDatabase.prepare(tmp_path / "smpolicy.db").close_now()  # as `smpolicy serve` leaves them: the CLI never creates a database or key
    load_keys("", tmp_path)
    full = {**{k: v for k, v in os.environ.items() if not k.startswith(("SMPOLICY_", "SLACK_", "Microsoft"))},
            "SMPOLICY_DATA_DIR": str(tmp_path), **env}
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "adapters.cli", "quiz", *args, cwd=ROOT, env=full,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode, out.decode(), err.decode()


def slack_env(fake) -> dict:
    return {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": p.SECRET, "SLACK_API_URL": fake.api_url}


def invitations(fake) -> dict[str, list[dict]]:
    return {ch: [m for m in msgs if (m.get("metadata") or {}).get("event_type") == "smpolicy_quiz_round"]
            for ch, msgs in fake.messages.items()}


async def test_slack_round_with_429s_reaches_every_human_once(tmp_path, slack_api):
    slack_api.users = USERS
    slack_api.rate_limited["chat.postMessage"] = 3
    code, out, err = await quiz_send(tmp_path, slack_env(slack_api), "send", "--round", "2026-W48")
    assert code == 0, err
    assert "6 sent now" in out and "quiz round 2026-W48: 6/6" in err
    sent = invitations(slack_api)
    assert sorted(sent) == sorted("D" + u for u in HUMANS) and all(len(v) == 1 for v in sent.values())
    assert len(slack_api.of("chat.postMessage:429")) == 3
    first = slack_api.of("chat.postMessage")[0].args
    assert first["text"].startswith("This week's guideline quiz") and first["metadata"]["event_payload"] == {"round": "2026-W48"}

    code, out, _ = await quiz_send(tmp_path, slack_env(slack_api), "send", "--round", "2026-W48")
    assert code == 0 and "0 sent now, 6 had it already" in out
    assert all(len(v) == 1 for v in invitations(slack_api).values())

    # The invitation's buttons work through /slack/events, in the same database.
    settings = Settings(data_dir=tmp_path, db_path=tmp_path / "smpolicy.db", slack_bot_token="xoxb-test", slack_signing_secret=p.SECRET,
                        slack_api_url=slack_api.api_url, quiz_rounds=False)
    async with TestClient(TestServer(create_app(settings))) as client:
        blocks = slack_api.of("chat.postMessage")[0].args["blocks"]
        button = next(b for b in blocks if b["type"] == "actions")["elements"][1]
        user = slack_api.of("chat.postMessage")[0].args["channel"]
        status, _ = await send(client, p.block_action(button["action_id"], button["value"], user=user, channel="D" + user))
        assert status == 200
        await slack_api.wait_for("chat.postMessage", 8)
        assert any(c.args["text"].startswith(("Right!", "Not quite")) for c in slack_api.of("chat.postMessage")[6:])
    stats_code, stats_out, _ = await quiz_send(tmp_path, {}, "stats")
    assert stats_code == 0 and "round 2026-W48, sent 6, started 1, finished 0" in stats_out


async def test_an_interrupted_round_resumes_with_nobody_missed_or_twice(tmp_path, slack_api):
    slack_api.users = USERS
    slack_api.fail["chat.postMessage"] = 100  # the API goes down partway: everything after fails
    code, out, _ = await quiz_send(tmp_path, slack_env(slack_api), "send", "--round", "2026-W49")
    assert code == 1 and "failed" in out
    slack_api.fail.clear()
    # And a crash right after logging 'sending': one invitation arrived, one did not.
    db = sqlite3.connect(tmp_path / "smpolicy.db")
    db.execute("UPDATE quiz_sends SET state = 'sending' WHERE user_key IN (?, ?)", [f"slack:T1:{HUMANS[0]}", f"slack:T1:{HUMANS[1]}"])
    db.commit()
    slack_api.messages["D" + HUMANS[0]] = [{"ts": "1.1", "text": "old", "metadata": {"event_type": "smpolicy_quiz_round",
                                                                                        "event_payload": {"round": "2026-W49"}}}]
    code, out, err = await quiz_send(tmp_path, slack_env(slack_api), "send", "--round", "2026-W49")
    assert code == 0, err
    sent = invitations(slack_api)
    assert sorted(sent) == sorted("D" + u for u in HUMANS) and all(len(v) == 1 for v in sent.values()), sent
    states = dict(sqlite3.connect(tmp_path / "smpolicy.db").execute("SELECT user_key, state FROM quiz_sends").fetchall())
    assert set(states.values()) == {"sent"} and len(states) == 6


async def test_quiz_off_skips_the_person_and_quiz_on_brings_them_back(tmp_path, slack_api):
    slack_api.users = USERS
    settings = Settings(data_dir=tmp_path, db_path=tmp_path / "smpolicy.db", slack_bot_token="xoxb-test", slack_signing_secret=p.SECRET,
                        slack_api_url=slack_api.api_url, quiz_rounds=False)
    async with TestClient(TestServer(create_app(settings))) as client:
        status, out = await send(client, p.command("quiz off", user=HUMANS[2]))
        assert status == 200 and "no more weekly quiz invitations" in out
    code, out, _ = await quiz_send(tmp_path, slack_env(slack_api), "send", "--round", "2026-W50")
    assert code == 0 and "5 sent now" in out and "1 opted out" in out
    assert "D" + HUMANS[2] not in invitations(slack_api)
    async with TestClient(TestServer(create_app(settings))) as client:
        await send(client, p.command("quiz on", user=HUMANS[2]))
    code, out, _ = await quiz_send(tmp_path, slack_env(slack_api), "send", "--round", "2026-W50")
    assert "1 sent now, 5 had it already" in out


async def test_quiz_channel_limits_the_audience(tmp_path, slack_api):
    slack_api.users = USERS
    slack_api.channel_members["CQUIZ"] = [HUMANS[0], HUMANS[3], "UBOTX"]
    code, out, _ = await quiz_send(tmp_path, {**slack_env(slack_api), "SMPOLICY_SLACK_QUIZ_CHANNEL": "CQUIZ"}, "send", "--round", "2026-W51")
    assert code == 0 and "2 sent now" in out
    assert sorted(invitations(slack_api)) == ["D" + HUMANS[0], "D" + HUMANS[3]]


EMULATOR = {"SMPOLICY_TEAMS_EMULATOR": "on"}  # Teams without an app id: the emulator mode, which `quiz send` counts as configured


async def test_teams_round_goes_to_everyone_with_a_reference(tmp_path, connector):
    settings = Settings(data_dir=tmp_path, db_path=tmp_path / "smpolicy.db", quiz_rounds=False, teams_emulator=True)
    async with TestClient(TestServer(create_app(settings))) as client:
        for i in range(3):
            await client.post("/api/messages", json=a.installed(connector.url, user=f"29:u{i}", aad=f"aad-{i}", conversation=f"a:chat-{i}"))
        await connector.wait_for(3)
    code, out, err = await quiz_send(tmp_path, EMULATOR, "send", "--round", "2026-W48")
    assert code == 0 and "3 sent now" in out, err
    invites = [x for x in connector.delivered() if x["text"].startswith("This week's guideline quiz")]
    assert sorted(x["_path"].split("/")[3] for x in invites) == ["a:chat-0", "a:chat-1", "a:chat-2"]
    card = invites[0]["attachments"][0]["content"]
    assert [x["data"]["action_id"] for x in card["actions"]] == ["quiz.answer"] * len(card["actions"])
    code, out, _ = await quiz_send(tmp_path, EMULATOR, "send", "--round", "2026-W48")
    assert "0 sent now, 3 had it already" in out
    assert json.dumps(card)
