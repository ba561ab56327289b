"""Slack over HTTP: signed payloads to /slack/events, a stand-in Web API on loopback."""

import asyncio
import json
import time

from tests.conftest import stored
from tests.fakes import slack_payloads as p
from tests.slack.conftest import report_token, running, send


async def test_url_verification(slack):
    status, text = await send(slack, p.as_json({"token": "t", "challenge": "abc123", "type": "url_verification"}))
    assert status == 200 and "abc123" in text


async def test_slash_command_question_gets_an_ephemeral_answer_fast(slack):
    started = time.monotonic()
    status, text = await send(slack, p.command("can I post a screenshot of our internal dashboard?"))
    took = time.monotonic() - started
    body = json.loads(text)
    assert status == 200 and took < 3
    assert body["response_type"] == "ephemeral" and body["text"].startswith("Not allowed.")
    block_texts = json.dumps(body["blocks"])
    assert "Confidentiality and Privacy" in block_texts and "feedback.up#0" in block_texts


async def test_slash_command_mentioning_payload_is_answered(slack):
    """Bolt's form parser reads any body containing "payload" as an interactivity payload and drops the command."""
    status, text = await send(slack, p.command("can I share the payload format of our internal API on Twitter?"))
    assert status == 200 and json.loads(text)["response_type"] == "ephemeral"


async def test_other_slash_commands_and_odd_timestamps(slack):
    body, headers = p.command("hello")
    other = body.replace("command=%2Fsmpolicy", "command=%2Fweather")
    status, _ = await send(slack, (other, {**headers, **p.sign(other)}))
    assert status == 404  # Bolt: no listener for it
    for stamp in ("", "soon", "-5", "1e9"):
        status, _ = await send(slack, (body, {**headers, "X-Slack-Request-Timestamp": stamp}))
        assert status == 401, stamp
    status, _ = await send(slack, (body, {k: v for k, v in headers.items() if k != "X-Slack-Signature"}))
    assert status == 401


async def test_signed_command_of_an_odd_shape_is_acknowledged_and_dropped(slack):
    for drop in ("user_id", "team_id", "trigger_id"):
        body, _ = p.command("report")
        odd = "&".join(pair for pair in body.split("&") if not pair.startswith(drop + "="))
        status, text = await send(slack, (odd, {"Content-Type": "application/x-www-form-urlencoded", **p.sign(odd)}))
        assert (status, text) == (200, ""), drop
    status, text = await send(slack, p.command("help"))
    assert status == 200 and "quiz" in text


async def test_slash_help_and_empty(slack):
    for text in ("help", ""):
        status, out = await send(slack, p.command(text))
        body = json.loads(out)
        assert status == 200 and "report" in body["text"] and "quiz" in body["text"]


async def test_slash_report_opens_the_modal_with_the_trigger(slack, slack_api):
    status, _ = await send(slack, p.command("report"))
    assert status == 200
    [call] = await slack_api.wait_for("views.open")
    assert call.args["trigger_id"] == "13345224609.738474920.8088930838d88f008e0"
    view = call.args["view"]
    assert view["callback_id"] == "smpolicy.form"
    assert json.loads(view["private_metadata"])["action_id"] == "report.submit"
    assert [b["block_id"] for b in view["blocks"] if b["type"] == "input"][:2] == ["what", "where"]
    assert "anonymous" in json.dumps(view["blocks"])


async def test_report_modal_errors_beside_the_field_then_files(slack, slack_api, tmp_path):
    token = await report_token(slack, slack_api)
    status, out = await send(slack, p.view_submission({"what": ""}, value=token))
    assert status == 200 and json.loads(out) == {"response_action": "errors", "errors": {"what": "Please describe what happened."}}
    status, out = await send(slack, p.view_submission({"what": "A manager posted client data", "urgency": "urgent"}, value=token))
    body = json.loads(out)
    assert body["response_action"] == "update" and "R-" in json.dumps(body["view"])
    rows = await stored(slack, "SELECT urgency FROM reports")
    assert rows == [("urgent",)]


async def test_dm_is_answered_in_its_thread_once_even_when_retried(tmp_path, slack_api):
    async with running(tmp_path, slack_api) as client:
        status, _ = await send(client, p.dm("Is YouTube considered social media?", event_id="EvA"))
        assert status == 200
        [call] = await slack_api.wait_for("chat.postMessage")
        assert call.args["channel"] == "D100" and call.args["thread_ts"] == "1700000000.000100"
        assert call.args["text"].startswith("Here is what the guidelines say")
        body, headers = p.dm("Is YouTube considered social media?", event_id="EvA")
        resp = await client.post("/slack/events", data=body.encode(), headers={**headers, "X-Slack-Retry-Num": "1",
                                                                              "X-Slack-Retry-Reason": "http_timeout"})
        assert resp.status == 200
    async with running(tmp_path, slack_api) as client:  # a restart: the dedupe is in SQLite
        body, headers = p.dm("Is YouTube considered social media?", event_id="EvA")
        resp = await client.post("/slack/events", data=body.encode(), headers={**headers, "X-Slack-Retry-Num": "2"})
        assert resp.status == 200
        await asyncio.sleep(0.3)
    assert len(slack_api.of("chat.postMessage")) == 1


