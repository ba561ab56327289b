"""Every card the bot can send validates against the official Adaptive Card 1.5 schema."""

import json
import random
from pathlib import Path

import jsonschema
import pytest

from adapters.teams import render
from bot.core import answer_reply, help_reply
from bot.messages import Card, FormField, Reply, incoming_action
from bot.quiz.flow import QuizMaster
from bot.reports.crypto import Sealer
from bot.reports.flow import ReportDesk, form_token, report_form
from bot.routes import build_bot, build_core
from bot.storage import Storage
from tests.conftest import ROOT

SCHEMA = ROOT.parent / "shared" / "schemas" / "adaptive-card-1.5.json"
if not SCHEMA.exists():
    SCHEMA = Path(__file__).resolve().parent.parent / "schemas" / "adaptive-card-1.5.json"


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA.read_text())
    return jsonschema.Draft6Validator(schema)


async def every_reply(pack, engine, tmp_path):
    storage = Storage.open(tmp_path / "cards.db")
    await storage.start()
    replies = [help_reply(), report_form(pack, "nonce.mac")]
    seen = set()
    for topic in pack.topics:  # one answer per topic and the refusal
        answer = engine.answer(topic.examples[0])
        if answer.topic not in seen:
            seen.add(answer.topic)
            replies.append(answer_reply(answer))
    replies.append(answer_reply(engine.answer("what's the wifi password")))
    desk = ReportDesk(storage.cases, Sealer(b"k" * 32), pack)
    replies += await desk.submit(incoming_action("teams", "u", "c", "report.submit", form_token(desk.form_key, "u"), {"what": "x"}))
    quiz = QuizMaster(storage.quiz, pack, rng=random.Random(1))
    _, first = await quiz.start("u")
    replies.append(first)
    for _ in range(3):
        button = replies[-1].card.buttons[-1]
        replies += await quiz.answer(incoming_action("teams", "u", "c", button.action_id, button.value))
    core = build_core(pack, engine, storage, Sealer(b"k" * 32))
    replies += await core.handle(incoming_action("teams", "u", "c", "home.open"))
    replies += await core.handle(incoming_action("teams", "u", "c", "policy.section", "monitoring"))
    await storage.close()
    return replies


async def test_every_card_is_valid_adaptive_card_1_5(pack, engine, tmp_path, validator):
    replies = await every_reply(pack, engine, tmp_path)
    cards = [r.card for r in replies if r.card]
    assert len(cards) > 60
    for card in cards:
        content = render.adaptive_card(card)
        assert content["version"] == "1.5"
        errors = sorted(validator.iter_errors(content), key=str)
        assert errors == [], (card.title, [e.message for e in errors[:3]])
        assert render.activity(type(replies[0])(text="t", card=card))["text"] == "t"


async def dialog_turns(pack, engine, tmp_path) -> list[list[Reply]]:
    """The replies of every dialog turn of the report, review and follow-up flows (what task/fetch and task/submit show)."""
    storage = Storage.open(tmp_path / "dialogs.db")
    await storage.start()
    bot = build_bot(pack, engine, storage, Sealer(b"k" * 32), notify_delay=0)
    await storage.reviewers.set_reviewers("teams", ["reviewer"])

    async def run(user, action, value="", **form):
        return await bot.core.handle(incoming_action("teams", user, "c", action, value, form))

    turns = [await run("u", "report.open")]
    token = turns[-1][0].card.submit.value
    turns.append(await run("u", "report.submit", token, what="   "))  # field errors
    turns.append(await run("u", "report.submit", token, what="[a link](https://x.example) **posted**", urgency="urgent"))
    ref, code = dict(turns[-1][0].card.fields)["Case"], dict(turns[-1][0].card.fields)["Follow-up code"]
    turns.append(await run("someone", "case.open", ref))  # refused: a message, no card
    for action in ("case.open", "case.ack", "case.write"):
        turns.append(await run("reviewer", action, ref))
    turns.append(await run("reviewer", "case.send", ref, message="Thanks"))
    turns.append(await run("reviewer", "case.close", ref))
    turns.append(await run("u", "case.lookup"))
    turns.append(await run("u", "case.verify", "-", ref=ref, code="WRONG-CODE"))
    turns.append(await run("u", "case.verify", "-", ref=ref, code=code))
    turns.append(await run("u", "case.reply", turns[-1][0].card.submit.value, message="Still online"))
    turns.append(await run("reviewer", "case.closed", ref, outcome="action_taken"))
    await storage.close()
    return turns


