"""The commands that set up, run and look after the bot: migrate, run, backup, restore, health, demo."""

from __future__ import annotations

import argparse
import asyncio
import shlex
from pathlib import Path
from typing import Any

from bot.cli.shared import EXIT_INVALID, EXIT_OK, EXIT_USAGE, echo, safe_url
from bot.ops import backup, health, logs
from bot.rendering import render
from bot.settings import Settings
from storage.migrate import current_revision, upgrade


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    upgrade(settings.database.url)
    revision = current_revision(settings.database.url)
    echo(render("cli/migrated.j2", url=safe_url(settings.database.url), revision=revision))
    return EXIT_OK


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    if settings.telegram.token is None:
        echo(render("cli/run_missing_token.j2"), error=True)
        return EXIT_USAGE
    from bot import app  # the bot, its handlers and PTB load only for the command that runs them

    logs.configure_logging(settings.log, secrets=[settings.telegram.token.get_secret_value()])
    app.run(settings)
    return EXIT_OK


def _backup_failed(exc: Any, settings: Settings, path: Path | None = None) -> int:
    url = settings.database.url
    commands = {"dump": "", "restore": ""}
    if not url.startswith("sqlite"):
        dump, restore = backup.pg_commands(url, path or Path("assessment.dump"))
        commands = {"dump": shlex.join(dump), "restore": shlex.join(restore)}
    context = {"path": path, "error": "", "tool": "", **exc.detail}
    echo(
        render("cli/backup_failed.j2", code=exc.code, url=safe_url(url), commands=commands, **context),
        error=True,
    )
    return EXIT_INVALID


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    url = settings.database.url
    target: Path | None = None
    try:
        target = backup.backup_target(url, args.to)
        if backup.backend(url) == "sqlite":
            counts = backup.backup_sqlite(url, target)
        else:
            counts = None
            backup.backup_postgres(url, target)
    except backup.BackupError as exc:
        return _backup_failed(exc, settings, target)
    size = target.stat().st_size
    echo(render("cli/backup_done.j2", url=safe_url(url), path=target, size=size, counts=counts))
    return EXIT_OK


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    url, path = settings.database.url, Path(args.file)
    try:
        if backup.backend(url) == "sqlite":
            counts = backup.restore_sqlite(path, url, force=args.force)
        else:
            counts = None
            backup.restore_postgres(path, url, force=args.force)
    except backup.BackupError as exc:
        return _backup_failed(exc, settings, path)
    upgrade(url)
    revision = current_revision(url)
    echo(render("cli/restored.j2", path=path, url=safe_url(url), revision=revision, counts=counts))
    return EXIT_OK


def cmd_health(args: argparse.Namespace, settings: Settings) -> int:
    report = asyncio.run(health.check_health(settings))
    if args.json:
        echo(report.to_json())
    else:
        limit = health.tick_age_limit(settings)
        echo(render("cli/health.j2", report=report, url=safe_url(settings.database.url), tick_limit=limit))
    return EXIT_OK if report.ok else EXIT_INVALID


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    if args.output is not None and (refusal := unusable_folder(Path(args.output))) is not None:
        echo(render("cli/demo_folder_refused.j2", folder=args.output, reason=refusal), error=True)
        return EXIT_USAGE  # checked before the demo loads: it refuses at once and touches nothing
    from bot.cli import demo  # the demo brings the whole bot and the stand-in: loaded only here

    return demo.main(args.output)


def unusable_folder(folder: Path) -> str | None:
    """Why the demo may not write into `folder` ("file", "not_empty"), or None: absent or empty.

    The demo never deletes anything, so a folder holding anything else is refused rather than mixed into.
    """
    if folder.exists() and not folder.is_dir():
        return "file"
    if folder.is_dir() and any(folder.iterdir()):
        return "not_empty"
    return None
