"""A running app on loopback (aiohttp TestServer: real HTTP, real SQLite) and helpers."""

from __future__ import annotations

from bot.settings import Settings


def settings_for(tmp_path, **extra) -> Settings:
    return Settings(data_dir=tmp_path, db_path=tmp_path / "smpolicy.db", **extra)
