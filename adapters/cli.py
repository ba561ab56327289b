"""The `smpolicy` command line: ask, check, content check, serve, reports, quiz, teams package.

Every failure is one line on stderr (`smpolicy <command>: <problem>`), never a traceback. Exit statuses:
0 done, 1 a problem (or `check --fail-on` tripped), 2 a usage error (bad option, empty question or draft).
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib import metadata
from pathlib import Path

import content
from adapters.cli_data import CliError, check_round, cmd_quiz_send, cmd_quiz_stats, cmd_reports
from bot.policy.engine import MAX_QUESTION, QuestionError
from bot.policy.pack import PackError, load_pack
from bot.policy.service import load_policy
from bot.settings import Settings, SettingsError
from bot.storage.errors import StoreError

USAGE_ERROR = 2
GATED = 1
SEVERITY = {"ok": 0, "review": 1, "do_not_post": 2}


def _settings() -> Settings:
    """The settings from the environment; a bad value stops the command (see `main`)."""
    return Settings.from_env()


def _policy(settings: Settings):
    """The configured pack and its engine; a broken pack stops with its problems."""
    try:
        return load_policy(settings.content_dir, content.default_dir(), settings.contact)
    except PackError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "unreadable"
        raise CliError(f"the content pack has problems (run `smpolicy content check` for all of them): {first}") from None


def cmd_ask(args: argparse.Namespace) -> int:
    """Answer one question, or one per stdin line with `-`."""
    engine = _policy(_settings())[1]
    if args.question == ["-"]:
        first = True
        for line in sys.stdin:
            question = line.rstrip("\n")
            try:
                answer = engine.answer(question)
            except QuestionError as exc:
                if args.json:
                    print(json.dumps({"error": str(exc), "verdict": None, "section": None}), flush=True)
                else:
                    print(f"smpolicy ask: {exc}", file=sys.stderr, flush=True)
                continue
            if args.json:
                print(json.dumps(answer.to_json(), ensure_ascii=False), flush=True)
            else:
                print(("" if first else "\n") + answer.answer, flush=True)
                first = False
        return 0
    question = " ".join(args.question)
    try:
        answer = engine.answer(question)
    except QuestionError as exc:
        print(f"smpolicy ask: {exc} (ask one question of 1 to {MAX_QUESTION} characters)", file=sys.stderr)
        return USAGE_ERROR
    print(json.dumps(answer.to_json(), ensure_ascii=False) if args.json else answer.answer)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Check a draft post, or one draft per stdin line with `-`; with --fail-on, exit 1 at that verdict or worse."""
    from bot.check.checker import MAX_DRAFT, Checker, DraftError

    checker = Checker(_policy(_settings())[0])
    limit = SEVERITY.get(args.fail_on, 99)
    worst = 0
    if args.draft == ["-"]:
        for line in sys.stdin:
            try:
                result = checker.check(line.rstrip("\n"))
            except DraftError as exc:
                print(json.dumps({"error": str(exc), "verdict": None, "findings": []}) if args.json else f"smpolicy check: {exc}",
                      file=sys.stdout if args.json else sys.stderr, flush=True)
                continue
            worst = max(worst, SEVERITY[result.verdict])
            print(json.dumps(result.to_json(), ensure_ascii=False) if args.json else result.answer + "\n", flush=True)
        return GATED if worst >= limit else 0
    try:
        result = checker.check(" ".join(args.draft))
    except DraftError as exc:
        print(f"smpolicy check: {exc} (check one draft of 1 to {MAX_DRAFT:,} characters)", file=sys.stderr)
        return USAGE_ERROR
    print(json.dumps(result.to_json(), ensure_ascii=False) if args.json else result.answer)
    return GATED if SEVERITY[result.verdict] >= limit else 0


