"""Attacks on reports and cases over HTTP (issue 13, findings 5, 7, 8 and 9), on both backends."""

from __future__ import annotations

import asyncio
import statistics
import time

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.server import STORAGE, create_app
from tests.reports.conftest import rows_text
from tests.server.conftest import settings_for

REVIEWER = "rev-1"


@pytest.fixture
async def web(tmp_path, database_url):
    app = create_app(settings_for(tmp_path, database_url=database_url or "", web_reviewers=(REVIEWER,), report_notify_delay=0,
                                  quiz_rounds=False))
    async with TestClient(TestServer(app)) as client:
        client.db = app[STORAGE].db
        yield client


async def rows(client, sql: str, params=()) -> list[tuple]:
    return [tuple(r.values()) for r in await client.db.fetchall(sql, params)]


async def act(client, user, action_id, value="", form=None):
    resp = await client.post("/api/local/actions", json={"user_id": user, "action_id": action_id, "value": value, "form": form or {}})
    assert resp.status == 200
    return (await resp.json())["replies"]


async def open_form(client, user) -> str:
    [form] = await act(client, user, "report.open")
    assert form["dialog"] is True
    return form["card"]["submit"]["value"]


async def file(client, user, words, urgency=""):
    token = await open_form(client, user)
    [filed] = await act(client, user, "report.submit", token, {"what": words, "urgency": urgency})
    fields = dict(filed["card"]["fields"])
    return fields["Case"], fields["Follow-up code"]


async def test_someone_elses_form_token_files_nothing_and_learns_nothing(web):
    victim_token = await open_form(web, "victim")
    [stolen] = await act(web, "attacker", "report.submit", victim_token, {"what": "attacker's words"})
    assert "R-" not in stolen["text"] and "expired" in stolen["text"]
    assert await rows(web, "SELECT COUNT(*) AS n FROM reports") == [(0,)]
    [filed] = await act(web, "victim", "report.submit", victim_token, {"what": "the real report"})
    ref = dict(filed["card"]["fields"])["Case"]
    [again] = await act(web, "attacker", "report.submit", victim_token, {"what": "attacker's words"})
    assert ref not in again["text"] and "R-" not in again["text"]
    [case] = await act(web, REVIEWER, "case.open", ref)
    assert "the real report" in case["text"] and "attacker" not in case["text"]
    # The stored row holds an HMAC of the token, not the token the form carried.
    assert victim_token not in await rows_text(web.db)


async def test_unknown_and_real_references_answer_in_the_same_time(web):
    ref, code = await file(web, "reporter", "words")

    async def timed(reference: str) -> float:
        started = time.perf_counter()
        await act(web, "prober", "case.verify", "-", {"ref": reference, "code": "AAAA-BBBB-CCCC"})
        return time.perf_counter() - started

    real = [await timed(ref) for _ in range(5)]
    unknown = [await timed("R-22222Z") for _ in range(5)]
    ratio = statistics.median(unknown) / statistics.median(real)
    assert 0.6 < ratio < 1.6, (real, unknown)  # both are one scrypt (about 50 ms); a skipped hash would be 10x faster


async def test_metrics_and_logs_do_not_show_a_filing(web, caplog):
    before = await (await web.get("/metrics")).text()
    assert "report" not in before
    caplog.clear()
    await act(web, "someone", "quiz.start")
    quiz_lines = [r for r in caplog.records if r.getMessage() == "request"]
    caplog.clear()
    await file(web, "reporter", "words")
    report_lines = [r for r in caplog.records if r.getMessage() == "request"]
    fields = lambda rec: {k: getattr(rec, k, None) for k in ("channel", "route", "method", "status")}  # noqa: E731
    assert {tuple(fields(r).items()) for r in report_lines} == {tuple(fields(r).items()) for r in quiz_lines}
    after = await (await web.get("/metrics")).text()
    assert "report" not in after and 'le="0.01"' not in after


