"""For the policy owners: answer events (written after the reply, in batches), "Ask the policy owners", the
owners' answers back to the asker, and draft content.

    answer ──▶ Recorder.record (event id in the buttons) ──▶ batch ──▶ answer_events
      │ unknown / unsure / Not helpful
      ▼
    [Ask the policy owners] ──▶ form (by name | anonymously) ──▶ owner_questions ──▶ owners' channel / console
                                                                                          │ owner answers
    asker ◀── DM (by name) / one-time code (anonymous) ◀────────────────────────────────────┘
                                                   └─ "add to the guidelines" ──▶ content_suggestions

Nothing here is told who a person is beyond the opaque user key of an incoming message, and that is stored
only when the person asks by name. Words are scrubbed (bot/scrub.py) before they are kept.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.messages import Button, Card, FormField, Incoming, Option, Reply
from bot.policy.engine import VERDICT_LABELS, Answer, Engine
from bot.policy.pack import Pack
from bot.scrub import scrub
from bot.storage.errors import StoreError
from bot.storage.insights import ANSWERED, ASKED, OPEN, SUGGESTED, AnswerEvent, Insights, OwnerQuestion, Suggestion

log = logging.getLogger("smpolicy.owners")

EVENT_PREFIX = "ev-"
WORDS_CACHE = 10_000  # scrubbed words of recent answers, in memory only, for a later Not helpful or Ask
WORDS_SECONDS = 24 * 3600
BATCH_SECONDS = 0.2
QUEUE_LIMIT = 50_000  # answers waiting to be written: about 10 MB, a minute at a high rate
ASK_LABEL = "Ask the policy owners"
BY_NAME, ANONYMOUS = "name", "anonymous"


def today(clock: Callable[[], float] = time.time) -> str:
    return datetime.fromtimestamp(clock(), UTC).strftime("%Y-%m-%d")


def band(confidence: float) -> str:
    """Confidence as a band (what the owners need; the exact score says nothing more to them)."""
    return "high" if confidence >= 0.75 else "medium" if confidence >= 0.5 else "low"


def needs_owner(answer: Answer) -> bool:
    """Whether an answer offers "Ask the policy owners": not covered, or unsure (small talk never)."""
    return answer.kind != "smalltalk" and (answer.verdict == "unknown" or answer.kind == "unsure")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class OwnerSettings:
    question_log: bool = True
    retention_days: int = 90
    web_owners: tuple[str, ...] = ()


@dataclass(frozen=True)
class Delivery:
    """An owner's answer on its way to a person who asked by name, in their direct conversation."""

    question_id: str
    channel: str
    user_key: str
    conversation_key: str
    reply: Reply


