"""Background duties of `smpolicy serve`: announce new reports to reviewers, remind them of case deadlines, purge
old closed cases.

A report is announced once its random delay has passed and at least one reviewer destination exists
(the Slack review channel, the Teams reviewers' channel). Without one it waits in the database, listed by
`smpolicy reports list`, and is announced as soon as a destination is configured.

Several `smpolicy serve` processes may share one database: each claims a due case in one statement before
sending (the row count decides who sends), so every case is announced once. A failed send gives the claim back
(the next tick retries); a process that dies mid-send leaves a claim that runs out within about an hour.

Deadline reminders (acknowledgement and feedback, two days before and once overdue) are claimed by inserting a
row per case and kind (`case_reminders`): the first notifier to insert it sends it, nobody ever again, across
restarts and replicas. A failed send deletes the row so the next tick retries.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from adapters.background import Background
from bot.messages import Reply
from bot.routes import Bot

log = logging.getLogger("smpolicy.notifier")


@dataclass
class Destination:
    """A place reviewers read: `ready()` says whether it is configured, `send` posts a reply there."""

    name: str
    ready: Callable[[], Awaitable[bool]]
    send: Callable[[Reply], Awaitable[None]]


class Notifier(Background):
    def __init__(self, bot: Bot, destinations: list[Destination], retention_days: int, interval: float = 1.0,
                 clock: Callable[[], float] = time.time, remind_every: float = 60):
        super().__init__(self.run)
        self.bot, self.destinations, self.retention_days, self.interval = bot, destinations, retention_days, interval
        self.clock, self.remind_every = clock, remind_every
        self.unreadable: set[str] = set()  # cases that fail to decrypt: skipped, counted in /healthz

    async def announce_due(self) -> int:
        """Announce every due report to every ready destination; return how many were announced."""
        ready = [d for d in self.destinations if await d.ready()]
        if not ready:
            return 0
        count = 0
        now = time.time()
        cases = self.bot.cases
        for due in await cases.due_notifications():
            ref = due.ref
            if ref in self.unreadable or self.bot.desk.soon.get(ref, 0) > now:  # an urgent one's jitter, in memory
                continue
            if not await cases.readable(ref):
                # One unreadable case (a lost key, a damaged row) must not stop the others' notices.
                self.unreadable.add(ref)
                log.error("report cannot be decrypted: skipped", extra={"count": len(self.unreadable)})
                continue
            claim = await cases.claim_notice(due)
            if claim is None:  # another notifier on this database has it (or has announced it)
                continue
            kept = bool(await cases.exclusions(ref))
            reply = self.bot.review.notification(ref, due.category, due.urgency, kept)
            delivered = False
            for destination in ready:
                try:
                    await destination.send(reply)
                    delivered = True
                except Exception as exc:  # retried on the next tick; never lost
                    log.error("report notification failed", extra={"channel": destination.name, "error": type(exc).__name__})
            if delivered:
                await cases.mark_notified(ref)
                self.bot.desk.soon.pop(ref, None)
                count += 1
            else:
                await cases.release_notice(claim)
        return count

    async def remind_due(self) -> int:
        """Send every deadline reminder due now (the injected clock) that no notifier has sent; how many."""
        ready = [d for d in self.destinations if await d.ready()]
        if not ready:
            return 0
        count = 0
        now = self.clock()
        for reminder in await self.bot.cases.due_reminders(now):
            claimed = await self.bot.cases.claim_reminder(reminder, now)
            if claimed is None:  # another notifier sent it (or is sending it)
                continue
            reply = self.bot.review.reminder(reminder.text(), reminder.ref)
            delivered = False
            for destination in ready:
                try:
                    await destination.send(reply)
                    delivered = True
                except Exception as exc:
                    log.error("deadline reminder failed", extra={"channel": destination.name, "error": type(exc).__name__})
            if delivered:
                count += 1
            else:
                await self.bot.cases.release_reminder(reminder, claimed)
        return count

    async def run(self) -> None:
        ticks = 0
        last_reminders = float("-inf")
        while True:
            try:
                await self.announce_due()
                if time.monotonic() - last_reminders >= self.remind_every:
                    last_reminders = time.monotonic()
                    await self.remind_due()
                if ticks % 86400 == 0:  # once a day (and at start): retention
                    await self.bot.storage.events.forget(time.time() - 86400)
                    purged = await self.bot.cases.purge(self.retention_days)
                    if purged:
                        log.info("closed cases purged", extra={"count": purged})
            except Exception as exc:
                log.error("notifier tick failed", extra={"error": type(exc).__name__})
            ticks += max(1, int(self.interval))
            await asyncio.sleep(self.interval)

