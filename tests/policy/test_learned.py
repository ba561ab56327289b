"""The learned layer: softmax regressions fitted at load on what the pack labels (bot/policy/learned.py), the
guideline prior of the engine, the checker's learned findings, and the validation of labelled/*.jsonl."""

import json
import shutil

import numpy as np
import pytest

from bot.check.checker import Checker
from bot.check.learned import Learned
from bot.policy.learned import Rows, Softmax
from bot.policy.pack import PackError, load_pack
from content import default_dir


def _toy():
    # Two classes told apart by one lexical feature each and by the sign of one semantic direction.
    lexical = [{0: 1.0}, {0: 1.0}, {1: 1.0}, {1: 1.0}, {0: 0.7, 2: 0.7}]
    dense = np.array([[1, 0], [0.9, 0.1], [-1, 0], [-0.8, 0.2], [0.5, 0.5]], dtype=np.float32)
    targets = [["a"], ["a"], ["b"], ["b"], ["a", "b"]]
    return Rows.build(lexical, dense, 3), targets


def test_softmax_learns_a_separable_problem_and_is_deterministic():
    rows, targets = _toy()
    model = Softmax.fit(["a", "b"], rows, targets)
    assert model.probabilities({0: 1.0}, np.array([1, 0], np.float32))[0] > 0.9
    assert model.probabilities({1: 1.0}, np.array([-1, 0], np.float32))[1] > 0.9
    again = Softmax.fit(["a", "b"], rows, targets)
    assert np.array_equal(model.lexical, again.lexical) and np.array_equal(model.dense, again.dense)


def test_a_row_without_lexical_features_is_read_from_its_vector():
    rows, targets = _toy()
    model = Softmax.fit(["a", "b"], rows, targets)
    p = model.probabilities({}, np.array([-1, 0], np.float32))
    assert p[1] > p[0] and abs(p.sum() - 1) < 1e-5


def test_the_pack_ships_labelled_questions_and_drafts(pack):
    assert len(pack.labelled_questions) > 500 and len(pack.labelled_drafts) > 200
    assert {v for q in pack.labelled_questions for v in q.verdicts} <= {"allowed", "not_allowed", "conditional", "info", "unknown"}


def test_the_guideline_prior_decides_the_topic_when_it_weighs_most(engine, monkeypatch):
    question = "can i tell my followers how much my team lead said our raises will be"
    log_p = engine.guideline_prior(question)
    favourite = engine.topic_sections[int(log_p.argmax())]
    monkeypatch.setattr(engine, "PRIOR_WEIGHT", 1000.0)
    assert engine.answer(question).section.split(".")[0] == favourite
    monkeypatch.setattr(engine, "PRIOR_WEIGHT", 0.0)
    assert engine.answer(question).verdict  # still answers without it


def test_the_learned_layer_adds_a_review_finding_only_above_its_threshold(pack, monkeypatch):
    checker = Checker(pack)
    draft = "Had a lovely walk by the river this morning with the kids."
    monkeypatch.setattr(Learned, "RISK", 0.0)  # every piece reads as at risk
    monkeypatch.setattr(Learned, "DO_NOT_POST", 1.1)
    monkeypatch.setattr(Learned, "FINE", 1.1)  # and the draft as a whole never clears it
    learned = [f for f in checker.check(draft).findings if f.rule.startswith("learned-")]
    assert len(learned) == 1 and learned[0].severity == "medium" and learned[0].section in pack.sections
    assert draft[learned[0].span[0]:learned[0].span[1]] == learned[0].excerpt
    monkeypatch.setattr(Learned, "RISK", 1.1)  # nothing reads as at risk
    assert not [f for f in checker.check(draft).findings if f.rule.startswith("learned-")]
    assert checker.check(draft).verdict == "ok"


def test_a_draft_under_review_that_reads_as_dont_post_is_dont_post(pack, monkeypatch):
    checker = Checker(pack)
    draft = "Our biggest client is thinking of leaving us, heard it in the leadership meeting."
    monkeypatch.setattr(Learned, "DO_NOT_POST", 1.1)
    first = checker.check(draft).verdict
    monkeypatch.setattr(Learned, "DO_NOT_POST", 0.0)
    assert first in ("review", "do_not_post") and checker.check(draft).verdict == "do_not_post"


def test_only_soft_findings_on_a_draft_that_reads_fine_as_a_whole_make_it_ok(pack, monkeypatch):
    checker = Checker(pack)
    draft = "Had a lovely walk by the river this morning with the kids."
    monkeypatch.setattr(Learned, "RISK", 0.0)  # a learned ("review") finding on every piece
    monkeypatch.setattr(Learned, "FINE", 0.0)  # the whole draft always reads fine enough
    result = checker.check(draft)
    assert result.verdict == "ok" and result.findings == ()
    # A rule's finding (a secret, a listed term) is never cleared by the learned layer.
    secret = "Had a lovely walk today, my password: Hunter2-River-99"
    kept = checker.check(secret)
    assert kept.verdict != "ok" and any(f.rule.startswith("credential") for f in kept.findings)