async def test_bot_messages_are_ignored(slack, slack_api):
    body = {"type": "message", "channel": "D100", "bot_id": "BBOT", "text": "hi", "ts": "1.2", "channel_type": "im"}
    status, _ = await send(slack, p.event(body, "EvBot"))
    await asyncio.sleep(0.2)
    assert status == 200 and slack_api.of("chat.postMessage") == []


async def test_ack_comes_before_slow_web_api_work(slack, slack_api):
    slack_api.delay["chat.postMessage"] = 1.5
    started = time.monotonic()
    status, _ = await send(slack, p.dm("Can I follow experts on Twitter?", event_id="EvSlow"))
    assert status == 200 and time.monotonic() - started < 1.0
    await slack_api.wait_for("chat.postMessage", timeout=5)


async def test_quiz_from_the_command_goes_to_the_dm_and_buttons_answer(slack, slack_api):
    status, out = await send(slack, p.command("quiz"))
    assert status == 200 and "direct messages" in out
    [opened] = await slack_api.wait_for("conversations.open")
    assert opened.args["users"] == "U100"
    [question] = await slack_api.wait_for("chat.postMessage")
    assert question.args["channel"] == "DU100" and question.args["text"].startswith("Quiz question 1 of 3")
    first = next(b for b in question.args["blocks"] if b["type"] == "actions")["elements"][0]
    status, _ = await send(slack, p.block_action(first["action_id"], first["value"], channel="DU100"))
    assert status == 200
    calls = await slack_api.wait_for("chat.postMessage", 3)
    assert calls[1].args["text"].startswith(("Right!", "Not quite")) and calls[2].args["text"].startswith("Quiz question 2 of 3")


async def test_feedback_on_an_ephemeral_answer_is_stored_and_acknowledged(slack, slack_api, tmp_path):
    status, _ = await send(slack, p.block_action("feedback.up#0", "monitoring", channel="C1", ephemeral=True,
                                                 response_url=slack_api.response_url()))
    assert status == 200
    [call] = await slack_api.wait_for("response_url")
    assert call.args["response_type"] == "ephemeral" and "Thanks" in call.args["text"]
    rows = await stored(slack, "SELECT topic, helpful FROM feedback")
    assert rows == [("monitoring", 1)]


async def test_app_home_is_published_with_the_quiz_record(slack, slack_api):
    status, _ = await send(slack, p.home_opened())
    assert status == 200
    [call] = await slack_api.wait_for("views.publish")
    assert call.args["user_id"] == "U100" and call.args["view"]["type"] == "home"
    text = json.dumps(call.args["view"])
    assert "haven't taken a quiz" in text and "quiz.start#1" in text and "report.open#2" in text


async def test_report_button_opens_the_modal(slack, slack_api):
    status, _ = await send(slack, p.block_action("report.open#2", "-", channel=None))
    assert status == 200
    [call] = await slack_api.wait_for("views.open")
    assert call.args["trigger_id"] == "123.456.abc"


async def test_rate_limited_post_is_retried_and_sent_once(slack, slack_api):
    slack_api.rate_limited["chat.postMessage"] = 1
    await send(slack, p.dm("Can I use the company logo on my blog?", event_id="Ev429"))
    await slack_api.wait_for("chat.postMessage", timeout=8)
    assert len(slack_api.of("chat.postMessage:429")) == 1 and len(slack_api.of("chat.postMessage")) == 1


async def test_bad_signature_stale_timestamp_and_malformed_bodies(slack):
    body, headers = p.command("hi")
    resp = await slack.post("/slack/events", data=body.encode(), headers={**headers, "X-Slack-Signature": "v0=" + "0" * 64})
    assert resp.status == 401
    status, _ = await send(slack, p.command("hi", timestamp=int(time.time()) - 6 * 60))
    assert status == 401
    status, _ = await send(slack, p.command("hi", secret="wrong"))
    assert status == 401
    for raw in ("{not json", "payload=%7Bbroken", "payload=" + json.dumps({"type": "block_actions"}), "x" * 100):
        headers = {"Content-Type": "application/x-www-form-urlencoded" if "=" in raw else "application/json", **p.sign(raw)}
        resp = await slack.post("/slack/events", data=raw.encode(), headers=headers)
        assert 400 <= resp.status < 500, (raw, resp.status)
    resp = await slack.post("/slack/events", data=b"\xff\xfe", headers={"Content-Type": "text/plain"})
    assert 400 <= resp.status < 500
    assert (await slack.get("/healthz")).status == 200
