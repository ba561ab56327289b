"""Replies to Block Kit, within Slack's limits, always with a plain-text `text` fallback.

Limits kept: 50 blocks a message (more become further messages), 3,000 characters a section
text, 75 a button label, 2,000 a button value, 255 an action id. Every piece of dynamic text is
escaped (&, <, >) so nothing a person typed can become a mention (`<!channel>`) or a link.
"""

from __future__ import annotations

import functools
import json
from dataclasses import replace

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticMultiSelectElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.messages import Button, Card, Reply

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_LABEL = 75
MAX_VALUE = 2000
MAX_TEXT = 3900  # the `text` fallback; Slack truncates past 40,000, keep it readable
FORM_CALLBACK = "smpolicy.form"


def escape(text: str) -> str:
    """Escape the three characters Slack treats as control sequences in mrkdwn and text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def chunks(text: str, size: int) -> list[str]:
    """Split text at line or word boundaries into pieces of at most `size` characters."""
    out: list[str] = []
    while len(text) > size:
        cut = text.rfind("\n", 0, size)
        if cut < size // 2:
            cut = text.rfind(" ", 0, size)
        if cut < size // 2:
            cut = size
        out.append(text[:cut])
        text = text[cut:].lstrip("\n ")
    if text:
        out.append(text)
    return out


def _plain(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def button(b: Button, index: int) -> ButtonElement:
    # Action ids must be unique within a block: suffix the index, inbound strips it.
    style = b.style if b.style in ("primary", "danger") else None
    return ButtonElement(text=PlainTextObject(text=_plain(b.label, MAX_LABEL), emoji=True), action_id=f"{b.action_id}#{index}"[:255],
                         value=b.value[:MAX_VALUE] or "-", style=style)


def card_blocks(card: Card) -> list[Block]:
    blocks: list[Block] = []
    if card.title:
        blocks.append(HeaderBlock(text=PlainTextObject(text=_plain(card.title, 150), emoji=True)))
    for piece in chunks(escape(card.body), MAX_SECTION):
        blocks.append(SectionBlock(text=MarkdownTextObject(text=piece)))
    if card.fields:
        fields = [MarkdownTextObject(text=_plain(f"*{escape(k)}*\n{escape(v)}", 2000)) for k, v in card.fields]
        for i in range(0, len(fields), 10):
            blocks.append(SectionBlock(fields=fields[i:i + 10]))
    if card.quote:
        for piece in chunks(escape(card.quote), MAX_SECTION - 2):
            blocks.append(SectionBlock(text=MarkdownTextObject(text="> " + piece.replace("\n", "\n> "))))
    for i in range(0, len(card.buttons), 25):
        blocks.append(ActionsBlock(elements=[button(b, i + j) for j, b in enumerate(card.buttons[i:i + 25])]))
    if card.note:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=_plain(escape(card.note), 2000))]))
    return blocks


def messages(reply: Reply) -> list[dict]:
    """One or more `chat.postMessage`-shaped dicts (`text` + `blocks`) for a reply.

    Cached per reply with its button values left out: an answer's buttons carry its own event id, so the
    same answer never repeats as a whole, but it renders the same around them. The values go back into
    copies of the actions blocks; callers get their own top-level dicts and must not mutate the other blocks."""
    card = reply.card
    if card is None or card.form or not card.buttons:
        return [dict(m) for m in _messages(reply)]
    values = {_slot(i): b.value[:MAX_VALUE] or "-" for i, b in enumerate(card.buttons)}
    shape = replace(reply, card=replace(card, buttons=tuple(replace(b, value=_slot(i)) for i, b in enumerate(card.buttons))))
    return [{**m, "blocks": [_filled(block, values) for block in m["blocks"]]} for m in _messages(shape)]


def _slot(index: int) -> str:
    return f"\x00{index}"


def _filled(block: dict, values: dict[str, str]) -> dict:
    """An actions block with its buttons' real values (other blocks as they are, shared with the cache)."""
    if block.get("type") != "actions":
        return block
    elements = [{**e, "value": values[e["value"]]} if e.get("value") in values else e for e in block["elements"]]
    return {**block, "elements": elements}


