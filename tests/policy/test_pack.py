"""The content pack: the bundled one is complete; broken packs are reported by file and line."""

import shutil
from pathlib import Path

import pytest

import content
from adapters.cli import main
from bot.policy.pack import PackError, load_pack
from tests.conftest import eval_dir

SECTION_IDS = [
    "definition", "benefits", "professional-representation", "confidentiality-privacy", "respectful-discourse",
    "intellectual-property", "separate-accounts", "company-resources", "productivity", "monitoring",
    "consequences", "reporting", "online-presence", "staying-informed",
]


def test_eval_readme_lists_the_same_section_ids():
    readme = (eval_dir() / "README.md").read_text()
    for sid in SECTION_IDS:
        assert f"`{sid}`" in readme


def test_bundled_pack_has_every_section_with_text_and_quiz(pack):
    assert pack.version and pack.effective
    top = [s for s in pack.sections if "." not in s]
    assert sorted(top) == sorted(SECTION_IDS)
    for sid in SECTION_IDS:
        assert len(pack.sections[sid].text) > 40
        assert sum(q.section.split(".")[0] == sid for q in pack.questions) >= 2, sid
    for q in pack.questions:
        assert 2 <= len(q.choices) <= 5 and 0 <= q.answer < len(q.choices) and q.explanation


def test_every_topic_quote_is_the_guidelines_own_words(pack):
    seed = (eval_dir().parent / "seed" / "social-media-guidelines.txt")
    for topic in pack.topics:
        section = pack.section(topic.section)
        quote = topic.quote or section.text
        assert quote in section.text or quote in pack.sections[topic.section.split(".")[0]].text
        if seed.exists() and topic.quote:
            assert topic.quote in seed.read_text(encoding="utf-8")


def test_topics_cover_the_situations_employees_ask_about(pack):
    ids = {t.id for t in pack.topics}
    for needed in ("unreleased-products", "client-names", "internal-screenshots", "colleague-photos",
                   "copyrighted-media", "company-logo", "company-devices", "work-hours", "separate-accounts",
                   "speak-for-company", "heated-threads", "certifications", "speaking", "blogging-about-work",
                   "online-learning", "report-violation", "monitoring", "consequences"):
        assert needed in ids


