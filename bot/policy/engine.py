"""The answer engine: a question in, a verdict with its guideline and quote out.

Method: every example phrasing in the pack becomes a TF-IDF vector of stems, synonym concepts
and bigrams (see `text.Normalizer`). A question is scored against each topic (its best example,
blended with the topic's centroid), lexically and semantically (`semantic.Encoder`), and against the
off-topic groups. The learned guideline prior (`learned.Softmax`, fitted on the pack's examples and labelled
questions) helps choose the topic. The best topic answers unless an off-topic group matches better, or the
match is weak and the question has no sign of social media or of the policy itself: then the answer is
`unknown`, with someone to ask. What the question says (`facts`) moves the verdict; `answer.Writer` words it.
The engine only ever returns verdicts, sections and quotes written in the pack.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import math
from collections import Counter
from collections.abc import Callable

import numpy as np

from bot.policy.answer import VERDICT_LABELS, Answer, Citation, QuestionError, Writer  # noqa: F401 (imported from here too)
from bot.policy.calibration import Calibration
from bot.policy.facts import ASKING, ASKS_LEAVE, tells_of_another
from bot.policy.labelled import Labelled
from bot.policy.learned import Rows, Softmax
from bot.policy.pack import OffTopic, Pack, Topic
from bot.policy.scope import LIMIT, Form, opening
from bot.policy.semantic import Encoder
from bot.policy.text import Normalizer, fold, stem

MAX_QUESTION = 2000
Read = tuple[tuple[list[int], np.ndarray], np.ndarray]  # a question's lexical query (rows, weights) and sentence vector
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
WITNESS_SHARE = 0.6
SMALLTALK_WORDS = 6  # small talk is short: a longer message that reads like it is just not covered


def _unit(vector: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
    return {k: v / norm for k, v in vector.items()}


class Engine:
    """Answers policy questions from a loaded pack. Build once; `answer` is pure and fast."""

    SEMANTIC_WEIGHT = 1.0  # fused = lexical + weight x semantic (see BENCHMARKS.md for the ablation)
    MIN_SCORE = 0.18
    MIN_SCORE_NO_SCOPE = 1.0
    SCOPE_MARGIN = 0.2  # refuse when an out-of-scope group beats the best situation by more than this
    SITUATION_MIN = 1.4  # below this the best situation is not the question's: answer from its guideline, "it depends"
    FORM_WEIGHT = 0.2  # how much the question's opening words move the scope decision (scope.Form log-odds)
    OFF_SEMANTIC = 0.0  # extra semantic weight for the out-of-scope groups (they differ in form more than in words)
    GROUP_SEMANTIC = 0.45  # an out-of-scope group names the contact only from this semantic score
    GENERAL_KEEPS = ("info",)  # verdicts a weak match keeps rather than "it depends"
    PROJECTED = 4096  # token projections kept for the semantic scores (each sem_blend rows x 4 bytes)
    UNSURE = 0.5  # below this confidence the answer says it is unsure and shows two guidelines
    FIRM = 0.7  # a weak match takes the learned verdict model's firm verdict from this probability
    PRIOR_WEIGHT = 0.2  # the guideline prior: topic score + weight x log P(its guideline | question) chooses the topic

    def __init__(self, pack: Pack, contact: str | None = None):
        self.pack = pack
        self.default_contact = contact or pack.contact("default")
        corpus = [e for t in pack.topics for e in t.examples] + [e for o in pack.offtopics for e in o.examples]
        corpus += [t.answer for t in pack.topics] + [s.text for s in pack.sections.values()]
        self.normalizer = Normalizer(pack.synonyms, pack.platforms, corpus, pack.compounds)
        # label: ("topic", index) or ("off", index)
        docs: list[tuple[tuple[str, int], dict[str, float]]] = []
        texts: list[str] = []
        for i, topic in enumerate(pack.topics):
            docs += [(("topic", i), self.normalizer.features(e)) for e in topic.examples]
            texts += topic.examples
        for i, off in enumerate(pack.offtopics):
            docs += [(("off", i), self.normalizer.features(e)) for e in off.examples]
            texts += off.examples
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
        order = sorted(range(len(docs)), key=lambda d: row_of[docs[d][0]])
        docs, texts = [docs[d] for d in order], [texts[d] for d in order]
        self.features = {f: i for i, f in enumerate(sorted(df))}
        # Each known feature's row and weight in one lookup (the question's scoring path).
        self._known = {f: (i, self.idf.get(f, self.unknown_idf)) for f, i in self.features.items()}
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
        # The semantic layer: every example as a sentence vector, rows in the same order as the lexical docs.
        self.encoder = Encoder(corpus)
        vectors = self.encoder.encode(texts)
        sem_centroids = np.zeros((len(self.labels), vectors.shape[1]), dtype=np.float32)
        np.add.at(sem_centroids, [row_of[label] for label, _ in docs], vectors)
        sem_centroids /= np.linalg.norm(sem_centroids, axis=1, keepdims=True) + 1e-12
        self.sem_docs = vectors
        self.sem_centroids = sem_centroids
        self.sem_blend = np.vstack([0.7 * vectors, 0.3 * sem_centroids]).astype(np.float32)  # one product scores both
        # Token projections (see _sem_scored): at most PROJECTED tokens (13.6 MB at 830 rows), filled as tokens are met.
        center = self.encoder.center
        self._proj_center = self.sem_blend @ center if center is not None else np.zeros(self.sem_blend.shape[0], dtype=np.float32)
        self._proj = np.empty((min(self.PROJECTED, self.encoder.vectors.shape[0]), self.sem_blend.shape[0]), dtype=np.float32)
        self._proj_slot = np.full(self.encoder.vectors.shape[0], -1, dtype=np.intp)
        self._proj_used = 0
        self.calibration: Calibration = pack.calibration
        self.form = Form([e for t in pack.topics for e in t.examples], [e for o in pack.offtopics for e in o.examples])
        self.topic_sections = [pack.topics[i].section.split(".")[0] for _, i in self.labels[self.n_off:]]
        codes = {name: c for c, name in enumerate(sorted(set(self.topic_sections)))}
        self.section_codes = np.array([codes[name] for name in self.topic_sections])
        # For each topic, the positions of the topics under other guidelines (the runner-up's candidates).
        self.others = [np.flatnonzero(self.section_codes != code) for code in self.section_codes]
        self.writer = Writer(pack, self.default_contact)
        self._topics = {t.id: t for t in pack.topics}
        self._opens = [g for g in pack.offtopics if g.opens]
        # How to report, for what someone else did: the first `report` situation that is itself information.
        self._report_topic = next((t for t in pack.topics if t.report and t.verdict == "info"), None)
        self.topic_verdicts = [pack.topics[i].verdict for _, i in self.labels[self.n_off:]]
        topics = [pack.topics[label[1]] for label, _ in docs if label[0] == "topic"]
        questions = [q for q in pack.labelled_questions if q.sections]
        rows = functools.cache(lambda: self._learning_rows(docs, vectors, questions))  # only when a model is not cached
        self.prior = self._fit("guideline", rows, topics, questions, lambda t: [t.section.split(".")[0]],
                               lambda q: [x.split(".")[0] for x in q.sections], sorted(set(self.topic_sections)))
        self.verdicts = self._fit("verdict", rows, topics, questions, lambda t: [t.verdict], lambda q: list(q.verdicts),
                                  sorted(set(self.topic_verdicts)))
        self._prior_of_topic = np.array([self.prior.index[name] for name in self.topic_sections], dtype=np.intp)

    def _learning_rows(self, docs: list[tuple[tuple[str, int], dict[str, float]]], vectors: np.ndarray, questions: list[Labelled]) -> Rows:
        """What the learned models fit on, as features: the situations' examples, then the labelled questions."""
        lexical = [dict(zip(*self._query(feats))) for label, feats in docs if label[0] == "topic"]
        lexical += [dict(zip(*self._query(self.normalizer.features(q.text)))) for q in questions]
        dense = [vectors[[label[0] == "topic" for label, _ in docs]]]
        dense.append(self.encoder.encode([q.text for q in questions]) if questions else np.zeros((0, self.encoder.dims), np.float32))
        return Rows.build(lexical, np.vstack(dense), len(self.features))

    def _fit(self, name: str, rows: Callable[[], Rows], topics: list[Topic], questions: list[Labelled],
             of_topic: Callable[[Topic], list[str]], of_question: Callable[[Labelled], list[str]], classes: list[str]) -> Softmax:
        """P(class | question) (the guideline, or the verdict) over the rows that have a class among `classes`."""
        targets = [of_topic(t) for t in topics] + [of_question(q) for q in questions]
        keep = np.array([any(c in classes for c in names) for names in targets], dtype=bool)
        texts = repr([e for t in self.pack.topics for e in t.examples] + [q.text for q in questions])
        return Softmax.cached([self.pack.digest, "engine-" + name, hashlib.sha256(texts.encode()).hexdigest()], classes,
                              [names for names, k in zip(targets, keep) if k], lambda: rows().subset(keep),
                              (len(self.features), self.encoder.dims))

    def guideline_prior(self, text: str, feats: dict[str, float] | None = None, read: Read | None = None) -> np.ndarray:
        """log P(guideline | question) of each topic, in topic order (the learned prior). `read`: the question's
        lexical query and sentence vector when already computed (the answer's path computes them once)."""
        query, vector = read or self._read(text, feats)
        p = self.prior.probabilities_of(*query, vector)
        return np.log(p.take(self._prior_of_topic) + 1e-6)

    def _read(self, text: str, feats: dict[str, float] | None = None) -> Read:
        feats = self.normalizer.features(text) if feats is None else feats
        return self._query(feats), self.encoder.encode_one(text)

    def _weigh(self, feats: dict[str, float]) -> dict[str, float]:
        return {f: (1 + math.log(c) if c > 1 else c) * self.idf.get(f, self.unknown_idf) for f, c in feats.items()}

    def scores(self, question: str, feats: dict[str, float] | None = None) -> dict[tuple[str, int], float]:
        """Score every topic and off-topic group for a question (0 to 1)."""
        feats = self.normalizer.features(question) if feats is None else feats
        combined = self._combined(feats)
        return dict(zip(self.labels, map(float, combined))) if len(combined) else {}

    def _query(self, feats: dict[str, float]) -> tuple[list[int], np.ndarray]:
        """The question's lexical query: its known features' rows and unit TF-IDF weights (float32). The same
        arithmetic as _unit(_weigh(feats)) restricted to known features, in one pass without dicts."""
        known, log = self._known, math.log
        rows: list[int] = []
        weights: list[float] = []
        for f, c in feats.items():
            hit = known.get(f)
            if hit is not None:
                rows.append(hit[0])
                weights.append((1 + log(c) if c > 1 else c) * hit[1])
        norm = math.sqrt(sum(v * v for v in weights)) or 1.0
        return rows, np.array([v / norm for v in weights], dtype=np.float32)

    def _combined(self, feats: dict[str, float], query: tuple[list[int], np.ndarray] | None = None) -> np.ndarray | list:
        """Scores in `self.labels` order (off-topic groups first, then topics); empty when no feature is known."""
        rows, weights = query or self._query(feats)
        if not rows:
            return []
        scored = weights @ self.blend.take(rows, axis=0)
        combined = np.maximum.reduceat(scored[:self.n_docs], self.starts)
        combined += scored[self.n_docs:]
        combined *= self.asking if "~ask" in feats else self.telling
        return combined

    def in_scope(self, question: str, feats: dict[str, float] | None = None) -> bool:
        """Whether the question shows any sign of social media or the policy."""
        feats = self.normalizer.features(question) if feats is None else feats
        return any(f in SCOPE_WORDS or f in SCOPE_COMPOUNDS or (f.startswith("~") and "_" not in f and f not in NEUTRAL_CONCEPTS)
                   for f in feats)

    def semantic(self, text: str) -> np.ndarray:
        """Semantic scores in `self.labels` order: 0.7 x the best example's cosine + 0.3 x the centroid's."""
        return self._pool(self._sem_scored(text))

    def _pool(self, scored: np.ndarray) -> np.ndarray:
        return np.maximum.reduceat(scored[:self.n_docs], self.starts) + scored[self.n_docs:]

    def _sem_scored(self, text: str) -> np.ndarray:
        return self._sem_parts(text)[0]

    def _sem_parts(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """`sem_blend @ encoder.encode_one(text)`, by linearity: the sentence vector is (sum of w_t x row_t / sum of w
        - center) / norm, so its scores are (sum of w_t x (sem_blend @ row_t) / sum of w - sem_blend @ center) / norm.
        Each token's projection (830 numbers) is computed once, by itself, and kept in a bounded table; a question
        then costs a gather of its own few projections instead of the 830 x 256 product. Equal to the direct
        product up to float32 rounding (about 1e-7; tests/policy/test_fast_paths.py holds it to that).
        Also the sentence vector itself (what `encoder.encode_one` gives), for the learned layer."""
        ids = self.encoder.tokenizer.ids(text)
        zero = np.zeros(self.encoder.dims, dtype=np.float32)
        if not ids:
            return np.zeros(self.sem_blend.shape[0], dtype=np.float32), zero
        enc = self.encoder
        idx = np.array(ids, dtype=np.intp)
        w = enc.weights.take(idx)
        total = w.sum()
        v = w @ enc.vectors.take(idx, axis=0) / total  # the norm needs the vector itself (256 numbers: cheap)
        if enc.center is not None:
            v -= enc.center
        norm = float(np.sqrt(v.dot(v)))
        if not norm:
            return np.zeros(self.sem_blend.shape[0], dtype=np.float32), v
        unit = v / norm
        slots = self._proj_slot.take(idx)
        if slots.min() < 0:
            if len(set(ids)) > len(self._proj):  # a text longer than any question: the direct product
                return self.sem_blend @ unit, unit
            slots = self._project(ids)
        scored = w @ self._proj.take(slots, axis=0)
        scored /= total
        scored -= self._proj_center
        scored /= norm
        return scored, unit

    def _project(self, ids: list[int]) -> np.ndarray:
        """Fill in the projections of `ids` not yet in the table (emptied when full); their slots."""
        missing = [t for t in dict.fromkeys(ids) if self._proj_slot[t] < 0]
        if self._proj_used + len(missing) > len(self._proj):
            self._proj_slot[:] = -1
            self._proj_used = 0
            missing = list(dict.fromkeys(ids))
        for t in missing:
            # One token at a time, the same product every time: a projection never depends on what came before.
            self._proj[self._proj_used] = self.sem_blend @ self.encoder.vectors[t]
            self._proj_slot[t] = self._proj_used
            self._proj_used += 1
        return self._proj_slot.take(np.array(ids, dtype=np.intp))

    def fused(self, text: str, feats: dict[str, float] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(fused, lexical, semantic) scores in `self.labels` order."""
        return self._fused(text, self.normalizer.features(text) if feats is None else feats)[:3]

    def _fused(self, text: str, feats: dict[str, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray, Read]:
        """The scores, and the question as the learned layer reads it (computed on the way)."""
        query = self._query(feats)
        lexical = np.asarray(self._combined(feats, query))
        if not len(lexical):
            lexical = np.zeros(len(self.labels), dtype=np.float32)
        scored, vector = self._sem_parts(text)
        semantic = self._pool(scored)  # float32 already
        fused = lexical + (semantic if self.SEMANTIC_WEIGHT == 1.0 else self.SEMANTIC_WEIGHT * semantic)
        if self.OFF_SEMANTIC:
            fused[:self.n_off] += self.OFF_SEMANTIC * semantic[:self.n_off]
        return fused, lexical, semantic, (query, vector)

    def answer(self, question: str, features: dict | None = None) -> Answer:
        """Answer one question; raise `QuestionError` for empty or over-long input. A `features` dict, when
        given, receives the calibration features of the answer and its kind (for scripts/calibrate.py)."""
        text = _clean(question)
        if not text:
            raise QuestionError("the question is empty")
        if len(text) > MAX_QUESTION:
            raise QuestionError(f"the question is longer than {MAX_QUESTION} characters")
        answer = self._answer(text, features)
        if answer.verdict != "unknown" and not (answer.verdict == "info" and answer.offer_report) and tells_of_another(text):
            # "A contractor is posting photos from the data centre": no verdict on the asker's own conduct, but the
            # rule the other person may have broken, and how to report it.
            topic = self._topics.get(answer.topic or "")
            if topic is not None:
                return self.writer.witnessed(topic, self._report_topic, answer.confidence)
        return answer

    def _answer(self, text: str, features: dict | None) -> Answer:
        feats = self.normalizer.features(text)
        fused, lexical, semantic, read = self._fused(text, feats)
        offs, topics = fused[:self.n_off], fused[self.n_off:].copy()
        if len(topics) and "~witness" in feats and not ASKING.search(fold(text)):
            # "Someone keeps posting racist jokes, what should I do?" tells what another person did: whatever
            # they did, the answer is how to report it, when a report topic comes close enough.
            reported = max(topics[k] for k in self.report_at) if self.report_at else 0.0
            if reported >= WITNESS_SHARE * topics.max():
                keep = np.zeros(len(topics), dtype=bool)
                keep[self.report_at] = True
                topics = np.where(keep, topics, 0.0)
        prior = self.guideline_prior(text, feats, read)
        k = int((topics + self.PRIOR_WEIGHT * prior).argmax()) if len(topics) else 0
        best = float(topics[k])
        section = self.topic_sections[k]
        other = topics.take(self.others[k])
        runner = float(other.max()) if len(other) else 0.0
        o = int(offs.argmax()) if len(offs) else -1
        off_score = float(offs[o]) if o >= 0 else 0.0
        scoped = self.in_scope(text, feats)
        top3 = np.argpartition(-topics, 2)[:3] if len(topics) > 3 else range(len(topics))
        x = {"best": best, "margin": best - runner, "scope_margin": best - off_score,
             "lexical": float(lexical[self.n_off + k]), "semantic": float(semantic[self.n_off + k]), "scoped": float(scoped),
             "agree": float(sum(self.topic_sections[j] == section for j in top3) / 3)}
        form = self.form.log_odds(text)
        opened = self._opened(text)
        x["form"] = max(form, LIMIT) if opened is not None else form  # an `opens` pattern is the surest opening there is
        refuse = best < self.MIN_SCORE or off_score + self.FORM_WEIGHT * form > best + self.SCOPE_MARGIN \
            or (not scoped and best < self.MIN_SCORE_NO_SCOPE) or opened is not None
        if features is not None:
            features.update(x, kind="unknown" if refuse else "answer")
        if refuse:
            x["scope_margin"] = off_score - best
            if features is not None:
                features["scope_margin"] = x["scope_margin"]
            by_scope = off_score + self.FORM_WEIGHT * form > best + self.SCOPE_MARGIN or off_score >= best
            # The group's contact only when the question reads like the group: an opening like "where do I
            # find..." says the question is not for the guidelines, not who can answer it.
            group = self.pack.offtopics[self.labels[o][1]] if o >= 0 and by_scope and semantic[o] >= self.GROUP_SEMANTIC else None
            group = opened or group
            if group and group.kind == "smalltalk" and len(text.split()) > SMALLTALK_WORDS:
                group = None  # "where do I find the canteen menu" is not small talk, whatever it opens with
            return self.writer.unknown(group, self.calibration.confidence("unknown", x))
        confidence = self.calibration.confidence("answer", x)
        topic = self.pack.topics[self.labels[self.n_off + k][1]]
        if best < self.SITUATION_MIN and topic.verdict not in self.GENERAL_KEEPS:
            # No listed situation is close: answer from the guideline that governs it, with its conditions.
            firm, verdict = self._firm_topic(read, topics, section)
            if firm is not None:
                return dataclasses.replace(self._from_topic(firm, text, confidence), kind="general")
            return self.writer.general(topic, text, confidence, verdict)
        if confidence < self.UNSURE:
            alt = next((int(j) for j in np.argsort(-topics) if self.topic_sections[j] != section), None)
            alt_topic = self.pack.topics[self.labels[self.n_off + alt][1]] if alt is not None else None
            return self._from_topic(topic, text, confidence, unsure=alt_topic)
        return self._from_topic(topic, text, confidence)

    def _from_topic(self, topic: Topic, question: str, confidence: float, unsure: Topic | None = None) -> Answer:
        return self.writer.from_topic(topic, question, confidence, unsure)

    def _opened(self, text: str) -> OffTopic | None:
        """The out-of-scope group whose `opens` patterns the message opens with ("write me a post..."), if any,
        unless it also asks leave or names the rules (then the words decide, as for any question)."""
        if not self._opens:
            return None
        start = opening(text)
        if ASKS_LEAVE.search(start):
            return None
        return next((g for g in self._opens if any(p.match(start) for p in g.opens)), None)

    def _firm_topic(self, read: Read, topics: np.ndarray, section: str) -> tuple[Topic | None, str]:
        """No listed situation is close, but the learned verdict model is sure of a firm verdict: the closest
        situation under the same guideline with that verdict (so the words and the verdict agree), if any; and
        the verdict the general answer takes: "info" when the model is sure the question asks what the
        guidelines say and no such situation is listed under the guideline (the guideline is the answer),
        else "conditional"."""
        (rows, weights), vector = read
        p = self.verdicts.probabilities_of(rows, weights, vector)
        j = int(p.argmax())
        verdict = self.verdicts.classes[j]
        if verdict == "conditional" or p[j] < self.FIRM:
            return None, "conditional"
        same = [t for t in range(len(topics)) if self.topic_sections[t] == section and self.topic_verdicts[t] == verdict]
        if not same:
            return None, "info" if verdict == "info" else "conditional"
        t = max(same, key=lambda t: topics[t])
        return self.pack.topics[self.labels[self.n_off + t][1]], verdict

def _clean(question: str) -> str:
    """Strip control characters and surrounding space."""
    if question.isprintable():
        return question.strip()
    return "".join(ch for ch in question if ch.isprintable() or ch in "\n\t").strip()
