"""Benchmark: a weekly quiz round to 10,000 people through a stand-in Slack that accepts 50
`chat.postMessage` a second and answers 429 (Retry-After: 1) above that.

Runs `Rounds.run` with the real Slack channel (slack_sdk client, retry handlers, SQLite send log)
against the stand-in on loopback in this process. Reports the time against the ideal (10,000 / 50 =
200 s; target within 1.2x), duplicates and misses (from what the stand-in received), and resident memory.

    python -m bench.fanout [--people 10000] [--rate 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import urllib.request
from pathlib import Path

from adapters.server import SCHEDULER, STORAGE, create_app
from bench.common import machine
from bench.load import rss_mb, stand_in
from bot.settings import Settings
from tests.fakes import slack_payloads


async def run(people: int, rate: int) -> None:
    import os

    # The stand-in runs in its own process, so this process's memory is the bot's alone.
    fake, base = stand_in(people, rate)
    api = f"{base}/api/"
    data = Path(tempfile.mkdtemp(prefix="smpolicy-fanout-"))
    settings = Settings(data_dir=data, db_path=data / "smpolicy.db", slack_bot_token="xoxb-bench", slack_signing_secret=slack_payloads.SECRET,
                        slack_api_url=api, quiz_rounds=False, log_level="WARNING")
    app = create_app(settings)
    scheduler = app[SCHEDULER]
    audiences = [a for a in scheduler.audiences if a.name == "slack"]
    rss: dict[str, float] = {"start": rss_mb(os.getpid())}

    def progress(done: int, total: int) -> None:
        if done in (1000, total // 2, total * 3 // 4):
            rss[f"after {done}"] = rss_mb(os.getpid())

    await app[STORAGE].start()
    started = time.monotonic()
    result = await scheduler.rounds.run("2026-W48", audiences, progress)
    took = time.monotonic() - started
    rss["end"] = rss_mb(os.getpid())
    stats = json.load(urllib.request.urlopen(f"{base}/_stats"))
    duplicates = stats["duplicates"]
    missed = people - stats["channels_with_invitation"]
    throttled = stats["counts"].get("chat.postMessage:429", 0)
    await app[STORAGE].close()
    fake.terminate()
    fake.wait()
    ideal = people / rate
    print(f"machine: {machine()}")
    print(f"round to {people} people at {rate}/s: {took:.1f} s (ideal {ideal:.0f} s, ratio {took / ideal:.2f}, target <= 1.2)")
    print(f"sent {result.sent}, failed {result.failed}, duplicates {duplicates}, missed {missed}, 429 answers {throttled}")
    print("resident memory: " + ", ".join(f"{k} {v:.0f} MB" for k, v in rss.items()))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--rate", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(run(args.people, args.rate))


if __name__ == "__main__":
    main()
