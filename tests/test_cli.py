"""The command line as a user runs it: exit codes, JSON, batch mode."""

import json
import subprocess
import sys

from tests.conftest import ROOT


def smpolicy(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "adapters.cli", *args], input=stdin, capture_output=True,
                          text=True, cwd=ROOT)


def test_ask_prints_a_readable_answer():
    result = smpolicy("ask", "Can I share my new AWS certification on LinkedIn?")
    assert result.returncode == 0
    assert result.stdout.startswith("Allowed.") and "Guideline:" in result.stdout


def test_ask_json_has_the_documented_fields():
    result = smpolicy("ask", "--json", "Does the company monitor what I post?")
    answer = json.loads(result.stdout)
    assert answer["verdict"] == "info" and answer["section"] == "monitoring"
    assert answer["citations"][0]["title"] == "Monitoring and Compliance"


def test_empty_and_overlong_questions_exit_2_with_a_message():
    for question in ("", "   ", "x" * 2001):
        result = smpolicy("ask", question)
        assert result.returncode == 2 and result.stdout == ""
        assert "smpolicy ask:" in result.stderr and "Traceback" not in result.stderr


def test_batch_mode_answers_each_line_and_goes_on_after_a_bad_one():
    result = smpolicy("ask", "--json", "-", stdin="Is YouTube social media?\n\nCan I bring my dog to the office?\n")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 0 and len(lines) == 3
    assert lines[0]["section"] == "definition"
    assert lines[1]["error"] == "the question is empty"
    assert lines[2]["verdict"] == "unknown"


def test_batch_mode_flushes_each_answer():
    proc = subprocess.Popen([sys.executable, "-m", "adapters.cli", "ask", "--json", "-"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        proc.stdin.write("What counts as social media?\n")
        proc.stdin.flush()
        first = json.loads(proc.stdout.readline())  # would block forever if not flushed per line
        assert first["section"] == "definition"
    finally:
        proc.stdin.close()
        proc.wait(timeout=20)
        proc.stdout.close()


def test_bad_settings_stop_with_one_line_naming_the_variable(tmp_path):
    result = subprocess.run([sys.executable, "-m", "adapters.cli", "ask", "hi"], capture_output=True, text=True, cwd=ROOT,
                            env={"PATH": "/usr/bin:/bin", "SMPOLICY_LOG_LEVEL": "LOUD"})
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == ["smpolicy: SMPOLICY_LOG_LEVEL: 'LOUD' is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL"]
