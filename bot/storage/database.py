"""The one seam between the flows and a database: `Database` runs SQL, repositories (one module per
aggregate in this package) hold all of it.

SQL is written once, in the dialect both backends share (`?` placeholders, `ON CONFLICT`, `RETURNING`); the
PostgreSQL backend turns `?` into its own placeholders. Where the dialects differ (`FOR UPDATE SKIP LOCKED`),
a repository asks `db.dialect`. Rows come back as dicts. Every call is async: SQLite runs on one worker thread
of its own, PostgreSQL on a connection pool, and neither blocks the event loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Literal, Protocol

Dialect = Literal["sqlite", "postgresql"]
Params = Sequence[Any]
Row = dict[str, Any]


class Queries(Protocol):
    """What a repository can do with a database or inside one of its transactions."""

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]: ...
    async def fetchone(self, sql: str, params: Params = ()) -> Row | None: ...
    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; the number of rows it changed."""
        ...

    async def executemany(self, sql: str, rows: Sequence[Params]) -> None: ...


class Database(Queries, Protocol):
    dialect: Dialect
    description: str  # where it is, without any password: for logs and errors
    reports_at_start: bool  # whether any report was stored when it opened (then no new key may be made)

    def transaction(self) -> AbstractAsyncContextManager[Queries]:
        """Statements that commit together or not at all (SQLite: BEGIN IMMEDIATE; PostgreSQL: one connection)."""
        ...

    async def start(self) -> None:
        """Open what needs a running event loop (the PostgreSQL pool); call once before the first query."""
        ...

    async def close(self) -> None: ...

    async def checkpoint(self) -> None:
        """Fold any write-ahead log into the main file (SQLite; nothing on PostgreSQL)."""
        ...

    def schema_version(self) -> int: ...
