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


def _policy(settings: Settings):
    """The configured pack and its engine; a broken pack stops with its problems."""
    try:
        return load_policy(settings.content_dir, content.default_dir(), settings.contact)
    except PackError as exc:
        raise SystemExit(f"smpolicy: the content pack has problems:\n{exc}") from None


def cmd_ask(args: argparse.Namespace) -> int:
    """Answer one question, or one per stdin line with `-`."""
    engine = _policy(_settings())[1]
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


def cmd_check(args: argparse.Namespace) -> int:
    """Check a draft post, or one draft per stdin line with `-`."""
    from bot.check.checker import MAX_DRAFT, Checker, DraftError

    checker = Checker(_policy(_settings())[0])
    if args.draft == ["-"]:
        for line in sys.stdin:
            try:
                out = checker.check(line.rstrip("\n")).to_json()
            except DraftError as exc:
                out = {"error": str(exc), "verdict": None, "findings": []}
            print(json.dumps(out, ensure_ascii=False), flush=True)
        return 0
    try:
        result = checker.check(" ".join(args.draft))
    except DraftError as exc:
        print(f"smpolicy check: {exc} (check one draft of 1 to {MAX_DRAFT:,} characters)", file=sys.stderr)
        return USAGE_ERROR
    print(json.dumps(result.to_json(), ensure_ascii=False) if args.json else result.answer)
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


def _casebook(settings: Settings):
    from bot.reports.cases import CaseBook
    from bot.reports.crypto import KeyError_, Sealer, load_keys
    from bot.store import Store

    try:
        return CaseBook(Store(settings.db_path), Sealer(load_keys(settings.report_key, settings.data_dir)))
    except KeyError_ as exc:
        raise SystemExit(f"smpolicy: {exc}") from None


def cmd_reports(args: argparse.Namespace) -> int:
    """Policy owners' view of the cases, on the machine that runs the bot."""
    import csv
    import datetime as dt

    from bot.reports.crypto import TamperedError

    settings = _settings()
    book = _casebook(settings)

    def when(ts: float | None) -> str:
        return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:00") if ts else ""

    if args.reports_command == "list":
        rows = book.cases(include_closed=args.all)
        if not rows:
            print("no cases" if args.all else "no open cases")
        for r in rows:
            pending = "" if r["notified_at"] else "  (not yet announced to reviewers)"
            print(f"{r['ref']}  {r['status']:<9}  {r['urgency']:<6}  {r['category']:<28}  filed {when(r['created_at'])} UTC{pending}")
        return 0
    if args.reports_command == "show":
        try:
            case = book.case(args.ref.upper())
        except TamperedError as exc:
            print(f"smpolicy reports show: {exc}: the stored text was altered or the key is wrong", file=sys.stderr)
            return 1
        if case is None:
            print(f"smpolicy reports show: no case {args.ref}", file=sys.stderr)
            return 1
        print(f"{case['ref']}  status {case['status']}  urgency {case['urgency']}  guideline {case['category']}  "
              f"filed {when(case['created_at'])} UTC" + (f"  outcome {case['outcome']}" if case["outcome"] else ""))
        for key, value in case["body"].items():
            if value:
                print(f"{key}: {value}")
        for m in case["messages"]:
            print(f"[{when(m['at'])}] {m['author']}: {m['text']}")
        for a in book.audit_log(case["ref"]):
            print(f"audit {when(a['at'])} {a['reviewer']} {a['action']}")
        return 0
    if args.reports_command == "export":
        writer = csv.writer(sys.stdout)
        writer.writerow(["ref", "status", "urgency", "guideline", "filed_utc", "outcome", "messages"])
        for r in book.cases(include_closed=True):
            count = book.store.db.execute("SELECT COUNT(*) FROM report_messages WHERE ref = ?", [r["ref"]]).fetchone()[0]
            writer.writerow([r["ref"], r["status"], r["urgency"], r["category"], when(r["created_at"]), r["outcome"] or "", count])
        return 0
    if args.reports_command == "purge":
        days = args.days if args.days is not None else settings.report_retention_days
        print(f"deleted {book.purge(days)} case(s) closed more than {days} days ago")
        return 0
    if args.reports_command == "rekey":
        print(f"re-encrypted {rekey(book)} record(s) with the first key of SMPOLICY_REPORT_KEY")
        return 0
    return USAGE_ERROR


