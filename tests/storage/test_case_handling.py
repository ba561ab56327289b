"""Migration 9 and the case-handling repository on both backends: old cases get due dates and keep their
statuses, exclusions and assignment, reminders claimed once, and a purged case's audit log keeps only its
reference, dates and outcome."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

import bot.storage.postgres as pg_backend
import bot.storage.sqlite as sqlite_backend
from bot.storage import Storage, open_database
from bot.storage.case_states import MOVES, STATUSES
from tests.storage.test_cases import HOUR, report

DAY = 86400


@pytest.fixture
async def storage(database):
    return Storage.on(database)


async def test_an_old_database_gets_due_dates_and_keeps_its_statuses(tmp_path, database_url, monkeypatch):
    backend = pg_backend if database_url else sqlite_backend
    with monkeypatch.context() as before_9:
        before_9.setattr(backend, "MIGRATIONS", backend.MIGRATIONS[:8])
        old = open_database(tmp_path / "smpolicy.db", database_url)
        await old.start()
        assert old.schema_version() == 8
        for ref, status in (("R-AAAAAA", "new"), ("R-BBBBBB", "in_review"), ("R-CCCCCC", "closed")):
            await old.execute("INSERT INTO reports (ref, code_hash, code_salt, created_at, status, category, urgency, nonce, ciphertext, "
                              "submission) VALUES (?, 'h', 's', ?, ?, 'other', 'normal', 'n', 'c', ?)", [ref, 1_800_000_000.0, status, ref])
        await old.close()
    db = open_database(tmp_path / "smpolicy.db", database_url)
    await db.start()
    try:
        assert db.schema_version() == 9
        rows = await Storage.on(db).cases.listing(include_closed=True)
        # 1_800_000_000 is 2027-01-15 (UTC): the default 7 and 90 days from that day
        assert {(r.ref, r.status, r.ack_due, r.feedback_due) for r in rows} == {
            ("R-AAAAAA", "new", "2027-01-22", "2027-04-15"), ("R-BBBBBB", "in_review", "2027-01-22", "2027-04-15"),
            ("R-CCCCCC", "closed", "2027-01-22", "2027-04-15")}
        assert {r.status for r in rows} <= set(STATUSES)
    finally:
        await db.close()


def test_every_state_is_reachable_and_closed_only_by_reopening():
    reachable = {"new"}
    for starts, target in MOVES.values():
        if reachable & set(starts):
            reachable.add(target)
    for starts, target in MOVES.values():  # a second pass: reopen leads out of closed
        if reachable & set(starts):
            reachable.add(target)
    assert reachable == set(STATUSES)
    assert [move for move, (starts, _) in MOVES.items() if "closed" in starts] == ["reopen"]


async def test_exclusions_and_assignment(storage):
    cases = storage.cases
    await cases.add(replace(report("R-AAAAAA"), kept_from=("slack:T:UBEN", "slack:T:UBEN")))
    assert await cases.exclusions("R-AAAAAA") == {"slack:T:UBEN": "kept"}
    assert await cases.excluded_refs("slack:T:UBEN") == {"R-AAAAAA"} and await cases.is_excluded("R-AAAAAA", "slack:T:UBEN")
    assert not await cases.assign("R-AAAAAA", "slack:T:UBEN")  # never to someone kept from it
    assert await cases.assign("R-AAAAAA", "web:ana") and (await cases.listing())[0].assignee == "web:ana"
    assert await cases.exclude("R-AAAAAA", "web:ana", "recused") and not await cases.exclude("R-AAAAAA", "web:ana", "recused")
    assert (await cases.listing())[0].assignee is None  # recusing unassigns
    assert not await cases.exclude("R-NOCASE", "web:ana", "recused")
    assert await cases.close("R-AAAAAA", "other", HOUR) and not await cases.assign("R-AAAAAA", "web:cho")


async def test_a_reminder_is_claimed_once_even_at_once(storage, database_url, tmp_path):
    await storage.cases.add(report("R-AAAAAA"))
    other = Storage.open(tmp_path / "smpolicy.db", database_url)
    await other.start()
    try:
        claims = await asyncio.gather(*(s.cases.claim_reminder("R-AAAAAA", "ack_soon", HOUR) for s in [storage, other] * 4))
        assert sorted(claims) == [False] * 7 + [True]
        await storage.cases.release_reminder("R-AAAAAA", "ack_soon", HOUR)
        assert await other.cases.claim_reminder("R-AAAAAA", "ack_soon", HOUR)
        assert await storage.cases.reminders("R-AAAAAA") == ["ack_soon"]
    finally:
        await other.close()


async def test_a_purged_case_keeps_only_its_reference_dates_and_outcome(storage):
    cases = storage.cases
    await cases.add(replace(report("R-AAAAAA"), ack_due="2027-01-22", feedback_due="2027-04-15", kept_from=("web:ben",)))
    await cases.add(report("R-BBBBBB"))
    await cases.audit(HOUR, "web:ana", "open", "R-AAAAAA")
    await cases.audit(HOUR, "web:ana", "assign", "R-AAAAAA", "web:cho")
    await cases.audit(HOUR, "web:ana", "open", "R-BBBBBB")
    await cases.claim_reminder("R-AAAAAA", "ack_soon", HOUR)
    assert await cases.close("R-AAAAAA", "no_violation", HOUR)
    assert await cases.purge(HOUR + DAY, HOUR + 2 * DAY) == 1
    [summary] = await cases.audit_log("R-AAAAAA")
    assert summary.reviewer == "" and summary.action == "purged"
    assert summary.detail == ("filed 2027-01-15; acknowledgement due 2027-01-22; feedback due 2027-04-15; closed 2027-01-15; "
                              "outcome no_violation")
    assert [(a.reviewer, a.action) for a in await cases.audit_log("R-BBBBBB")] == [("web:ana", "open")]  # others are kept
    assert await cases.exclusions("R-AAAAAA") == {} and await cases.reminders("R-AAAAAA") == []
