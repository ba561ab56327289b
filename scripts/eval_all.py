"""Every labelled question and draft set in one run, scored the way tests/eval/score*.py score them.

    python scripts/eval_all.py [--misses SETNAME]

Question sets: section, verdict, out-of-scope refused, false refusals, and how often answers with
confidence >= 0.8 are right (section and verdict; `unknown` for out-of-scope questions).
Draft sets: verdict, risky drafts flagged with the right section, clean drafts blocked.
"""

from __future__ import annotations

import argparse
import glob
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.check.checker import Checker  # noqa: E402
from bot.policy.engine import Engine  # noqa: E402
from bot.policy.pack import load_pack  # noqa: E402


def _match(section, expected):
    return bool(section) and any(section == e or section.startswith(e + ".") for e in expected)


def _rows(path):
    return [json.loads(line) for line in open(path) if line.strip()]


QSETS = ["tests/eval/policy-questions.real.dev.jsonl", "tests/eval/policy-questions.dev.jsonl",
         "tests/data/questions.blind1.tune.jsonl", "tests/data/questions.blind1.holdout.jsonl", "tests/data/questions.blind2.jsonl", "tests/data/questions.blind3.jsonl", "tests/data/questions.train3.jsonl", "tests/data/questions.blind4.jsonl", "tests/data/questions.blind5.jsonl"]
DSETS = ["tests/eval/drafts.real.dev.jsonl", "tests/eval/drafts.dev.jsonl",
         "tests/data/drafts.blind1.tune.jsonl", "tests/data/drafts.blind1.holdout.jsonl", "tests/data/drafts.blind2.jsonl", "tests/data/drafts.blind3.jsonl", "tests/data/drafts.train3.jsonl", "tests/data/drafts.blind4.jsonl", "tests/data/drafts.blind5.jsonl"]


def questions(engine, path, show):
    rows = _rows(ROOT / path)
    n = m = sec = ver = oos = fr = conf_n = conf_ok = 0
    for q in rows:
        a = engine.answer(q["question"])
        out = q["verdicts"] == ["unknown"]
        if out:
            m += 1
            right = a.verdict == "unknown"
            oos += right
        else:
            n += 1
            s, v = _match(a.section, q["sections"]), a.verdict in q["verdicts"]
            sec += s
            ver += v
            fr += a.verdict == "unknown"
            right = s and v
        if a.confidence >= 0.8:
            conf_n += 1
            conf_ok += right
        if show and not right:
            print(f"  MISS {q['id']}: {q['question']!r} -> {a.verdict}/{a.section} ({a.confidence:.2f}) want {q['verdicts']}/{q['sections']}")
    return (f"section {sec / n:.3f} verdict {ver / n:.3f} refused {oos / max(m, 1):.3f} ({oos}/{m}) false-ref {fr / n:.3f} ({fr}/{n}) "
            f"conf>=.8 right {conf_ok}/{conf_n} = {conf_ok / max(conf_n, 1):.3f}")


def drafts(checker, path, show):
    rows = _rows(ROOT / path)
    ver = flag = risky = clean = blocked = 0
    for d in rows:
        r = checker.check(d["draft"])
        secs = [f.section for f in r.findings]
        v = r.verdict in d["verdicts"]
        ver += v
        hit = True
        if d["sections"]:
            risky += 1
            hit = any(_match(s, d["sections"]) for s in secs)
            flag += hit
        else:
            clean += 1
            blocked += r.verdict == "do_not_post"
        if show and not (v and hit):
            print(f"  MISS {d['id']}: {d['draft'][:90]!r} -> {r.verdict} {secs} want {d['verdicts']} {d['sections']}")
    return (f"verdict {ver / len(rows):.3f} flagged {flag / max(risky, 1):.3f} ({flag}/{risky}) "
            f"clean blocked {blocked}/{clean}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--misses", nargs="*", default=[], help="set names (substrings) whose misses to print")
    ap.add_argument("--only", default="", help="q or d: only question or only draft sets")
    ap.add_argument("--all", action="store_true", help="also the paraphrase and fresh/clean sets of tests/data")
    a = ap.parse_args()
    pack = load_pack(ROOT / "content")
    qsets, dsets = list(QSETS), list(DSETS)
    if a.all:
        qsets += sorted(str(Path(p).relative_to(ROOT)) for p in glob.glob(str(ROOT / "tests/data/paraphrases*.jsonl")))
        dsets += sorted(str(Path(p).relative_to(ROOT)) for p in glob.glob(str(ROOT / "tests/data/drafts.*.jsonl")) if "blind1" not in p)
    if a.only != "d":
        engine = Engine(pack)
        for p in qsets:
            show = any(s in p for s in a.misses)
            print(f"{Path(p).name:42s} {questions(engine, p, show)}")
    if a.only != "q":
        checker = Checker(pack)
        for p in dsets:
            show = any(s in p for s in a.misses)
            print(f"{Path(p).name:42s} {drafts(checker, p, show)}")


if __name__ == "__main__":
    main()