def cmd_content_check(args: argparse.Namespace) -> int:
    """Validate a content pack; print each problem as file:line: message, then the quiz lint's warnings."""
    from bot.quiz.lint import lint_file

    folder = Path(args.dir) if args.dir else (_settings().content_dir or content.default_dir())
    if not folder.is_dir():
        raise CliError(f"{folder} is not a folder (give a content pack folder, or set SMPOLICY_CONTENT_DIR)")
    try:
        pack = load_pack(folder)
    except PackError as exc:
        for problem in exc.problems:
            print(f"{folder / problem.file}:{problem.line}: {problem.message}", file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) in {folder}", file=sys.stderr)
        return 1
    findings = lint_file(folder / "quiz.toml", pack.questions)
    for finding in findings:
        print(f"{folder / finding.file}:{finding.line}: {finding.message}", file=sys.stderr)
    if findings:
        print(f"{len(findings)} quiz question problem(s) in {folder}", file=sys.stderr)
        return 1
    print(f"{folder}: ok: version {pack.version}, {len(pack.sections)} sections, {len(pack.topics)} topics, "
          f"{len(pack.questions)} quiz questions")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the web server (web chat, health, metrics and every configured channel)."""
    from adapters.server import serve

    return serve(_settings(), args.host, args.port)


def cmd_teams_package(args: argparse.Namespace) -> int:
    """Write the Teams app package zip."""
    from adapters.teams.package import Listing, build

    listing = Listing(developer_name=args.developer_name, website_url=args.website_url, privacy_url=args.privacy_url,
                      terms_url=args.terms_url, short_name=args.short_name, full_name=args.full_name)
    try:
        out = build(args.app_id, Path(args.out), listing)
    except ValueError as exc:
        print(f"smpolicy teams package: {exc}", file=sys.stderr)
        return USAGE_ERROR
    print(f"wrote {out}: upload it in Teams under Apps > Manage your apps > Upload an app")
    return 0


def cmd_reports_entry(args: argparse.Namespace) -> int:
    """`smpolicy reports ...`: the case book, read from the existing database and key."""
    return cmd_reports(args, _settings())


def cmd_quiz(args: argparse.Namespace) -> int:
    """`quiz send` runs a round once; `quiz stats` prints the statistics."""
    settings = _settings()
    if args.quiz_command == "stats":
        return cmd_quiz_stats(args, settings, _policy(settings)[0])
    return cmd_quiz_send(args, settings)


class _Help(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Shows each option's default and keeps the examples' line breaks."""


def _command(sub, name: str, help_text: str, examples: str, **kwargs) -> argparse.ArgumentParser:
    return sub.add_parser(name, help=help_text, description=help_text[:1].upper() + help_text[1:] + ".",
                          epilog="examples:\n" + examples, formatter_class=_Help, **kwargs)


