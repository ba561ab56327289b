"""`smpolicy db migrate-to`: copy a SQLite database into an empty PostgreSQL one, table by table, as stored.

Reports stay encrypted: rows are copied as they are (nonce and ciphertext), nothing is decrypted or logged.
Both databases are at the same schema version first (each is migrated on open); the copy runs in one
PostgreSQL transaction, so it lands whole or not at all, and the row counts of every table are compared.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage.database import Database
from bot.storage.errors import StoreError

CHUNK = 500


@dataclass(frozen=True)
class Copied:
    table: str
    source: int
    target: int


class CopyError(StoreError):
    """The target is not empty, the schemas differ, or the counts did not match (nothing was kept)."""


async def tables(db: Database) -> dict[str, list[str]]:
    """Every table of the application's schema and its columns (in the source's column order)."""
    if db.dialect == "sqlite":
        names = [r["name"] for r in await db.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {n: [c["name"] for c in await db.fetchall(f'PRAGMA table_info("{n}")')] for n in names}
    rows = await db.fetchall("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() "
                             "AND table_name <> 'schema_version' ORDER BY table_name, ordinal_position")
    out: dict[str, list[str]] = {}
    for r in rows:
        out.setdefault(r["table_name"], []).append(r["column_name"])
    return out


def _order(names: list[str]) -> list[str]:
    """Parents before children (report_messages refers to reports)."""
    return sorted(names, key=lambda n: (n == "report_messages", n))


async def copy_database(source: Database, target: Database) -> list[Copied]:
    """Copy every row of `source` (SQLite) into `target` (an empty PostgreSQL database at the same version)."""
    if source.schema_version() != target.schema_version():
        raise CopyError(f"schema versions differ ({source.schema_version()} and {target.schema_version()})")
    theirs, ours = await tables(source), await tables(target)
    if set(theirs) != set(ours) or any(sorted(theirs[t]) != sorted(ours[t]) for t in theirs):
        raise CopyError("the two databases have different tables or columns")
    for table in ours:
        if await target.fetchone(f'SELECT 1 AS x FROM "{table}" LIMIT 1'):
            raise CopyError(f"the target is not empty (table {table} has rows): copy only into a new database")
    done: list[Copied] = []
    async with target.transaction() as tx:
        for table in _order(list(theirs)):
            columns = theirs[table]
            names = ", ".join(f'"{c}"' for c in columns)
            marks = ", ".join("?" for _ in columns)
            offset = 0
            while True:
                rows = await source.fetchall(f'SELECT {names} FROM "{table}" ORDER BY rowid LIMIT ? OFFSET ?', [CHUNK, offset])
                if not rows:
                    break
                await tx.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', [[r[c] for c in columns] for r in rows])
                offset += len(rows)
            sequence = await tx.fetchone("SELECT pg_get_serial_sequence(?, 'id') AS name", [table]) if "id" in columns else None
            if sequence and sequence["name"]:  # identity columns continue after the copied ids
                await tx.execute(f'SELECT setval(?, COALESCE((SELECT MAX(id) FROM "{table}"), 0) + 1, false)', [sequence["name"]])
            counted = await tx.fetchone(f'SELECT COUNT(*) AS n FROM "{table}"')
            source_count = (await source.fetchone(f'SELECT COUNT(*) AS n FROM "{table}"') or {"n": 0})["n"]
            copied = Copied(table, int(source_count), int(counted["n"] if counted else 0))
            if copied.source != copied.target:
                raise CopyError(f"table {table}: {copied.source} rows in the source, {copied.target} copied")
            done.append(copied)
    return done
