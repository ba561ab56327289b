"""Answer events: every answer counted (day, channel, verdict, guideline, confidence band), written after the
reply in batches; the scrubbed words of recent answers kept in memory for a later Not helpful or Ask.

Nothing here is told who a person is: an answer is queued with its channel, words and the asker's names (for
the scrubber), never a user key or conversation.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from datetime import UTC, datetime

from bot.messages import Incoming
from bot.policy.engine import Answer, Engine
from bot.scrub import scrub
from bot.storage.errors import StoreError
from bot.storage.insights import AnswerEvent, Insights

log = logging.getLogger("smpolicy.owners")

EVENT_PREFIX = "ev-"
WORDS_CACHE = 10_000  # scrubbed words of recent answers, in memory only, for a later Not helpful or Ask
WORDS_SECONDS = 24 * 3600
BATCH_SECONDS = 0.2
QUEUE_LIMIT = 50_000  # answers waiting to be written: about 10 MB, a minute at a high rate


def today(clock: Callable[[], float] = time.time) -> str:
    return datetime.fromtimestamp(clock(), UTC).strftime("%Y-%m-%d")


def band(confidence: float) -> str:
    """Confidence as a band (what the owners need; the exact score says nothing more to them)."""
    return "high" if confidence >= 0.75 else "medium" if confidence >= 0.5 else "low"


def needs_owner(answer: Answer) -> bool:
    """Whether an answer offers "Ask the policy owners": not covered, or unsure (small talk never)."""
    return answer.kind != "smalltalk" and (answer.verdict == "unknown" or answer.kind == "unsure")


class Recorder:
    """Counts every answer. `record` only appends a tuple to a bounded queue (the reply is not held up): one
    drainer task, started when the queue gets its first entry and ended when it is empty, builds the events
    (day, scrubbing, the nearest situation) and writes them in batches. A failed write is logged and dropped
    (counts, not records); so is an answer that finds the queue full (the database has been down a while)."""

    def __init__(self, insights: Insights, engine: Engine, keep_words: bool, clock: Callable[[], float] = time.time,
                 limit: int = QUEUE_LIMIT):
        self.insights, self.engine, self.keep_words, self.clock, self.limit = insights, engine, keep_words, clock, limit
        # recorded, not yet made into events: (event id, at, channel, words, names, answer), never who or where
        self.queue: deque[tuple[str, float, str, str, tuple[str, ...], Answer]] = deque()
        self.pending: list[AnswerEvent] = []  # events, not yet written
        # event id -> (at, (scrubbed words, gap)) or, not scrubbed until needed, (at, (text, names, gap)): memory only
        self.words: OrderedDict[str, tuple[float, tuple]] = OrderedDict()
        self._drainer: asyncio.Task | None = None
        self._writing = asyncio.Lock()
        self._ids: list[str] = []
        self._day: tuple[int, str] = (-1, "")
        self.failed = 0

    def record(self, incoming: Incoming, answer: Answer) -> str:
        """Queue one answer; its opaque event id (for the answer's buttons). Nothing else happens here."""
        event_id = self._ids.pop() if self._ids else self._more_ids()
        if len(self.queue) >= self.limit:
            self.failed += 1
            if self.failed % 1000 == 1:
                log.error("answer events dropped: the queue is full", extra={"count": self.failed})
            return event_id
        self.queue.append((event_id, self.clock(), incoming.channel, incoming.text, incoming.names, answer))
        if self._drainer is None:
            self._start_drainer()
        return event_id

    def _more_ids(self) -> str:
        """Opaque ids (96 random bits each, as secrets.token_urlsafe(12)) drawn 256 at a time: one system call."""
        raw = secrets.token_bytes(12 * 256)
        self._ids = [EVENT_PREFIX + base64.urlsafe_b64encode(raw[i:i + 12]).decode() for i in range(0, len(raw), 12)]
        return self._ids.pop()

    def _start_drainer(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop (a synchronous caller): drained by the next async one
        self._drainer = loop.create_task(self._drain())

    async def _drain(self) -> None:
        try:
            while self.queue or self.pending:
                await asyncio.sleep(BATCH_SECONDS)
                await self.flush()
        finally:
            self._drainer = None

    def _prepare(self) -> None:
        """Make the queued answers into events and remember their words (scrubbed only when kept: most answers
        cost no scrubbing)."""
        queue = self.queue
        while queue:
            event_id, at, channel, text, names, answer = queue.popleft()
            gap = answer.topic or ""
            kept = None
            if answer.kind != "smalltalk":
                if needs_owner(answer):
                    words = scrub(text, names)
                    gap = gap or self.nearest(words)
                    self._remember(event_id, at, (words, gap))
                    kept = words if self.keep_words else None
                else:
                    self._remember(event_id, at, (text, names, gap))
            self.pending.append(AnswerEvent(event_id, self._today(at), channel, answer.verdict, answer.kind,
                                            answer.topic or "", answer.section or "", band(answer.confidence), kept, gap))

    def _today(self, at: float) -> str:
        number = int(at // 86400)
        if self._day[0] != number:
            self._day = (number, today(lambda: at))
        return self._day[1]

    def nearest(self, words: str) -> str:
        """The nearest listed situation of a question the engine did not answer: what groups similar gaps."""
        try:
            scores = self.engine.scores(words)
        except Exception:
            return ""
        topics = [(score, label[1]) for label, score in scores.items() if label[0] == "topic"]
        if not topics:
            return ""
        score, index = max(topics)
        return self.engine.pack.topics[index].id if score > 0 else ""

    def _remember(self, event_id: str, at: float, entry: tuple) -> None:
        self.words[event_id] = (at, entry)
        now = self.clock()
        while self.words and (len(self.words) > WORDS_CACHE or next(iter(self.words.values()))[0] < now - WORDS_SECONDS):
            self.words.popitem(last=False)

    def recent_words(self, event_id: str) -> tuple[str, str] | None:
        """The scrubbed words and gap of a recent answer (memory only: gone after a day or a restart)."""
        self._prepare()
        hit = self.words.get(event_id)
        if hit is None:
            return None
        entry = hit[1]
        if len(entry) == 3:  # not scrubbed yet: now it is, once
            text, names, gap = entry
            entry = (scrub(text, names), gap)
            self.words[event_id] = (hit[0], entry)
        return entry

    async def flush(self) -> None:
        """Write everything queued now (before reading an event, and at shutdown). One write at a time: a flush
        that comes while the drainer writes returns once that write, which may hold its event, is done."""
        async with self._writing:
            self._prepare()
            while self.pending:
                batch, self.pending = self.pending, []
                try:
                    await self.insights.record(batch)
                except (StoreError, OSError) as exc:
                    self.failed += len(batch)
                    log.error("answer events not written", extra={"count": len(batch), "error": type(exc).__name__})
                    return

    async def close(self) -> None:
        """Write what is queued and end the drainer (shutdown; a later answer starts a new one)."""
        await self.flush()
        drainer = self._drainer
        if drainer is not None:
            drainer.cancel()
            await asyncio.gather(drainer, return_exceptions=True)
        await self.flush()
