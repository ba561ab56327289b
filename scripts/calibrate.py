"""Fit the confidence calibration of a content pack on labelled question sets; write calibration.toml.

For every question the engine answers, the features of its answer (see bot/policy/calibration.py) and
whether it was right (section and verdict for a policy question, `unknown` for one out of scope) are
recorded; one logistic regression per kind of answer maps features to the chance of being right.

    python scripts/calibrate.py [--pack content] [--out content/calibration.toml] [--realistic SET ...] SET.jsonl [...]

The bundled pack's file (every labelled set; the promise checked on the realistic ones):

    python scripts/calibrate.py tests/eval/policy-questions*.jsonl tests/data/questions.*.jsonl \
        --realistic tests/eval/policy-questions.real.dev.jsonl tests/data/questions.*.jsonl

Each set is answered by an engine whose learned layer has not seen that set's questions (they are left out of
the pack's labelled/questions.jsonl for it): the features are those of questions the engine meets for the first
time, as in use, not of questions it learned from (which look surer than they are).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

# The promise (>= 92% right at confidence >= 0.8) is for sets nobody tuned on: the dev set asks more, for
# a margin. At 0.93 the fresh tune set came out at 0.89 while the dev set said 0.98; at 0.985 it says 0.95.
TARGET = 0.985
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.policy.calibration import FEATURES  # noqa: E402
from bot.policy.engine import Engine  # noqa: E402
from bot.policy.labelled import leave_out  # noqa: E402
from bot.policy.pack import load_pack  # noqa: E402


def _right(answer, row) -> bool:
    if row["verdicts"] == ["unknown"]:
        return answer.verdict == "unknown"
    section_ok = bool(answer.section) and any(answer.section == e or answer.section.startswith(e + ".") for e in row["sections"])
    return section_ok and answer.verdict in row["verdicts"]


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 3000) -> tuple[np.ndarray, float]:
    """Logistic regression by gradient descent on standardised features; weights returned for raw features."""
    mu, sd = x.mean(0), x.std(0) + 1e-9
    z = (x - mu) / sd
    w, b = np.zeros(z.shape[1]), 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        w -= 0.1 * (z.T @ (p - y) / len(y) + l2 * w / len(y))
        b -= 0.1 * float((p - y).mean())
    return w / sd, b - float((w * mu / sd).sum())


def main() -> None:
    """Run the sets, fit, write the file."""
    parser = argparse.ArgumentParser()
    parser.add_argument("sets", nargs="+")
    parser.add_argument("--pack", default=str(ROOT / "content"))
    parser.add_argument("--out", default=str(ROOT / "content" / "calibration.toml"))
    parser.add_argument("--realistic", nargs="*", default=[], help="sets the confidence >= 0.8 promise is checked on (default: all)")
    args = parser.parse_args()
    folder = Path(args.pack)
    out = Path(args.out)
    if out.exists() and out.parent.resolve() == folder.resolve():
        out.unlink()  # fit the raw features, not a previous calibration's
    pack = load_pack(folder)
    data: dict[str, tuple[list, list, list]] = {"answer": ([], [], []), "unknown": ([], [], [])}
    strict = {Path(p).resolve() for p in args.realistic}
    for path in args.sets:
        rows = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
        engine = Engine(leave_out(pack, questions=[row["question"] for row in rows]))
        for row in rows:
            if row:
                feats: dict = {}
                answer = engine.answer(row["question"], feats)
                xs, ys, checked = data[feats.pop("kind")]
                xs.append([feats.get(name, 0.0) for name in FEATURES])
                ys.append(float(_right(answer, row)))
                checked.append(not strict or Path(path).resolve() in strict)
    lines = ["# Confidence calibration, written by scripts/calibrate.py from: " + ", ".join(Path(p).name for p in args.sets),
             f"# features: {', '.join(FEATURES)}", ""]
    fitted = {kind: fit(np.array(xs), np.array(ys)) for kind, (xs, ys, _) in data.items() if len(set(ys)) >= 2}
    # A logistic fit is calibrated on average; the promise is about the confident end: shift every bias down
    # until answers given confidence >= 0.8 on these sets are right at least TARGET of the time.
    shift = 0.0
    while shift > -6:
        right = [y for kind, (w, b) in fitted.items() for x, y, c in zip(*data[kind])
                 if c and 1 / (1 + np.exp(-(np.dot(w, x) + b + shift))) >= 0.8]
        if not right or sum(right) / len(right) >= TARGET:
            break
        shift -= 0.1
    lines.insert(2, f"# biases shifted by {shift:.1f} so that confidence >= 0.8 is right >= {TARGET:.0%} on "
                    + (", ".join(Path(p).name for p in args.realistic) or "these sets"))
    for kind, (w, b) in fitted.items():
        xs, ys, _ = data[kind]
        b += shift
        lines += [f"[{kind}]  # {len(ys)} answers, {sum(ys) / len(ys):.0%} right",
                  "weights = [" + ", ".join(f"{v:.4f}" for v in w) + "]", f"bias = {b:.4f}", ""]
    out.write_text("\n".join(lines))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
