"""The conversation core: every channel hands it an `Incoming` and renders the `Reply`s it returns.

Routing follows one pattern: an ordered list of handlers, each a pure `check(incoming)` and an
async `handle(incoming)`; the first whose check matches handles it. One error path turns any
failure into a polite reply and a log line without the person's words.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.messages import Button, Card, Incoming, Reply
from bot.policy.engine import VERDICT_LABELS, Answer, Engine, QuestionError
from bot.policy.pack import Pack
from bot.storage.errors import StoreError

log = logging.getLogger("smpolicy.core")

HELP_TEXT = (
    "I help you follow the social media guidelines.\n"
    "- Ask me anything, e.g. \"can I post about our product launch?\": I answer with the guideline and a quote.\n"
    "- \"report\": report a concern anonymously, through a form.\n"
    "- \"case\": follow up on a report, with the case reference and follow-up code you got.\n"
    "- \"quiz\": a quick three-question quiz on the guidelines.\n"
    "- \"check: <your draft post>\": I check a draft before you post it.\n"
    "- \"help\": this message."
)
# Matched with fullmatch on the stripped text: one \s* between the word and its punctuation, never two in a row
# (two let "help" + 40,000 spaces + "x" backtrack quadratically).
HELP_WORDS = re.compile(r"(?:/?help|\?|hi|hello|hey|start|menu)\s*[.!?]*", re.I)
MAX_TEXT = 8000  # any message longer is refused before a handler looks at it (questions are capped at 2,000)


@dataclass(frozen=True)
class Handler:
    """One route: `check` decides (pure, fast), `handle` answers."""

    name: str
    check: Callable[[Incoming], bool]
    handle: Callable[[Incoming], Awaitable[list[Reply]]]


class Core:
    """Routes incoming messages and actions to the policy, report and quiz flows."""

    def __init__(self, pack: Pack, engine: Engine, handlers: list[Handler] | None = None,
                 on_answer: Callable[[Incoming, Answer], str | None] | None = None):
        self.pack = pack
        self.engine = engine
        self.on_answer = on_answer
        self.handlers: list[Handler] = list(handlers or [])
        self.handlers += [
            Handler("help", lambda m: m.kind == "message" and bool(HELP_WORDS.fullmatch(m.text.strip())), self._help),
            Handler("ask", lambda m: m.kind == "message", self._ask),
        ]

    async def handle(self, incoming: Incoming) -> list[Reply]:
        """Answer one incoming message or action."""
        if len(incoming.text) > MAX_TEXT:
            return [Reply("That message is too long for me: ask one question of up to 2,000 characters.", private=True)]
        for handler in self.handlers:
            if handler.check(incoming):
                try:
                    return await handler.handle(incoming)
                except StoreError:
                    log.error("store write failed", extra={"handler": handler.name, "channel": incoming.channel})
                    return [Reply("Sorry, I could not save that, so nothing was recorded. Please try again.", private=True)]
                except Exception:
                    # The one error path: log where, never what the person wrote.
                    log.exception("handler failed", extra={"handler": handler.name, "channel": incoming.channel})
                    return [Reply("Sorry, something went wrong on my side and nothing was saved. Please try again.",
                                  private=True)]
        return [Reply("I did not understand that. Say \"help\" to see what I can do.", private=True)]

    async def _help(self, incoming: Incoming) -> list[Reply]:
        return [help_reply()]

    async def _ask(self, incoming: Incoming) -> list[Reply]:
        try:
            answer = self.engine.answer(incoming.text)
        except QuestionError as exc:
            return [Reply(f"I can't answer that: {exc}. Ask one question of up to 2,000 characters.", private=True)]
        # `on_answer` counts the answer and may return an opaque event id for its buttons (bot/owners/recorder.py).
        event = self.on_answer(incoming, answer) if self.on_answer else None
        return [answer_reply(answer, event or "")]


def help_reply() -> Reply:
    """What the bot does, with buttons to start each job."""
    card = Card(title="Social media guidelines bot", body=HELP_TEXT, buttons=(
        Button("Take a quiz", "quiz.start", style="primary"),
        Button("Report a concern", "report.open", dialog=True),
        Button("Follow up on a report", "case.lookup", dialog=True),
    ))
    return Reply(HELP_TEXT, card)


def answer_reply(answer: Answer, event: str = "") -> Reply:
    """Render an engine answer as a neutral reply: text fallback plus a card that says the verdict once
    (title and badge), the answer, the guideline by its title and its quote. An unsure answer also names
    the other closest guideline with its quote; small talk is a friendly line with no verdict. With an answer
    `event` id the feedback buttons carry it (never a user id), and an unknown or unsure answer offers the owners."""
    buttons: list[Button] = []
    if answer.verdict != "unknown" and answer.topic:
        buttons += [Button("Helpful", "feedback.up", event or answer.topic), Button("Not helpful", "feedback.down", event or answer.topic)]
    if event and answer.kind != "smalltalk" and (answer.verdict == "unknown" or answer.kind == "unsure"):
        buttons.append(Button("Ask the policy owners", "owners.ask", event, dialog=True))
    if answer.offer_report:
        buttons.append(Button("Report a concern", "report.open", style="danger", dialog=True))
    if answer.kind == "smalltalk":
        # Small talk gets a friendly line, not a refusal with a verdict.
        return Reply(answer.answer, Card(body=answer.answer), private=True)
    fields: list[tuple[str, str]] = []
    quote = ""
    if answer.citations:
        citation = answer.citations[0]
        fields.append(("Guideline", citation.title))
        quote = citation.quote
    for other in answer.citations[1:]:
        fields.append(("Or perhaps", f"{other.title}: \u201c{other.quote}\u201d"))
    body = answer.answer.split("\nGuideline:")[0].removeprefix(VERDICT_LABELS[answer.verdict] + ". ")
    if answer.kind == "unsure":
        body += f"\nPlease check with {answer.ask} before you post."
    card = Card(title=VERDICT_LABELS[answer.verdict], body=body, fields=tuple(fields), quote=quote,
                buttons=tuple(buttons), note=f"Policy version {answer.policy_version}", badge=answer.verdict)
    return Reply(answer.answer, card, private=True)
