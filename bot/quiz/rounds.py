"""Weekly quiz rounds: every person in the audience gets this week's invitation at most once, however many
senders start at once (two `quiz send`s, a scheduler and a restart, replicas).

    take the round's lease (one sender at a time; others wait) ──▶ for each person:
        claim (the send log's row count decides: bot/storage/rounds.py) ──▶ deliver ──▶ 'sent'
                                                         └── fails after retries ──▶ 'failed' (retried next run)

The lease is renewed while sending; a sender that dies (SIGKILL) lets it run out, and the next one takes over.
Its claims are left in 'sending': the new sender takes them over and asks the channel whether the invitation
arrived (`confirm`: Slack looks for the round's message metadata in the DM) before sending; a channel that
cannot tell counts it as delivered, so nobody gets a round twice.

A sender told to stop (`stop`: the server is shutting down) claims nobody more; an invitation already handed to
the channel finishes, a claim not yet handed over is marked 'failed'; then the lease is released, so another
process resumes the round at once instead of waiting for the lease to run out.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from bot.leases import TTL, Leases
from bot.messages import Card, Reply
from bot.quiz.flow import QuizMaster
from bot.storage.rounds import RoundLog, Send

log = logging.getLogger("smpolicy.quiz")


def round_id(now: float, timezone: str = "UTC") -> str:
    """A round is named by its ISO week, in the configured time zone: 2026-W48."""
    year, week, _ = dt.datetime.fromtimestamp(now, ZoneInfo(timezone)).isocalendar()
    return f"{year}-W{week:02d}"


@dataclass
class Audience:
    """One channel's people and how to reach them."""

    name: str
    people: Callable[[], Awaitable[list[str]]]
    deliver: Callable[[str, Reply, str], Awaitable[None]]
    confirm: Callable[[str, str], Awaitable[bool | None]] | None = None


@dataclass
class RoundResult:
    """What one run did: `sent` by this process; `already` sent before, by another process or an earlier run;
    `unsettled`: claimed by another sender that had not finished with them (a stalled one: a later run settles
    them); `stopped`: the run was told to stop before everyone was done."""

    round_id: str
    audience: int = 0
    sent: int = 0
    already: int = 0
    opted_out: int = 0
    failed: int = 0
    unsettled: int = 0
    lost_lease: bool = False
    stopped: bool = False

    @property
    def complete(self) -> bool:
        """Whether everyone in the audience is settled: the round can be marked finished."""
        return self.failed == 0 and self.unsettled == 0 and not self.lost_lease and not self.stopped


