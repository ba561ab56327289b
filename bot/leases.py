"""Leases: one holder at a time for a named job (sending a round, announcing reports), on one database.

A lease is a row (name, holder, expires_at). Taking it is one conditional upsert: it succeeds when the row is
free, expired or already ours. The holder renews it while it works; if it dies, the lease runs out and another
process takes over. The same rows serve several processes on one SQLite file and replicas on one PostgreSQL.
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from collections.abc import Callable

from bot.store import Store

TTL = 30.0


def holder_name() -> str:
    """Who holds a lease: host, process id and a random part (a restarted process is someone else)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def _dead_here(holder: str) -> bool:
    """Whether `holder` names a process of this machine that no longer runs."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class Leases:
    def __init__(self, store: Store, holder: str | None = None, clock: Callable[[], float] = time.time):
        self.store, self.holder, self.clock = store, holder or holder_name(), clock

    def take(self, name: str, ttl: float = TTL) -> bool:
        """Take or renew the lease `name` for `ttl` seconds; False while another holder has it. A holder on this
        machine whose process is gone (killed, crashed) is not waited for until its lease runs out."""
        now = self.clock()
        holder = self.holder_of(name)
        if holder and holder != self.holder and _dead_here(holder):
            self.store.write(lambda db: db.execute("DELETE FROM leases WHERE name = ? AND holder = ?", [name, holder]))
        return self.store.write(lambda db: db.execute(
            "INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
            "holder = excluded.holder, expires_at = excluded.expires_at WHERE leases.expires_at < ? OR leases.holder = excluded.holder",
            [name, self.holder, now + ttl, now]).rowcount == 1)

    def holds(self, name: str, margin: float = TTL / 3) -> bool:
        """Whether we hold `name` for at least `margin` seconds more (read from the database, not remembered):
        a process that stalled past its lease finds out here, before it acts on it."""
        row = self.store.db.execute("SELECT holder, expires_at FROM leases WHERE name = ?", [name]).fetchone()
        return bool(row) and row[0] == self.holder and row[1] - self.clock() >= margin

    def release(self, name: str) -> None:
        """Give the lease up (only if we hold it)."""
        self.store.write(lambda db: db.execute("DELETE FROM leases WHERE name = ? AND holder = ?", [name, self.holder]))

    def holder_of(self, name: str) -> str | None:
        """Who holds `name` now (None when free or expired)."""
        row = self.store.db.execute("SELECT holder, expires_at FROM leases WHERE name = ?", [name]).fetchone()
        return row[0] if row and row[1] >= self.clock() else None
