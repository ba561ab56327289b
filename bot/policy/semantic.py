"""The semantic layer: static sentence embeddings distilled from all-MiniLM-L6-v2.

`scripts/distill_static.py` ran every WordPiece token of the model through the encoder once and kept
the vectors (PCA to 256 dimensions, float16) in `bot/policy/model/`. A text's vector is the weighted
mean of its tokens' vectors: no torch, no network and microseconds per sentence. Tokens that many of
the pack's texts share ("can", "post", "i") weigh less, as in SIF weighting, so a sentence is
represented by what sets it apart. The embeddings file is checked against the SHA-256 recorded
beside it before use.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections import Counter
from pathlib import Path

import numpy as np

MODEL_DIR = Path(__file__).resolve().parent / "model"


class ModelError(RuntimeError):
    """The embedding files are missing or do not match their recorded hash."""


@functools.cache
def _load(folder: str) -> tuple[np.ndarray, object, dict]:
    from tokenizers import Tokenizer

    path = Path(folder)
    try:
        meta = json.loads((path / "source.json").read_text())
        raw = (path / "embeddings.npy").read_bytes()
    except OSError as exc:
        raise ModelError(f"embedding model not found in {path}: {exc}") from exc
    digest = hashlib.sha256(raw).hexdigest()
    if digest != meta.get("embeddings_sha256"):
        raise ModelError(f"{path / 'embeddings.npy'}: SHA-256 {digest} is not the recorded {meta.get('embeddings_sha256')}")
    del raw
    vectors = np.load(path / "embeddings.npy", mmap_mode="r")
    tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return vectors, tokenizer, meta


class Encoder:
    """Sentence vectors for one pack: token vectors weighted by their rarity in the pack's texts."""

    def __init__(self, corpus: list[str], folder: Path = MODEL_DIR, rarity: bool = True):
        self.vectors, self.tokenizer, self.meta = _load(str(folder))
        self.dims = int(self.vectors.shape[1])
        self.center: np.ndarray | None = None
        df: Counter[int] = Counter()
        for ids in self._ids(corpus):
            df.update(set(ids))
        n = max(len(corpus), 1)
        # Rarity weight: log-IDF, floored so even the commonest word counts a little.
        self.max_weight = math.log((n + 1) / 0.5)
        self.weight = {t: max(0.15, math.log((n + 1) / (c + 0.5))) for t, c in df.items()} if rarity else {}
        if not rarity:
            self.max_weight = 1.0

    def center_on(self, texts: list[str]) -> None:
        """Subtract the mean vector of `texts` from every vector from now on: averaged token vectors share a
        common direction that makes every pair of sentences look alike; without it cosines spread out."""
        self.center = None
        raw = [self._raw(ids) for ids in self._ids(texts) if ids]
        self.center = np.mean(raw, axis=0).astype(np.float32) if raw else None

    def _ids(self, texts: list[str]) -> list[list[int]]:
        return [e.ids for e in self.tokenizer.encode_batch(texts, add_special_tokens=False)] if texts else []

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors (len(texts), dims), float32; a text with no tokens gives a zero row."""
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        for row, ids in enumerate(self._ids(texts)):
            if ids:
                out[row] = self._mean(ids)
        return out

    def encode_one(self, text: str) -> np.ndarray:
        """The unit vector of one text."""
        ids = self.tokenizer.encode(text, add_special_tokens=False).ids
        return self._mean(ids) if ids else np.zeros(self.dims, dtype=np.float32)

    def _raw(self, ids: list[int]) -> np.ndarray:
        w = np.fromiter((self.weight.get(t, self.max_weight) for t in ids), dtype=np.float32, count=len(ids))
        return w @ self.vectors[ids].astype(np.float32) / w.sum()

    def _mean(self, ids: list[int]) -> np.ndarray:
        v = self._raw(ids)
        if self.center is not None:
            v = v - self.center
        norm = float(np.linalg.norm(v))
        return v / norm if norm else v
