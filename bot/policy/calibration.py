"""Confidence that means something: match features mapped to the chance the answer is right.

`scripts/calibrate.py` runs the engine over labelled question sets, records a few features of each
answer (how strong the best match is, its lead over the runner-up and over the out-of-scope groups,
how the lexical and semantic layers agree) and fits one logistic regression per kind of answer
(a guideline answer or an `unknown`). The weights live in the pack's `calibration.toml`, so a pack
written for another organization can be calibrated on its own questions. Without that file a plain
fallback formula is used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

FEATURES = ("best", "margin", "scope_margin", "lexical", "semantic", "scoped", "agree", "form")


@dataclass(frozen=True)
class Model:
    """One logistic regression: weights in FEATURES order and a bias."""

    weights: tuple[float, ...]
    bias: float

    def probability(self, x: dict[str, float]) -> float:
        """The calibrated chance that an answer with features `x` is right."""
        z = self.bias + sum(w * x.get(name, 0.0) for name, w in zip(FEATURES, self.weights))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@dataclass
class Calibration:
    """Calibrated confidence for guideline answers (`answer`) and refusals (`unknown`)."""

    models: dict[str, Model] = field(default_factory=dict)

    @classmethod
    def from_data(cls, data: dict, problem=None) -> Calibration:
        """Read `[answer]` and `[unknown]` tables of calibration.toml; `problem(message)` hears mistakes."""
        models: dict[str, Model] = {}
        for kind in ("answer", "unknown"):
            raw = data.get(kind)
            if raw is None:
                continue
            weights, bias = raw.get("weights"), raw.get("bias")
            if not isinstance(weights, list) or len(weights) != len(FEATURES) or not all(isinstance(w, int | float) for w in weights) \
                    or not isinstance(bias, int | float):
                if problem:
                    problem(f"[{kind}] needs weights (a list of {len(FEATURES)} numbers: {', '.join(FEATURES)}) and a bias")
                continue
            models[kind] = Model(tuple(float(w) for w in weights), float(bias))
        return cls(models)

    def confidence(self, kind: str, x: dict[str, float]) -> float:
        """Calibrated confidence for an answer of `kind` ("answer" or "unknown") with features `x`."""
        model = self.models.get(kind)
        if model:
            return model.probability(x)
        if kind == "unknown":
            return min(1.0, max(0.0, 0.5 + x.get("scope_margin", 0.0)))
        return min(1.0, max(0.0, x.get("best", 0.0) * 0.4 + x.get("margin", 0.0) * 1.5 + 0.2))
