"""The rounds' send log and opt-out list on both backends: claims are exclusive under concurrency (many
senders on their own connections), pending rows are retaken only as they were seen, and four senders sending
one 500-person round at once reach every person once."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

from bot.leases import Leases
from bot.quiz.flow import QuizMaster
from bot.quiz.rounds import Audience, Rounds
from bot.storage import Storage, open_database
from bot.storage.rounds import RoundLog, Send


async def connections(database_url, tmp_path, n: int):
    """`n` databases on the same storage, each with its own connection(s): replicas, or processes on one file."""
    databases = [open_database(tmp_path / "smpolicy.db", database_url) for _ in range(n)]
    for db in databases:
        await db.start()
    return databases


async def test_rounds_start_once_and_are_unfinished_until_finished(database):
    log = RoundLog(database)
    assert await log.start("2026-W02", 20.0) and await log.start("2026-W01", 10.0)
    assert not await log.start("2026-W02", 99.0)  # a second start keeps the first
    assert await log.unfinished() == ["2026-W01", "2026-W02"]  # oldest first
    await log.finish("2026-W01", 30.0)
    assert await log.unfinished() == ["2026-W02"]


async def test_a_claim_is_one_insert_and_only_its_owner_marks_it(database):
    log = RoundLog(database)
    assert await log.claim("r", "u1", "slack", "A", 1.0)
    assert not await log.claim("r", "u1", "teams", "B", 2.0)  # already claimed: B does not send
    assert not await log.mark("r", "u1", "B", "sent", 3.0)  # nor record it
    assert await log.mark("r", "u1", "A", "sent", 3.0)
    assert await log.send("r", "u1") == Send("r", "u1", "sent", "slack", 3.0, "A")
    assert await log.send("r", "nobody") is None
    assert await log.claim("other-round", "u1", "slack", "B", 4.0)  # a round is its own log


async def test_concurrent_claims_give_each_person_to_one_sender(database_url, tmp_path):
    databases = await connections(database_url, tmp_path, 4)
    try:
        logs = [RoundLog(db) for db in databases]
        people = [f"slack:T1:U{i:04d}" for i in range(200)]
        order = [random.Random(seed).sample(people, len(people)) for seed in range(4)]

        async def claim_all(i: int) -> list[str]:
            return [u for u in order[i] if await logs[i].claim("2026-W10", u, "slack", f"sender-{i}", 1.0)]

        won = await asyncio.gather(*(claim_all(i) for i in range(4)))
        assert sorted(u for w in won for u in w) == sorted(people)  # everyone once, nobody twice
        sends = await logs[0].sends("2026-W10")
        assert {u: s.owner for u, s in sends.items()} == {u: f"sender-{i}" for i, w in enumerate(won) for u in w}
    finally:
        for db in databases:
            await db.close()


async def test_a_pending_row_is_retaken_once_and_only_as_it_was_seen(database_url, tmp_path):
    databases = await connections(database_url, tmp_path, 4)
    try:
        logs = [RoundLog(db) for db in databases]
        people = [f"u{i}" for i in range(60)]
        for u in people:
            assert await logs[0].claim("r", u, "slack", "dead", 1.0)
        for u in people[:30]:
            await logs[0].mark("r", u, "dead", "failed", 2.0)  # half failed, half left in 'sending' by a dead sender
        seen = await logs[0].sends("r")

        async def retake_all(i: int) -> list[str]:
            return [u for u in people if await logs[i].retake(seen[u], f"sender-{i}", 3.0)]

        won = await asyncio.gather(*(retake_all(i) for i in range(4)))
        assert Counter(u for w in won for u in w) == Counter(people)
        after = await logs[0].sends("r")
        assert {s.state for s in after.values()} == {"sending"} and {s.owner for s in after.values()} <= {f"sender-{i}" for i in range(4)}
        # As first seen, every row has changed since: nobody can retake it with that view.
        assert not any([await logs[0].retake(seen[u], "late", 4.0) for u in people])
        await logs[1].mark("r", "u0", after["u0"].owner, "sent", 5.0)
        assert not await logs[1].retake(await logs[1].send("r", "u0"), "late", 6.0)  # a sent row is never retaken
    finally:
        for db in databases:
            await db.close()


async def test_a_row_being_claimed_elsewhere_is_skipped_not_waited_for_on_postgresql(pg_server, tmp_path):
    """FOR UPDATE SKIP LOCKED: while another replica's transaction holds the row, a retake returns at once."""
    from tests.pg_server import fresh_name

    db = open_database(tmp_path / "unused.db", pg_server.create_database(fresh_name()))
    await db.start()
    try:
        log = RoundLog(db)
        assert await log.claim("r", "u1", "slack", "dead", 1.0) and await log.claim("r", "u2", "slack", "dead", 1.0)
        await log.mark("r", "u1", "dead", "failed", 2.0)
        seen = await log.sends("r")
        async with db.transaction() as other:
            assert await other.fetchone("SELECT user_key FROM quiz_sends WHERE user_key = 'u1' FOR UPDATE") == {"user_key": "u1"}
            started = asyncio.get_running_loop().time()
            assert not await asyncio.wait_for(log.retake(seen["u1"], "B", 3.0), 5)  # locked: skipped
            assert asyncio.get_running_loop().time() - started < 1
            assert await asyncio.wait_for(log.retake(seen["u2"], "B", 3.0), 5)  # another row: not blocked by it
        assert await log.retake(seen["u1"], "B", 4.0)  # free again, still as seen
    finally:
        await db.close()


