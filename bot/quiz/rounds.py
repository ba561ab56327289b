"""Weekly quiz rounds: every person in the audience gets this week's invitation at most once.

    for each person (not opted out, not yet sent this round):
        log 'sending' (committed) ──▶ deliver invitation + first question ──▶ log 'sent'
                                               └── fails after retries ──▶ log 'failed' (retried next run)

A crash between 'sending' and 'sent' leaves the person in 'sending'. The next run asks the channel
whether the invitation arrived (`confirm`: Slack looks for the round's message metadata in the DM);
a channel that cannot tell counts it as delivered, so nobody gets a round twice.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

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
    round_id: str
    audience: int = 0
    sent: int = 0
    already: int = 0
    opted_out: int = 0
    failed: int = 0


class Rounds:
    def __init__(self, store: Store, quiz: QuizMaster, concurrency: int = 8, clock: Callable[[], float] = time.time):
        self.store, self.quiz, self.concurrency, self.clock = store, quiz, concurrency, clock

    # ---------------------------------------------------------------- opting out

    def opted_out(self, user_key: str) -> bool:
        return self.store.db.execute("SELECT 1 FROM quiz_optout WHERE user_key = ?", [user_key]).fetchone() is not None

    def set_opt_out(self, user_key: str, out: bool) -> None:
        if out:
            self.store.write(lambda db: db["quiz_optout"].upsert({"user_key": user_key, "at": self.clock()}, pk="user_key"))
        else:
            self.store.write(lambda db: db.execute("DELETE FROM quiz_optout WHERE user_key = ?", [user_key]))

    # ---------------------------------------------------------------- the send log

    def _state(self, rid: str, user_key: str) -> str | None:
        row = self.store.db.execute("SELECT state FROM quiz_sends WHERE round_id = ? AND user_key = ?", [rid, user_key]).fetchone()
        return row[0] if row else None

    def _log(self, rid: str, user_key: str, state: str, channel: str) -> None:
        self.store.write(lambda db: db["quiz_sends"].upsert({"round_id": rid, "user_key": user_key, "state": state, "channel": channel,
                                                            "at": self.clock()}, pk=("round_id", "user_key")))

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

    async def run(self, rid: str, audiences: list[Audience], progress: Callable[[int, int], None] | None = None) -> RoundResult:
        """Send round `rid` to everyone in the audiences who hasn't had it; safe to run again at any time."""
        self.store.write(lambda db: db.execute("INSERT OR IGNORE INTO quiz_rounds (round_id, started_at) VALUES (?, ?)", [rid, self.clock()]))
        result = RoundResult(rid)
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
            state = self._state(rid, user_key)
            if state == "sent":
                result.already += 1
                return
            if self.opted_out(user_key):
                result.opted_out += 1
                return
            if state == "sending":  # a crash after logging, before confirming: did it arrive?
                arrived = await audience.confirm(user_key, rid) if audience.confirm else None
                if arrived or arrived is None:
                    self._log(rid, user_key, "sent", audience.name)
                    result.already += 1
                    return
            self._log(rid, user_key, "sending", audience.name)
            try:
                await audience.deliver(user_key, self.invitation(user_key, rid), rid)
            except Exception as exc:
                log.warning("quiz invitation failed", extra={"channel": audience.name, "error": type(exc).__name__})
                self._log(rid, user_key, "failed", audience.name)
                result.failed += 1
                return
            self._log(rid, user_key, "sent", audience.name)
            result.sent += 1

        async def worker() -> None:
            nonlocal done
            while not queue.empty():
                audience, user_key = queue.get_nowait()
                await one(audience, user_key)
                done += 1
                if progress:
                    progress(done, len(work))

        await asyncio.gather(*(worker() for _ in range(self.concurrency)))
        if result.failed == 0:
            self.store.write(lambda db: db.execute("UPDATE quiz_rounds SET finished_at = ? WHERE round_id = ?", [self.clock(), rid]))
        return result
