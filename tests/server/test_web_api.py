"""The local web API, health and metrics, over HTTP."""

import asyncio
import json

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.server import STORAGE, create_app
from tests.conftest import stored
from tests.server.conftest import settings_for


async def say(client, text, user="alice"):
    resp = await client.post("/api/local/messages", json={"user_id": user, "text": text})
    assert resp.status == 200
    return (await resp.json())["replies"]


async def act(client, action_id, value="", form=None, user="alice"):
    resp = await client.post("/api/local/actions", json={"user_id": user, "action_id": action_id, "value": value, "form": form or {}})
    assert resp.status == 200
    return (await resp.json())["replies"]


async def test_question_gets_the_neutral_reply_as_json(client):
    [reply] = await say(client, "Can I post a screenshot of our internal dashboard on Twitter?")
    assert reply["text"].startswith("Not allowed.")
    assert reply["card"]["badge"] == "not_allowed" and reply["card"]["title"] == "Not allowed"
    # the verdict is said once: no "Verdict" field, no repeat at the start of the body, no internal id in the guideline
    assert all(name != "Verdict" for name, _ in reply["card"]["fields"])
    assert not reply["card"]["body"].startswith("Not allowed")
    assert reply["card"]["fields"][0] == ["Guideline", "Confidentiality and Privacy"]
    assert reply["card"]["quote"] and reply["private"] is True


async def test_healthz_and_metrics(client):
    resp = await client.get("/healthz")
    dialect = client.server.app[STORAGE].db.dialect
    assert resp.status == 200 and (await resp.json()) == {"status": "ok", "policy_version": "2026.11.1", "database": dialect,
                                                          "reports_unreadable": 0}
    await say(client, "Does the company monitor what I post?")
    await say(client, "What's the guest wifi password?")
    text = await (await client.get("/metrics")).text()
    assert 'smpolicy_answers_total{verdict="info"} 1.0' in text
    assert 'smpolicy_answers_total{verdict="unknown"} 1.0' in text
    assert 'smpolicy_requests_total{channel="web",status="200"} 2.0' in text
    assert "smpolicy_request_seconds_bucket" in text


async def test_quiz_through_the_api_with_double_press(client):
    [card] = await say(client, "quiz")
    first = card["card"]["buttons"][0]
    replies = await act(client, first["action_id"], first["value"])
    assert replies[0]["card"]["title"] in ("Right!", "Not quite") and replies[1]["card"]["title"] == "Quiz question 2 of 3"
    again = await act(client, first["action_id"], first["value"])
    assert len(again) == 1 and "already answered" in again[0]["text"]
    for _ in range(2):
        button = replies[-1]["card"]["buttons"][0]
        replies = await act(client, button["action_id"], button["value"])
    assert replies[-1]["card"]["title"] == "Quiz done"
    text = await (await client.get("/metrics")).text()
    right = sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith("smpolicy_quiz_answers_total"))
    assert right == 3


async def test_someone_else_cannot_answer_my_quiz(client):
    [card] = await say(client, "quiz", user="alice")
    button = card["card"]["buttons"][0]
    [reply] = await act(client, button["action_id"], button["value"], user="mallory")
    assert "not yours" in reply["text"]


async def test_report_form_errors_then_files_once(client, tmp_path):
    [form] = await say(client, "report")
    submit = form["card"]["submit"]
    [err] = await act(client, submit["action_id"], submit["value"], {"what": "  "})
    assert err["field_errors"] == [["what", "Please describe what happened."]]
    [too_long] = await act(client, submit["action_id"], submit["value"], {"what": "x", "link": "y" * 501})
    assert too_long["field_errors"] == [["link", "At most 500 characters, please."]]
    words = "A colleague posted our client's invoices on Reddit"
    [filed] = await act(client, submit["action_id"], submit["value"], {"what": words, "urgency": "urgent"})
    ref = dict(filed["card"]["fields"])["Case"]
    assert ref.startswith("R-") and len(ref) == 8
    [twice] = await act(client, submit["action_id"], submit["value"], {"what": words})
    assert f"already filed as case {ref}" in twice["text"]
    assert await stored(client, "SELECT ref, urgency FROM reports") == [(ref, "urgent")]
    if client.server.app[STORAGE].db.dialect == "sqlite":  # the file and its WAL, byte for byte
        raw = b"".join(f.read_bytes() for f in tmp_path.glob("smpolicy.db*"))
    else:  # every row of every table the reports live in
        raw = str([await stored(client, f"SELECT * FROM {t}") for t in ("reports", "report_messages", "audit")]).encode()
    assert b"invoices" not in raw and b"alice" not in raw


@pytest.mark.parametrize("body, status, error", [
    (b"{not json", 400, "body: malformed JSON"),
    (b"[1, 2]", 400, "body: must be a JSON object"),
    (b'{"text": "hi"}', 400, "user_id: required"),
    (b'{"user_id": 5, "text": "hi"}', 400, "user_id: must be a string"),
    (b'{"user_id": "a", "text": ["hi"]}', 400, "text: must be a string"),
])
async def test_bad_bodies_get_400_naming_the_field(client, body, status, error):
    resp = await client.post("/api/local/messages", data=body, headers={"Content-Type": "application/json"})
    assert resp.status == status and (await resp.json()) == {"error": error}


async def test_oversized_body_unknown_route_and_wrong_method_then_still_serving(client):
    resp = await client.post("/api/local/messages", data=b'{"user_id": "a", "text": "' + b"x" * 70000 + b'"}')
    assert resp.status == 413 and "error" in await resp.json()
    assert (await client.get("/nope")).status == 404
    resp = await client.get("/api/local/messages")
    assert resp.status == 405 and "error" in await resp.json()
    assert (await client.post("/api/local/actions", json={"user_id": "a", "action_id": "x", "form": {"a": 1}})).status == 400
    assert (await client.get("/healthz")).status == 200


async def test_healthz_503_when_the_database_cannot_be_written(tmp_path):
    app = create_app(settings_for(tmp_path))
    async with TestClient(TestServer(app)) as client:
        # Root ignores file modes, so make SQLite refuse writes the way a read-only or full disk does.
        conn = app[STORAGE].db.conn
        conn.execute("PRAGMA query_only = ON")
        resp = await client.get("/healthz")
        assert resp.status == 503 and (await resp.json())["status"] == "unavailable"
        [reply] = await act(client, "feedback.up", "monitoring")
        assert "could not save" in reply["text"]
        conn.execute("PRAGMA query_only = OFF")
        assert (await client.get("/healthz")).status == 200


async def test_concurrent_requests(client):
    replies = await asyncio.gather(*(say(client, f"Can I post photos of colleagues {i}?", user=f"u{i}") for i in range(30)))
    assert all(r[0]["card"] for r in replies)


async def test_page_is_served_offline_ready(client):
    html = await (await client.get("/")).text()
    assert '<script src="/static/app.js">' in html and "http" not in html.replace('http-equiv', '')
    js = await (await client.get("/static/app.js")).text()
    assert "innerHTML" not in js.replace("never innerHTML", "")
    assert json.dumps("x")
