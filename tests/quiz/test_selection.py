"""Choosing questions: unseen first, sections balanced, Leitner spacing."""

import random

from bot.quiz.flow import QuizMaster, iso_week, weeks_in_a_row
from bot.quiz.selection import BOX_DAYS, DAY, choose, next_box
from bot.storage import Storage
from bot.storage.quiz import Session


def test_unseen_before_seen_and_sections_balanced(pack):
    rng = random.Random(3)
    picked = choose(pack.questions, {}, 0, 5, rng)
    assert len({q.section.split(".")[0] for q in picked}) == 5
    seen = {q.id: (1, 10 * DAY) for q in pack.questions[:-3]}
    picked = choose(pack.questions, seen, 0, 3, rng)
    assert {q.id for q in picked} == {q.id for q in pack.questions[-3:]}


def test_due_questions_come_before_not_yet_due():
    from bot.policy.pack import Question
    qs = [Question(f"q{i}", f"s{i}", "?", ("a", "b"), 0, "x") for i in range(4)]
    cards = {"q0": (3, 100.0), "q1": (0, 5.0), "q2": (2, 50.0), "q3": (1, 500.0)}
    assert [q.id for q in choose(qs, cards, now=60.0, count=3, rng=random.Random(1))] == ["q1", "q2", "q0"]


def test_leitner_boxes():
    assert next_box(0, True) == 1 and next_box(3, True) == 4 and next_box(len(BOX_DAYS) - 1, True) == len(BOX_DAYS) - 1
    assert next_box(4, False) == 0


async def test_wrong_answers_come_back_sooner_than_right_ones(pack, database):
    now = [1_800_000_000.0]
    quiz = QuizMaster(Storage.on(database).quiz, pack, clock=lambda: now[0], rng=random.Random(5))
    from bot.messages import incoming_action
    sid, first = await quiz.start("u")
    wrong = right = None
    reply = first
    for _ in range(3):
        q = quiz.questions[reply.card.buttons[0].value.split(":")[1]]
        choice = (q.answer + 1) % len(q.choices) if wrong is None else q.answer
        wrong, right = (q.id, right) if wrong is None else (wrong, q.id if right is None else right)
        replies = await quiz.answer(incoming_action("web", "u", "c", "quiz.answer", f"{sid}:{q.id}:{choice}"))
        reply = replies[-1]
    cards = await quiz.quizzes.recall("u")
    assert cards[wrong].box == 0 and cards[wrong].due == now[0]
    assert cards[right].box == 1 and cards[right].due == now[0] + DAY
    now[0] += 2 * DAY  # everything unseen first, then the wrong one before the right one
    order = choose(pack.questions, {k: (v.box, v.due) for k, v in cards.items()}, now[0], len(pack.questions), random.Random(1))
    ids = [q.id for q in order]
    assert len(pack.questions) - 3 <= ids.index(wrong) < ids.index(right)


def test_streak_counts_weeks_in_a_row():
    week = 7 * DAY
    now = 1_800_000_000.0
    finished = [Session(f"s{i}", "u", (), 3, 3, now - weeks_ago * week, now - weeks_ago * week, "")
                for i, weeks_ago in enumerate((0, 1, 2, 4))]
    assert weeks_in_a_row(finished, now) == 3 and weeks_in_a_row([], now) == 0
    assert weeks_in_a_row(finished[1:], now) == 2  # none this week yet: the streak ending last week still counts
    assert iso_week(now) != iso_week(now - week)
