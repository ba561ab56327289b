"""The command line as a user runs it: exit codes, JSON, batch mode."""

import csv
import io
import json
import os
import subprocess
import sys
from importlib import metadata

import pytest

from bot.reports.crypto import new_key
from bot.storage import open_database
from bot.storage.sqlite import SQLiteDatabase
from tests.conftest import ROOT

CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith(("SMPOLICY_", "SLACK_", "Microsoft"))}


def smpolicy(*args: str, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "adapters.cli", *args], input=stdin, capture_output=True,
                          text=True, cwd=ROOT, env={**CLEAN_ENV, **(env or {})})


def one_line_error(result: subprocess.CompletedProcess, code: int = 1) -> str:
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


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


def test_version_is_the_package_version():
    result = smpolicy("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"smpolicy {metadata.version('smpolicy-bot')}"


def test_serve_help_shows_defaults_and_descriptions():
    out = " ".join(smpolicy("serve", "--help").stdout.split())
    assert "address to listen on" in out and "(default: 127.0.0.1)" in out
    assert "TCP port to listen on (default: 3978)" in out and "examples: smpolicy serve" in out


COMMANDS = [["ask"], ["check"], ["content"], ["content", "check"], ["reports"], ["reports", "list"], ["reports", "show"],
            ["reports", "export"], ["reports", "purge"], ["reports", "rekey"], ["quiz"], ["quiz", "send"], ["quiz", "stats"],
            ["teams"], ["teams", "package"], ["serve"]]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_commands_help_has_an_example(command):
    from adapters.cli import build_parser

    parser = build_parser()
    for name in command:  # walk down to the subcommand's own parser
        parser = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction").choices[name]
    text = parser.format_help()
    assert "examples:" in text and "smpolicy " + " ".join(command) in text.split("examples:")[1]


def test_check_fail_on_gates_a_post_with_a_documented_exit_status():
    risky = "Sneak peek: our unreleased v5 ships next month!"
    assert smpolicy("check", risky).returncode == 0  # without --fail-on, checking always succeeds
    assert smpolicy("check", "--fail-on", "review", risky).returncode == 1
    assert smpolicy("check", "--fail-on", "review", "Happy Friday, everyone!").returncode == 0
    verdict = json.loads(smpolicy("check", "--json", risky).stdout)["verdict"]
    assert smpolicy("check", "--fail-on", "do_not_post", risky).returncode == (1 if verdict == "do_not_post" else 0)
    batch = smpolicy("check", "--fail-on", "review", "-", stdin="Happy Friday!\n" + risky + "\n")
    assert batch.returncode == 1 and batch.stdout.count("Policy version") <= 2
    assert smpolicy("check", "--fail-on", "maybe", risky).returncode == 2


def test_ask_batch_without_json_prints_text():
    result = smpolicy("ask", "-", stdin="Is YouTube social media?\n\nCan I share my AWS certification on LinkedIn?\n")
    assert result.returncode == 0 and not result.stdout.lstrip().startswith("{")
    answers = result.stdout.strip().split("\n\n")
    assert len(answers) == 2 and answers[1].startswith("Allowed.")
    assert result.stderr.strip() == "smpolicy ask: the question is empty"


def test_quiz_send_needs_the_servers_database_and_key_and_makes_neither(tmp_path):
    env = {"SMPOLICY_DATA_DIR": str(tmp_path), "SMPOLICY_TEAMS_EMULATOR": "on"}
    line = one_line_error(smpolicy("quiz", "send", env=env))
    assert f"no database at {tmp_path / 'smpolicy.db'}" in line and not (tmp_path / "smpolicy.db").exists()
    SQLiteDatabase.prepare(tmp_path / "smpolicy.db").close_now()
    line = one_line_error(smpolicy("quiz", "send", env=env))
    assert "no report key" in line and not (tmp_path / "report.key").exists()


def test_quiz_send_without_slack_or_teams_says_so(tmp_path):
    SQLiteDatabase.prepare(tmp_path / "smpolicy.db").close_now()
    line = one_line_error(smpolicy("quiz", "send", env={"SMPOLICY_DATA_DIR": str(tmp_path)}))
    assert "neither Slack nor Teams is configured" in line and "SLACK_BOT_TOKEN" in line


@pytest.mark.parametrize("round_id", ["2026-W54", "2026-W00", "2026-48", "W48", "2021-W53"])
def test_an_impossible_round_is_a_usage_error(tmp_path, round_id):
    result = smpolicy("quiz", "send", "--round", round_id, env={"SMPOLICY_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2 and "--round" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "smpolicy.db").exists()


def test_a_round_in_a_year_with_53_weeks_is_accepted():
    from adapters.cli_data import check_round

    assert check_round("2026-W53") == "2026-W53"  # 2026 has 53 ISO weeks


async def test_quiz_stats_csv_has_a_header_and_one_row_per_round(tmp_path, database_url, pack):
    """On either backend (SMPOLICY_DATABASE_URL for PostgreSQL): one row per round, numbers as the quizzes left them."""
    import random

    from bot.messages import incoming_action
    from bot.quiz.flow import QuizMaster
    from bot.storage import Storage

    storage = Storage.open(tmp_path / "smpolicy.db", database_url)
    await storage.start()
    try:
        for rid in ("2026-W47", "2026-W48"):
            await storage.rounds.start(rid, 1.0)
        await storage.rounds.finish("2026-W47", 2.0)
        assert await storage.rounds.claim("2026-W48", "web:a", "slack", "me", 1.0)
        await storage.rounds.mark("2026-W48", "web:a", "me", "sent", 1.0)
        quiz = QuizMaster(storage.quiz, pack, rng=random.Random(2))
        for user, questions in (("web:a", 1), ("web:b", 3)):  # a answers one question; b finishes, all right
            session, reply = await quiz.start(user, round_id="2026-W48")
            for _ in range(questions):
                qid = reply.card.buttons[0].value.split(":")[1]
                replies = await quiz.answer(incoming_action("web", user, "c", "quiz.answer", f"{session}:{qid}:{quiz.questions[qid].answer}"))
                reply = replies[-1]
    finally:
        await storage.close()
    env = {"SMPOLICY_DATA_DIR": str(tmp_path), **({"SMPOLICY_DATABASE_URL": database_url} if database_url else {})}
    result = smpolicy("quiz", "stats", "--csv", env=env)
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert result.returncode == 0, result.stderr
    assert rows == [["round", "sent", "started", "finished", "average_score"], ["2026-W47", "0", "0", "0", ""],
                    ["2026-W48", "1", "2", "1", "3.0"]]
    text = smpolicy("quiz", "stats", env=env).stdout
    assert "round 2026-W48, sent 1, started 2, finished 1, average_score 3.0" in text and "wrong_share 0.0" in text


def test_reports_export_writes_csv_without_an_option(tmp_path):
    open_database(tmp_path / "smpolicy.db").close_now()
    result = smpolicy("reports", "export", env={"SMPOLICY_DATA_DIR": str(tmp_path), "SMPOLICY_REPORT_KEY": new_key()})
    assert result.returncode == 0 and result.stdout.splitlines() == ["ref,status,urgency,guideline,filed_utc,outcome,messages"]


@pytest.mark.parametrize("command", [["reports", "list"], ["reports", "export"], ["reports", "show", "R-7KQ2M9"], ["reports", "purge"],
                                     ["reports", "rekey"], ["quiz", "stats"]])
def test_commands_never_create_a_database_or_key_and_say_where_they_looked(tmp_path, command):
    data = tmp_path / "nowhere"
    line = one_line_error(smpolicy(*command, env={"SMPOLICY_DATA_DIR": str(data)}))
    assert str(data) in line and "SMPOLICY_DATA_DIR" in line
    assert not data.exists()
    if command[0] == "reports":  # with a key but no database: the database is named
        line = one_line_error(smpolicy(*command, env={"SMPOLICY_DATA_DIR": str(data), "SMPOLICY_REPORT_KEY": new_key()}))
        assert f"no database at {data / 'smpolicy.db'}" in line and "SMPOLICY_DB" in line
        assert not data.exists()


def test_a_wrong_key_or_a_file_that_is_not_a_database_is_one_line(tmp_path):
    open_database(tmp_path / "smpolicy.db").close_now()
    line = one_line_error(smpolicy("reports", "list", env={"SMPOLICY_DATA_DIR": str(tmp_path), "SMPOLICY_REPORT_KEY": "not-a-key"}))
    assert line.startswith("smpolicy reports list: the report key is not usable")
    (tmp_path / "junk.db").write_bytes(b"this is not sqlite" * 100)
    line = one_line_error(smpolicy("reports", "list", env={"SMPOLICY_DB": str(tmp_path / "junk.db"), "SMPOLICY_REPORT_KEY": new_key()}))
    assert line.startswith("smpolicy reports list: cannot open the SQLite file") and "not a database" in line
    line = one_line_error(smpolicy("quiz", "stats", env={"SMPOLICY_DB": str(tmp_path / "junk.db")}))
    assert line.startswith("smpolicy quiz stats: cannot open the SQLite file") and "not a database" in line


def test_reports_on_an_unreachable_postgresql_database_is_one_line(tmp_path):
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {"SMPOLICY_DATA_DIR": str(tmp_path), "SMPOLICY_REPORT_KEY": new_key(),
           "SMPOLICY_DATABASE_URL": f"postgresql://smpolicy:hunter2-secret@127.0.0.1:{port}/smpolicy"}
    line = one_line_error(smpolicy("reports", "list", env=env))
    assert line.startswith("smpolicy reports list: cannot use PostgreSQL smpolicy@127.0.0.1") and "hunter2" not in line
    assert not (tmp_path / "smpolicy.db").exists()


def test_bad_settings_are_one_line_in_every_command(tmp_path):
    for command in (["check", "hi"], ["reports", "list"], ["quiz", "stats"], ["content", "check"], ["serve"]):
        line = one_line_error(smpolicy(*command, env={"SMPOLICY_DATA_DIR": str(tmp_path), "SMPOLICY_REPORT_RETENTION_DAYS": "soon"}))
        assert "SMPOLICY_REPORT_RETENTION_DAYS" in line


def test_content_check_of_a_missing_folder_is_one_line(tmp_path):
    line = one_line_error(smpolicy("content", "check", str(tmp_path / "missing")))
    assert "is not a folder" in line


async def test_reading_a_case_with_the_wrong_key_is_one_line(tmp_path, pack):
    from bot.reports.crypto import Sealer, load_keys
    from bot.reports.flow import ReportDesk
    from bot.storage import Storage
    from tests.reports.test_cases import file

    right, wrong = new_key(), new_key()
    storage = Storage.open(tmp_path / "smpolicy.db")
    await storage.start()
    ref, _ = await file(ReportDesk(storage.cases, Sealer(load_keys(right, tmp_path)), pack), "words only the right key opens")
    await storage.close()
    for command in (["reports", "show", ref], ["reports", "rekey"]):
        line = one_line_error(smpolicy(*command, env={"SMPOLICY_DATA_DIR": str(tmp_path), "SMPOLICY_REPORT_KEY": wrong}))
        assert "key" in line and "words only" not in line