class Recorder:
    """Counts every answer. `record` only appends a tuple to a bounded queue (the reply is not held up): one
    drainer task, started when the queue gets its first entry and ended when it is empty, builds the events
    (day, scrubbing, the nearest situation) and writes them in batches. A failed write is logged and dropped
    (counts, not records); so is an answer that finds the queue full (the database has been down a while)."""

    def __init__(self, insights: Insights, engine: Engine, keep_words: bool, clock: Callable[[], float] = time.time,
                 limit: int = QUEUE_LIMIT):
        self.insights, self.engine, self.keep_words, self.clock, self.limit = insights, engine, keep_words, clock, limit
        # recorded, not yet made into events: (event id, at, channel, words, names, answer), never who or where
        self.queue: deque[tuple[str, float, str, str, tuple[str, ...], Answer]] = deque()
        self.pending: list[AnswerEvent] = []  # events, not yet written
        # event id -> (at, (scrubbed words, gap)) or, not scrubbed until needed, (at, (text, names, gap)): memory only
        self.words: OrderedDict[str, tuple[float, tuple]] = OrderedDict()
        self._drainer: asyncio.Task | None = None
        self._writing = asyncio.Lock()
        self._ids: list[str] = []
        self._day: tuple[int, str] = (-1, "")
        self.failed = 0

    def record(self, incoming: Incoming, answer: Answer) -> str:
        """Queue one answer; its opaque event id (for the answer's buttons). Nothing else happens here."""
        event_id = self._ids.pop() if self._ids else self._more_ids()
        if len(self.queue) >= self.limit:
            self.failed += 1
            if self.failed % 1000 == 1:
                log.error("answer events dropped: the queue is full", extra={"count": self.failed})
            return event_id
        self.queue.append((event_id, self.clock(), incoming.channel, incoming.text, incoming.names, answer))
        if self._drainer is None:
            self._start_drainer()
        return event_id

    def _more_ids(self) -> str:
        """Opaque ids (96 random bits each, as secrets.token_urlsafe(12)) drawn 256 at a time: one system call."""
        raw = secrets.token_bytes(12 * 256)
        self._ids = [EVENT_PREFIX + base64.urlsafe_b64encode(raw[i:i + 12]).decode() for i in range(0, len(raw), 12)]
        return self._ids.pop()

    def _start_drainer(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop (a synchronous caller): drained by the next async one
        self._drainer = loop.create_task(self._drain())

    async def _drain(self) -> None:
        try:
            while self.queue or self.pending:
                await asyncio.sleep(BATCH_SECONDS)
                await self.flush()
        finally:
            self._drainer = None

    def _prepare(self) -> None:
        """Make the queued answers into events and remember their words (scrubbed only when kept: most answers
        cost no scrubbing)."""
        queue = self.queue
        while queue:
            event_id, at, channel, text, names, answer = queue.popleft()
            gap = answer.topic or ""
            kept = None
            if answer.kind != "smalltalk":
                if needs_owner(answer):
                    words = scrub(text, names)
                    gap = gap or self.nearest(words)
                    self._remember(event_id, at, (words, gap))
                    kept = words if self.keep_words else None
                else:
                    self._remember(event_id, at, (text, names, gap))
            self.pending.append(AnswerEvent(event_id, self._today(at), channel, answer.verdict, answer.kind,
                                            answer.topic or "", answer.section or "", band(answer.confidence), kept, gap))

    def _today(self, at: float) -> str:
        number = int(at // 86400)
        if self._day[0] != number:
            self._day = (number, today(lambda: at))
        return self._day[1]

    def nearest(self, words: str) -> str:
        """The nearest listed situation of a question the engine did not answer: what groups similar gaps."""
        try:
            scores = self.engine.scores(words)
        except Exception:
            return ""
        topics = [(score, label[1]) for label, score in scores.items() if label[0] == "topic"]
        if not topics:
            return ""
        score, index = max(topics)
        return self.engine.pack.topics[index].id if score > 0 else ""

    def _remember(self, event_id: str, at: float, entry: tuple) -> None:
        self.words[event_id] = (at, entry)
        now = self.clock()
        while self.words and (len(self.words) > WORDS_CACHE or next(iter(self.words.values()))[0] < now - WORDS_SECONDS):
            self.words.popitem(last=False)

    def recent_words(self, event_id: str) -> tuple[str, str] | None:
        """The scrubbed words and gap of a recent answer (memory only: gone after a day or a restart)."""
        self._prepare()
        hit = self.words.get(event_id)
        if hit is None:
            return None
        entry = hit[1]
        if len(entry) == 3:  # not scrubbed yet: now it is, once
            text, names, gap = entry
            entry = (scrub(text, names), gap)
            self.words[event_id] = (hit[0], entry)
        return entry

    async def flush(self) -> None:
        """Write everything queued now (before reading an event, and at shutdown). One write at a time: a flush
        that comes while the drainer writes returns once that write, which may hold its event, is done."""
        async with self._writing:
            self._prepare()
            while self.pending:
                batch, self.pending = self.pending, []
                try:
                    await self.insights.record(batch)
                except (StoreError, OSError) as exc:
                    self.failed += len(batch)
                    log.error("answer events not written", extra={"count": len(batch), "error": type(exc).__name__})
                    return

    async def close(self) -> None:
        """Write what is queued and end the drainer (shutdown; a later answer starts a new one)."""
        await self.flush()
        drainer = self._drainer
        if drainer is not None:
            drainer.cancel()
            await asyncio.gather(drainer, return_exceptions=True)
        await self.flush()


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
    rosters: dict[str, set[str]] = field(default_factory=dict)  # platform -> owners' user keys (the owners' channel)
    tasks: set[asyncio.Task] = field(default_factory=set)

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
        self._spawn(self._announce(question_id))
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
        token = (incoming.form_dict().get("code") or incoming.value).strip()
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
        """The notice in the owners' channel: the question, who asked (or "anonymous"), and Answer."""
        asker = question.asker_name or "someone" if question.named else "anonymous"
        fields = [("Asked by", asker), ("Channel", question.channel)]
        if question.verdict:
            fields.append(("The bot said", VERDICT_LABELS.get(question.verdict, question.verdict)))
        if question.section:
            fields.append(("Guideline", self.pack.section(question.section).title))
        card = Card(title=f"Question for the policy owners ({question.id})", body=question.question, fields=tuple(fields),
                    buttons=(Button("Answer", "owners.open", question.id, style="primary", dialog=True),))
        return Reply(f"A question for the policy owners ({question.id}): {question.question}", card)

    def question_notice(self, question: OwnerQuestion) -> Reply:
        """The notice in an owners' channel (Slack, Teams), bare like a review notice: the reference, what the bot
        said and the guideline, and Answer; the words only in the answer form. The asker's name only when they
        asked by name; of an anonymous asker nothing, not even the channel they asked in."""
        fields = [("Asked by", question.asker_name or "someone"), ("Asked in", question.channel)] if question.named else []
        if question.verdict:
            fields.append(("The bot said", VERDICT_LABELS.get(question.verdict, question.verdict)))
        if question.section:
            fields.append(("Guideline", self.pack.section(question.section).title))
        how = "by name" if question.named else "anonymously"
        body = f"Someone asked the policy owners a question {how}. Press Answer to read it and reply."
        card = Card(title=f"Question for the policy owners ({question.id})", body=body, fields=tuple(fields),
                    buttons=(Button("Answer", "owners.open", question.id, style="primary", dialog=True),))
        return Reply(f"A question for the policy owners ({question.id}), asked {how}.", card)

    def answer_form(self, question: OwnerQuestion) -> Reply:
        verdicts = tuple(Option(label, key) for key, label in VERDICT_LABELS.items())
        sections = tuple(Option(s.title, s.id) for s in self.pack.sections.values() if "." not in s.id)
        fields = (
            FormField("answer", "Your answer", "multiline", required=True, max_length=3000),
            FormField("verdict", "Verdict", "choice", required=True, options=verdicts),
            FormField("section", "Guideline", "choice", options=sections),
            FormField("add", "Add to the guidelines?", "choice", required=True,
                      options=(Option("no, just answer", "no"), Option("yes, draft a situation for answers.toml", "yes"))),
        )
        card = Card(title=f"Answer {question.id}", body=question.question, form=fields,
                    submit=Button("Send the answer", "owners.reply", question.id))
        return Reply(question.question, card, private=True, dialog=True)

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
            if sender is not None:
                self._spawn(self._deliver(sender, delivery))
                return f"Answered {question.id}: it is on its way to {question.asker_name or 'the asker'}."
            return f"Answered {question.id}: {question.asker_name or 'the asker'} sees it in the web chat."
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
        fields: list[tuple[str, str]] = [("Your question", question.question)]
        if question.answer_section and question.answer_section in self.pack.sections:
            fields.append(("Guideline", self.pack.section(question.answer_section).title))
        label = VERDICT_LABELS.get(question.answer_verdict, "")
        card = Card(title=f"The policy owners answered: {label}" if label else "The policy owners answered", body=question.answer,
                    fields=tuple(fields), badge=question.answer_verdict if label else "", note=f"Question {question.id}")
        return Reply(f"The policy owners answered your question: {question.answer}", card, private=True)

    async def inbox(self, user_key: str) -> list[Reply]:
        """Answers to questions this person asked by name that have not reached them (the web chat polls)."""
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

    async def _announce(self, question_id: str) -> None:
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
        """Finish queued writes and follow-ups (shutdown, tests)."""
        await self.recorder.close()
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)


def replace_dialog(reply: Reply, dialog: bool) -> Reply:
    from dataclasses import replace

    return replace(reply, dialog=dialog)
