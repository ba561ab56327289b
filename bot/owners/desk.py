"""The flows of "Ask the policy owners" (asking by name or anonymously, reading an answer with a one-time code)
and of the owners' answers (who the owners are, the answer form, delivery to a named asker, draft content).

Nothing here is told who a person is beyond the opaque user key of an incoming message, and that is stored
only when the person asks by name. Words are scrubbed (bot/scrub.py) before they are kept.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.messages import Button, Card, FormField, Incoming, Option, Reply
from bot.owners import cards
from bot.owners.cards import replace_dialog
from bot.owners.recorder import EVENT_PREFIX, Recorder, today
from bot.policy.engine import VERDICT_LABELS
from bot.policy.pack import Pack
from bot.scrub import scrub
from bot.storage.insights import ANSWERED, ASKED, OPEN, SUGGESTED, Insights, OwnerQuestion, Suggestion

log = logging.getLogger("smpolicy.owners")
_JITTER = secrets.SystemRandom()

ASK_LABEL = "Ask the policy owners"
BY_NAME, ANONYMOUS = "name", "anonymous"

# Spaces and invisible characters in a code as typed or pasted. A Teams card shows a code with a zero-width space
# before each `_` and a leading `-` (render.escape, so that nothing reads as markdown): a copied code carries them.
_NOT_IN_A_CODE = re.compile(r"[\s\u200b-\u200d\u2060\ufeff]+")


def _code(entered: str) -> str:
    return _NOT_IN_A_CODE.sub("", entered)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class OwnerSettings:
    question_log: bool = True
    retention_days: int = 90
    web_owners: tuple[str, ...] = ()
    # An anonymous question's notice waits 0 to this many seconds (SMPOLICY_REPORT_NOTIFY_DELAY, as reports do):
    # a notice at the second a question was sent would date it to whoever was at their keyboard just then.
    anonymous_delay: float = 0.0


@dataclass(frozen=True)
class Delivery:
    """An owner's answer on its way to a person who asked by name, in their direct conversation."""

    question_id: str
    channel: str
    user_key: str
    conversation_key: str
    reply: Reply


