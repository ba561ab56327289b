"""The answer engine: a question in, a verdict with its guideline and quote out.

Method: every example phrasing in the pack becomes a TF-IDF vector of stems, synonym concepts
and bigrams (see `text.Normalizer`). A question is scored against each topic (its best example,
blended with the topic's centroid) and against the off-topic groups. The best topic answers
unless an off-topic group matches better, or the match is weak and the question has no sign of
social media or of the policy itself: then the answer is `unknown`, with someone to ask.
The engine only ever returns verdicts, sections and quotes written in the pack.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import asdict, dataclass

import numpy as np

from bot.policy.pack import Pack, Topic
from bot.policy.text import Normalizer, fold, stem

MAX_QUESTION = 2000
VERDICT_LABELS = {
    "allowed": "Allowed",
    "not_allowed": "Not allowed",
    "conditional": "It depends",
    "info": "Here is what the guidelines say",
    "unknown": "Not covered by the guidelines",
}
# Signs that a question is about social media or the policy itself: every concept of the
# lexicon except the neutral ones below, and these word stems.
NEUTRAL_CONCEPTS = frozenset("~ask ~device ~company ~colleague ~client ~break ~who ~join ~work_hours ~excessive ~course ~certification ~hr_data"
                             " ~tech ~work_story ~credential ~meeting ~review ~benefit".split())
SCOPE_WORDS = frozenset(stem(w) for w in """
social media online internet post profile account follow follower comment repost blog vlog podcast webinar
forum thread hashtag meme viral stream livestream bio headline endorse recommend publicly public policy
guideline rule violate leak dm messag group channel website site web upload network connect community
influence tag caption story like argue debate disagree respect civil tone discuss troll
brag boast announce mention tell publish write comment reply reveal impersonate fake profile
""".split())
# Concepts with an underscore in their name that are signs of social media too (most such names are not,
# and bigram features look alike).
SCOPE_COMPOUNDS = frozenset({"~work_account", "~personal_account"})
# A condition the question itself says is not met turns "it depends" into "not allowed".
UNMET_CONDITION = re.compile(
    r"\bwithout (?:(?:first )?ask|consent|permission|approval|authori[sz]|a licen[cs]e|their (?:ok|okay|consent|permission|approval)|telling|checking)"
    r"|\bbefore (?:it is |it's |they are |the |we )?(?:announc|public|official|release)"
    r"|\b(?:not|isn't|hasn't been|haven't been|wasn't) (?:yet )?(?:announced|public|released)",
)


WITNESS_SHARE = 0.6
# Asking permission anywhere in the question ("I saw X, can I share it too?") is not a report.
ASKING = re.compile(r"(?<!who )(?<!where )(?<!what )(?<!how )\b(?:can|could|may) (?:i|we)\b|\b(?:am i|are we|is it) (?:allowed|ok|okay|fine)\b")


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

    def to_json(self) -> dict:
        """The documented answer object: verdict, section, answer, citations, confidence, policy_version."""
        return {
            "verdict": self.verdict,
            "section": self.section,
            "answer": self.answer,
            "citations": [asdict(c) for c in self.citations],
            "confidence": round(self.confidence, 3),
            "policy_version": self.policy_version,
        }


def _unit(vector: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
    return {k: v / norm for k, v in vector.items()}


class Engine:
    """Answers policy questions from a loaded pack. Build once; `answer` is pure and fast."""

    MIN_SCORE = 0.18
    MIN_SCORE_NO_SCOPE = 0.75

    def __init__(self, pack: Pack, contact: str | None = None):
        self.pack = pack
        self.default_contact = contact or pack.contact("default")
        corpus = [e for t in pack.topics for e in t.examples] + [e for o in pack.offtopics for e in o.examples]
        corpus += [t.answer for t in pack.topics] + [s.text for s in pack.sections.values()]
        self.normalizer = Normalizer(pack.synonyms, pack.platforms, corpus, pack.compounds)
        # label: ("topic", index) or ("off", index)
        docs: list[tuple[tuple[str, int], dict[str, float]]] = []
        for i, topic in enumerate(pack.topics):
            docs += [(("topic", i), self.normalizer.features(e)) for e in topic.examples]
        for i, off in enumerate(pack.offtopics):
            docs += [(("off", i), self.normalizer.features(e)) for e in off.examples]
        df: Counter[str] = Counter()
        for _, feats in docs:
            df.update(feats.keys())
        n = len(docs)
        self.idf = {f: math.log((n + 1) / (c + 0.5)) for f, c in df.items()}
        self.unknown_idf = math.log((n + 1) / 0.5)
        # Docs are grouped by label so a topic's best example is one reduceat over its slice.
        self.labels = sorted({label for label, _ in docs})
        self.n_off = sum(1 for kind, _ in self.labels if kind == "off")
        row_of = {label: i for i, label in enumerate(self.labels)}
        docs.sort(key=lambda d: row_of[d[0]])
        self.features = {f: i for i, f in enumerate(sorted(df))}
        asks: dict[tuple[str, int], list[bool]] = {}
        for label, feats in docs:
            asks.setdefault(label, []).append("~ask" in feats)
        # Share of a topic's examples that ask permission ("can I ...") rather than tell what happened.
        ask_ratio = np.array([sum(asks[label]) / len(asks[label]) for label in self.labels])
        self.asking = 0.75 + 0.25 * ask_ratio  # a question that asks permission leans to topics that do
        self.telling = 1.0 - 0.15 * ask_ratio  # "what's the wifi password?" asks for something, not whether one may post it
        # Topics marked `report` (how to report what someone else did), by position among the topics.
        self.report_at = [k for k, (kind, i) in enumerate(self.labels[self.n_off:]) if pack.topics[i].report]
        # Feature-major matrices: a question touches only its own few feature rows.
        doc_matrix = np.zeros((len(self.features), n), dtype=np.float64)
        centroids = np.zeros((len(self.features), len(self.labels)), dtype=np.float64)
        starts: list[int] = []
        for d, (label, feats) in enumerate(docs):
            if d == 0 or docs[d - 1][0] != label:
                starts.append(d)
            for f, w in _unit(self._weigh(feats)).items():
                doc_matrix[self.features[f], d] = w
                centroids[self.features[f], row_of[label]] += w
        centroids /= np.linalg.norm(centroids, axis=0, keepdims=True) + 1e-12
        self.starts = np.array(starts)
        # One row gather and one product score both: 0.7 x a topic's best example + 0.3 x its centroid.
        self.blend = np.hstack([0.7 * doc_matrix, 0.3 * centroids]).astype(np.float32)
        self.n_docs = n

    def _weigh(self, feats: dict[str, float]) -> dict[str, float]:
        return {f: (1 + math.log(c) if c > 1 else c) * self.idf.get(f, self.unknown_idf) for f, c in feats.items()}

    def scores(self, question: str, feats: dict[str, float] | None = None) -> dict[tuple[str, int], float]:
        """Score every topic and off-topic group for a question (0 to 1)."""
        feats = self.normalizer.features(question) if feats is None else feats
        combined = self._combined(feats)
        return dict(zip(self.labels, combined)) if combined else {}

    def _combined(self, feats: dict[str, float]) -> list[float]:
        """Scores in `self.labels` order (off-topic groups first, then topics); empty when no feature is known."""
        query = _unit({f: w for f, w in self._weigh(feats).items() if f in self.features})
        if not query:
            return []
        rows = [self.features[f] for f in query]
        weights = np.fromiter(query.values(), dtype=np.float32, count=len(query))
        scored = weights @ self.blend[rows]
        combined = np.maximum.reduceat(scored[:self.n_docs], self.starts)
        combined += scored[self.n_docs:]
        combined *= self.asking if "~ask" in feats else self.telling
        return combined.tolist()

    def in_scope(self, question: str, feats: dict[str, float] | None = None) -> bool:
        """Whether the question shows any sign of social media or the policy."""
        feats = self.normalizer.features(question) if feats is None else feats
        return any(f in SCOPE_WORDS or f in SCOPE_COMPOUNDS or (f.startswith("~") and "_" not in f and f not in NEUTRAL_CONCEPTS)
                   for f in feats)

    def answer(self, question: str) -> Answer:
        """Answer one question; raise `QuestionError` for empty or over-long input."""
        text = _clean(question)
        if not text:
            raise QuestionError("the question is empty")
        if len(text) > MAX_QUESTION:
            raise QuestionError(f"the question is longer than {MAX_QUESTION} characters")
        feats = self.normalizer.features(text)
        combined = self._combined(feats)
        # Ties go to the first label, as a stable sort would.
        offs, topics = combined[:self.n_off], combined[self.n_off:]
        if topics and "~witness" in feats and not ASKING.search(fold(text)):
            # "Someone keeps posting racist jokes, what should I do?" tells what another person did: whatever
            # they did, the answer is how to report it, when a report topic comes close enough.
            reported = max(topics[k] for k in self.report_at) if self.report_at else 0.0
            if reported >= WITNESS_SHARE * max(topics):
                topics = [score if k in self.report_at else 0.0 for k, score in enumerate(topics)]
        best = max(topics, default=0.0)
        k = topics.index(best) if topics else -1
        best_topic = self.labels[self.n_off + k] if topics else None
        off_score = max(offs, default=0.0)
        off_label = self.labels[offs.index(off_score)] if offs else None
        scoped = self.in_scope(text, feats)
        if best_topic is None or best < self.MIN_SCORE or off_score > best or (not scoped and best < self.MIN_SCORE_NO_SCOPE):
            contact = self.pack.contact(self.pack.offtopics[off_label[1]].ask) if off_label and off_score >= best else self.default_contact
            return self._unknown(contact, max(off_score, 1 - best))
        runner = max(topics[:k] + topics[k + 1:], default=0.0)
        confidence = min(1.0, best * 0.6 + (best - runner) * 1.5 + 0.25)
        return self._from_topic(self.pack.topics[best_topic[1]], text, confidence)

    def _unknown(self, contact: str, confidence: float) -> Answer:
        text = (f"{VERDICT_LABELS['unknown']}. The social media guidelines don't say anything about that, "
                f"so I won't guess. Please ask {contact}.")
        return Answer("unknown", None, text, (), min(1.0, max(0.0, confidence)), self.pack.version, ask=contact)

    def _from_topic(self, topic: Topic, question: str, confidence: float) -> Answer:
        verdict = topic.verdict
        if verdict == "conditional" and UNMET_CONDITION.search(fold(question)):
            verdict = "not_allowed"
        section = self.pack.section(topic.section)
        quote = topic.quote or section.text
        contact = self.pack.contact(topic.ask) if topic.ask else self.default_contact
        lines = [f"{VERDICT_LABELS[verdict]}. {topic.answer}"]
        if verdict == "not_allowed" and topic.verdict == "conditional":
            lines.append("As you describe it, the condition below is not met.")
        if topic.conditions:
            lines.append("Conditions:")
            lines += [f"- {c}" for c in topic.conditions]
        lines.append(f"Guideline: {section.title}: \u201c{quote}\u201d")
        lines.append(f"Unsure? Ask {contact}.")
        if topic.report:
            lines.append("If you saw someone break the guidelines, you can report it anonymously: say \"report\".")
        return Answer(verdict, topic.section, "\n".join(lines), (Citation(topic.section, section.title, quote),),
                      confidence, self.pack.version, topic.id, topic.conditions, contact, topic.report)


def _clean(question: str) -> str:
    """Strip control characters and surrounding space."""
    if question.isprintable():
        return question.strip()
    return "".join(ch for ch in question if ch.isprintable() or ch in "\n\t").strip()
