"""Benchmark: resident memory of `smpolicy serve` at idle and after 10,000 mixed requests.

The server runs as its own process with Slack enabled against a stand-in Web API (another process);
the load mixes local chat questions, quiz starts and answers, report submissions, draft checks and signed
Slack slash commands, 20 concurrent, built before the clock starts. Baseline: the same server's idle size.

    python -m bench.memory [--requests 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.answers import questions
from bench.common import machine
from bench.load import free_port, rss_mb, run_load, smpolicy_cmd, start
from bot.reports.crypto import Sealer, load_keys, new_key
from bot.reports.flow import form_token
from tests.fakes import slack_payloads


async def run(total: int) -> None:
    api_port, port = free_port(), free_port()
    fake = subprocess.Popen([sys.executable, "-m", "tests.fakes.slack_api", "--port", str(api_port)])
    data = tempfile.mkdtemp(prefix="smpolicy-memory-")
    key = new_key()  # the bench knows the server's report key, so it can make each reporter's bound form token ahead
    form_key = Sealer(load_keys(key, Path(data))).derive("report-form")
    env = {"SMPOLICY_DATA_DIR": data, "SMPOLICY_LOG_LEVEL": "WARNING", "SLACK_BOT_TOKEN": "xoxb-bench", "SMPOLICY_QUIZ_ROUNDS": "off",
           "SMPOLICY_REPORT_KEY": key,
           "SLACK_SIGNING_SECRET": slack_payloads.SECRET, "SLACK_API_URL": f"http://127.0.0.1:{api_port}/api/"}
    server, _ = await asyncio.to_thread(start, smpolicy_cmd(port), port, env)
    qs = questions()
    rng = random.Random(1)
    try:
        await asyncio.sleep(1)
        idle = rss_mb(server.pid)
        kinds = ["ask", "quiz", "report", "check", "slack"]

        def request(i: int):
            kind = kinds[i % len(kinds)]
            user = f"user{rng.randint(0, 2000)}"
            if kind == "slack":
                body, headers = slack_payloads.command(qs[i % len(qs)], user=f"U{i % 3000}")
                return body.encode(), headers
            if kind == "report":
                token = form_token(form_key, f"web:{user}")  # as the form the server would have shown this person
                body = {"user_id": user, "action_id": "report.submit", "value": token, "form": {"what": f"report number {i}"}}
                return json.dumps(body).encode(), {"Content-Type": "application/json", "X-Path": "/api/local/actions"}
            text = {"ask": qs[i % len(qs)], "quiz": "quiz", "check": "check: " + qs[i % len(qs)]}[kind]
            return json.dumps({"user_id": user, "text": text}).encode(), {"Content-Type": "application/json"}

        async def mixed(offset: int, count: int) -> tuple[int, int, int]:
            # Route per request kind: three loads, one per path.
            prepared = [request(offset + i) for i in range(count)]
            slack = [r for r in prepared if "X-Slack-Signature" in r[1]]
            actions = [r for r in prepared if r[1].get("X-Path")]
            chat = [r for r in prepared if "X-Slack-Signature" not in r[1] and not r[1].get("X-Path")]
            for url, batch in ((f"http://127.0.0.1:{port}/api/local/messages", chat), (f"http://127.0.0.1:{port}/api/local/actions", actions),
                               (f"http://127.0.0.1:{port}/slack/events", slack)):
                result = await run_load(url, lambda i, batch=batch: batch[i], len(batch), 20, time_limit=300)
                assert result["n"] == len(batch), result
            return len(chat), len(actions), len(slack)

        await mixed(10_000_000, 100)  # warm-up: caches, the scrypt worker's 16 MB buffer, SQLite pages
        warm = rss_mb(server.pid)
        chat, actions, slack = await mixed(0, total)
        after = rss_mb(server.pid)
        await mixed(total, total)
        after_twice = rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait()
        fake.terminate()
        fake.wait()
    print(f"machine: {machine()}")
    print(f"requests: {total} mixed ({chat} local chat, {actions} report submissions, {slack} signed Slack commands), then {total} more")
    print(f"resident memory: idle {idle:.0f} MB; after a 100-request warm-up {warm:.0f} MB; after {total} requests {after:.0f} MB "
          f"({100 * (after - warm) / warm:+.0f}% on the warm idle); after {2 * total} {after_twice:.0f} MB "
          f"({100 * (after_twice - after) / after:+.0f}% on the first {total}) (target: no growth beyond 20%)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=10_000)
    asyncio.run(run(parser.parse_args().requests))


if __name__ == "__main__":
    main()
