"""A running app on loopback (aiohttp TestServer: real HTTP, real SQLite) and helpers."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.server import create_app
from bot.settings import Settings


def settings_for(tmp_path, **extra) -> Settings:
    return Settings(data_dir=tmp_path, db_path=tmp_path / "smpolicy.db", **extra)


@pytest.fixture
async def client(tmp_path):
    app = create_app(settings_for(tmp_path))
    async with TestClient(TestServer(app)) as c:
        yield c
