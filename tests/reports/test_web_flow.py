"""The whole report flow in the web chat, on both backends: file, review, two-way follow-up; nobody learns who
reported."""

import json

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.server import create_app
from bot.settings import Settings
from bot.storage import open_database
from tests.reports.conftest import assert_nowhere

REPORTER = "web-reporter-7f3a9c"
REVIEWER = "rev-1"


async def act(client, user, action_id, value="", form=None):
    resp = await client.post("/api/local/actions", json={"user_id": user, "action_id": action_id, "value": value, "form": form or {}})
    assert resp.status == 200
    return (await resp.json())["replies"]


async def say(client, user, text):
    resp = await client.post("/api/local/messages", json={"user_id": user, "text": text})
    return (await resp.json())["replies"]


@pytest.fixture
async def other_connection(tmp_path, database_url):
    """The same database through a connection of its own (another process, or an admin's tool)."""
    db = open_database(tmp_path / "smpolicy.db", database_url)
    await db.start()
    yield db
    await db.close()


def settings_on(tmp_path, database_url, **extra) -> Settings:
    return Settings(data_dir=tmp_path, db_path=tmp_path / "smpolicy.db", database_url=database_url or "", **extra)


async def test_web_report_review_and_follow_up(tmp_path, database_url, other_connection, log_lines):
    settings = settings_on(tmp_path, database_url, web_reviewers=(REVIEWER,), report_notify_delay=0)
    async with TestClient(TestServer(create_app(settings))) as client:
        [form] = await say(client, REPORTER, "report")
        submit = form["card"]["submit"]
        [filed] = await act(client, REPORTER, "report.submit", submit["value"],
                            {"what": "A teammate posted our client's invoices on Instagram", "urgency": "urgent", "section": "confidentiality-privacy"})
        fields = dict(filed["card"]["fields"])
        ref, code = fields["Case"], fields["Follow-up code"]
        # committed before the reporter saw the reference: another connection reads it
        assert await other_connection.fetchone("SELECT status FROM reports WHERE ref = ?", [ref]) == {"status": "new"}

        # Not a reviewer: plain refusals, nothing of the case.
        for user in (REPORTER, "mallory"):
            [refused] = await say(client, user, "reports")
            assert refused["text"] == "Only the designated reviewers can see reports." and ref not in json.dumps(refused)
            for action in ("case.open", "case.ack", "case.write", "case.close"):
                [refused] = await act(client, user, action, ref)
                assert refused["text"] == "Only the designated reviewers can see reports."

        # The reviewer lists, opens, acknowledges and writes.
        [listing] = await say(client, REVIEWER, "reports")
        assert ref in listing["text"] and "urgent" in listing["text"]
        [case] = await act(client, REVIEWER, "case.open", ref)
        assert "client's invoices" in case["card"]["body"] and dict(case["card"]["fields"])["Status"] == "new"
        await act(client, REVIEWER, "case.ack", ref)
        await act(client, REVIEWER, "case.start", ref)
        [write] = await act(client, REVIEWER, "case.write", ref)
        assert write["card"]["form"][0]["name"] == "message"
        await act(client, REVIEWER, "case.send", ref, {"message": "Thanks. Do you have a link to the post?"})

        # The reporter opens the case with reference and code, reads, answers.
        [lookup] = await say(client, REPORTER, "case")
        assert [f["name"] for f in lookup["card"]["form"]] == ["ref", "code"]
        [wrong] = await act(client, REPORTER, "case.verify", "-", {"ref": ref, "code": "AAAA-BBBB-CCCC"})
        assert wrong["field_errors"] == [["code", "Reference and code don't match."]]
        [view] = await act(client, REPORTER, "case.verify", "-", {"ref": ref, "code": code})
        assert "Reviewer: Thanks. Do you have a link" in view["card"]["body"] and "in review" in view["card"]["body"]
        token = view["card"]["submit"]["value"]
        saved, view = await act(client, REPORTER, "case.reply", token, {"message": "It was on the team's public page, now deleted."})
        assert "saved" in saved["text"] and "You: It was on the team" in view["card"]["body"]

        [case] = await act(client, REVIEWER, "case.open", ref)
        assert "Reporter: It was on the team's public page" in case["card"]["body"]
        [close] = await act(client, REVIEWER, "case.close", ref)
        await act(client, REVIEWER, "case.closed", ref, {"outcome": "action_taken"})
        [view] = await act(client, REPORTER, "case.verify", "-", {"ref": ref, "code": code})
        assert "closed" in view["card"]["body"] and not view["card"]["form"]

    audit = await other_connection.fetchall("SELECT reviewer, action, ref FROM audit ORDER BY id")
    assert [a["action"] for a in audit] == ["list", "open", "acknowledge", "start-review", "message", "open", "close:action_taken"]
    assert {a["reviewer"] for a in audit} == {"web:" + REVIEWER}
    await assert_nowhere([REPORTER], tmp_path, database_url, log_lines.getvalue())


async def test_cases_survive_a_restart(tmp_path, database_url):
    settings = settings_on(tmp_path, database_url, web_reviewers=(REVIEWER,))
    async with TestClient(TestServer(create_app(settings))) as client:
        [form] = await say(client, REPORTER, "report")
        [filed] = await act(client, REPORTER, "report.submit", form["card"]["submit"]["value"], {"what": "Leaked roadmap on Reddit"})
        ref = dict(filed["card"]["fields"])["Case"]
    async with TestClient(TestServer(create_app(settings))) as client:
        [case] = await act(client, REVIEWER, "case.open", ref)
        assert "Leaked roadmap on Reddit" in case["card"]["body"]


async def test_a_tampered_case_is_refused_not_shown(tmp_path, database_url, other_connection):
    settings = settings_on(tmp_path, database_url, web_reviewers=(REVIEWER,))
    async with TestClient(TestServer(create_app(settings))) as client:
        [form] = await say(client, REPORTER, "report")
        [filed] = await act(client, REPORTER, "report.submit", form["card"]["submit"]["value"], {"what": "original words"})
        ref = dict(filed["card"]["fields"])["Case"]
        await other_connection.execute("UPDATE reports SET ciphertext = ? WHERE ref = ?", ["AAAAAAAAAAAAAAAAAAAAAAAAAAAA", ref])
        [reply] = await act(client, REVIEWER, "case.open", ref)
        assert "failed its integrity check" in reply["text"] and "original" not in json.dumps(reply)
