"""Benchmark: policy answers in one process, on one core.

Measures the load time of pack plus index (median of 7 loads), then answer latency per question
(p50, p99) and questions per second over the dev and paraphrase question sets, repeated. The baseline,
run in the same process on the same questions, is a naive answerer: a linear scan of every example
phrasing by word-set overlap (what one writes first without an index).

    python -m bench.answers [--rounds 30]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import content
from bench.common import machine, median, percentile, pin_one_core
from bot.policy.engine import Engine
from bot.policy.pack import load_pack

ROOT = Path(__file__).resolve().parent.parent


def questions() -> list[str]:
    files = [ROOT / "tests/eval/policy-questions.dev.jsonl", ROOT / "tests/data/paraphrases.jsonl", ROOT / "tests/data/paraphrases2.jsonl"]
    return [json.loads(line)["question"] for f in files for line in f.read_text().splitlines() if line.strip()]


def naive_answerer(pack):
    examples = [(set(e.lower().split()), t.id) for t in pack.topics for e in t.examples]

    def answer(question: str) -> str:
        words = set(question.lower().split())
        return max(examples, key=lambda ex: len(words & ex[0]) / (len(words | ex[0]) or 1))[1]

    return answer


def timed(fn, qs: list[str], rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        for q in qs:
            t = time.perf_counter()
            fn(q)
            out.append(time.perf_counter() - t)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    where = pin_one_core()
    t = time.perf_counter()
    Engine(load_pack(content.default_dir()))
    first = time.perf_counter() - t  # includes reading and hash-checking the embeddings and the English word list
    loads = []
    for _ in range(7):
        t = time.perf_counter()
        pack = load_pack(content.default_dir())
        engine = Engine(pack)
        loads.append(time.perf_counter() - t)
    qs = questions()
    real = [json.loads(line)["question"] for line in (ROOT / "tests/eval/policy-questions.real.dev.jsonl").read_text().splitlines() if line.strip()]
    timed(engine.answer, qs + real, 1)  # warm up
    ours = timed(engine.answer, qs, args.rounds)
    longer = timed(engine.answer, real, args.rounds)
    base = timed(naive_answerer(pack), qs, args.rounds)
    print(f"machine: {machine()} ({where})")
    print(f"questions: {len(qs)} x {args.rounds} rounds")
    print(f"first load of pack+index+model: {first * 1000:.0f} ms (target <= 3000 ms)")
    print(f"load pack+index: median {median(loads) * 1000:.1f} ms")
    for name, xs in (("engine", ours), ("engine, realistic dev set (longer questions)", longer), ("naive baseline", base)):
        print(f"{name}: p50 {percentile(xs, 50) * 1000:.3f} ms, p99 {percentile(xs, 99) * 1000:.3f} ms, "
              f"{len(xs) / sum(xs):.0f} questions/s")
    print(f"ratio engine/baseline median latency: {median(ours) / median(base):.2f} (target p99 <= 15 ms)")


if __name__ == "__main__":
    main()
