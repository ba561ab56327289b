"""The recorder on the request path: an answer only joins a queue; one drainer builds and writes the events."""

from __future__ import annotations

import asyncio
import re

from bot.owners import recorder as owners_module  # where the recorder looks up `scrub`
from tests.owners.conftest import ANSWERED, UNKNOWN, Person, button


async def test_an_answer_only_queues_a_tuple_and_one_drainer_writes_them_all(owners_bot, monkeypatch):
    recorder = owners_bot.owners.recorder
    scrubbed = []
    monkeypatch.setattr(owners_module, "scrub", lambda text, names=(): scrubbed.append(text) or text)
    person = Person(owners_bot, "web:sam", names=("Sam Rivera",))
    before = len(asyncio.all_tasks())
    replies = [(await person.say(q))[0] for q in [ANSWERED, UNKNOWN] * 50]
    # Nothing was scrubbed, scored or remembered while answering, and no task was made per answer.
    assert scrubbed == [] and not recorder.pending and not recorder.words and len(recorder.queue) == 100
    assert len(asyncio.all_tasks()) == before + 1
    for entry in recorder.queue:  # what waits in memory holds no user key or conversation
        assert "web:sam" not in repr(entry)
    await asyncio.sleep(owners_module.BATCH_SECONDS * 3)
    rows = await owners_bot.storage.db.fetchall("SELECT event_id, question FROM answer_events")
    assert len(rows) == 100 and not recorder.queue and recorder._drainer is None
    ids = {button(r, "feedback.up" if r.card.badge != "unknown" else "owners.ask").value for r in replies}
    assert ids == {r["event_id"] for r in rows}
    assert all(re.fullmatch(r"ev-[A-Za-z0-9_-]{16}", i) for i in ids)
    assert len(scrubbed) == 50 and sum(r["question"] is not None for r in rows) == 50


async def test_a_press_right_after_the_answer_finds_its_event_and_words(owners_bot):
    person = Person(owners_bot, "web:sam")
    [reply] = await person.say(ANSWERED)
    [thanks] = await person.press("feedback.down", button(reply, "feedback.down").value)  # before any batch was written
    [row] = await owners_bot.storage.db.fetchall("SELECT helpful, question FROM answer_events")
    assert row == {"helpful": 0, "question": ANSWERED} and button(thanks, "owners.ask")
    [unknown] = await person.say(UNKNOWN)
    [form] = await person.press("owners.ask", button(unknown, "owners.ask").value)  # the words, still only queued
    assert "weather" in form.card.body


async def test_a_full_queue_drops_and_counts_instead_of_growing(owners_bot):
    recorder = owners_bot.owners.recorder
    recorder.limit = 3
    person = Person(owners_bot, "web:sam")
    for _ in range(5):
        await person.say(ANSWERED)
    assert len(recorder.queue) == 3 and recorder.failed == 2
    await owners_bot.owners.settle()
    assert len(await owners_bot.storage.db.fetchall("SELECT event_id FROM answer_events")) == 3
