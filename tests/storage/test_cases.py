"""The Cases and Reviewers repositories on both backends: state rules in SQL, duplicate submissions, messages,
audit, sessions, the notice claim, purge and reseal, also with two processes on one database."""

from __future__ import annotations

import asyncio

import pytest

from bot.storage import DuplicateError, Storage
from bot.storage.case_reminders import DueCase
from bot.storage.cases import DuplicateSubmission, NewReport

NOW = 1_800_000_000.0
HOUR = NOW - NOW % 3600


def report(ref: str, submission: str | None = None, urgency: str = "normal", notify_after: float = HOUR) -> NewReport:
    return NewReport(ref=ref, code_hash="h" * 64, code_salt="00" * 16, created_at=HOUR, category="other", urgency=urgency,
                     nonce="bm9uY2U=", ciphertext=f"sealed-{ref}", submission=submission or f"sub-{ref}", notify_after=notify_after)


@pytest.fixture
async def storage(database):
    return Storage.on(database)


@pytest.fixture
async def second(database_url, tmp_path):
    """Another process's storage on the same database (its own connection or pool)."""
    other = Storage.open(tmp_path / "smpolicy.db", database_url)
    await other.start()
    yield other
    await other.close()


async def test_a_report_is_listed_and_read_back(storage):
    cases = storage.cases
    await cases.add(report("R-AAAAAA"))
    await cases.add(report("R-BBBBBB", urgency="urgent"))
    await cases.add(report("R-CCCCCC", urgency="low"))
    listed = await cases.listing()
    assert [c.ref for c in listed] == ["R-BBBBBB", "R-AAAAAA", "R-CCCCCC"]  # urgent first
    assert listed[1].status == "new" and listed[1].created_at == HOUR and listed[1].notified_at is None
    one = await cases.one("R-AAAAAA")
    assert one is not None and one.ciphertext == "sealed-R-AAAAAA" and one.case.category == "other" and one.messages == ()
    assert await cases.one("R-ZZZZZZ") is None and await cases.status("R-ZZZZZZ") is None
    assert (await cases.code_record("R-AAAAAA")).code_hash == "h" * 64
    assert await cases.filed_as("sub-R-AAAAAA") == "R-AAAAAA" and await cases.filed_as("nope") is None


async def test_a_duplicate_submission_raises_duplicate_error_naming_the_case(storage):
    cases = storage.cases
    await cases.add(report("R-AAAAAA", submission="once"))
    with pytest.raises(DuplicateSubmission) as caught:
        await cases.add(report("R-BBBBBB", submission="once"))
    assert isinstance(caught.value, DuplicateError) and caught.value.ref == "R-AAAAAA"
    with pytest.raises(DuplicateError) as taken:  # the same reference, another submission: a reference collision
        await cases.add(report("R-AAAAAA", submission="other"))
    assert not isinstance(taken.value, DuplicateSubmission)
    assert [c.ref for c in await cases.listing()] == ["R-AAAAAA"]


async def test_the_state_rules_are_enforced_by_the_row_count(storage):
    cases = storage.cases
    await cases.add(report("R-AAAAAA"))
    assert not await cases.reopen("R-AAAAAA")  # only a closed case reopens
    assert not await cases.start_review("R-AAAAAA")  # new -> in_review skips the acknowledgement: refused
    assert await cases.acknowledge("R-AAAAAA") and not await cases.acknowledge("R-AAAAAA")
    assert await cases.status("R-AAAAAA") == "acknowledged"
    assert await cases.start_review("R-AAAAAA") and not await cases.start_review("R-AAAAAA")
    assert await cases.status("R-AAAAAA") == "in_review"
    assert await cases.close("R-AAAAAA", "no_violation", NOW) and not await cases.close("R-AAAAAA", "other", NOW)
    assert not await cases.acknowledge("R-AAAAAA")
    closed = await cases.listing(include_closed=True)
    assert [(c.status, c.outcome) for c in closed] == [("closed", "no_violation")] and await cases.listing() == []
    assert await cases.reopen("R-AAAAAA") and not await cases.reopen("R-AAAAAA")
    assert (await cases.one("R-AAAAAA")).case.outcome is None
    assert not await cases.acknowledge("R-NOCASE") and not await cases.close("R-NOCASE", "other", NOW)


async def test_two_reviewers_closing_at_once_close_once(storage, second):
    await storage.cases.add(report("R-AAAAAA"))
    results = await asyncio.gather(*(s.cases.close("R-AAAAAA", f"outcome{i}", NOW) for i, s in enumerate([storage, second] * 4)))
    assert sorted(results) == [False] * 7 + [True]


