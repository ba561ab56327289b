"""Quiz sessions, answers, spaced-repetition cards and the owners' statistics, on both backends."""

from __future__ import annotations

import asyncio

from bot.storage.quiz import Quizzes, RoundStats, Session
from bot.storage.rounds import RoundLog


def keep(box: int | None) -> tuple[int, float]:
    """A reschedule for tests: box + 1 (1 for a new card), due at 100 x the box."""
    after = 1 if box is None else box + 1
    return after, 100.0 * after


async def test_a_session_is_stored_as_started(database):
    quizzes = Quizzes(database)
    started = await quizzes.start("s1", "u1", ["q1", "q2"], 5.0, round_id="2026-W10")
    assert started == Session("s1", "u1", ("q1", "q2"), 0, 0, 5.0, None, "2026-W10")
    assert await quizzes.session("s1") == started
    assert await quizzes.session("nope") is None
    assert await quizzes.recall("u1") == {} and await quizzes.finished("u1") == []


async def test_answers_move_the_session_on_and_the_last_one_finishes_it(database):
    quizzes = Quizzes(database)
    session = await quizzes.start("s1", "u1", ["q1", "q2"], 5.0)
    assert await quizzes.record_answer(session, "q1", "monitoring", False, 6.0, keep)
    session = await quizzes.session("s1")
    assert (session.position, session.score, session.finished_at) == (1, 0, None)
    assert await quizzes.record_answer(session, "q2", "benefits.networking", True, 7.0, keep)
    session = await quizzes.session("s1")
    assert (session.position, session.score, session.finished_at) == (2, 1, 7.0)
    assert await quizzes.finished("u1") == [session] and await quizzes.finished("u2") == []
    assert await quizzes.missed_sections("u1") == ["monitoring"]


async def test_a_double_press_counts_once(database):
    """Two presses of one answer button at once (two devices, a double click): one transaction wins."""
    quizzes = Quizzes(database)
    session = await quizzes.start("s1", "u1", ["q1", "q2", "q3"], 5.0)
    counted = await asyncio.gather(*(quizzes.record_answer(session, "q1", "monitoring", True, 6.0, keep) for _ in range(5)))
    assert counted.count(True) == 1
    after = await quizzes.session("s1")
    assert (after.position, after.score) == (1, 1)
    assert not await quizzes.record_answer(session, "q1", "monitoring", True, 8.0, keep)  # a stale view, later
    assert (await quizzes.question_stats(10))[0].answers == 1
    assert (await quizzes.recall("u1"))["q1"].box == 1  # the card moved once


async def test_cards_are_rescheduled_from_the_box_they_are_in(database):
    quizzes = Quizzes(database)
    seen: list[int | None] = []

    def reschedule(box: int | None) -> tuple[int, float]:
        seen.append(box)
        return keep(box)

    for n in range(3):  # the same question in three quizzes
        session = await quizzes.start(f"s{n}", "u1", ["q1"], 1.0)
        assert await quizzes.record_answer(session, "q1", "monitoring", True, 2.0, reschedule)
    assert seen == [None, 1, 2]
    card = (await quizzes.recall("u1"))["q1"]
    assert (card.box, card.due) == (3, 300.0)
    assert await quizzes.recall("u2") == {}  # cards are per person


async def test_statistics_name_nobody_and_count_per_round(database):
    quizzes, log = Quizzes(database), RoundLog(database)
    await log.start("2026-W01", 1.0)
    await log.start("2026-W02", 2.0)
    for user in ("u1", "u2", "u3"):
        assert await log.claim("2026-W02", user, "slack", "A", 2.0)
    await log.mark("2026-W02", "u1", "A", "sent", 3.0)
    await log.mark("2026-W02", "u2", "A", "sent", 3.0)
    await log.mark("2026-W02", "u3", "A", "failed", 3.0)
    # u1 finishes with 2 of 2, u2 with 1 of 2 (average 1.5); u3 starts by asking and answers one (not a round's).
    answers = {"u1": [("q1", "monitoring", True), ("q2", "benefits.networking", True)],
               "u2": [("q1", "monitoring", False), ("q2", "benefits.networking", True)],
               "u3": [("q1", "monitoring", False)]}
    for user, given in answers.items():
        session = await quizzes.start(f"s-{user}", user, ["q1", "q2"], 4.0, round_id="" if user == "u3" else "2026-W02")
        for question, section, correct in given:
            assert await quizzes.record_answer(session, question, section, correct, 5.0, keep)
            session = await quizzes.session(session.id)
    assert await quizzes.round_stats() == [RoundStats("2026-W01", 0, 0, 0, None), RoundStats("2026-W02", 2, 2, 2, 1.5)]
    hardest = await quizzes.question_stats(5)
    assert [(q.question_id, q.answers, q.wrong) for q in hardest] == [("q1", 3, 2), ("q2", 2, 0)]
    assert [(q.question_id, q.answers) for q in await quizzes.question_stats(1)] == [("q1", 3)]
    sections = {s.section: (s.answers, s.wrong) for s in await quizzes.section_stats()}
    assert sections == {"monitoring": (3, 2), "benefits.networking": (2, 0)}


async def test_hardest_and_weakest_read_the_pack(database, pack):
    from bot.quiz import stats

    quizzes = Quizzes(database)
    questions = [q for q in pack.questions if q.section.startswith("benefits.")][:2] + [pack.questions[0]]
    session = await quizzes.start("s1", "u1", [q.id for q in questions], 1.0)
    for q, correct in zip(questions, (False, True, True)):
        assert await quizzes.record_answer(session, q.id, q.section, correct, 2.0, keep)
        session = await quizzes.session("s1")
    hardest = await stats.hardest(quizzes, pack)
    assert (hardest[0].question_id, hardest[0].wrong_share, hardest[0].question) == (questions[0].id, 1.0, questions[0].question)
    weakest = await stats.weakest(quizzes, pack)
    first = weakest[0]  # the two benefits.* questions fold into their guideline: 1 wrong of 2
    assert (first.section, first.title, first.answers, first.wrong, first.wrong_share) == ("benefits", pack.sections["benefits"].title, 2, 1, 0.5)
    assert [w.section for w in weakest] == ["benefits", questions[2].section.split(".")[0]]
    assert [r.round for r in await stats.rounds(quizzes)] == []
