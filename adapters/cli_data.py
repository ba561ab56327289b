"""The `smpolicy reports` and `smpolicy quiz` commands: they read the database (and key) `serve` made.

None of them creates a database or a key: a missing one is a one-line error that says where it looked and
which variable to set, so a typo in SMPOLICY_DATA_DIR never silently starts an empty second database.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import json
import re
import sys

from bot.settings import Settings

WHERE = "set SMPOLICY_DATA_DIR to the folder `smpolicy serve` uses, or SMPOLICY_DB to the database file"


class CliError(Exception):
    """A one-line problem to print as `smpolicy <command>: <message>` (exit status 1)."""


def require_database(settings: Settings) -> None:
    """Stop unless the database exists: a SQLite file where the settings say (a PostgreSQL URL names one)."""
    if not settings.database_url and not settings.db_path.is_file():
        raise CliError(f"no database at {settings.db_path}: {WHERE}")


def open_storage(settings: Settings):
    """The existing database (the SQLite file, or PostgreSQL when SMPOLICY_DATABASE_URL is set), migrated; never
    a new SQLite file. `await storage.start()` before use."""
    from bot.storage import DatabaseUnavailable, Storage

    require_database(settings)
    try:
        return Storage.open(settings.db_path, settings.database_url or None)
    except DatabaseUnavailable as exc:
        raise CliError(str(exc)) from None


def require_key(settings: Settings) -> None:
    """Stop unless a report key is configured or its file exists (commands never make one)."""
    key_file = settings.data_dir / "report.key"
    if not settings.report_key and not key_file.is_file():
        raise CliError(f"no report key: SMPOLICY_REPORT_KEY is unset and there is no {key_file}; "
                       "set SMPOLICY_REPORT_KEY, or SMPOLICY_DATA_DIR to the folder that holds report.key")


def open_casebook(settings: Settings):
    """The storage and the case book over the existing database and key; never a new key or database."""
    from bot.reports.cases import CaseBook
    from bot.reports.crypto import KeyError_, Sealer, load_keys

    require_key(settings)
    require_database(settings)
    try:
        sealer = Sealer(load_keys(settings.report_key, settings.data_dir, may_create=False))
    except KeyError_ as exc:
        raise CliError(f"the report key is not usable: {exc}") from None
    storage = open_storage(settings)
    return storage, CaseBook(storage.cases, storage.reviewers, sealer, ack_days=settings.case_ack_days,
                             feedback_days=settings.case_feedback_days)


def _when(ts: float | None) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:00") if ts else ""


def cmd_reports(args: argparse.Namespace, settings: Settings) -> int:
    """Policy owners' view of the cases, on the machine that runs the bot (either backend)."""
    storage, book = open_casebook(settings)

    async def run() -> int:
        await storage.start()
        try:
            return await _reports(args, settings, book)
        finally:
            await storage.close()

    return asyncio.run(run())


async def _reports(args: argparse.Namespace, settings: Settings, book) -> int:
    from bot.reports.crypto import TamperedError

    if args.reports_command == "list":
        from bot.reports.cases import overdue

        today = book.today()
        rows = await book.cases(include_closed=args.all)
        late_first = sorted(rows, key=lambda r: (not overdue(r, today), r.feedback_due or "", r.ref))
        if getattr(args, "json", False):
            print(json.dumps([{"ref": r.ref, "status": r.status, "urgency": r.urgency, "guideline": r.category,
                               "filed_utc": _when(r.created_at), "ack_due": r.ack_due, "feedback_due": r.feedback_due,
                               "overdue": overdue(r, today), "assignee": r.assignee, "outcome": r.outcome,
                               "announced": r.notified_at is not None} for r in late_first], indent=2))
            return 0
        if not rows:
            print("no cases" if args.all else "no open cases")
        for r in late_first:
            pending = "" if r.notified_at else "  (not yet announced to reviewers)"
            late = overdue(r, today)
            flag = ("  OVERDUE: " + ", ".join("acknowledgement" if k == "ack" else "feedback" for k in late)) if late else ""
            print(f"{r.ref}  {r.status:<12}  {r.urgency:<6}  {r.category:<28}  filed {_when(r.created_at)} UTC  "
                  f"ack by {r.ack_due or '-'}  feedback by {r.feedback_due or '-'}{flag}{pending}")
        return 0
    if args.reports_command == "show":
        try:
            case = await book.case(args.ref.upper())
        except TamperedError as exc:
            raise CliError(f"{exc}: the stored text was altered or the key is wrong") from None
        if case is None:
            raise CliError(f"no case {args.ref}")
        print(f"{case.ref}  status {case.status}  urgency {case.urgency}  guideline {case.category}  "
              f"filed {_when(case.created_at)} UTC  ack by {case.ack_due}  feedback by {case.feedback_due}"
              + (f"  assigned to {case.assignee}" if case.assignee else "") + (f"  outcome {case.outcome}" if case.outcome else ""))
        for key, value in case.body.items():
            if value:
                print(f"{key}: {value}")
        for m in case.messages:
            print(f"[{_when(m.at)}] {m.author}: {m.text}")
        for a in await book.audit_log(case.ref):
            print(f"audit {_when(a.at)} {a.reviewer} {a.action}" + (f" {a.detail}" if a.detail else ""))
        return 0
    if args.reports_command == "export":
        counts = await book.message_counts()
        writer = csv.writer(sys.stdout)
        writer.writerow(["ref", "status", "urgency", "guideline", "filed_utc", "outcome", "messages"])
        for r in await book.cases(include_closed=True):
            writer.writerow([r.ref, r.status, r.urgency, r.category, _when(r.created_at), r.outcome or "", counts.get(r.ref, 0)])
        return 0
    if args.reports_command == "purge":
        days = args.days if args.days is not None else settings.report_retention_days
        print(f"deleted {await book.purge(days)} case(s) closed more than {days} days ago")
        return 0
    if args.reports_command == "rekey":
        try:
            count = await book.rekey()
        except TamperedError as exc:
            raise CliError(f"{exc}: none of the keys in SMPOLICY_REPORT_KEY opens it (nothing was changed)") from None
        print(f"re-encrypted {count} record(s) with the first key of SMPOLICY_REPORT_KEY")
        return 0
    return 2


