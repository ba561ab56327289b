"""Write the pack's labelled/questions.jsonl and labelled/drafts.jsonl from the tuning sets.

    python scripts/labelled_sets.py [--exclude SUBSTRING ...]

The sets: tests/eval/ (the shared dev and realistic dev sets) and tests/data/ (paraphrases, the blind sets once
spent, our own fresh and clean drafts). Each line keeps only its words, sections and verdicts; a text that two
sets share is written once. A blind set that has not been scored yet must never be in tests/data/ (it would be
learned); `--exclude` leaves sets out, for measuring how the models do on a set they have not seen.
"""

from __future__ import annotations

import argparse
import glob
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "content" / "labelled"


def gather(kind: str, exclude: list[str]) -> list[dict]:
    key = "question" if kind == "questions" else "draft"
    patterns = ["tests/eval/policy-questions*.jsonl", "tests/data/questions.*.jsonl", "tests/data/paraphrases*.jsonl"] \
        if kind == "questions" else ["tests/eval/drafts*.jsonl", "tests/data/drafts.*.jsonl"]
    seen: set[str] = set()
    rows = []
    for pattern in patterns:
        for path in sorted(glob.glob(str(ROOT / pattern))):
            if any(x in path for x in exclude):
                continue
            for line in open(path, encoding="utf-8"):
                if not line.strip():
                    continue
                row = json.loads(line)
                text = row[key].strip()
                if text.lower() in seen:
                    continue
                seen.add(text.lower())
                rows.append({key: text, "sections": row["sections"], "verdicts": row["verdicts"]})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--exclude", nargs="*", default=[], help="leave out sets whose path contains any of these")
    a = ap.parse_args()
    OUT.mkdir(exist_ok=True)
    for kind in ("questions", "drafts"):
        rows = gather(kind, a.exclude)
        with open(OUT / f"{kind}.jsonl", "w", encoding="utf-8") as f:
            f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        print(f"{OUT / kind}.jsonl: {len(rows)}")


if __name__ == "__main__":
    main()
