"""Leases: one holder at a time for a named job (sending a round), on one database.

A lease is a row (name, holder, expires_at) in bot/storage/leases.py. Taking it is one conditional upsert: it
succeeds when the row is free, expired or already ours. The holder renews it while it works and releases it
when it stops (also when `smpolicy serve` shuts down: `release_all`); if it dies, the lease runs out and another
process takes over, at once when the dead holder was a process of this machine. The same rows serve several
processes on one SQLite file and replicas on one PostgreSQL.
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from collections.abc import Callable

from bot.storage.leases import LeaseTable

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
    """The leases of one holder (by default this process, named by `holder_name`)."""

    def __init__(self, rows: LeaseTable, holder: str | None = None, clock: Callable[[], float] = time.time):
        self.rows, self.holder, self.clock = rows, holder or holder_name(), clock

    async def take(self, name: str, ttl: float = TTL) -> bool:
        """Take or renew the lease `name` for `ttl` seconds; False while another holder has it. A holder on this
        machine whose process is gone (killed, crashed) is not waited for until its lease runs out."""
        now = self.clock()
        current = await self.rows.get(name)
        if current and current.holder != self.holder and current.expires_at >= now and _dead_here(current.holder):
            await self.rows.release(name, current.holder)
        return await self.rows.take(name, self.holder, now, now + ttl)

    async def holds(self, name: str, margin: float = TTL / 3) -> bool:
        """Whether we hold `name` for at least `margin` seconds more (read from the database, not remembered):
        a process that stalled past its lease finds out here, before it acts on it."""
        lease = await self.rows.get(name)
        return lease is not None and lease.holder == self.holder and lease.expires_at - self.clock() >= margin

    async def release(self, name: str) -> None:
        """Give the lease up (only if we hold it)."""
        await self.rows.release(name, self.holder)

    async def release_all(self) -> list[str]:
        """Give up every lease we hold (the process is stopping: others need not wait for them to run out)."""
        return await self.rows.release_all(self.holder)

    async def holder_of(self, name: str) -> str | None:
        """Who holds `name` now (None when free or expired)."""
        lease = await self.rows.get(name)
        return lease.holder if lease and lease.expires_at >= self.clock() else None
