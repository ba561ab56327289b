"""Sentence-level detectors: which sentences of a draft read like a kind of problem the pack describes.

Each `[[detector]]` of checks.toml gives example sentences of one kind of problem and `unlike` sentences
(plus the pack's `ordinary` ones) that share words but are fine. A draft's sentence is scored against
every example the way the answer engine scores a question: a semantic part (static MiniLM sentence
vectors, the mean of all examples removed so cosines spread out) plus a lexical part (TF-IDF of stems and
lexicon concepts, from the same `Normalizer` as the answers). The sentence is a finding of its closest
detector when that score is high enough and beats its closest fine sentence by a margin.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from bot.check.learned import Learned, Risk
from bot.check.rules import Detector
from bot.policy.pack import Pack
from bot.policy.semantic import Encoder
from bot.policy.text import Normalizer


class SentenceIndex:
    """Fused (lexical + semantic) similarity of sentences to a fixed set of example sentences."""

    POWER = 1.0  # lexical cosine to this power: above 1, one shared word counts for little, several for a lot

    def __init__(self, pack: Pack, examples: list[str], lexical_weight: float = 1.0):
        self.encoder = Encoder(examples, rarity=False)
        self.encoder.center_on(examples)
        self.vectors = self.encoder.encode(examples)
        self.lexical_weight = lexical_weight
        self.normalizer = Normalizer(pack.synonyms, pack.platforms, examples, pack.compounds)
        feats = [self.normalizer.features(e) for e in examples]
        df: Counter[str] = Counter(f for fs in feats for f in fs)
        n = len(examples)
        self.idf = {f: math.log((n + 1) / (c + 0.5)) for f, c in df.items()}
        self.rows = {f: i for i, f in enumerate(sorted(df))}
        self.matrix = np.zeros((len(self.rows), n), dtype=np.float32)
        for j, fs in enumerate(feats):
            for f, w in self._unit(fs).items():
                self.matrix[self.rows[f], j] = w

    def _unit(self, feats: dict[str, float]) -> dict[str, float]:
        weighted = {f: c * self.idf[f] for f, c in feats.items() if f in self.idf}
        norm = math.sqrt(sum(v * v for v in weighted.values())) or 1.0
        return {f: v / norm for f, v in weighted.items()}

    def read(self, sentences: list[str]) -> tuple[list[dict[str, float]], np.ndarray]:
        """Each sentence's lexical features and semantic vector, computed once for every layer that scores it."""
        return [self.normalizer.features(s) for s in sentences], self.encoder.encode(sentences)

    def scores(self, sentences: list[str], read: tuple[list[dict[str, float]], np.ndarray] | None = None) -> np.ndarray:
        """(len(sentences), len(examples)): semantic cosine + lexical_weight x TF-IDF cosine."""
        feats, vectors = read or self.read(sentences)
        out = vectors @ self.vectors.T
        if self.lexical_weight:
            # One product for all sentences: a dense (sentences x features) query matrix.
            queries = np.zeros((len(sentences), len(self.rows)), dtype=np.float32)
            rows = self.rows
            for i, fs in enumerate(feats):
                for f, w in self._unit(fs).items():
                    queries[i, rows[f]] = w
            lexical = queries @ self.matrix
            out += self.lexical_weight * lexical ** self.POWER
        return out


class Detectors:
    """The pack's sentence detectors, ready to score a draft's sentences."""

    THRESHOLD = 0.55  # a sentence's fused score to a detector's closest example must reach this...
    MARGIN = 0.1  # ...and beat its closest fine sentence by this much
    STRONG = 0.8  # a "high" detector blocks a draft only from this score...
    STRONG_MARGIN = 0.3  # ...and this lead over the closest fine sentence

    def __init__(self, pack: Pack):
        self.detectors: list[Detector] = list(pack.detectors)
        examples = [e for d in self.detectors for e in d.examples]
        unlike = list(dict.fromkeys(e for d in self.detectors for e in d.unlike))
        self.owner = np.array([i for i, d in enumerate(self.detectors) for _ in d.examples] + [-1] * len(unlike))
        self.n_examples = len(examples)
        self.index = SentenceIndex(pack, examples + unlike) if examples else None
        self.learned = Learned(pack, self.index.normalizer, self.index.encoder) if self.index else None

    def find(self, sentences: list[str]) -> list[tuple[Detector, str] | None]:
        return self.find_all(sentences)[0]

    def find_all(self, sentences: list[str]) -> tuple[list[tuple[Detector, str] | None], list[Risk]]:
        """For each sentence, the detector it reads like with the finding's severity (the detector's own when
        the match is strong, at most "medium" otherwise: a weak match asks for a review, it does not block), or
        None; and what the learned layer reads in each sentence and, last, in all of them together (their
        features summed and their vectors averaged: the draft is not read a second time)."""
        if not self.index or not self.learned or not sentences:
            return [None] * len(sentences), []
        feats, vectors = read = self.index.read(sentences)
        together: Counter[str] = Counter()
        for fs in feats:
            together.update(fs)
        mean = vectors.mean(axis=0)
        norm = float(np.sqrt(mean.dot(mean))) or 1.0
        risks = self.learned.read([*feats, dict(together)], np.vstack([vectors, mean / norm]))
        scores = self.index.scores(sentences, read)
        positive, fine = scores[:, :self.n_examples], scores[:, self.n_examples:]
        out: list[tuple[Detector, str] | None] = []
        for row in range(len(sentences)):
            j = int(positive[row].argmax())
            best = float(positive[row, j])
            closest_fine = float(fine[row].max()) if fine.shape[1] else 0.0
            detector = self.detectors[self.owner[j]]
            if best >= (detector.threshold or self.THRESHOLD) and best >= closest_fine + self.MARGIN:
                strong = best >= self.STRONG and best >= closest_fine + self.STRONG_MARGIN
                out.append((detector, detector.severity if strong or detector.severity != "high" else "medium"))
            else:
                out.append(None)
        return out, risks
