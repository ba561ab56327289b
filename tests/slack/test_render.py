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


def _values(message: dict) -> list[str]:
    return [e["value"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


def test_answers_that_differ_only_in_button_values_render_once_each_with_its_own_values():
    # An answer's feedback buttons carry its own event id: the Block Kit is built once for the answer and the
    # values are put back per reply (building it per reply was most of a slash command's cost).
    render._messages.cache_clear()

    def answer(event: str) -> Reply:
        return Reply("Allowed.", Card(title="Allowed", body="You may.", note="Policy version 1",
                                      buttons=(Button("Helpful", "feedback.up", event), Button("Not helpful", "feedback.down", event),
                                               Button("Report", "report.open", ""))))

    first, second = render.messages(answer("ev-aaa")), render.messages(answer("ev-bbb"))
    assert _values(first[0]) == ["ev-aaa", "ev-aaa", "-"] and _values(second[0]) == ["ev-bbb", "ev-bbb", "-"]
    assert render._messages.cache_info().misses == 1 and render._messages.cache_info().hits == 1
    assert first[0]["blocks"][0] == second[0]["blocks"][0] and first[0]["text"] == "Allowed."
    assert "\x00" not in str(first) + str(second)
    second[0]["blocks"][-2]["elements"][0]["value"] = "changed"  # a caller's copy: the next render is not affected
    assert _values(render.messages(answer("ev-ccc"))[0]) == ["ev-ccc", "ev-ccc", "-"]
    assert block_problems(first[0]["blocks"]) == []
