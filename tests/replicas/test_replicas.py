"""Issue 15: two `smpolicy serve` processes on one real PostgreSQL database behind a stand-in Slack.

- the same Slack event delivered to both replicas is answered once;
- a 2,000-person weekly round, with both schedulers firing at start, sends 2,000 invitations, none twice;
- the replica sending it killed with SIGKILL halfway: the other resumes, everyone is served once;
- a report filed through one replica is listed and opened through the other.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import aiohttp
import psycopg

from tests.conftest import ROOT
from tests.fakes import slack_payloads as p
from tests.pg_server import fresh_name
from tests.quiz.test_concurrent_rounds import assert_everyone_once, people
from tests.quiz.test_rounds import invitations, slack_env
from tests.server.test_serve import free_port

KEY = "k" * 43 + "="  # one report key for every replica (base64 of 32 bytes)


class Replica:
    def __init__(self, process: asyncio.subprocess.Process, port: int):
        self.process, self.port = process, port
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.returncode is None:
            self.process.send_signal(sig)
            await self.process.wait()


async def start(folder, database_url: str, fake, **extra: str) -> Replica:
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("SMPOLICY_", "SLACK_", "Microsoft"))},
           "SMPOLICY_DATA_DIR": str(folder), "SMPOLICY_DATABASE_URL": database_url, "SMPOLICY_REPORT_KEY": KEY,
           "SMPOLICY_REPORT_NOTIFY_DELAY": "0", "SMPOLICY_WEB_REVIEWERS": "rev", **slack_env(fake), **extra}
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "adapters.cli", "serve", "--port", str(port), cwd=ROOT, env=env,
                                                   stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    replica = Replica(process, port)
    async with aiohttp.ClientSession() as session:
        for _ in range(300):
            try:
                async with session.get(replica.url + "/healthz") as resp:
                    if resp.status == 200:
                        return replica
            except aiohttp.ClientError:
                pass
            if process.returncode is not None:
                raise AssertionError((await process.stderr.read()).decode())
            await asyncio.sleep(0.1)
    raise AssertionError("a replica did not start")


async def test_one_event_delivered_to_both_replicas_is_answered_once(tmp_path, pg_server, slack_api):
    url = pg_server.create_database(fresh_name())
    a, b = await asyncio.gather(start(tmp_path / "a", url, slack_api, SMPOLICY_QUIZ_ROUNDS="off"),
                                start(tmp_path / "b", url, slack_api, SMPOLICY_QUIZ_ROUNDS="off"))
    try:
        async with aiohttp.ClientSession() as session:
            async def deliver(replica: Replica, retry: str | None) -> int:
                body, headers = p.dm("can I post a photo of the team offsite?", event_id="EvReplica1")
                if retry:
                    headers = {**headers, "X-Slack-Retry-Num": retry, "X-Slack-Retry-Reason": "http_timeout"}
                async with session.post(replica.url + "/slack/events", data=body, headers=headers) as resp:
                    return resp.status

            statuses = await asyncio.gather(deliver(a, None), deliver(b, "1"), deliver(a, "2"), deliver(b, "3"))
        assert set(statuses) == {200}
        await asyncio.sleep(2)
        answers = [c for c in slack_api.of("chat.postMessage") if c.args.get("channel") in ("D100", "U100")]
        assert len(answers) == 1, [c.args.get("text") for c in answers]
    finally:
        await asyncio.gather(a.stop(), b.stop())


async def test_a_round_with_both_schedulers_firing_and_a_replica_killed(tmp_path, pg_server, slack_api):
    n = 2000
    url = pg_server.create_database(fresh_name())
    slack_api.users = people(n)
    # An unfinished round in the shared database: every replica's scheduler resumes it the moment it starts.
    first = await start(tmp_path / "seed", url, slack_api, SMPOLICY_QUIZ_ROUNDS="off")
    await first.stop()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO quiz_rounds (round_id, started_at) VALUES ('2026-W40', 0)")
    a, b = await asyncio.gather(start(tmp_path / "a", url, slack_api), start(tmp_path / "b", url, slack_api))
    try:
        while sum(len(v) for v in invitations(slack_api).values()) < n // 2:
            await asyncio.sleep(0.01)
        with psycopg.connect(url, autocommit=True) as conn:
            holder = conn.execute("SELECT holder FROM leases WHERE name = 'round:2026-W40'").fetchone()[0]
        sending = a if f":{a.process.pid}:" in holder else b
        other = b if sending is a else a
        await sending.stop(signal.SIGKILL)
        loop = asyncio.get_running_loop()
        end = loop.time() + 120
        while len(invitations(slack_api)) < n:
            assert loop.time() < end, f"{n - len(invitations(slack_api))} people not served after the kill"
            await asyncio.sleep(0.1)
        await asyncio.sleep(1)
        assert other.process.returncode is None
        assert_everyone_once(slack_api, n)
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT count(*) FROM quiz_sends WHERE round_id = '2026-W40' AND state = 'sent'").fetchone()[0] == n
    finally:
        await asyncio.gather(a.stop(), b.stop())


async def test_a_report_filed_through_one_replica_is_opened_through_the_other(tmp_path, pg_server, slack_api):
    url = pg_server.create_database(fresh_name())
    a, b = await asyncio.gather(start(tmp_path / "a", url, slack_api, SMPOLICY_QUIZ_ROUNDS="off"),
                                start(tmp_path / "b", url, slack_api, SMPOLICY_QUIZ_ROUNDS="off"))
    try:
        async with aiohttp.ClientSession() as session:
            async def act(replica: Replica, user: str, action: str, value: str = "", form: dict | None = None) -> list[dict]:
                body = {"user_id": user, "action_id": action, "value": value, **({"form": form} if form else {})}
                async with session.post(replica.url + "/api/local/actions", json=body) as resp:
                    assert resp.status == 200, await resp.text()
                    return (await resp.json())["replies"]

            [opened] = await act(a, "alice", "report.open")
            token = opened["card"]["submit"]["value"]
            [filed] = await act(a, "alice", "report.submit", token, {"what": "A colleague posted a client's contract on Reddit"})
            ref = dict(filed["card"]["fields"])["Case"]
            listed = await act(b, "rev", "reports.list")
            assert ref in str(listed)
            shown = await act(b, "rev", "case.open", ref)
            assert "client's contract on Reddit" in str(shown)
            refused = await act(b, "mallory", "case.open", ref)
            assert "client's contract" not in str(refused)
    finally:
        await asyncio.gather(a.stop(), b.stop())
