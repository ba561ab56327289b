"""Found by the red team: what the server admin (database, WAL, backups, and the key file that sits beside them) learns
about reporters. SECURITY.md's threat model: a server admin "must never learn ... who filed any report, with or
without the key; when, finer than the hour".
"""

from __future__ import annotations

import asyncio
import time

from aiohttp.test_utils import TestClient, TestServer

from adapters.server import STORAGE, create_app
from bot.reports.crypto import Sealer, load_keys
from tests.reports.conftest import rows_text, table_names
from tests.server.conftest import settings_for


async def act(client, user, action_id, value="", form=None):
    resp = await client.post("/api/local/actions", json={"user_id": user, "action_id": action_id, "value": value, "form": form or {}})
    assert resp.status == 200
    return (await resp.json())["replies"]


async def file(client, user, words, urgency=""):
    [form] = await act(client, user, "report.open")
    [filed] = await act(client, user, "report.submit", form["card"]["submit"]["value"], {"what": words, "urgency": urgency})
    return dict(filed["card"]["fields"])["Case"]


async def test_nothing_on_disk_lets_a_key_holder_test_who_filed(tmp_path, database_url):
    """A per-person limit kept in the database (even as an hourly 2-byte HMAC bucket) let whoever holds the
    database and the key, which by default sits beside it, compute every employee's bucket and find the
    reporter among 40. Now the counts live in memory only: neither the database nor the WAL holds the
    reporter's user key, its hash, or an HMAC of it under any key derived from the report key."""
    import hashlib
    import hmac

    app = create_app(settings_for(tmp_path, database_url=database_url or "", report_notify_delay=0, quiz_rounds=False))
    async with TestClient(TestServer(app)) as client:
        for n in range(40):
            await act(client, f"employee{n}", "quiz.start")  # ordinary use: every one of them is a known user key
        await file(client, "employee17", "my manager posted the price list")
        db = app[STORAGE].db
        assert "attempts" not in await table_names(db)
        sealer = Sealer(load_keys("", tmp_path, may_create=False))
        stored = (await rows_text(db)).encode()
        if database_url is None:
            stored += (tmp_path / "smpolicy.db").read_bytes() + (tmp_path / "smpolicy.db-wal").read_bytes()
        user = b"web:employee17"
        traces = [hashlib.sha256(user).hexdigest().encode()]
        for purpose in ("limits", "report-form"):
            mac = hmac.new(sealer.derive(purpose), user, hashlib.sha256)
            traces += [mac.hexdigest().encode()[:8]] + ([mac.digest()[:4]] if database_url is None else [])
        assert not [t for t in traces if t in stored]
        # The quiz rows name the employees (that is what a quiz record is) but nothing ties one to the report.
        assert (await db.fetchone("SELECT COUNT(*) AS n FROM reports"))["n"] == 1


async def test_an_urgent_report_stores_its_filing_time_to_the_second(tmp_path, database_url):
    """`notify_after` of an urgent report is `now + randbelow(delay)` (delay 120 s by default), stored as a float
    to the microsecond. Without a Slack or Teams destination (a web-only install: reviewers in
    SMPOLICY_WEB_REVIEWERS) nothing ever announces it, so the value stays in the row forever: the filing time to
    within two minutes, in the database and every backup."""
    app = create_app(settings_for(tmp_path, database_url=database_url or "", web_reviewers=("rev",), quiz_rounds=False))  # 120 s delay
    async with TestClient(TestServer(app)) as client:
        before = time.time()
        await file(client, "reporter", "harassment going on right now", urgency="urgent")
        after = time.time()
        await asyncio.sleep(1.5)  # the notifier ticks every second
        [notify_after] = [r["notify_after"] for r in await app[STORAGE].db.fetchall("SELECT notify_after FROM reports")]
        assert not (before <= notify_after <= after + 120), "notify_after pins the filing to a two-minute window"


async def test_the_wal_orders_a_filing_between_exactly_timed_writes(tmp_path):
    """The WAL holds every committed page version in commit order. Other tables store exact times (`health.at`
    on every /healthz probe, quiz answers, feedback, audit, seen_events): the frame that inserts a report sits
    between frames carrying those times, so the admin who copies the WAL (or a backup of it) brackets the filing
    to the probe interval: seconds, not the hour."""
    app = create_app(settings_for(tmp_path, report_notify_delay=0, quiz_rounds=False))
    async with TestClient(TestServer(app)) as client:
        db = app[STORAGE].db

        async def probe() -> float:
            assert (await client.get("/healthz")).status == 200  # what a load balancer does every few seconds
            return (await db.fetchone("SELECT at FROM health"))["at"]

        first = await probe()
        await asyncio.sleep(1.1)
        ref = await file(client, "reporter", "words")
        await asyncio.sleep(1.1)
        second = await probe()
        wal = (tmp_path / "smpolicy.db-wal").read_bytes()
        # The filing was folded into the database file at once: the WAL holds no frame of it to order among others,
        # and the health probes write a counter, not their time.
        assert ref.encode() not in wal
        assert second < 1_000_000 and first < 1_000_000, "a health probe stored its time"


async def test_a_reporters_reply_is_not_timed_by_the_reviewers_audit_rows(tmp_path, database_url):
    """`report_messages.at` is rounded to the hour, but its `id` is an insertion counter shared by reviewers' and
    reporters' messages, and every reviewer message also writes an audit row with the exact time (`audit.at`).
    The reporter's reply sits between two reviewer messages whose audit times are seconds apart: the admin reads
    when the reporter answered to within those seconds, not the hour (and a reply at 23:14 narrows who it was)."""
    app = create_app(settings_for(tmp_path, database_url=database_url or "", web_reviewers=("rev",), report_notify_delay=0,
                                  quiz_rounds=False))
    async with TestClient(TestServer(app)) as client:
        [form] = await act(client, "reporter", "report.open")
        [filed] = await act(client, "reporter", "report.submit", form["card"]["submit"]["value"], {"what": "words"})
        fields = dict(filed["card"]["fields"])
        ref, code = fields["Case"], fields["Follow-up code"]
        await act(client, "rev", "case.send", ref, {"message": "Can you tell us more?"})
        await asyncio.sleep(1.0)
        [view] = await act(client, "reporter", "case.verify", "-", {"ref": ref, "code": code})
        await act(client, "reporter", "case.reply", view["card"]["submit"]["value"], {"message": "It was on Tuesday."})
        await asyncio.sleep(1.0)
        await act(client, "rev", "case.send", ref, {"message": "Thanks."})
        db = app[STORAGE].db
        authors = [r["author"] for r in await db.fetchall("SELECT author FROM report_messages WHERE ref = ? ORDER BY id", [ref])]
        times = [r["at"] for r in await db.fetchall("SELECT at FROM audit WHERE ref = ? AND action = 'message' ORDER BY id", [ref])]
        bracketed = authors == ["reviewer", "reporter", "reviewer"] and len(times) == 2 and 0 < times[1] - times[0] < 3600  # the same hour is all an admin may learn
        assert not bracketed, f"the reporter answered between {times[0]:.3f} and {times[1]:.3f} ({times[1] - times[0]:.1f} s)"
