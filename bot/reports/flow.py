"""Filing a report through a form.

    report / button ──▶ form card ──submit──▶ validate ──errors──▶ form errors beside fields
                                                 │ ok
                                                 ▼
                       encrypt + commit (one transaction) ──▶ case reference + code, shown once

Nothing about the reporter is stored: no user key, no conversation, only the form's words
(encrypted), category, urgency, a hash of the follow-up code, the due dates (from the filing day) and the
reviewers the reporter chose to keep the report from ("Keep this report from": every current reviewer's name,
the same list for everyone, so choosing from it says nothing about who chose).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time

from bot.messages import Button, Card, FormField, Incoming, Option, Reply
from bot.policy.pack import Pack
from bot.reports.cases import due_dates
from bot.reports.crypto import CODE_ALPHABET, CodePool, Hasher, Sealer
from bot.reports.limits import Limits
from bot.storage.cases import Cases, DuplicateSubmission, NewReport
from bot.storage.errors import DuplicateError
from bot.storage.reviewers import Reviewer, Reviewers

ANONYMITY_NOTE = ("Your report is anonymous: reviewers see only what you write here, never who sent it; "
                  "don't include your own name or anything that identifies you.")
URGENCY = (("Low", "low"), ("Normal", "normal"), ("Urgent: harm is ongoing", "urgent"))
PLATFORMS = ("LinkedIn", "X / Twitter", "Facebook", "Instagram", "TikTok", "YouTube", "Reddit", "Other")
REPORTS_AN_HOUR = 5
LIMITS = {"what": 4000, "where": 100, "link": 500, "when": 100, "section": 60, "evidence": 1000, "urgency": 20, "exclude": 4000}
KEEP_FROM = "Keep this report from"


def form_token(key: bytes, user_key: str) -> str:
    """A one-time submission token bound to the person the form was shown to: a nonce and an HMAC of it with
    their user key. Another person's token files nothing of theirs (`token_holder_ok` fails for them)."""
    nonce = secrets.token_urlsafe(12)
    return f"{nonce}.{_token_mac(key, nonce, user_key)}"


def _token_mac(key: bytes, nonce: str, user_key: str) -> str:
    return hmac.new(key, f"{nonce}\x00{user_key}".encode(), hashlib.sha256).hexdigest()[:32]


def token_holder_ok(key: bytes, token: str, user_key: str) -> bool:
    """Whether `token` was issued to `user_key`."""
    nonce, _, mac = token.partition(".")
    return bool(nonce and mac) and hmac.compare_digest(mac, _token_mac(key, nonce, user_key))


def report_form(pack: Pack, token: str, reviewers: list[Reviewer] | None = None) -> Reply:
    """The report form, with a one-time submission token (bound to the person) so a double click files once, and
    (when there are reviewers) "Keep this report from" offering all of them: the same names whoever opens it."""
    sections = tuple(Option(s.title, s.id) for s in pack.sections.values() if "." not in s.id) + (Option("Other", "other"),)
    card = Card(
        title="Report a concern anonymously",
        body="Tell us what you saw. Only \"what happened\" is required.",
        form=(
            FormField("what", "What happened", "multiline", True, LIMITS["what"], placeholder="What was posted, by whom (role or handle), why it concerns you"),
            FormField("where", "Where", "choice", False, LIMITS["where"], tuple(Option(p, p) for p in PLATFORMS)),
            FormField("link", "Link to the post", "text", False, LIMITS["link"], placeholder="https://..."),
            FormField("when", "When", "text", False, LIMITS["when"], placeholder="e.g. yesterday, 3 March"),
            FormField("section", "Which guideline", "choice", False, LIMITS["section"], sections),
            FormField("evidence", "Evidence links", "multiline", False, LIMITS["evidence"]),
            FormField("urgency", "Urgency", "choice", False, LIMITS["urgency"], tuple(Option(label, v) for label, v in URGENCY)),
        ) + ((FormField("exclude", KEEP_FROM, "choices", False, LIMITS["exclude"], tuple(Option(r.name, r.key) for r in reviewers),
                        placeholder="Reviewers who must not see it (optional)"),) if reviewers else ()),
        submit=Button("Submit report", "report.submit", token, "primary"),
        note=ANONYMITY_NOTE,
    )
    return Reply(f"Report a concern anonymously. {ANONYMITY_NOTE}", card, private=True, dialog=True)


def chosen(value: str) -> list[str]:
    """The values of a multiple-choice field (comma-separated, as every channel sends them)."""
    return list(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))


def validate(form: dict[str, str], pack: Pack, reviewers: list[Reviewer] | None = None) -> dict[str, str]:
    """Field name -> error message for everything wrong with a submitted form."""
    errors: dict[str, str] = {}
    if not form.get("what", "").strip():
        errors["what"] = "Please describe what happened."
    for name, limit in LIMITS.items():
        if len(form.get(name, "")) > limit:
            errors[name] = f"At most {limit} characters, please."
    section = form.get("section", "")
    if section and section != "other" and section not in pack.sections:
        errors["section"] = "Choose one of the listed guidelines."
    if form.get("urgency") and form["urgency"] not in {v for _, v in URGENCY}:
        errors["urgency"] = "Choose one of the listed urgencies."
    excluded = chosen(form.get("exclude", ""))
    if excluded:
        keys = {r.key for r in reviewers or []}
        if any(key not in keys for key in excluded):
            errors["exclude"] = "Choose from the listed reviewers (the list changed: open a new form)."
        elif keys <= set(excluded):
            errors["exclude"] = "Leave at least one reviewer who can read the report."
    return errors


