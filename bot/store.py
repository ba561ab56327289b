"""The SQLite store: schema by numbered migrations (sqlite-utils), WAL, one connection per process.

Reports are written with synchronous=FULL inside a transaction that commits before the reporter
sees their case reference. No table holds a reporter's identity (see design notes).
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import sqlite_utils


def private_folder(folder: Path) -> None:
    """A folder the store creates is for its owner only (0700). An existing one keeps the mode its admin gave it:
    SMPOLICY_DB may point into a shared folder, whose mode is not ours to change (the image makes /data 0700)."""
    if not folder.exists():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)


def private_file(path: Path) -> None:
    """The database file exists with mode 0600 before SQLite opens it (its WAL and SHM files inherit the mode)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)


from bot.storage.errors import StoreError  # noqa: E402  (one error type for the old store and the new one)


def _v1(db: sqlite_utils.Database) -> None:
    db["feedback"].create({"id": int, "topic": str, "helpful": int, "at": float}, pk="id")
    db["quiz_sessions"].create({"id": str, "user_key": str, "questions": str, "position": int, "score": int,
                                "started_at": float, "finished_at": float, "round_id": str}, pk="id")
    db["quiz_sessions"].create_index(["user_key", "started_at"])
    db["quiz_answers"].create({"id": int, "session_id": str, "user_key": str, "question_id": str, "section": str,
                               "correct": int, "at": float}, pk="id")
    db["quiz_answers"].create_index(["session_id", "question_id"], unique=True)
    db["quiz_cards"].create({"user_key": str, "question_id": str, "box": int, "due": float, "seen": int},
                            pk=("user_key", "question_id"))
    db["reports"].create({"ref": str, "code_hash": str, "code_salt": str, "created_at": float, "status": str,
                          "category": str, "urgency": str, "nonce": str, "ciphertext": str, "submission": str,
                          "notified_at": float}, pk="ref")
    db["reports"].create_index(["submission"], unique=True)
    db["health"].create({"id": int, "at": float}, pk="id")


def _v2(db: sqlite_utils.Database) -> None:
    # Platform event ids already handled, so a retried delivery never answers twice (also across restarts).
    db["seen_events"].create({"event_id": str, "at": float}, pk="event_id")


def _v3(db: sqlite_utils.Database) -> None:
    # Teams conversation references (serialized JSON with the tenant id) for proactive quiz prompts.
    # Never used for reports: a report keeps no route back to whoever filed it.
    db["teams_references"].create({"user_key": str, "tenant_id": str, "reference": str, "updated_at": float}, pk="user_key")


def _v4(db: sqlite_utils.Database) -> None:
    # Case handling. Reviewers are named (their actions are audited); reporters never are.
    db["reports"].add_column("outcome", str)
    db["reports"].add_column("closed_at", float)
    db["reports"].add_column("notify_after", float)
    db["report_messages"].create({"id": int, "ref": str, "author": str, "at": float, "nonce": str, "ciphertext": str}, pk="id",
                                 foreign_keys=[("ref", "reports", "ref")])
    db["report_messages"].create_index(["ref"])
    db["audit"].create({"id": int, "at": float, "reviewer": str, "action": str, "ref": str}, pk="id")
    db["code_failures"].create({"id": int, "ref": str, "at": float}, pk="id")
    db["code_failures"].create_index(["ref", "at"])
    db["case_sessions"].create({"token_hash": str, "ref": str, "expires": float}, pk="token_hash")
    db["reviewers"].create({"user_key": str, "platform": str, "updated_at": float}, pk="user_key")
    db["destinations"].create({"platform": str, "target": str, "updated_at": float}, pk="platform")


def _v5(db: sqlite_utils.Database) -> None:
    # Weekly quiz rounds: the send log makes each person get a round at most once, across restarts.
    db["quiz_rounds"].create({"round_id": str, "started_at": float, "finished_at": float}, pk="round_id")
    db["quiz_sends"].create({"round_id": str, "user_key": str, "state": str, "channel": str, "at": float}, pk=("round_id", "user_key"))
    db["quiz_optout"].create({"user_key": str, "at": float}, pk="user_key")


