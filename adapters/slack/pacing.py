"""Pacing bulk sends (quiz rounds) to what Slack accepts, so a fan-out rarely meets a 429.

slack_sdk's rate-limit handler waits out each 429 (Retry-After plus up to a second of jitter), which
keeps every message but wastes time in a long fan-out. The pacer learns the accepted rate instead:
on a 429 for `chat.postMessage` it sets its pace to 95% of what got through in the last second, and
speeds up by 1% a second once no 429 has come for 10 seconds. The retry handler still catches any 429 that slips by.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler


class AdaptivePacer:
    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.interval = 0.0
        self.next_at = 0.0
        self.last_throttle = -1e9
        self.last_speedup = 0.0
        self.recent: deque[float] = deque()

    async def slot(self) -> None:
        """Wait for the next send slot."""
        now = self.clock()
        at = max(now, self.next_at)
        self.next_at = at + self.interval
        if at > now:
            await asyncio.sleep(at - now)

    def _trim(self, now: float) -> None:
        while self.recent and self.recent[0] <= now - 1.0:
            self.recent.popleft()

    def success(self) -> None:
        now = self.clock()
        self.recent.append(now)
        self._trim(now)
        if self.interval and now - self.last_throttle > 10 and now - self.last_speedup >= 1:
            self.interval *= 0.99
            self.last_speedup = now

    def throttled(self, retry_after: float = 1.0) -> None:
        now = self.clock()
        self.next_at = max(self.next_at, now + retry_after)  # Slack said when: nothing goes before that
        if now - self.last_throttle < 0.5:  # concurrent senders report the same 429 burst once
            return
        self.last_throttle = now
        self._trim(now)
        self.interval = 1.0 / max(1.0, 0.95 * len(self.recent))


class ThrottleAwareRateLimitHandler(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's 429 handler that also tells the pacer when `chat.postMessage` was throttled."""

    def __init__(self, pacer: AdaptivePacer, max_retry_count: int = 100):
        super().__init__(max_retry_count=max_retry_count)
        self.pacer = pacer

    async def prepare_for_next_attempt_async(self, *, state, request, response=None, error=None) -> None:
        if response is not None and request.url.endswith("/chat.postMessage"):
            # The retry queues for a paced slot like every other send (the pacer already waits out the
            # window), so retries don't arrive in a burst of their own.
            try:
                retry_after = float(next((v[0] for k, v in response.headers.items() if k.lower() == "retry-after"), 1))
            except (TypeError, ValueError):
                retry_after = 1.0
            self.pacer.throttled(retry_after)
            state.next_attempt_requested = True
            await self.pacer.slot()
            state.increment_current_attempt()
            return
        await super().prepare_for_next_attempt_async(state=state, request=request, response=response, error=error)
