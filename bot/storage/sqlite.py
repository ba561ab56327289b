"""The SQLite backend (the default): one file, WAL, synchronous=FULL, one connection used from one worker
thread, so queries never block the event loop and statements never interleave inside a transaction.

Reports are written inside a transaction that commits before the reporter sees their case reference.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from bot.storage.database import Dialect, Params, Queries, Row
from bot.storage.errors import DatabaseUnavailable, DuplicateError, StoreError
from bot.storage.schema_sqlite import MIGRATIONS

T = TypeVar("T")


def private_folder(folder: Path) -> None:
    """A folder the store creates is for its owner only (0700). An existing one keeps the mode its admin gave it:
    SMPOLICY_DB may point into a shared folder, whose mode is not ours to change (the image makes /data 0700)."""
    if not folder.exists():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)


def private_file(path: Path) -> None:
    """The database file exists with mode 0600 before SQLite opens it (its WAL and SHM files inherit the mode)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)


def _dict_row(cursor: sqlite3.Cursor, row: tuple) -> Row:
    return {column[0]: value for column, value in zip(cursor.description, row)}


def _translate(exc: sqlite3.Error) -> StoreError:
    if isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc):
        return DuplicateError(str(exc))
    return StoreError(str(exc))


class _Statements:
    """Statements on the connection, each run by `run` on the worker thread."""

    def __init__(self, run: Callable[[Callable[[sqlite3.Connection], Any]], Awaitable[Any]]):
        self._run = run

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return await self._run(lambda conn: conn.execute(sql, params).fetchall())

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        return await self._run(lambda conn: conn.execute(sql, params).fetchone())

    async def execute(self, sql: str, params: Params = ()) -> int:
        return await self._run(lambda conn: conn.execute(sql, params).rowcount)

    async def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        await self._run(lambda conn: conn.executemany(sql, rows))


class SQLiteDatabase:
    dialect: Dialect = "sqlite"

    def __init__(self, path: Path, conn: sqlite3.Connection, reports_at_start: bool = False):
        self.path, self.conn = path, conn
        self.reports_at_start = reports_at_start  # then a missing key is never replaced by a new one
        self.description = f"SQLite file {path}"
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        self._locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}
        self._plain = _Statements(self._run)  # each statement on its own, taking the lock
        self._inside = _Statements(self._call)  # inside transaction(), which holds the lock

    @classmethod
    def prepare(cls, path: Path | str) -> SQLiteDatabase:
        """Open (creating it 0600 in a 0700 folder) and migrate the file."""
        path = Path(path)
        memory = str(path) == ":memory:"
        try:
            if not memory:
                private_folder(path.parent)
                private_file(path)
            conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            migrate(conn)
        except (OSError, sqlite3.Error) as exc:
            raise DatabaseUnavailable(f"cannot open the SQLite file {path}: {exc}") from exc
        conn.row_factory = _dict_row
        held = conn.execute("SELECT EXISTS (SELECT 1 FROM reports) AS held").fetchone()["held"] == 1
        if not memory:
            for extra in ("-wal", "-shm"):  # SQLite gives them the database's mode; older files are fixed here
                if Path(f"{path}{extra}").exists():
                    os.chmod(f"{path}{extra}", 0o600)
        return cls(path, conn, held)

    # ------------------------------------------------------------ running statements

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            self._locks = {loop: asyncio.Lock()}  # one loop at a time (tests make a loop per test)
            lock = self._locks[loop]
        return lock

    async def _call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        def guarded() -> T:
            try:
                return fn(self.conn)
            except sqlite3.Error as exc:
                raise _translate(exc) from exc

        return await asyncio.get_running_loop().run_in_executor(self._thread, guarded)

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        async with self._lock():
            return await self._call(fn)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return await self._plain.fetchall(sql, params)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        return await self._plain.fetchone(sql, params)

    async def execute(self, sql: str, params: Params = ()) -> int:
        return await self._plain.execute(sql, params)

    async def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        await self._plain.executemany(sql, rows)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Queries]:
        async with self._lock():
            await self._call(lambda conn: conn.execute("BEGIN IMMEDIATE"))
            try:
                yield self._inside
            except BaseException:
                await self._call(lambda conn: conn.execute("ROLLBACK"))
                raise
            await self._call(lambda conn: conn.execute("COMMIT"))

    # ------------------------------------------------------------ life cycle

    async def start(self) -> None:
        return None

    async def checkpoint(self) -> None:
        """Move the WAL into the database file and empty it (best effort: a reader holding a snapshot can delay it)."""
        try:
            await self._run(lambda conn: conn.execute("PRAGMA wal_checkpoint(TRUNCATE)"))
        except StoreError:
            pass

    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()["user_version"])

    async def close(self) -> None:
        await self.checkpoint()
        self._thread.shutdown(wait=True)
        self.conn.close()

    def close_now(self) -> None:
        """Close from synchronous code (the command line, after its event loop has ended)."""
        self._thread.shutdown(wait=True)
        try:
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error:
            pass
        self.conn.close()


def migrate(conn: sqlite3.Connection) -> None:
    """Apply what is missing, each migration in a write transaction that first re-reads the version: two
    processes opening a new database together migrate it once (the second waits, then finds it done)."""
    db = sqlite_utils.Database(conn)
    known = len(MIGRATIONS)
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    if current > known:
        raise DatabaseUnavailable(f"the database has schema version {current}, newer than this smpolicy knows ({known}): "
                                  "run the newer smpolicy, or restore a backup")
    for number, migration in enumerate(MIGRATIONS, start=1):
        with conn:
            conn.execute("BEGIN IMMEDIATE")
            if conn.execute("PRAGMA user_version").fetchone()[0] >= number:
                continue
            migration(db)
            conn.execute(f"PRAGMA user_version = {number}")


