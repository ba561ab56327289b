"""Benchmark: `smpolicy serve` on loopback against a bare aiohttp handler measured in the same run.

- start-up: seconds from process start to /healthz 200 (median of 5 starts);
- local chat API: POST /api/local/messages with 50 concurrent clients, 2,000 requests a round, 3 rounds
  alternating with the bare handler; requests per second (ratio to bare) and p99 latency;
- memory: resident size of the server after start and after 1,000 and then all messages.

    python -m bench.server [--requests 2000] [--concurrency 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile

from bench.answers import questions
from bench.common import machine, median
from bench.load import bare_cmd, free_port, rss_mb, run_load, smpolicy_cmd, start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    qs = questions()

    def chat(i: int):
        return json.dumps({"user_id": f"user{i % 200}", "text": qs[i % len(qs)]}).encode(), {"Content-Type": "application/json"}

    data = tempfile.mkdtemp(prefix="smpolicy-bench-")
    starts = []
    for i in range(5):
        port = free_port()
        proc, took = start(smpolicy_cmd(port), port, {"SMPOLICY_DATA_DIR": f"{data}/s{i}", "SMPOLICY_LOG_LEVEL": "WARNING"})
        starts.append(took)
        proc.terminate()
        proc.wait()
    ours_port, bare_port = free_port(), free_port()
    ours, _ = start(smpolicy_cmd(ours_port), ours_port, {"SMPOLICY_DATA_DIR": f"{data}/main", "SMPOLICY_LOG_LEVEL": "WARNING"})
    bare, _ = start(bare_cmd(bare_port), bare_port)
    try:
        idle = rss_mb(ours.pid)
        asyncio.run(run_load(f"http://127.0.0.1:{ours_port}/api/local/messages", chat, 1000, args.concurrency))
        after_1000 = rss_mb(ours.pid)
        rounds = {"smpolicy": [], "bare": []}
        for _ in range(3):
            for name, port in (("smpolicy", ours_port), ("bare", bare_port)):
                rounds[name].append(asyncio.run(run_load(f"http://127.0.0.1:{port}/api/local/messages", chat, args.requests, args.concurrency)))
        after_all = rss_mb(ours.pid)
    finally:
        ours.terminate()
        bare.terminate()
        ours.wait()
        bare.wait()
    print(f"machine: {machine()}")
    print(f"start-up to healthy: median {median(starts):.2f} s of {len(starts)} (target < 2 s)")
    for name, rs in rounds.items():
        print(f"{name}: {median([r['rps'] for r in rs]):.0f} req/s, p50 {median([r['p50_ms'] for r in rs]):.1f} ms, "
              f"p99 {median([r['p99_ms'] for r in rs]):.1f} ms (median of {len(rs)} rounds x {args.requests} requests, "
              f"{args.concurrency} concurrent; statuses {rs[-1]['statuses']})")
    ratio = median([r["rps"] for r in rounds["smpolicy"]]) / median([r["rps"] for r in rounds["bare"]])
    print(f"ratio smpolicy/bare requests per second: {ratio:.2f}")
    print(f"memory (RSS): idle {idle:.0f} MB, after 1,000 messages {after_1000:.0f} MB, after {1000 + 6 * args.requests} "
          f"requests {after_all:.0f} MB (target < 150 MB after 1,000)")


if __name__ == "__main__":
    main()
