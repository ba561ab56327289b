"""Slack surfaces of issue 18: a mention in a channel answered in its thread (follow-ups with the thread's
context), and the assistant side panel with its suggested prompts, through signed events and the stand-in."""

from __future__ import annotations

import json

from tests.fakes import slack_payloads as p
from tests.slack.conftest import send


def mention(text: str, ts: str, thread_ts: str | None = None, event_id: str = "EvM1", channel: str = "C0GENERAL"):
    inner = {"type": "app_mention", "user": "U100", "text": f"<@UBOT> {text}", "ts": ts, "channel": channel, "event_ts": ts}
    if thread_ts:
        inner["thread_ts"] = thread_ts
    return p.event(inner, event_id)


async def test_a_mention_is_answered_in_its_thread_and_follow_ups_keep_the_context(slack, slack_api):
    status, _ = await send(slack, mention("can I share photos from the team offsite on Instagram?", "1700000100.000100"))
    assert status == 200
    [first] = await slack_api.wait_for("chat.postMessage")
    assert first.args["channel"] == "C0GENERAL" and first.args["thread_ts"] == "1700000100.000100"
    assert not first.args["text"].startswith("Not covered")
    # A follow-up that names only the new detail is read with the thread's first question.
    await send(slack, mention("and on TikTok?", "1700000101.000100", thread_ts="1700000100.000100", event_id="EvM2"))
    calls = await slack_api.wait_for("chat.postMessage", 2)
    verdict_line = first.args["text"].split("\n")[0]
    assert calls[1].args["thread_ts"] == "1700000100.000100" and calls[1].args["text"].split("\n")[0] == verdict_line
    # The same words in a thread the bot knows nothing about are read on their own: another answer.
    await send(slack, mention("and on TikTok?", "1700000102.000100", thread_ts="1700000000.999999", event_id="EvM3"))
    calls = await slack_api.wait_for("chat.postMessage", 3)
    assert calls[2].args["text"].split("\n")[0] != verdict_line
    # A retried delivery is answered once.
    await send(slack, mention("and on TikTok?", "1700000102.000100", thread_ts="1700000000.999999", event_id="EvM3"))
    assert len(slack_api.of("chat.postMessage")) == 3
    assert slack_api.of("chat.postEphemeral") == []


async def test_reports_and_cases_are_never_handled_in_a_channel(slack, slack_api):
    for n, word in enumerate(("report", "reports", "case", "quiz")):
        await send(slack, mention(word, f"1700000200.00010{n}", event_id=f"EvR{n}"))
    calls = await slack_api.wait_for("chat.postMessage", 4)
    assert all("direct messages" in c.args["text"] for c in calls)
    assert not any("R-" in json.dumps(c.args) for c in calls) and slack_api.of("views.open") == []


async def test_the_assistant_panel_suggests_the_four_jobs_and_answers_in_its_thread(slack, slack_api):
    started = {"type": "assistant_thread_started", "event_ts": "1700000300.000100",
               "assistant_thread": {"user_id": "U100", "channel_id": "D100", "thread_ts": "1700000300.000001",
                                    "context": {"channel_id": "C0GENERAL", "team_id": "T1"}}}
    status, _ = await send(slack, p.event(started, "EvA1"))
    assert status == 200
    [prompts] = await slack_api.wait_for("assistant.threads.setSuggestedPrompts")
    sent = prompts.args["prompts"]
    sent = json.loads(sent) if isinstance(sent, str) else sent
    assert [x["title"] for x in sent] == ["Ask about the guidelines", "Check a draft", "Report a concern", "Take a quiz"]
    assert prompts.args["channel_id"] == "D100" and prompts.args["thread_ts"] == "1700000300.000001"
    message = {"type": "message", "channel": "D100", "user": "U100", "text": "Is YouTube considered social media?",
               "ts": "1700000301.000100", "thread_ts": "1700000300.000001", "channel_type": "im", "event_ts": "1700000301.000100"}
    await send(slack, p.event(message, "EvA2"))
    calls = await slack_api.wait_for("chat.postMessage", 2)
    answer = calls[-1].args
    assert answer["thread_ts"] == "1700000300.000001" and answer["text"].startswith("Here is what the guidelines say")
    # "report" from the suggested prompt: a button that opens the form in a modal, never the form in the thread.
    await send(slack, p.event({**message, "text": "report", "ts": "1700000302.000100", "event_ts": "1700000302.000100"}, "EvA3"))
    calls = await slack_api.wait_for("chat.postMessage", 3)
    button = next(b for b in calls[-1].args["blocks"] if b["type"] == "actions")["elements"][0]
    assert button["action_id"].startswith("report.open") and "What happened" not in json.dumps(calls[-1].args)
