"""Found by the red team: a sender that stalls (not dies) past its lease between claiming a person and sending
must not send once it wakes: another sender has taken the round over and sent it. The lease is read from the
database right before each delivery. (A freeze in the middle of the HTTP request itself remains: SECURITY.md.)"""

from __future__ import annotations

import asyncio

from bot.leases import TTL, Leases
from bot.quiz.flow import QuizMaster
from bot.quiz.rounds import Audience, Rounds
from bot.store import Store


class Stalling(Rounds):
    """A sender that freezes after its claim until told to go on."""

    def __init__(self, *args, claimed: asyncio.Event, resume: asyncio.Event, **kwargs):
        super().__init__(*args, **kwargs)
        self.claimed, self.resume = claimed, resume

    async def _before_delivery(self) -> None:
        self.claimed.set()
        await self.resume.wait()


async def test_a_stalled_sender_does_not_send_a_second_invitation(tmp_path, pack):
    store = Store(tmp_path / "smpolicy.db")
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
    a = Stalling(store, QuizMaster(store, pack, clock=clock), clock=clock, leases=Leases(store, "A", clock=clock),
                 concurrency=1, claimed=claimed, resume=resume)
    b = Rounds(store, QuizMaster(store, pack, clock=clock), clock=clock, leases=Leases(store, "B", clock=clock))
    first = asyncio.create_task(a.run("2026-W10", [audience("A")]))
    await asyncio.wait_for(claimed.wait(), 5)
    now[0] += TTL + 1  # A's stall outlasts its lease; B takes the round over and sends it
    done = await asyncio.wait_for(b.run("2026-W10", [audience("B")]), 5)
    resume.set()  # A wakes up where it stalled, about to deliver
    stalled = await asyncio.wait_for(first, 5)
    assert sorted(delivered) == [("B", "slack:T1:U1"), ("B", "slack:T1:U2")], delivered
    assert stalled.lost_lease and stalled.sent == 0 and done.sent == 2
    states = dict(store.db.execute("SELECT user_key, state FROM quiz_sends").fetchall())
    assert states == {"slack:T1:U1": "sent", "slack:T1:U2": "sent"}
