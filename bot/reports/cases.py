"""Case data: listing, reading (decrypting), messages both ways, status, audit, follow-up codes, retention.

Nothing here knows who filed a case. Reviewers are named by their opaque user key in the audit log.
Times that could point at a reporter are coarse: a case's `created_at` is rounded down to the hour.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
from collections.abc import Callable

from bot.reports.crypto import CODE_ALPHABET, Sealer, TamperedError
from bot.store import Store

STATUSES = ("new", "in_review", "closed")
OPEN = ("new", "in_review")
SESSION_SECONDS = 1800
HOUR = 3600
REF = re.compile(f"R-[{CODE_ALPHABET}]{{6}}")


def hour_of(ts: float) -> float:
    """A time rounded down to its hour: what is stored of when a reporter did anything."""
    return ts - ts % HOUR


def valid_ref(ref: str) -> bool:
    """Whether `ref` has the shape of a case reference (R- and six code letters): nothing else is ever looked up."""
    return bool(REF.fullmatch(ref))


class CaseBook:
    def __init__(self, store: Store, sealer: Sealer, clock: Callable[[], float] = time.time):
        self.store, self.sealer, self.clock = store, sealer, clock

    # ---------------------------------------------------------------- reading

    def cases(self, include_closed: bool = False) -> list[dict]:
        where = "" if include_closed else "WHERE status != 'closed'"
        return list(self.store.db.query(
            f"SELECT ref, category, urgency, status, created_at, outcome, notified_at FROM reports {where} "
            "ORDER BY CASE urgency WHEN 'urgent' THEN 0 WHEN 'normal' THEN 1 ELSE 2 END, created_at"))

    def case(self, ref: str) -> dict | None:
        """A case with its decrypted words and messages; TamperedError if any ciphertext was altered."""
        row = next(self.store.db.query("SELECT * FROM reports WHERE ref = ?", [ref]), None)
        if row is None:
            return None
        body = json.loads(self.sealer.open(ref, row["nonce"], row["ciphertext"]))
        messages = [{"author": m["author"], "at": m["at"], "text": self.sealer.open(ref, m["nonce"], m["ciphertext"])}
                    for m in self.store.db.query("SELECT * FROM report_messages WHERE ref = ? ORDER BY id", [ref])]
        return {**{k: row[k] for k in ("ref", "category", "urgency", "status", "created_at", "outcome")}, "body": body,
                "messages": messages}

    def age(self, created_at: float) -> str:
        hours = max(0, int((self.clock() - created_at) // HOUR))
        return f"{hours // 24} days" if hours >= 48 else f"{hours} hours"

    # ---------------------------------------------------------------- writing

    def add_message(self, ref: str, author: str, text: str) -> bool:
        """Add a message to an open case (its time kept to the hour); False when the case is closed or gone."""
        nonce, ciphertext = self.sealer.seal(ref, text)
        added = self.store.write(lambda db: db.execute(
            "INSERT INTO report_messages (ref, author, at, nonce, ciphertext) SELECT ref, ?, ?, ?, ? FROM reports "
            "WHERE ref = ? AND status IN ('new', 'in_review')", [author, hour_of(self.clock()), nonce, ciphertext, ref]).rowcount == 1)
        if author == "reporter":
            self.store.checkpoint()  # the WAL would order the reporter's write among exactly timed ones
        return added

    def add_note(self, ref: str, text: str) -> None:
        """An internal note only reviewers see (the reason of a reopening, say), whatever the case's status."""
        nonce, ciphertext = self.sealer.seal(ref, text)
        self.store.write(lambda db: db["report_messages"].insert(
            {"ref": ref, "author": "note", "at": hour_of(self.clock()), "nonce": nonce, "ciphertext": ciphertext}))

    # The case's state rules, in one place and in SQL: each change names the states it may leave.
    def acknowledge(self, ref: str) -> bool:
        """new -> in_review; False (nothing changed) from any other state, e.g. a stale button on a closed case."""
        return self._move(ref, "UPDATE reports SET status = 'in_review' WHERE ref = ? AND status = 'new'", [ref])

    def close(self, ref: str, outcome: str) -> bool:
        """new or in_review -> closed with an outcome; False when already closed (closed is final)."""
        return self._move(ref, "UPDATE reports SET status = 'closed', outcome = ?, closed_at = ? WHERE ref = ? AND status IN "
                          "('new', 'in_review')", [outcome, self.clock(), ref])

    def reopen(self, ref: str) -> bool:
        """closed -> in_review, only when asked explicitly (the caller audits it with a reason)."""
        return self._move(ref, "UPDATE reports SET status = 'in_review', outcome = NULL, closed_at = NULL WHERE ref = ? "
                          "AND status = 'closed'", [ref])

    def _move(self, ref: str, sql: str, params: list) -> bool:
        return self.store.write(lambda db: db.execute(sql, params).rowcount == 1)

    def status(self, ref: str) -> str | None:
        row = self.store.db.execute("SELECT status FROM reports WHERE ref = ?", [ref]).fetchone()
        return row[0] if row else None

    def audit(self, reviewer: str, action: str, ref: str) -> None:
        # A message's audit time is kept to the hour like the message: exact times of reviewers' messages would
        # bracket a reporter's reply between them (the thread's order is known).
        at = hour_of(self.clock()) if action == "message" else self.clock()
        self.store.write(lambda db: db["audit"].insert({"at": at, "reviewer": reviewer, "action": action, "ref": ref}))

    def audit_log(self, ref: str | None = None) -> list[dict]:
        if ref:
            return list(self.store.db.query("SELECT at, reviewer, action, ref FROM audit WHERE ref = ? ORDER BY id", [ref]))
        return list(self.store.db.query("SELECT at, reviewer, action, ref FROM audit ORDER BY id"))

    # ---------------------------------------------------------------- reporter follow-up

    def code_record(self, ref: str) -> dict | None:
        """The stored code hash and salt of `ref` (None if no such case)."""
        return next(self.store.db.query("SELECT code_hash, code_salt FROM reports WHERE ref = ?", [ref]), None)

    def open_session(self, ref: str) -> str:
        """A short-lived token that lets the verified reporter answer without typing the code again. Its expiry
        is stored as the end of an hour (at least 30 minutes away), so it does not tell when the case was opened."""
        token = secrets.token_urlsafe(18)
        digest = hashlib.sha256(token.encode()).hexdigest()
        expires = hour_of(self.clock() + SESSION_SECONDS) + HOUR
        self.store.write(lambda db: db["case_sessions"].insert({"token_hash": digest, "ref": ref, "expires": expires}))
        self.store.checkpoint()
        return token

    def session_ref(self, token: str) -> str | None:
        digest = hashlib.sha256(token.encode()).hexdigest()
        row = next(self.store.db.query("SELECT ref, expires FROM case_sessions WHERE token_hash = ?", [digest]), None)
        return row["ref"] if row and row["expires"] > self.clock() else None

    # ---------------------------------------------------------------- reviewers, destinations, notifications

    def is_reviewer(self, user_key: str) -> bool:
        return self.store.db.execute("SELECT 1 FROM reviewers WHERE user_key = ?", [user_key]).fetchone() is not None

    def set_reviewers(self, platform: str, user_keys: list[str]) -> None:
        now = self.clock()

        def replace(db):
            db.execute("DELETE FROM reviewers WHERE platform = ?", [platform])
            db["reviewers"].insert_all([{"user_key": k, "platform": platform, "updated_at": now} for k in user_keys], replace=True)

        self.store.write(replace)

    def set_destination(self, platform: str, target: str) -> None:
        self.store.write(lambda db: db["destinations"].upsert({"platform": platform, "target": target, "updated_at": self.clock()},
                                                             pk="platform"))

    def destination(self, platform: str) -> str | None:
        row = self.store.db.execute("SELECT target FROM destinations WHERE platform = ?", [platform]).fetchone()
        return row[0] if row else None

    def due_notifications(self) -> list[dict]:
        """Cases due to be announced: ref, category, urgency (nothing decrypted)."""
        return list(self.store.db.query(
            "SELECT ref, category, urgency FROM reports WHERE notified_at IS NULL AND COALESCE(notify_after, 0) <= ? "
            "ORDER BY notify_after", [self.clock()]))

    def readable(self, ref: str) -> bool:
        """Whether the case's words and messages decrypt with the configured keys."""
        try:
            return self.case(ref) is not None
        except TamperedError:
            return False

    def mark_notified(self, ref: str) -> None:
        self.store.write(lambda db: db.execute("UPDATE reports SET notified_at = ?, notify_after = NULL WHERE ref = ?",
                                               [hour_of(self.clock()), ref]))

    # ---------------------------------------------------------------- retention

    def purge(self, days: int) -> int:
        """Delete closed cases (with their messages and failures) closed more than `days` days ago."""
        cutoff = self.clock() - days * 86400

        def delete(db):
            refs = [r[0] for r in db.execute("SELECT ref FROM reports WHERE status = 'closed' AND closed_at < ?", [cutoff])]
            for ref in refs:
                for table in ("report_messages", "case_sessions"):
                    db.execute(f"DELETE FROM {table} WHERE ref = ?", [ref])
                db.execute("DELETE FROM reports WHERE ref = ?", [ref])
            db.execute("DELETE FROM case_sessions WHERE expires < ?", [self.clock()])
            db.execute("DELETE FROM code_failures")  # no longer written: old per-case records go
            return len(refs)

        return self.store.write(delete)
