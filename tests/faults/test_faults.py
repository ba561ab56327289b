"""Faults: kill -9 mid-stream, failing platform APIs, a database that refuses writes. Bounded in time."""

import asyncio
import json
import os
import secrets
import signal
import sqlite3
import sys

import aiohttp
from aiohttp.test_utils import TestClient, TestServer

from adapters.server import STORAGE, create_app
from bot.reports.crypto import load_keys
from bot.settings import Settings
from bot.storage import open_database
from bot.storage.sqlite import SQLiteDatabase
from tests.conftest import ROOT
from tests.fakes import slack_payloads as p
from tests.quiz.test_rounds import USERS, invitations, quiz_send, slack_env
from tests.server.test_serve import free_port
from tests.slack.conftest import report_token, send


async def start_server(tmp_path, port, database_url=None):
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("SMPOLICY_")}, "SMPOLICY_DATA_DIR": str(tmp_path),
           "SMPOLICY_LOG_LEVEL": "WARNING", **({"SMPOLICY_DATABASE_URL": database_url} if database_url else {})}
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "adapters.cli", "serve", "--port", str(port), cwd=ROOT, env=env,
                                                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as resp:
                    if resp.status == 200:
                        return proc
            except aiohttp.ClientError:
                await asyncio.sleep(0.05)
    raise AssertionError("server did not start")


async def test_kill_9_while_reports_stream_in(tmp_path, database_url):
    port = free_port()
    proc = await start_server(tmp_path, port, database_url)
    acknowledged: dict[str, str] = {}  # case reference the reporter saw -> the words they filed

    async def reporter(n: int, session: aiohttp.ClientSession) -> None:
        url = f"http://127.0.0.1:{port}/api/local/actions"
        while True:
            words = f"report {secrets.token_hex(8)}"
            try:
                async with session.post(url, json={"user_id": f"reporter-{n}", "action_id": "report.open"}) as resp:
                    token = (await resp.json())["replies"][0]["card"]["submit"]["value"]
                body = {"user_id": f"reporter-{n}", "action_id": "report.submit", "value": token, "form": {"what": words}}
                async with session.post(url, json=body) as resp:
                    data = await resp.json()
            except (TimeoutError, aiohttp.ClientError, json.JSONDecodeError):
                return
            card = data["replies"][0].get("card") or {}
            fields = dict(card.get("fields") or [])
            if "Case" in fields:
                acknowledged[fields["Case"]] = words

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        # 5 reports an hour per person pass the abuse limit; 40 reporters keep the stream going.
        tasks = [asyncio.create_task(reporter(n, session)) for n in range(40)]
        while len(acknowledged) < 60:
            await asyncio.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        await asyncio.wait(tasks, timeout=10)
    db = open_database(tmp_path / "smpolicy.db", database_url)
    await db.start()
    rows = [(r["submission"], r["ref"]) for r in await db.fetchall("SELECT submission, ref FROM reports")]
    await db.close()
    assert len({submission for submission, _ in rows}) == len(rows)  # no submission twice
    stored = {ref for _, ref in rows}
    missing = [ref for ref in acknowledged if ref not in stored]
    assert missing == [], f"{len(missing)} acknowledged reports lost"
    proc = await start_server(tmp_path, port, database_url)  # and it restarts cleanly on the same database
    proc.send_signal(signal.SIGTERM)
    assert await proc.wait() == 0


async def test_kill_9_during_a_quiz_round_then_rerun(tmp_path, slack_api):
    users = [{"id": f"UQ{i:04d}", "is_bot": False, "deleted": False} for i in range(120)] + USERS[-3:]
    slack_api.users = users
    slack_api.delay["chat.postMessage"] = 0.01
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("SMPOLICY_", "SLACK_"))}, "SMPOLICY_DATA_DIR": str(tmp_path),
           **slack_env(slack_api)}
    SQLiteDatabase.prepare(tmp_path / "smpolicy.db").close_now()  # as `smpolicy serve` leaves them: the CLI never creates a database or key
    load_keys("", tmp_path)
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "adapters.cli", "quiz", "send", "--round", "2026-W48", cwd=ROOT,
                                                env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    while sum(len(v) for v in invitations(slack_api).values()) < 50:
        await asyncio.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    await proc.wait()
    sent_before = sum(len(v) for v in invitations(slack_api).values())
    assert sent_before < 120
    code, out, err = await quiz_send(tmp_path, slack_env(slack_api), "send", "--round", "2026-W48")
    assert code == 0, err
    got = invitations(slack_api)
    assert sorted(got) == sorted("D" + u["id"] for u in users[:120]) and all(len(v) == 1 for v in got.values())


