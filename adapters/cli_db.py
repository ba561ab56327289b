"""`smpolicy db`: database chores (moving from the embedded SQLite file to PostgreSQL)."""

from __future__ import annotations

import argparse
import asyncio

from adapters.cli_data import CliError
from bot.settings import Settings
from bot.storage import DatabaseUnavailable, open_database
from bot.storage.copy import CopyError, copy_database


def cmd_db_migrate_to(args: argparse.Namespace) -> int:
    """Copy the SQLite database the settings name into the empty PostgreSQL database at `args.url`."""
    settings = Settings.from_env()
    if not args.url.startswith(("postgresql://", "postgres://")):
        raise CliError("the target must be a postgresql://user:password@host:5432/database URL")
    if not settings.db_path.exists():
        raise CliError(f"there is no SQLite database at {settings.db_path} (set SMPOLICY_DB or SMPOLICY_DATA_DIR)")
    try:
        source = open_database(settings.db_path)
        target = open_database(settings.db_path, args.url)
    except DatabaseUnavailable as exc:
        raise CliError(str(exc)) from None

    async def run():
        await target.start()
        try:
            return await copy_database(source, target)
        finally:
            await target.close()
            await source.close()

    try:
        copied = asyncio.run(run())
    except CopyError as exc:
        raise CliError(f"{exc}; nothing was copied") from None
    for table in copied:
        print(f"{table.table}: {table.target} rows")
    total = sum(t.target for t in copied)
    print(f"copied {total} rows in {len(copied)} tables from {source.description} to {target.description}; every count matches. "
          "Reports are copied still encrypted: keep the same SMPOLICY_REPORT_KEY (or report.key) for the new server.")
    return 0


def add_commands(sub) -> None:
    from adapters.cli import _command

    db = _command(sub, "db", "database chores: move the embedded SQLite database to PostgreSQL",
                  "  smpolicy db migrate-to postgresql://smpolicy:secret@db.internal:5432/smpolicy")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="SUBCOMMAND")
    move = _command(db_sub, "migrate-to", "copy the SQLite database (SMPOLICY_DB) into an empty PostgreSQL database and verify the counts",
                    "  smpolicy db migrate-to postgresql://smpolicy:secret@db.internal:5432/smpolicy")
    move.add_argument("url", help="the target PostgreSQL database URL (an empty database)")
    move.set_defaults(func=cmd_db_migrate_to)
