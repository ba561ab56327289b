"""Replies to Bot Framework activities: plain text always, plus an Adaptive Card (version 1.5, Teams' limit).

Card text is escaped for the Adaptive Card markdown subset, so nothing typed can become a link or formatting.
"""

from __future__ import annotations

import re

from bot.messages import Card, Reply

CARD_VERSION = "1.5"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
ZWSP = "\u200b"
INLINE = re.compile(r"([\[\]*_~`])")
LINE_START = re.compile(r"(?m)^(\s*)([-+#>]|\d+\.)")


def escape(text: str) -> str:
    """Neutralise Adaptive Card markdown (links, emphasis, lists, headings) in text shown as-is, by putting
    an invisible zero-width space where the syntax would start: it reads the same and renders as typed."""
    return LINE_START.sub(lambda m: m.group(1) + ZWSP + m.group(2), INLINE.sub(r"\1" + ZWSP, text))


def text_block(text: str, **extra) -> dict:
    return {"type": "TextBlock", "text": escape(text), "wrap": True, **extra}


def adaptive_card(card: Card) -> dict:
    body: list[dict] = []
    if card.title:
        body.append(text_block(card.title, weight="Bolder", size="Medium"))
    if card.body:
        body.append(text_block(card.body))
    if card.fields:
        body.append({"type": "FactSet", "facts": [{"title": escape(k), "value": escape(v)} for k, v in card.fields]})
    if card.quote:
        body.append({"type": "Container", "style": "emphasis", "items": [text_block(card.quote, isSubtle=True, fontType="Default")]})
    for field in card.form:
        common = {"id": field.name, "label": field.label, "isRequired": field.required}
        if field.required:
            common["errorMessage"] = f"{field.label} is required"
        if field.kind == "choice":
            body.append({"type": "Input.ChoiceSet", **common, "style": "compact",
                         "choices": [{"title": o.label, "value": o.value} for o in field.options]})
        else:
            element = {"type": "Input.Text", **common, "isMultiline": field.kind == "multiline", "maxLength": field.max_length}
            if field.placeholder:
                element["placeholder"] = field.placeholder
            body.append(element)
    if card.note:
        body.append(text_block(card.note, isSubtle=True, size="Small"))
    actions = [{"type": "Action.Submit", "title": b.label, "data": {"action_id": b.action_id, "value": b.value},
                **({"style": "positive" if b.style == "primary" else "destructive"} if b.style != "default" else {})}
               for b in card.buttons]
    if card.submit:
        actions.append({"type": "Action.Submit", "title": card.submit.label, "style": "positive",
                        "data": {"action_id": card.submit.action_id, "value": card.submit.value}})
    out = {"type": "AdaptiveCard", "$schema": CARD_SCHEMA, "version": CARD_VERSION, "body": body or [text_block(" ")]}
    if actions:
        out["actions"] = actions
    return out


def activity(reply: Reply) -> dict:
    """A message activity (as a dict) with the text fallback and the card as an attachment."""
    out: dict = {"type": "message", "text": reply.text, "textFormat": "plain"}
    if reply.card is not None:
        out["attachments"] = [{"contentType": "application/vnd.microsoft.card.adaptive", "content": adaptive_card(reply.card)}]
    return out
