"""What an answer says: the verdict's words, the situation's answer and conditions, the guideline quoted,
who to ask; for a refusal, why and who can help. Only the pack's own words are used."""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass

from bot.policy.facts import UNMET_CONDITION, stated
from bot.policy.pack import OffTopic, Pack, Topic
from bot.policy.text import fold

VERDICT_LABELS = {
    "allowed": "Allowed",
    "not_allowed": "Not allowed",
    "conditional": "It depends",
    "info": "Here is what the guidelines say",
    "unknown": "Not covered by the guidelines",
}


class QuestionError(ValueError):
    """A question that cannot be answered (empty, too long); the message says why."""


@dataclass(frozen=True)
class Citation:
    section: str
    title: str
    quote: str


@dataclass(frozen=True)
class Answer:
    """The engine's answer; `to_json` gives the documented JSON shape."""

    verdict: str
    section: str | None
    answer: str
    citations: tuple[Citation, ...]
    confidence: float
    policy_version: str
    topic: str | None = None
    conditions: tuple[str, ...] = ()
    ask: str = ""
    offer_report: bool = False
    kind: str = "policy"  # policy | unsure | general (the governing guideline, no listed situation) | out_of_scope | smalltalk

    def to_json(self) -> dict:
        """The documented answer object: verdict, section, answer, citations, confidence, policy_version."""
        return {
            "verdict": self.verdict,
            "section": self.section,
            "answer": self.answer,
            "citations": [asdict(c) for c in self.citations],
            "confidence": round(float(self.confidence), 3),
            "policy_version": self.policy_version,
        }


