"""Replies to Bot Framework activities and dialogs: plain text always, plus an Adaptive Card (version 1.5,
Teams' limit).

Two places a card can go:
- a chat message (`activity`): never a reply marked `dialog`; a button marked `dialog` opens a dialog
  (Action.Submit with `"msteams": {"type": "task/fetch"}` in its data);
- a dialog, Teams' task module (`dialog`): the replies marked `dialog` of a task/fetch or task/submit, as one
  card whose buttons submit back into the dialog (task/submit), or a short message when there is no card.

Card text is escaped for the Adaptive Card markdown subset, so nothing typed can become a link or formatting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.messages import Button, Card, Reply

CARD_VERSION = "1.5"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_TYPE = "application/vnd.microsoft.card.adaptive"
ZWSP = "\u200b"
INLINE = re.compile(r"([\[\]*_~`])")
LINE_START = re.compile(r"(?m)^(\s*)([-+#>]|\d+\.)")
TASK_FETCH = {"type": "task/fetch"}


def escape(text: str) -> str:
    """Neutralise Adaptive Card markdown (links, emphasis, lists, headings) in text shown as-is, by putting
    an invisible zero-width space where the syntax would start: it reads the same and renders as typed."""
    return LINE_START.sub(lambda m: m.group(1) + ZWSP + m.group(2), INLINE.sub(r"\1" + ZWSP, text))


def text_block(text: str, **extra) -> dict:
    return {"type": "TextBlock", "text": escape(text), "wrap": True, **extra}


def _inputs(card: Card, values: dict[str, str], errors: dict[str, str]) -> list[dict]:
    body: list[dict] = []
    for field in card.form:
        common = {"id": field.name, "label": field.label, "isRequired": field.required}
        if field.required:
            common["errorMessage"] = f"{field.label} is required"
        if field.kind == "choices":  # Teams sends the chosen values comma-separated
            element = {"type": "Input.ChoiceSet", **common, "style": "expanded", "isMultiSelect": True,
                       "choices": [{"title": o.label, "value": o.value} for o in field.options]}
        elif field.kind == "choice":
            element = {"type": "Input.ChoiceSet", **common, "style": "compact",
                       "choices": [{"title": o.label, "value": o.value} for o in field.options]}
            if values.get(field.name) in {o.value for o in field.options}:
                element["value"] = values[field.name]
        else:
            element = {"type": "Input.Text", **common, "isMultiline": field.kind == "multiline", "maxLength": field.max_length}
            if field.placeholder:
                element["placeholder"] = field.placeholder
            if values.get(field.name):
                element["value"] = values[field.name][:field.max_length]
        body.append(element)
        if field.name in errors:
            body.append(text_block(errors[field.name], color="Attention", size="Small", spacing="None"))
    return body


def _action(button: Button, in_dialog: bool, opener: dict | None, submit: bool = False) -> dict:
    data: dict = {"action_id": button.action_id, "value": button.value}
    if in_dialog:
        if opener:
            data["opener"] = opener  # lets a form with errors be shown again, filled in (see app.TeamsChannel.dialog_turn)
    elif button.dialog:
        data["msteams"] = TASK_FETCH
    style = "positive" if submit or button.style == "primary" else "destructive" if button.style == "danger" else ""
    return {"type": "Action.Submit", "title": button.label, "data": data, **({"style": style} if style else {})}


def adaptive_card(card: Card, *, in_dialog: bool = False, opener: dict | None = None,
                  values: dict[str, str] | None = None, errors: dict[str, str] | None = None) -> dict:
    """The card as an Adaptive Card 1.5. `in_dialog`: every button submits into the dialog (task/submit),
    carrying `opener`; `values` fill the inputs and `errors` are shown under them (a form shown again)."""
    body: list[dict] = []
    if card.title:
        body.append(text_block(card.title, weight="Bolder", size="Medium"))
    if card.body:
        body.append(text_block(card.body))
    if card.fields:
        body.append({"type": "FactSet", "facts": [{"title": escape(k), "value": escape(v)} for k, v in card.fields]})
    if card.quote:
        body.append({"type": "Container", "style": "emphasis", "items": [text_block(card.quote, isSubtle=True, fontType="Default")]})
    body += _inputs(card, values or {}, errors or {})
    if card.note:
        body.append(text_block(card.note, isSubtle=True, size="Small"))
    actions = [_action(b, in_dialog, opener) for b in card.buttons]
    if card.submit:
        actions.append(_action(card.submit, in_dialog, opener, submit=True))
    out = {"type": "AdaptiveCard", "$schema": CARD_SCHEMA, "version": CARD_VERSION, "body": body or [text_block(" ")]}
    if actions:
        out["actions"] = actions
    return out


def activity(reply: Reply) -> dict:
    """A chat message activity (as a dict) with the text fallback and the card as an attachment. A reply
    marked `dialog` is refused: it belongs in a dialog, out of the chat history."""
    if reply.dialog:
        raise ValueError("a dialog reply is never sent as a chat message")
    out: dict = {"type": "message", "text": reply.text, "textFormat": "plain"}
    if reply.card is not None:
        out["attachments"] = [{"contentType": CARD_TYPE, "content": adaptive_card(reply.card)}]
    return out


@dataclass(frozen=True)
class Dialog:
    """What a task/fetch or task/submit answers: a card to show (`card`), or a short message (`message`)."""

    title: str = ""
    size: str = "medium"
    card: dict | None = None
    message: str = ""


def dialog(replies: list[Reply], opener: dict | None = None, form_again: Card | None = None,
           values: dict[str, str] | None = None) -> Dialog:
    """The dialog replies of one turn as one dialog. With no card among them, a message (Teams shows it and
    closes the dialog). `form_again` is the form the replies' field errors belong to, shown again with the
    submitted `values` and the errors beside the fields."""
    errors = {name: text for r in replies for name, text in r.field_errors}
    cards = [r.card for r in replies if r.card is not None]
    if form_again is not None:
        cards = [form_again]
    if not cards:
        return Dialog(message=" ".join(r.text for r in replies) or "Done.")
    body: list[dict] = []
    actions: list[dict] = []
    for r in replies:
        if r.card is None:
            body.append(text_block(r.text, color="Attention" if r.field_errors else "Default"))
    for card in cards:
        content = adaptive_card(card, in_dialog=True, opener=opener, values=values if card is form_again else None,
                                errors=errors if card is form_again else None)
        body += content["body"]
        actions += content.get("actions", [])
    out = {"type": "AdaptiveCard", "$schema": CARD_SCHEMA, "version": CARD_VERSION, "body": body}
    if actions:
        out["actions"] = actions
    title = next((c.title for c in cards if c.title), "") or "smpolicy"
    return Dialog(title=title[:80], size="large" if any(c.form for c in cards) else "medium", card=out)
