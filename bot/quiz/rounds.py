"""Weekly quiz rounds: every person in the audience gets this week's invitation at most once, however many
senders start at once (two `quiz send`s, a scheduler and a restart, replicas).

    take the round's lease (one sender at a time; others wait) ──▶ for each person:
        claim (one INSERT ... ON CONFLICT DO NOTHING: its row count decides) ──▶ deliver ──▶ 'sent'
                                                         └── fails after retries ──▶ 'failed' (retried next run)

The lease is renewed while sending; a sender that dies (SIGKILL) lets it run out, and the next one takes over.
Its claims are left in 'sending': the new sender asks the channel whether the invitation arrived (`confirm`:
Slack looks for the round's message metadata in the DM) before claiming them again; a channel that cannot tell
counts it as delivered, so nobody gets a round twice.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from bot.leases import TTL, Leases
from bot.messages import Card, Reply
from bot.quiz.flow import QuizMaster
from bot.store import Store

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
    """What one run did: `sent` by this process; `already` sent before, by another process or an earlier run."""

    round_id: str
    audience: int = 0
    sent: int = 0
    already: int = 0
    opted_out: int = 0
    failed: int = 0
    lost_lease: bool = False


class Rounds:
    def __init__(self, store: Store, quiz: QuizMaster, concurrency: int = 8, clock: Callable[[], float] = time.time,
                 leases: Leases | None = None):
        self.store, self.quiz, self.concurrency, self.clock = store, quiz, concurrency, clock
        self.leases = leases or Leases(store)

    # ---------------------------------------------------------------- opting out

    def opted_out(self, user_key: str) -> bool:
        return self.store.db.execute("SELECT 1 FROM quiz_optout WHERE user_key = ?", [user_key]).fetchone() is not None

    def set_opt_out(self, user_key: str, out: bool) -> None:
        if out:
            self.store.write(lambda db: db["quiz_optout"].upsert({"user_key": user_key, "at": self.clock()}, pk="user_key"))
        else:
            self.store.write(lambda db: db.execute("DELETE FROM quiz_optout WHERE user_key = ?", [user_key]))

    # ---------------------------------------------------------------- the send log

    def _row(self, rid: str, user_key: str) -> tuple[str | None, str]:
        row = self.store.db.execute("SELECT state, owner FROM quiz_sends WHERE round_id = ? AND user_key = ?", [rid, user_key]).fetchone()
        return (row[0], row[1] or "") if row else (None, "")

    def _claim(self, rid: str, user_key: str, channel: str) -> bool:
        """Claim a person for this round: one insert, and whoever's insert lands sends."""
        me, now = self.leases.holder, self.clock()
        return self.store.write(lambda db: db.execute(
            "INSERT INTO quiz_sends (round_id, user_key, state, channel, at, owner) VALUES (?, ?, 'sending', ?, ?, ?) "
            "ON CONFLICT (round_id, user_key) DO NOTHING", [rid, user_key, channel, now, me]).rowcount == 1)

    def _reclaim(self, rid: str, user_key: str, state: str, owner: str) -> bool:
        """Take over a failed claim, or a crashed sender's, only if it is still as we saw it."""
        me, now = self.leases.holder, self.clock()
        return self.store.write(lambda db: db.execute(
            "UPDATE quiz_sends SET state = 'sending', owner = ?, at = ? WHERE round_id = ? AND user_key = ? AND state = ? "
            "AND COALESCE(owner, '') = ?", [me, now, rid, user_key, state, owner]).rowcount == 1)

    def _finish(self, rid: str, user_key: str, state: str) -> None:
        me, now = self.leases.holder, self.clock()
        self.store.write(lambda db: db.execute("UPDATE quiz_sends SET state = ?, at = ? WHERE round_id = ? AND user_key = ? AND owner = ?",
                                               [state, now, rid, user_key, me]))

    def unfinished(self) -> list[str]:
        """Rounds started but not finished (a crash or a stop): the scheduler resumes them at start."""
        return [r[0] for r in self.store.db.execute("SELECT round_id FROM quiz_rounds WHERE finished_at IS NULL ORDER BY started_at")]

    # ---------------------------------------------------------------- running a round

    def invitation(self, user_key: str, rid: str) -> Reply:
        _, first = self.quiz.start(user_key, round_id=rid)
        card = first.card
        assert card is not None
        intro = "This week's guideline quiz: three quick questions, instant answers."
        return replace(first, text=f"{intro}\n{first.text}",
                       card=Card(title="This week's guideline quiz", body=f"{intro}\n\n{card.title}: {card.body}", buttons=card.buttons,
                                 note="Say \"quiz off\" to stop these invitations, \"quiz on\" to get them again."))

    async def run(self, rid: str, audiences: list[Audience], progress: Callable[[int, int], None] | None = None,
                  waiting: Callable[[str], None] | None = None) -> RoundResult:
        """Send round `rid` to everyone in the audiences who hasn't had it; safe to run again, and at the same
        time as other senders: it waits for the round's lease (calling `waiting` with who holds it)."""
        lease = f"round:{rid}"
        while not self.leases.take(lease):
            if waiting:
                waiting(self.leases.holder_of(lease) or "another sender")
            await asyncio.sleep(1)
        result = RoundResult(rid)
        renewing = asyncio.create_task(self._keep(lease, result))
        try:
            await self._send_all(rid, audiences, result, progress)
        finally:
            renewing.cancel()
            self.leases.release(lease)
        if result.failed == 0 and not result.lost_lease:
            self.store.write(lambda db: db.execute("UPDATE quiz_rounds SET finished_at = ? WHERE round_id = ?", [self.clock(), rid]))
        return result

    async def _before_delivery(self) -> None:
        """A point between a claim and its delivery (tests stall a sender here)."""

    async def _keep(self, lease: str, result: RoundResult) -> None:
        """Renew the lease while sending; if it was lost (this process stalled past its expiry), stop claiming."""
        while True:
            await asyncio.sleep(TTL / 3)
            if not self.leases.take(lease):
                log.error("quiz round lease lost: stopping", extra={"error": lease})
                result.lost_lease = True
                return

    async def _send_all(self, rid: str, audiences: list[Audience], result: RoundResult,
                        progress: Callable[[int, int], None] | None) -> None:
        self.store.write(lambda db: db.execute("INSERT OR IGNORE INTO quiz_rounds (round_id, started_at) VALUES (?, ?)", [rid, self.clock()]))
        work: list[tuple[Audience, str]] = []
        for audience in audiences:
            people = await audience.people()
            result.audience += len(people)
            for user_key in dict.fromkeys(people):
                work.append((audience, user_key))
        done = 0
        queue: asyncio.Queue[tuple[Audience, str]] = asyncio.Queue()
        for item in work:
            queue.put_nowait(item)

        async def one(audience: Audience, user_key: str) -> None:
            state, owner = self._row(rid, user_key)
            if state == "sent":
                result.already += 1
                return
            if self.opted_out(user_key):
                result.opted_out += 1
                return
            if state == "sending" and owner != self.leases.holder:
                # A sender that died (we hold the lease now) claimed this person: did the invitation arrive?
                arrived = await audience.confirm(user_key, rid) if audience.confirm else None
                if arrived or arrived is None:
                    if self._reclaim(rid, user_key, "sending", owner):
                        self._finish(rid, user_key, "sent")
                    result.already += 1
                    return
            if state is None:
                claimed = self._claim(rid, user_key, audience.name)
            else:
                claimed = self._reclaim(rid, user_key, state, owner)
            if not claimed:
                result.already += 1
                return
            invitation = self.invitation(user_key, rid)
            await self._before_delivery()
            if not self.leases.holds(f"round:{rid}"):
                # We stalled past our lease (a pause, a stuck disk) and another sender may have this person now:
                # send nothing; our claim goes back for whoever holds the round.
                self._finish(rid, user_key, "failed")
                result.lost_lease = True
                return
            try:
                await audience.deliver(user_key, invitation, rid)
            except Exception as exc:
                log.warning("quiz invitation failed", extra={"channel": audience.name, "error": type(exc).__name__})
                self._finish(rid, user_key, "failed")
                result.failed += 1
                return
            self._finish(rid, user_key, "sent")
            result.sent += 1

        async def worker() -> None:
            nonlocal done
            while not queue.empty() and not result.lost_lease:
                audience, user_key = queue.get_nowait()
                await one(audience, user_key)
                done += 1
                if progress:
                    progress(done, len(work))

        await asyncio.gather(*(worker() for _ in range(self.concurrency)))
