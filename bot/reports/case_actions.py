"""The reviewer's case actions, one table (`CASE_ACTIONS`): for each, the chat button that submits it, the form
chat shows first, the one input it takes and how that is checked, the change it makes, what the audit log
records and what the reviewer is told.

`ReviewDesk.perform` (bot/reports/review.py) runs an action for every surface: the chat dialogs submit it by its
button, the web console (adapters/web/console/cases.py) posts its name. The state rules are the repository's
(bot/storage/case_states.py): a change that does not apply to the case's state changes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from bot.messages import FormField, Option
from bot.reports.cases import CaseBook
from bot.reports.follow_up import MESSAGE_LIMIT

OUTCOMES = (("Action taken", "action_taken"), ("No violation found", "no_violation"), ("Duplicate", "duplicate"),
            ("Other", "other"))

# (book, reviewer, ref, the input, its option's label) -> what the reviewer is told, or None when nothing changed
Change = Callable[[CaseBook, str, str, str, str], Awaitable[str | None]]


async def assignable(book: CaseBook, ref: str) -> list[tuple[str, str]]:
    """(key, name) of the reviewers a case can be assigned to: everyone not kept from it."""
    kept = await book.exclusions(ref)
    return [(r.key, r.name) for r in await book.roster() if r.key not in kept]


async def _assignees(book: CaseBook, ref: str) -> tuple[Option, ...]:
    return (Option("Nobody", ""),) + tuple(Option(name, key) for key, name in await assignable(book, ref))


@dataclass(frozen=True)
class Input:
    """The one thing an action takes, as the chat form's field, and checked the same on every surface: a text
    (1 to `field.max_length` characters) or a choice (one of its options)."""

    field: FormField
    error: str  # said at the field when the input is missing, too long or not one of the options
    choices: Callable[[CaseBook, str], Awaitable[tuple[Option, ...]]] | None = None  # options that depend on the case

    async def options(self, book: CaseBook, ref: str) -> tuple[Option, ...]:
        return await self.choices(book, ref) if self.choices else self.field.options

    async def read(self, book: CaseBook, ref: str, form: Mapping[str, str]) -> tuple[str, str] | None:
        """The input and its label (a text is its own), or None when it is not one the action takes."""
        value = form.get(self.field.name, "").strip()
        if self.field.kind == "choice":
            return next(((o.value, o.label) for o in await self.options(book, ref) if o.value == value), None)
        return (value, value) if 0 < len(value) <= self.field.max_length else None


def _text(name: str, label: str, error: str) -> Input:
    return Input(FormField(name, label, "multiline", True, MESSAGE_LIMIT), error)


@dataclass(frozen=True)
class Form:
    """The chat form shown before an action, opened by the button `opens` ({ref} in the words: the case)."""

    opens: str
    prompt: str
    title: str
    submit: str  # the submit button's label (its action id is the action's `submit`)
    style: Literal["primary", "danger"] = "primary"
    note: str = ""


@dataclass(frozen=True)
class CaseAction:
    """One reviewer action on a case."""

    submit: str  # the chat action id that does it
    change: Change
    audit: str  # the audit log's action ({input}: the input; only a choice's ever goes there)
    input: Input | None = None
    form: Form | None = None  # the chat form that asks for the input first
    audit_input: bool = False  # the input is the audit entry's detail (a reviewer key: never any words)
    shows_case: Literal["never", "changed", "always"] = "never"  # chat shows the case again after it


async def _acknowledge(book: CaseBook, reviewer: str, ref: str, _input: str, _label: str) -> str | None:
    return f"Case {ref} is acknowledged." if await book.acknowledge(ref) else None


async def _start_review(book: CaseBook, reviewer: str, ref: str, _input: str, _label: str) -> str | None:
    return f"Case {ref} is now in review." if await book.start_review(ref) else None


async def _assign(book: CaseBook, reviewer: str, ref: str, who: str, name: str) -> str | None:
    if not await book.assign(ref, who or None):
        return None
    return f"Case {ref} is assigned to {name}." if who else f"Case {ref} is assigned to nobody."


async def _message(book: CaseBook, reviewer: str, ref: str, text: str, _label: str) -> str | None:
    if not await book.add_message(ref, "reviewer", text):
        return None
    return f"Message saved on case {ref}; the reporter sees it when they open the case."


async def _note(book: CaseBook, reviewer: str, ref: str, text: str, _label: str) -> str | None:
    await book.add_note(ref, text)  # a note goes on whatever the case's state
    return f"Note saved on case {ref} (reviewers only)."


async def _close(book: CaseBook, reviewer: str, ref: str, outcome: str, _label: str) -> str | None:
    return f"Case {ref} is closed ({outcome})." if await book.close(ref, outcome) else None


async def _reopen(book: CaseBook, reviewer: str, ref: str, reason: str, _label: str) -> str | None:
    if not await book.reopen(ref):
        return None
    await book.add_note(ref, f"Reopened: {reason}")
    return f"Case {ref} is open again."


async def _recuse(book: CaseBook, reviewer: str, ref: str, _input: str, _label: str) -> str | None:
    await book.exclude(ref, reviewer, "recused")
    return f"You recused yourself from case {ref}: it is kept from you now."


CASE_ACTIONS: dict[str, CaseAction] = {
    "acknowledge": CaseAction("case.ack", _acknowledge, "acknowledge", shows_case="always"),
    "review": CaseAction("case.start", _start_review, "start-review", shows_case="always"),
    "assign": CaseAction("case.assigned", _assign, "assign", audit_input=True, shows_case="changed",
                         input=Input(FormField("reviewer", "Assign to", "choice", False, 200), "Choose one of the listed reviewers.",
                                     choices=_assignees),
                         form=Form("case.assign", "Assign case {ref}.", "Assign {ref}", "Assign",
                                   note="Reviewers kept from the case are not listed.")),
    "message": CaseAction("case.send", _message, "message", input=_text("message", "Message to the reporter", "Please write a message."),
                          form=Form("case.write", "Write to the reporter of case {ref}.", "Write about {ref}", "Send",
                                    note="The reporter reads it when they open the case with their code.")),
    "note": CaseAction("case.noted", _note, "note", shows_case="changed", input=_text("note", "Internal note", "Please write a message."),
                       form=Form("case.note", "Add an internal note to case {ref}.", "Note on {ref}", "Save note",
                                 note="Only reviewers see notes; the reporter never does.")),
    "close": CaseAction("case.closed", _close, "close:{input}",
                        input=Input(FormField("outcome", "Outcome", "choice", True, 40, tuple(Option(label, v) for label, v in OUTCOMES)),
                                    "Choose an outcome."),
                        form=Form("case.close", "Close case {ref}.", "Close {ref}", "Close case", "danger")),
    "reopen": CaseAction("case.reopened", _reopen, "reopen", shows_case="changed", input=_text("reason", "Why reopen it?", "Say why."),
                         form=Form("case.reopen", "Reopen case {ref}.", "Reopen {ref}", "Reopen", "danger",
                                   note="The reason is kept as an internal note and the reopening in the audit log.")),
    "recuse": CaseAction("case.recuse", _recuse, "recuse"),
}
# What a reviewer can do to a case (the console posts these names), the chat action ids that submit one, and
# those that show its form first.
ACTIONS = tuple(CASE_ACTIONS)
SUBMITS = {action.submit: name for name, action in CASE_ACTIONS.items()}
FORMS = {action.form.opens: name for name, action in CASE_ACTIONS.items() if action.form}
