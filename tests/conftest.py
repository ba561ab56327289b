"""Shared fixtures: the bundled pack, its engine, a core, and paths to the evaluation sets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

import content
from bot.core import Core
from bot.policy.engine import Engine
from bot.policy.pack import load_pack

ROOT = Path(__file__).resolve().parent.parent

# CI runs property tests with fixed seeds so a run is repeatable; locally they explore new examples.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


def eval_dir() -> Path:
    """The shared evaluation folder beside the repository when present, else the copy in tests/eval."""
    shared = ROOT.parent / "shared" / "eval"
    return shared if (shared / "score.py").exists() else ROOT / "tests" / "eval"


@pytest.fixture(scope="session")
def pack():
    return load_pack(content.default_dir())


@pytest.fixture(scope="session")
def engine(pack):
    return Engine(pack)


@pytest.fixture
def core(pack, engine):
    return Core(pack, engine)


@pytest.fixture
async def slack_api():
    """A stand-in Slack Web API on loopback."""
    from tests.fakes.slack_api import FakeSlack

    fake = await FakeSlack().start()
    yield fake
    await fake.close()


@pytest.fixture
async def connector():
    """A stand-in Bot Framework connector service on loopback."""
    from tests.fakes.teams_connector import FakeConnector

    fake = await FakeConnector().start()
    yield fake
    await fake.close()


@pytest.fixture
async def client(tmp_path, database_url):
    """The app (no platform configured) on loopback, real HTTP, on each backend (SQLite, then PostgreSQL)."""
    from aiohttp.test_utils import TestClient, TestServer

    from adapters.server import create_app
    from bot.settings import Settings

    app = create_app(Settings(data_dir=tmp_path, db_path=tmp_path / "smpolicy.db", database_url=database_url or ""))
    async with TestClient(TestServer(app)) as c:
        yield c


# ---------------------------------------------------------------- storage on both backends

BACKENDS = tuple(b for b in os.environ.get("SMPOLICY_TEST_BACKENDS", "sqlite,postgresql").split(",") if b)


@pytest.fixture(scope="session")
def pg_server():
    """One real PostgreSQL server for the whole run (tests/pg_server.py); fails, never skips, without it."""
    from tests.pg_server import PostgresServer

    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    """A fresh, empty database on each backend: None for SQLite (the file under tmp_path), else a PostgreSQL URL."""
    if request.param == "sqlite":
        return None
    from tests.pg_server import fresh_name

    return request.getfixturevalue("pg_server").create_database(fresh_name())


@pytest.fixture
async def database(database_url, tmp_path):
    """An open, migrated `Database` on each backend."""
    from bot.storage import open_database

    db = open_database(tmp_path / "smpolicy.db", database_url)
    await db.start()
    yield db
    await db.close()