async def test_messages_go_to_open_cases_and_notes_anywhere(storage):
    cases = storage.cases
    await cases.add(report("R-AAAAAA"))
    assert await cases.add_message("R-AAAAAA", "reviewer", HOUR, "n1", "c1")
    assert await cases.add_message("R-AAAAAA", "reporter", HOUR, "n2", "c2")
    assert not await cases.add_message("R-NOCASE", "reviewer", HOUR, "n", "c")
    await cases.close("R-AAAAAA", "other", NOW)
    assert not await cases.add_message("R-AAAAAA", "reporter", HOUR, "n3", "c3")
    assert await cases.add_note("R-AAAAAA", HOUR, "n4", "c4") and not await cases.add_note("R-NOCASE", HOUR, "n", "c")
    one = await cases.one("R-AAAAAA")
    assert [(m.author, m.ciphertext) for m in one.messages] == [("reviewer", "c1"), ("reporter", "c2"), ("note", "c4")]
    assert await cases.message_counts() == {"R-AAAAAA": 3}


async def test_audit_entries_in_order_and_per_case(storage):
    cases = storage.cases
    await cases.audit(NOW, "web:rev", "list", "")
    await cases.audit(NOW + 1, "web:rev", "open", "R-AAAAAA")
    await cases.audit(NOW + 2, "slack:T:U", "close:other", "R-AAAAAA")
    everything = await cases.audit_log()
    assert [(a.reviewer, a.action) for a in everything] == [("web:rev", "list"), ("web:rev", "open"), ("slack:T:U", "close:other")]
    assert [a.action for a in await cases.audit_log("R-AAAAAA")] == ["open", "close:other"]
    assert everything[1].at == NOW + 1 and everything[1].ref == "R-AAAAAA"


async def test_sessions_expire(storage):
    cases = storage.cases
    await cases.add(report("R-AAAAAA"))
    await cases.open_session("hash1", "R-AAAAAA", HOUR + 7200)
    assert await cases.session_ref("hash1", NOW) == "R-AAAAAA"
    assert await cases.session_ref("hash1", HOUR + 7200) is None and await cases.session_ref("other", NOW) is None
    with pytest.raises(DuplicateError):
        await cases.open_session("hash1", "R-AAAAAA", HOUR + 7200)


async def test_a_due_case_is_claimed_once_released_after_a_failure_and_marked(storage, second):
    await storage.cases.add(report("R-AAAAAA"))
    await storage.cases.add(report("R-LATER0", notify_after=HOUR + 3600))
    [due] = await storage.cases.due(NOW)
    assert due == DueCase("R-AAAAAA", "other", "normal", HOUR)
    until = HOUR + 7200
    claims = await asyncio.gather(storage.cases.claim(due, NOW, until), second.cases.claim(due, NOW, until))
    assert len([c for c in claims if c is not None]) == 1
    assert await storage.cases.due(NOW) == [] and await second.cases.due(NOW) == []  # held: nobody else sees it due
    claim = next(c for c in claims if c is not None)
    await storage.cases.release(claim)  # the send failed: due again at once, as it was
    assert await second.cases.due(NOW) == [due]
    again = await second.cases.claim(due, NOW, until)
    assert again is not None
    await second.cases.mark_notified("R-AAAAAA", HOUR)
    assert await storage.cases.claim(due, until + 1, until + 7200) is None  # announced: never claimed again
    row = (await storage.cases.listing())[0]
    assert row.ref == "R-AAAAAA" and row.notified_at == HOUR


async def test_a_claim_that_ran_out_is_taken_over_and_the_old_holder_cannot_release_it(storage, second):
    await storage.cases.add(report("R-AAAAAA"))
    [due] = await storage.cases.due(NOW)
    dead = await storage.cases.claim(due, NOW, HOUR + 7200)  # this notifier dies mid-send
    assert dead is not None and await second.cases.due(HOUR + 7199) == []
    [due_again] = await second.cases.due(HOUR + 7200)
    taken = await second.cases.claim(due_again, HOUR + 7200, HOUR + 14400)
    assert taken is not None
    await storage.cases.release(dead)  # late: changes nothing, the case stays with its new holder
    assert await storage.cases.due(HOUR + 7200) == []


