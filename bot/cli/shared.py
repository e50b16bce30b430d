"""What the commands share: exit codes, printing, a database URL without its password, a repository, a unit
of work."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.engine import make_url

from bot.records.spreadsheets import TableError, read_table
from bot.rendering import render
from bot.settings import Settings
from bot.workflow.services import Services
from bot.workflow.unit import Work
from storage.database import Database
from storage.migrate import upgrade
from storage.repository import Repository

CLI_ACTOR = "cli"
ERROR_LIMIT = 200
EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def echo(text: str, *, error: bool = False) -> None:
    """Print to stdout, or to stderr when it reports a failure."""
    print(text, file=sys.stderr if error else sys.stdout)


def safe_url(url: str) -> str:
    """The database URL as it may be shown: the password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<invalid URL>"


@asynccontextmanager
async def repository(settings: Settings) -> AsyncIterator[Repository]:
    """A repository over one transaction, on a migrated database."""
    await asyncio.to_thread(upgrade, settings.database.url)
    database = Database(settings.database.url, echo=settings.database.echo)
    try:
        async with database.session() as session:
            yield Repository(session)
    finally:
        await database.dispose()


class CliWork(Work):
    """A unit of work on the command line: the audit log names the command line."""

    actor = CLI_ACTOR


@asynccontextmanager
async def cli_work(settings: Settings) -> AsyncIterator[CliWork]:
    """A unit of work over one transaction, on a migrated database: committed when the block ends, rolled
    back on an error."""
    await asyncio.to_thread(upgrade, settings.database.url)
    database = Database(settings.database.url, echo=settings.database.echo)
    try:
        async with database.session() as session:
            yield CliWork(Services(settings, database), Repository(session))
    finally:
        await database.dispose()


def read_or_report(path: str) -> Any:
    """The file's table, or None after printing why it cannot be read."""
    try:
        return read_table(path)
    except TableError as exc:
        echo(render("table_errors.j2", code=exc.code, detail=exc.detail), error=True)
        return None
