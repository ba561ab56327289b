"""Cases, codes, encryption and retention, below the channels."""

import base64
import os
import sqlite3
import stat

import pytest

from adapters.cli import main
from bot.messages import incoming_action
from bot.reports.cases import CaseBook
from bot.reports.crypto import Sealer, TamperedError, load_keys, new_key
from bot.reports.flow import ReportDesk, form_token
from bot.reports.review import ReviewDesk
from bot.store import Store


class Clock:
    def __init__(self, now=1_800_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def env(tmp_path, pack):
    clock = Clock()
    store = Store(tmp_path / "r.db")
    sealer = Sealer(load_keys("", tmp_path))
    desk = ReportDesk(store, sealer, pack, notify_delay=0, clock=clock)
    return store, CaseBook(store, sealer, clock=clock), desk, clock


TOKENS: dict[tuple[int, str, str], str] = {}


def bound(desk, user: str, name: str) -> str:
    """A real form token for `user`, one per test name (the same name gives the same token, as a double click would)."""
    return TOKENS.setdefault((id(desk), user, name), form_token(desk.form_key, user))


async def file(desk, what="Someone posted client data", user="u1", token="t1"):
    [reply] = await desk.submit(incoming_action("web", user, "c", "report.submit", bound(desk, user, token), {"what": what}))
    fields = dict(reply.card.fields)
    return fields["Case"], fields["Follow-up code"]


def test_key_file_is_created_0600_and_reused(tmp_path):
    keys = load_keys("", tmp_path)
    mode = stat.S_IMODE(os.stat(tmp_path / "report.key").st_mode)
    assert mode == 0o600 and keys == load_keys("", tmp_path) and len(keys[0]) == 32


def test_bad_configured_key_is_refused(tmp_path):
    from bot.reports.crypto import KeyError_
    with pytest.raises(KeyError_, match="SMPOLICY_REPORT_KEY"):
        load_keys(base64.urlsafe_b64encode(b"short").decode(), tmp_path)


async def test_text_is_encrypted_at_rest_and_tampering_is_detected(env, tmp_path):
    store, book, desk, _ = env
    ref, _ = await file(desk, "The intern leaked the Globex contract")
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("r.db*"))
    assert b"Globex" not in raw
    assert book.case(ref)["body"]["what"] == "The intern leaked the Globex contract"
    row = store.db.execute("SELECT ciphertext FROM reports WHERE ref = ?", [ref]).fetchone()
    ct = bytearray(base64.b64decode(row[0]))
    ct[3] ^= 1
    store.db.execute("UPDATE reports SET ciphertext = ? WHERE ref = ?", [base64.b64encode(bytes(ct)).decode(), ref])
    with pytest.raises(TamperedError):
        book.case(ref)


async def test_ciphertext_moved_to_another_case_is_detected(env):
    store, book, desk, _ = env
    a, _ = await file(desk, "first", token="a")
    b, _ = await file(desk, "second", token="b")
    nonce, ct = store.db.execute("SELECT nonce, ciphertext FROM reports WHERE ref = ?", [a]).fetchone()
    store.db.execute("UPDATE reports SET nonce = ?, ciphertext = ? WHERE ref = ?", [nonce, ct, b])
    with pytest.raises(TamperedError):
        book.case(b)


async def verify(review, ref, code, user="reporter"):
    [reply] = await review.verify(incoming_action("web", user, "c", "case.verify", "-", {"ref": ref, "code": code}))
    return reply


async def test_wrong_codes_are_limited_per_person_never_per_case(env, pack):
    store, book, desk, clock = env
    review = ReviewDesk(book, pack)
    ref, code = await file(desk)
    assert code.replace("-", "") not in str(store.db.execute("SELECT * FROM reports").fetchall())
    assert (await verify(review, ref, code)).card.title == f"Your case {ref}"
    assert (await verify(review, ref, code.lower())).card.title == f"Your case {ref}"
    # A stranger guessing at the case is stopped after 10 wrong codes an hour; the reporter is not locked out.
    answers = [(await verify(review, ref, "AAAA-BBBB-CCCC", user="stranger")).text for _ in range(11)]
    assert answers[:10] == ["That reference and code don't match."] * 10 and answers[10].startswith("Too many wrong codes")
    assert (await verify(review, ref, code)).card.title == f"Your case {ref}"
    assert (await verify(review, ref, code, user="stranger")).text.startswith("Too many wrong codes")
    clock.now += 3601
    assert (await verify(review, ref, code, user="stranger")).card.title == f"Your case {ref}"
    # An unknown reference answers like a wrong code; a malformed one is refused before anything is stored.
    assert (await verify(review, "R-22222Z", code)).text == "That reference and code don't match."
    assert (await verify(review, "R-" + "9" * 60000, code)).field_errors[0][0] == "ref"
    # Nothing of these attempts is stored: no failure rows, no counts (they live in memory only).
    assert store.db.execute("SELECT COUNT(*) FROM code_failures").fetchone()[0] == 0 and "attempts" not in store.db.table_names()


async def test_at_most_five_reports_an_hour_per_person(env):
    store, book, desk, clock = env
    for i in range(5):
        await file(desk, token=f"t{i}")
    [refused] = await desk.submit(incoming_action("web", "u1", "c", "report.submit", bound(desk, "u1", "t6"), {"what": "x"}))
    assert "5 reports in the last hour" in refused.text
    await file(desk, user="someone-else", token="t7")
    clock.now += 3601
    await file(desk, token="t8")
    assert store.db.execute("SELECT COUNT(*) FROM reports").fetchone()[0] == 7
    assert "attempts" not in store.db.table_names()  # the counts are in memory only: nothing on disk to test a person against


