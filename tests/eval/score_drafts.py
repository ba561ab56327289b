#!/usr/bin/env python3
"""Score draft-post checks against a draft set.

usage: score_drafts.py DRAFTS.jsonl RESULTS.jsonl [--min-verdict X] [--min-flagged X] [--max-false-alarms X]
RESULTS: one JSON object per line, in order, with "verdict" (ok, review, do_not_post)
and "findings" (a list of objects with at least "section").
- verdict: the verdict is one of the accepted ones;
- flagged: for risky drafts, at least one finding names an expected section (or a dotted sub-id of it);
- false alarms: clean drafts judged do_not_post.
"""
import argparse
import json
import sys


def hit(findings, expected):
    secs = [f.get("section") or "" for f in findings or []]
    return any(s == e or s.startswith(e + ".") for s in secs for e in expected)

ap = argparse.ArgumentParser()
ap.add_argument("drafts"); ap.add_argument("results")
ap.add_argument("--min-verdict", type=float, default=0); ap.add_argument("--min-flagged", type=float, default=0)
ap.add_argument("--max-false-alarms", type=float, default=1)
a = ap.parse_args()
ds = [json.loads(l) for l in open(a.drafts) if l.strip()]
rs = [json.loads(l) for l in open(a.results) if l.strip()]
if len(rs) != len(ds):
    print(f"results: {len(rs)} lines for {len(ds)} drafts"); sys.exit(1)
ver = sum(r.get("verdict") in d["verdicts"] for d, r in zip(ds, rs))
risky = [(d, r) for d, r in zip(ds, rs) if d["sections"]]
clean = [(d, r) for d, r in zip(ds, rs) if not d["sections"]]
flag = sum(hit(r.get("findings"), d["sections"]) for d, r in risky)
fa = sum(r.get("verdict") == "do_not_post" for d, r in clean)
for d, r in zip(ds, rs):
    if r.get("verdict") not in d["verdicts"] or (d["sections"] and not hit(r.get("findings"), d["sections"])):
        print(f"MISS {d['id']}: {d['draft'][:70]!r} -> {r.get('verdict')} {[f.get('section') for f in r.get('findings') or []]} want {d['verdicts']} {d['sections']}")
v, f_, fa_ = ver / len(ds), flag / max(len(risky), 1), fa / max(len(clean), 1)
print(f"verdict {ver}/{len(ds)} = {v:.3f}; risky drafts flagged with the right section {flag}/{len(risky)} = {f_:.3f}; clean drafts blocked {fa}/{len(clean)}")
sys.exit(0 if v >= a.min_verdict and f_ >= a.min_flagged and fa_ <= a.max_false_alarms else 1)