def cmd_quiz(args: argparse.Namespace) -> int:
    """`quiz send` runs this week's round once; `quiz stats` prints the statistics."""
    import asyncio
    import csv
    import time

    settings = _settings()
    if args.quiz_command == "stats":
        from bot.quiz import stats
        from bot.store import Store

        store = Store(settings.db_path)
        pack = _policy(settings)[0]
        tables = [("rounds", stats.rounds(store)), ("hardest questions", stats.hardest(store, pack)),
                  ("weakest sections", stats.weakest(store, pack))]
        if args.csv:
            writer = csv.writer(sys.stdout)
            for name, rows in tables:
                for row in rows:
                    writer.writerow([name, *[f"{k}={v}" for k, v in row.items()]])
            return 0
        for name, rows in tables:
            print(f"{name}:")
            if not rows:
                print("  (none yet)")
            for row in rows:
                print("  " + ", ".join(f"{k} {v}" for k, v in row.items()))
        return 0

    from adapters.server import SCHEDULER, STORE, create_app
    from bot.quiz.rounds import round_id

    app = create_app(settings)
    scheduler = app[SCHEDULER]
    rid = args.round or round_id(time.time(), settings.timezone)

    def progress(done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        print(f"\rquiz round {rid}: {done}/{total} [{'#' * filled}{'.' * (width - filled)}]", end="", file=sys.stderr, flush=True)

    told: set[str] = set()

    def waiting(holder: str) -> None:
        if holder not in told:
            told.add(holder)
            print(f"quiz round {rid}: being sent by {holder}; waiting for it to finish or stop", file=sys.stderr, flush=True)

    result = asyncio.run(scheduler.rounds.run(rid, scheduler.audiences, progress, waiting))
    app[STORE].close()
    print(file=sys.stderr)
    print(f"round {rid}: {result.sent} sent now, {result.already} had it already (sent by another process or an earlier run), "
          f"{result.opted_out} opted out, {result.failed} failed (of {result.audience})")
    return 0 if result.failed == 0 else 1


def rekey(book) -> int:
    """Re-encrypt every report and message with the newest key (after adding it in front of the old one)."""
    count = 0

    def redo(db):
        nonlocal count
        for table, key in (("reports", "ref"), ("report_messages", "id")):
            for row in list(db.query(f"SELECT {key} AS k, ref, nonce, ciphertext FROM {table}")):
                plain = book.sealer.open(row["ref"], row["nonce"], row["ciphertext"])
                nonce, ciphertext = book.sealer.seal(row["ref"], plain)
                db.execute(f"UPDATE {table} SET nonce = ?, ciphertext = ? WHERE {key} = ?", [nonce, ciphertext, row["k"]])
                count += 1

    book.store.write(redo)
    return count


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="smpolicy", description="Social media guidelines bot.")
    sub = parser.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask", help="answer a policy question")
    ask.add_argument("--json", action="store_true", help="print the answer as one JSON object")
    ask.add_argument("question", nargs="+", help="the question, or - to read one question per line from stdin")
    ask.set_defaults(func=cmd_ask)
    check_cmd = sub.add_parser("check", help="check a draft post against the guidelines before posting it")
    check_cmd.add_argument("--json", action="store_true", help="print the result as one JSON object")
    check_cmd.add_argument("draft", nargs="+", help="the draft, or - to read one draft per line from stdin")
    check_cmd.set_defaults(func=cmd_check)
    content_cmd = sub.add_parser("content", help="work with content packs")
    content_sub = content_cmd.add_subparsers(dest="content_command", required=True)
    check = content_sub.add_parser("check", help="validate a content pack folder")
    check.add_argument("dir", nargs="?", help="pack folder (default: the configured or bundled pack)")
    check.set_defaults(func=cmd_content_check)
    reports = sub.add_parser("reports", help="anonymous reports, for the policy owners who run the bot")
    reports_sub = reports.add_subparsers(dest="reports_command", required=True)
    listing = reports_sub.add_parser("list", help="open cases (and ones waiting for a reviewer destination)")
    listing.add_argument("--all", action="store_true", help="closed cases too")
    show = reports_sub.add_parser("show", help="one case: its words, messages and audit log")
    show.add_argument("ref")
    export = reports_sub.add_parser("export", help="one CSV row per case (no reporter identity exists to export)")
    export.add_argument("--csv", action="store_true", required=True)
    purge = reports_sub.add_parser("purge", help="delete cases closed longer than the retention period")
    purge.add_argument("--days", type=int, help="override SMPOLICY_REPORT_RETENTION_DAYS")
    reports_sub.add_parser("rekey", help="re-encrypt everything with the first key of SMPOLICY_REPORT_KEY")
    reports.set_defaults(func=cmd_reports)
    quiz = sub.add_parser("quiz", help="weekly quiz rounds and statistics")
    quiz_sub = quiz.add_subparsers(dest="quiz_command", required=True)
    send = quiz_sub.add_parser("send", help="send this week's round now (safe to repeat: nobody gets it twice)")
    send.add_argument("--round", help="round id (default: this ISO week, e.g. 2026-W48)")
    stats = quiz_sub.add_parser("stats", help="per round: sent, started, finished, average score; hardest questions; weakest sections")
    stats.add_argument("--csv", action="store_true")
    quiz.set_defaults(func=cmd_quiz)
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