async def test_no_stored_time_is_finer_than_the_hour(pack, tmp_path):
    store = Store(tmp_path / "x.db")
    now = 1_800_001_234.5
    hour = now - now % 3600
    desk = ReportDesk(store, Sealer(b"k" * 32), pack, notify_delay=120, clock=lambda: now)
    book = CaseBook(store, desk.sealer, clock=lambda: now)
    refs = [(await file(desk, token=f"t{i}", user=f"u{i}"))[0] for i in range(12)]
    urgent = await desk.submit(incoming_action("web", "u99", "c", "report.submit", bound(desk, "u99", "x"), {"what": "x", "urgency": "urgent"}))
    rows = store.db.execute("SELECT created_at, notify_after, urgency FROM reports").fetchall()
    assert {r[0] for r in rows} == {hour}
    # Normal reports wait for the next hourly batch (plus jitter); urgent ones go sooner, after a random delay.
    batch = {r[1] - (hour + 3600) for r in rows if r[2] == "normal"}
    assert all(0 <= d <= 120 for d in batch) and len(batch) > 3 and len(refs) == 12
    # Urgent ones go sooner, after a random delay kept in memory only; the row says "from this hour".
    assert [r[1] for r in rows if r[2] == "urgent"] == [hour] and urgent
    assert all(0 <= t - now <= 120 for t in desk.soon.values()) and len(desk.soon) == 1
    book.add_message(refs[0], "reviewer", "hello")
    book.mark_notified(refs[0])
    book.open_session(refs[0])
    times = store.db.execute("SELECT at FROM report_messages").fetchall() + store.db.execute("SELECT notified_at FROM reports "
                                                                                             "WHERE notified_at IS NOT NULL").fetchall()
    assert {t for (t,) in times} == {hour}
    [(expires,)] = store.db.execute("SELECT expires FROM case_sessions").fetchall()
    assert expires % 3600 == 0 and expires - now >= 1800


async def test_closed_is_final_unless_reopened(env, pack):
    store, book, desk, clock = env
    ref, _ = await file(desk)
    assert book.acknowledge(ref) and not book.acknowledge(ref)
    assert book.close(ref, "no_violation") and not book.close(ref, "action_taken")
    assert not book.acknowledge(ref) and not book.add_message(ref, "reviewer", "late")
    assert store.db.execute("SELECT status, outcome FROM reports").fetchall() == [("closed", "no_violation")]
    assert book.reopen(ref) and book.status(ref) == "in_review" and not book.reopen(ref)


async def test_retention_purges_closed_cases_only(env):
    store, book, desk, clock = env
    closed, _ = await file(desk, token="a")
    still_open, _ = await file(desk, token="b")
    book.add_message(closed, "reviewer", "thanks")
    book.close(closed, "action_taken")
    clock.now += 364 * 86400
    assert book.purge(365) == 0
    clock.now += 2 * 86400
    assert book.purge(365) == 1
    assert book.case(closed) is None and book.case(still_open) is not None
    assert store.db.execute("SELECT COUNT(*) FROM report_messages").fetchone()[0] == 0


async def test_key_rotation_with_rekey(tmp_path, pack, monkeypatch, capsys):
    old, new = new_key(), new_key()
    store = Store(tmp_path / "smpolicy.db")
    desk = ReportDesk(store, Sealer(load_keys(old, tmp_path)), pack)
    ref, _ = await file(desk, "rotate me")
    store.close()
    monkeypatch.setenv("SMPOLICY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SMPOLICY_REPORT_KEY", f"{new},{old}")
    assert main(["reports", "rekey"]) == 0
    assert "re-encrypted 1 record" in capsys.readouterr().out
    monkeypatch.setenv("SMPOLICY_REPORT_KEY", new)  # the old key can now be dropped
    assert main(["reports", "show", ref]) == 0
    assert "what: rotate me" in capsys.readouterr().out


async def test_cli_list_show_export_purge(tmp_path, pack, monkeypatch, capsys):
    monkeypatch.setenv("SMPOLICY_DATA_DIR", str(tmp_path))
    store = Store(tmp_path / "smpolicy.db")
    sealer = Sealer(load_keys("", tmp_path))
    desk = ReportDesk(store, sealer, pack, notify_delay=0)
    ref, _ = await file(desk, "Screenshots of the Acme deal on X")
    store.close()
    assert main(["reports", "list"]) == 0
    out = capsys.readouterr().out
    assert ref in out and "not yet announced to reviewers" in out
    assert main(["reports", "show", ref]) == 0
    assert "Screenshots of the Acme deal" in capsys.readouterr().out
    assert main(["reports", "export", "--csv"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "ref,status,urgency,guideline,filed_utc,outcome,messages" and lines[1].startswith(ref + ",new,normal,other,")
    assert main(["reports", "show", "R-NONE00"]) == 1
    assert main(["reports", "purge", "--days", "1"]) == 0
    assert "deleted 0 case(s)" in capsys.readouterr().out
    assert sqlite3.connect(tmp_path / "smpolicy.db").execute("SELECT COUNT(*) FROM reports").fetchone()[0] == 1