def _v6(db: sqlite_utils.Database) -> None:
    # The per-case failure records held any reference a stranger typed and locked reporters out: limits are per
    # person now, in memory only (bot/reports/limits.py). The table stays empty.
    db.execute("DELETE FROM code_failures")


def _v7(db: sqlite_utils.Database) -> None:
    # Leases (one sender of a round at a time) and the owner of each claim in the send log (bot/leases.py).
    db["leases"].create({"name": str, "holder": str, "expires_at": float}, pk="name")
    db["quiz_sends"].add_column("owner", str)


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_v1, _v2, _v3, _v4, _v5, _v6, _v7]


class Store:
    """Opens (and migrates) the database file; `db` is the sqlite-utils handle."""

    def __init__(self, path: Path | str):
        path = Path(path)
        if str(path) != ":memory:":
            private_folder(path.parent)
            private_file(path)
        self.path = path
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        self.db = sqlite_utils.Database(conn)
        self._migrate()
        if str(path) != ":memory:":
            for extra in ("-wal", "-shm"):  # SQLite gives them the database's mode; older files are fixed here
                if Path(f"{path}{extra}").exists():
                    os.chmod(f"{path}{extra}", 0o600)

    def holds_reports(self) -> bool:
        """Whether any report is stored (then a missing key must never be replaced by a new one)."""
        return self.db.execute("SELECT EXISTS (SELECT 1 FROM reports)").fetchone()[0] == 1

    def _migrate(self) -> None:
        """Apply what is missing, each migration in a write transaction that first re-reads the version: two
        processes opening a new database together migrate it once (the second waits, then finds it done)."""
        for number, migration in enumerate(MIGRATIONS, start=1):
            with self.db.conn:
                self.db.execute("BEGIN IMMEDIATE")
                if self.db.execute("PRAGMA user_version").fetchone()[0] >= number:
                    continue
                migration(self.db)
                self.db.execute(f"PRAGMA user_version = {number}")

    def write(self, fn: Callable[[sqlite_utils.Database], object]):
        """Run `fn` in one committed transaction; raise StoreError when the disk refuses."""
        try:
            with self.db.conn:
                self.db.execute("BEGIN IMMEDIATE")
                return fn(self.db)
        except sqlite3.IntegrityError:
            raise
        except (sqlite3.OperationalError, sqlite3.DatabaseError) as exc:
            raise StoreError(str(exc)) from exc

    def checkpoint(self) -> None:
        """Move the WAL into the database file and empty it (best effort: a reader holding a snapshot can delay it)."""
        try:
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error:
            pass

    def writable(self) -> bool:
        """Whether a write can be committed right now (used by /healthz). It writes a counter, not a time: a probe's
        exact time in the WAL would bracket whatever was written around it."""
        try:
            self.write(lambda db: db.execute("INSERT INTO health (id, at) VALUES (1, 0) ON CONFLICT (id) DO UPDATE SET at = at + 1"))
            return True
        except (StoreError, sqlite3.Error, OSError):
            return False

    def first_time(self, event_id: str) -> bool:
        """Record a platform event id; False when it was seen before (a retry)."""
        try:
            now = time.time()
            self.write(lambda db: db.execute("INSERT INTO seen_events (event_id, at) VALUES (?, ?)", [event_id, now - now % 3600]))
            return True
        except sqlite3.IntegrityError:
            return False

    def forget_events(self, older_than: float) -> int:
        """Drop event ids recorded before `older_than` (Slack retries within minutes: a day is plenty)."""
        return self.write(lambda db: db.execute("DELETE FROM seen_events WHERE at < ?", [older_than]).rowcount)

    def close(self) -> None:
        """Checkpoint the WAL and close."""
        try:
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error:
            pass
        self.db.conn.close()
