#!/usr/bin/env python3
"""Score policy answers against a question set.

usage: score_answers.py QUESTIONS.jsonl ANSWERS.jsonl
ANSWERS holds one JSON object per line, in the same order, each with at least
"verdict" and "section" (section may be null). A section matches an expected
id when equal to it or when it starts with "<id>.".
Prints per-metric figures and the misses; last line is a one-line summary.
"""
import json
import sys


def matches(section, expected):
    if not section:
        return False
    return any(section == e or section.startswith(e + ".") for e in expected)

def main(qpath, apath):
    qs = [json.loads(l) for l in open(qpath) if l.strip()]
    ans = [json.loads(l) for l in open(apath) if l.strip()]
    if len(ans) != len(qs):
        print(f"answers: {len(ans)} lines for {len(qs)} questions")
        sys.exit(1)
    inscope = [(q, a) for q, a in zip(qs, ans) if q["verdicts"] != ["unknown"]]
    oos = [(q, a) for q, a in zip(qs, ans) if q["verdicts"] == ["unknown"]]
    sec_ok = sum(matches(a.get("section"), q["sections"]) for q, a in inscope)
    ver_ok = sum(a.get("verdict") in q["verdicts"] for q, a in inscope)
    both_ok = sum(matches(a.get("section"), q["sections"]) and a.get("verdict") in q["verdicts"] for q, a in inscope)
    oos_ok = sum(a.get("verdict") == "unknown" for q, a in oos)
    false_refusal = sum(a.get("verdict") == "unknown" for q, a in inscope)
    for q, a in zip(qs, ans):
        ok_s = q["verdicts"] == ["unknown"] or matches(a.get("section"), q["sections"])
        ok_v = a.get("verdict") in q["verdicts"]
        if not (ok_s and ok_v):
            print(f"MISS {q['id']}: {q['question']!r} -> {a.get('verdict')}/{a.get('section')} want {q['verdicts']}/{q['sections']}")
    n, m = len(inscope), len(oos)
    print(f"section {sec_ok}/{n} = {sec_ok/n:.3f}; verdict {ver_ok}/{n} = {ver_ok/n:.3f}; both {both_ok}/{n} = {both_ok/n:.3f}; "
          f"out-of-scope refused {oos_ok}/{m} = {oos_ok/max(m,1):.3f}; false refusals {false_refusal}/{n}")
    return sec_ok / n, ver_ok / n, oos_ok / max(m, 1), false_refusal / n

if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("questions"); ap.add_argument("answers")
    ap.add_argument("--min-section", type=float, default=0); ap.add_argument("--min-verdict", type=float, default=0)
    ap.add_argument("--min-refused", type=float, default=0); ap.add_argument("--max-false-refusals", type=float, default=1)
    a = ap.parse_args()
    sec, ver, oos, fr = main(a.questions, a.answers)
    ok = sec >= a.min_section and ver >= a.min_verdict and oos >= a.min_refused and fr <= a.max_false_refusals
    sys.exit(0 if ok else 1)
