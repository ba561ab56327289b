"""Cases, codes, encryption and retention, below the channels, on both backends (SQLite and PostgreSQL)."""

import asyncio
import base64
import os
import stat

import pytest

from adapters.cli import main
from bot.messages import incoming_action
from bot.reports.cases import CaseBook
from bot.reports.crypto import Sealer, TamperedError, load_keys, new_key
from bot.reports.flow import ReportDesk, form_token
from bot.reports.follow_up import FollowUp
from tests.reports.conftest import rows_text, table_names


class Clock:
    def __init__(self, now=1_800_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def env(storage, tmp_path, pack):
    clock = Clock()
    sealer = Sealer(load_keys("", tmp_path))
    desk = ReportDesk(storage.cases, sealer, pack, notify_delay=0, clock=clock)
    return storage.db, CaseBook(storage.cases, storage.reviewers, sealer, clock=clock), desk, clock


TOKENS: dict[tuple[bytes, str, str], str] = {}


def bound(desk, user: str, name: str) -> str:
    """A real form token for `user`, one per test name (the same name gives the same token, as a double click would).
    Kept per form key, not per desk object: a later test's desk can get a freed desk's id, never its key."""
    return TOKENS.setdefault((desk.form_key, user, name), form_token(desk.form_key, user))


async def file(desk, what="Someone posted client data", user="u1", token="t1"):
    [reply] = await desk.submit(incoming_action("web", user, "c", "report.submit", bound(desk, user, token), {"what": what}))
    fields = dict(reply.card.fields)
    return fields["Case"], fields["Follow-up code"]


async def count(db, table: str) -> int:
    return (await db.fetchone(f"SELECT COUNT(*) AS n FROM {table}"))["n"]


def test_key_file_is_created_0600_and_reused(tmp_path):
    keys = load_keys("", tmp_path)
    mode = stat.S_IMODE(os.stat(tmp_path / "report.key").st_mode)
    assert mode == 0o600 and keys == load_keys("", tmp_path) and len(keys[0]) == 32


def test_bad_configured_key_is_refused(tmp_path):
    from bot.reports.crypto import KeyError_
    with pytest.raises(KeyError_, match="SMPOLICY_REPORT_KEY"):
        load_keys(base64.urlsafe_b64encode(b"short").decode(), tmp_path)


async def test_text_is_encrypted_at_rest_and_tampering_is_detected(env, tmp_path, database_url):
    db, book, desk, _ = env
    ref, _ = await file(desk, "The intern leaked the Globex contract")
    assert "Globex" not in await rows_text(db)
    if database_url is None:
        raw = b"".join(p.read_bytes() for p in tmp_path.glob("smpolicy.db*"))
        assert b"Globex" not in raw
    assert (await book.case(ref)).body["what"] == "The intern leaked the Globex contract"
    row = await db.fetchone("SELECT ciphertext FROM reports WHERE ref = ?", [ref])
    ct = bytearray(base64.b64decode(row["ciphertext"]))
    ct[3] ^= 1
    await db.execute("UPDATE reports SET ciphertext = ? WHERE ref = ?", [base64.b64encode(bytes(ct)).decode(), ref])
    with pytest.raises(TamperedError):
        await book.case(ref)
    assert not await book.readable(ref)


async def test_ciphertext_moved_to_another_case_is_detected(env):
    db, book, desk, _ = env
    a, _ = await file(desk, "first", token="a")
    b, _ = await file(desk, "second", token="b")
    row = await db.fetchone("SELECT nonce, ciphertext FROM reports WHERE ref = ?", [a])
    await db.execute("UPDATE reports SET nonce = ?, ciphertext = ? WHERE ref = ?", [row["nonce"], row["ciphertext"], b])
    with pytest.raises(TamperedError):
        await book.case(b)
    assert (await book.case(a)).body["what"] == "first"


async def verify(follow_up, ref, code, user="reporter"):
    [reply] = await follow_up.verify(incoming_action("web", user, "c", "case.verify", "-", {"ref": ref, "code": code}))
    return reply


async def test_wrong_codes_are_limited_per_person_never_per_case(env, pack):
    db, book, desk, clock = env
    follow_up = FollowUp(book)
    ref, code = await file(desk)
    assert code.replace("-", "") not in await rows_text(db) and code not in await rows_text(db)
    assert (await verify(follow_up, ref, code)).card.title == f"Your case {ref}"
    assert (await verify(follow_up, ref, code.lower())).card.title == f"Your case {ref}"
    # A stranger guessing at the case is stopped after 10 wrong codes an hour; the reporter is not locked out.
    answers = [(await verify(follow_up, ref, "AAAA-BBBB-CCCC", user="stranger")).text for _ in range(11)]
    assert answers[:10] == ["That reference and code don't match."] * 10 and answers[10].startswith("Too many wrong codes")
    assert (await verify(follow_up, ref, code)).card.title == f"Your case {ref}"
    assert (await verify(follow_up, ref, code, user="stranger")).text.startswith("Too many wrong codes")
    clock.now += 3601
    assert (await verify(follow_up, ref, code, user="stranger")).card.title == f"Your case {ref}"
    # An unknown reference answers like a wrong code; a malformed one is refused before anything is stored.
    assert (await verify(follow_up, "R-22222Z", code)).text == "That reference and code don't match."
    assert (await verify(follow_up, "R-" + "9" * 60000, code)).field_errors[0][0] == "ref"
    # Nothing of these attempts is stored: no failure rows, no counts (they live in memory only).
    assert await count(db, "code_failures") == 0 and "attempts" not in await table_names(db)


async def test_at_most_five_reports_an_hour_per_person(env):
    db, book, desk, clock = env
    for i in range(5):
        await file(desk, token=f"t{i}")
    [refused] = await desk.submit(incoming_action("web", "u1", "c", "report.submit", bound(desk, "u1", "t6"), {"what": "x"}))
    assert "5 reports in the last hour" in refused.text
    await file(desk, user="someone-else", token="t7")
    clock.now += 3601
    await file(desk, token="t8")
    assert await count(db, "reports") == 7
    assert "attempts" not in await table_names(db)  # the counts are in memory only: nothing on disk to test a person against


async def test_a_double_submission_files_once(env):
    """The same form submitted twice, one after the other and both at once: one case, and both answers name it."""
    db, book, desk, _ = env
    ref, _ = await file(desk, token="same")
    [again] = await desk.submit(incoming_action("web", "u1", "c", "report.submit", bound(desk, "u1", "same"), {"what": "x"}))
    assert again.text == f"This report was already filed as case {ref}."
    token = bound(desk, "u2", "twice")
    replies = await asyncio.gather(*(desk.submit(incoming_action("web", "u2", "c", "report.submit", token, {"what": "y"}))
                                     for _ in range(2)))
    refs = {dict(r[0].card.fields)["Case"] if r[0].card and r[0].card.fields else r[0].text.split("case ")[1][:8] for r in replies}
    assert len(refs) == 1 and await count(db, "reports") == 2


async def test_no_stored_time_is_finer_than_the_hour(pack, storage):
    now = 1_800_001_234.5
    hour = now - now % 3600
    desk = ReportDesk(storage.cases, Sealer(b"k" * 32), pack, notify_delay=120, clock=lambda: now)
    book = CaseBook(storage.cases, storage.reviewers, desk.sealer, clock=lambda: now)
    db = storage.db
    refs = [(await file(desk, token=f"t{i}", user=f"u{i}"))[0] for i in range(12)]
    urgent = await desk.submit(incoming_action("web", "u99", "c", "report.submit", bound(desk, "u99", "x"), {"what": "x", "urgency": "urgent"}))
    rows = await db.fetchall("SELECT created_at, notify_after, urgency FROM reports")
    assert {r["created_at"] for r in rows} == {hour}
    # Normal reports wait for the next hourly batch (plus jitter); urgent ones go sooner, after a random delay.
    batch = {r["notify_after"] - (hour + 3600) for r in rows if r["urgency"] == "normal"}
    assert all(0 <= d <= 120 for d in batch) and len(batch) > 3 and len(refs) == 12
    # Urgent ones go sooner, after a random delay kept in memory only; the row says "from this hour".
    assert [r["notify_after"] for r in rows if r["urgency"] == "urgent"] == [hour] and urgent
    assert all(0 <= t - now <= 120 for t in desk.soon.values()) and len(desk.soon) == 1
    await book.add_message(refs[0], "reviewer", "hello")
    await book.mark_notified(refs[0])
    await book.open_session(refs[0])
    # A notifier's claim on a due case is stored too: it ends on an hour, at least five minutes away.
    [due] = [d for d in await book.due_notifications() if d.urgency == "urgent"]
    claim = await book.claim_notice(due)
    assert claim is not None and claim.until % 3600 == 0 and claim.until - now >= 300
    times = [r["at"] for r in await db.fetchall("SELECT at FROM report_messages")]
    times += [r["notified_at"] for r in await db.fetchall("SELECT notified_at FROM reports WHERE notified_at IS NOT NULL")]
    assert set(times) == {hour}
    [session] = await db.fetchall("SELECT expires FROM case_sessions")
    assert session["expires"] % 3600 == 0 and session["expires"] - now >= 1800
    stored = [r["notify_after"] for r in await db.fetchall("SELECT notify_after FROM reports WHERE urgency = 'urgent'")]
    assert stored == [claim.until]


async def test_closed_is_final_unless_reopened(env):
    db, book, desk, clock = env
    ref, _ = await file(desk)
    assert await book.acknowledge(ref) and not await book.acknowledge(ref)
    assert await book.close(ref, "no_violation") and not await book.close(ref, "action_taken")
    assert not await book.acknowledge(ref) and not await book.add_message(ref, "reviewer", "late")
    assert [(r["status"], r["outcome"]) for r in await db.fetchall("SELECT status, outcome FROM reports")] == [("closed", "no_violation")]
    assert await book.reopen(ref) and await book.status(ref) == "in_review" and not await book.reopen(ref)


async def test_retention_purges_closed_cases_only(env):
    db, book, desk, clock = env
    closed, _ = await file(desk, token="a")
    still_open, _ = await file(desk, token="b")
    await book.add_message(closed, "reviewer", "thanks")
    await book.open_session(closed)
    await book.close(closed, "action_taken")
    clock.now += 364 * 86400
    assert await book.purge(365) == 0
    clock.now += 2 * 86400
    assert await book.purge(365) == 1
    assert await book.case(closed) is None and await book.case(still_open) is not None
    assert await count(db, "report_messages") == 0 and await count(db, "case_sessions") == 0


def reports_env(monkeypatch, tmp_path, database_url, key: str | None = None) -> None:
    monkeypatch.setenv("SMPOLICY_DATA_DIR", str(tmp_path))
    if database_url:
        monkeypatch.setenv("SMPOLICY_DATABASE_URL", database_url)
    if key is not None:
        monkeypatch.setenv("SMPOLICY_REPORT_KEY", key)


async def smpolicy(*args: str) -> int:
    """The command line in this process (its own event loop, on a thread: the test's loop is running)."""
    return await asyncio.to_thread(main, list(args))


async def test_key_rotation_with_rekey(tmp_path, pack, storage, database_url, monkeypatch, capsys):
    old, new = new_key(), new_key()
    book = CaseBook(storage.cases, storage.reviewers, Sealer(load_keys(old, tmp_path)))
    desk = ReportDesk(storage.cases, book.sealer, pack)
    ref, _ = await file(desk, "rotate me")
    await book.add_message(ref, "reviewer", "and me")
    before = await rows_text(storage.db)
    reports_env(monkeypatch, tmp_path, database_url, f"{new},{old}")
    assert await smpolicy("reports", "rekey") == 0
    out = capsys.readouterr()
    assert "re-encrypted 2 record(s)" in out.out and "rotate me" not in out.out + out.err
    assert await rows_text(storage.db) != before
    monkeypatch.setenv("SMPOLICY_REPORT_KEY", new)  # the old key can now be dropped
    assert await smpolicy("reports", "show", ref) == 0
    shown = capsys.readouterr().out
    assert "what: rotate me" in shown and "reviewer: and me" in shown
    with pytest.raises(TamperedError):  # the old key alone opens nothing any more
        await book.case(ref)


async def test_rekey_with_a_key_that_opens_nothing_changes_nothing(tmp_path, pack, storage, database_url, monkeypatch, capsys, log_lines):
    right = new_key()
    desk = ReportDesk(storage.cases, Sealer(load_keys(right, tmp_path)), pack)
    await file(desk, "sealed words", token="a")
    await file(desk, "more sealed words", token="b")
    before = await rows_text(storage.db)
    reports_env(monkeypatch, tmp_path, database_url, f"{new_key()},{new_key()}")
    assert await smpolicy("reports", "rekey") == 1
    err = capsys.readouterr().err
    assert "nothing was changed" in err and "sealed words" not in err + log_lines.getvalue()
    assert await rows_text(storage.db) == before


async def test_cli_list_show_export_purge(tmp_path, pack, storage, database_url, monkeypatch, capsys):
    reports_env(monkeypatch, tmp_path, database_url)
    sealer = Sealer(load_keys("", tmp_path))
    desk = ReportDesk(storage.cases, sealer, pack, notify_delay=0)
    ref, _ = await file(desk, "Screenshots of the Acme deal on X")
    await CaseBook(storage.cases, storage.reviewers, sealer).add_message(ref, "reviewer", "Which account?")
    assert await smpolicy("reports", "list") == 0
    out = capsys.readouterr().out
    assert ref in out and "not yet announced to reviewers" in out
    assert await smpolicy("reports", "show", ref) == 0
    assert "Screenshots of the Acme deal" in capsys.readouterr().out
    assert await smpolicy("reports", "export", "--csv") == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "ref,status,urgency,guideline,filed_utc,outcome,messages" and lines[1].startswith(ref + ",new,normal,other,")
    assert lines[1].endswith(",1")
    assert await smpolicy("reports", "show", "R-NONE00") == 1
    assert await smpolicy("reports", "purge", "--days", "1") == 0
    assert "deleted 0 case(s)" in capsys.readouterr().out
    assert await count(storage.db, "reports") == 1
