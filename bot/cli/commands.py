"""The command line for what admins do outside chat: its parser and `main`, each command in its module."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import InterfaceError, OperationalError

from bot.cli.file_commands import (
    cmd_adjustments_template,
    cmd_ballots_template,
    cmd_import_adjustments,
    cmd_import_ballots,
    cmd_import_roster,
    cmd_roster_template,
)
from bot.cli.ops_commands import cmd_backup, cmd_demo, cmd_health, cmd_migrate, cmd_restore, cmd_run
from bot.cli.quarter_commands import RESULTS, cmd_close_rating, cmd_export, cmd_results
from bot.cli.shared import EXIT_INVALID, EXIT_USAGE, echo, safe_url
from bot.records.exports import ExportKind
from bot.records.spreadsheets import TableError
from bot.rendering import render
from bot.rules.domain import Quarter
from bot.rules.periods import year_allowed, year_range
from bot.rules.text import typed
from bot.settings import SettingsError, load_settings
from bot.workflow.clock import SystemClock

TZ = ZoneInfo("Asia/Shanghai")


def _quarter(text: str) -> Quarter:
    """A quarter typed on the command line (full-width digits read as ASCII), within the years in use."""
    try:
        quarter = Quarter.parse(typed(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    today = SystemClock().now().astimezone(TZ).date()
    if not year_allowed(quarter.year, today):
        first, last = year_range(today)
        message = render("cli/period_out_of_range.j2", text=text, first=first, last=last)
        raise argparse.ArgumentTypeError(message)
    return quarter


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Quarterly staff assessment bot.")
    parser.add_argument(
        "--config", help="settings file (TOML); default $ASSESSMENT_CONFIG or ./assessment.toml"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Any, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    add("migrate", cmd_migrate, "apply the database migrations")
    sub = add("roster-template", cmd_roster_template, "write an empty roster file (.xlsx or .csv)")
    sub.add_argument("-o", "--output", default="roster.xlsx")
    sub = add("import-roster", cmd_import_roster, "import the roster: all rows or none")
    sub.add_argument("file")
    sub.add_argument("--dry-run", action="store_true", help="check only, write nothing")
    sub = add("ballots-template", cmd_ballots_template, "write a quarter's paper-ballot file, pre-filled")
    sub.add_argument("quarter", type=_quarter, help="e.g. 2026Q3")
    sub.add_argument("-o", "--output")
    sub.add_argument(
        "--per-rater",
        action="store_true",
        help="one sheet per rater: FILE.xlsx to fill on a computer and FILE.docx beside it to print",
    )
    sub = add("import-ballots", cmd_import_ballots, "import paper ballots of a quarter: all rows or none")
    sub.add_argument("quarter", type=_quarter, help="e.g. 2026Q3")
    sub.add_argument("file")
    sub.add_argument("--dry-run", action="store_true", help="check only, write nothing")
    sub = add(
        "adjustments-template",
        cmd_adjustments_template,
        "write the file of leave, vetoes, affirmations and exemptions to fill in (.xlsx with a guide)",
    )
    sub.add_argument("-o", "--output", default="adjustments.xlsx")
    sub.add_argument("--quarter", type=_quarter, help="the quarter of the guide's examples, e.g. 2026Q3")
    sub = add(
        "import-adjustments",
        cmd_import_adjustments,
        "import leave, vetoes, affirmations and exemptions: all rows or none; those recorded skipped",
    )
    sub.add_argument("file")
    sub.add_argument("--dry-run", action="store_true", help="check only, write nothing")
    sub = add(
        "close-rating",
        cmd_close_rating,
        "end a quarter's rating: no more ballots; compute and show the proposal",
    )
    sub.add_argument("quarter", type=_quarter, help="e.g. 2026Q3")
    sub = add("results", cmd_results, "compute a quarter and show the proposal (after close-rating)")
    sub.add_argument("quarter", type=_quarter, help="e.g. 2026Q3")
    sub.add_argument("--format", choices=("table", "csv", "json"), default="table")
    sub.add_argument("-o", "--output", help="write to this file instead of the screen")
    sub = add(
        "export",
        cmd_export,
        "write a quarter's records to a folder: results (xlsx, csv, json), Form 1 of its months and Form 2"
        " (.docx, one per person and a .zip), filing workbooks per category, the annual report, charts",
    )
    sub.add_argument("quarter", type=_quarter, help="e.g. 2026Q3")
    sub.add_argument("-o", "--output", default="exports")
    sub.add_argument(
        "--only",
        nargs="+",
        choices=[RESULTS, *ExportKind],
        metavar="KIND",
        help="results form1 form2 filing annual charts",
    )
    add("run", cmd_run, "start the bot")
    sub = add("backup", cmd_backup, "copy the database while the bot runs (SQLite) or with pg_dump")
    sub.add_argument(
        "--to", help="a file (with a suffix) or a folder (default: ./backups/NAME-YYYYMMDD-HHMMSS.db|.dump)"
    )
    sub = add("restore", cmd_restore, "restore a backup into the configured database (bot stopped)")
    sub.add_argument("file")
    sub.add_argument("--force", action="store_true", help="overwrite a database that holds data")
    sub = add("health", cmd_health, "check the database, migrations, outbox and scheduler; exit 0 or 1")
    sub.add_argument("--json", action="store_true", help="print the report as JSON")
    sub = add("demo", cmd_demo, "play one whole quarter of the example bureau against the stand-in")
    sub.add_argument(
        "-o", "--output", help="folder for the demo's database and records (default: a new temp folder)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
    except SettingsError as exc:
        echo(render("cli/settings_error.j2", problems=exc.problems), error=True)
        return EXIT_USAGE
    try:
        return int(args.handler(args, settings))
    except TableError as exc:
        echo(render("table_errors.j2", code=exc.code, detail=exc.detail), error=True)
        return EXIT_INVALID
    except (OperationalError, InterfaceError, OSError) as exc:
        echo(
            render("cli/database_error.j2", url=safe_url(settings.database.url), error=str(exc)[:300]),
            error=True,
        )
        return EXIT_USAGE
