"""`smpolicy db migrate-to`: a SQLite database with reports, messages, quizzes and events copied into a real
PostgreSQL database, counts verified, reports still encrypted; refusing a non-empty target."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import psycopg

from bot.storage import open_database
from tests.pg_server import fresh_name


async def fill(path) -> None:
    db = open_database(path)
    await db.execute("INSERT INTO reports (ref, code_hash, code_salt, created_at, status, category, urgency, nonce, ciphertext, "
                     "submission) VALUES ('R-AAAAAA', 'h', 's', 3600, 'new', 'privacy', 'normal', 'n0nce', 'c1pher', 'sub1')")
    for i in range(3):
        await db.execute("INSERT INTO report_messages (ref, author, at, nonce, ciphertext) VALUES ('R-AAAAAA', 'reviewer', 3600, ?, ?)",
                         [f"n{i}", f"secret-{i}"])
    await db.executemany("INSERT INTO seen_events (event_id, at) VALUES (?, ?)", [[f"e{i}", 0] for i in range(1200)])
    await db.execute("INSERT INTO feedback (topic, helpful, at) VALUES ('monitoring', 1, 5)")
    await db.close()


def run_cli(*args, env):
    return subprocess.run([sys.executable, "-m", "adapters.cli", *args], capture_output=True, text=True, env=env, timeout=120)


def test_copies_everything_and_counts(tmp_path, pg_server):
    asyncio.run(fill(tmp_path / "smpolicy.db"))
    url = pg_server.create_database(fresh_name())
    env = {**os.environ, "SMPOLICY_DB": str(tmp_path / "smpolicy.db"), "SMPOLICY_DATA_DIR": str(tmp_path)}
    done = run_cli("db", "migrate-to", url, env=env)
    assert done.returncode == 0, done.stderr
    assert "seen_events: 1200 rows" in done.stdout and "report_messages: 3 rows" in done.stdout
    assert "every count matches" in done.stdout and "smpolicy-test-only" not in done.stdout + done.stderr
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT nonce, ciphertext FROM reports").fetchall() == [("n0nce", "c1pher")]  # still sealed
        assert conn.execute("SELECT count(*) FROM seen_events").fetchone()[0] == 1200
        # identity columns go on after the copied ids: a new message does not collide
        conn.execute("INSERT INTO report_messages (ref, author, at, nonce, ciphertext) VALUES ('R-AAAAAA', 'r', 0, 'x', 'y')")
        assert conn.execute("SELECT max(id) FROM report_messages").fetchone()[0] == 4

    again = run_cli("db", "migrate-to", url, env=env)
    assert again.returncode == 1 and "not empty" in again.stderr and "nothing was copied" in again.stderr
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM seen_events").fetchone()[0] == 1200


def test_clear_errors_for_a_missing_source_or_a_bad_target(tmp_path, pg_server):
    env = {**os.environ, "SMPOLICY_DB": str(tmp_path / "none.db"), "SMPOLICY_DATA_DIR": str(tmp_path)}
    missing = run_cli("db", "migrate-to", pg_server.create_database(fresh_name()), env=env)
    assert missing.returncode == 1 and "no SQLite database" in missing.stderr
    asyncio.run(fill(tmp_path / "smpolicy.db"))
    env["SMPOLICY_DB"] = str(tmp_path / "smpolicy.db")
    wrong = run_cli("db", "migrate-to", pg_server.url.replace("smpolicy-test-only", "nope-nope"), env=env)
    assert wrong.returncode == 1 and "password authentication failed" in wrong.stderr and "nope-nope" not in wrong.stderr
    assert len(wrong.stderr.strip().splitlines()) == 1