def _new_ref() -> str:
    return "R-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


def notify_time(now: float, urgency: str, delay: float) -> tuple[float, float | None]:
    """When reviewers are told of a report filed at `now`: (the time stored in the row, a sooner time kept in
    memory only). Low and normal reports go in the hourly batch after the filing hour (with up to `delay` seconds
    of jitter), so that neither the stored time nor the channel's timestamps say more than the hour. Urgent ones
    go after a random delay of up to `delay` seconds, a time kept only in memory: the row says "from this hour"
    (a restart announces them at once). With `delay` 0 (development and tests) every report goes at once."""
    if delay <= 0:
        return now - now % 3600, None
    jitter = secrets.randbelow(int(delay) + 1)
    if urgency == "urgent":
        return now - now % 3600, now + jitter
    return now - now % 3600 + 3600 + jitter, None


class ReportDesk:
    """Files reports. Holds the cases repository and the sealer; never stores who is reporting."""

    def __init__(self, cases: Cases, sealer: Sealer, pack: Pack, notify_delay: float = 120,
                 clock=time.time, hasher: Hasher | None = None, codes: CodePool | None = None, limits: Limits | None = None,
                 reviewers: Reviewers | None = None, ack_days: int = 7, feedback_days: int = 90):
        self.cases, self.sealer, self.pack, self.reviewers = cases, sealer, pack, reviewers
        self.ack_days, self.feedback_days = ack_days, feedback_days
        self.hasher = hasher or Hasher()
        self.codes = codes or CodePool(self.hasher)
        self.notify_delay = notify_delay
        self.clock = clock
        self.limits = limits or Limits(clock)
        self.soon: dict[str, float] = {}  # urgent reports' notice times, in memory only (the row keeps the hour)
        self.form_key = sealer.derive("report-form")

    async def open_form(self, incoming: Incoming) -> list[Reply]:
        """The report form for this person (its token is bound to them)."""
        return [report_form(self.pack, form_token(self.form_key, incoming.user_key), await self._roster())]

    async def _roster(self) -> list[Reviewer]:
        return await self.reviewers.roster() if self.reviewers else []

    async def submit(self, incoming: Incoming) -> list[Reply]:
        form = {k: v.strip() for k, v in incoming.form_dict().items()}
        errors = validate(form, self.pack, await self._roster() if form.get("exclude") else [])
        if errors:
            return [Reply("Please fix the form: " + "; ".join(f"{k}: {v}" for k, v in errors.items()), private=True,
                          field_errors=tuple(errors.items()), dialog=True)]
        if not token_holder_ok(self.form_key, incoming.value, incoming.user_key):
            # Someone else's token (or none): file nothing, say nothing about any case.
            return [Reply("This form has expired. Please open a new report form.", private=True, dialog=True)]
        # The row keeps an HMAC of the token, never the token the form carried.
        token = hmac.new(self.form_key, incoming.value.encode(), hashlib.sha256).hexdigest()
        existing = await self.cases.filed_as(token)
        if existing:
            return [Reply(f"This report was already filed as case {existing}.", private=True, dialog=True)]
        if not self.limits.allow("report", incoming.user_key, REPORTS_AN_HOUR):
            return [Reply("You have filed 5 reports in the last hour, the most we accept. Please try again later, "
                          "or talk to your supervisor or HR directly.", private=True, dialog=True)]
        body = {k: form.get(k, "") for k in ("what", "where", "link", "when", "evidence")}
        # The code and its scrypt hash were made in advance: filing takes as long as any other action.
        code, salt, code_hash = await self.codes.take()
        for _ in range(5):
            ref = _new_ref()
            nonce, ciphertext = self.sealer.seal(ref, json.dumps(body))
            now = self.clock()
            stored_at, sooner = notify_time(now, form.get("urgency") or "normal", self.notify_delay)
            ack_due, feedback_due = due_dates(now, self.ack_days, self.feedback_days)
            # created_at is rounded down to the hour and the notification waits a random delay, so that
            # neither the database nor the reviewers' channel shows when exactly someone reported.
            report = NewReport(ref=ref, code_hash=code_hash, code_salt=salt.hex(), created_at=now - now % 3600,
                               category=form.get("section") or "other", urgency=form.get("urgency") or "normal",
                               nonce=nonce, ciphertext=ciphertext, submission=token, notify_after=stored_at,
                               ack_due=ack_due, feedback_due=feedback_due, kept_from=tuple(chosen(form.get("exclude", ""))))
            try:
                # Committed, and folded into the main file at once (the repository checkpoints): the WAL would keep
                # the order of this write among writes that carry exact times, bracketing the filing to seconds.
                await self.cases.add(report)
            except DuplicateSubmission as filed:  # the same form submitted twice at once: the other one won
                return [Reply(f"This report was already filed as case {filed.ref}.", private=True, dialog=True)]
            except DuplicateError:  # the reference was taken: draw another
                continue
            if sooner is not None:
                self.soon[ref] = sooner
            break
        else:
            raise RuntimeError("could not allocate a case reference")
        text = (f"Thank you. Your report is filed as case {ref}. Your follow-up code is {code}. "
                "Keep both: the code is shown only this once and lets you read and answer the reviewers' messages. "
                f"The reviewers acknowledge it by {ack_due} and answer you by {feedback_due}.")
        card = Card(title="Report filed", body=text, fields=(("Case", ref), ("Follow-up code", code), ("Acknowledged by", ack_due),
                                                             ("Answer by", feedback_due)), note=ANONYMITY_NOTE)
        return [Reply(text, card, private=True, dialog=True)]