class Writer:
    """Builds the answers of one pack; the words of a situation's answer are built once each."""

    def __init__(self, pack: Pack, default_contact: str):
        self.pack, self.default_contact = pack, default_contact
        self._rendered: dict[tuple, tuple[str, str, tuple[Citation, ...], str]] = {}

    def general(self, topic: Topic, question: str, confidence: float, verdict: str = "conditional") -> Answer:
        """No listed situation is close: the guideline that governs it, "it depends" with the closest case's
        conditions; or, for a question that asks what the guidelines say (`verdict` "info"), the guideline itself."""
        if verdict == "info":
            return self.governing(topic, confidence)
        if UNMET_CONDITION.search(fold(question)):
            # "...before it's announced": the condition the governing guideline sets is not met.
            answer = self.from_topic(topic, question, confidence)
            if answer.verdict != "not_allowed" and topic.verdict != "allowed":
                answer = dataclasses.replace(answer, verdict="not_allowed", answer=answer.answer.replace(
                    VERDICT_LABELS[answer.verdict] + ".", VERDICT_LABELS["not_allowed"] + ". As you describe it, the condition is not met.", 1))
            return dataclasses.replace(answer, kind="general")
        section = self.pack.section(topic.section)
        quote = topic.quote or section.text
        contact = self.pack.contact(topic.ask) if topic.ask else self.default_contact
        lines = [f"{VERDICT_LABELS['conditional']}. The guidelines don't list this exact situation; the guideline that governs it is "
                 f"{section.title}. The closest listed case: {topic.answer}"]
        if topic.conditions:
            lines.append("Conditions:")
            lines += [f"- {c}" for c in topic.conditions]
        lines.append(f"Guideline: {section.title}: \u201c{quote}\u201d")
        lines.append(f"Unsure? Ask {contact}.")
        return Answer("conditional", topic.section, "\n".join(lines), (Citation(topic.section, section.title, quote),), confidence,
                      self.pack.version, topic.id, topic.conditions, contact, topic.report, "general")

    def governing(self, topic: Topic, confidence: float) -> Answer:
        """The guideline that governs the topic, quoted whole ("info")."""
        section = self.pack.section(topic.section)
        contact = self.pack.contact(topic.ask) if topic.ask else self.default_contact
        lines = [f"{VERDICT_LABELS['info']}. The guidelines don't list this exact situation; the guideline that governs it is "
                 f"{section.title}: \u201c{section.text}\u201d", f"Unsure? Ask {contact}."]
        if topic.report:
            lines.append("If you saw someone break the guidelines, you can report it anonymously: say \"report\".")
        return Answer("info", topic.section, "\n".join(lines), (Citation(topic.section, section.title, section.text),), confidence,
                      self.pack.version, topic.id, (), contact, topic.report, "general")

    def witnessed(self, topic: Topic, report: Topic | None, confidence: float) -> Answer:
        """The question tells what someone else did: how to report it (the `report` situation's guideline, when the
        pack has one) and the guideline they may have broken, both quoted; no verdict on the asker's own conduct."""
        broken = self.pack.section(topic.section)
        cited = [Citation(topic.section, broken.title, broken.text)]
        lines = [f"{VERDICT_LABELS['info']}. What you describe is someone else's conduct."]
        section_id = topic.section
        if report is not None:
            how = self.pack.section(report.section)
            section_id = report.section
            cited.insert(0, Citation(report.section, how.title, report.quote or how.text))
            lines += [report.answer, f"Guideline: {how.title}: \u201c{report.quote or how.text}\u201d"]
        lines.append(f"The guideline they may have broken: {broken.title}: \u201c{broken.text}\u201d")
        lines.append("You can report it anonymously: say \"report\".")
        contact = self.pack.contact(topic.ask) if topic.ask else self.default_contact
        return Answer("info", section_id, "\n".join(lines), tuple(cited), confidence, self.pack.version,
                      (report or topic).id, (), contact, True, "general")

    def unknown(self, group: OffTopic | None, confidence: float) -> Answer:
        contact = self.pack.contact(group.ask) if group and group.ask != "default" else self.default_contact
        confidence = min(1.0, max(0.0, confidence))
        if group and group.kind == "smalltalk":
            text = group.reply or "Happy to help: ask me what you may post or share, or say \"help\"."
            return Answer("unknown", None, text, (), confidence, self.pack.version, ask=contact, kind="smalltalk")
        if group and group.kind in ("fact", "howto", "write"):
            why = {"fact": "That is a question of fact, not of what the social media guidelines allow",
                   "howto": "That is a how-to question, not one of what the social media guidelines allow",
                   "write": "I don't write content"}[group.kind]
            text = f"{VERDICT_LABELS['unknown']}. {why}. " + (group.reply + " " if group.reply else "") + f"Please ask {contact}."
            return Answer("unknown", None, text, (), confidence, self.pack.version, ask=contact, kind="out_of_scope")
        text = (f"{VERDICT_LABELS['unknown']}. The social media guidelines don't say anything about that, "
                f"so I won't guess. Please ask {contact}.")
        return Answer("unknown", None, text, (), confidence, self.pack.version, ask=contact, kind="out_of_scope")

    def from_topic(self, topic: Topic, question: str, confidence: float, unsure: Topic | None = None) -> Answer:
        unmet, public = stated(topic, question)
        # The text depends only on the topic, the unmet condition and the second guideline: built once each
        # (a pack has a few dozen topics), not for every question.
        key = (id(topic), unmet, public, id(unsure) if unsure is not None else None)
        parts = self._rendered.get(key)
        if parts is None:
            parts = self._rendered[key] = self.render(topic, unmet, unsure, public)
        verdict, text, citations, contact = parts
        return Answer(verdict, topic.section, text, citations, confidence, self.pack.version, topic.id,
                      topic.conditions, contact, topic.report, "policy" if unsure is None else "unsure")

    def render(self, topic: Topic, unmet: bool, unsure: Topic | None, public: bool = False) -> tuple[str, str, tuple[Citation, ...], str]:
        verdict = topic.verdict
        if unmet:
            verdict = "not_allowed"
        if public:
            verdict = "conditional"
        section = self.pack.section(topic.section)
        quote = topic.quote or section.text
        contact = self.pack.contact(topic.ask) if topic.ask else self.default_contact
        lines = [f"{VERDICT_LABELS[verdict]}. {topic.answer}"]
        if unmet:
            lines.append("As you describe it, the condition below is not met.")
        if public:
            lines.append("As you describe it, this has been made public: you may share the public material itself "
                         "(link the official source), but add nothing that isn't in it.")
        if topic.conditions:
            lines.append("Conditions:")
            lines += [f"- {c}" for c in topic.conditions]
        citations = [Citation(topic.section, section.title, quote)]
        lines.append(f"Guideline: {section.title}: \u201c{quote}\u201d")
        if unsure is not None:
            alt = self.pack.section(unsure.section)
            alt_quote = unsure.quote or alt.text
            citations.append(Citation(unsure.section, alt.title, alt_quote))
            lines.insert(1, "I'm not sure this is your situation: check the other closest guideline below too.")
            lines.append(f"Or perhaps: {alt.title}: \u201c{alt_quote}\u201d")
        lines.append(f"Unsure? Ask {contact}." if unsure is None else f"Please check with {contact} before you post.")
        if topic.report:
            lines.append("If you saw someone break the guidelines, you can report it anonymously: say \"report\".")
        return verdict, "\n".join(lines), tuple(citations), contact
