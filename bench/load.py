"""A bounded loopback load generator and process helpers for the HTTP benchmarks."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable

import aiohttp

from bench.common import percentile


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(cmd: list[str], port: int, env: dict[str, str] | None = None, limit: float = 20) -> tuple[subprocess.Popen, float]:
    """Start a server process; return it and the seconds until /healthz answered 200."""
    proc = subprocess.Popen(cmd, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started = time.monotonic()
    while time.monotonic() - started < limit:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=0.5) as r:
                if r.status == 200:
                    return proc, time.monotonic() - started
        except OSError:
            time.sleep(0.02)
    proc.kill()
    raise RuntimeError(f"{cmd} not healthy within {limit} s")


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def smpolicy_cmd(port: int) -> list[str]:
    return [sys.executable, "-m", "adapters.cli", "serve", "--port", str(port)]


def bare_cmd(port: int) -> list[str]:
    return [sys.executable, "-m", "bench.bare_server", str(port)]


async def run_load(url: str, make_request: Callable[[int], tuple[bytes, dict[str, str]]], total: int, concurrency: int,
                   time_limit: float = 60) -> dict:
    """Send `total` POSTs with `concurrency` workers (stops at `time_limit` s); latency percentiles and rate."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    prepared = [make_request(i) for i in range(total)]  # built before the clock starts: measure the server, not the client
    counter = iter(prepared)
    deadline = time.monotonic() + time_limit

    async def worker(session: aiohttp.ClientSession) -> None:
        for body, headers in counter:
            if time.monotonic() > deadline:
                return
            t = time.perf_counter()
            async with session.post(url, data=body, headers=headers) as resp:
                await resp.read()
                statuses[resp.status] = statuses.get(resp.status, 0) + 1
            latencies.append(time.perf_counter() - t)

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {"n": len(latencies), "rps": len(latencies) / elapsed, "p50_ms": percentile(latencies, 50) * 1000,
            "p99_ms": percentile(latencies, 99) * 1000, "statuses": statuses}


def stand_in(people: int = 0, rate: int = 0) -> tuple[subprocess.Popen, str]:
    """The stand-in Slack Web API in its own process (so a bot's memory is its own), once it answers; its base URL."""
    port = free_port()
    args = [sys.executable, "-m", "tests.fakes.slack_api", "--port", str(port), "--users", str(people)]
    proc = subprocess.Popen([*args, "--rate", str(rate)] if rate else args)
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stats", timeout=0.5)
            break
        except OSError:
            time.sleep(0.05)
    return proc, f"http://127.0.0.1:{port}"