def _version() -> str:
    try:
        return metadata.version("smpolicy-bot")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="smpolicy", description="Social media guidelines bot.", formatter_class=_Help,
                                     epilog="examples:\n  smpolicy serve\n  smpolicy ask \"can I post about our product launch?\"\n"
                                            "  smpolicy check --fail-on review \"Sneak peek: v5 ships next month!\"\n\n"
                                            "Run `smpolicy COMMAND --help` for a command's options.")
    parser.add_argument("--version", action="version", version=f"smpolicy {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ask = _command(sub, "ask", "answer a policy question",
                   "  smpolicy ask \"can I post about our product launch?\"\n  smpolicy ask --json \"is YouTube social media?\"\n"
                   "  printf 'question one\\nquestion two\\n' | smpolicy ask -")
    ask.add_argument("--json", action="store_true", help="print each answer as one JSON object on one line")
    ask.add_argument("question", nargs="+", help="the question, or - to read one question per line from stdin")
    ask.set_defaults(func=cmd_ask)

    check_cmd = _command(sub, "check", "check a draft post against the guidelines before posting it",
                         "  smpolicy check \"Sneak peek: our unreleased v5 ships next month!\"\n"
                         "  smpolicy check --fail-on review \"$(cat post.txt)\" && publish post.txt\n"
                         "  printf 'draft one\\ndraft two\\n' | smpolicy check --json -\n\n"
                         "exit status: 0 below the --fail-on verdict, 1 at it or worse (ok < review < do_not_post), "
                         "2 an empty or overlong draft")
    check_cmd.add_argument("--json", action="store_true", help="print the result as one JSON object")
    check_cmd.add_argument("--fail-on", choices=["review", "do_not_post"], default=None,
                           help="exit with status 1 when the verdict is this or worse (default: always 0 once checked)")
    check_cmd.add_argument("draft", nargs="+", help="the draft, or - to read one draft per line from stdin")
    check_cmd.set_defaults(func=cmd_check)

    content_cmd = _command(sub, "content", "work with content packs", "  smpolicy content check path/to/pack")
    content_sub = content_cmd.add_subparsers(dest="content_command", required=True, metavar="SUBCOMMAND")
    check = _command(content_sub, "check", "validate a content pack folder and lint its quiz questions",
                     "  smpolicy content check\n  smpolicy content check path/to/pack")
    check.add_argument("dir", nargs="?", help="pack folder (default: SMPOLICY_CONTENT_DIR, else the bundled pack)")
    check.set_defaults(func=cmd_content_check)
    from adapters.cli_insights import add_commands as add_insights_commands

    add_insights_commands(sub, content_sub)

    reports = _command(sub, "reports", "anonymous reports, for the policy owners who run the bot",
                       "  smpolicy reports list\n  smpolicy reports show R-7KQ2M9\n  smpolicy reports export > cases.csv")
    reports_sub = reports.add_subparsers(dest="reports_command", required=True, metavar="SUBCOMMAND")
    listing = _command(reports_sub, "list", "open cases (and ones waiting for a reviewer destination)",
                       "  smpolicy reports list\n  smpolicy reports list --all\n  smpolicy reports list --json")
    listing.add_argument("--all", action="store_true", help="closed cases too")
    listing.add_argument("--json", action="store_true", help="a JSON list with both due dates and what is overdue")
    show = _command(reports_sub, "show", "one case: its words, messages and audit log", "  smpolicy reports show R-7KQ2M9")
    show.add_argument("ref", help="the case reference, e.g. R-7KQ2M9")
    export = _command(reports_sub, "export", "one CSV row per case, with a header (no reporter identity exists to export)",
                      "  smpolicy reports export > cases.csv")
    export.add_argument("--csv", action="store_true", help="CSV (the default and only format; kept for older scripts)")
    purge = _command(reports_sub, "purge", "delete cases closed longer than the retention period",
                     "  smpolicy reports purge\n  smpolicy reports purge --days 90")
    purge.add_argument("--days", type=int, help="override SMPOLICY_REPORT_RETENTION_DAYS")
    _command(reports_sub, "rekey", "re-encrypt everything with the first key of SMPOLICY_REPORT_KEY",
             "  SMPOLICY_REPORT_KEY=NEW,OLD smpolicy reports rekey")
    reports.set_defaults(func=cmd_reports_entry)

    quiz = _command(sub, "quiz", "weekly quiz rounds and statistics", "  smpolicy quiz send\n  smpolicy quiz stats --csv")
    quiz_sub = quiz.add_subparsers(dest="quiz_command", required=True, metavar="SUBCOMMAND")
    send = _command(quiz_sub, "send", "send this week's round now to Slack and Teams (safe to repeat: nobody gets it twice)",
                    "  smpolicy quiz send\n  smpolicy quiz send --round 2026-W48")
    send.add_argument("--round", type=check_round, help="round id, an ISO week (default: this week, e.g. 2026-W48)")
    stats = _command(quiz_sub, "stats", "per round: sent, started, finished, average score; hardest questions; weakest guidelines",
                     "  smpolicy quiz stats\n  smpolicy quiz stats --csv > rounds.csv")
    stats.add_argument("--csv", action="store_true", help="print the rounds as CSV: a header row, then one row per round")
    quiz.set_defaults(func=cmd_quiz)

    teams = _command(sub, "teams", "Microsoft Teams helpers", "  smpolicy teams package --app-id 00000000-0000-0000-0000-000000000000")
    teams_sub = teams.add_subparsers(dest="teams_command", required=True, metavar="SUBCOMMAND")
    package = _command(teams_sub, "package", "write the Teams app package (zip) to upload",
                       "  smpolicy teams package --app-id 0f8fad5b-d9cb-469f-a165-70867728950e \\\n"
                       "      --developer-name \"Example Corp IT\" --website-url https://intranet.example.com/social \\\n"
                       "      --privacy-url https://intranet.example.com/privacy --terms-url https://intranet.example.com/terms")
    from adapters.teams.package import Listing

    defaults = Listing()
    package.add_argument("--app-id", required=True, help="the bot's Microsoft App ID (a GUID)")
    package.add_argument("--out", default="smpolicy-teams.zip", help="where to write the zip")
    package.add_argument("--developer-name", default=defaults.developer_name, help="publisher shown in Teams (up to 32 characters)")
    package.add_argument("--website-url", default=defaults.website_url, help="publisher's support page (https)")
    package.add_argument("--privacy-url", default=defaults.privacy_url, help="privacy statement (https)")
    package.add_argument("--terms-url", default=defaults.terms_url, help="terms of use (https)")
    package.add_argument("--short-name", default=defaults.short_name, help="app name in Teams (up to 30 characters)")
    package.add_argument("--full-name", default=defaults.full_name, help="full app name (up to 100 characters)")
    package.set_defaults(func=cmd_teams_package)

    from adapters.cli_db import add_commands as add_db_commands

    add_db_commands(sub)

    serve = _command(sub, "serve", "run the bot's web server: web chat, health, metrics and every configured channel",
                     "  smpolicy serve\n  SLACK_BOT_TOKEN=xoxb-... SLACK_SIGNING_SECRET=... smpolicy serve --host 0.0.0.0")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0: every interface)")
    serve.add_argument("--port", type=int, default=3978, help="TCP port to listen on")
    serve.set_defaults(func=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `smpolicy` console script: runs one command, every failure as one line."""
    args = build_parser().parse_args(argv)
    name = " ".join(v for v in (args.command, getattr(args, f"{args.command}_command", None)) if v)
    try:
        return args.func(args)
    except SettingsError as exc:  # the same line for every command, `serve` included: it names the variable
        print(f"smpolicy: {exc}", file=sys.stderr)
    except CliError as exc:
        print(f"smpolicy {name}: {exc}", file=sys.stderr)
    except (StoreError, OSError) as exc:
        print(f"smpolicy {name}: {type(exc).__name__}: {exc}", file=sys.stderr)
    except KeyboardInterrupt:
        print(f"smpolicy {name}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the last resort: still one line, never a traceback
        print(f"smpolicy {name}: unexpected {type(exc).__name__}: {exc}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
