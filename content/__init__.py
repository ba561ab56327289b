"""The default content pack (policy text, answer knowledge, quiz bank), installed as package data."""

from pathlib import Path


def default_dir() -> Path:
    """Return the folder of the bundled content pack."""
    return Path(__file__).resolve().parent
