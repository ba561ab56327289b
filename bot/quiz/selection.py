"""Choosing questions per person: unseen first, then due ones; sections balanced; Leitner boxes.

A right answer moves a question up one box (it comes back later: 1, 3, 7, 21, 60 days); a wrong
answer puts it back in box 0 (it comes back in the next quiz).
"""

from __future__ import annotations

import random

from bot.policy.pack import Question

BOX_DAYS = (0, 1, 3, 7, 21, 60)
DAY = 86400.0


def next_box(box: int, correct: bool) -> int:
    return min(box + 1, len(BOX_DAYS) - 1) if correct else 0


def due_at(box: int, now: float) -> float:
    return now + BOX_DAYS[box] * DAY


def choose(questions: list[Question], cards: dict[str, tuple[int, float]], now: float, count: int,
           rng: random.Random) -> list[Question]:
    """Pick `count` questions: unseen before due before not-yet-due, one per section before repeating sections."""
    def rank(q: Question) -> tuple[int, float, float]:
        card = cards.get(q.id)
        if card is None:
            return (0, 0.0, rng.random())
        box, due = card
        return (1 if due <= now else 2, due, rng.random())

    ranked = sorted(((rank(q), q) for q in questions), key=lambda pair: pair[0])
    picked: list[Question] = []
    used_sections: set[str] = set()
    # Tier by tier (unseen, due, not yet due): one question per section first, then the rest of the tier.
    for tier in (0, 1, 2):
        members = [q for r, q in ranked if r[0] == tier]
        for q in members:
            if len(picked) < count and q.section.split(".")[0] not in used_sections:
                picked.append(q)
                used_sections.add(q.section.split(".")[0])
        for q in members:
            if len(picked) < count and q not in picked:
                picked.append(q)
    return picked