async def test_purge_deletes_old_closed_cases_with_their_rows(storage):
    cases = storage.cases
    for ref in ("R-OLD000", "R-NEW000", "R-OPEN00"):
        await cases.add(report(ref))
        await cases.add_message(ref, "reviewer", HOUR, "n", "c")
        await cases.open_session(f"h-{ref}", ref, NOW + 10 * 86400)
    await cases.open_session("h-expired", "R-OPEN00", NOW - 1)
    await cases.close("R-OLD000", "other", NOW - 400 * 86400)
    await cases.close("R-NEW000", "other", NOW - 10 * 86400)
    assert await cases.purge(NOW - 365 * 86400, NOW) == 1
    assert [c.ref for c in await cases.listing(include_closed=True)] == ["R-NEW000", "R-OPEN00"]
    assert await cases.message_counts() == {"R-NEW000": 1, "R-OPEN00": 1}
    assert await cases.session_ref("h-R-OLD000", NOW) is None and await cases.session_ref("h-R-OPEN00", NOW) == "R-OPEN00"
    sessions = await storage.db.fetchall("SELECT token_hash FROM case_sessions ORDER BY token_hash")
    assert [s["token_hash"] for s in sessions] == ["h-R-NEW000", "h-R-OPEN00"]
    assert await cases.purge(NOW - 365 * 86400, NOW) == 0


async def test_two_processes_purging_at_once_delete_each_case_once(storage, second):
    refs = [f"R-P{i:05d}" for i in range(30)]
    for ref in refs:
        await storage.cases.add(report(ref))
        await storage.cases.add_message(ref, "reviewer", HOUR, "n", "c")
        await storage.cases.close(ref, "other", NOW - 400 * 86400)
    counts = await asyncio.gather(*(s.cases.purge(NOW - 365 * 86400, NOW) for s in [storage, second] * 3))
    assert sum(counts) == len(refs)
    assert await storage.cases.listing(include_closed=True) == [] and await storage.cases.message_counts() == {}


async def test_reseal_is_all_or_nothing(storage):
    cases = storage.cases
    await cases.add(report("R-AAAAAA"))
    await cases.add(report("R-BBBBBB"))
    await cases.add_message("R-AAAAAA", "reviewer", HOUR, "n", "c")

    def refuse_b(ref: str, nonce: str, ciphertext: str) -> tuple[str, str]:
        if ref == "R-BBBBBB":
            raise ValueError("no key opens it")
        return "new-nonce", "new-" + ciphertext

    with pytest.raises(ValueError):
        await cases.reseal(refuse_b)
    assert (await cases.one("R-AAAAAA")).ciphertext == "sealed-R-AAAAAA"
    assert await cases.reseal(lambda ref, nonce, ct: ("new-nonce", "new-" + ct)) == 3
    a = await cases.one("R-AAAAAA")
    assert (a.nonce, a.ciphertext, a.messages[0].ciphertext) == ("new-nonce", "new-sealed-R-AAAAAA", "new-c")


async def test_reviewers_are_replaced_per_platform(storage):
    reviewers = storage.reviewers
    await reviewers.set_reviewers("slack", ["slack:T:U1", "slack:T:U2", "slack:T:U1"])
    await reviewers.set_reviewers("web", ["web:rev"])
    assert await reviewers.members("slack") == ["slack:T:U1", "slack:T:U2"]
    await reviewers.set_reviewers("slack", ["slack:T:U2"])
    assert await reviewers.members("slack") == ["slack:T:U2"] and await reviewers.members("web") == ["web:rev"]
    assert await reviewers.is_reviewer("slack:T:U2") and not await reviewers.is_reviewer("slack:T:U1")
    await reviewers.set_reviewers("web", [])
    assert not await reviewers.is_reviewer("web:rev")


async def test_two_replicas_replacing_a_roster_at_once_leave_one_roster_whole(storage, second):
    for round_ in range(5):  # without the lock, two deletes that miss each other's inserts leave the union of rosters
        rosters = [[f"slack:T:U{round_}{i}", f"slack:T:V{round_}{i}"] for i in range(6)]
        await asyncio.gather(*(s.reviewers.set_reviewers("slack", r) for s, r in zip([storage, second] * 3, rosters)))
        assert await storage.reviewers.members("slack") in rosters


async def test_destinations(storage):
    reviewers = storage.reviewers
    assert await reviewers.destination("teams") is None
    await reviewers.set_destination("teams", '{"team_id": "a"}')
    await reviewers.set_destination("teams", '{"team_id": "b"}')
    assert await reviewers.destination("teams") == '{"team_id": "b"}' and await reviewers.destination("slack") is None
