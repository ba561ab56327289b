"""Weekly quiz rounds inside `smpolicy serve`: at each time of SMPOLICY_QUIZ_SCHEDULE (cron, in
SMPOLICY_TIMEZONE) send this week's round to every audience; at start, resume an unfinished round; at shutdown,
stop sending (invitations already handed to a channel get a grace period) and give the round's lease back."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from contextlib import suppress
from zoneinfo import ZoneInfo

from cronsim import CronSim

from adapters.background import Background
from bot.quiz.rounds import Audience, Rounds, round_id

log = logging.getLogger("smpolicy.scheduler")
GRACE = 5.0  # seconds an invitation being delivered at shutdown may take (run_app waits 10 s in all)


def next_run(schedule: str, timezone: str, now: float) -> float:
    """The next fire time after `now` (epoch seconds), DST-aware in the time zone."""
    start = dt.datetime.fromtimestamp(now, ZoneInfo(timezone))
    return next(CronSim(schedule, start)).timestamp()


class QuizScheduler(Background):
    def __init__(self, rounds: Rounds, audiences: list[Audience], schedule: str, timezone: str, grace: float = GRACE):
        super().__init__(self.run)
        self.rounds, self.audiences, self.schedule, self.timezone, self.grace = rounds, audiences, schedule, timezone, grace
        self._idle = asyncio.Event()  # set while no round is being sent
        self._idle.set()

    async def send_round(self, rid: str | None = None) -> None:
        rid = rid or round_id(time.time(), self.timezone)
        self._idle.clear()
        try:
            result = await self.rounds.run(rid, self.audiences)
        finally:
            self._idle.set()
        log.info("quiz round stopped" if result.stopped else "quiz round sent",
                 extra={"count": result.sent, "error": f"failed={result.failed}" if result.failed else None})

    async def run(self) -> None:
        for rid in await self.rounds.unfinished():
            if self.rounds.stopping:
                return
            await self.send_round(rid)
        while not self.rounds.stopping:
            wait = next_run(self.schedule, self.timezone, time.time()) - time.time()
            await asyncio.sleep(max(0.0, wait))
            try:
                await self.send_round()
            except Exception as exc:  # the next schedule tick (or a restart) resumes it
                log.error("quiz round failed", extra={"error": type(exc).__name__})
            await asyncio.sleep(1)

    async def start(self, _app=None) -> None:
        if self.audiences:
            await super().start()

    async def stop(self, _app=None) -> None:
        """Stop sending: nobody more is claimed, the invitations being delivered get `grace` seconds, then the
        task is cancelled (one still in flight stays 'sending': the next sender asks the channel whether it
        arrived). The round's lease is released on the way out."""
        self.rounds.stop()
        with suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), self.grace)
        await super().stop()
