"""Weekly quiz rounds inside `smpolicy serve`: at each time of SMPOLICY_QUIZ_SCHEDULE (cron, in
SMPOLICY_TIMEZONE) send this week's round to every audience; at start, resume an unfinished round."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from zoneinfo import ZoneInfo

from cronsim import CronSim

from adapters.background import Background
from bot.quiz.rounds import Audience, Rounds, round_id

log = logging.getLogger("smpolicy.scheduler")


def next_run(schedule: str, timezone: str, now: float) -> float:
    """The next fire time after `now` (epoch seconds), DST-aware in the time zone."""
    start = dt.datetime.fromtimestamp(now, ZoneInfo(timezone))
    return next(CronSim(schedule, start)).timestamp()


class QuizScheduler(Background):
    def __init__(self, rounds: Rounds, audiences: list[Audience], schedule: str, timezone: str):
        super().__init__(self.run)
        self.rounds, self.audiences, self.schedule, self.timezone = rounds, audiences, schedule, timezone

    async def send_round(self, rid: str | None = None) -> None:
        rid = rid or round_id(time.time(), self.timezone)
        result = await self.rounds.run(rid, self.audiences)
        log.info("quiz round sent", extra={"count": result.sent, "error": f"failed={result.failed}" if result.failed else None})

    async def run(self) -> None:
        for rid in await self.rounds.unfinished():
            await self.send_round(rid)
        while True:
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
