"""`smpolicy insights` (the console's figures on the command line) and `smpolicy content suggestions` (the
owners' drafted situations as TOML to paste into content/answers.toml)."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys

import content
from adapters.cli_data import CliError
from bot import figures
from bot.policy.pack import PackError, load_pack
from bot.settings import Settings
from bot.storage import DatabaseUnavailable, Storage


def _open(settings: Settings) -> Storage:
    try:
        return Storage.open(settings.db_path, settings.database_url or None)
    except DatabaseUnavailable as exc:
        raise CliError(str(exc)) from None


def _pack(settings: Settings):
    try:
        return load_pack(settings.content_dir or content.default_dir())
    except PackError as exc:
        raise CliError(f"the content pack has problems:\n{exc}") from None


def _run(settings: Settings, work):
    storage = _open(settings)

    async def run():
        await storage.start()
        try:
            return await work(storage)
        finally:
            await storage.close()

    return asyncio.run(run())


def cmd_insights(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if args.since and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", args.since):
        raise CliError("--since: a day such as 2026-11-01")
    since = args.since or figures.default_since()
    pack = _pack(settings)
    tables = _run(settings, lambda storage: figures.all_tables(storage.insights, pack, since))
    if args.json:
        print(json.dumps({name: t.to_json() for name, t in tables.items()}, ensure_ascii=False))
    elif args.csv:
        for i, t in enumerate(tables.values()):
            sys.stdout.write(("\r\n" if i else "") + f"# {t.title}\r\n" + t.csv())
    else:
        for t in tables.values():
            print(f"\n{t.title}")
            widths = [max(len(str(c)), *(len(str(r[i])) for r in t.rows)) if t.rows else len(str(c)) for i, c in enumerate(t.columns)]
            widths = [min(w, 40) for w in widths]
            print("  ".join(str(c).ljust(w) for c, w in zip(t.columns, widths)))
            for r in t.rows:
                print("  ".join(str(v)[:40].ljust(w) for v, w in zip(r, widths)))
            if not t.rows:
                print("(nothing yet)")
    return 0


def cmd_suggestions(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    pack = _pack(settings)
    suggestions = _run(settings, lambda storage: storage.insights.suggestions("new"))
    print(figures.suggestions_toml(suggestions, pack))
    return 0


def add_commands(sub, content_sub) -> None:
    insights = sub.add_parser("insights", help="what people ask, what the guidelines miss, quizzes and reports: the console's figures",
                              description="The policy owners' figures: answers per week by verdict, share answered, helpful "
                                          "rate, guidelines asked about, gaps, quiz rounds, report counts (under 5: 'fewer than 5').",
                              epilog="examples:\n  smpolicy insights\n  smpolicy insights --since 2026-11-01 --json\n"
                                     "  smpolicy insights --csv > insights.csv", formatter_class=argparse.RawDescriptionHelpFormatter)
    insights.add_argument("--since", help="count answers from this day on (YYYY-MM-DD; default: 26 weeks back)")
    form = insights.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="one JSON object: every table by name")
    form.add_argument("--csv", action="store_true", help="every table as CSV, each after a '# title' line")
    insights.set_defaults(func=cmd_insights)
    suggestions = content_sub.add_parser("suggestions", help="situations the owners drafted, as TOML for answers.toml",
                                         description="Print the situations the policy owners drafted (\"add to the guidelines\") "
                                                     "as [[topic]] entries to check and paste into content/answers.toml.")
    suggestions.set_defaults(func=cmd_suggestions)
