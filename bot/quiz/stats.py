"""Quiz statistics for the policy owners: per round, hardest questions, weakest sections. No names."""

from __future__ import annotations

from dataclasses import dataclass

from bot.policy.pack import Pack
from bot.storage.quiz import Quizzes, RoundStats


@dataclass(frozen=True)
class HardQuestion:
    question_id: str
    answers: int
    wrong: int
    wrong_share: float
    question: str


@dataclass(frozen=True)
class WeakSection:
    section: str  # a top-level guideline id
    title: str
    answers: int
    wrong: int
    wrong_share: float


async def rounds(quizzes: Quizzes) -> list[RoundStats]:
    """Per round: invitations sent, quizzes started (at least one answer), finished, average score."""
    return await quizzes.round_stats()


async def hardest(quizzes: Quizzes, pack: Pack, limit: int = 5) -> list[HardQuestion]:
    """Questions answered wrong most often (share of wrong answers), with at least one answer."""
    text = {q.id: q.question for q in pack.questions}
    return [HardQuestion(s.question_id, s.answers, s.wrong, round(s.wrong / s.answers, 2), text.get(s.question_id, ""))
            for s in await quizzes.question_stats(limit)]


async def weakest(quizzes: Quizzes, pack: Pack) -> list[WeakSection]:
    """Guidelines (top-level sections) by share of wrong answers, worst first."""
    totals: dict[str, list[int]] = {}
    for s in await quizzes.section_stats():
        tally = totals.setdefault(s.section.split(".")[0], [0, 0])
        tally[0] += s.answers
        tally[1] += s.wrong
    out = [WeakSection(s, pack.sections[s].title if s in pack.sections else s, n, w, round(w / n, 2)) for s, (n, w) in totals.items()]
    return sorted(out, key=lambda r: (-r.wrong_share, -r.answers))
