"""Every card the bot can send validates against the official Adaptive Card 1.5 schema."""

import json
import random
from pathlib import Path

import jsonschema
import pytest

from adapters.teams import render
from bot.core import answer_reply, help_reply
from bot.messages import incoming_action
from bot.quiz.flow import QuizMaster
from bot.reports.crypto import Sealer
from bot.reports.flow import ReportDesk, form_token, report_form
from bot.routes import build_core
from bot.store import Store
from tests.conftest import ROOT

SCHEMA = ROOT.parent / "shared" / "schemas" / "adaptive-card-1.5.json"
if not SCHEMA.exists():
    SCHEMA = Path(__file__).resolve().parent.parent / "schemas" / "adaptive-card-1.5.json"


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA.read_text())
    return jsonschema.Draft6Validator(schema)


async def every_reply(pack, engine, tmp_path):
    store = Store(tmp_path / "cards.db")
    replies = [help_reply(), report_form(pack, "nonce.mac")]
    seen = set()
    for topic in pack.topics:  # one answer per topic and the refusal
        answer = engine.answer(topic.examples[0])
        if answer.topic not in seen:
            seen.add(answer.topic)
            replies.append(answer_reply(answer))
    replies.append(answer_reply(engine.answer("what's the wifi password")))
    desk = ReportDesk(store, Sealer(b"k" * 32), pack)
    replies += await desk.submit(incoming_action("teams", "u", "c", "report.submit", form_token(desk.form_key, "u"), {"what": "x"}))
    quiz = QuizMaster(store, pack, rng=random.Random(1))
    _, first = quiz.start("u")
    replies.append(first)
    for _ in range(3):
        button = replies[-1].card.buttons[-1]
        replies += await quiz.answer(incoming_action("teams", "u", "c", button.action_id, button.value))
    core = build_core(pack, engine, store, Sealer(b"k" * 32))
    replies += await core.handle(incoming_action("teams", "u", "c", "home.open"))
    replies += await core.handle(incoming_action("teams", "u", "c", "policy.section", "monitoring"))
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


def test_the_validator_rejects_a_broken_card(validator):
    assert list(validator.iter_errors({"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "txt": "x"}]}))


def test_markdown_in_text_is_neutralised():
    out = render.escape("[click](https://evil.example) **bold**\n- item\n1. first\nR-7KQ2M9")
    assert "[click](" not in out and "**bold**" not in out and "\n- " not in out and "\n1. " not in out
    assert out.replace(render.ZWSP, "") == "[click](https://evil.example) **bold**\n- item\n1. first\nR-7KQ2M9"
