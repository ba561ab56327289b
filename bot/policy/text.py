"""Text normalization for matching: tokens, light stemming, typo repair, synonyms.

Kept deliberately small and deterministic: no network, no model. Both the pack's examples and
the person's question go through `Normalizer.features`, so they meet in the same space.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter

TOKEN = re.compile(r"[a-z0-9]+(?:[.\-][a-z0-9]+)*")
STOPWORDS = frozenset("""
a an the i me my mine we us our ours you your yours he him his she her they them their it its
is am are was were be been being do does did doing have has had having can could may might must
shall should will would to of in on at for from by with about as into onto than then so if or and
but also just really very too any some this that these those there here what which who whom whose
how when where why please ok okay allowed fine alright possible permitted cool acceptable good
ask know want like get got go going let lets s t d ll ve re m don doesn didn isn aren wasn won
would could hey hi hello thanks thank anyone someone something thing things stuff one
today tomorrow yesterday tonight now currently still already ever really
""".split())
# "Can I ...?" asks permission; "a coworker posted ..." describes what someone else did.
PERMISSION = re.compile(r"^\W*(?:can|could|may|might|should|shall|am|is it|is that|would it|are we|do i|is (?:posting|sharing|using))\b")
# Curated concepts carry more signal than raw words; platform names and "can I" carry little.
CONCEPT_WEIGHT = {"~platform": 0.5, "~ask": 0.5}
CONTRACTIONS = {"can't": "can not", "cannot": "can not", "won't": "will not", "n't": " not",
                "i'm": "i am", "it's": "it is", "what's": "what is", "we're": "we are", "they're": "they are"}


POSSESSIVE = re.compile(r"'s\b")


def fold(text: str) -> str:
    """Lower-case, NFKC-normalize and straighten quotes."""
    if not text.isascii():  # ASCII is already NFKC and has no curly quotes
        text = unicodedata.normalize("NFKC", text).replace("\u2019", "'").replace("\u2018", "'")
    text = text.casefold()
    if "'" in text or "cannot" in text:
        for short, long in CONTRACTIONS.items():
            text = text.replace(short, long)
        text = POSSESSIVE.sub("", text)
    return text


def tokens(text: str) -> list[str]:
    """Words of folded text."""
    return TOKEN.findall(fold(text))


@functools.lru_cache(maxsize=20_000)
def stem(word: str) -> str:
    """A light suffix stripper, good enough to meet 'posting' with 'posts'."""
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith("ss"):
                break
            if suffix == "es" and not word[:-2].endswith(("s", "x", "ch", "sh")):
                continue
            word = word[: len(word) - len(suffix)] + keep
            break
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


def _deletes(word: str, depth: int) -> set[str]:
    out, frontier = set(), {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1:] for w in frontier for i in range(len(w))}
        out |= frontier
    return out


# How often an English word must appear in pyspellchecker's frequency list to count as a real word.
ENGLISH_MIN_COUNT = 200


@functools.cache
def english_words() -> frozenset[str]:
    """Common English words of 6 letters or more (the only ones the speller would touch), from
    pyspellchecker's word frequency list: a real word ("banner", "hiking", "mentoring") is never
    "repaired" into a pack word ("banter", "hiring", "monitoring")."""
    from spellchecker import SpellChecker

    counts = SpellChecker(language="en", distance=1).word_frequency.dictionary
    return frozenset(word for word, count in counts.items() if count >= ENGLISH_MIN_COUNT and len(word) >= 6)


class Speller:
    """Repairs typos against a known vocabulary (symmetric-delete lookup, edit distance 1 or 2).
    Words of the vocabulary, other forms of them and common English words are left alone."""

    def __init__(self, vocabulary: Counter[str], english: frozenset[str] = frozenset()):
        self.vocabulary = vocabulary
        self.english = english
        # Another form of a known word is not a typo: "reposted" must not become "reported".
        self.stems = {stem(word) for word in vocabulary}
        self.index: dict[str, list[str]] = {}
        # A word longer than this is within two edits of no known word: never looked up (a 2,000-letter "word"
        # would otherwise cost millions of deleted variants, seconds and gigabytes).
        self.longest = max((len(w) for w in vocabulary), default=0) + 2
        for word in vocabulary:
            if len(word) >= 4:
                for key in _deletes(word, 2 if len(word) >= 7 else 1) | {word}:
                    self.index.setdefault(key, []).append(word)

    def correct(self, word: str) -> str:
        """The closest known word, or `word` itself when it is known, short or nothing is close."""
        if len(word) < 6 or len(word) > self.longest or word in self.vocabulary or not word.isalpha() or stem(word) in self.stems \
                or word in self.english:
            return word
        depth = 2 if len(word) >= 9 else 1
        candidates: set[str] = set()
        for key in _deletes(word, depth) | {word}:
            candidates.update(self.index.get(key, ()))
        # Typos rarely hit the first letter; requiring it keeps real words ("exist") from turning into others ("sexist").
        best = [c for c in candidates if c[0] == word[0] and _distance(word, c) <= depth]
        if not best:
            return word
        return min(best, key=lambda c: (_distance(word, c), -self.vocabulary[c], c))


def _distance(a: str, b: str) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


class Normalizer:
    """Turns text into weighted matching features: stems, synonym concepts and bigrams."""

    def __init__(self, synonyms: dict[str, str], platforms: tuple[str, ...], corpus: list[str],
                 compounds: dict[tuple[str, str], str] | None = None):
        # Two concepts in a row that read as a third: "our corporate Instagram" is a work account.
        self.compounds = {("~" + a, b): "~" + c for (a, b), c in (compounds or {}).items()}
        self.phrases: dict[str, str] = {}
        for variant, canonical in synonyms.items():
            self.phrases[self._key(tokens(variant))] = canonical
            self.phrases.setdefault(self._key(tokens(canonical)), canonical)
        for name in platforms:
            self.phrases[self._key(tokens(name))] = "platform"
        vocabulary: Counter[str] = Counter()
        for text in corpus:
            vocabulary.update(tokens(text))
        for variant in list(synonyms) + list(platforms):
            vocabulary.update(tokens(variant))
        self.speller = Speller(vocabulary, english_words())
        # Words repeat across questions: remember each word's repaired spelling (bounded).
        self.correct = functools.lru_cache(maxsize=20_000)(self.speller.correct)
        # Longest phrase starting with each word, so most words skip the n-gram lookups.
        self.longest: dict[str, int] = {}
        for phrase in self.phrases:
            first, n = phrase.split(" ", 1)[0], phrase.count(" ") + 1
            self.longest[first] = max(self.longest.get(first, 0), n)

    @staticmethod
    def _key(words: list[str]) -> str:
        return " ".join(stem(w) for w in words)

    def features(self, text: str) -> dict[str, float]:
        """Weighted features of `text`: stems, concepts (a known phrase becomes its concept), bigrams."""
        folded = fold(text)
        raw = [self.correct(w) for w in TOKEN.findall(folded)]
        words = [stem(w) for w in raw]
        content: list[str] = ["~ask"] if PERMISSION.search(folded) else []
        phrases, longest, count, compounds = self.phrases, self.longest, len(words), self.compounds
        i = concept_end = 0
        while i < count:
            word = words[i]
            longest_here = longest.get(word)
            if not longest_here:  # most words start no phrase: straight to the plain-word case
                if raw[i] not in STOPWORDS:
                    content.append(word)
                i += 1
                continue
            for n in range(min(longest_here, count - i), 0, -1):
                canonical = phrases.get(word if n == 1 else " ".join(words[i:i + n]))
                if canonical:
                    compound = compounds.get((content[-1], canonical)) if content and concept_end == i else None
                    if compound:
                        content[-1] = compound
                    else:
                        content.append("~" + canonical)
                    i += n
                    concept_end = i
                    break
            else:
                if raw[i] not in STOPWORDS:
                    content.append(word)
                i += 1
        out: dict[str, float] = {}
        for feature in content:
            weight = CONCEPT_WEIGHT.get(feature) or (1.5 if feature[0] == "~" else 1.0)
            out[feature] = out.get(feature, 0.0) + weight
        for a, b in zip(content, content[1:]):
            pair = a + "_" + b
            out[pair] = out.get(pair, 0.0) + 0.5
        return out
