"""Found by the red team: a sender that stalls (not dies) past its lease between claiming a person and sending
must not send once it wakes: another sender has taken the round over and sent it. The lease is read from the
database right before each delivery. (A freeze in the middle of the HTTP request itself remains: SECURITY.md.)"""

from __future__ import annotations

import asyncio

from bot.leases import TTL, Leases
from bot.quiz.flow import QuizMaster
from bot.quiz.rounds import Audience, Rounds
from bot.storage import Storage
from bot.storage.rounds import RoundLog


class Stalling(Rounds):
    """A sender that freezes after its claim until told to go on."""

    def __init__(self, *args, claimed: asyncio.Event, resume: asyncio.Event, **kwargs):
        super().__init__(*args, **kwargs)
        self.claimed, self.resume = claimed, resume

    async def _before_delivery(self) -> None:
        self.claimed.set()
        await self.resume.wait()


async def test_a_stalled_sender_does_not_send_a_second_invitation(database, pack):
    storage = Storage.on(database)
    now = [1_800_000_000.0]
    clock = lambda: now[0]  # noqa: E731
    delivered: list[tuple[str, str]] = []

    def audience(sender: str) -> Audience:
        async def people() -> list[str]:
            return ["slack:T1:U1", "slack:T1:U2"]

        async def deliver(user_key: str, reply, rid: str) -> None:
            delivered.append((sender, user_key))

        async def confirm(user_key: str, rid: str) -> bool:
            return any(u == user_key for _, u in delivered)  # Slack: is the round's message in the DM?

        return Audience("slack", people, deliver, confirm)

    claimed, resume = asyncio.Event(), asyncio.Event()
    a = Stalling(storage.rounds, QuizMaster(storage.quiz, pack, clock=clock), Leases(storage.leases, "A", clock=clock), clock=clock,
                 concurrency=1, claimed=claimed, resume=resume)
    b = Rounds(storage.rounds, QuizMaster(storage.quiz, pack, clock=clock), Leases(storage.leases, "B", clock=clock), clock=clock)
    first = asyncio.create_task(a.run("2026-W10", [audience("A")]))
    await asyncio.wait_for(claimed.wait(), 5)
    now[0] += TTL + 1  # A's stall outlasts its lease; B takes the round over and sends it
    done = await asyncio.wait_for(b.run("2026-W10", [audience("B")]), 5)
    resume.set()  # A wakes up where it stalled, about to deliver
    stalled = await asyncio.wait_for(first, 5)
    assert sorted(delivered) == [("B", "slack:T1:U1"), ("B", "slack:T1:U2")], delivered
    assert stalled.lost_lease and stalled.sent == 0 and done.sent == 2
    sends = await storage.rounds.sends("2026-W10")
    assert {k: (s.state, s.owner) for k, s in sends.items()} == {"slack:T1:U1": ("sent", "B"), "slack:T1:U2": ("sent", "B")}


def fixed_audience(people: list[str], delivered: list[str]) -> Audience:
    async def everyone() -> list[str]:
        return list(people)

    async def deliver(user_key: str, reply, rid: str) -> None:
        delivered.append(user_key)

    return Audience("slack", everyone, deliver)


async def test_a_sender_stopped_between_claim_and_delivery_gives_the_claim_back(database, pack):
    storage = Storage.on(database)
    claimed, resume = asyncio.Event(), asyncio.Event()
    a = Stalling(storage.rounds, QuizMaster(storage.quiz, pack), Leases(storage.leases, "A"), concurrency=1,
                 claimed=claimed, resume=resume)
    delivered: list[str] = []
    running = asyncio.create_task(a.run("2026-W11", [fixed_audience(["u1", "u2"], delivered)]))
    await asyncio.wait_for(claimed.wait(), 5)
    a.stop()  # SIGTERM: the claim in hand has not gone to the channel yet
    resume.set()
    result = await asyncio.wait_for(running, 5)
    assert result.stopped and result.sent == 0 and delivered == []
    assert {k: s.state for k, s in (await storage.rounds.sends("2026-W11")).items()} == {"u1": "failed"}  # u2 never claimed
    assert await storage.leases.get("round:2026-W11") is None and await storage.rounds.unfinished() == ["2026-W11"]
    b = Rounds(storage.rounds, QuizMaster(storage.quiz, pack), Leases(storage.leases, "B"))
    again = await asyncio.wait_for(b.run("2026-W11", [fixed_audience(["u1", "u2"], delivered)]), 5)
    assert again.sent == 2 and sorted(delivered) == ["u1", "u2"] and await storage.rounds.unfinished() == []


class Contested(RoundLog):
    """A send log where another sender's write lands between our read of a person and our claim."""

    def __init__(self, db, competitor_state: str):
        super().__init__(db)
        self.competitor_state = competitor_state

    async def claim(self, round_id, user_key, channel, owner, now) -> bool:
        if user_key == "u1" and await super().claim(round_id, user_key, channel, "C", now) and self.competitor_state != "sending":
            await self.mark(round_id, user_key, "C", self.competitor_state, now)
        return await super().claim(round_id, user_key, channel, owner, now)


async def test_a_claim_lost_to_a_sender_still_sending_leaves_the_round_unfinished(database, pack):
    """The competitor (a stalled sender about to find out) still has u1 in hand: we neither send u1 nor mark the
    round finished, so a later run settles it."""
    storage = Storage.on(database)
    log = Contested(database, "sending")
    delivered: list[str] = []
    result = await Rounds(log, QuizMaster(storage.quiz, pack), Leases(storage.leases, "B")).run(
        "2026-W12", [fixed_audience(["u1", "u2"], delivered)])
    assert (result.sent, result.unsettled, result.already) == (1, 1, 0) and delivered == ["u2"]
    assert not result.complete and await storage.rounds.unfinished() == ["2026-W12"]


async def test_a_claim_lost_to_a_sender_that_failed_is_taken_again(database, pack):
    storage = Storage.on(database)
    log = Contested(database, "failed")
    delivered: list[str] = []
    result = await Rounds(log, QuizMaster(storage.quiz, pack), Leases(storage.leases, "B")).run(
        "2026-W13", [fixed_audience(["u1", "u2"], delivered)])
    assert (result.sent, result.unsettled) == (2, 0) and sorted(delivered) == ["u1", "u2"]
    assert (await log.send("2026-W13", "u1")).owner == "B" and await storage.rounds.unfinished() == []
