"""Benchmark (issue 15): Slack traffic on one and two `smpolicy serve` replicas sharing one PostgreSQL
database, against one replica on the embedded SQLite file, all in the same run; then a weekly round to
10,000 people sent by two replicas on PostgreSQL through a stand-in Slack that accepts 50
chat.postMessage a second (429 with Retry-After above), against the rate-limit ideal (10,000 / 50 s).

Traffic is signed `message.im` events (each one a dedupe write in the database, then an answer through
the stand-in Web API) and `/smpolicy` slash commands, split evenly over the replicas, 3 rounds each
(alternating), medians reported. PostgreSQL is Debian's server in a temporary folder (tests/pg_server.py).

    python -m bench.replicas [--requests 2000] [--concurrency 50] [--people 10000] [--rate 50]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import subprocess
import tempfile
import time
import urllib.request

from bench.answers import questions
from bench.common import machine, median
from bench.load import free_port, run_load, smpolicy_cmd, stand_in, start
from tests.fakes import slack_payloads
from tests.pg_server import PostgresServer, fresh_name

KEY = "k" * 43 + "="


def replicas(count: int, api: str, database_url: str | None, **extra: str) -> list[tuple[subprocess.Popen, int]]:
    out = []
    for _ in range(count):
        port = free_port()
        env = {"SMPOLICY_DATA_DIR": tempfile.mkdtemp(prefix="smpolicy-replica-"), "SMPOLICY_LOG_LEVEL": "WARNING",
               "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": slack_payloads.SECRET, "SLACK_API_URL": api + "/api/",
               "SMPOLICY_REPORT_KEY": KEY, **({"SMPOLICY_DATABASE_URL": database_url} if database_url else {}), **extra}
        proc, _ = start(smpolicy_cmd(port), port, env, limit=60)
        out.append((proc, port))
    return out


def stop(procs) -> None:
    for proc, _ in procs:
        proc.terminate()
    for proc, _ in procs:
        proc.wait()


async def traffic(ports: list[int], kind: str, total: int, concurrency: int) -> float:
    """Requests a second over all replicas: each gets total / len(ports), all at once."""
    qs = questions()
    ids = itertools.count()

    def request(i: int):
        if kind == "command":
            body, headers = slack_payloads.command(qs[i % len(qs)], user=f"U{i % 500}")
        else:
            body, headers = slack_payloads.dm(qs[i % len(qs)], user=f"U{i % 500}", event_id=f"Ev{next(ids)}-{time.time_ns()}")
        return body.encode(), headers

    started = time.perf_counter()
    results = await asyncio.gather(*(run_load(f"http://127.0.0.1:{p}/slack/events", request, total // len(ports),
                                              max(1, concurrency // len(ports))) for p in ports))
    elapsed = time.perf_counter() - started
    bad = sum(n for r in results for s, n in r["statuses"].items() if s != 200)
    if bad:
        raise RuntimeError(f"{bad} requests did not answer 200")
    return sum(r["n"] for r in results) / elapsed


async def throughput(args, pg: PostgresServer) -> dict[str, dict[str, float]]:
    fake, api = stand_in()
    setups = {"1 x SQLite": (1, None), "1 x PostgreSQL": (1, pg.create_database(fresh_name("bench"))),
              "2 x PostgreSQL": (2, pg.create_database(fresh_name("bench")))}
    running = {name: replicas(n, api, url, SMPOLICY_QUIZ_ROUNDS="off") for name, (n, url) in setups.items()}
    rates: dict[str, dict[str, list[float]]] = {name: {"event": [], "command": []} for name in setups}
    try:
        for procs in running.values():  # warm up
            await traffic([port for _, port in procs], "event", 200, 10)
        for _ in range(3):
            for kind in ("event", "command"):
                for name, procs in running.items():
                    rates[name][kind].append(await traffic([port for _, port in procs], kind, args.requests, args.concurrency))
    finally:
        for procs in running.values():
            stop(procs)
        fake.terminate()
        fake.wait()
    return {name: {kind: median(v) for kind, v in by.items()} for name, by in rates.items()}


async def round_on_two(args, pg: PostgresServer) -> str:
    fake, api = stand_in(args.people, args.rate)
    url = pg.create_database(fresh_name("round"))
    import psycopg

    seed = replicas(1, api, url, SMPOLICY_QUIZ_ROUNDS="off")
    stop(seed)
    with psycopg.connect(url, autocommit=True) as conn:  # an unfinished round: both schedulers resume it at start
        conn.execute("INSERT INTO quiz_rounds (round_id, started_at) VALUES ('2026-W40', 0)")
    started = time.monotonic()
    procs = replicas(2, api, url)
    try:
        while True:
            stats = json.load(urllib.request.urlopen(f"{api}/_stats"))
            if stats["channels_with_invitation"] >= args.people:
                break
            if time.monotonic() - started > 3 * args.people / args.rate:
                break
            time.sleep(0.5)
        took = time.monotonic() - started
    finally:
        stop(procs)
        fake.terminate()
        fake.wait()
    ideal = args.people / args.rate
    return (f"round to {args.people} people on 2 replicas at {args.rate}/s: {took:.1f} s from start (ideal {ideal:.0f} s, "
            f"ratio {took / ideal:.2f}, target <= 1.2); invited {stats['channels_with_invitation']}, duplicates {stats['duplicates']}, "
            f"429 answers {stats['counts'].get('chat.postMessage:429', 0)}")


async def run(args) -> None:
    pg = PostgresServer().start()
    try:
        rates = await throughput(args, pg)
        summary = await round_on_two(args, pg) if args.people else ""
    finally:
        pg.stop()
    base = rates["1 x SQLite"]
    print(f"machine: {machine()}")
    print(f"{args.requests} requests a round, {args.concurrency} concurrent, 3 rounds, medians (requests/s; ratio to 1 x SQLite):")
    for name, by in rates.items():
        print(f"  {name:15} events {by['event']:7.0f} ({by['event'] / base['event']:.2f})   "
              f"commands {by['command']:7.0f} ({by['command'] / base['command']:.2f})")
    if summary:
        print(summary)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--rate", type=int, default=50)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
