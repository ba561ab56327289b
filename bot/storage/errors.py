"""Errors every backend raises the same way, so no flow catches a driver's exception."""

from __future__ import annotations


class StoreError(RuntimeError):
    """The database could not be written (or read); nothing was saved."""


class DuplicateError(StoreError):
    """A row with the same key exists (a retried event, a claim already taken, a reused submission id)."""


class DatabaseUnavailable(StoreError):
    """The database cannot be used at start: unreachable, refused the credentials, or holds a newer schema."""
