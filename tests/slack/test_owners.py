"""The policy owners on Slack, through signed payloads to /slack/events and the stand-in Web API, on both backends:
the owners' channel gets a bare notice, its members answer in a modal, others are refused, a named asker gets the
answer in their DM, an anonymous one only through their code; and profile names are scrubbed from kept words."""

from __future__ import annotations

import asyncio
import json

from aiohttp.test_utils import TestClient, TestServer

from adapters.server import SLACK, create_app
from bot.settings import Settings
from tests.fakes import slack_payloads as p
from tests.reports.conftest import assert_nowhere, log_lines  # noqa: F401  (the fixture)
from tests.slack.conftest import send

OWNERS = "GOWNERS01"
OWNER = "UOWNER01"
ASKER = "UASKER77"
UNKNOWN = "What is the weather tomorrow in Berlin?"


def app_for(tmp_path, database_url, slack_api):
    settings = Settings(data_dir=tmp_path, db_path=tmp_path / "smpolicy.db", database_url=database_url or "",
                        slack_bot_token="xoxb-test", slack_signing_secret=p.SECRET, slack_api_url=slack_api.api_url,
                        slack_owners_channel=OWNERS, quiz_rounds=False,
                        report_notify_delay=0)  # notices at once (the jitter of anonymous ones: tests/owners/test_flow.py)
    return TestClient(TestServer(create_app(settings)))


