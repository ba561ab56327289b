"""Lint for quiz questions: the tells that give an answer away without knowing the guideline.

Two tells, each reported with the question's line in quiz.toml:

- a wrong choice much shorter than the right one (under half its length): the long, careful choice is
  the right one, so people learn to pick the longest;
- a choice that repeats the question's own words (three or more of its words of four letters or more,
  common words aside): the echo points at it, whether it is right or a decoy.
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.policy.pack import Problem, Question

SHORT_RATIO = 0.5
ECHO_WORDS = 3
COMMON = frozenset("""
about after again also because been before being both could does doing down during each even every from have having
here into just like make more most much only other over same should some such than that their them then there these
they this those through under very want were what when where which while will with would your yours you're it's
""".split())
WORD = re.compile(r"[a-z][a-z'’]{3,}")


def words(text: str) -> set[str]:
    """The distinct words of four letters or more, lower-cased, without the common ones or a plural s."""
    found = set()
    for word in WORD.findall(text.lower()):
        word = word.replace("’", "'").removesuffix("'s")
        if word not in COMMON:
            found.add(word[:-1] if word.endswith("s") and len(word) > 4 else word)
    return found


def lint(question: Question) -> list[str]:
    """What gives this question's answer away, as messages (empty when nothing does)."""
    problems: list[str] = []
    right = question.choices[question.answer]
    for i, choice in enumerate(question.choices):
        if i != question.answer and len(choice) < SHORT_RATIO * len(right):
            problems.append(f"question {question.id!r}: choice {i + 1} ({len(choice)} characters) is much shorter than the "
                            f"right one ({len(right)}): make the wrong choices as careful as the right one")
    asked = words(question.question)
    for i, choice in enumerate(question.choices):
        echo = sorted(asked & words(choice))
        if len(echo) >= ECHO_WORDS:
            problems.append(f"question {question.id!r}: choice {i + 1} repeats the question's words ({', '.join(echo)})")
    return problems


def lint_file(path: Path, questions: list[Question]) -> list[Problem]:
    """Lint every question: a pack `Problem` each, at the line of the question's `id = ...` in `path`."""
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    where: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        match = re.match(r'\s*id\s*=\s*"([^"]+)"', line)
        if match:
            where.setdefault(match[1], number)
    return [Problem(path.name, where.get(q.id, 0), message) for q in questions for message in lint(q)]
