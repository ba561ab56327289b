"""The core's boundary types: what comes in from a channel and what goes back out.

Adapters translate platform payloads into `Incoming` before anything else sees them and
render `Reply` into their own formats. The types carry no back-reference to raw payloads.
`user_key` and `conversation_key` are opaque strings chosen by the adapter.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Kind = Literal["message", "action"]


@dataclass(frozen=True)
class Incoming:
    """A message a person typed, or an action (button press, form submission)."""

    channel: str
    user_key: str
    conversation_key: str
    kind: Kind = "message"
    text: str = ""
    action_id: str = ""
    value: str = ""
    form: tuple[tuple[str, str], ...] = ()
    # The person's names from the platform's profile, when the payload carries them: only ever used to scrub them
    # out of words kept for the policy owners (bot/scrub.py), never stored.
    names: tuple[str, ...] = ()

    def form_dict(self) -> dict[str, str]:
        """The submitted form fields as a dict."""
        return dict(self.form)


@dataclass(frozen=True)
class Button:
    """A button; pressing it sends an action with `action_id` and `value`."""

    label: str
    action_id: str
    value: str = ""
    style: Literal["default", "primary", "danger"] = "default"
    dialog: bool = False  # the press answers with a dialog reply: Slack opens a modal, Teams a dialog (task module)


@dataclass(frozen=True)
class Option:
    """One choice of a choice field."""

    label: str
    value: str


@dataclass(frozen=True)
class FormField:
    """One input of a form."""

    name: str
    label: str
    kind: Literal["text", "multiline", "choice", "choices"] = "text"  # choices: several of the options (comma-separated values)
    required: bool = False
    max_length: int = 500
    options: tuple[Option, ...] = ()
    placeholder: str = ""


@dataclass(frozen=True)
class Card:
    """A neutral rich reply; every channel renders it natively (Block Kit, Adaptive Card, HTML)."""

    title: str = ""
    body: str = ""
    fields: tuple[tuple[str, str], ...] = ()
    quote: str = ""
    buttons: tuple[Button, ...] = ()
    form: tuple[FormField, ...] = ()
    submit: Button | None = None
    note: str = ""
    draft: str = ""  # a checked draft, as typed, when the card reports on one
    marks: tuple[tuple[int, int, str], ...] = ()  # (start, end, guideline title) of each flagged part of `draft`
    badge: str = ""  # a verdict key (allowed, not_allowed, conditional, info, unknown, ok, review, do_not_post) shown as a badge


@dataclass(frozen=True)
class Reply:
    """What the bot says: plain text always (the fallback every channel can show), a card optionally."""

    text: str
    card: Card | None = None
    private: bool = False
    field_errors: tuple[tuple[str, str], ...] = ()
    # Shown only in a modal or dialog (Slack modal, Teams dialog, the web chat's own panel), never as a chat
    # message: report forms and confirmations, case views. Such replies stay out of exportable chat history.
    dialog: bool = False

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of this reply."""
        return asdict(self)


def incoming_action(channel: str, user_key: str, conversation_key: str, action_id: str,
                    value: str = "", form: dict[str, str] | None = None) -> Incoming:
    """Build an action `Incoming` (button press or form submission)."""
    return Incoming(channel=channel, user_key=user_key, conversation_key=conversation_key,
                    kind="action", action_id=action_id, value=value,
                    form=tuple(sorted((form or {}).items())))


__all__ = ["Button", "Card", "FormField", "Incoming", "Option", "Reply", "incoming_action"]
