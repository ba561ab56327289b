"""Block Kit rendering keeps Slack's limits and neutralises markup."""

from adapters.slack import render
from bot.messages import Button, Card, Reply
from tests.fakes.slack_api import block_problems


def test_long_answers_are_split_never_rejected():
    reply = Reply("t" * 50_000, Card(title="T" * 300, body=("word " * 3000 + "\n") * 12, fields=tuple((f"k{i}", "v" * 3000) for i in range(30)),
                                     quote="q" * 9000, buttons=tuple(Button("L" * 200, "quiz.answer", "v" * 5000) for i in range(60))))
    messages = render.messages(reply)
    assert len(messages) > 1
    for message in messages:
        assert message["text"] and len(message["text"]) <= 4000
        assert block_problems(message["blocks"]) == []
        for block in message["blocks"]:
            for field in block.get("fields") or []:
                assert len(field["text"]) <= 2000


def test_mentions_and_links_from_text_are_escaped():
    reply = Reply("<!channel> see <https://evil.example|bank>", Card(body="@here <!everyone> & <@U123>", quote="<b>x</b>"))
    [message] = render.messages(reply)
    flat = str(message)
    assert "<!channel>" not in flat and "<!everyone>" not in flat and "<@U123>" not in flat and "<https://" not in flat
    assert "&lt;!channel&gt;" in message["text"]


def test_buttons_get_unique_action_ids_within_a_block():
    card = Card(buttons=tuple(Button(f"choice {i}", "quiz.answer", f"s:q:{i}") for i in range(4)))
    [message] = render.messages(Reply("q", card))
    [actions] = [b for b in message["blocks"] if b["type"] == "actions"]
    ids = [e["action_id"] for e in actions["elements"]]
    assert ids == ["quiz.answer#0", "quiz.answer#1", "quiz.answer#2", "quiz.answer#3"]
