"""Builds the core with every flow's handlers (answers, checks, quizzes, reports, cases, feedback) in routing order."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.check.checker import Checker, CheckResult, DraftError
from bot.core import HELP_TEXT, Core, Handler
from bot.leases import Leases
from bot.messages import Button, Card, Incoming, Reply
from bot.owners import OwnersDesk, OwnerSettings, Recorder
from bot.policy.engine import Answer, Engine
from bot.policy.pack import Pack
from bot.quiz.flow import QuizMaster
from bot.quiz.rounds import Rounds
from bot.reports.cases import CaseBook
from bot.reports.crypto import Hasher, Sealer
from bot.reports.flow import ReportDesk
from bot.reports.follow_up import FollowUp
from bot.reports.limits import Limits
from bot.reports.review import CASE_ACTION_IDS, ReviewDesk
from bot.storage import Storage


@dataclass
class Hooks:
    """Callbacks the edge uses for metrics; none of them receives who a person is."""

    answered: Callable[[Answer], None] = lambda answer: None
    quiz_answered: Callable[[bool], None] = lambda correct: None
    checked: Callable[[str], None] = lambda verdict: None


CHECK = re.compile(r"^\s*/?check\s*:?\s+(.+)$", re.I | re.S)
CHECK_TITLES = {"ok": "Looks fine to post", "review": "Review before posting", "do_not_post": "Don't post this as it is"}


def check_reply(result: CheckResult, pack: Pack) -> Reply:
    """A checked draft as a reply: the answer, one field per finding (guideline and reason)."""
    fields = tuple((pack.section(f.section).title, f"\u201c{f.excerpt}\u201d: {f.reason} {f.suggest}") for f in result.findings)
    card = Card(title=CHECK_TITLES[result.verdict], body=result.answer.split("\n")[0], fields=fields,
                note=f"Policy version {result.policy_version}. Drafts are not stored.", badge=result.verdict,
                draft=result.draft, marks=tuple((f.span[0], f.span[1], pack.section(f.section).title) for f in result.findings))
    return Reply(result.answer, card, private=True)


def _word(*words: str) -> Callable[[Incoming], bool]:
    pattern = re.compile(r"/?(?:" + "|".join(words) + r")\s*[.!]?", re.I)  # fullmatch on stripped text: linear
    return lambda m: m.kind == "message" and bool(pattern.fullmatch(m.text.strip()))


def _action(*ids: str) -> Callable[[Incoming], bool]:
    return lambda m: m.kind == "action" and m.action_id in ids


def _either(word: Callable[[Incoming], bool], action: Callable[[Incoming], bool]) -> Callable[[Incoming], bool]:
    return lambda m: word(m) or action(m)


@dataclass
class Bot:
    """The core and the flows the edges also drive directly (notifications, rounds, command line)."""

    core: Core
    cases: CaseBook
    desk: ReportDesk
    review: ReviewDesk
    quiz: QuizMaster
    rounds: Rounds
    storage: Storage
    owners: OwnersDesk


def build_bot(pack: Pack, engine: Engine, storage: Storage, sealer: Sealer, hooks: Hooks | None = None,
              notify_delay: float = 120, owner_settings: OwnerSettings | None = None, ack_days: int = 7,
              feedback_days: int = 90) -> Bot:
    """The conversation core wired to the storage: answers, quizzes, reports, cases and feedback."""
    hooks = hooks or Hooks()
    quiz = QuizMaster(storage.quiz, pack, on_answer=hooks.quiz_answered)
    hasher = Hasher()
    limits = Limits()
    desk = ReportDesk(storage.cases, sealer, pack, notify_delay=notify_delay, hasher=hasher, limits=limits,
                      reviewers=storage.reviewers, ack_days=ack_days, feedback_days=feedback_days)
    cases = CaseBook(storage.cases, storage.reviewers, sealer, ack_days=ack_days, feedback_days=feedback_days)
    review = ReviewDesk(cases, pack)
    follow_up = FollowUp(cases, hasher, limits)
    rounds = Rounds(storage.rounds, quiz, Leases(storage.leases))
    checker = Checker(pack)
    owner_settings = owner_settings or OwnerSettings()
    recorder = Recorder(storage.insights, engine, owner_settings.question_log)
    owners = OwnersDesk(storage.insights, pack, recorder, owner_settings)

    async def check_draft(incoming: Incoming) -> list[Reply]:
        match = CHECK.match(incoming.text)
        assert match is not None  # the handler's check matched it
        draft = match.group(1)
        try:
            result = checker.check(draft)
        except DraftError as exc:
            return [Reply(f"I can't check that: {exc}.", private=True)]
        hooks.checked(result.verdict)
        return [check_reply(result, pack)]

    async def quiz_off(incoming: Incoming) -> list[Reply]:
        await rounds.set_opt_out(incoming.user_key, True)
        return [Reply("Done: no more weekly quiz invitations. Say \"quiz on\" to get them again; \"quiz\" still starts one any time.",
                      private=True)]

    async def quiz_on(incoming: Incoming) -> list[Reply]:
        await rounds.set_opt_out(incoming.user_key, False)
        return [Reply("Welcome back: you'll get the weekly quiz invitation again.", private=True)]

    async def feedback(incoming: Incoming) -> list[Reply]:
        if not incoming.value.startswith("ev-"):  # an older button carries the topic
            await storage.feedback.record(incoming.value, incoming.action_id == "feedback.up")
        return await owners.feedback(incoming)

    def answered(incoming: Incoming, answer: Answer) -> str:
        hooks.answered(answer)
        return recorder.record(incoming, answer)

    async def home(incoming: Incoming) -> list[Reply]:
        card = Card(title="Social media guidelines", body=HELP_TEXT, fields=(("Your record", await quiz.record(incoming.user_key)),),
                    buttons=(Button("Ask a question", "ask.prompt"), Button("Take a quiz", "quiz.start", style="primary"),
                             Button("Report a concern", "report.open", dialog=True)))
        return [Reply(HELP_TEXT, card)]

    async def ask_prompt(incoming: Incoming) -> list[Reply]:
        return [Reply("Ask me anything about the social media guidelines: just type your question here, "
                      "for example \"can I post a photo from the team offsite?\"")]

    handlers = [
        Handler("check", lambda m: m.kind == "message" and bool(CHECK.match(m.text)), check_draft),
        Handler("quiz.off", _word("quiz off", "quiz stop", "stop quiz"), quiz_off),
        Handler("quiz.on", _word("quiz on"), quiz_on),
        Handler("home", _action("home.open"), home),
        Handler("ask.prompt", _action("ask.prompt"), ask_prompt),
        Handler("quiz.start", _either(_word("quiz", "start quiz", "take a quiz"), _action("quiz.start")), quiz.begin),
        Handler("quiz.answer", _action("quiz.answer"), quiz.answer),
        Handler("policy.section", _action("policy.section"), quiz.read_section),
        Handler("report.open", _either(_word("report", "report a concern"), _action("report.open")), desk.open_form),
        Handler("report.submit", _action("report.submit"), desk.submit),
        Handler("feedback", _action("feedback.up", "feedback.down"), feedback),
        Handler("reports.list", _either(_word("reports", "cases"), _action("reports.list")), review.list_cases),
        Handler("case.review", _action(*CASE_ACTION_IDS), review.reviewer_action),
        Handler("case.lookup", _either(_word("case", "my case", "follow up"), _action("case.lookup")), follow_up.lookup_form),
        Handler("case.verify", _action("case.verify"), follow_up.verify),
        Handler("case.reply", _action("case.reply"), follow_up.reply),
        Handler("owners.ask", _action("owners.ask"), owners.ask_form),
        Handler("owners.send", _action("owners.send"), owners.send),
        Handler("owners.check", _either(_word("my question", "owners answer"), _action("owners.check")), owners.check),
        Handler("owners.open", _action("owners.open"), owners.open),
        Handler("owners.reply", _action("owners.reply"), owners.reply),
    ]
    core = Core(pack, engine, handlers, on_answer=answered)
    return Bot(core, cases, desk, review, quiz, rounds, storage, owners)


def build_core(pack: Pack, engine: Engine, storage: Storage, sealer: Sealer, hooks: Hooks | None = None) -> Core:
    """Just the core (tests and tools that need no other flow)."""
    return build_bot(pack, engine, storage, sealer, hooks).core
