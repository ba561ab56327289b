"""The engine's fast paths against the straightforward computations they replace, on every question of the
evaluation and paraphrase sets: the lexical scores bit for bit, the semantic scores to float32 rounding, and
the same answer (verdict, section, text, confidence to 3 decimals) as a reference engine that scores the plain way."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bot.policy.engine import Answer, Engine, _clean, _unit
from bot.policy.facts import stated

ROOT = Path(__file__).resolve().parent.parent


def _questions() -> list[str]:
    files = sorted((ROOT / "eval").glob("*.jsonl")) + sorted((ROOT / "data").glob("*.jsonl"))
    out = []
    for path in files:
        for line in path.read_text().splitlines():
            if line.strip():
                item = json.loads(line)
                if "question" in item:
                    out.append(item["question"])
    return out


QUESTIONS = _questions()


class ReferenceEngine(Engine):
    """Scores the way the engine did before its fast paths: dicts, fancy indexing, the full semantic product."""

    def _combined(self, feats, query=None):  # the plain computation, whatever query the fast path brings
        query = _unit({f: w for f, w in self._weigh(feats).items() if f in self.features})
        if not query:
            return []
        rows = [self.features[f] for f in query]
        weights = np.fromiter(query.values(), dtype=np.float32, count=len(query))
        scored = weights @ self.blend[rows]
        combined = np.maximum.reduceat(scored[:self.n_docs], self.starts)
        combined += scored[self.n_docs:]
        combined *= self.asking if "~ask" in feats else self.telling
        return combined

    def _sem_parts(self, text):
        vector = self.encoder.encode_one(text)
        return self.sem_blend @ vector, vector

    def _from_topic(self, topic, question, confidence, unsure=None):
        unmet, public = stated(topic, question)
        verdict, text, citations, contact = self.writer.render(topic, unmet, unsure, public)
        return Answer(verdict, topic.section, text, citations, confidence, self.pack.version, topic.id, topic.conditions, contact,
                      topic.report, "policy" if unsure is None else "unsure")


@pytest.fixture(scope="module")
def reference(pack):
    return ReferenceEngine(pack)


def test_question_sets_are_there():
    assert len(QUESTIONS) > 500


def test_lexical_scores_are_the_plain_computation_bit_for_bit(engine, reference):
    for q in QUESTIONS:
        feats = engine.normalizer.features(_clean(q))
        fast, plain = engine._combined(feats), reference._combined(feats)
        assert len(fast) == len(plain)
        if len(plain):
            assert np.array_equal(fast, plain), q


def test_semantic_scores_are_the_full_product_to_rounding(engine, reference):
    for q in QUESTIONS:
        text = _clean(q)
        np.testing.assert_allclose(engine._sem_scored(text), reference._sem_scored(text), rtol=0, atol=2e-6, err_msg=q)


def test_token_projections_do_not_depend_on_history(pack):
    fresh, small = Engine(pack), Engine(pack)
    small._proj = small._proj[:120]  # the table empties often (a question needs room for all its tokens)
    some = [q for q in QUESTIONS if len(set(small.encoder.tokenizer.ids(_clean(q)))) <= 120][:300]
    warm = [small._sem_scored(_clean(q)) for q in some]
    assert small._proj_used < sum(len(set(small.encoder.tokenizer.ids(_clean(q)))) for q in some)  # it did empty
    for q, seen in zip(some, warm):
        assert np.array_equal(fresh._sem_scored(_clean(q)), seen), q
        assert np.array_equal(small._sem_scored(_clean(q)), seen), q


def test_answers_are_those_of_the_plain_engine(engine, reference):
    for q in QUESTIONS:
        fast, plain = engine.answer(q), reference.answer(q)
        assert (fast.verdict, fast.section, fast.answer, fast.kind) == (plain.verdict, plain.section, plain.answer, plain.kind), q
        assert round(fast.confidence, 3) == round(plain.confidence, 3), q
        assert fast.to_json() == plain.to_json(), q
