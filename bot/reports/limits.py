"""Per-person limits on reporting and on follow-up code attempts, kept in the database so that every replica
counts the same, without anything that links a report to a person.

A row holds a kind ("report" or "code"), an hour and a 2-byte bucket: the first 16 bits of an HMAC of the
verified user key with a key derived from the report key and that hour. Nothing else: no case reference, no
time finer than the hour. Rows of past hours are deleted as soon as anyone is counted. The database alone
cannot tell whose bucket a row is (the HMAC key is not in it); with the report key too, a bucket is shared
by about one person in 65,536 of an organization, and only for the hour it lives.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable

from bot.store import Store

HOUR = 3600


class Limits:
    """`allow(kind, user_key, limit)` counts one event and says whether it is within `limit` this hour."""

    def __init__(self, store: Store, key: bytes, clock: Callable[[], float] = time.time):
        self.store, self.key, self.clock = store, key, clock

    def _bucket(self, kind: str, user_key: str, hour: int) -> str:
        hour_key = hmac.new(self.key, f"{kind}:{hour}".encode(), hashlib.sha256).digest()
        return hmac.new(hour_key, user_key.encode(), hashlib.sha256).hexdigest()[:4]

    def count(self, kind: str, user_key: str) -> int:
        """Events of `kind` counted for this person in the current hour."""
        hour = int(self.clock() // HOUR)
        row = self.store.db.execute("SELECT count FROM attempts WHERE kind = ? AND bucket = ? AND hour = ?",
                                    [kind, self._bucket(kind, user_key, hour), hour]).fetchone()
        return row[0] if row else 0

    def allow(self, kind: str, user_key: str, limit: int) -> bool:
        """Count one event; False (and nothing counted) when this hour already holds `limit` of them."""
        hour = int(self.clock() // HOUR)
        bucket = self._bucket(kind, user_key, hour)

        def count(db) -> bool:
            db.execute("DELETE FROM attempts WHERE hour < ?", [hour])
            row = db.execute("SELECT count FROM attempts WHERE kind = ? AND bucket = ? AND hour = ?", [kind, bucket, hour]).fetchone()
            if row and row[0] >= limit:
                return False
            db.execute("INSERT INTO attempts (kind, bucket, hour, count) VALUES (?, ?, ?, 1) "
                       "ON CONFLICT (kind, bucket, hour) DO UPDATE SET count = count + 1", [kind, bucket, hour])
            return True

        return self.store.write(count)