async def test_slack_500s_resets_and_timeouts_are_retried_once_delivered(tmp_path, slack_api, caplog):
    settings = Settings(data_dir=tmp_path, db_path=tmp_path / "smpolicy.db", slack_bot_token="xoxb-test", slack_signing_secret=p.SECRET,
                        slack_api_url=slack_api.api_url, quiz_rounds=False, http_timeout=0.5)
    slack_api.slow_seconds = 1.0
    async with TestClient(TestServer(create_app(settings))) as client:
        for n, fault in enumerate(("fail", "reset", "slow")):
            getattr(slack_api, fault)["chat.postMessage"] = 2
            status, _ = await send(client, p.dm("Is Reddit social media?", event_id=f"EvFault{n}"))
            assert status == 200
            await slack_api.wait_for("chat.postMessage", n + 1, timeout=15)
        slack_api.fail_status = 502
        slack_api.fail["chat.postMessage"] = 2
        await send(client, p.dm("Is Reddit social media?", event_id="EvFault502"))
        await slack_api.wait_for("chat.postMessage", 4, timeout=15)
        # beyond the retry bounds: given up, logged, server still fine
        slack_api.fail_status = 500
        slack_api.fail["chat.postMessage"] = 10
        await send(client, p.dm("Is Reddit social media?", event_id="EvFault-lost"))
        for _ in range(300):
            if "slack follow-up failed" in caplog.text:
                break
            await asyncio.sleep(0.05)
        assert "slack follow-up failed" in caplog.text
        assert (await client.get("/healthz")).status == 200
    assert len(slack_api.of("chat.postMessage")) == 4
    assert {c.method for c in slack_api.calls} >= {"chat.postMessage:500", "chat.postMessage:reset", "chat.postMessage:slow",
                                                  "chat.postMessage:502"}


async def test_review_channel_down_means_announced_later_never_lost(tmp_path, database_url, slack_api, caplog):
    slack_api.fail["chat.postMessage"] = 8  # more than one tick's retries: the failed tick gives its claim back
    settings = Settings(data_dir=tmp_path, db_path=tmp_path / "smpolicy.db", database_url=database_url or "", slack_bot_token="xoxb-test",
                        slack_signing_secret=p.SECRET, slack_api_url=slack_api.api_url, slack_review_channel="GREV",
                        report_notify_delay=0, quiz_rounds=False)
    async with TestClient(TestServer(create_app(settings))) as client:
        token = await report_token(client, slack_api)
        status, out = await send(client, p.view_submission({"what": "Posted client data"}, "report.submit", token))
        assert "R-" in out
        [note] = await slack_api.wait_for("chat.postMessage", timeout=20)
        assert note.args["channel"] == "GREV" and "R-" in note.args["text"] and "Posted client data" not in note.args["text"]
        assert "report notification failed" in caplog.text
        await asyncio.sleep(1.5)
    assert len(slack_api.of("chat.postMessage")) == 1


async def test_read_only_or_full_database(tmp_path):
    app = create_app(Settings(data_dir=tmp_path, db_path=tmp_path / "smpolicy.db", quiz_rounds=False))
    async with TestClient(TestServer(app)) as client:
        conns = [app[STORAGE].db.conn]  # the one connection the app writes through

        def each(sql: str) -> None:
            for conn in conns:
                conn.execute(sql)

        for fault in ("PRAGMA query_only = ON", "PRAGMA max_page_count = 1"):
            pages = conns[0].execute("PRAGMA page_count").fetchone()["page_count"]
            each(fault if "query_only" in fault else f"PRAGMA max_page_count = {pages}")
            assert (await client.get("/healthz")).status == 503 or "max_page_count" in fault
            big = "x" * 3900
            opened = await client.post("/api/local/actions", json={"user_id": "u", "action_id": "report.open"})
            token = (await opened.json())["replies"][0]["card"]["submit"]["value"]
            resp = await client.post("/api/local/actions", json={"user_id": "u", "action_id": "report.submit", "value": token,
                                                                 "form": {"what": big, "evidence": "y" * 999}})
            [reply] = (await resp.json())["replies"]
            assert resp.status == 200 and "could not save" in reply["text"] and "R-" not in reply["text"]
            each("PRAGMA query_only = OFF")
            each("PRAGMA max_page_count = 1073741823")
        assert (await client.get("/healthz")).status == 200
    assert sqlite3.connect(tmp_path / "smpolicy.db").execute("SELECT COUNT(*) FROM reports").fetchone()[0] == 0
