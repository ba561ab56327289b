"""Load the configured content pack and build its engine in one call."""

from __future__ import annotations

from pathlib import Path

from bot.policy.engine import Engine
from bot.policy.pack import Pack, load_pack


def load_policy(content_dir: Path | None, default_dir: Path, contact: str = "") -> tuple[Pack, Engine]:
    """Load the pack (the configured folder, else the bundled one) and index it."""
    pack = load_pack(content_dir or default_dir)
    return pack, Engine(pack, contact or None)