@functools.lru_cache(maxsize=256)  # answers repeat (one per topic); one-off replies just pass through
def _messages(reply: Reply) -> list[dict]:
    # Answers repeat (one per topic): building and validating Block Kit models is the costly part.
    text = _plain(escape(reply.text), MAX_TEXT)
    if reply.card is None or reply.card.form:
        return [{"text": text, "blocks": [b.to_dict() for b in text_blocks(reply.text)]}]
    blocks = [b.to_dict() for b in card_blocks(reply.card)]
    out = []
    for i in range(0, len(blocks), MAX_BLOCKS):
        out.append({"text": text if i == 0 else "(continued)", "blocks": blocks[i:i + MAX_BLOCKS]})
    return out


def text_blocks(text: str) -> list[Block]:
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=piece)) for piece in chunks(escape(text), MAX_SECTION)]
    return blocks[:MAX_BLOCKS]


def modal(reply: Reply, note: str = "") -> dict:
    """A form card as a modal view; the submit button's action id and value ride in private_metadata."""
    card = reply.card
    assert card is not None and card.form and card.submit
    blocks: list[Block] = []
    for text in (note, card.body):
        for piece in chunks(escape(text), MAX_SECTION) if text else []:
            blocks.append(SectionBlock(text=MarkdownTextObject(text=piece)))
    for f in card.form:
        element: StaticSelectElement | StaticMultiSelectElement | PlainTextInputElement
        if f.kind == "choices":
            element = StaticMultiSelectElement(action_id=f.name, placeholder=PlainTextObject(text=_plain(f.placeholder or "Choose", 150)),
                                               options=[Option(text=PlainTextObject(text=_plain(o.label, 75)), value=o.value[:150])
                                                        for o in f.options[:100]])
        elif f.kind == "choice":
            element = StaticSelectElement(action_id=f.name, placeholder=PlainTextObject(text="Choose"),
                                          options=[Option(text=PlainTextObject(text=_plain(o.label, 75)), value=o.value[:150]) for o in f.options[:100]])
        else:
            element = PlainTextInputElement(action_id=f.name, multiline=f.kind == "multiline", max_length=min(f.max_length, 3000),
                                            placeholder=PlainTextObject(text=_plain(f.placeholder, 150)) if f.placeholder else None)
        blocks.append(InputBlock(block_id=f.name, label=PlainTextObject(text=_plain(f.label, 2000)), element=element, optional=not f.required))
    if card.note:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=escape(card.note))]))
    metadata = json.dumps({"action_id": card.submit.action_id, "value": card.submit.value})
    view = View(type="modal", callback_id=FORM_CALLBACK, title=PlainTextObject(text=_plain(card.title or "smpolicy", 24)),
                submit=PlainTextObject(text=_plain(card.submit.label, 24)), close=PlainTextObject(text="Cancel"),
                blocks=blocks[:100], private_metadata=metadata[:3000])
    return view.to_dict()


def result_view(replies: list[Reply]) -> dict:
    """A read-only modal showing replies (e.g. the filed report's case reference and code)."""
    blocks: list[Block] = []
    for reply in replies:
        blocks += card_blocks(reply.card) if reply.card else text_blocks(reply.text)
    first = replies[0] if replies else None
    title = first.card.title if first and first.card and first.card.title else "smpolicy"
    return View(type="modal", title=PlainTextObject(text=_plain(title, 24)), close=PlainTextObject(text="Close"),
                blocks=blocks[:100] or text_blocks("Done.")).to_dict()


def home_view(intro: str, record: str, buttons: list[Button]) -> dict:
    """The App Home tab: what the bot does, the person's quiz record, buttons to start."""
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text="Social media guidelines")),
        SectionBlock(text=MarkdownTextObject(text=escape(intro)[:MAX_SECTION])),
        SectionBlock(text=MarkdownTextObject(text=escape(record)[:MAX_SECTION])),
        ActionsBlock(elements=[button(b, i) for i, b in enumerate(buttons)]),
    ]
    return View(type="home", blocks=blocks).to_dict()
