"""The sender's name from the Teams activity (`from.name`) is scrubbed from words kept for the policy owners."""

from __future__ import annotations

from adapters.server import STORAGE
from adapters.teams import inbound
from tests.fakes import teams_activities as a


def test_the_activitys_sender_name_goes_into_incoming_names():
    activity = a.message("hello", "http://127.0.0.1:1", name="  Priya Raman ")
    assert inbound.to_incoming(activity).names == ("Priya Raman",)
    pressed = a.submit({"action_id": "feedback.down", "value": "ev-x"}, "http://127.0.0.1:1", name="Priya Raman")
    assert inbound.to_incoming(pressed).names == ("Priya Raman",)
    assert inbound.to_incoming(a.message("hello", "http://127.0.0.1:1", name="")).names == ()


async def test_kept_words_lose_the_senders_name(teams, connector):
    text = "Priya Raman here: what is the weather tomorrow in Berlin? priya.raman@example.com"
    await teams.post("/api/messages", json=a.message(text, connector.url, name="Priya Raman"))
    await connector.wait_for(1)
    app = teams.server.app
    await teams.teams.bot.owners.settle()
    [row] = await app[STORAGE].db.fetchall("SELECT question FROM answer_events")
    assert "weather" in row["question"] and "priya" not in row["question"].lower() and "raman" not in row["question"].lower()
    assert row["question"].startswith("[name] [name] here")
