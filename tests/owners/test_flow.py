"""The owners' loop in process, on both backends: events, feedback, asking by name and anonymously, answers."""

from __future__ import annotations

import pytest

from bot.owners import band, needs_owner
from tests.owners.conftest import ANSWERED, UNKNOWN, Person, button


async def events(bot):
    await bot.owners.settle()
    return await bot.storage.db.fetchall("SELECT * FROM answer_events ORDER BY event_id")


async def test_every_answer_is_an_event_without_who_or_where_and_words_only_when_unknown(owners_bot):
    dana = Person(owners_bot, "web:dana.lee@example.com", names=("dana.lee@example.com",))
    [known] = await dana.say(ANSWERED)
    [unknown] = await dana.say(UNKNOWN + " Write to dana.lee@example.com")
    rows = await events(owners_bot)
    assert len(rows) == 2
    by_id = {r["event_id"]: r for r in rows}
    up = button(known, "feedback.up")
    assert up.value in by_id and by_id[up.value]["question"] is None and by_id[up.value]["verdict"] == "not_allowed"
    asked = button(unknown, "owners.ask")
    kept = by_id[asked.value]["question"]
    assert "weather" in kept and "dana" not in kept.lower() and "[email]" in kept
    for r in rows:
        assert "dana" not in str(r).lower() and r["channel"] == "web" and r["band"] in ("high", "medium", "low")


async def test_not_helpful_links_to_its_event_keeps_the_words_and_offers_the_owners(owners_bot):
    person = Person(owners_bot, "web:sam")
    [reply] = await person.say(ANSWERED)
    [thanks] = await person.press("feedback.down", button(reply, "feedback.down").value)
    ask = button(thanks, "owners.ask")
    [row] = await events(owners_bot)
    assert row["helpful"] == 0 and row["question"] == ANSWERED and ask.value == row["event_id"]
    [reply2] = await person.say("Can I share a photo of my team at the offsite?")
    await person.press("feedback.up", button(reply2, "feedback.up").value)
    rows = await events(owners_bot)
    assert sorted((r["helpful"], r["question"] is None) for r in rows) == [(0, False), (1, True)]


async def test_question_log_off_keeps_counts_only(owners_bot):
    owners_bot.owners.settings.question_log = False
    owners_bot.owners.recorder.keep_words = False
    person = Person(owners_bot, "web:sam")
    [unknown] = await person.say(UNKNOWN)
    [reply] = await person.say(ANSWERED)
    await person.press("feedback.down", button(reply, "feedback.down").value)
    rows = await events(owners_bot)
    assert len(rows) == 2 and all(r["question"] is None for r in rows) and {r["helpful"] for r in rows} == {None, 0}


async def test_asking_by_name_reaches_the_owner_and_the_answer_comes_back(owners_bot):
    dana = Person(owners_bot, "web:dana")
    owner = Person(owners_bot, "web:owner@example.com")
    [unknown] = await dana.say(UNKNOWN)
    [form] = await dana.press("owners.ask", button(unknown, "owners.ask").value)
    assert form.dialog and {f.name for f in form.card.form} == {"question", "who"} and "weather" in form.card.body
    [sent] = await dana.press("owners.send", form.card.submit.value, who="name", question="")
    assert "with your name" in sent.text
    [question] = await owners_bot.storage.insights.questions("open")
    assert question.named and question.asker_key == "web:dana" and "weather" in question.question
    [refused] = await dana.press("owners.open", question.id)
    assert "Only the policy owners" in refused.text
    [answer_form] = await owner.press("owners.open", question.id)
    assert answer_form.card.submit.action_id == "owners.reply"
    [done] = await owner.press("owners.reply", question.id, answer="Ask the facilities team.", verdict="info", section="", add="yes")
    assert "Answered" in done.text
    [delivered] = await owners_bot.owners.inbox("web:dana")
    assert "Ask the facilities team." in delivered.card.body
    assert await owners_bot.owners.inbox("web:dana") == []
    [suggestion] = await owners_bot.storage.insights.suggestions()
    assert suggestion.answer == "Ask the facilities team." and "weather" in suggestion.question
    [again] = await owner.press("owners.reply", question.id, answer="Twice", verdict="info", section="", add="no")
    assert "already answered" in again.text


