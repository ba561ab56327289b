"""Review notices from several `smpolicy serve` processes on one database (both backends): each case is announced
once, a failed send is retried, a claim left by a process that died runs out and the case is announced then."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from adapters.notifier import Destination, Notifier
from bot.reports.cases import CaseBook
from bot.reports.crypto import Sealer
from bot.reports.flow import ReportDesk
from bot.reports.review import ReviewDesk
from bot.storage import Storage
from tests.reports.test_cases import Clock, file

KEY = b"n" * 32


@pytest.fixture
async def replicas(database_url, tmp_path):
    """Three processes' storages on the same database."""
    opened = [Storage.open(tmp_path / "smpolicy.db", database_url) for _ in range(3)]
    for storage in opened:
        await storage.start()
    yield opened
    for storage in opened:
        await storage.close()


def notifier(storage: Storage, pack, sent: list[str], clock=None, fail: int = 0) -> Notifier:
    """A Notifier as `smpolicy serve` builds it, over `storage`, whose one destination records each notice's case."""
    book = CaseBook(storage.cases, storage.reviewers, Sealer(KEY), **({"clock": clock} if clock else {}))
    failures = {"left": fail}

    async def ready() -> bool:
        return True

    async def send(reply) -> None:
        await asyncio.sleep(0.005)  # a network round trip: the other notifiers run meanwhile
        if failures["left"] > 0:
            failures["left"] -= 1
            raise ConnectionError("review channel down")
        sent.append(reply.text.split()[2].rstrip(":"))

    bot = SimpleNamespace(cases=book, review=ReviewDesk(book, pack), desk=SimpleNamespace(soon={}), storage=storage)
    return Notifier(bot, [Destination("fake", ready, send)], retention_days=365)


async def file_reports(storage: Storage, pack, n: int) -> list[str]:
    desk = ReportDesk(storage.cases, Sealer(KEY), pack, notify_delay=0)
    return [(await file(desk, f"words {i}", user=f"u{i}", token=f"t{i}"))[0] for i in range(n)]


async def test_two_notifiers_on_one_database_announce_each_case_once(replicas, pack):
    refs = await file_reports(replicas[0], pack, 8)
    sent: list[str] = []
    first, second = notifier(replicas[1], pack, sent), notifier(replicas[2], pack, sent)
    for _ in range(3):  # ticks of both, at the same time
        counts = await asyncio.gather(first.announce_due(), second.announce_due())
    assert sorted(sent) == sorted(refs), "a case was announced twice or not at all"
    assert counts == [0, 0]
    assert all(row.notified_at is not None for row in await replicas[0].cases.listing())


async def test_a_failed_send_gives_the_claim_back_and_the_other_notifier_sends_it(replicas, pack):
    [ref] = await file_reports(replicas[0], pack, 1)
    sent: list[str] = []
    down = notifier(replicas[1], pack, sent, fail=99)
    assert await down.announce_due() == 0 and sent == []
    assert await notifier(replicas[2], pack, sent).announce_due() == 1
    assert sent == [ref]


async def test_a_claim_left_by_a_dead_notifier_runs_out(replicas, pack):
    [ref] = await file_reports(replicas[0], pack, 1)
    clock = Clock(1_800_000_000.0)
    book = CaseBook(replicas[1].cases, replicas[1].reviewers, Sealer(KEY), clock=clock)
    [due] = await book.due_notifications()
    claim = await book.claim_notice(due)  # ... and the process dies before it sends
    assert claim is not None
    sent: list[str] = []
    survivor = notifier(replicas[2], pack, sent, clock=clock)
    assert await survivor.announce_due() == 0 and sent == []  # held by the dead one
    clock.now = claim.until
    assert await survivor.announce_due() == 1 and sent == [ref]


async def test_stopping_ends_a_notifier_that_lost_a_cancel():
    """A cancel lost inside a library (Python 3.11's wait_for, which psycopg_pool waits for connections with) left
    the notifier running and the server's shutdown waiting for it forever: stop cancels again until it ends."""
    from adapters.background import Background

    lost: list[int] = []

    async def run() -> None:
        while True:
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                if lost:
                    raise
                lost.append(1)  # swallowed, as a library can
                asyncio.current_task().uncancel()

    background = Background(run)
    await background.start()
    await asyncio.sleep(0)
    stopping = asyncio.ensure_future(background.stop())
    done, _ = await asyncio.wait([stopping], timeout=3)  # without the second cancel: never (the task sleeps on)
    assert stopping in done and lost == [1] and background._task.cancelled()
