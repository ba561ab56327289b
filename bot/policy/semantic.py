"""The semantic layer: static sentence embeddings distilled from all-MiniLM-L6-v2.

`scripts/distill_static.py` ran every WordPiece token of the model through the encoder once and kept
the vectors (PCA to 256 dimensions, float16) in `bot/policy/model/`. A text's vector is the weighted
mean of its tokens' vectors: no torch, no network and microseconds per sentence. Tokens that many of
the pack's texts share ("can", "post", "i") weigh less, as in SIF weighting, so a sentence is
represented by what sets it apart. The embeddings file is checked against the SHA-256 recorded
beside it before use. The tokenizer is the model's own (tokenizer.json: BERT uncased WordPiece), run by
`WordPiece` below in plain Python with a per-word cache; a test holds it to the `tokenizers` library's
output. Run time needs numpy only.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import math
import re
import unicodedata
from collections import Counter
from pathlib import Path

import numpy as np

MODEL_DIR = Path(__file__).resolve().parent / "model"
ASCII_WORD = re.compile(r"[a-z0-9]+|[^\sa-z0-9]")
ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class ModelError(RuntimeError):
    """The embedding files are missing or do not match their recorded hash."""


def _is_punctuation(ch: str) -> bool:
    code = ord(ch)
    return 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126 or unicodedata.category(ch).startswith("P")


def _is_cjk(code: int) -> bool:
    return (0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0x20000 <= code <= 0x2A6DF or 0x2A700 <= code <= 0x2B73F
            or 0x2B740 <= code <= 0x2B81F or 0x2B820 <= code <= 0x2CEAF or 0xF900 <= code <= 0xFAFF or 0x2F800 <= code <= 0x2FA1F)


class WordPiece:
    """BERT's uncased tokenizer (BertNormalizer, BertPreTokenizer, WordPiece) as in the model's tokenizer.json,
    in plain Python with a per-word cache: words repeat, so most cost nothing after the first time."""

    def __init__(self, vocab: dict[str, int], unk: str = "[UNK]", prefix: str = "##", max_chars: int = 100):
        self.vocab, self.unk, self.prefix, self.max_chars = vocab, vocab[unk], prefix, max_chars
        self.cache: dict[str, tuple[int, ...]] = {}

    def words(self, text: str) -> list[str]:
        """Normalised, pre-tokenised words: lower-case, accents stripped, punctuation and CJK split off."""
        if text.isascii() and not ASCII_CONTROL.search(text):
            return ASCII_WORD.findall(text.lower())  # every ASCII symbol is punctuation to BERT
        out: list[str] = []
        for chunk in text.lower().split():
            if not chunk.isascii() or not chunk.isprintable():
                chunk = "".join(c for c in unicodedata.normalize("NFD", chunk) if unicodedata.category(c) != "Mn"
                                and not (unicodedata.category(c) in ("Cc", "Cf") or ord(c) in (0, 0xFFFD)))
            if chunk.isalnum() and chunk.isascii():
                out.append(chunk)
                continue
            word = ""
            for ch in chunk:
                if _is_punctuation(ch) or _is_cjk(ord(ch)):
                    if word:
                        out.append(word)
                    out.append(ch)
                    word = ""
                elif ch.isspace():
                    if word:
                        out.append(word)
                    word = ""
                else:
                    word += ch
            if word:
                out.append(word)
        return out

    def piece(self, word: str) -> tuple[int, ...]:
        """WordPiece ids of one word: greedy longest match, the whole word unknown when a part is."""
        hit = self.cache.get(word)
        if hit is not None:
            return hit
        if len(word) > self.max_chars:
            ids: tuple[int, ...] = (self.unk,)
        else:
            found, start = [], 0
            while start < len(word):
                end, cur = len(word), None
                while start < end:
                    sub = word[start:end] if start == 0 else self.prefix + word[start:end]
                    if sub in self.vocab:
                        cur = self.vocab[sub]
                        break
                    end -= 1
                if cur is None:
                    found = [self.unk]
                    break
                found.append(cur)
                start = end
            ids = tuple(found)
        if len(self.cache) < 50_000:
            self.cache[word] = ids
        return ids

    def ids(self, text: str) -> list[int]:
        """Token ids of a text, without [CLS] and [SEP]."""
        piece = self.piece
        return [i for w in self.words(text) for i in piece(w)]


@functools.cache
def _load(folder: str) -> tuple[np.ndarray, WordPiece, dict]:
    path = Path(folder)
    try:
        meta = json.loads((path / "source.json").read_text())
        raw = (path / "embeddings.npy").read_bytes()
    except OSError as exc:
        raise ModelError(f"embedding model not found in {path}: {exc}") from exc
    digest = hashlib.sha256(raw).hexdigest()
    if digest != meta.get("embeddings_sha256"):
        raise ModelError(f"{path / 'embeddings.npy'}: SHA-256 {digest} is not the recorded {meta.get('embeddings_sha256')}")
    # Stored float16 (15.6 MB), widened once to float32 (31 MB): widening a sentence's rows on every call
    # cost more than the memory (the values are the same, float16 to float32 is exact).
    vectors = np.load(io.BytesIO(raw)).astype(np.float32)
    del raw
    spec = json.loads((path / "tokenizer.json").read_text(encoding="utf-8"))
    model = spec["model"]
    tokenizer = WordPiece(model["vocab"], model.get("unk_token", "[UNK]"), model.get("continuing_subword_prefix", "##"),
                          int(model.get("max_input_chars_per_word", 100)))
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
        self.weights = np.full(self.vectors.shape[0], self.max_weight, dtype=np.float32)
        for t, w in self.weight.items():
            self.weights[t] = w

    def center_on(self, texts: list[str]) -> None:
        """Subtract the mean vector of `texts` from every vector from now on: averaged token vectors share a
        common direction that makes every pair of sentences look alike; without it cosines spread out."""
        self.center = None
        raw = [self._raw(ids) for ids in self._ids(texts) if ids]
        self.center = np.mean(raw, axis=0).astype(np.float32) if raw else None

    def _ids(self, texts: list[str]) -> list[list[int]]:
        return [self.tokenizer.ids(t) for t in texts]

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors (len(texts), dims), float32; a text with no tokens gives a zero row."""
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        for row, ids in enumerate(self._ids(texts)):
            if ids:
                out[row] = self._mean(ids)
        return out

    def encode_one(self, text: str) -> np.ndarray:
        """The unit vector of one text."""
        ids = self.tokenizer.ids(text)
        return self._mean(ids) if ids else np.zeros(self.dims, dtype=np.float32)

    def _raw(self, ids: list[int]) -> np.ndarray:
        idx = np.array(ids, dtype=np.intp)  # one conversion for both gathers; take is cheaper than fancy indexing
        w = self.weights.take(idx)
        return w @ self.vectors.take(idx, axis=0) / w.sum()

    def _mean(self, ids: list[int]) -> np.ndarray:
        v = self._raw(ids)
        if self.center is not None:
            v -= self.center  # v is a fresh array
        norm = float(np.sqrt(v.dot(v)))  # what np.linalg.norm computes for a vector, without its checks
        return v / norm if norm else v
