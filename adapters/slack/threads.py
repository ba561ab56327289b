"""What a channel thread was about, so that a follow-up mention there ("and on TikTok?") is answered with it.

Kept in memory only (never written anywhere), bounded in size and age: the first question asked in each
thread the bot answered, by (channel, thread ts).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable


class ThreadContext:
    def __init__(self, size: int = 2000, ttl: float = 86400, clock: Callable[[], float] = time.monotonic):
        self.size, self.ttl, self.clock = size, ttl, clock
        self._topics: OrderedDict[tuple[str, str], tuple[float, str]] = OrderedDict()

    def remember(self, channel: str, thread: str, question: str) -> None:
        """Keep the thread's first question (a later one never replaces it)."""
        key = (channel, thread)
        if key not in self._topics:
            self._topics[key] = (self.clock(), question)
            while len(self._topics) > self.size:
                self._topics.popitem(last=False)

    def topic(self, channel: str, thread: str) -> str:
        """The thread's first question, or '' when unknown or older than a day."""
        entry = self._topics.get((channel, thread))
        if entry is None or self.clock() - entry[0] > self.ttl:
            return ""
        return entry[1]
