"""Capture every log line as the server writes it (JSON), to scan for reporter identity; read what a database
admin reads (every row of every table, and on SQLite the files with their WAL), on either backend."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from adapters.logs import JsonFormatter
from bot.storage import Database, Storage, open_database
from bot.storage.copy import tables


@pytest.fixture
def log_lines():
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield buffer
    root.removeHandler(handler)
    root.setLevel(old_level)


@pytest.fixture
async def storage(database_url, tmp_path):
    """Started repositories on a fresh database of each backend (SQLite: tmp_path/smpolicy.db)."""
    opened = Storage.open(tmp_path / "smpolicy.db", database_url)
    await opened.start()
    yield opened
    await opened.close()


async def rows_text(db: Database) -> str:
    """Every row of every table as text: what anyone who can read the database sees (a dump, a backup)."""
    out = []
    for table in sorted(await tables(db)):
        for row in await db.fetchall(f'SELECT * FROM "{table}"'):
            out.append(f"{table}: {row!r}")
    return "\n".join(out)


async def table_names(db: Database) -> set[str]:
    return set(await tables(db))


async def assert_nowhere(needles: list[str], folder: Path, url: str | None, *texts: str) -> None:
    """None of the needles appears in the stored rows nor, on SQLite, in the database files (db, WAL, shm), nor in
    any given text."""
    db = open_database(folder / "smpolicy.db", url)
    await db.start()
    try:
        stored = await rows_text(db)
    finally:
        await db.close()
    assert stored, "no rows found"
    blobs = {p.name: p.read_bytes() for p in folder.glob("*.db*")} if not url else {}
    assert url or blobs, "no database files found"
    for needle in needles:
        assert needle not in stored, f"{needle!r} found in a stored row"
        for name, blob in blobs.items():
            assert needle.encode() not in blob, f"{needle!r} found in {name}"
        for i, text in enumerate(texts):
            assert needle not in text, f"{needle!r} found in text #{i}"
