"""Lease rows on both backends: one holder at a time, renewals, expiry, release (one or all of a holder's)."""

from __future__ import annotations

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
