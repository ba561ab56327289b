"""SQLite schema, as numbered migrations (sqlite-utils). PRAGMA user_version holds the number applied.
Each number means the same schema as the same number in schema_postgres.py (tests/storage/test_schema.py)."""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils


def _v1(db: sqlite_utils.Database) -> None:
    db.table("feedback").create({"id": int, "topic": str, "helpful": int, "at": float}, pk="id")
    db.table("quiz_sessions").create({"id": str, "user_key": str, "questions": str, "position": int, "score": int,
                                "started_at": float, "finished_at": float, "round_id": str}, pk="id")
    db.table("quiz_sessions").create_index(["user_key", "started_at"])
    db.table("quiz_answers").create({"id": int, "session_id": str, "user_key": str, "question_id": str, "section": str,
                               "correct": int, "at": float}, pk="id")
    db.table("quiz_answers").create_index(["session_id", "question_id"], unique=True)
    db.table("quiz_cards").create({"user_key": str, "question_id": str, "box": int, "due": float, "seen": int},
                            pk=("user_key", "question_id"))
    db.table("reports").create({"ref": str, "code_hash": str, "code_salt": str, "created_at": float, "status": str,
                          "category": str, "urgency": str, "nonce": str, "ciphertext": str, "submission": str,
                          "notified_at": float}, pk="ref")
    db.table("reports").create_index(["submission"], unique=True)
    db.table("health").create({"id": int, "at": float}, pk="id")


def _v2(db: sqlite_utils.Database) -> None:
    # Platform event ids already handled, so a retried delivery never answers twice (also across restarts).
    db.table("seen_events").create({"event_id": str, "at": float}, pk="event_id")


def _v3(db: sqlite_utils.Database) -> None:
    # Teams conversation references (serialized JSON with the tenant id) for proactive quiz prompts.
    # Never used for reports: a report keeps no route back to whoever filed it.
    db.table("teams_references").create({"user_key": str, "tenant_id": str, "reference": str, "updated_at": float}, pk="user_key")


def _v4(db: sqlite_utils.Database) -> None:
    # Case handling. Reviewers are named (their actions are audited); reporters never are.
    db.table("reports").add_column("outcome", str)
    db.table("reports").add_column("closed_at", float)
    db.table("reports").add_column("notify_after", float)
    db.table("report_messages").create({"id": int, "ref": str, "author": str, "at": float, "nonce": str, "ciphertext": str}, pk="id",
                                 foreign_keys=[("ref", "reports", "ref")])
    db.table("report_messages").create_index(["ref"])
    db.table("audit").create({"id": int, "at": float, "reviewer": str, "action": str, "ref": str}, pk="id")
    db.table("code_failures").create({"id": int, "ref": str, "at": float}, pk="id")
    db.table("code_failures").create_index(["ref", "at"])
    db.table("case_sessions").create({"token_hash": str, "ref": str, "expires": float}, pk="token_hash")
    db.table("reviewers").create({"user_key": str, "platform": str, "updated_at": float}, pk="user_key")
    db.table("destinations").create({"platform": str, "target": str, "updated_at": float}, pk="platform")


def _v5(db: sqlite_utils.Database) -> None:
    # Weekly quiz rounds: the send log makes each person get a round at most once, across restarts.
    db.table("quiz_rounds").create({"round_id": str, "started_at": float, "finished_at": float}, pk="round_id")
    db.table("quiz_sends").create({"round_id": str, "user_key": str, "state": str, "channel": str, "at": float}, pk=("round_id", "user_key"))
    db.table("quiz_optout").create({"user_key": str, "at": float}, pk="user_key")


def _v6(db: sqlite_utils.Database) -> None:
    # The per-case failure records held any reference a stranger typed and locked reporters out: limits are per
    # person now, in memory only (bot/reports/limits.py). The table stays empty.
    db.execute("DELETE FROM code_failures")


def _v7(db: sqlite_utils.Database) -> None:
    # Leases (one sender of a round at a time) and the owner of each claim in the send log (bot/leases.py).
    db.table("leases").create({"name": str, "holder": str, "expires_at": float}, pk="name")
    db.table("quiz_sends").add_column("owner", str)


def _v8(db: sqlite_utils.Database) -> None:
    # For the policy owners (bot/storage/insights.py). Answer events hold no user or conversation id; the
    # words only for unknown, unsure or not-helpful answers, scrubbed, deleted after the retention period.
    db.table("answer_events").create({"event_id": str, "day": str, "channel": str, "verdict": str, "kind": str, "topic": str,
                                "section": str, "band": str, "helpful": int, "question": str, "gap": str, "status": str},
                               pk="event_id")
    db.table("answer_events").create_index(["day", "verdict", "helpful"])  # covering: the overview's counts read the index only
    db.table("answer_events").create_index(["day", "section", "helpful"])
    db.table("answer_events").create_index(["gap"])
    # Questions people chose to send to the owners: the asker's key only when they asked by name; an anonymous
    # one holds a hash of the one-time token its asker got, nothing else about them.
    db.table("owner_questions").create({"id": str, "day": str, "channel": str, "question": str, "verdict": str, "section": str,
                                  "gap": str, "named": int, "asker_key": str, "asker_conversation": str, "asker_name": str,
                                  "token_hash": str, "status": str, "answer": str, "answer_verdict": str,
                                  "answer_section": str, "answered_by": str, "answered_day": str, "delivered": int}, pk="id")
    db.table("owner_questions").create_index(["token_hash"])
    db.table("content_suggestions").create({"id": str, "day": str, "question": str, "verdict": str, "answer": str, "section": str,
                                      "source": str, "status": str}, pk="id")


def _v9(db: sqlite_utils.Database) -> None:
    # Case handling to the Whistleblowing Directive (bot/storage/cases.py): due dates fixed at filing (days, UTC),
    # who a case is assigned to, reviewers kept from a case (by the reporter or recused), the reminders sent (one
    # row per case and kind: claimed by inserting it), reviewers' names (the report form offers them), a detail
    # per audit entry. Statuses: the old ones keep their meaning ("in_review" was reached by acknowledging, so its
    # acknowledgement is done); "acknowledged" is new. Old cases get the default due dates (7 and 90 days).
    db.table("reports").add_column("ack_due", str)
    db.table("reports").add_column("feedback_due", str)
    db.table("reports").add_column("assignee", str)
    db.execute("UPDATE reports SET ack_due = date(created_at, 'unixepoch', '+7 days'), "
               "feedback_due = date(created_at, 'unixepoch', '+90 days')")
    db.table("case_exclusions").create({"ref": str, "reviewer": str, "kind": str}, pk=("ref", "reviewer"))
    db.table("case_reminders").create({"ref": str, "kind": str, "at": float}, pk=("ref", "kind"))
    db.table("reviewers").add_column("name", str)
    db.table("audit").add_column("detail", str)
    db.table("audit").create_index(["ref"])


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_v1, _v2, _v3, _v4, _v5, _v6, _v7, _v8, _v9]
