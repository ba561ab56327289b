"""The checker's learned layer: which guideline a sentence risks and how badly, from two softmax regressions
(bot/policy/learned.py) fitted at load on everything the pack labels for drafts: the detectors' example
sentences (their guideline and severity), their `unlike` and `[ordinary]` sentences (fine) and the labelled
drafts of `labelled/drafts.jsonl` (their guidelines and verdicts, or fine).

Rules catch what has a shape (keys, terms, formats); the detectors catch sentences close to one of their
examples; this layer catches the rest of what reads like a risk: a sentence (or the whole draft) whose most
likely guideline reaches RISK becomes a "review" finding; a draft under review that as a whole reads "don't post"
with DO_NOT_POST becomes "don't post" (the whole draft, not its worst sentence: the labelled drafts are whole
drafts, and a short sentence alone, "Heart: full", reads as anything); and a draft whose only findings are this
layer's own, in sentences that read fine with FINE, is "ok" (those sentences, not the whole draft: benign
sentences padded around a risky one must not clear it).
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from bot.policy.learned import Rows, Softmax
from bot.policy.pack import Pack
from bot.policy.semantic import Encoder
from bot.policy.text import Normalizer

FINE = "ok"
SEVERITY = {"high": "do_not_post", "medium": "review", "low": "review"}


@dataclass(frozen=True)
class Risk:
    """What the learned layer reads in one piece of a draft."""

    section: str  # the most likely guideline at risk ("" when the most likely is fine)
    probability: float  # of that guideline
    do_not_post: float  # probability that the piece reads "don't post"
    fine: float = 0.0  # probability that the piece is fine


class Learned:
    """Risk and severity of sentences, learned from the pack's draft data."""

    RISK = 0.35  # a guideline this likely makes a finding on a draft where nothing else found one...
    RISK_BESIDE = 0.55  # ...and this likely beside other findings
    DO_NOT_POST = 0.5  # a draft under review that as a whole reads "don't post" this likely is "don't post"...
    ALONE = 0.45  # ...whatever found it, when the layer's surest reading of a guideline is this likely (else a rule or detector must have)
    FINE = 0.5  # a draft whose only findings are this layer's own, in sentences that read fine this likely, is ok
    VETO = 0.6  # a detector's finding on a sentence the learned layer reads as fine this likely is dropped

    def __init__(self, pack: Pack, normalizer: Normalizer, encoder: Encoder):
        self.normalizer, self.encoder = normalizer, encoder
        texts: list[str] = []
        risk: list[list[str]] = []
        severity: list[list[str]] = []
        for d in pack.detectors:
            for e in d.examples:
                texts.append(e)
                risk.append([d.section.split(".")[0]])
                severity.append([SEVERITY.get(d.severity, "review")])
            for e in d.unlike:
                texts.append(e)
                risk.append([FINE])
                severity.append([FINE])
        for row in pack.labelled_drafts:
            texts.append(row.text)
            risk.append([s.split(".")[0] for s in row.sections] or [FINE])
            severity.append(list(row.verdicts))
        feats = [normalizer.features(t) for t in texts]
        df: Counter[str] = Counter(f for fs in feats for f in fs)
        n = max(len(texts), 1)
        self.idf = {f: math.log((n + 1) / (c + 0.5)) for f, c in df.items()}
        self.rows = {f: i for i, f in enumerate(sorted(df))}
        self.enabled = bool(texts)
        if not self.enabled:
            return
        rows = functools.cache(lambda: Rows.build([self.lexical(fs) for fs in feats], encoder.encode(texts), len(self.rows)))
        sections = sorted({s.split(".")[0] for s in pack.sections})
        corpus = hashlib.sha256(repr(texts).encode()).hexdigest()
        shape = (len(self.rows), encoder.dims)
        self.risk = Softmax.cached([pack.digest, "drafts-risk", corpus], [FINE, *sections], risk, rows, shape)
        self.severity = Softmax.cached([pack.digest, "drafts-severity", corpus], [FINE, "review", "do_not_post"], severity, rows, shape)

    def lexical(self, feats: dict[str, float]) -> dict[int, float]:
        weighted = {self.rows[f]: c * self.idf[f] for f, c in feats.items() if f in self.rows}
        norm = math.sqrt(sum(v * v for v in weighted.values())) or 1.0
        return {f: v / norm for f, v in weighted.items()}

    def read(self, feats: list[dict[str, float]], vectors: np.ndarray) -> list[Risk]:
        """The risk of each piece of a draft from its features and vector (computed once for the detectors too)."""
        if not self.enabled or not feats:
            return []
        risk = vectors @ self.risk.dense + self.risk.bias
        severe = vectors @ self.severity.dense + self.severity.bias
        out = []
        for i, fs in enumerate(feats):
            lexical = self.lexical(fs)
            if lexical:
                cols = np.fromiter(lexical.keys(), dtype=np.intp, count=len(lexical))
                vals = np.fromiter(lexical.values(), dtype=np.float32, count=len(lexical))
                risk[i] += vals @ self.risk.lexical.take(cols, axis=0)
                severe[i] += vals @ self.severity.lexical.take(cols, axis=0)
            p, q = _softmax(risk[i]), _softmax(severe[i])
            j = int(p[1:].argmax()) + 1
            out.append(Risk(self.risk.classes[j], float(p[j]), float(q[2]), float(p[0])))
        return out


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()
