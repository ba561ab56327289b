"""The `smpolicy` command line: ask, content check, serve."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import content
from bot.policy.engine import MAX_QUESTION, QuestionError
from bot.policy.pack import PackError, load_pack
from bot.policy.service import load_policy
from bot.settings import Settings, SettingsError

USAGE_ERROR = 2


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise SystemExit(f"smpolicy: {exc}") from None


def _engine(settings: Settings):
    try:
        return load_policy(settings.content_dir, content.default_dir(), settings.contact)[1]
    except PackError as exc:
        raise SystemExit(f"smpolicy: the content pack has problems:\n{exc}") from None


def cmd_ask(args: argparse.Namespace) -> int:
    """Answer one question, or one per stdin line with `-`."""
    engine = _engine(_settings())
    if args.question == ["-"]:
        for line in sys.stdin:
            question = line.rstrip("\n")
            try:
                out = engine.answer(question).to_json()
            except QuestionError as exc:
                out = {"error": str(exc), "verdict": None, "section": None}
            print(json.dumps(out, ensure_ascii=False), flush=True)
        return 0
    question = " ".join(args.question)
    try:
        answer = engine.answer(question)
    except QuestionError as exc:
        print(f"smpolicy ask: {exc} (ask one question of 1 to {MAX_QUESTION} characters)", file=sys.stderr)
        return USAGE_ERROR
    print(json.dumps(answer.to_json(), ensure_ascii=False) if args.json else answer.answer)
    return 0


def cmd_content_check(args: argparse.Namespace) -> int:
    """Validate a content pack; print each problem as file:line: message."""
    folder = Path(args.dir) if args.dir else (_settings().content_dir or content.default_dir())
    try:
        pack = load_pack(folder)
    except PackError as exc:
        for problem in exc.problems:
            print(f"{folder / problem.file}:{problem.line}: {problem.message}", file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) in {folder}", file=sys.stderr)
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
    from adapters.teams.package import build

    try:
        out = build(args.app_id, Path(args.out))
    except ValueError as exc:
        print(f"smpolicy teams package: {exc}", file=sys.stderr)
        return USAGE_ERROR
    print(f"wrote {out}: upload it in Teams under Apps > Manage your apps > Upload an app")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="smpolicy", description="Social media guidelines bot.")
    sub = parser.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask", help="answer a policy question")
    ask.add_argument("--json", action="store_true", help="print the answer as one JSON object")
    ask.add_argument("question", nargs="+", help="the question, or - to read one question per line from stdin")
    ask.set_defaults(func=cmd_ask)
    content_cmd = sub.add_parser("content", help="work with content packs")
    content_sub = content_cmd.add_subparsers(dest="content_command", required=True)
    check = content_sub.add_parser("check", help="validate a content pack folder")
    check.add_argument("dir", nargs="?", help="pack folder (default: the configured or bundled pack)")
    check.set_defaults(func=cmd_content_check)
    teams = sub.add_parser("teams", help="Microsoft Teams helpers")
    teams_sub = teams.add_subparsers(dest="teams_command", required=True)
    package = teams_sub.add_parser("package", help="write the Teams app package (zip) to sideload")
    package.add_argument("--app-id", required=True, help="the bot's Microsoft App ID (a GUID)")
    package.add_argument("--out", default="smpolicy-teams.zip", help="where to write the zip")
    package.set_defaults(func=cmd_teams_package)
    serve = sub.add_parser("serve", help="run the bot's web server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=3978)
    serve.set_defaults(func=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `smpolicy` console script."""
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
