from __future__ import annotations

from contextlib import asynccontextmanager

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.server import TEAMS, create_app
from bot.settings import Settings


@asynccontextmanager
async def running(tmp_path, **settings):
    settings.setdefault("teams_emulator", True)
    app = create_app(Settings(data_dir=tmp_path, db_path=tmp_path / "smpolicy.db", **settings))
    async with TestClient(TestServer(app)) as client:
        client.teams = app[TEAMS]
        yield client


@pytest.fixture
async def teams(tmp_path):
    async with running(tmp_path) as client:
        yield client
