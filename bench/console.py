"""`/console` (and every console page) with 100,000 answer events: load time p50/p99 over real HTTP.

    python -m bench.console [--events 100000] [--rounds 20]

Events spread over 26 weeks, 5 % of them with kept words (unknown, unsure, not helpful) in 40 gap groups;
SQLite (the default backend) in a temporary folder. Target: /console under 300 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from adapters.server import create_app
from bench.common import machine, percentile
from bot.settings import Settings
from bot.storage import Storage
from bot.storage.insights import AnswerEvent

PAGES = ["/console", "/console/gaps", "/console/questions", "/console/quizzes", "/console/reports", "/console/csv/weeks.csv"]
VERDICTS = ["allowed", "not_allowed", "conditional", "info", "unknown"]


async def seed(path: Path, events: int, topics: list[str], sections: list[str]) -> float:
    storage = Storage.open(path)
    await storage.start()
    rng = random.Random(7)
    start = date.today() - timedelta(weeks=26)
    started = time.perf_counter()
    batch = []
    for n in range(events):
        verdict = rng.choice(VERDICTS)
        kept = rng.random() < 0.05
        helpful = rng.choice([None, None, None, 1, 0])
        day = (start + timedelta(days=rng.randrange(182))).isoformat()
        batch.append(AnswerEvent(f"ev-{n:08d}", day, rng.choice(["web", "slack", "teams"]), verdict, "policy", rng.choice(topics),
                                 rng.choice(sections) if verdict != "unknown" else "", rng.choice(["high", "medium", "low"]),
                                 f"question number {n} about something" if kept else None,
                                 rng.choice(topics[:40]) if kept else "", None if helpful is None else bool(helpful)))
        if len(batch) == 5000:
            await storage.insights.record(batch)
            batch = []
    await storage.insights.record(batch)
    await storage.close()
    return time.perf_counter() - started


async def run(events: int, rounds: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="smpolicy-bench-console-"))
    settings = Settings(data_dir=folder, db_path=folder / "smpolicy.db", web_user_header="X-Forwarded-Email", owners=("owner@example.com",))
    app = create_app(settings)
    from adapters.server import STORAGE

    pack = app[STORAGE]  # noqa: F841 (the app opened and migrated the file)
    import content
    from bot.policy.pack import load_pack

    p = load_pack(content.default_dir())
    took = await seed(folder / "smpolicy.db", events, [t.id for t in p.topics], [s for s in p.sections if "." not in s])
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    print(f"{machine()}\n{events:,} answer events seeded in {took:.1f} s")
    try:
        async with ClientSession(headers={"X-Forwarded-Email": "owner@example.com"}) as session:
            for path in PAGES:
                times = []
                for i in range(rounds + 2):
                    started = time.perf_counter()
                    async with session.get(server.make_url(path)) as resp:
                        body = await resp.read()
                        assert resp.status == 200, (path, resp.status)
                    if i >= 2:  # two warm-up loads
                        times.append((time.perf_counter() - started) * 1000)
                print(f"{path:28s} p50 {percentile(times, 50):7.1f} ms  p99 {percentile(times, 99):7.1f} ms  ({len(body):,} bytes)")
    finally:
        await server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(run(args.events, args.rounds))


if __name__ == "__main__":
    main()
