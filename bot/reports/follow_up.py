"""Reporters follow up on their case with its reference and code, in a form (never typed into a chat).

    case ──▶ form (reference, code) ──ok──▶ the case thread + a reply form (short-lived token)
                                    └─wrong──▶ refused; 10 wrong codes in an hour and that person waits

Wrong codes are counted per person who asks, never per case, so no stranger can lock a reporter out. The
reporter sees the messages with the reviewers, never the internal notes; an answer needs no code again while the
session's token lasts.
"""

from __future__ import annotations

from bot.messages import Button, Card, FormField, Incoming, Reply
from bot.reports.cases import CaseBook, Message, valid_ref
from bot.reports.crypto import DUMMY_SALT, Hasher, check_code
from bot.reports.limits import Limits

MESSAGE_LIMIT = 2000  # a message on a case, either way
WRONG_CODES_AN_HOUR = 10


def thread(messages: tuple[Message, ...], reader: str) -> str:
    """The messages between reviewers and the reporter (never the internal notes)."""
    names = {"reviewer": "Reviewer", "reporter": "You" if reader == "reporter" else "Reporter"}
    lines = [f"{names.get(m.author, 'Reviewer')}: {m.text}" for m in messages if m.author != "note"]
    return "\n".join(lines) or "No messages yet."


class FollowUp:
    """A reporter's way back to their case: look it up, read the thread, answer."""

    def __init__(self, book: CaseBook, hasher: Hasher | None = None, limits: Limits | None = None):
        self.book = book
        self.hasher = hasher or Hasher()
        self.limits = limits or Limits(book.clock)

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
        body = f"Status: {status}.{expect}\n\nMessages:\n{thread(case.messages, 'reporter')}"
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
