"""Reviewers work cases; reporters follow up with their reference and code. Both through cards.

    reviewer: reports ──▶ list ──open──▶ case ──acknowledge / write to reporter / close (outcome)
    reporter: case ──▶ form (reference, code) ──ok──▶ the case thread + a reply form (short-lived token)
                                           └─wrong──▶ refused; 5 wrong in an hour lock the case for an hour

Only members of the reviewers' group (the `reviewers` table, kept by each channel) see anything of a
case; everyone else gets a plain refusal. Every reviewer action goes into the audit log.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from bot.messages import Button, Card, FormField, Incoming, Option, Reply
from bot.policy.pack import Pack
from bot.reports.cases import CaseBook, Message, valid_ref
from bot.reports.crypto import DUMMY_SALT, Hasher, TamperedError, check_code
from bot.reports.limits import Limits

log = logging.getLogger("smpolicy.reports")

REFUSAL = "Only the designated reviewers can see reports."
OUTCOMES = (("Action taken", "action_taken"), ("No violation found", "no_violation"), ("Duplicate", "duplicate"),
            ("Other", "other"))
MESSAGE_LIMIT = 2000
REPORTER_ACTIONS = frozenset({"case.lookup", "case.verify", "case.reply"})


def is_reviewer_action(action_id: str) -> bool:
    """Whether an action is a reviewer's (the list, and every case.* action but the reporter's follow-up ones):
    the channels refresh their review roster before running one."""
    return action_id == "reports.list" or (action_id.startswith("case.") and action_id not in REPORTER_ACTIONS)
WRONG_CODES_AN_HOUR = 10


def _words(body: Mapping[str, str]) -> str:
    parts = [f"What happened: {body.get('what', '')}"]
    for key, label in (("where", "Where"), ("link", "Link"), ("when", "When"), ("evidence", "Evidence")):
        if body.get(key):
            parts.append(f"{label}: {body[key]}")
    return "\n".join(parts)


def _thread(messages: tuple[Message, ...], reader: str) -> str:
    if not messages:
        return "No messages yet."
    names = {"reviewer": "Reviewer", "reporter": "Reporter", "note": "Internal note"}
    if reader == "reporter":
        names["reporter"] = "You"
        messages = tuple(m for m in messages if m.author != "note")  # internal notes are for reviewers only
    return "\n".join(f"{names.get(m.author, 'Reviewer')}: {m.text}" for m in messages) or "No messages yet."


class ReviewDesk:
    def __init__(self, book: CaseBook, pack: Pack, hasher: Hasher | None = None, limits: Limits | None = None):
        self.book, self.pack = book, pack
        self.hasher = hasher or Hasher()
        self.limits = limits or Limits(book.clock)

    def _category(self, section: str) -> str:
        return self.pack.sections[section].title if section in self.pack.sections else "Other"

    def notification(self, ref: str, category: str, urgency: str) -> Reply:
        """What the reviewers' channel gets for a new case: a bare notice (reference, guideline, urgency) and a
        button that opens the case in a modal or dialog. Never the words: channel exports keep what is posted."""
        title = f"New report {ref}" + (" (urgent)" if urgency == "urgent" else "")
        text = f"{title}: {self._category(category)}, urgency {urgency}. Open the case to read it."
        card = Card(title=title, body="Open the case to read it.", fields=(("Guideline", self._category(category)), ("Urgency", urgency)),
                    buttons=(Button("Open case", "case.open", ref, "primary", dialog=True),))
        return Reply(text, card)

    # ---------------------------------------------------------------- reviewers

    async def list_cases(self, incoming: Incoming) -> list[Reply]:
        if not await self.book.is_reviewer(incoming.user_key):
            return [Reply(REFUSAL, private=True)]
        rows = await self.book.cases()
        await self.book.audit(incoming.user_key, "list", "")
        if not rows:
            return [Reply("No open cases.", private=True)]
        lines = [f"{r.ref}: {self._category(r.category)}, {r.urgency}, {self.book.age(r.created_at)} old, {r.status}" for r in rows]
        buttons = tuple(Button(f"Open {r.ref}", "case.open", r.ref, dialog=True) for r in rows[:20])
        text = f"{len(rows)} open case(s):\n" + "\n".join(lines)
        return [Reply(text, Card(title="Open cases", body="\n".join(lines), buttons=buttons), private=True)]

    async def _case_reply(self, ref: str) -> Reply:
        case = await self.book.case(ref)
        if case is None:  # purged meanwhile
            return Reply(f"There is no case {ref[:20]}.", private=True, dialog=True)
        fields: tuple[tuple[str, str], ...] = (("Guideline", self._category(case.category)), ("Urgency", case.urgency),
                                               ("Status", case.status), ("Age", self.book.age(case.created_at)))
        if case.outcome:
            fields += (("Outcome", case.outcome),)
        body = f"{_words(case.body)}\n\nMessages:\n{_thread(case.messages, 'reviewer')}"
        buttons: tuple[Button, ...] = (Button("Reopen case", "case.reopen", ref, dialog=True),)
        if case.status != "closed":
            buttons = (Button("Acknowledge", "case.ack", ref, dialog=True), Button("Write to reporter", "case.write", ref, "primary", dialog=True),
                       Button("Close case", "case.close", ref, "danger", dialog=True))
        return Reply(f"Case {ref}\n{body}", Card(title=f"Case {ref}", body=body, fields=fields, buttons=buttons), private=True, dialog=True)

    async def _unchanged(self, ref: str) -> Reply:
        """The answer to a stale button (a closed case's Acknowledge, a second Close): polite, and nothing changed."""
        status = {"new": "new", "in_review": "in review", "closed": "closed"}.get(await self.book.status(ref) or "", "gone")
        return Reply(f"Case {ref} is {status} now, so that button no longer applies: nothing was changed.", private=True, dialog=True)

    async def reviewer_action(self, incoming: Incoming) -> list[Reply]:
        if not await self.book.is_reviewer(incoming.user_key):
            return [Reply(REFUSAL, private=True, dialog=True)]
        ref = incoming.value
        try:
            exists = await self.book.case(ref) is not None
        except TamperedError:
            log.error("case failed its integrity check")
            return [Reply(f"Case {ref} failed its integrity check: its stored text was altered or the key is wrong. "
                          "Tell the policy owners who run the bot.", private=True, dialog=True)]
        if not exists:
            return [Reply(f"There is no case {ref[:20]}.", private=True, dialog=True)]
        action = incoming.action_id
        if action == "case.open":
            await self.book.audit(incoming.user_key, "open", ref)
            return [await self._case_reply(ref)]
        if action == "case.ack":
            if not await self.book.acknowledge(ref):
                return [await self._unchanged(ref), await self._case_reply(ref)]
            await self.book.audit(incoming.user_key, "acknowledge", ref)
            return [Reply(f"Case {ref} is now in review.", private=True, dialog=True), await self._case_reply(ref)]
        if action == "case.write":
            form = (FormField("message", "Message to the reporter", "multiline", True, MESSAGE_LIMIT),)
            return [Reply(f"Write to the reporter of case {ref}.", Card(title=f"Write about {ref}", form=form,
                                                                         submit=Button("Send", "case.send", ref, "primary"),
                                                                         note="The reporter reads it when they open the case with their code."),
                          private=True, dialog=True)]
        if action == "case.send":
            text = incoming.form_dict().get("message", "").strip()
            if not text or len(text) > MESSAGE_LIMIT:
                return [Reply("Please write a message.", private=True, dialog=True,
                              field_errors=(("message", f"Write 1 to {MESSAGE_LIMIT} characters."),))]
            if not await self.book.add_message(ref, "reviewer", text):
                return [await self._unchanged(ref)]
            await self.book.audit(incoming.user_key, "message", ref)
            return [Reply(f"Message saved on case {ref}; the reporter sees it when they open the case.", private=True, dialog=True)]
        if action == "case.close":
            form = (FormField("outcome", "Outcome", "choice", True, 40, tuple(Option(label, v) for label, v in OUTCOMES)),)
            return [Reply(f"Close case {ref}.", Card(title=f"Close {ref}", form=form, submit=Button("Close case", "case.closed", ref, "danger")),
                          private=True, dialog=True)]
        if action == "case.closed":
            outcome = incoming.form_dict().get("outcome", "")
            if outcome not in {v for _, v in OUTCOMES}:
                return [Reply("Choose an outcome.", private=True, dialog=True, field_errors=(("outcome", "Choose an outcome."),))]
            if not await self.book.close(ref, outcome):
                return [await self._unchanged(ref)]
            await self.book.audit(incoming.user_key, f"close:{outcome}", ref)
            return [Reply(f"Case {ref} is closed ({outcome}).", private=True, dialog=True)]
        if action == "case.reopen":
            form = (FormField("reason", "Why reopen it?", "multiline", True, MESSAGE_LIMIT),)
            return [Reply(f"Reopen case {ref}.", Card(title=f"Reopen {ref}", form=form, submit=Button("Reopen", "case.reopened", ref, "danger"),
                                                      note="The reason is kept as an internal note and the reopening in the audit log."),
                          private=True, dialog=True)]
        if action == "case.reopened":
            reason = incoming.form_dict().get("reason", "").strip()
            if not reason or len(reason) > MESSAGE_LIMIT:
                return [Reply("Say why.", private=True, dialog=True, field_errors=(("reason", f"Write 1 to {MESSAGE_LIMIT} characters."),))]
            if not await self.book.reopen(ref):
                return [await self._unchanged(ref)]
            await self.book.add_note(ref, f"Reopened: {reason}")
            await self.book.audit(incoming.user_key, "reopen", ref)
            return [Reply(f"Case {ref} is open again.", private=True, dialog=True), await self._case_reply(ref)]
        return [Reply("I don't know that case action.", private=True, dialog=True)]

    # ---------------------------------------------------------------- reporters

    async def lookup_form(self, incoming: Incoming) -> list[Reply]:
        form = (FormField("ref", "Case reference", "text", True, 20, placeholder="R-XXXXXX"),
                FormField("code", "Follow-up code", "text", True, 40, placeholder="XXXX-XXXX-XXXX"))
        card = Card(title="Open your case", body="Enter the reference and code you got when you filed the report.",
                    form=form, submit=Button("Open", "case.verify", "-", "primary"),
                    note="Nobody can see who opens a case; the code is the only key.")
        return [Reply("Open your case: enter its reference and follow-up code.", card, private=True, dialog=True)]

    async def _reporter_view(self, ref: str, token: str) -> Reply:
        case = await self.book.case(ref)
        if case is None:  # purged meanwhile
            return Reply("This case is no longer kept.", private=True, dialog=True)
        status = {"new": "received", "in_review": "in review", "closed": "closed"}[case.status]
        body = f"Status: {status}.\n\nMessages:\n{_thread(case.messages, 'reporter')}"
        form: tuple[FormField, ...] = ()
        submit = None
        if case.status != "closed":
            form = (FormField("message", "Your answer", "multiline", True, MESSAGE_LIMIT),)
            submit = Button("Send", "case.reply", token, "primary")
        return Reply(f"Case {ref}. {body}", Card(title=f"Your case {ref}", body=body, form=form, submit=submit,
                                                 note="Don't include your name or anything that identifies you."), private=True, dialog=True)

    async def verify(self, incoming: Incoming) -> list[Reply]:
        form = incoming.form_dict()
        ref, code = form.get("ref", "").strip().upper(), form.get("code", "").strip()
        if not ref or not code:
            return [Reply("Enter both the reference and the code.", private=True, dialog=True,
                          field_errors=tuple((k, "Required.") for k in ("ref", "code") if not form.get(k, "").strip()))]
        if not valid_ref(ref) or len(code) > 40:
            # Checked before anything is looked up or stored: a reference is R- and six letters or digits.
            return [Reply("A case reference looks like R-7KQ2M9.", private=True, dialog=True,
                          field_errors=(("ref", "A reference looks like R-7KQ2M9."),))]
        # Wrong codes are limited per person (the verified identity that asks), never per case: no stranger
        # can lock a reporter out, and 12-letter codes behind scrypt make guessing hopeless at this rate.
        if self.limits.count("code", incoming.user_key) >= WRONG_CODES_AN_HOUR:
            return [Reply("Too many wrong codes: please try again in an hour.", private=True, dialog=True,
                          field_errors=(("code", f"{WRONG_CODES_AN_HOUR} wrong codes in an hour: try again later."),))]
        # An unknown reference is hashed against a dummy salt: it answers in the same time as a real one.
        row = await self.book.code_record(ref)
        salt, expected = (row.code_salt, row.code_hash) if row else (DUMMY_SALT.hex(), "0" * 64)
        matched = await self.hasher.run(check_code, code, salt, expected)
        if not (row and matched):
            self.limits.allow("code", incoming.user_key, WRONG_CODES_AN_HOUR)
            return [Reply("That reference and code don't match.", private=True, dialog=True, field_errors=(("code", "Reference and code don't match."),))]
        return [await self._reporter_view(ref, await self.book.open_session(ref))]

    async def reply(self, incoming: Incoming) -> list[Reply]:
        ref = await self.book.session_ref(incoming.value)
        if ref is None:
            return [Reply("This case view has expired. Open the case again with its reference and code.", private=True, dialog=True)]
        text = incoming.form_dict().get("message", "").strip()
        if not text or len(text) > MESSAGE_LIMIT:
            return [Reply("Please write a message.", private=True, dialog=True, field_errors=(("message", f"Write 1 to {MESSAGE_LIMIT} characters."),))]
        if not await self.book.add_message(ref, "reporter", text):
            return [Reply("This case is closed: no more messages can be added.", private=True, dialog=True),
                    await self._reporter_view(ref, incoming.value)]
        return [Reply("Your answer is saved on the case. The reviewers will see it.", private=True, dialog=True),
                await self._reporter_view(ref, incoming.value)]