async def test_asking_anonymously_keeps_nobody_and_the_code_shows_the_answer_once(owners_bot):
    dana = Person(owners_bot, "web:dana.lee@example.com", names=("Dana Lee",))
    owner = Person(owners_bot, "web:owner@example.com")
    [form] = await dana.press("owners.ask", "")
    [errors] = await dana.press("owners.send", "", who="anonymously")
    assert dict(errors.field_errors).keys() == {"who", "question"}
    [sent] = await dana.press("owners.send", "", who="anonymous", question="I'm Dana Lee: may I livestream from home? dana.lee@example.com")
    code = dict(sent.card.fields)["Question code"]
    assert sent.dialog and code
    [question] = await owners_bot.storage.insights.questions("open")
    assert not question.named and question.asker_key == "" and question.asker_name == ""
    assert "dana" not in question.question.lower() and "lee" not in question.question.lower().split()
    [waiting] = await dana.press("owners.check", code)
    assert "not answered yet" in waiting.text
    await owner.press("owners.reply", question.id, answer="Yes, from home is fine.", verdict="allowed", section="", add="no")
    # As pasted from a Teams card (zero-width spaces: see bot/owners/desk.py) or typed with spaces: the same code.
    pasted = " " + "\u200b".join(code[:6]) + " " + code[6:] + "\u200b "
    [shown] = await dana.press("owners.check", "", code=pasted)
    assert "Yes, from home is fine." in shown.card.body
    [gone] = await dana.press("owners.check", code)
    assert "already shown" in gone.text
    dump = str(await owners_bot.storage.db.fetchall("SELECT * FROM owner_questions")) + str(await events(owners_bot))
    assert "dana" not in dump.lower() and code not in dump


@pytest.mark.parametrize("confidence, expected", [(0.9, "high"), (0.6, "medium"), (0.2, "low")])
def test_confidence_bands(confidence, expected):
    assert band(confidence) == expected


def test_only_unknown_and_unsure_answers_need_an_owner(engine):
    assert needs_owner(engine.answer(UNKNOWN)) and not needs_owner(engine.answer(ANSWERED))
    assert not needs_owner(engine.answer("thank you"))


async def test_retention_clears_old_words(owners_bot):
    person = Person(owners_bot, "web:sam")
    await person.say(UNKNOWN)
    await owners_bot.owners.settle()
    assert await owners_bot.storage.insights.kept_questions()
    owners_bot.owners.clock = lambda: 4_000_000_000.0  # far in the future: everything is older than 90 days
    assert await owners_bot.owners.forget_old() == 1
    assert await owners_bot.storage.insights.kept_questions() == []


async def test_an_unreachable_named_asker_gets_the_answer_from_the_inbox_and_the_owner_is_told(owners_bot):
    """A channel with a deliverer that cannot reach this person now (Teams: no personal chat's reference): nothing
    is sent, the owner's confirmation says when it arrives, and the next `inbox` brings it, once."""
    desk = owners_bot.owners
    sent, reachable = [], {"chat:kim": False, "chat:lee": True}

    async def deliver(delivery):
        sent.append(delivery.user_key)

    async def can_reach(user_key):
        return reachable[user_key]

    desk.deliverers["chat"], desk.reachable["chat"] = deliver, can_reach
    owner = Person(owners_bot, "web:owner@example.com")
    for key in ("chat:kim", "chat:lee"):
        asker = Person(owners_bot, key, channel="chat", names=(key[5:].title(),))
        [unknown] = await asker.say(UNKNOWN)
        [form] = await asker.press("owners.ask", button(unknown, "owners.ask").value)
        await asker.press("owners.send", form.card.submit.value, who="name", question="")
    by_asker = {q.asker_key: q for q in await owners_bot.storage.insights.questions("open")}
    [far] = await owner.press("owners.reply", by_asker["chat:kim"].id, answer="Ask facilities.", verdict="info", section="", add="no")
    assert "Kim has no direct chat with the bot" in far.text and "the next time they write to the bot" in far.text
    [near] = await owner.press("owners.reply", by_asker["chat:lee"].id, answer="Ask facilities.", verdict="info", section="", add="no")
    assert "on its way to Lee" in near.text
    await desk.settle()
    assert sent == ["chat:lee"] and await desk.inbox("chat:lee") == []
    [waiting] = await desk.inbox("chat:kim")
    assert "Ask facilities." in waiting.card.body and await desk.inbox("chat:kim") == []


async def test_an_anonymous_questions_notice_waits_a_random_while_a_named_ones_does_not(owners_bot, monkeypatch):
    import asyncio
    import dataclasses

    from bot.owners import desk

    waits: list[float] = []
    monkeypatch.setattr(desk._JITTER, "uniform", lambda low, high: waits.append(high) or high)
    owners_bot.owners.settings = dataclasses.replace(owners_bot.owners.settings, anonymous_delay=30.0)
    notices: list = []

    async def announce(reply):
        notices.append(reply)

    owners_bot.owners.announcers.append(announce)
    dana = Person(owners_bot, "web:dana")
    await dana.press("owners.send", "", who="anonymous", question="may I livestream from home?")
    await dana.press("owners.send", "", who="name", question="may I livestream from the office?")
    await asyncio.sleep(0.3)
    assert waits == [30.0] and len(notices) == 1  # the named question's notice is out, the anonymous one waits
    await owners_bot.owners.settle()  # shutdown: the waiting notice goes now rather than never
    assert len(notices) == 2
