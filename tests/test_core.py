"""The core boundary: Incoming in, Replies out, whatever the channel."""

import dataclasses

import pytest

from bot.messages import Incoming, Reply


def msg(text: str) -> Incoming:
    return Incoming(channel="test", user_key="u1", conversation_key="c1", text=text)


async def test_a_question_gets_text_and_a_card(core):
    [reply] = await core.handle(msg("Can I use the company logo on my personal website?"))
    assert isinstance(reply, Reply) and reply.text.startswith("Not allowed.")
    assert reply.card.badge == "not_allowed" and [name for name, _ in reply.card.fields] == ["Guideline"]
    assert reply.card.quote and {b.action_id for b in reply.card.buttons} == {"feedback.up", "feedback.down"}


async def test_help_lists_the_jobs_with_follow_up_on_a_report(core):
    [reply] = await core.handle(msg("help"))
    assert "report" in reply.text and "quiz" in reply.text and "follow up on a report" in reply.text
    assert [(b.label, b.action_id, b.dialog) for b in reply.card.buttons] == [
        ("Take a quiz", "quiz.start", False), ("Report a concern", "report.open", True), ("Follow up on a report", "case.lookup", True)]


async def test_a_failing_handler_gets_the_one_error_reply(core, monkeypatch, caplog):
    def boom(question):
        raise RuntimeError("index broke")

    monkeypatch.setattr(core.engine, "answer", boom)
    [reply] = await core.handle(msg("secret words of the person"))
    assert "something went wrong" in reply.text
    assert "secret words" not in caplog.text and "handler failed" in caplog.text


def test_boundary_types_are_frozen():
    incoming = msg("x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        incoming.text = "y"
