"""Benchmark: draft checks of 2,000-character drafts in one process, on one core.

Drafts are built from the dev, extra and fresh draft sets, concatenated and cut to 2,000 characters
(so every rule family fires somewhere). Baseline in the same process: a naive checker that
lower-cases the draft and looks for 60 keywords with `in`.

    python -m bench.checks [--rounds 200]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import content
from bench.common import machine, median, percentile, pin_one_core
from bot.check.checker import Checker
from bot.policy.pack import load_pack

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = ("confidential", "internal", "unreleased", "password", "token", "key", "idiot", "moron", "stupid", "lyrics", "logo", "pdf",
            "revenue", "earnings", "layoff", "outage", "postmortem", "client", "customer", "deal", "photo", "video", "behalf",
            "officially", "nda", "secret", "leak", "roadmap", "launch", "ships", "q1", "q2", "q3", "q4", "stock", "acquired", "merger",
            "screenshot", "dashboard", "jira", "@", "street", "cancer", "pregnant", "fuck", "shit", "damn", "pirated", "torrent",
            "course", "ebook", "movie", "song", "spokesperson", "lives at", "sick", "fired", "salary", "hacked", "breach")


def drafts(count: int, size: int = 2000) -> list[str]:
    pool = [json.loads(line)["draft"] for f in ("tests/eval/drafts.dev.jsonl", "tests/data/drafts.extra.jsonl", "tests/data/drafts.fresh.jsonl")
            for line in (ROOT / f).read_text().splitlines() if line.strip()]
    rng = random.Random(7)
    out = []
    for _ in range(count):
        rng.shuffle(pool)
        out.append(" ".join(pool)[:size])
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    where = pin_one_core()
    checker = Checker(load_pack(content.default_dir()))
    texts = drafts(args.rounds)

    def naive(text: str) -> list[str]:
        low = text.lower()
        return [k for k in KEYWORDS if k in low]

    for fn in (checker.check, naive):
        fn(texts[0])
    results = {}
    for name, fn in (("checker", checker.check), ("naive keywords", naive)):
        times = []
        for text in texts:
            t = time.perf_counter()
            fn(text)
            times.append(time.perf_counter() - t)
        results[name] = times
    print(f"machine: {machine()} ({where})")
    print(f"{args.rounds} drafts of {len(texts[0])} characters; {len(checker.rules)} rules")
    for name, times in results.items():
        print(f"{name}: p50 {percentile(times, 50) * 1000:.2f} ms, p99 {percentile(times, 99) * 1000:.2f} ms")
    print(f"ratio checker/naive median: {median(results['checker']) / median(results['naive keywords']):.0f} (target p99 <= 20 ms)")


if __name__ == "__main__":
    main()
