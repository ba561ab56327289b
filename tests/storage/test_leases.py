"""Lease rows on both backends: one holder at a time, renewals, expiry, release (one or all of a holder's)."""

from __future__ import annotations

import asyncio

from bot.leases import Leases
from bot.storage import open_database
from bot.storage.leases import LeaseTable


async def test_one_holder_at_a_time_until_it_runs_out(database):
    rows = LeaseTable(database)
    assert await rows.take("round:a", "A", now=100.0, until=130.0)
    assert not await rows.take("round:a", "B", now=110.0, until=140.0)  # A has it
    assert await rows.take("round:a", "A", now=120.0, until=150.0)  # a renewal
    assert (await rows.get("round:a")).expires_at == 150.0
    assert not await rows.take("round:a", "B", now=149.0, until=179.0)
    assert await rows.take("round:a", "B", now=151.0, until=181.0)  # A's ran out
    lease = await rows.get("round:a")
    assert (lease.holder, lease.expires_at) == ("B", 181.0)


async def test_release_is_the_holders_only_and_release_all_takes_every_one(database):
    rows = LeaseTable(database)
    for name, holder in (("round:a", "A"), ("round:b", "A"), ("round:c", "B")):
        assert await rows.take(name, holder, now=0.0, until=30.0)
    assert not await rows.release("round:c", "A")  # never someone else's
    assert await rows.release_all("A") == ["round:a", "round:b"]
    assert await rows.get("round:a") is None and await rows.get("round:b") is None
    assert (await rows.get("round:c")).holder == "B"
    assert await rows.release("round:c", "B") and await rows.get("round:c") is None
    assert await rows.release_all("A") == []


async def test_holders_racing_for_a_lease_one_wins(database_url, tmp_path):
    """Eight holders on their own connections (replicas) take twenty leases at once: each goes to exactly one."""
    databases = [open_database(tmp_path / "smpolicy.db", database_url) for _ in range(8)]
    for db in databases:
        await db.start()
    try:
        leases = [Leases(LeaseTable(db), holder=f"replica-{i}", clock=lambda: 1000.0) for i, db in enumerate(databases)]
        for n in range(20):
            won = await asyncio.gather(*(lease.take(f"round:{n}") for lease in leases))
            assert won.count(True) == 1, won
            winner = leases[won.index(True)]
            assert await leases[0].holder_of(f"round:{n}") == winner.holder
    finally:
        for db in databases:
            await db.close()


async def test_holds_reads_the_row_with_a_margin(database):
    now = [1000.0]
    a = Leases(LeaseTable(database), holder="A", clock=lambda: now[0])
    b = Leases(LeaseTable(database), holder="B", clock=lambda: now[0])
    assert await a.take("round:x", ttl=30)
    assert await a.holds("round:x", margin=10) and not await b.holds("round:x", margin=10)
    now[0] += 25  # 5 s left: too little to start a delivery on
    assert not await a.holds("round:x", margin=10) and await a.holder_of("round:x") == "A"
    now[0] += 6
    assert await a.holder_of("round:x") is None and await b.take("round:x")
    await a.release("round:x")  # not A's any more: nothing happens
    assert await b.holder_of("round:x") == "B"
    assert await b.release_all() == ["round:x"] and await a.holder_of("round:x") is None