class Rounds:
    def __init__(self, log: RoundLog, quiz: QuizMaster, leases: Leases, concurrency: int = 8,
                 clock: Callable[[], float] = time.time):
        self.log, self.quiz, self.leases, self.concurrency, self.clock = log, quiz, leases, concurrency, clock
        self.stopping = False

    # ---------------------------------------------------------------- opting out

    async def set_opt_out(self, user_key: str, out: bool) -> None:
        if out:
            await self.log.opt_out(user_key, self.clock())
        else:
            await self.log.opt_in(user_key)

    async def unfinished(self) -> list[str]:
        """Rounds started but not finished (a crash or a stop): the scheduler resumes them at start."""
        return await self.log.unfinished()

    # ---------------------------------------------------------------- running a round

    async def invitation(self, user_key: str, rid: str) -> Reply:
        _, first = await self.quiz.start(user_key, round_id=rid)
        card = first.card
        assert card is not None
        intro = "This week's guideline quiz: three quick questions, instant answers."
        return replace(first, text=f"{intro}\n{first.text}",
                       card=Card(title="This week's guideline quiz", body=f"{intro}\n\n{card.title}: {card.body}", buttons=card.buttons,
                                 note="Say \"quiz off\" to stop these invitations, \"quiz on\" to get them again."))

    def stop(self) -> None:
        """Claim nobody more (the process is ending): running rounds finish what is handed to a channel and return."""
        self.stopping = True

    async def run(self, rid: str, audiences: list[Audience], progress: Callable[[int, int], None] | None = None,
                  waiting: Callable[[str], None] | None = None) -> RoundResult:
        """Send round `rid` to everyone in the audiences who hasn't had it; safe to run again, and at the same
        time as other senders: it waits for the round's lease (calling `waiting` with who holds it)."""
        lease = f"round:{rid}"
        while not await self.leases.take(lease):
            if self.stopping:
                return RoundResult(rid, stopped=True)
            if waiting:
                waiting(await self.leases.holder_of(lease) or "another sender")
            await asyncio.sleep(1)
        result = RoundResult(rid)
        done = asyncio.Event()
        renewing = asyncio.create_task(self._keep(lease, result, done))
        try:
            await self._send_all(rid, audiences, result, progress)
        finally:
            done.set()
            await renewing  # never cancelled mid-statement: a renewal landing after the release would bring the lease back
            await self.leases.release(lease)
        if result.complete:
            await self.log.finish(rid, self.clock())
        return result

    async def _before_delivery(self) -> None:
        """A point between a claim and its delivery (tests stall a sender here)."""

    async def _keep(self, lease: str, result: RoundResult, done: asyncio.Event) -> None:
        """Renew the lease while sending; if it was lost (this process stalled past its expiry), stop claiming."""
        while True:
            try:
                await asyncio.wait_for(done.wait(), TTL / 3)
                return
            except TimeoutError:
                pass
            if not await self.leases.take(lease):
                log.error("quiz round lease lost: stopping", extra={"error": lease})
                result.lost_lease = True
                return

    async def _send_all(self, rid: str, audiences: list[Audience], result: RoundResult,
                        progress: Callable[[int, int], None] | None) -> None:
        await self.log.start(rid, self.clock())
        work: list[tuple[Audience, str]] = []
        for audience in audiences:
            people = await audience.people()
            result.audience += len(people)
            for user_key in dict.fromkeys(people):
                work.append((audience, user_key))
        queue = deque(work)
        done = 0

        async def worker() -> None:
            nonlocal done
            while queue and not result.lost_lease and not self.stopping:
                audience, user_key = queue.popleft()
                await self._one(rid, audience, user_key, result)
                done += 1
                if progress:
                    progress(done, len(work))

        await asyncio.gather(*(worker() for _ in range(self.concurrency)))
        if queue and self.stopping:
            result.stopped = True

    async def _take(self, rid: str, channel: str, user_key: str, seen: Send | None) -> bool:
        """Claim a person: a new row, or the row as we saw it (failed, or a stopped sender's 'sending')."""
        if seen is None:
            return await self.log.claim(rid, user_key, channel, self.leases.holder, self.clock())
        return await self.log.retake(seen, self.leases.holder, self.clock())

    async def _one(self, rid: str, audience: Audience, user_key: str, result: RoundResult) -> None:
        me = self.leases.holder
        seen = await self.log.send(rid, user_key)
        if seen is not None and seen.state == "sent":
            result.already += 1
            return
        if await self.log.opted_out(user_key):
            result.opted_out += 1
            return
        if not await self._take(rid, audience.name, user_key, seen):
            # Another sender wrote the row since we read it: read it again, once.
            seen = await self.log.send(rid, user_key)
            if seen is not None and seen.state == "sent":
                result.already += 1
                return
            if seen is None or seen.state == "sending" or not await self._take(rid, audience.name, user_key, seen):
                result.unsettled += 1  # in another sender's hands: the round stays unfinished until a run settles it
                return
        if seen is not None and seen.state == "sending":
            # A sender that stopped (we hold the lease now) had claimed this person: did the invitation arrive?
            arrived = await audience.confirm(user_key, rid) if audience.confirm else None
            if arrived or arrived is None:
                await self.log.mark(rid, user_key, me, "sent", self.clock())
                result.already += 1
                return
        invitation = await self.invitation(user_key, rid)
        await self._before_delivery()
        if self.stopping:
            await self.log.mark(rid, user_key, me, "failed", self.clock())  # never handed over: the next run sends it
            result.stopped = True
            return
        if not await self.leases.holds(f"round:{rid}"):
            # We stalled past our lease (a pause, a stuck disk) and another sender may have this person now:
            # send nothing; our claim goes back for whoever holds the round.
            await self.log.mark(rid, user_key, me, "failed", self.clock())
            result.lost_lease = True
            return
        try:
            await audience.deliver(user_key, invitation, rid)
        except Exception as exc:
            log.warning("quiz invitation failed", extra={"channel": audience.name, "error": type(exc).__name__})
            await self.log.mark(rid, user_key, me, "failed", self.clock())
            result.failed += 1
            return
        await self.log.mark(rid, user_key, me, "sent", self.clock())
        result.sent += 1