async def test_opting_out_and_back_in(database):
    log = RoundLog(database)
    assert not await log.opted_out("u1")
    await log.opt_out("u1", 1.0)
    await log.opt_out("u1", 2.0)  # twice is the same
    await log.opt_out("u2", 1.0)
    assert await log.opted_out("u1") and await log.opted_out("u2") and not await log.opted_out("u3")
    await log.opt_in("u1")
    await log.opt_in("u1")
    assert not await log.opted_out("u1") and await log.opted_out("u2")


async def test_four_senders_one_500_person_round_everyone_once(database_url, tmp_path, pack):
    """Four Rounds with different holders, each on its own connections (replicas, or `quiz send`s on one file),
    start one round at the same moment; every person is delivered exactly once and the round ends finished."""
    n = 500
    databases = await connections(database_url, tmp_path, 4)
    try:
        delivered: list[tuple[int, str]] = []
        people = [f"slack:T1:U{i:04d}" for i in range(n)]

        def audience(i: int) -> Audience:
            async def everyone() -> list[str]:
                return list(people)

            async def deliver(user_key: str, reply, rid: str) -> None:
                await asyncio.sleep(0)
                delivered.append((i, user_key))

            async def confirm(user_key: str, rid: str) -> bool:
                return any(u == user_key for _, u in delivered)

            return Audience("slack", everyone, deliver, confirm)

        senders = []
        for i, db in enumerate(databases):
            storage = Storage.on(db)
            senders.append(Rounds(storage.rounds, QuizMaster(storage.quiz, pack, rng=random.Random(i)),
                                  Leases(storage.leases, holder=f"replica-{i}")))
        results = await asyncio.wait_for(asyncio.gather(*(s.run("2026-W20", [audience(i)]) for i, s in enumerate(senders))), 120)
        counts = Counter(u for _, u in delivered)
        assert len(counts) == n and set(counts.values()) == {1}, f"{sum(c > 1 for c in counts.values())} people got it twice"
        assert sum(r.sent for r in results) == n and all(r.sent + r.already == n for r in results)
        sends = await senders[0].log.sends("2026-W20")
        assert len(sends) == n and {s.state for s in sends.values()} == {"sent"}
        assert await senders[0].unfinished() == [] and await senders[0].leases.holder_of("round:2026-W20") is None
    finally:
        for db in databases:
            await db.close()
