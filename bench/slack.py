"""Benchmark: signed `/smpolicy <question>` slash commands at /slack/events, against a bare aiohttp handler.

`smpolicy serve` runs as a process with Slack enabled and SLACK_API_URL pointed at a stand-in Web API
in this process (no Web API call is expected: the answer goes back in the acknowledgement). The bare
baseline (`bench/bare_server.py`) reads the same body and answers an empty 200; a second baseline also
verifies the Slack signature (the least a correct endpoint does). 3 rounds each,
alternating; 100 concurrent clients; 2,000 requests a round. Reports requests/s (ratio), ack p99 and the
server's CPU time per command (all its threads, from /proc: steadier than the rate on a shared machine).
With --pin both servers share one core and the load generator has the other.

    python -m bench.slack [--requests 2000] [--concurrency 100] [--pin]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile

from bench.answers import questions
from bench.common import machine, median
from bench.load import bare_cmd, free_port, rss_mb, run_load, smpolicy_cmd, start
from tests.fakes import slack_payloads
from tests.fakes.slack_api import FakeSlack


async def run(args) -> None:
    fake = await FakeSlack().start()
    qs = questions()

    def command(i: int):
        body, headers = slack_payloads.command(qs[i % len(qs)], user=f"U{i % 500}")
        return body.encode(), headers

    data = tempfile.mkdtemp(prefix="smpolicy-bench-")
    ours_port, bare_port = free_port(), free_port()
    env = {"SMPOLICY_DATA_DIR": data, "SMPOLICY_LOG_LEVEL": "WARNING", "SLACK_BOT_TOKEN": "xoxb-bench",
           "SLACK_SIGNING_SECRET": slack_payloads.SECRET, "SLACK_API_URL": fake.api_url}
    ours, _ = await asyncio.to_thread(start, smpolicy_cmd(ours_port), ours_port, env)
    bare, _ = await asyncio.to_thread(start, bare_cmd(bare_port), bare_port)
    if args.pin and hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) >= 2:
        # Servers share one core, the load generator (and the stand-in Slack) the other: neither server
        # competes with its client for CPU, so the baseline is not held down by the generator.
        client_core, server_core = sorted(os.sched_getaffinity(0))[:2]
        os.sched_setaffinity(0, {client_core})
        for proc in (ours, bare):
            os.sched_setaffinity(proc.pid, {server_core})
    rounds: dict[str, list[dict]] = {"smpolicy": [], "bare": [], "bare+signature": []}
    urls = {"smpolicy": f"http://127.0.0.1:{ours_port}/slack/events", "bare": f"http://127.0.0.1:{bare_port}/slack/events",
            "bare+signature": f"http://127.0.0.1:{bare_port}/slack/verified"}
    cpu: list[float] = []
    try:
        await run_load(f"http://127.0.0.1:{ours_port}/slack/events", command, 200, 10)  # warm up
        for _ in range(3):
            for name, url in urls.items():
                before = cpu_seconds(ours.pid)
                rounds[name].append(await run_load(url, command, args.requests, args.concurrency))
                if name == "smpolicy":
                    await asyncio.sleep(0.5)  # the answer events of the round are written (0.2 s batches)
                    cpu.append((cpu_seconds(ours.pid) - before) / rounds[name][-1]["n"] * 1e6)
        memory = rss_mb(ours.pid)
    finally:
        for proc in (ours, bare):
            proc.terminate()
            proc.wait()
        await fake.close()
    print(f"machine: {machine()}")
    for name, rs in rounds.items():
        print(f"{name}: {median([r['rps'] for r in rs]):.0f} commands/s, ack p50 {median([r['p50_ms'] for r in rs]):.1f} ms, "
              f"p99 {median([r['p99_ms'] for r in rs]):.1f} ms (median of {len(rs)} rounds x {args.requests}, "
              f"{args.concurrency} concurrent; statuses {rs[-1]['statuses']})")
    for base in ("bare", "bare+signature"):
        ratio = median([r["rps"] for r in rounds["smpolicy"]]) / median([r["rps"] for r in rounds[base]])
        print(f"ratio smpolicy/{base} commands per second: {ratio:.2f} (target >= 0.3 against bare)")
    print(f"server CPU per command: {median(cpu):.0f} us (median of {len(cpu)} rounds: {', '.join(f'{c:.0f}' for c in cpu)})")
    print(f"server RSS after: {memory:.0f} MB")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process, all threads (Linux /proc; NaN elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--pin", action="store_true", help="servers on one core, the load generator on the other")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