async def test_long_or_many_references_store_nothing(web):
    ref, code = await file(web, "reporter", "words")
    sqlite = web.db.dialect == "sqlite"
    pages = await rows(web, "PRAGMA page_count") if sqlite else None
    before = await rows_text(web.db)
    for n in range(50):
        [reply] = await act(web, f"prober{n}", "case.verify", "-", {"ref": "R-" + "X" * 30000, "code": "x"})
        assert reply["field_errors"][0][0] == "ref"
    assert await rows(web, "SELECT COUNT(*) AS n FROM code_failures") == [(0,)]
    assert await rows_text(web.db) == before  # 1.5 MB of references stored nothing
    if sqlite:
        assert await rows(web, "PRAGMA page_count") == pages
    # Five (or fifty) wrong codes from strangers do not lock the reporter out.
    for _ in range(20):
        await act(web, "stranger", "case.verify", "-", {"ref": ref, "code": "AAAA-BBBB-CCCC"})
    [view] = await act(web, "reporter", "case.verify", "-", {"ref": ref, "code": code})
    assert view["card"]["title"] == f"Your case {ref}"


async def test_a_stale_acknowledge_does_not_reopen_a_closed_case(web):
    ref, code = await file(web, "reporter", "words")
    await act(web, REVIEWER, "case.closed", ref, {"outcome": "no_violation"})
    [stale, _view] = await act(web, REVIEWER, "case.ack", ref)
    assert "no longer applies" in stale["text"]
    [late] = await act(web, REVIEWER, "case.send", ref, {"message": "one more thing"})
    assert "no longer applies" in late["text"]
    assert await rows(web, "SELECT status, outcome FROM reports") == [("closed", "no_violation")]
    [view] = await act(web, "reporter", "case.verify", "-", {"ref": ref, "code": code})
    assert "one more thing" not in view["text"] and view["card"]["submit"] is None
    # Reopening is explicit, with a reason that is kept as an internal note and audited.
    [form] = await act(web, REVIEWER, "case.reopen", ref)
    assert form["card"]["form"][0]["name"] == "reason"
    [done, case] = await act(web, REVIEWER, "case.reopened", ref, {"reason": "new evidence"})
    assert "open again" in done["text"] and "Internal notes (reviewers only):\n- Reopened: new evidence" in case["text"]
    assert await rows(web, "SELECT status, outcome FROM reports") == [("in_review", None)]
    [view] = await act(web, "reporter", "case.verify", "-", {"ref": ref, "code": code})
    assert "new evidence" not in view["text"]
    assert [a for (a,) in await rows(web, "SELECT action FROM audit WHERE ref = ? ORDER BY id", [ref])][-1] == "reopen"


async def test_one_unreadable_case_does_not_stop_the_others(tmp_path, database_url, slack_api):
    from tests.fakes import slack_payloads as p
    from tests.slack.conftest import report_token, send

    settings = settings_for(tmp_path, database_url=database_url or "", slack_bot_token="xoxb-t", slack_signing_secret=p.SECRET,
                            slack_api_url=slack_api.api_url, slack_review_channel="GREV", report_notify_delay=0, quiz_rounds=False)
    async with TestClient(TestServer(create_app(settings))) as client:
        db = client.server.app[STORAGE].db
        await db.execute("INSERT INTO reports (ref, code_hash, code_salt, created_at, status, category, urgency, nonce, ciphertext, "
                         "submission) VALUES ('R-BROKEN', 'x', '00', 0, 'new', 'other', 'normal', 'AAAA', 'AAAA', 's')")
        refs = []
        for _ in range(3):
            token = await report_token(client, slack_api)
            _, out = await send(client, p.view_submission({"what": "words"}, "report.submit", token))
            refs.append(out.split("case ")[1][:8])
        notes = await slack_api.wait_for("chat.postMessage", 3, timeout=10)
        assert sorted(n.args["text"][11:19] for n in notes) == sorted(refs)
        health = await (await client.get("/healthz")).json()
        assert health["reports_unreadable"] == 1
        await asyncio.sleep(1.2)
        assert len(slack_api.of("chat.postMessage")) == 3
