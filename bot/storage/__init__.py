"""Storage: one seam (`Database`), two backends (SQLite by default, PostgreSQL by URL), repositories per
aggregate. No module outside this package writes SQL or imports a database driver (tests/test_layout.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.storage.cases import Cases
from bot.storage.database import Database, Dialect, Queries, Row
from bot.storage.errors import DatabaseUnavailable, DuplicateError, StoreError
from bot.storage.events import Events
from bot.storage.feedback import Feedback
from bot.storage.health import Health
from bot.storage.insights import Insights
from bot.storage.leases import LeaseTable
from bot.storage.quiz import Quizzes
from bot.storage.references import References
from bot.storage.reviewers import Reviewers
from bot.storage.rounds import RoundLog


def open_database(db_path: Path | str, url: str | None = None) -> Database:
    """The database the settings name: PostgreSQL when `url` is a postgresql:// URL, else the SQLite file
    `db_path`. Connects and migrates now (under a lock: replicas starting together migrate once), so a wrong
    URL, refused credentials or a schema newer than this code fail here with one line (DatabaseUnavailable)."""
    if url:
        if not url.startswith(("postgresql://", "postgres://")):
            raise DatabaseUnavailable("SMPOLICY_DATABASE_URL must start with postgresql:// (got another scheme)")
        from bot.storage.postgres import PostgresDatabase

        return PostgresDatabase.prepare(url)
    from bot.storage.sqlite import SQLiteDatabase

    return SQLiteDatabase.prepare(db_path)


@dataclass
class Storage:
    """The repositories of one database, each for one aggregate. Flows take the ones they need."""

    db: Database
    events: Events
    health: Health
    feedback: Feedback
    references: References
    quiz: Quizzes
    rounds: RoundLog
    leases: LeaseTable
    cases: Cases
    reviewers: Reviewers
    insights: Insights

    @classmethod
    def on(cls, db: Database) -> Storage:
        return cls(db, Events(db), Health(db), Feedback(db), References(db), Quizzes(db), RoundLog(db), LeaseTable(db),
                   Cases(db), Reviewers(db), Insights(db))

    @classmethod
    def open(cls, db_path: Path | str, url: str | None = None) -> Storage:
        """`open_database` (connect, migrate, check) and its repositories; `await storage.start()` before use."""
        return cls.on(open_database(db_path, url))

    async def start(self) -> None:
        await self.db.start()

    async def close(self) -> None:
        await self.db.close()


__all__ = ["Storage", "Database", "DatabaseUnavailable", "Dialect", "DuplicateError", "Queries", "Row", "StoreError", "open_database"]