async def test_every_dialog_card_is_valid_adaptive_card_1_5(pack, engine, tmp_path, validator):
    turns = await dialog_turns(pack, engine, tmp_path)
    assert all(r.dialog for turn in turns for r in turn)
    dialogs = [render.dialog(turn, opener={"action_id": "report.open", "value": ""}) for turn in turns]
    form = turns[0][0].card
    dialogs.append(render.dialog(turns[1], form_again=form, values={"what": "   ", "where": "LinkedIn", "link": "x" * 900},
                                 opener={"action_id": "report.open", "value": ""}))
    cards = [d.card for d in dialogs if d.card is not None]
    assert len(cards) >= 10 and any(d.message for d in dialogs)
    for card in cards:
        errors = sorted(validator.iter_errors(card), key=str)
        assert errors == [], [e.message for e in errors[:3]]
        for action in card.get("actions", []):
            assert action["type"] == "Action.Submit" and "msteams" not in action["data"]  # in a dialog: task/submit
    again = cards[-1]
    assert next(b for b in again["body"] if b.get("id") == "where")["value"] == "LinkedIn"
    assert len(next(b for b in again["body"] if b.get("id") == "link")["value"]) == 500  # cut to the field's limit
    assert any(b.get("color") == "Attention" for b in again["body"])


def test_dialog_buttons_open_a_task_module_and_dialog_replies_never_become_chat_messages(validator):
    from bot.messages import Button

    card = Card(title="Open cases", buttons=(Button("Open R-AAAAAA", "case.open", "R-AAAAAA", dialog=True), Button("Quiz", "quiz.start")))
    content = render.activity(Reply("t", card))["attachments"][0]["content"]
    assert list(validator.iter_errors(content)) == []
    assert content["actions"][0]["data"] == {"action_id": "case.open", "value": "R-AAAAAA", "msteams": {"type": "task/fetch"}}
    assert "msteams" not in content["actions"][1]["data"]
    with pytest.raises(ValueError):
        render.activity(Reply("Your case R-AAAAAA, code ...", card, dialog=True))
    form = Card(form=(FormField("what", "What happened", "multiline", True),))
    assert render.dialog([Reply("x", form, dialog=True)]).size == "large"


async def test_the_launcher_card_in_chat_is_valid_and_carries_no_form(pack, tmp_path, validator):
    from adapters.teams.app import TeamsChannel
    from bot.messages import Incoming

    typed = Incoming(channel="teams", user_key="u", conversation_key="c", text="report")
    [launcher] = TeamsChannel.in_chat(None, typed, [report_form(pack, "nonce.mac")])
    content = render.activity(launcher)["attachments"][0]["content"]
    assert list(validator.iter_errors(content)) == []
    assert content["actions"] == [{"type": "Action.Submit", "title": "Report a concern", "style": "positive",
                                   "data": {"action_id": "teams.say", "value": "report", "msteams": {"type": "task/fetch"}}}]
    assert "nonce.mac" not in str(content) and not any(b["type"].startswith("Input.") for b in content["body"])


def test_the_validator_rejects_a_broken_card(validator):
    assert list(validator.iter_errors({"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "txt": "x"}]}))


def test_markdown_in_text_is_neutralised():
    out = render.escape("[click](https://evil.example) **bold**\n- item\n1. first\nR-7KQ2M9")
    assert "[click](" not in out and "**bold**" not in out and "\n- " not in out and "\n1. " not in out
    assert out.replace(render.ZWSP, "") == "[click](https://evil.example) **bold**\n- item\n1. first\nR-7KQ2M9"
