"""Shutting down while a round is being sent (SIGTERM on `smpolicy serve`): the scheduler stops claiming, what
was handed to Slack finishes (nothing is left 'sending'), the round's lease is released, and the next sender
resumes at once instead of waiting for the lease to run out."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from dataclasses import replace

from aiohttp.test_utils import TestClient, TestServer

from adapters.server import SCHEDULER, STORAGE, create_app
from bot.settings import Settings
from bot.storage import Storage
from tests.fakes import slack_payloads as p
from tests.quiz.test_concurrent_rounds import assert_everyone_once, people, start_serve
from tests.quiz.test_rounds import invitations, quiz_send, slack_env

ROUND = "2026-W40"


def delivered(fake) -> int:
    return sum(len(v) for v in invitations(fake).values())


async def until_delivered(fake, count: int, timeout: float = 30) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while delivered(fake) < count:
        assert loop.time() < end, f"only {delivered(fake)} invitations in {timeout} s"
        await asyncio.sleep(0.01)


async def test_a_stopped_app_gives_the_round_back_at_once(tmp_path, database_url, slack_api):
    n = 200
    slack_api.users = people(n)
    slack_api.delay["chat.postMessage"] = 0.02
    settings = Settings(data_dir=tmp_path, db_path=tmp_path / "smpolicy.db", database_url=database_url or "", slack_bot_token="xoxb-test",
                        slack_signing_secret=p.SECRET, slack_api_url=slack_api.api_url)
    seed = Storage.open(settings.db_path, database_url)
    await seed.start()
    await seed.rounds.start(ROUND, 0.0)  # unfinished: the app's scheduler resumes it as it starts
    await seed.close()

    app = create_app(settings)
    async with TestClient(TestServer(app)):
        await until_delivered(slack_api, 20)
        assert await app[SCHEDULER].rounds.leases.holder_of(f"round:{ROUND}") == app[SCHEDULER].rounds.leases.holder
    # The app has shut down (on_shutdown, then cleanup); this process, the lease's holder, still runs.
    before = delivered(slack_api)
    assert before < n

    other = create_app(replace(settings, quiz_rounds=False))  # another replica
    storage = other[STORAGE]
    await storage.start()
    try:
        assert await storage.leases.get(f"round:{ROUND}") is None
        sends = await storage.rounds.sends(ROUND)
        assert "sending" not in {s.state for s in sends.values()}  # in flight at the stop: finished, or marked failed
        assert sum(s.state == "sent" for s in sends.values()) == before
        assert await storage.rounds.unfinished() == [ROUND]
        waited: list[str] = []
        result = await asyncio.wait_for(other[SCHEDULER].rounds.run(ROUND, other[SCHEDULER].audiences, waiting=waited.append), 60)
        assert waited == []  # the lease was free: no waiting for it to run out
        assert (result.sent, result.already, result.failed) == (n - before, before, 0)
        assert await storage.rounds.unfinished() == []
    finally:
        await storage.close()
    assert_everyone_once(slack_api, n)


async def test_sigterm_on_serve_mid_round(tmp_path, slack_api):
    n = 300
    slack_api.users = people(n)
    slack_api.delay["chat.postMessage"] = 0.01
    db = Storage.open(tmp_path / "smpolicy.db")
    await db.rounds.start(ROUND, 0.0)
    await db.close()
    server = await start_serve(tmp_path, slack_env(slack_api))
    try:
        await until_delivered(slack_api, 30)
    finally:
        server.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(server.wait(), 20) == 0
    before = delivered(slack_api)
    assert before < n
    conn = sqlite3.connect(tmp_path / "smpolicy.db")
    try:
        assert conn.execute("SELECT name, holder FROM leases").fetchall() == []
        states = dict(conn.execute("SELECT state, COUNT(*) FROM quiz_sends GROUP BY state").fetchall())
    finally:
        conn.close()
    assert "sending" not in states and states["sent"] == before
    code, out, err = await quiz_send(tmp_path, slack_env(slack_api), "send", "--round", ROUND)
    assert code == 0, err
    assert "being sent by" not in err and f"{n - before} sent now, {before} had it already" in out
    assert_everyone_once(slack_api, n)
