"""The storage seam on both backends: statements, transactions, duplicate keys, migrations and start-up errors."""

from __future__ import annotations

import asyncio

import pytest

from bot.storage import DatabaseUnavailable, DuplicateError, open_database
from bot.storage.schema_postgres import MIGRATIONS as PG
from bot.storage.schema_sqlite import MIGRATIONS as SQLITE


async def test_statements_and_rowcounts(database):
    assert await database.execute("INSERT INTO seen_events (event_id, at) VALUES (?, ?)", ["e1", 1.0]) == 1
    assert await database.fetchone("SELECT event_id, at FROM seen_events WHERE event_id = ?", ["e1"]) == {"event_id": "e1", "at": 1.0}
    assert await database.fetchone("SELECT event_id FROM seen_events WHERE event_id = ?", ["nope"]) is None
    await database.executemany("INSERT INTO seen_events (event_id, at) VALUES (?, ?)", [["e2", 2.0], ["e3", 3.0]])
    rows = await database.fetchall("SELECT event_id FROM seen_events WHERE at >= ? ORDER BY event_id", [2.0])
    assert [r["event_id"] for r in rows] == ["e2", "e3"]
    assert await database.execute("DELETE FROM seen_events WHERE at < ?", [2.5]) == 2


async def test_a_duplicate_key_is_one_error_on_every_backend(database):
    await database.execute("INSERT INTO seen_events (event_id, at) VALUES (?, ?)", ["dup", 1.0])
    with pytest.raises(DuplicateError):
        await database.execute("INSERT INTO seen_events (event_id, at) VALUES (?, ?)", ["dup", 2.0])


async def test_a_failed_transaction_leaves_nothing(database):
    with pytest.raises(DuplicateError):
        async with database.transaction() as tx:
            await tx.execute("INSERT INTO seen_events (event_id, at) VALUES (?, ?)", ["a", 1.0])
            await tx.execute("INSERT INTO seen_events (event_id, at) VALUES (?, ?)", ["a", 1.0])
    assert await database.fetchall("SELECT * FROM seen_events") == []
    async with database.transaction() as tx:
        await tx.execute("INSERT INTO seen_events (event_id, at) VALUES (?, ?)", ["b", 1.0])
    assert len(await database.fetchall("SELECT * FROM seen_events")) == 1


async def test_concurrent_transactions_do_not_interleave(database):
    """Two tasks each read-then-write a counter in a transaction: no update is lost."""
    await database.execute("INSERT INTO health (id, at) VALUES (1, 0)")

    async def bump():
        for _ in range(10):
            async with database.transaction() as tx:
                if database.dialect == "postgresql":
                    row = await tx.fetchone("SELECT at FROM health WHERE id = 1 FOR UPDATE")
                else:
                    row = await tx.fetchone("SELECT at FROM health WHERE id = 1")
                await asyncio.sleep(0)
                await tx.execute("UPDATE health SET at = ? WHERE id = 1", [row["at"] + 1])

    await asyncio.gather(bump(), bump(), bump())
    assert (await database.fetchone("SELECT at FROM health WHERE id = 1"))["at"] == 30


def test_both_backends_know_the_same_number_of_migrations():
    assert len(PG) == len(SQLITE)


async def test_the_schema_is_the_same_on_both_backends(tmp_path, pg_server):
    from tests.pg_server import fresh_name

    lite = open_database(tmp_path / "a.db")
    pg = open_database(tmp_path / "unused.db", pg_server.create_database(fresh_name()))
    await pg.start()
    try:
        tables = [r["name"] for r in await lite.fetchall("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        lite_columns = {t: sorted(r["name"] for r in await lite.fetchall(f"PRAGMA table_info({t})")) for t in tables}
        rows = await pg.fetchall("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
                                 "AND table_name <> 'schema_version'")
        pg_columns: dict[str, list[str]] = {}
        for r in rows:
            pg_columns.setdefault(r["table_name"], []).append(r["column_name"])
        assert lite_columns == {t: sorted(c) for t, c in pg_columns.items()}
        assert lite.schema_version() == pg.schema_version() == len(SQLITE)
    finally:
        await lite.close()
        await pg.close()


async def test_two_processes_starting_together_migrate_once(pg_server):
    """Replicas starting at once: the advisory lock makes one migrate, the others find it done."""
    from tests.pg_server import fresh_name

    url = pg_server.create_database(fresh_name())
    results = await asyncio.gather(*(asyncio.to_thread(open_database, "unused.db", url) for _ in range(4)))
    assert {db.schema_version() for db in results} == {len(PG)}


def test_unreachable_database_is_one_clear_line(pg_server):
    url = f"postgresql://postgres:x@127.0.0.1:{_closed_port()}/postgres"
    with pytest.raises(DatabaseUnavailable) as caught:
        open_database("unused.db", url)
    assert "cannot use PostgreSQL postgres@127.0.0.1" in str(caught.value) and "\n" not in str(caught.value)


def test_wrong_credentials_say_so_without_the_password(pg_server):
    url = pg_server.url.replace("smpolicy-test-only", "wrong-secret-value")
    with pytest.raises(DatabaseUnavailable) as caught:
        open_database("unused.db", url)
    text = str(caught.value)
    assert "password authentication failed" in text and "wrong-secret-value" not in text and "\n" not in text


def test_a_newer_schema_is_refused(tmp_path, pg_server):
    import sqlite3

    open_database(tmp_path / "new.db").close_now()
    conn = sqlite3.connect(tmp_path / "new.db")
    conn.execute(f"PRAGMA user_version = {len(SQLITE) + 1}")
    conn.close()
    with pytest.raises(DatabaseUnavailable, match="newer than this smpolicy knows"):
        open_database(tmp_path / "new.db")

    from tests.pg_server import fresh_name

    url = pg_server.create_database(fresh_name())
    open_database("unused.db", url)
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE schema_version SET version = version + 1")
    with pytest.raises(DatabaseUnavailable, match="newer than this smpolicy knows"):
        open_database("unused.db", url)


def test_only_postgresql_urls_are_taken():
    with pytest.raises(DatabaseUnavailable, match="postgresql://"):
        open_database("unused.db", "mysql://x@y/z")


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
