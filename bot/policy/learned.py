"""What the engine and the draft checker learn from the pack: softmax regressions fitted at load.

Nearest-example matching answers well when a question resembles a listed phrasing and falls to the nearest
shared word when it does not. A linear model fitted on everything the pack labels (each situation's example
phrasings, the detectors' sentences and the labelled questions and drafts of `labelled/`) weighs every word
and every semantic direction against all guidelines at once, so it generalizes where single examples don't.
The engine adds its log-probabilities to the situations' scores as a prior on the guideline; the checker
reads a sentence's risk and severity from two of them (see bot/check/learned.py).

Features are the lexical ones the layers already compute (sparse: a TF-IDF unit vector over stems, concepts
and bigrams) beside the semantic sentence vector (dense). The fit is deterministic (zero start, Adam, a fixed
number of steps), takes a few hundred milliseconds and needs numpy only; the same pack gives the same model.
Fitted weights are cached on disk (SMPOLICY_CACHE_DIR, else $XDG_CACHE_HOME/smpolicy or ~/.cache/smpolicy;
`off` for none) under a key made of the pack's files, this code's files and the training data, so a restart
or a second replica loads them in milliseconds; a cache that cannot be written is skipped silently.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CODE = Path(__file__).resolve().parent.parent  # bot/: the features and the fit are this code's


@functools.cache
def _code_digest() -> str:
    h = hashlib.sha256()
    # The features are this code's over the model's tokens and vectors: a new model is a new key too.
    for path in sorted([*CODE.glob("policy/*.py"), *CODE.glob("check/*.py")]) + [CODE / "policy/model/source.json", CODE / "policy/model/tokenizer.json"]:
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def cache_dir() -> Path | None:
    """Where fitted weights are kept, or None when SMPOLICY_CACHE_DIR=off."""
    chosen = os.environ.get("SMPOLICY_CACHE_DIR", "")
    if chosen.lower() == "off":
        return None
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except (RuntimeError, KeyError):  # no home at all (a container's arbitrary user id): no cache
            return None
    return Path(base) / "smpolicy"


@dataclass(frozen=True)
class Rows:
    """Examples as features: sparse lexical (row index, feature index, value triples) beside dense semantic."""

    row: np.ndarray  # int: which example each lexical entry belongs to
    col: np.ndarray  # int: which lexical feature
    val: np.ndarray  # float32 weights
    dense: np.ndarray  # (n, d) float32 semantic vectors
    n_lexical: int  # how many lexical features there are

    @classmethod
    def build(cls, lexical: list[dict[int, float]], dense: np.ndarray, n_lexical: int) -> Rows:
        row = np.array([i for i, feats in enumerate(lexical) for _ in feats], dtype=np.intp)
        col = np.array([f for feats in lexical for f in feats], dtype=np.intp)
        val = np.array([w for feats in lexical for w in feats.values()], dtype=np.float32)
        return cls(row, col, val, np.asarray(dense, dtype=np.float32), n_lexical)

    def subset(self, keep: np.ndarray) -> Rows:
        """The rows where `keep` (booleans, one a row) is true, in their order."""
        renumber = np.cumsum(keep) - 1
        entries = keep[self.row]
        return Rows(renumber[self.row[entries]], self.col[entries], self.val[entries], self.dense[keep], self.n_lexical)

    def segments(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """For sums by segment (np.add.reduceat, far quicker than np.add.at): the rows that have lexical
        entries with where each starts (entries are in row order), and the entries in feature order with the
        features met and where each starts."""
        rows_met, row_starts = np.unique(self.row, return_index=True)
        by_col = np.argsort(self.col, kind="stable")
        cols_met, col_starts = np.unique(self.col[by_col], return_index=True)
        return rows_met, row_starts, by_col, cols_met, col_starts

    def __len__(self) -> int:
        return self.dense.shape[0]


class Softmax:
    """A multinomial logistic regression over `Rows`; targets may spread over several right classes."""

    STEPS = 60
    RATE = 0.2
    L2 = 1e-4

    def __init__(self, classes: list[str], lexical: np.ndarray, dense: np.ndarray, bias: np.ndarray):
        self.classes = classes
        self.index = {c: i for i, c in enumerate(classes)}
        self.lexical, self.dense, self.bias = lexical, dense, bias

    @classmethod
    def fit(cls, classes: list[str], rows: Rows, targets: list[list[str]]) -> Softmax:
        """Fit on `rows`, each with the classes it may rightly be (weight spread evenly over them)."""
        k, n = len(classes), len(rows)
        index = {c: i for i, c in enumerate(classes)}
        target = np.zeros((n, k), dtype=np.float32)
        for i, names in enumerate(targets):
            hits = [index[c] for c in names if c in index]
            if hits:
                target[i, hits] = 1.0 / len(hits)
        weights = [np.zeros((rows.n_lexical, k), np.float32), np.zeros((rows.dense.shape[1], k), np.float32), np.zeros(k, np.float32)]
        moments = [(np.zeros_like(w), np.zeros_like(w)) for w in weights]
        rows_met, row_starts, by_col, cols_met, col_starts = rows.segments()
        col_sorted, row_by_col, val_by_col = rows.col, rows.row[by_col], rows.val[by_col, None]
        for step in range(1, cls.STEPS + 1):
            z = rows.dense @ weights[1] + weights[2]
            if len(rows.val):
                z[rows_met] += np.add.reduceat(rows.val[:, None] * weights[0].take(col_sorted, axis=0), row_starts)
            z -= z.max(axis=1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
            error = (p - target) / max(n, 1)
            lexical_grad = cls.L2 * weights[0]
            if len(rows.val):
                lexical_grad[cols_met] += np.add.reduceat(val_by_col * error.take(row_by_col, axis=0), col_starts)
            grads = [lexical_grad, rows.dense.T @ error + cls.L2 * weights[1], error.sum(axis=0)]
            for w, g, (m, v) in zip(weights, grads, moments):
                m *= 0.9
                m += 0.1 * g
                v *= 0.999
                v += 0.001 * g * g
                w -= cls.RATE * (m / (1 - 0.9 ** step)) / (np.sqrt(v / (1 - 0.999 ** step)) + 1e-8)
        return cls(classes, *weights)

    @classmethod
    def cached(cls, parts: list[str], classes: list[str], targets: list[list[str]], rows: Callable[[], Rows],
               shape: tuple[int, int]) -> Softmax:
        """`fit(classes, rows(), targets)`, or the weights of the same fit from the cache: `parts` name the pack
        (its files' digest) and the model; the code, the classes, the targets and the fit's settings join them.
        `shape` is (lexical features, vector dimensions): a cached file of another shape or type is fitted again.
        The folder is the service's own (0700), as trusted as its data folder."""
        h = hashlib.sha256()
        for part in [*parts, _code_digest(), repr(classes), repr(targets), repr((cls.STEPS, cls.RATE, cls.L2))]:
            h.update(part.encode() + b"\0")
        folder = cache_dir()
        path = folder / f"learned-{h.hexdigest()[:32]}.npz" if folder else None
        if path is not None and path.exists():
            try:
                with np.load(path, allow_pickle=False) as saved:
                    lexical, dense, bias = saved["lexical"], saved["dense"], saved["bias"]
                k = len(classes)
                if lexical.shape == (shape[0], k) and dense.shape == (shape[1], k) and bias.shape == (k,) \
                        and all(a.dtype == np.float32 and np.isfinite(a).all() for a in (lexical, dense, bias)):
                    return cls(classes, lexical, dense, bias)
            except (OSError, ValueError, KeyError):
                pass  # unreadable or from an older layout: fit again and overwrite
        model = cls.fit(classes, rows(), targets)
        if path is not None:
            try:
                path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".npz", delete=False) as tmp:
                    np.savez(tmp, lexical=model.lexical, dense=model.dense, bias=model.bias)
                os.replace(tmp.name, path)  # whole or not at all, even with two processes writing at once
            except OSError:
                pass
        return model

    def probabilities_of(self, rows: list[int], weights: np.ndarray, dense: np.ndarray) -> np.ndarray:
        """Class probabilities for one example given as its lexical rows and weights beside its vector."""
        z = dense @ self.dense + self.bias
        if rows:
            z += weights @ self.lexical.take(rows, axis=0)
        z -= z.max()
        p = np.exp(z)
        return p / p.sum()

    def probabilities(self, lexical: dict[int, float], dense: np.ndarray) -> np.ndarray:
        """Class probabilities (in `classes` order) for one example, its lexical features as {row: weight}."""
        return self.probabilities_of(list(lexical), np.fromiter(lexical.values(), dtype=np.float32, count=len(lexical)), dense)