@pytest.mark.parametrize("line, message", [
    ("{not json", "not valid JSON"),
    (json.dumps({"question": "", "sections": [], "verdicts": ["unknown"]}), "non-empty text"),
    (json.dumps({"question": "can I?", "sections": ["no-such-guideline"], "verdicts": ["allowed"]}), "unknown section"),
    (json.dumps({"question": "can I?", "sections": [], "verdicts": ["perhaps"]}), "verdicts"),
])
def test_labelled_questions_with_mistakes_are_named_with_their_line(tmp_path, line, message):
    folder = tmp_path / "pack"
    shutil.copytree(default_dir(), folder, ignore=shutil.ignore_patterns("__pycache__"))
    path = folder / "labelled" / "questions.jsonl"
    path.write_text(json.dumps({"question": "fine?", "sections": ["definition"], "verdicts": ["info"]}) + "\n" + line + "\n")
    with pytest.raises(PackError) as err:
        load_pack(folder)
    assert any(p.file == "labelled/questions.jsonl" and p.line == 2 and message in p.message for p in err.value.problems)


def test_a_pack_without_labelled_files_still_loads_and_answers(tmp_path):
    folder = tmp_path / "pack"
    shutil.copytree(default_dir(), folder, ignore=shutil.ignore_patterns("__pycache__", "labelled"))
    pack = load_pack(folder)
    assert pack.labelled_questions == () and pack.labelled_drafts == ()
    from bot.policy.engine import Engine

    assert Engine(pack).answer("can I post about our unreleased product?").verdict == "not_allowed"
    assert Checker(pack).check("Passed my driving test today!").verdict == "ok"


def test_fitted_weights_are_cached_under_the_pack_code_and_data(tmp_path, monkeypatch):
    monkeypatch.setenv("SMPOLICY_CACHE_DIR", str(tmp_path / "cache"))
    rows, targets = _toy()
    calls = []

    def build():
        calls.append(1)
        return rows

    first = Softmax.cached(["pack-a", "toy"], ["a", "b"], targets, build, (3, 2))
    files = list((tmp_path / "cache").glob("learned-*.npz"))
    again = Softmax.cached(["pack-a", "toy"], ["a", "b"], targets, build, (3, 2))
    assert len(calls) == 1 and len(files) == 1 and np.array_equal(first.lexical, again.lexical)
    Softmax.cached(["pack-b", "toy"], ["a", "b"], targets, build, (3, 2))  # another pack: fitted anew
    Softmax.cached(["pack-a", "toy"], ["a", "b"], [["b"], ["b"], ["a"], ["a"], ["a"]], build, (3, 2))  # other labels: anew
    assert len(calls) == 3 and len(list((tmp_path / "cache").glob("learned-*.npz"))) == 3
    files[0].write_bytes(b"not a numpy file")  # a damaged file is fitted again and replaced
    mended = Softmax.cached(["pack-a", "toy"], ["a", "b"], targets, build, (3, 2))
    assert len(calls) == 4 and np.array_equal(mended.lexical, first.lexical)
    tiny = np.zeros((1, 1), np.float32)  # a file of the wrong shape (that would fail every answer) is fitted again
    np.savez(files[0], lexical=tiny, dense=tiny, bias=np.zeros(1, np.float32))
    assert np.array_equal(Softmax.cached(["pack-a", "toy"], ["a", "b"], targets, build, (3, 2)).lexical, first.lexical)
    assert len(calls) == 5 and (tmp_path / "cache").stat().st_mode & 0o777 == 0o700


def test_the_cache_can_be_off_or_unwritable(tmp_path, monkeypatch):
    rows, targets = _toy()
    monkeypatch.setenv("SMPOLICY_CACHE_DIR", "off")
    Softmax.cached(["p"], ["a", "b"], targets, lambda: rows, (3, 2))
    blocked = tmp_path / "file"
    blocked.write_text("a file where the folder should be")
    monkeypatch.setenv("SMPOLICY_CACHE_DIR", str(blocked / "cache"))
    model = Softmax.cached(["p"], ["a", "b"], targets, lambda: rows, (3, 2))  # can't write: fits, says nothing
    assert model.probabilities({0: 1.0}, np.array([1, 0], np.float32))[0] > 0.9
    assert not list(tmp_path.rglob("learned-*.npz"))


def test_the_cache_key_changes_with_the_model_files(tmp_path, monkeypatch):
    from bot.policy import learned

    code = tmp_path / "bot"
    shutil.copytree(learned.CODE / "policy", code / "policy", ignore=shutil.ignore_patterns("__pycache__", "embeddings.npy"))
    shutil.copytree(learned.CODE / "check", code / "check", ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(learned, "CODE", code)
    before = learned._code_digest.__wrapped__()
    source = code / "policy" / "model" / "source.json"
    source.write_text(source.read_text().replace('"dims"', '"dims_"'))  # another model's record
    assert learned._code_digest.__wrapped__() != before


def test_without_a_home_folder_there_is_no_cache_and_no_error(monkeypatch):
    from pathlib import Path

    from bot.policy import learned

    monkeypatch.delenv("SMPOLICY_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)

    def no_home():
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    assert learned.cache_dir() is None
    rows, targets = _toy()
    assert Softmax.cached(["p"], ["a", "b"], targets, lambda: rows, (3, 2)).probabilities({1: 1.0}, np.array([-1, 0], np.float32))[1] > 0.9
