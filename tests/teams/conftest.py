from __future__ import annotations

from contextlib import asynccontextmanager

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.server import TEAMS, create_app
from bot.settings import Settings

CARD_TYPE = "application/vnd.microsoft.card.adaptive"


@asynccontextmanager
async def running(tmp_path, **settings):
    settings.setdefault("teams_emulator", True)
    app = create_app(Settings(data_dir=tmp_path, db_path=tmp_path / "smpolicy.db", **settings))
    async with TestClient(TestServer(app)) as client:
        client.teams = app[TEAMS] if TEAMS in app else None
        yield client


@pytest.fixture
async def teams(tmp_path, database_url):
    """Teams over HTTP on each backend (SQLite, then a real PostgreSQL)."""
    async with running(tmp_path, database_url=database_url or "") as client:
        yield client


def card_of(activity: dict) -> dict:
    """The Adaptive Card of a chat message the bot sent."""
    [attachment] = activity["attachments"]
    assert attachment["contentType"] == CARD_TYPE
    return attachment["content"]


def inputs_of(card: dict) -> list[str]:
    return [b["id"] for b in card["body"] if b["type"].startswith("Input.")]


def dialog_card(task: dict) -> dict:
    """The card of a task module "continue" response, after checking the shape Teams documents."""
    assert set(task) == {"task"} and task["task"]["type"] == "continue", task
    value = task["task"]["value"]
    assert {"title", "height", "width", "card"} <= set(value) and value["title"]
    assert value["height"] in ("small", "medium", "large") and value["width"] in ("small", "medium", "large")
    assert value["card"]["contentType"] == CARD_TYPE and value["card"]["content"]["version"] == "1.5"
    return value["card"]["content"]


def dialog_message(task: dict) -> str:
    """The text of a task module "message" response (Teams shows it and closes the dialog)."""
    assert task == {"task": {"type": "message", "value": task["task"]["value"]}} and isinstance(task["task"]["value"], str), task
    return task["task"]["value"]


def text_of(card: dict) -> str:
    """Every text the card shows, joined (TextBlocks, facts), without the invisible escapes."""
    parts: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "TextBlock":
                parts.append(node["text"])
            for fact in node.get("facts", []):
                parts.extend((fact["title"], fact["value"]))
            for key in ("body", "items"):
                for child in node.get(key, []):
                    walk(child)

    walk(card)
    return "\n".join(parts).replace("\u200b", "")


def submit_data(card: dict, title: str | None = None) -> dict:
    """The data of the card's Action.Submit (the one titled `title`, else the last)."""
    actions = [x for x in card.get("actions", []) if title is None or x["title"] == title]
    assert actions, (title, card.get("actions"))
    return dict(actions[-1]["data"])


async def invoke(client, activity: dict) -> dict:
    """Post an invoke activity; the body of the (200) invoke response."""
    resp = await client.post("/api/messages", json=activity)
    assert resp.status == 200, (resp.status, await resp.text())
    return await resp.json()