@dataclass
class OwnersDesk:
    """The flows of "Ask the policy owners" and of the owners' answers, and who the owners are."""

    insights: Insights
    pack: Pack
    recorder: Recorder
    settings: OwnerSettings = field(default_factory=OwnerSettings)
    clock: Callable[[], float] = time.time
    # Edges add these: where a new question is announced, and how an answer reaches a person by channel.
    announcers: list[Callable[[Reply], Awaitable[None]]] = field(default_factory=list)
    deliverers: dict[str, Callable[[Delivery], Awaitable[None]]] = field(default_factory=dict)
    # Whether a channel's deliverer can reach a person now (Teams: a personal chat's reference is stored). A channel
    # with a deliverer and no entry here always can. Unreachable: the answer waits for `inbox` (their next message).
    reachable: dict[str, Callable[[str], Awaitable[bool]]] = field(default_factory=dict)
    rosters: dict[str, set[str]] = field(default_factory=dict)  # platform -> owners' user keys (the owners' channel)
    tasks: set[asyncio.Task] = field(default_factory=set)
    _hurry: asyncio.Event = field(default_factory=asyncio.Event)

    # ------------------------------------------------------------ who the owners are

    def set_owners(self, platform: str, user_keys: list[str]) -> None:
        self.rosters[platform] = set(user_keys)

    def is_owner(self, user_key: str) -> bool:
        if user_key.startswith("web:"):
            return user_key[4:] in self.settings.web_owners
        return any(user_key in keys for keys in self.rosters.values())

    # ------------------------------------------------------------ helpful / not helpful

    async def feedback(self, incoming: Incoming) -> list[Reply]:
        """A Helpful / Not helpful press: on its answer event (and, for a topic value from an older button, as
        before). Not helpful keeps the scrubbed words (unless the question log is off) and offers the owners."""
        helpful = incoming.action_id == "feedback.up"
        if not incoming.value.startswith(EVENT_PREFIX):
            return [Reply("Thanks for the feedback: it helps the policy owners improve the answers.", private=True)]
        await self.recorder.flush()
        recent = self.recorder.recent_words(incoming.value)
        keep = recent[0] if recent and not helpful and self.settings.question_log else None
        await self.insights.mark_helpful(incoming.value, helpful, keep)
        if helpful:
            return [Reply("Thanks for the feedback: it helps the policy owners improve the answers.", private=True)]
        text = "Thanks for telling us: the policy owners will see that this answer did not help. You can also ask them directly."
        card = Card(body=text, buttons=(Button(ASK_LABEL, "owners.ask", incoming.value, dialog=True),))
        return [Reply(text, card, private=True)]

    # ------------------------------------------------------------ asking

    async def ask_form(self, incoming: Incoming) -> list[Reply]:
        recent = self.recorder.recent_words(incoming.value) if incoming.value.startswith(EVENT_PREFIX) else None
        body = ("Your question goes to the people who own the social media guidelines. Choose whether they see your name: "
                "anonymously, they can't tell who asked, and you read their answer with a one-time code.")
        if recent:
            body += f"\nYour question: \u201c{recent[0]}\u201d"
        fields = (
            FormField("question", "Your question" if not recent else "Anything to add (optional)", "multiline",
                      required=not recent, max_length=2000, placeholder="What would you like to know?"),
            FormField("who", "Send it", "choice", required=True,
                      options=(Option("with my name", BY_NAME), Option("anonymously", ANONYMOUS))),
        )
        card = Card(title=ASK_LABEL, body=body, form=fields, submit=Button("Send to the owners", "owners.send", incoming.value))
        return [Reply(body, card, private=True, dialog=True)]

    async def send(self, incoming: Incoming) -> list[Reply]:
        form = incoming.form_dict()
        who = form.get("who", "")
        recent = self.recorder.recent_words(incoming.value) if incoming.value.startswith(EVENT_PREFIX) else None
        extra = form.get("question", "").strip()
        errors = []
        if who not in (BY_NAME, ANONYMOUS):
            errors.append(("who", "Choose with your name or anonymously."))
        if not recent and not extra:
            errors.append(("question", "Write your question."))
        if len(extra) > 2000:
            errors.append(("question", "Up to 2,000 characters, please."))
        if errors:
            return [Reply("Please check the form.", private=True, dialog=True, field_errors=tuple(errors))]
        named = who == BY_NAME
        parts = [recent[0]] if recent else []
        if extra:
            # Typed for the owners: scrubbed like kept words, and of the asker's names too when anonymous.
            parts.append(scrub(extra, () if named else (*incoming.names, incoming.user_key.split(":")[-1])))
        question = "\n".join(parts)
        gap = recent[1] if recent else self.recorder.nearest(question)
        event = await self.insights.event(incoming.value) if incoming.value.startswith(EVENT_PREFIX) else None
        question_id = "Q-" + secrets.token_hex(4).upper()
        token = None if named else secrets.token_urlsafe(12)
        name = (incoming.names[0] if incoming.names else incoming.user_key.split(":")[-1]) if named else ""
        await self.insights.add_question(OwnerQuestion(
            question_id, today(self.clock), incoming.channel, question, (event or {}).get("verdict") or "",
            (event or {}).get("section") or "", gap, named, incoming.user_key if named else "",
            incoming.conversation_key if named else "", name, OPEN, "", "", "", "", "", False), _hash(token) if token else None)
        if event:
            await self.insights.set_event_status(incoming.value, ASKED)
        self._spawn(self._announce(question_id, 0.0 if named else _JITTER.uniform(0.0, self.settings.anonymous_delay)))
        if named:
            text = "Sent to the policy owners with your name. Their answer will come to you here."
            return [Reply(text, Card(title="Sent to the policy owners", body=text), private=True, dialog=True)]
        text = ("Sent to the policy owners anonymously: they don't know who asked, so their answer can't come to you by "
                "itself. Keep this code: it shows their answer once.")
        card = Card(title="Sent anonymously", body=text, fields=(("Question code", token or ""),),
                    buttons=(Button("See the owners' answer", "owners.check", token or "", dialog=True),))
        return [Reply(text, card, private=True, dialog=True)]

    async def check_form(self, incoming: Incoming) -> list[Reply]:
        card = Card(title="Read the owners' answer", body="Enter the question code you got when you asked anonymously.",
                    form=(FormField("code", "Question code", required=True, max_length=40),),
                    submit=Button("Show the answer", "owners.check"))
        return [Reply(card.body, card, private=True, dialog=True)]

    async def check(self, incoming: Incoming) -> list[Reply]:
        """An anonymous asker's code: the answer once it is there (then the code stops working)."""
        token = _code(incoming.form_dict().get("code") or incoming.value)
        if not token:
            return await self.check_form(incoming)
        question = await self.insights.by_token(_hash(token))
        if question is None:
            return [Reply("No question has that code, or its answer was already shown.", private=True, dialog=True)]
        if question.status != ANSWERED:
            text = "The owners have your question but have not answered yet. Try again later with the same code."
            return [Reply(text, Card(title="No answer yet", body=text, buttons=(Button("Try again", "owners.check", token, dialog=True),)),
                          private=True, dialog=True)]
        await self.insights.spend_token(question.id)
        return [replace_dialog(self.answer_reply(question), True)]

    # ------------------------------------------------------------ the owners' side

    def question_card(self, question: OwnerQuestion) -> Reply:
        return cards.question_card(self.pack, question)

    def question_notice(self, question: OwnerQuestion) -> Reply:
        return cards.question_notice(self.pack, question)

    def answer_form(self, question: OwnerQuestion) -> Reply:
        return cards.answer_form(self.pack, question)

    async def open(self, incoming: Incoming) -> list[Reply]:
        if not self.is_owner(incoming.user_key):
            return [Reply("Only the policy owners can answer these questions.", private=True, dialog=True)]
        question = await self.insights.question(incoming.value)
        if question is None:
            return [Reply("That question is no longer there.", private=True, dialog=True)]
        if question.status != OPEN:
            return [Reply(f"{question.id} was already answered: \u201c{question.answer}\u201d", private=True, dialog=True)]
        return [self.answer_form(question)]

    async def reply(self, incoming: Incoming) -> list[Reply]:
        if not self.is_owner(incoming.user_key):
            return [Reply("Only the policy owners can answer these questions.", private=True, dialog=True)]
        form = incoming.form_dict()
        errors = []
        if not form.get("answer", "").strip():
            errors.append(("answer", "Write the answer."))
        if form.get("verdict") not in VERDICT_LABELS:
            errors.append(("verdict", "Choose a verdict."))
        if form.get("section") and form["section"] not in self.pack.sections:
            errors.append(("section", "Choose a guideline from the list."))
        if form.get("add") not in ("yes", "no"):
            errors.append(("add", "Choose whether to draft a situation."))
        if errors:
            return [Reply("Please check the form.", private=True, dialog=True, field_errors=tuple(errors))]
        done = await self.answer(incoming.value, form["answer"].strip()[:3000], form["verdict"], form.get("section", ""),
                                 incoming.user_key, form["add"] == "yes")
        return [Reply(done, Card(title="Answer sent", body=done), private=True, dialog=True)]

    async def answer(self, question_id: str, text: str, verdict: str, section: str, owner: str, suggest: bool) -> str:
        """Record an owner's answer, draft content when asked, and send it on to a named asker. What happened."""
        if not await self.insights.answer_question(question_id, text, verdict, section, owner, today(self.clock)):
            return "That question was already answered (or is gone): nothing was changed."
        question = await self.insights.question(question_id)
        assert question is not None
        if suggest:
            await self.suggest(question.question, verdict, text, section, "owner question")
        if question.gap:
            await self.insights.set_gap_status(question.gap, ANSWERED)
        if question.named:
            delivery = Delivery(question.id, question.channel, question.asker_key, question.asker_conversation,
                                self.answer_reply(question))
            sender = self.deliverers.get(question.channel)
            who = question.asker_name or "the asker"
            if sender is None:
                return f"Answered {question.id}: {who} sees it in the web chat."
            can_reach = self.reachable.get(question.channel)
            if can_reach is not None and not await can_reach(question.asker_key):
                return (f"Answered {question.id}: {who} has no direct chat with the bot that it can write to, so they get "
                        "the answer the next time they write to the bot in a direct chat.")
            self._spawn(self._deliver(sender, delivery))
            return f"Answered {question.id}: it is on its way to {who}."
        return f"Answered {question.id}: the anonymous asker reads it with their code."

    async def suggest(self, question: str, verdict: str, answer: str, section: str, source: str) -> None:
        await self.insights.add_suggestion(Suggestion("S-" + secrets.token_hex(4).upper(), today(self.clock), question,
                                                      verdict, answer, section, source, "new"))

    async def dismiss_gap(self, gap: str) -> int:
        return await self.insights.set_gap_status(gap, "dismissed")

    async def suggest_gap(self, gap: str, question: str, verdict: str, answer: str, section: str) -> None:
        await self.suggest(question, verdict, answer, section, "gap")
        await self.insights.set_gap_status(gap, SUGGESTED)

    def answer_reply(self, question: OwnerQuestion) -> Reply:
        return cards.answer_reply(self.pack, question)

    async def inbox(self, user_key: str) -> list[Reply]:
        """Answers to questions this person asked by name that have not reached them (each once): the web chat polls,
        Teams asks on the person's next message in a personal chat."""
        out = []
        for question in await self.insights.undelivered_for(user_key):
            if await self.insights.mark_delivered(question.id):
                out.append(self.answer_reply(question))
        return out

    async def collect(self, user_key: str, codes: list[str]) -> tuple[list[Reply], list[str]]:
        """For a page that polls: answers to `user_key`'s named questions, and to the anonymous questions of the
        `codes` it holds that have been answered (each once); which codes are spent or unknown (to forget)."""
        replies = await self.inbox(user_key)
        done = []
        for code in codes:
            question = await self.insights.by_token(_hash(code))
            if question is None:
                done.append(code)
            elif question.status == ANSWERED and await self.insights.spend_token(question.id):
                replies.append(self.answer_reply(question))
                done.append(code)
        return replies, done

    # ------------------------------------------------------------ background work

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.get_running_loop().create_task(self._guarded(work))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _guarded(self, work: Awaitable[None]) -> None:
        try:
            await work
        except Exception as exc:
            log.error("owners follow-up failed", extra={"error": type(exc).__name__})

    async def _announce(self, question_id: str, delay: float = 0.0) -> None:
        if delay > 0:
            try:  # settle() (shutdown) ends the wait: a notice is never dropped for it
                await asyncio.wait_for(self._hurry.wait(), delay)
            except TimeoutError:
                pass
        question = await self.insights.question(question_id)
        if question is None:
            return
        for announce in self.announcers:
            try:
                await announce(self.question_notice(question))
            except Exception as exc:  # the console lists it anyway
                log.error("owners' channel notice failed", extra={"error": type(exc).__name__})

    async def _deliver(self, sender: Callable[[Delivery], Awaitable[None]], delivery: Delivery) -> None:
        await sender(delivery)
        await self.insights.mark_delivered(delivery.question_id)

    async def forget_old(self) -> int:
        """Retention: the words of questions older than the retention period go (counts stay)."""
        cutoff = today(lambda: self.clock() - self.settings.retention_days * 86400)
        return await self.insights.forget_before(cutoff)

    async def settle(self) -> None:
        """Finish queued writes and follow-ups (shutdown, tests); anonymous notices still waiting go now."""
        self._hurry.set()
        await self.recorder.close()
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)

