"""Capture every log line as the server writes it (JSON), to scan for reporter identity."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from adapters.logs import JsonFormatter


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


def assert_nowhere(needles: list[str], folder: Path, *texts: str) -> None:
    """None of the needles appears in the database files (db, WAL, shm), nor in any given text."""
    blobs = {p.name: p.read_bytes() for p in folder.glob("*.db*")}
    assert any(name.endswith("-wal") for name in blobs) or blobs, "no database files found"
    for needle in needles:
        for name, blob in blobs.items():
            assert needle.encode() not in blob, f"{needle!r} found in {name}"
        for i, text in enumerate(texts):
            assert needle not in text, f"{needle!r} found in text #{i}"