def button_of(blocks: list[dict], action: str) -> dict:
    return next(e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"].split("#")[0] == action)


async def ask(client, slack_api, user: str, who: str, extra: str = "") -> tuple[str, dict]:
    """/smpolicy <unknown question>, Ask the policy owners, the modal submitted; the event id and the ack."""
    status, out = await send(client, p.command(UNKNOWN, user=user))
    ask_button = button_of(json.loads(out)["blocks"], "owners.ask")
    before = len(slack_api.of("views.open"))
    await send(client, p.block_action(ask_button["action_id"], ask_button["value"], user=user, channel="C1", ephemeral=True,
                                      response_url=slack_api.response_url()))
    form = (await slack_api.wait_for("views.open", before + 1))[before].args["view"]
    meta = json.loads(form["private_metadata"])
    assert meta == {"action_id": "owners.send", "value": ask_button["value"]} and "weather" in json.dumps(form)
    status, out = await send(client, p.view_submission({"who": who, "question": extra}, meta["action_id"], meta["value"], user=user))
    assert status == 200
    return ask_button["value"], json.loads(out)


async def owner_answers(client, slack_api, notice: dict, user: str, add: str = "no") -> dict:
    answer = button_of(notice["blocks"], "owners.open")
    before = len(slack_api.of("views.open"))
    await send(client, p.block_action(answer["action_id"], answer["value"], user=user, channel=OWNERS))
    form = (await slack_api.wait_for("views.open", before + 1))[before].args["view"]
    if "Only the policy owners" in json.dumps(form):
        return form
    meta = json.loads(form["private_metadata"])
    assert meta == {"action_id": "owners.reply", "value": answer["value"]} and "weather" in json.dumps(form)
    status, out = await send(client, p.view_submission({"answer": "Check the forecast, not the guidelines.", "verdict": "info",
                                                        "add": add}, meta["action_id"], meta["value"], user=user))
    return json.loads(out)


async def test_an_anonymous_question_reaches_the_owners_bare_and_the_answer_only_through_the_code(tmp_path, database_url, slack_api,
                                                                                                 log_lines):  # noqa: F811
    slack_api.channel_members[OWNERS] = [OWNER]
    slack_api.profiles[ASKER] = {"id": ASKER, "name": "priya.raman", "real_name": "Priya Raman",
                                 "profile": {"display_name": "Priya", "real_name": "Priya Raman"}}
    async with app_for(tmp_path, database_url, slack_api) as client:
        _, ack = await ask(client, slack_api, ASKER, "anonymous", extra="Priya here, call me on +44 20 7946 0958")
        shown = json.dumps(ack["view"])
        assert ack["response_action"] == "update" and "anonymously" in shown
        code = button_of(ack["view"]["blocks"], "owners.check")["value"]

        # The owners' channel: a reference, what the bot said, Answer; nothing of the words or of the asker.
        [notice] = [c for c in await slack_api.wait_for("chat.postMessage") if c.args["channel"] == OWNERS]
        flat = json.dumps(notice.args)
        assert "anonymously" in flat and "Q-" in notice.args["text"]
        for absent in ("weather", "Priya", "priya", ASKER, "slack", "0958"):
            assert absent not in flat, absent

        # Someone outside the owners' channel is refused, also when they forge the submission.
        refused = await owner_answers(client, slack_api, notice.args, ASKER)
        assert "Only the policy owners" in json.dumps(refused) and "weather" not in json.dumps(refused)
        qid = button_of(notice.args["blocks"], "owners.open")["value"]
        status, out = await send(client, p.view_submission({"answer": "forged", "verdict": "info", "add": "no"}, "owners.reply", qid,
                                                           user=ASKER))
        assert "Only the policy owners" in out

        # The owner answers in a modal; nothing goes to the asker, who reads it once with the code.
        done = await owner_answers(client, slack_api, notice.args, OWNER, add="yes")
        assert "anonymous asker reads it with their code" in json.dumps(done)
        await client.server.app[SLACK].bot.owners.settle()
        assert not [c for c in slack_api.of("conversations.open") if c.args.get("users") == ASKER]
        assert not [c for c in slack_api.of("chat.postMessage") if c.args["channel"] != OWNERS]
        before = len(slack_api.of("views.open"))
        await send(client, p.command("my question", user=ASKER))
        form = (await slack_api.wait_for("views.open", before + 1))[before].args["view"]
        assert json.loads(form["private_metadata"])["action_id"] == "owners.check"
        status, out = await send(client, p.view_submission({"code": code}, "owners.check", "", user=ASKER))
        assert "Check the forecast, not the guidelines." in out
        status, out = await send(client, p.view_submission({"code": code}, "owners.check", "", user=ASKER))
        assert "already shown" in out
        suggestions = await client.server.app[SLACK].bot.storage.db.fetchall("SELECT question FROM content_suggestions")
        assert len(suggestions) == 1 and "weather" in suggestions[0]["question"]

    to_owners = json.dumps([c.args for c in slack_api.calls if c.args.get("channel") == OWNERS])
    await assert_nowhere([ASKER, "DUASKER77", "Priya", "priya", "Raman", "7946"], tmp_path, database_url, written(log_lines), to_owners)


def written(buffer) -> str:
    """The log lines a server writes (adapters/logs.py): ours at any level, the libraries' (which log request
    bodies at DEBUG, users.info included) at warning and above."""
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    kept = [line for line in lines if line["level"] in ("WARNING", "ERROR", "CRITICAL")
            or (line["logger"].startswith("smpolicy") and not line["logger"].startswith("smpolicy.slack.bolt"))]
    assert any(line["logger"] == "smpolicy.server" for line in kept)  # the request lines are there to scan
    return "\n".join(json.dumps(line) for line in kept)


async def test_a_named_question_shows_the_name_and_the_answer_comes_to_the_askers_dm(tmp_path, database_url, slack_api):
    slack_api.channel_members[OWNERS] = [OWNER]
    slack_api.profiles[ASKER] = {"id": ASKER, "name": "dana.lee", "profile": {"display_name": "Dana Lee", "real_name": "Dana Lee"}}
    async with app_for(tmp_path, database_url, slack_api) as client:
        _, ack = await ask(client, slack_api, ASKER, "name")
        assert "with your name" in json.dumps(ack["view"])
        [notice] = [c for c in await slack_api.wait_for("chat.postMessage") if c.args["channel"] == OWNERS]
        assert "Dana Lee" in json.dumps(notice.args) and "weather" not in json.dumps(notice.args)
        done = await owner_answers(client, slack_api, notice.args, OWNER)
        assert "on its way to Dana Lee" in json.dumps(done)
        await client.server.app[SLACK].bot.owners.settle()
        [opened] = [c for c in slack_api.of("conversations.open") if c.args.get("users") == ASKER]
        [dm] = [c for c in slack_api.of("chat.postMessage") if c.args["channel"] == "D" + ASKER]
        assert "Check the forecast, not the guidelines." in json.dumps(dm.args) and "policy owners answered" in dm.args["text"]
        [row] = await client.server.app[SLACK].bot.storage.db.fetchall("SELECT status, delivered FROM owner_questions")
        assert row == {"status": "answered", "delivered": 1} or row == {"status": "answered", "delivered": True}


async def test_the_owners_follow_the_owners_channel(tmp_path, slack_api):
    slack_api.channel_members[OWNERS] = [OWNER]
    async with app_for(tmp_path, None, slack_api) as client:
        await slack_api.wait_for("conversations.members")
        owners = client.server.app[SLACK].bot.owners
        assert owners.is_owner(f"slack:{p.TEAM}:{OWNER}")
        # The owner leaves the channel: the event refreshes the roster at once.
        slack_api.channel_members[OWNERS] = []
        await send(client, p.event({"type": "member_left_channel", "user": OWNER, "channel": OWNERS, "team": p.TEAM}, event_id="EvL"))
        await slack_api.wait_for("conversations.members", 2)
        await client.server.app[SLACK].bot.owners.settle()
        for _ in range(200):
            if not owners.is_owner(f"slack:{p.TEAM}:{OWNER}"):
                break
            await asyncio.sleep(0.01)
        assert not owners.is_owner(f"slack:{p.TEAM}:{OWNER}")
        # Someone added with no event reaching us: their first press refreshes the roster (at most every 10 s).
        slack_api.channel_members[OWNERS] = ["UNEWOWNER"]
        client.server.app[SLACK].owners._roster_at -= 11
        await send(client, p.block_action("owners.open#0", "Q-00000000", user="UNEWOWNER", channel=OWNERS))
        [view] = await slack_api.wait_for("views.open")
        assert "no longer there" in json.dumps(view.args["view"])  # past the owners' check: the question is unknown


async def test_profile_names_are_scrubbed_from_kept_words(tmp_path, slack_api):
    slack_api.profiles["UPRIYA"] = {"id": "UPRIYA", "name": "praman", "real_name": "Priya Raman",
                                    "profile": {"display_name": "Priya R", "real_name": "Priya Raman"}}
    async with app_for(tmp_path, None, slack_api) as client:
        # A direct message waits for the profile: its names go from the kept words.
        await send(client, p.dm("Priya Raman here: what is the weather tomorrow in Berlin?", user="UPRIYA", event_id="EvP1"))
        await slack_api.wait_for("chat.postMessage")
        # A slash command never waits: Slack's user name goes at once (the profile, fetched meanwhile, next time).
        await send(client, p.command("someone asks: what is the weather tomorrow in Berlin?", user="UOTHER"))
        await send(client, p.command("Priya Raman asks: what is the weather tomorrow in Berlin?", user="UPRIYA"))
        await client.server.app[SLACK].bot.owners.settle()
        rows = await client.server.app[SLACK].bot.storage.db.fetchall("SELECT question FROM answer_events WHERE question IS NOT NULL")
        kept = sorted(r["question"] for r in rows)
        assert len(kept) == 3 and all("weather" in q for q in kept)
        assert "priya" not in json.dumps(kept).lower() and "raman" not in json.dumps(kept).lower()
        assert "someone" not in json.dumps(kept) and sum(q.startswith("[name] [name]") for q in kept) == 2
        assert len([c for c in slack_api.of("users.info") if c.args.get("user") == "UPRIYA"]) == 1  # cached


async def test_no_profile_is_looked_up_for_reports_follow_ups_or_presses(tmp_path, slack_api):
    async with app_for(tmp_path, None, slack_api) as client:
        await send(client, p.command("report", user="UREPORTS"))
        await send(client, p.command("case", user="UREPORTS"))
        await send(client, p.dm("report", user="UREPORTS", event_id="EvR1"))
        await send(client, p.block_action("owners.check#0", "some-code", user="UREPORTS", channel="DUREPORTS"))
        await slack_api.wait_for("views.open", 3)
        await send(client, p.dm("Can I post a photo from the offsite?", user="UASKS", event_id="EvR2"))
        await slack_api.wait_for("users.info")
        assert [c.args.get("user") for c in slack_api.of("users.info")] == ["UASKS"]
