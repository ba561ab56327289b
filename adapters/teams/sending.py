"""Outbound safety for Teams: retries with exponential backoff and jitter, and pacing under Teams' limits.

Retried: 429 (throttled, honouring Retry-After), 412 (precondition failed), 502 and 504. Pacing: at most
about 7 messages a second per conversation and 30 requests a second per tenant (Teams' published limits).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable

log = logging.getLogger("smpolicy.teams")
RETRY_STATUSES = frozenset({412, 429, 502, 504})


def status_of(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None) or getattr(response, "status", None) or getattr(exc, "status", None)
    return status if isinstance(status, int) else None


def retry_after_of(exc: BaseException) -> float | None:
    headers = getattr(getattr(exc, "response", None), "headers", None) or {}
    try:
        return float(headers.get("Retry-After", ""))
    except (TypeError, ValueError):
        return None


async def with_retry(send: Callable[[], Awaitable], attempts: int = 5, base: float = 0.5, cap: float = 8.0,
                     sleep: Callable[[float], Awaitable] = asyncio.sleep):
    """Run `send`, retrying the retryable statuses with full-jitter exponential backoff."""
    for attempt in range(attempts):
        try:
            return await send()
        except Exception as exc:
            status = status_of(exc)
            if status not in RETRY_STATUSES or attempt == attempts - 1:
                raise
            delay = retry_after_of(exc) or random.uniform(base / 2, min(cap, base * 2 ** attempt))
            log.warning("teams send retried", extra={"status": status, "count": attempt + 1})
            await sleep(delay)


class Pacer:
    """Spaces calls so that each key gets at most `rate` calls a second (a minimum interval per key)."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic):
        self.interval = 1.0 / rate
        self.clock = clock
        self.next_at: dict[str, float] = {}
        self.lock = asyncio.Lock()

    async def wait(self, key: str) -> None:
        async with self.lock:
            now = self.clock()
            at = max(now, self.next_at.get(key, 0.0))
            self.next_at[key] = at + self.interval
        if at > now:
            await asyncio.sleep(at - now)