@pytest.fixture
def pack_copy(tmp_path) -> Path:
    dest = tmp_path / "pack"
    shutil.copytree(content.default_dir(), dest, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return dest


def _problems(folder: Path) -> list[str]:
    with pytest.raises(PackError) as err:
        load_pack(folder)
    return [str(p) for p in err.value.problems]


def test_unknown_section_is_named_with_file_and_line(pack_copy):
    path = pack_copy / "answers.toml"
    text = path.read_text().replace('section = "monitoring"', 'section = "monitorin"', 1)
    path.write_text(text)
    line = next(i for i, s in enumerate(text.splitlines(), 1) if s == "[[topic]]" and 'id = "monitoring"' in text.splitlines()[i])
    assert _problems(pack_copy) == [f"answers.toml:{line}: topic 'monitoring': unknown section 'monitorin'"]


def test_duplicate_ids_and_missing_fields(pack_copy):
    answers = pack_copy / "answers.toml"
    answers.write_text(answers.read_text() + '\n[[topic]]\nid = "monitoring"\nsection = "monitoring"\nverdict = "info"\n'
                       'answer = "x"\nexamples = ["y"]\n\n[[topic]]\nid = "lonely"\n')
    problems = _problems(pack_copy)
    assert any("duplicate topic id 'monitoring'" in p for p in problems)
    assert any("topic is missing section, verdict, answer, examples" in p for p in problems)


def test_section_without_quiz_question_and_bad_choice_index(pack_copy):
    quiz = pack_copy / "quiz.toml"
    text = quiz.read_text().replace('section = "monitoring"', 'section = "consequences"')
    text = text.replace("answer = 0\nexplanation = \"The definition is broad", "answer = 9\nexplanation = \"The definition is broad")
    quiz.write_text(text)
    problems = _problems(pack_copy)
    assert "quiz.toml:0: section 'monitoring' has no quiz question" in problems
    assert any("question 'def-1': answer must be the index" in p for p in problems)


def test_broken_toml_names_the_line(pack_copy):
    (pack_copy / "quiz.toml").write_text('[[question]]\nid = "a"\nchoices = [\n')
    problems = _problems(pack_copy)
    assert len(problems) == 1 and problems[0].startswith("quiz.toml:") and "not valid TOML" in problems[0]
    assert not problems[0].startswith("quiz.toml:0:")


def test_policy_heading_without_id(pack_copy):
    policy = pack_copy / "policy.md"
    policy.write_text(policy.read_text() + "\n## Extra rules\n\nSome text.\n")
    n = len(policy.read_text().splitlines()) - 2
    assert f"policy.md:{n}: heading without an id; write '## Title {{#section-id}}'" in _problems(pack_copy)


def test_content_check_command(pack_copy, capsys):
    assert main(["content", "check", str(pack_copy)]) == 0
    assert "ok: version" in capsys.readouterr().out
    (pack_copy / "pack.toml").unlink()
    assert main(["content", "check", str(pack_copy)]) == 1
    err = capsys.readouterr().err
    assert f"{pack_copy / 'pack.toml'}:0: file is missing" in err


def test_a_replacement_pack_is_used(pack_copy, monkeypatch, capsys):
    policy = pack_copy / "policy.md"
    policy.write_text(policy.read_text().replace("Contribute to industry blogs", "Write for industry blogs"))
    answers = pack_copy / "answers.toml"
    answers.write_text(answers.read_text().replace("Contribute to industry blogs", "Write for industry blogs"))
    (pack_copy / "pack.toml").write_text((pack_copy / "pack.toml").read_text().replace("2026.11.1", "9.9.9"))
    monkeypatch.setenv("SMPOLICY_CONTENT_DIR", str(pack_copy))
    assert main(["ask", "--json", "can I write a blog about programming"]) == 0
    out = capsys.readouterr().out
    assert '"policy_version": "9.9.9"' in out and "Write for industry blogs" in out


def test_compounds_must_pair_two_known_concepts(pack_copy):
    lexicon = pack_copy / "lexicon.toml"
    text = lexicon.read_text().replace('work_account = ["company platform"]', 'work_account = ["company platfrom", "company"]')
    lexicon.write_text(text)
    problems = _problems(pack_copy)
    assert "lexicon.toml:1: [compounds] work_account: 'company' must name two concepts" in problems
    assert "lexicon.toml:1: [compounds] work_account: unknown concept 'platfrom'" in problems


def test_a_broken_scope_file_is_named_with_file_and_line(pack_copy):
    (pack_copy / "scope.toml").write_text('[[scope]]\nkind = "gossip"\nexamples = ["x"]\n\n[[scope]]\nkind = "fact"\nask = "nobody"\nexamples = ["y"]\n')
    with pytest.raises(PackError) as err:
        load_pack(pack_copy)
    messages = [str(p) for p in err.value.problems]
    assert any(m.startswith("scope.toml:1:") and "kind must be one of" in m for m in messages)
    assert any(m.startswith("scope.toml:5:") and "not a key of [contacts]" in m for m in messages)


def test_a_broken_calibration_or_detector_is_named_with_file_and_line(pack_copy):
    (pack_copy / "calibration.toml").write_text("[answer]\nweights = [1, 2]\nbias = 0\n")
    checks = pack_copy / "checks.toml"
    checks.write_text(checks.read_text() + '\n[[detector]]\nid = "x"\nsection = "nowhere"\nseverity = "high"\nreason = "r"\nsuggest = "s"\nexamples = ["a b c"]\n')
    with pytest.raises(PackError) as err:
        load_pack(pack_copy)
    messages = [str(p) for p in err.value.problems]
    assert any(m.startswith("calibration.toml:") and "needs weights" in m for m in messages)
    assert any(m.startswith("checks.toml:") and "unknown section 'nowhere'" in m for m in messages)


@pytest.mark.parametrize("pattern, message", [
    ("(?:write", "not a valid regular expression"),
    ("can i\\\\b", "opens the situation example"),  # would refuse the pack's own permission questions
])
def test_a_scope_opening_that_is_broken_or_too_broad_is_named(pack_copy, pattern, message):
    path = pack_copy / "scope.toml"
    text = path.read_text()
    path.write_text(text.replace('opens = [\n', f'opens = [\n  "{pattern}",\n', 1))
    line = next(i for i, s in enumerate(text.splitlines(), 1) if s == "[[scope]]" and text.splitlines()[i] == 'kind = "write"')
    problems = _problems(pack_copy)
    assert len(problems) == 1 and problems[0].startswith(f"scope.toml:{line}: scope 'write': opens pattern") and message in problems[0]
