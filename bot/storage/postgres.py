"""The PostgreSQL backend: psycopg 3 with an async connection pool (selected by SMPOLICY_DATABASE_URL).

Start-up connects once synchronously to migrate under an advisory lock (replicas starting together migrate
once) and to fail with one clear line; the pool opens when the event loop runs (`start`).
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from bot.storage.database import Params, Queries, Row
from bot.storage.errors import DatabaseUnavailable, DuplicateError, StoreError
from bot.storage.schema_postgres import MIGRATIONS

MIGRATION_LOCK = 0x736D706F  # pg_advisory_xact_lock key: "smpo"
CONNECT_SECONDS = 10


@functools.lru_cache(maxsize=512)
def to_psycopg(sql: str) -> str:
    """`?` placeholders (the shared dialect) as psycopg's `%s`; a literal `%` doubled."""
    return sql.replace("%", "%%").replace("?", "%s")


def describe(url: str) -> str:
    """Where the database is, never its password."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "PostgreSQL (unparsable URL)"
    host, port, name = parts.get("host", "localhost"), parts.get("port", "5432"), parts.get("dbname", "")
    return f"PostgreSQL {parts.get('user', '')}@{host}:{port}/{name}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0].strip() if text else type(exc).__name__


def _translate(exc: psycopg.Error) -> StoreError:
    if isinstance(exc, pg_errors.UniqueViolation):
        return DuplicateError(_first_line(exc))
    return StoreError(_first_line(exc))


class _Statements:
    def __init__(self, conn: psycopg.AsyncConnection):
        self._conn = conn

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        try:
            cur = await self._conn.execute(to_psycopg(sql), params)
            return await cur.fetchall() if cur.description else []
        except psycopg.Error as exc:
            raise _translate(exc) from exc

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        try:
            cur = await self._conn.execute(to_psycopg(sql), params)
            return await cur.fetchone() if cur.description else None
        except psycopg.Error as exc:
            raise _translate(exc) from exc

    async def execute(self, sql: str, params: Params = ()) -> int:
        try:
            cur = await self._conn.execute(to_psycopg(sql), params)
            return cur.rowcount
        except psycopg.Error as exc:
            raise _translate(exc) from exc

    async def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        try:
            async with self._conn.cursor() as cur:
                await cur.executemany(to_psycopg(sql), rows)
        except psycopg.Error as exc:
            raise _translate(exc) from exc


class PostgresDatabase:
    dialect = "postgresql"

    def __init__(self, url: str, version: int, reports_at_start: bool = False, max_connections: int = 10):
        self.url, self.version = url, version
        self.reports_at_start = reports_at_start  # then a missing key is never replaced by a new one
        self.description = describe(url)
        self.max_connections = max_connections
        self._pool: AsyncConnectionPool | None = None

    @classmethod
    def prepare(cls, url: str) -> PostgresDatabase:
        """Connect, migrate under the advisory lock, and check the schema is one this code knows."""
        where = describe(url)
        try:
            with psycopg.connect(url, connect_timeout=CONNECT_SECONDS, autocommit=True) as conn:
                version = migrate(conn)
                row = conn.execute("SELECT EXISTS (SELECT 1 FROM reports)").fetchone()
        except DatabaseUnavailable:
            raise
        except psycopg.Error as exc:
            raise DatabaseUnavailable(f"cannot use {where}: {_first_line(exc)}") from None
        return cls(url, version, bool(row and row[0]))

    async def start(self) -> None:
        if self._pool is not None:
            return
        pool = AsyncConnectionPool(self.url, min_size=1, max_size=self.max_connections, open=False,
                                   kwargs={"autocommit": True, "row_factory": dict_row, "connect_timeout": CONNECT_SECONDS})
        try:
            await pool.open(wait=True, timeout=CONNECT_SECONDS)
        except Exception as exc:  # psycopg_pool.PoolTimeout and connection errors
            await pool.close()
            raise DatabaseUnavailable(f"cannot connect to {self.description}: {_first_line(exc)}") from None
        self._pool = pool

    def _ready(self) -> AsyncConnectionPool:
        if self._pool is None:
            raise StoreError("the PostgreSQL pool is not open (start() was not awaited)")
        return self._pool

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[psycopg.AsyncConnection]:
        try:
            async with self._ready().connection() as conn:
                yield conn
        except StoreError:
            raise
        except psycopg.Error as exc:
            raise _translate(exc) from exc
        except Exception as exc:  # psycopg_pool.PoolTimeout: every connection busy or the server gone
            if type(exc).__module__.startswith("psycopg_pool"):
                raise StoreError(_first_line(exc)) from exc
            raise

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._connection() as conn:
            return await _Statements(conn).fetchall(sql, params)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        async with self._connection() as conn:
            return await _Statements(conn).fetchone(sql, params)

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self._connection() as conn:
            return await _Statements(conn).execute(sql, params)

    async def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        async with self._connection() as conn, conn.transaction():
            await _Statements(conn).executemany(sql, rows)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Queries]:
        async with self._connection() as conn:
            try:
                async with conn.transaction():
                    yield _Statements(conn)
            except psycopg.Error as exc:  # raised at COMMIT
                raise _translate(exc) from exc

    async def checkpoint(self) -> None:
        return None

    def schema_version(self) -> int:
        return self.version

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


def migrate(conn: psycopg.Connection[Any]) -> int:
    """Apply the missing migrations in one transaction holding the advisory lock; the version after."""
    known = len(MIGRATIONS)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", [MIGRATION_LOCK])
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = conn.execute("SELECT version FROM schema_version").fetchone()
        current = row[0] if row else 0
        if current > known:
            raise DatabaseUnavailable(f"the database has schema version {current}, newer than this smpolicy knows ({known}): "
                                      "run the newer smpolicy, or restore a backup")
        for number in range(current + 1, known + 1):
            conn.execute(MIGRATIONS[number - 1])
        if row is None:
            conn.execute("INSERT INTO schema_version (version) VALUES (%s)", [known])
        elif known > current:
            conn.execute("UPDATE schema_version SET version = %s", [known])
    return known
