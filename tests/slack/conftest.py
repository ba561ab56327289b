"""The app with Slack enabled, pointed at a stand-in Slack Web API on loopback."""

from __future__ import annotations

import json
from contextlib import asynccontextmanager

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.server import create_app
from bot.settings import Settings
from tests.fakes.slack_payloads import SECRET, command


@asynccontextmanager
async def running(tmp_path, fake, database_url: str | None = None):
    settings = Settings(data_dir=tmp_path, db_path=tmp_path / "smpolicy.db", slack_bot_token="xoxb-test-token",
                        slack_signing_secret=SECRET, slack_api_url=fake.api_url, database_url=database_url or "")
    async with TestClient(TestServer(create_app(settings))) as client:
        yield client


@pytest.fixture
async def slack(tmp_path, slack_api, database_url):
    """Slack over HTTP on each backend (SQLite, then a real PostgreSQL)."""
    async with running(tmp_path, slack_api, database_url) as client:
        yield client


async def send(client, built) -> tuple[int, str]:
    body, headers = built
    resp = await client.post("/slack/events", data=body.encode(), headers=headers)
    return resp.status, await resp.text()


async def report_token(client, fake, user: str = "U100") -> str:
    """Open the report form as `user` (/smpolicy report) and return the submission token of its modal."""
    before = len(fake.of("views.open"))
    await send(client, command("report", user=user))
    views = await fake.wait_for("views.open", before + 1)
    return json.loads(views[before].args["view"]["private_metadata"])["value"]
