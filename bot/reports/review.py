"""Reviewers work cases: the rules every surface uses (who may see and do what), and the reviewer's dialogs in
chat. The web console (adapters/web/console/cases.py) calls the same `visible`, `access`, `open_case` and
`perform`; the actions themselves are one table in bot/reports/case_actions.py, and reporters follow up through
bot/reports/follow_up.py.

    reports ──▶ list ──open──▶ case ──acknowledge / start review / assign / write to reporter /
                                      internal note / close (outcome) / reopen (reason) / recuse

Only members of the reviewers' group (the `reviewers` table, kept by each channel) see anything of a
case; everyone else gets a plain refusal. A reviewer kept from a case (by its reporter, or recused) sees its
reference only: every action on it is refused, on every surface, and nothing they do is counted as reading
it. Every reviewer action goes into the audit log.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace

from bot.messages import Button, Card, Incoming, Reply
from bot.policy.pack import Pack
from bot.reports.case_actions import CASE_ACTIONS, FORMS, SUBMITS, CaseAction, assignable
from bot.reports.cases import Case, CaseBook, CaseRow, Message, overdue, pending, valid_ref
from bot.reports.crypto import TamperedError
from bot.reports.follow_up import thread

log = logging.getLogger("smpolicy.reports")

REFUSAL = "Only the designated reviewers can see reports."
STATUS_LABELS = {"new": "new", "acknowledged": "acknowledged", "in_review": "in review", "closed": "closed"}
REPORTER_ACTIONS = frozenset({"case.lookup", "case.verify", "case.reply"})
CASE_ACTION_IDS = ("case.open", *SUBMITS, *FORMS)


def is_reviewer_action(action_id: str) -> bool:
    """Whether an action is a reviewer's (the list, and every case.* action but the reporter's follow-up ones):
    the channels refresh their review roster before running one."""
    return action_id == "reports.list" or (action_id.startswith("case.") and action_id not in REPORTER_ACTIONS)


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


def _notes(messages: tuple[Message, ...]) -> str:
    return "\n".join(f"- {m.text}" for m in messages if m.author == "note") or "No notes."


def sort_key(row: CaseRow, today: str) -> tuple:
    """Overdue first, then the nearest due date, then urgent first."""
    dues = [due for _, due in pending(row)]
    return (0 if overdue(row, today) else 1, min(dues) if dues else "9999", {"urgent": 0, "normal": 1}.get(row.urgency, 2), row.ref)


class ReviewDesk:
    """The reviewers' side of cases: who may see and do what (for every surface), the chat's case list, case view
    and action forms, and the notices the reviewers' channels get."""

    def __init__(self, book: CaseBook, pack: Pack):
        self.book, self.pack = book, pack

    def category(self, section: str) -> str:
        return self.pack.sections[section].title if section in self.pack.sections else "Other"

    def notification(self, ref: str, category: str, urgency: str, kept: bool = False) -> Reply:
        """What the reviewers' channel gets for a new case: a bare notice (reference, guideline, urgency) and a
        button that opens the case in a modal or dialog. Never the words: channel exports keep what is posted.
        A case kept from someone in that channel gets its reference only."""
        title = f"New report {ref}" + (" (urgent)" if urgency == "urgent" and not kept else "")
        if kept:
            text = f"{title}. Open the case to read it (it is kept from some reviewers)."
            return Reply(text, Card(title=title, body="Open the case to read it.",
                                    buttons=(Button("Open case", "case.open", ref, "primary", dialog=True),)))
        text = f"{title}: {self.category(category)}, urgency {urgency}. Open the case to read it."
        card = Card(title=title, body="Open the case to read it.", fields=(("Guideline", self.category(category)), ("Urgency", urgency)),
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
        return await assignable(self.book, ref)

    async def names(self) -> dict[str, str]:
        return {r.key: r.name for r in await self.book.roster()}

    async def perform(self, user_key: str, ref: str, action: str, form: Mapping[str, str]) -> Done:
        """Do one reviewer action on a case, after `access`; each is audited. The state rules are the
        repository's: a move that does not apply to the case's state changes nothing (ok False)."""
        refused = await self.access(user_key, ref)
        if refused:
            return Done(False, refused)
        step = CASE_ACTIONS.get(action)
        if step is None:
            return Done(False, "I don't know that case action.")
        value = label = ""
        if step.input:
            read = await step.input.read(self.book, ref, form)
            if read is None:
                return Done(False, step.input.error, step.input.field.name)
            value, label = read
        said = await step.change(self.book, user_key, ref, value, label)
        if said is None:
            return await self._unchanged_done(ref)
        await self.book.audit(user_key, step.audit.format(input=value), ref, value if step.audit_input else "")
        return Done(True, said)

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
            lines.append(f"{r.ref}: {self.category(r.category)}, {r.urgency}, {self.book.age(r.created_at)} old, "
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
            ("Guideline", self.category(case.category)), ("Urgency", case.urgency), ("Status", STATUS_LABELS[case.status]),
            ("Age", self.book.age(case.created_at)),
            ("Acknowledge by", case.ack_due + (" (overdue)" if "ack" in late else "")),
            ("Feedback by", case.feedback_due + (" (overdue)" if "feedback" in late else "")),
            ("Assigned to", names.get(case.assignee, case.assignee) if case.assignee else "nobody"))
        if case.outcome:
            fields += (("Outcome", case.outcome),)
        body = (f"{_words(case.body)}\n\nMessages with the reporter:\n{thread(case.messages, 'reviewer')}"
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

    async def reviewer_action(self, incoming: Incoming) -> list[Reply]:
        ref, action, user = incoming.value, incoming.action_id, incoming.user_key
        if action == "case.open":
            opened = await self.open_case(user, ref)
            return [Reply(opened, private=True, dialog=True) if isinstance(opened, str) else await self._case_reply(opened)]
        refused = await self.access(user, ref)
        if refused:
            return [Reply(refused, private=True, dialog=True)]
        if action in FORMS:
            return [await self._form(CASE_ACTIONS[FORMS[action]], ref)]
        if action not in SUBMITS:
            return [Reply("I don't know that case action.", private=True, dialog=True)]
        done = await self.perform(user, ref, SUBMITS[action], incoming.form_dict())
        if done.field:
            return [Reply(done.message, private=True, dialog=True, field_errors=((done.field, done.message),))]
        replies = [Reply(done.message, private=True, dialog=True)]
        shows = CASE_ACTIONS[SUBMITS[action]].shows_case
        if shows == "always" or (shows == "changed" and done.ok):
            case = await self.book.case(ref)
            if case is not None:
                replies.append(await self._case_reply(case))
        return replies

    async def _form(self, step: CaseAction, ref: str) -> Reply:
        """The chat form of an action that takes an input, with the case's own options where they depend on it."""
        assert step.form is not None and step.input is not None  # FORMS lists the actions that have both
        form, field = step.form, step.input.field
        if step.input.choices:
            field = replace(field, options=await step.input.options(self.book, ref))
        card = Card(title=form.title.format(ref=ref), form=(field,), submit=Button(form.submit, step.submit, ref, form.style), note=form.note)
        return Reply(form.prompt.format(ref=ref), card, private=True, dialog=True)
