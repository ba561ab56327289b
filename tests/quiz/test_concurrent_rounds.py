"""Issue 19: a weekly round reaches each person once, whoever sends it at the same moment.

Real `smpolicy quiz send` processes on one SQLite folder against the stand-in Slack: two and three at once,
a `smpolicy serve` resuming the round while a `quiz send` runs, and a sender killed with SIGKILL halfway.
Each race is run five times: one pass proves little.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys

import pytest

from bot.reports.crypto import load_keys
from bot.storage.sqlite import SQLiteDatabase
from tests.conftest import ROOT
from tests.quiz.test_rounds import invitations, quiz_send, slack_env
from tests.server.test_serve import free_port

ROUNDS = 5


def people(n: int) -> list[dict]:
    return [{"id": f"U{i:05d}", "name": f"person{i}"} for i in range(n)]


def reset(fake, n: int) -> None:
    fake.users = people(n)
    fake.messages.clear()
    fake.calls.clear()


def assert_everyone_once(fake, n: int) -> None:
    sent = invitations(fake)
    twice = {ch: len(v) for ch, v in sent.items() if len(v) != 1}
    assert twice == {}, f"{len(twice)} people got the round more than once"
    assert len(sent) == n, f"{n - len(sent)} people missed"


def sent_now(out: str) -> int:
    return int(re.search(r"(\d+) sent now", out).group(1))


@pytest.mark.parametrize("senders, n", [(2, 300), (3, 300), (3, 2000)])
async def test_concurrent_quiz_sends_reach_everyone_once(tmp_path, slack_api, senders, n):
    for attempt in range(ROUNDS if n <= 300 else 2):
        folder = tmp_path / f"run{attempt}"
        reset(slack_api, n)
        results = await asyncio.gather(*(quiz_send(folder, slack_env(slack_api), "send", "--round", "2026-W10") for _ in range(senders)))
        for code, _out, err in results:
            assert code == 0, err
        assert sum(sent_now(out) for _, out, _ in results) == n  # each counts what it sent itself
        assert any("being sent by" in err for _, _, err in results) or max(sent_now(out) for _, out, _ in results) == n
        assert_everyone_once(slack_api, n)


async def start_serve(folder, env: dict) -> asyncio.subprocess.Process:
    full = {**{k: v for k, v in os.environ.items() if not k.startswith(("SMPOLICY_", "SLACK_", "Microsoft"))},
            "SMPOLICY_DATA_DIR": str(folder), **env}
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "adapters.cli", "serve", "--port", str(free_port()), cwd=ROOT,
                                                env=full, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)


async def wait_for_invitations(fake, count: int, timeout: float = 60) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while sum(len(v) for v in invitations(fake).values()) < count:
        assert loop.time() < end, "the round did not finish in time"
        await asyncio.sleep(0.05)


async def test_serve_resuming_a_round_while_quiz_send_runs(tmp_path, slack_api):
    n = 300
    for attempt in range(ROUNDS):
        folder = tmp_path / f"run{attempt}"
        reset(slack_api, n)
        sender = asyncio.create_task(quiz_send(folder, slack_env(slack_api), "send"))  # this week's round, as the scheduler names it
        while not slack_api.of("chat.postMessage"):
            await asyncio.sleep(0.01)
        server = await start_serve(folder, slack_env(slack_api))  # at start it resumes the unfinished round
        try:
            code, out, err = await sender
            assert code == 0, err
            await asyncio.sleep(1.5)  # the server's own pass over the round
            assert_everyone_once(slack_api, n)
        finally:
            server.send_signal(signal.SIGTERM)
            await server.wait()
        assert_everyone_once(slack_api, n)


async def test_a_sender_killed_halfway_is_resumed_by_the_next(tmp_path, slack_api):
    n = 300
    for attempt in range(ROUNDS):
        folder = tmp_path / f"run{attempt}"
        reset(slack_api, n)
        SQLiteDatabase.prepare(folder / "smpolicy.db").close_now()  # as `smpolicy serve` leaves them (the CLI never creates either)
        load_keys("", folder)
        full = {**{k: v for k, v in os.environ.items() if not k.startswith(("SMPOLICY_", "SLACK_", "Microsoft"))},
                "SMPOLICY_DATA_DIR": str(folder), **slack_env(slack_api)}
        first = await asyncio.create_subprocess_exec(sys.executable, "-m", "adapters.cli", "quiz", "send", "--round", "2026-W11", cwd=ROOT,
                                                     env=full, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        while sum(len(v) for v in invitations(slack_api).values()) < n // 2:
            await asyncio.sleep(0.005)
        first.send_signal(signal.SIGKILL)
        await first.wait()
        code, out, err = await quiz_send(folder, slack_env(slack_api), "send", "--round", "2026-W11")
        assert code == 0, err
        assert_everyone_once(slack_api, n)


async def test_a_lease_outlives_its_holder_only_on_other_machines(database):
    from bot.leases import Leases
    from bot.storage.leases import LeaseTable

    rows = LeaseTable(database)
    now = [1000.0]
    alive = Leases(rows, holder=f"{socket.gethostname()}:{os.getpid()}:aa", clock=lambda: now[0])
    assert await alive.take("round:x")
    other = Leases(rows, holder="other:1:bb", clock=lambda: now[0])
    assert not await other.take("round:x") and await other.holder_of("round:x") == alive.holder
    remote = Leases(rows, holder="elsewhere:1:cc", clock=lambda: now[0])
    await database.execute("UPDATE leases SET holder = 'elsewhere:1:cc'")
    assert not await other.take("round:x")  # a holder on another machine is waited for until its lease runs out
    now[0] += 31
    assert await other.take("round:x") and not await remote.take("round:x")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()
    await database.execute("UPDATE leases SET holder = ?", [f"{socket.gethostname()}:{dead}:dd"])
    assert await other.take("round:x")  # a dead process of this machine is not waited for
