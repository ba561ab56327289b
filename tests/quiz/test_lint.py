"""The quiz lint: give-away choices are flagged with their line, through `smpolicy content check`."""

import shutil

from adapters.cli import main
from bot.policy.pack import Question, load_pack
from bot.quiz.lint import lint
from tests.conftest import ROOT


def question(choices, answer=0, text="Can I post a photo of the whiteboard from the planning meeting?"):
    return Question("q-1", "confidentiality-privacy", text, tuple(choices), answer, "Because.")


def test_a_much_shorter_wrong_choice_is_flagged():
    problems = lint(question(["Only after checking nothing confidential is on it", "Yes", "Never, under any circumstances at all"]))
    assert len(problems) == 1 and "choice 2 (3 characters) is much shorter than the right one (49)" in problems[0]


def test_a_choice_that_echoes_the_question_is_flagged_even_when_wrong():
    problems = lint(question(["Ask the people whose work is shown first", "Yes: a photo of a whiteboard from a meeting is fine",
                              "Only when your manager is in the picture"]))
    assert problems == ["question 'q-1': choice 2 repeats the question's words (meeting, photo, whiteboard)"]


def test_choices_of_similar_length_with_their_own_words_pass():
    assert lint(question(["Only after checking nothing confidential is on it", "Yes, if you crop out the names written on it",
                          "No, unless your manager has shared it first"])) == []


def test_the_bundled_bank_is_scenarios_with_at_least_three_per_guideline_and_no_tells():
    pack = load_pack(ROOT / "content")
    per_section = {}
    for q in pack.questions:
        per_section.setdefault(q.section.split(".")[0], []).append(q)
        assert lint(q) == [] and len(q.explanation) > 40 and all(len(c) <= 75 for c in q.choices)  # buttons show 75 characters
    top = [s for s in pack.sections if "." not in s]
    assert len(top) == 14 and all(len(per_section[s]) >= 3 for s in top)
    assert len({q.answer for q in pack.questions}) >= 3  # the right answer is not always in the same place


def test_content_check_names_the_line_and_fails(tmp_path, capsys):
    pack = tmp_path / "pack"
    shutil.copytree(ROOT / "content", pack)
    quiz = pack / "quiz.toml"
    lines = quiz.read_text().splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("choices"))
    lines[first + 2] = '  "No",'
    quiz.write_text("\n".join(lines) + "\n")
    assert main(["content", "check", str(pack)]) == 1
    err = capsys.readouterr().err
    id_line = next(i for i, line in enumerate(lines, start=1) if line.startswith("id = "))
    assert f"quiz.toml:{id_line}: question 'def-1': choice 2 (2 characters) is much shorter" in err
    assert "1 quiz question problem(s)" in err
