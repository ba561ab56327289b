"""Answer and draft-check quality on question and draft sets, in one process (no timing).

Scores like `tests/eval/score.py` and `score_drafts.py`, plus what those do not: the precision of
answers with confidence >= 0.8 (an in-scope answer is right when section and verdict are; an
out-of-scope one when it is `unknown`) and the share of answers that confident.

    python -m bench.quality questions.jsonl [...] [--drafts drafts.jsonl ...] [--misses]
    python -m bench.quality --learned     # the learned layer on and off, each fresh set left out of labelled/
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import content
from bot.check.checker import Checker
from bot.check.learned import Learned
from bot.policy.engine import Engine
from bot.policy.labelled import leave_out
from bot.policy.pack import load_pack
from bot.policy.service import load_policy


def _matches(section, expected) -> bool:
    return bool(section) and any(section == e or section.startswith(e + ".") for e in expected)


def score_questions(engine, rows: list[dict], misses: bool = False) -> dict:
    """Metrics of one question set."""
    n = m = sec = ver = both = refused = false_ref = 0
    confident = confident_right = 0
    for q in rows:
        a = engine.answer(q["question"])
        oos = q["verdicts"] == ["unknown"]
        s_ok = oos or _matches(a.section, q["sections"])
        v_ok = a.verdict in q["verdicts"]
        if oos:
            m += 1
            refused += a.verdict == "unknown"
        else:
            n += 1
            sec += s_ok
            ver += v_ok
            both += s_ok and v_ok
            false_ref += a.verdict == "unknown"
        if a.confidence >= 0.8:
            confident += 1
            confident_right += s_ok and v_ok
        if misses and not (s_ok and v_ok):
            print(f"  MISS {q.get('id')}: {q['question'][:90]!r} -> {a.verdict}/{a.section} ({a.confidence:.2f}) "
                  f"want {q['verdicts']}/{q['sections']}")
    return {"section": sec / max(n, 1), "verdict": ver / max(n, 1), "both": both / max(n, 1),
            "refused": refused / max(m, 1), "false_refusals": false_ref / max(n, 1),
            "conf80_precision": confident_right / max(confident, 1), "conf80_share": confident / max(len(rows), 1),
            "n": len(rows)}


def score_drafts(checker, rows: list[dict], misses: bool = False) -> dict:
    """Metrics of one draft set."""
    ver = flagged = risky = clean = blocked = 0
    for d in rows:
        r = checker.check(d["draft"])
        v_ok = r.verdict in d["verdicts"]
        ver += v_ok
        hit = True
        if d["sections"]:
            risky += 1
            hit = any(_matches(f.section, d["sections"]) for f in r.findings)
            flagged += hit
        else:
            clean += 1
            blocked += r.verdict == "do_not_post"
        if misses and not (v_ok and hit):
            print(f"  MISS {d.get('id')}: {d['draft'][:90]!r} -> {r.verdict} {[f.section for f in r.findings]} "
                  f"want {d['verdicts']} {d['sections']}")
    return {"verdict": ver / len(rows), "flagged": flagged / max(risky, 1), "clean_blocked": blocked / max(clean, 1),
            "n": len(rows)}


FRESH = ("blind2", "blind3", "train3", "blind4", "blind5", "blind6")  # fresh sets by helpers who never saw content/, now tuned on


DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


def learned_ablation(data: Path = DATA) -> None:
    """Each fresh set scored by an engine and a checker whose labelled/ leaves that set out, with the learned
    layer off (no guideline prior, no firm verdicts, no learned findings) and on."""
    pack = load_pack(content.default_dir())
    off = {Engine: {"PRIOR_WEIGHT": 0.0, "FIRM": 1.1}, Learned: {"RISK": 1.1, "RISK_BESIDE": 1.1, "DO_NOT_POST": 1.1, "ALONE": 1.1, "VETO": 1.1, "FINE": 1.1}}
    shipped = {cls: {k: getattr(cls, k) for k in keys} for cls, keys in off.items()}
    for name in FRESH:
        questions, drafts = read(str(data / f"questions.{name}.jsonl")), read(str(data / f"drafts.{name}.jsonl"))
        held = leave_out(pack, [q["question"] for q in questions], [d["draft"] for d in drafts])
        for label, settings in (("off", off), ("on", shipped)):
            for cls, values in settings.items():
                for k, v in values.items():
                    setattr(cls, k, v)
            q, d = score_questions(Engine(held), questions), score_drafts(Checker(held), drafts)
            print(f"{name} learned {label}: section {q['section']:.3f} verdict {q['verdict']:.3f} refused {q['refused']:.3f} "
                  f"false-ref {q['false_refusals']:.3f} conf>=0.8 {q['conf80_precision']:.3f} ({q['conf80_share']:.2f}) | "
                  f"drafts verdict {d['verdict']:.3f} flagged {d['flagged']:.3f} clean blocked {d['clean_blocked']:.3f}", flush=True)


def read(path: str) -> list[dict]:
    """Rows of a JSON-lines file."""
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def main() -> None:
    """Print the metrics of every set given."""
    parser = argparse.ArgumentParser()
    parser.add_argument("questions", nargs="*")
    parser.add_argument("--drafts", nargs="*", default=[])
    parser.add_argument("--misses", action="store_true")
    parser.add_argument("--learned", action="store_true", help="the learned layer's ablation on the fresh sets")
    args = parser.parse_args()
    if args.learned:
        learned_ablation()
        return
    pack, engine = load_policy(None, content.default_dir())
    for path in args.questions:
        s = score_questions(engine, read(path), args.misses)
        print(f"{Path(path).name} ({s['n']}): section {s['section']:.3f} verdict {s['verdict']:.3f} both {s['both']:.3f} "
              f"refused {s['refused']:.3f} false-ref {s['false_refusals']:.3f} "
              f"conf>=0.8 precision {s['conf80_precision']:.3f} (share {s['conf80_share']:.2f})")
    checker = Checker(load_pack(content.default_dir()))
    for path in args.drafts:
        s = score_drafts(checker, read(path), args.misses)
        print(f"{Path(path).name} ({s['n']}): verdict {s['verdict']:.3f} flagged {s['flagged']:.3f} "
              f"clean blocked {s['clean_blocked']:.3f}")


if __name__ == "__main__":
    main()
