"""Does a message ask what one may do under the guidelines, or something else? The question's form.

Content words say what a message is about; its opening words say what it asks. "Can I post..." asks
permission, "how do I turn on..." asks for a how-to, "what's our..." asks a fact, "write me..." asks for
content. `Form` learns that from the pack itself: the opening one to three words of every situation's
examples (in scope) against those of the out-of-scope groups, as smoothed log-odds. It knows no phrase
of its own, so a pack in another style teaches it another style.
"""

from __future__ import annotations

import math
import re
from collections import Counter

WORD = re.compile(r"[a-z0-9']+")
LIMIT = 3.0  # a few examples must not make one opening decide alone
FILLER = frozenset("so ok okay hey hi hello um quick question q pls please just also and but well mate guys team lol".split())


def opening(text: str) -> str:
    """The message's words from its first that is not a greeting or filler, lower-case, one space apart: what a
    scope group's `opens` patterns match from the start."""
    words = WORD.findall(text.casefold().replace("\u2019", "'"))
    while words and words[0] in FILLER:
        words = words[1:]
    return " ".join(words)


def openings(text: str) -> list[str]:
    """The first two and three words of a message (after greetings and filler), as n-grams: one word says too little."""
    words = opening(text).split()
    return [" ".join(words[:n]) for n in (2, 3) if len(words) >= n]


class Form:
    """Log-odds that a message is out of scope, from how it opens."""

    def __init__(self, inside: list[str], outside: list[str], prior: float = 1.0):
        self.inside: Counter[str] = Counter(g for text in inside for g in openings(text))
        self.outside: Counter[str] = Counter(g for text in outside for g in openings(text))
        self.n_in, self.n_out = max(len(inside), 1), max(len(outside), 1)
        self.prior = prior

    def log_odds(self, text: str) -> float:
        """Positive when the opening reads like the out-of-scope examples, negative like the situations; the
        longest opening seen in either wins, 0 when none was seen."""
        for gram in reversed(openings(text)):
            a, b = self.outside[gram], self.inside[gram]
            if a + b >= 2:
                odds = math.log((a + self.prior) / self.n_out) - math.log((b + self.prior) / self.n_in)
                return max(-LIMIT, min(LIMIT, odds))
        return 0.0