ROUND = re.compile(r"^(\d{4})-W(\d{2})$")


def check_round(text: str) -> str:
    """An ISO week round id (2026-W48) that exists in the calendar; argparse type for --round."""
    match = ROUND.match(text)
    if match:
        year, week = int(match[1]), int(match[2])
        weeks = dt.date(year, 12, 28).isocalendar()[1]  # 28 December is always in the year's last ISO week
        if 1 <= week <= weeks and year >= 2000:
            return text
        raise argparse.ArgumentTypeError(f"{text!r}: {year} has weeks W01 to W{weeks}")
    raise argparse.ArgumentTypeError(f"{text!r} is not an ISO week like 2026-W48")


ROUND_COLUMNS = ["round", "sent", "started", "finished", "average_score"]


def cmd_quiz_stats(args: argparse.Namespace, settings: Settings, pack) -> int:
    """Per round: sent, started, finished, average score; then the hardest questions and weakest guidelines."""
    import asyncio
    from dataclasses import asdict

    from bot.quiz import stats

    storage = open_storage(settings)

    async def read() -> tuple[list, list, list]:
        await storage.start()
        try:
            return (await stats.rounds(storage.quiz), await stats.hardest(storage.quiz, pack), await stats.weakest(storage.quiz, pack))
        finally:
            await storage.close()

    rounds, hardest, weakest = asyncio.run(read())
    if args.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(ROUND_COLUMNS)
        for row in map(asdict, rounds):
            writer.writerow(["" if row[c] is None else row[c] for c in ROUND_COLUMNS])
        return 0
    for name, rows in (("rounds", rounds), ("hardest questions", hardest), ("weakest guidelines", weakest)):
        print(f"{name}:")
        if not rows:
            print("  (none yet)")
        for row in rows:
            print("  " + ", ".join(f"{k} {v}" for k, v in asdict(row).items()))
    return 0


def cmd_quiz_send(args: argparse.Namespace, settings: Settings) -> int:
    """Send a round now, to every configured channel's audience; nobody gets it twice."""
    import asyncio
    import time

    if not (settings.slack_enabled or settings.teams_enabled):
        raise CliError("neither Slack nor Teams is configured, so there is nobody to send a quiz to: set SLACK_BOT_TOKEN "
                       "and SLACK_SIGNING_SECRET, or MicrosoftAppId and MicrosoftAppPassword (see README, Settings)")
    require_database(settings)  # a send log in a new database would resend rounds
    require_key(settings)  # the app below would otherwise make a key file beside it
    from adapters.server import SCHEDULER, STORAGE, create_app
    from bot.quiz.rounds import RoundResult, round_id
    from bot.storage import DatabaseUnavailable

    try:
        app = create_app(settings)
    except DatabaseUnavailable as exc:
        raise CliError(str(exc)) from None
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

    async def send() -> RoundResult:
        storage = app[STORAGE]
        await storage.start()
        try:
            result = await scheduler.rounds.run(rid, scheduler.audiences, progress, waiting)
            while result.lost_lease:  # this process stalled past its lease: wait for the round again, finish what is left
                again = await scheduler.rounds.run(rid, scheduler.audiences, progress, waiting)
                again.sent += result.sent
                result = again
            return result
        finally:
            await storage.close()

    result = asyncio.run(send())
    print(file=sys.stderr)
    print(f"round {rid}: {result.sent} sent now, {result.already} had it already (sent by another process or an earlier run), "
          f"{result.opted_out} opted out, {result.failed} failed (of {result.audience})"
          + (f"; {result.unsettled} still with another sender (run again to settle them)" if result.unsettled else ""))
    return 0 if result.failed == 0 and result.unsettled == 0 else 1
