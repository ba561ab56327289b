"""Reviewers work cases; reporters follow up with their reference and code. Both through cards (and the web
console, adapters/web/console/cases.py, which calls the same `access`, `open_case` and `perform`).

    reviewer: reports ──▶ list ──open──▶ case ──acknowledge / start review / assign / write to reporter /
                                               internal note / close (outcome) / reopen (reason) / recuse
    reporter: case ──▶ form (reference, code) ──ok──▶ the case thread + a reply form (short-lived token)
                                           └─wrong──▶ refused; 5 wrong in an hour lock the case for an hour

Only members of the reviewers' group (the `reviewers` table, kept by each channel) see anything of a
case; everyone else gets a plain refusal. A reviewer kept from a case (by its reporter, or recused) sees its
reference only: every action on it is refused, on every surface, and nothing they do is counted as reading
it. Every reviewer action goes into the audit log.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from bot.messages import Button, Card, FormField, Incoming, Option, Reply
from bot.policy.pack import Pack
from bot.reports.cases import Case, CaseBook, CaseRow, Message, overdue, pending, valid_ref
from bot.reports.crypto import DUMMY_SALT, Hasher, TamperedError, check_code
from bot.reports.limits import Limits

log = logging.getLogger("smpolicy.reports")

REFUSAL = "Only the designated reviewers can see reports."
OUTCOMES = (("Action taken", "action_taken"), ("No violation found", "no_violation"), ("Duplicate", "duplicate"),
            ("Other", "other"))
STATUS_LABELS = {"new": "new", "acknowledged": "acknowledged", "in_review": "in review", "closed": "closed"}
MESSAGE_LIMIT = 2000
REPORTER_ACTIONS = frozenset({"case.lookup", "case.verify", "case.reply"})
# What a reviewer can do to a case (the console posts these names; the chat buttons map to them).
ACTIONS = ("acknowledge", "review", "assign", "message", "note", "close", "reopen", "recuse")
# Chat action ids that submit an action, and those that show its form first.
SUBMITS = {"case.ack": "acknowledge", "case.start": "review", "case.assigned": "assign", "case.send": "message",
           "case.noted": "note", "case.closed": "close", "case.reopened": "reopen", "case.recuse": "recuse"}
FORMS = ("case.assign", "case.write", "case.note", "case.close", "case.reopen")
CASE_ACTION_IDS = ("case.open", *SUBMITS, *FORMS)


def is_reviewer_action(action_id: str) -> bool:
    """Whether an action is a reviewer's (the list, and every case.* action but the reporter's follow-up ones):
    the channels refresh their review roster before running one."""
    return action_id == "reports.list" or (action_id.startswith("case.") and action_id not in REPORTER_ACTIONS)


WRONG_CODES_AN_HOUR = 10


def kept_from_you(ref: str) -> str:
    return f"Case {ref} is kept from you (by its reporter, or you recused yourself): you cannot open it or act on it."


@dataclass(frozen=True)
class Done:
    """What an action did: `ok` when it changed the case; `message` for the reviewer; `field` names the form field
    at fault when the input was wrong."""

    ok: bool
    message: str
    field: str = ""


def _words(body: Mapping[str, str]) -> str:
    parts = [f"What happened: {body.get('what', '')}"]
    for key, label in (("where", "Where"), ("link", "Link"), ("when", "When"), ("evidence", "Evidence")):
        if body.get(key):
            parts.append(f"{label}: {body[key]}")
    return "\n".join(parts)


def _thread(messages: tuple[Message, ...], reader: str) -> str:
    """The messages between reviewers and the reporter (never the internal notes)."""
    names = {"reviewer": "Reviewer", "reporter": "You" if reader == "reporter" else "Reporter"}
    lines = [f"{names.get(m.author, 'Reviewer')}: {m.text}" for m in messages if m.author != "note"]
    return "\n".join(lines) or "No messages yet."


def _notes(messages: tuple[Message, ...]) -> str:
    return "\n".join(f"- {m.text}" for m in messages if m.author == "note") or "No notes."


def sort_key(row: CaseRow, today: str) -> tuple:
    """Overdue first, then the nearest due date, then urgent first."""
    dues = [due for _, due in pending(row)]
    return (0 if overdue(row, today) else 1, min(dues) if dues else "9999", {"urgent": 0, "normal": 1}.get(row.urgency, 2), row.ref)


class ReviewDesk:
    def __init__(self, book: CaseBook, pack: Pack, hasher: Hasher | None = None, limits: Limits | None = None):
        self.book, self.pack = book, pack
        self.hasher = hasher or Hasher()
        self.limits = limits or Limits(book.clock)

    def category(self, section: str) -> str:
        return self.pack.sections[section].title if section in self.pack.sections else "Other"

    _category = category

    def notification(self, ref: str, category: str, urgency: str, kept: bool = False) -> Reply:
        """What the reviewers' channel gets for a new case: a bare notice (reference, guideline, urgency) and a
        button that opens the case in a modal or dialog. Never the words: channel exports keep what is posted.
        A case kept from someone in that channel gets its reference only."""
        title = f"New report {ref}" + (" (urgent)" if urgency == "urgent" and not kept else "")
        if kept:
            text = f"{title}. Open the case to read it (it is kept from some reviewers)."
            return Reply(text, Card(title=title, body="Open the case to read it.",
                                    buttons=(Button("Open case", "case.open", ref, "primary", dialog=True),)))
        text = f"{title}: {self._category(category)}, urgency {urgency}. Open the case to read it."
        card = Card(title=title, body="Open the case to read it.", fields=(("Guideline", self._category(category)), ("Urgency", urgency)),
                    buttons=(Button("Open case", "case.open", ref, "primary", dialog=True),))
        return Reply(text, card)

    def reminder(self, text: str, ref: str) -> Reply:
        """A deadline reminder for the reviewers' channel: the reference and which deadline, never the words."""
        return Reply(text, Card(title="Case deadline", body=text, buttons=(Button("Open case", "case.open", ref, dialog=True),)))

    # ---------------------------------------------------------------- reviewers: the rules every surface uses

    async def visible(self, user_key: str, include_closed: bool = False) -> tuple[list[CaseRow], list[str]]:
        """The cases a reviewer may see (overdue first), and the references of those kept from them. Raises
        PermissionError for anyone not a reviewer."""
        if not await self.book.is_reviewer(user_key):
            raise PermissionError(REFUSAL)
        kept = await self.book.excluded_refs(user_key)
        today = self.book.today()
        rows = sorted(await self.book.cases(include_closed), key=lambda r: sort_key(r, today))
        return [r for r in rows if r.ref not in kept], sorted(r.ref for r in rows if r.ref in kept)

    async def access(self, user_key: str, ref: str) -> str | None:
        """Why `user_key` may not work on case `ref` (a sentence), or None when they may: a reviewer, not kept
        from it, and the case exists and opens."""
        if not await self.book.is_reviewer(user_key):
            return REFUSAL
        if not valid_ref(ref):
            return f"There is no case {ref[:20]}."
        if await self.book.is_excluded(ref, user_key):
            return kept_from_you(ref)
        try:
            exists = await self.book.case(ref) is not None
        except TamperedError:
            log.error("case failed its integrity check")
            return (f"Case {ref} failed its integrity check: its stored text was altered or the key is wrong. "
                    "Tell the policy owners who run the bot.")
        return None if exists else f"There is no case {ref[:20]}."

    async def open_case(self, user_key: str, ref: str, audit: bool = True) -> Case | str:
        """The case for a reviewer who may read it (audited as read unless `audit` is False: the view shown
        right after one of their actions), else why not."""
        refused = await self.access(user_key, ref)
        if refused:
            return refused
        case = await self.book.case(ref)
        if case is None:
            return f"There is no case {ref}."
        if audit:
            await self.book.audit(user_key, "open", ref)
        return case

    async def assignable(self, ref: str) -> list[tuple[str, str]]:
        """(key, name) of the reviewers a case can be assigned to: everyone not kept from it."""
        kept = await self.book.exclusions(ref)
        return [(r.key, r.name) for r in await self.book.roster() if r.key not in kept]

    async def names(self) -> dict[str, str]:
        return {r.key: r.name for r in await self.book.roster()}

    async def perform(self, user_key: str, ref: str, action: str, form: Mapping[str, str]) -> Done:
        """Do one reviewer action on a case, after `access`; each is audited. The state rules are the
        repository's: a move that does not apply to the case's state changes nothing (ok False)."""
        refused = await self.access(user_key, ref)
        if refused:
            return Done(False, refused)
        if action not in ACTIONS:
            return Done(False, "I don't know that case action.")
        if action == "acknowledge":
            if not await self.book.acknowledge(ref):
                return await self._unchanged_done(ref)
            await self.book.audit(user_key, "acknowledge", ref)
            return Done(True, f"Case {ref} is acknowledged.")
        if action == "review":
            if not await self.book.start_review(ref):
                return await self._unchanged_done(ref)
            await self.book.audit(user_key, "start-review", ref)
            return Done(True, f"Case {ref} is now in review.")
        if action == "assign":
            who = form.get("reviewer", "").strip()
            eligible = dict(await self.assignable(ref))
            if who and who not in eligible:
                return Done(False, "Choose one of the listed reviewers.", "reviewer")
            if not await self.book.assign(ref, who or None):
                return await self._unchanged_done(ref)
            await self.book.audit(user_key, "assign", ref, who)
            return Done(True, f"Case {ref} is assigned to {eligible[who]}." if who else f"Case {ref} is assigned to nobody.")
        if action in ("message", "note", "reopen"):
            name = {"message": "message", "note": "note", "reopen": "reason"}[action]
            text = form.get(name, "").strip()
            if not text or len(text) > MESSAGE_LIMIT:
                return Done(False, "Say why." if action == "reopen" else "Please write a message.", name)
            if action == "message":
                if not await self.book.add_message(ref, "reviewer", text):
                    return await self._unchanged_done(ref)
                await self.book.audit(user_key, "message", ref)
                return Done(True, f"Message saved on case {ref}; the reporter sees it when they open the case.")
            if action == "note":
                await self.book.add_note(ref, text)
                await self.book.audit(user_key, "note", ref)
                return Done(True, f"Note saved on case {ref} (reviewers only).")
            if not await self.book.reopen(ref):
                return await self._unchanged_done(ref)
            await self.book.add_note(ref, f"Reopened: {text}")
            await self.book.audit(user_key, "reopen", ref)
            return Done(True, f"Case {ref} is open again.")
        if action == "close":
            outcome = form.get("outcome", "")
            if outcome not in {v for _, v in OUTCOMES}:
                return Done(False, "Choose an outcome.", "outcome")
            if not await self.book.close(ref, outcome):
                return await self._unchanged_done(ref)
            await self.book.audit(user_key, f"close:{outcome}", ref)
            return Done(True, f"Case {ref} is closed ({outcome}).")
        # recuse
        await self.book.exclude(ref, user_key, "recused")
        await self.book.audit(user_key, "recuse", ref)
        return Done(True, f"You recused yourself from case {ref}: it is kept from you now.")

    async def _unchanged_done(self, ref: str) -> Done:
        """The answer to a stale button (a closed case's Acknowledge, a second Close): polite, and nothing changed."""
        status = STATUS_LABELS.get(await self.book.status(ref) or "", "gone")
        return Done(False, f"Case {ref} is {status} now, so that button no longer applies: nothing was changed.")

    # ---------------------------------------------------------------- reviewers in chat

    async def list_cases(self, incoming: Incoming) -> list[Reply]:
        try:
            rows, kept = await self.visible(incoming.user_key)
        except PermissionError:
            return [Reply(REFUSAL, private=True)]
        await self.book.audit(incoming.user_key, "list", "")
        if not rows and not kept:
            return [Reply("No open cases.", private=True)]
        today = self.book.today()
        lines = []
        for r in rows:
            late = overdue(r, today)
            flag = " OVERDUE: " + " and ".join("acknowledgement" if k == "ack" else "feedback" for k in late) if late else ""
            lines.append(f"{r.ref}: {self._category(r.category)}, {r.urgency}, {self.book.age(r.created_at)} old, "
                         f"{STATUS_LABELS[r.status]}, acknowledge by {r.ack_due}, feedback by {r.feedback_due}{flag}")
        lines += [f"{ref}: kept from you" for ref in kept]
        buttons = tuple(Button(f"Open {r.ref}", "case.open", r.ref, dialog=True) for r in rows[:20])
        text = f"{len(rows) + len(kept)} open case(s):\n" + "\n".join(lines)
        return [Reply(text, Card(title="Open cases", body="\n".join(lines), buttons=buttons), private=True)]

    async def _case_reply(self, case: Case) -> Reply:
        ref = case.ref
        names = await self.names()
        row = case.row
        late = overdue(row, self.book.today()) if row else []
        fields: tuple[tuple[str, str], ...] = (
            ("Guideline", self._category(case.category)), ("Urgency", case.urgency), ("Status", STATUS_LABELS[case.status]),
            ("Age", self.book.age(case.created_at)),
            ("Acknowledge by", case.ack_due + (" (overdue)" if "ack" in late else "")),
            ("Feedback by", case.feedback_due + (" (overdue)" if "feedback" in late else "")),
            ("Assigned to", names.get(case.assignee, case.assignee) if case.assignee else "nobody"))
        if case.outcome:
            fields += (("Outcome", case.outcome),)
        body = (f"{_words(case.body)}\n\nMessages with the reporter:\n{_thread(case.messages, 'reviewer')}"
                f"\n\nInternal notes (reviewers only):\n{_notes(case.messages)}")
        buttons: tuple[Button, ...] = (Button("Reopen case", "case.reopen", ref, dialog=True),
                                       Button("Add a note", "case.note", ref, dialog=True))
        if case.status != "closed":
            buttons = ()
            if case.status == "new":
                buttons += (Button("Acknowledge", "case.ack", ref, dialog=True),)
            if case.status == "acknowledged":
                buttons += (Button("Start review", "case.start", ref, dialog=True),)
            buttons += (Button("Write to reporter", "case.write", ref, "primary", dialog=True), Button("Add a note", "case.note", ref, dialog=True),
                        Button("Assign", "case.assign", ref, dialog=True), Button("Close case", "case.close", ref, "danger", dialog=True))
        buttons += (Button("Recuse myself", "case.recuse", ref, "danger", dialog=True),)
        return Reply(f"Case {ref}\n{body}", Card(title=f"Case {ref}", body=body, fields=fields, buttons=buttons), private=True, dialog=True)

    async def _unchanged(self, ref: str) -> Reply:
        return Reply((await self._unchanged_done(ref)).message, private=True, dialog=True)

    async def reviewer_action(self, incoming: Incoming) -> list[Reply]:
        ref, action, user = incoming.value, incoming.action_id, incoming.user_key
        if action == "case.open":
            opened = await self.open_case(user, ref)
            return [Reply(opened, private=True, dialog=True) if isinstance(opened, str) else await self._case_reply(opened)]
        refused = await self.access(user, ref)
        if refused:
            return [Reply(refused, private=True, dialog=True)]
        if action in FORMS:
            return [await self._form(action, ref)]
        if action not in SUBMITS:
            return [Reply("I don't know that case action.", private=True, dialog=True)]
        done = await self.perform(user, ref, SUBMITS[action], incoming.form_dict())
        if done.field:
            return [Reply(done.message, private=True, dialog=True, field_errors=((done.field, done.message),))]
        replies = [Reply(done.message, private=True, dialog=True)]
        if done.ok and action in ("case.ack", "case.start", "case.reopened", "case.assigned", "case.noted"):
            case = await self.book.case(ref)
            if case is not None:
                replies.append(await self._case_reply(case))
        elif not done.ok and action in ("case.ack", "case.start"):
            case = await self.book.case(ref)
            if case is not None:
                replies.append(await self._case_reply(case))
        return replies

    async def _form(self, action: str, ref: str) -> Reply:
        if action == "case.write":
            form = (FormField("message", "Message to the reporter", "multiline", True, MESSAGE_LIMIT),)
            return Reply(f"Write to the reporter of case {ref}.", Card(title=f"Write about {ref}", form=form,
                                                                        submit=Button("Send", "case.send", ref, "primary"),
                                                                        note="The reporter reads it when they open the case with their code."),
                         private=True, dialog=True)
        if action == "case.note":
            form = (FormField("note", "Internal note", "multiline", True, MESSAGE_LIMIT),)
            return Reply(f"Add an internal note to case {ref}.", Card(title=f"Note on {ref}", form=form,
                                                                       submit=Button("Save note", "case.noted", ref, "primary"),
                                                                       note="Only reviewers see notes; the reporter never does."),
                         private=True, dialog=True)
        if action == "case.assign":
            options = (Option("Nobody", ""),) + tuple(Option(name, key) for key, name in await self.assignable(ref))
            form = (FormField("reviewer", "Assign to", "choice", False, 200, options),)
            return Reply(f"Assign case {ref}.", Card(title=f"Assign {ref}", form=form, submit=Button("Assign", "case.assigned", ref, "primary"),
                                                     note="Reviewers kept from the case are not listed."), private=True, dialog=True)
        if action == "case.close":
            form = (FormField("outcome", "Outcome", "choice", True, 40, tuple(Option(label, v) for label, v in OUTCOMES)),)
            return Reply(f"Close case {ref}.", Card(title=f"Close {ref}", form=form, submit=Button("Close case", "case.closed", ref, "danger")),
                         private=True, dialog=True)
        form = (FormField("reason", "Why reopen it?", "multiline", True, MESSAGE_LIMIT),)
        return Reply(f"Reopen case {ref}.", Card(title=f"Reopen {ref}", form=form, submit=Button("Reopen", "case.reopened", ref, "danger"),
                                                 note="The reason is kept as an internal note and the reopening in the audit log."),
                     private=True, dialog=True)

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
        status = {"new": "received", "acknowledged": "acknowledged", "in_review": "in review", "closed": "closed"}[case.status]
        expect = ""
        if case.status == "new":
            expect = f" The reviewers acknowledge it by {case.ack_due}, and answer you by {case.feedback_due}."
        elif case.status != "closed" and not (case.row and case.row.replied):
            expect = f" You can expect an answer by {case.feedback_due}."
        body = f"Status: {status}.{expect}\n\nMessages:\n{_thread(case.messages, 'reporter')}"
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
