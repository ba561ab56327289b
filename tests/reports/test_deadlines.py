"""Case deadlines on both backends, with an injected clock: the due dates come from the filing day, reminders go
out two days before a due date and once it has passed, each exactly once, also across restarts and with two
notifiers on one database; the reporter sees when to expect an answer; `reports list --json` shows the dates."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from types import SimpleNamespace

from adapters.notifier import Destination, Notifier
from bot.messages import incoming_action
from bot.reports.cases import CaseBook, due_dates
from bot.reports.crypto import Sealer
from bot.reports.flow import ReportDesk
from bot.reports.follow_up import FollowUp
from bot.reports.review import ReviewDesk
from bot.storage import Storage
from tests.reports.test_cases import Clock, file
from tests.reports.test_notifier import replicas  # noqa: F401  (fixture: three storages on one database)

KEY = b"d" * 32
DAY = 86400
FILED = dt.datetime(2027, 3, 1, 15, 20, tzinfo=dt.UTC).timestamp()  # a Monday afternoon


def at(days: float) -> float:
    """`days` after the filing time."""
    return FILED + days * DAY


def make_notifier(storage: Storage, pack, clock: Clock, sent: list[str], fail: int = 0) -> Notifier:
    """A Notifier as `smpolicy serve` builds it, with the clock injected; its destination records each text."""
    book = CaseBook(storage.cases, storage.reviewers, Sealer(KEY), clock=clock)
    failures = {"left": fail}

    async def ready() -> bool:
        return True

    async def send(reply) -> None:
        await asyncio.sleep(0.005)  # a network round trip: another notifier runs meanwhile
        if failures["left"] > 0:
            failures["left"] -= 1
            raise ConnectionError("review channel down")
        sent.append(reply.text)

    bot = SimpleNamespace(cases=book, review=ReviewDesk(book, pack), desk=SimpleNamespace(soon={}), storage=storage)
    return Notifier(bot, [Destination("fake", ready, send)], retention_days=365, clock=clock)


async def file_one(storage: Storage, pack, clock: Clock, what: str = "Someone posted client data", token: str = "t1") -> str:
    desk = ReportDesk(storage.cases, Sealer(KEY), pack, notify_delay=0, clock=clock)
    ref, _ = await file(desk, what, token=token)
    return ref


def test_due_dates_count_from_the_filing_day():
    assert due_dates(FILED, 7, 90) == ("2027-03-08", "2027-05-30")
    late_evening = dt.datetime(2027, 3, 1, 23, 59, tzinfo=dt.UTC).timestamp()
    assert due_dates(late_evening, 7, 90) == ("2027-03-08", "2027-05-30")  # the day, not the hour


async def test_reminders_come_at_the_right_moments_once_each_across_restarts(storage, pack):
    clock = Clock(FILED)
    ref = await file_one(storage, pack, clock, "Mia posted the roadmap slides")
    row = (await storage.cases.listing())[0]
    assert (row.ack_due, row.feedback_due) == ("2027-03-08", "2027-05-30")
    sent: list[str] = []
    notifier = make_notifier(storage, pack, clock, sent)
    for day in (0, 1, 2, 3, 4):  # day 4 is 2027-03-05  # before "2 days to go": nothing
        clock.now = at(day)
        assert await notifier.remind_due() == 0
    clock.now = at(5)  # 2027-03-06: the acknowledgement is due in two days
    assert await notifier.remind_due() == 1
    assert sent == [f"Reminder: case {ref}: acknowledgement is due on 2027-03-08."]
    assert await notifier.remind_due() == 0

    # A restart (a new notifier and case book on the same database) sends nothing again.
    restarted = make_notifier(storage, pack, clock, sent)
    clock.now = at(6)
    assert await restarted.remind_due() == 0
    clock.now = at(6.5)  # 2027-03-08, the due day itself: still not overdue
    assert await restarted.remind_due() == 0
    clock.now = at(8)  # 2027-03-09: overdue
    assert await restarted.remind_due() == 1 and sent[-1] == f"Reminder: case {ref}: acknowledgement is overdue (it was due 2027-03-08)."
    assert await make_notifier(storage, pack, clock, sent).remind_due() == 0
    assert "roadmap" not in " ".join(sent) and "Mia" not in " ".join(sent)  # a bare notice: never the words

    # Acknowledged: no more acknowledgement reminders; feedback ones come 2 days before and after its day.
    assert await storage.cases.acknowledge(ref)
    clock.now = at(87)  # 2027-05-27
    assert await restarted.remind_due() == 0
    clock.now = at(88)  # 2027-05-28
    assert await restarted.remind_due() == 1 and sent[-1] == f"Reminder: case {ref}: feedback to the reporter is due on 2027-05-30."
    clock.now = at(89.5)  # 2027-05-30, the due day
    assert await restarted.remind_due() == 0
    clock.now = at(91)  # 2027-05-31
    assert await restarted.remind_due() == 1 and "feedback to the reporter is overdue" in sent[-1]
    clock.now = at(200)
    assert await make_notifier(storage, pack, clock, sent).remind_due() == 0
    assert len(sent) == 4 and await storage.cases.reminders(ref) == ["ack_overdue", "ack_soon", "feedback_overdue", "feedback_soon"]


async def test_a_reviewer_message_meets_the_feedback_deadline(storage, pack):
    clock = Clock(FILED)
    ref = await file_one(storage, pack, clock)
    book = CaseBook(storage.cases, storage.reviewers, Sealer(KEY), clock=clock)
    assert await book.acknowledge(ref) and await book.add_message(ref, "reviewer", "We are looking into it.")
    sent: list[str] = []
    clock.now = at(95)
    assert await make_notifier(storage, pack, clock, sent).remind_due() == 0 and sent == []


async def test_a_failed_send_is_retried_and_still_sent_once(storage, pack):
    clock = Clock(FILED)
    ref = await file_one(storage, pack, clock)
    sent: list[str] = []
    notifier = make_notifier(storage, pack, clock, sent, fail=1)
    clock.now = at(9)
    assert await notifier.remind_due() == 0 and sent == []  # the channel was down: the claim is given back
    assert await notifier.remind_due() == 1 and await notifier.remind_due() == 0
    assert sent == [f"Reminder: case {ref}: acknowledgement is overdue (it was due 2027-03-08)."]


async def test_two_notifiers_on_one_database_send_each_reminder_once(replicas, pack):  # noqa: F811
    clock = Clock(FILED)
    refs = [await file_one(replicas[0], pack, clock, f"words {i}", f"t{i}") for i in range(5)]
    sent: list[str] = []
    first, second = make_notifier(replicas[1], pack, clock, sent), make_notifier(replicas[2], pack, clock, sent)
    clock.now = at(5)
    counts = await asyncio.gather(first.remind_due(), second.remind_due(), first.remind_due(), second.remind_due())
    assert sum(counts) == 5 and sorted(sent) == sorted(f"Reminder: case {r}: acknowledgement is due on 2027-03-08." for r in refs)


async def test_the_reporter_sees_when_to_expect_an_answer(storage, pack):
    clock = Clock(FILED)
    desk = ReportDesk(storage.cases, Sealer(KEY), pack, notify_delay=0, clock=clock)
    book = CaseBook(storage.cases, storage.reviewers, Sealer(KEY), clock=clock)
    follow_up = FollowUp(book, limits=desk.limits)
    ref, code = await file(desk)
    [view] = await follow_up.verify(incoming_action("web", "someone", "c", "case.verify", "-", {"ref": ref, "code": code}))
    assert "acknowledge it by 2027-03-08, and answer you by 2027-05-30" in view.card.body
    assert await book.acknowledge(ref)
    [view] = await follow_up.verify(incoming_action("web", "someone", "c", "case.verify", "-", {"ref": ref, "code": code}))
    assert "You can expect an answer by 2027-05-30." in view.card.body


async def test_reports_list_json_shows_both_dates_and_what_is_overdue(tmp_path, database_url, pack):
    import os
    import subprocess
    import sys

    from bot.reports.crypto import load_keys
    from tests.conftest import ROOT

    storage = Storage.open(tmp_path / "smpolicy.db", database_url)
    await storage.start()
    try:
        sealer = Sealer(load_keys("", tmp_path))
        ref, _ = await file(ReportDesk(storage.cases, sealer, pack, notify_delay=0, clock=Clock(FILED)))
    finally:
        await storage.close()
    env = {**os.environ, "SMPOLICY_DATA_DIR": str(tmp_path), "SMPOLICY_DATABASE_URL": database_url or ""}
    out = subprocess.run([sys.executable, "-m", "adapters.cli", "reports", "list", "--json"], capture_output=True, text=True,
                         env=env, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    [case] = json.loads(out.stdout)
    assert case["ref"] == ref and case["ack_due"] == "2027-03-08" and case["feedback_due"] == "2027-05-30"
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert case["overdue"] == (["ack", "feedback"] if today > "2027-05-30" else ["ack"] if today > "2027-03-08" else [])
    text = subprocess.run([sys.executable, "-m", "adapters.cli", "reports", "list"], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120).stdout
    assert "ack by 2027-03-08" in text and "feedback by 2027-05-30" in text
