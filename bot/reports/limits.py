"""Per-person limits on reporting (5 an hour) and on wrong follow-up codes (10 an hour), counted in this
process's memory only.

Counts are keyed by an HMAC of the verified user key with a salt made at start and never written anywhere,
so nothing on disk (database, WAL, backups), with or without the report key, holds a trace of who filed or
who tried a code: a stored count, however bucketed, would let whoever holds the database and the key test
each employee's user key against it (the red team showed it for an organization of 40). The price: with
several processes serving one database each counts alone, so a person can file up to 5 reports an hour per
replica. SECURITY.md says so.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import deque
from collections.abc import Callable

WINDOW = 3600


class Limits:
    """`allow(kind, user_key, limit)` counts one event and says whether it is within `limit` this hour."""

    def __init__(self, clock: Callable[[], float] = time.time):
        self.clock = clock
        self._salt = secrets.token_bytes(32)
        self._events: dict[bytes, deque[float]] = {}

    def _recent(self, kind: str, user_key: str) -> deque[float]:
        key = hmac.new(self._salt, f"{kind}\x00{user_key}".encode(), hashlib.sha256).digest()
        events = self._events.setdefault(key, deque())
        cutoff = self.clock() - WINDOW
        while events and events[0] <= cutoff:
            events.popleft()
        if not events:
            del self._events[key]
            return self._events.setdefault(key, deque())
        return events

    def count(self, kind: str, user_key: str) -> int:
        """Events of `kind` counted for this person in the last hour."""
        return len(self._recent(kind, user_key))

    def allow(self, kind: str, user_key: str, limit: int) -> bool:
        """Count one event; False (and nothing counted) when the last hour already holds `limit` of them."""
        events = self._recent(kind, user_key)
        if len(events) >= limit:
            return False
        events.append(self.clock())
        if len(self._events) > 100_000:  # bounded: drop people whose last event is oldest
            for stale in sorted(self._events, key=lambda k: self._events[k][-1] if self._events[k] else 0)[:10_000]:
                del self._events[stale]
        return True
