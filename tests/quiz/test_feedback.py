"""Quiz feedback names the chosen and the right choice (so channels can mark them); the streak has its unit."""

import random

from bot.messages import Incoming
from bot.quiz.flow import QuizMaster
from bot.storage import Storage


def press(value: str) -> Incoming:
    return Incoming(channel="test", user_key="u1", conversation_key="c1", kind="action", action_id="quiz.answer", value=value)


async def test_feedback_fields_and_streak_in_weeks(database, pack):
    quiz = QuizMaster(Storage.on(database).quiz, pack, rng=random.Random(4))
    _, reply = await quiz.start("u1")
    wrong_seen = right_seen = False
    for _ in range(3):
        session, qid, _ = reply.card.buttons[0].value.split(":")
        question = quiz.questions[qid]
        choice = 1 if not wrong_seen else question.answer  # one wrong (or lucky) answer, then right ones
        feedback, reply = await quiz.answer(press(f"{session}:{qid}:{choice}"))
        fields = dict(feedback.card.fields)
        assert fields["Your answer"] == question.choices[choice]
        if choice == question.answer:
            right_seen = True
            assert feedback.card.title == "Right!" and "Right answer" not in fields
        else:
            wrong_seen = True
            assert feedback.card.title == "Not quite" and fields["Right answer"] == question.choices[question.answer]
        assert feedback.card.body == question.explanation and fields["Guideline"]
        wrong_seen = True
    assert right_seen
    assert reply.card.title == "Quiz done" and dict(reply.card.fields)["Streak"] == "1 week"
