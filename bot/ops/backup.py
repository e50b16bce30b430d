"""Backups and restores: SQLite's online backup API, pg_dump and pg_restore for PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import make_url

from storage.database import Database
from storage.models import utcnow

# --- backup and restore ---------------------------------------------------------------------------


class BackupError(Exception):
    """A backup or restore that cannot be done; `code` names the reason for the message template."""

    def __init__(self, code: str, **detail: Any) -> None:
        self.code, self.detail = code, detail
        super().__init__(code)


def backend(url: str) -> str:
    return make_url(url.replace("postgres://", "postgresql://", 1)).get_backend_name()


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("memory")
    return Path(database)


def stamp(now: dt.datetime | None = None) -> str:
    return (now or utcnow()).strftime("%Y%m%d-%H%M%S")


def backup_target(url: str, to: str | None) -> Path:
    """The file to write: `to` if it names a file (has a suffix), else a timestamped name in the folder
    `to` (default ./backups)."""
    if backend(url) == "sqlite":
        name = f"{sqlite_path(url).stem}-{stamp()}.db"
    else:
        name = f"{make_url(url).database or 'postgres'}-{stamp()}.dump"
    if to is None:
        return Path("backups") / name
    path = Path(to)
    folder = path.is_dir() or to.endswith(("/", os.sep)) or not path.suffix
    return path / name if folder else path


def _integrity(connection: sqlite3.Connection) -> str:
    return connection.execute("PRAGMA integrity_check").fetchone()[0]


def backup_sqlite(url: str, target: Path) -> dict[str, int]:
    """An online copy through SQLite's backup API: consistent while the bot writes, WAL included.

    Written to a temporary name and renamed once checked, so a file with the final name is whole.
    Returns the rows per table of the copy.
    """
    source = sqlite_path(url)
    if not source.exists():
        raise BackupError("missing", path=source)
    if target.exists():
        raise BackupError("exists", path=target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst)  # one step: a read transaction sees one committed state, writers go on
        dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
        if (result := _integrity(dst)) != "ok":
            raise BackupError("corrupt", path=target, error=result)
        counts = _row_counts(dst)
    finally:
        dst.close()
        src.close()
    os.replace(partial, target)
    return counts


def _row_counts(connection: sqlite3.Connection) -> dict[str, int]:
    names = [
        r[0]
        for r in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    return {n: connection.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


def restore_sqlite(path: Path, url: str, *, force: bool = False) -> dict[str, int]:
    """Copy a backup file into the configured SQLite database (the bot must be stopped)."""
    if not path.is_file():
        raise BackupError("missing", path=path)
    target = sqlite_path(url)
    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        try:
            ok = _integrity(src) == "ok"
            tables = _row_counts(src)
        except sqlite3.DatabaseError as exc:
            raise BackupError("not_a_backup", path=path, error=str(exc)) from None
        if not ok or "alembic_version" not in tables:
            raise BackupError("not_a_backup", path=path, error="integrity_check / alembic_version")
        if not force and target.exists() and target.stat().st_size and has_data(f"sqlite:///{target}"):
            raise BackupError("target_has_data", path=target)
        target.parent.mkdir(parents=True, exist_ok=True)
        dst = sqlite3.connect(target, timeout=30)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    return tables


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def has_data(url: str) -> bool:
    """Whether any of the project's tables holds a row (an empty or new database holds none)."""
    return asyncio.run(_has_data(url))


async def _has_data(url: str) -> bool:
    from sqlalchemy import inspect
    from sqlmodel import SQLModel

    import storage.models  # noqa: F401  (registers the tables)

    database = Database(url)
    try:
        async with database.engine.connect() as connection:
            present = set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
            for table in SQLModel.metadata.sorted_tables:
                if table.name in present and (await connection.execute(select(table).limit(1))).first():
                    return True
        return False
    finally:
        await database.dispose()


def libpq_url(url: str) -> tuple[str, dict[str, str]]:
    """The URL as pg_dump takes it, without the password (given in PGPASSWORD instead)."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    env = {"PGPASSWORD": parsed.password} if parsed.password else {}
    plain = parsed._replace(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return plain, env


def pg_commands(url: str, path: Path) -> tuple[list[str], list[str]]:
    """The pg_dump and pg_restore commands for this database and file."""
    plain, _env = libpq_url(url)
    dump = ["pg_dump", "--format=custom", "--no-owner", f"--file={path}", f"--dbname={plain}"]
    restore = ["pg_restore", "--clean", "--if-exists", "--no-owner", f"--dbname={plain}", str(path)]
    return dump, restore


def run_pg(command: list[str], url: str) -> None:
    """Run pg_dump or pg_restore; BackupError when the tool is missing or fails."""
    if shutil.which(command[0]) is None:
        raise BackupError("no_tool", tool=command[0])
    _plain, env = libpq_url(url)
    done = subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError("tool_failed", tool=command[0], error=done.stderr.strip()[-500:])


def backup_postgres(url: str, target: Path) -> None:
    if target.exists():
        raise BackupError("exists", path=target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    dump, _restore = pg_commands(url, partial)
    run_pg(dump, url)
    os.replace(partial, target)


def restore_postgres(path: Path, url: str, *, force: bool = False) -> None:
    """pg_restore into the configured database (the bot must be stopped)."""
    if not path.is_file():
        raise BackupError("missing", path=path)
    if not force and has_data(url):
        raise BackupError("target_has_data", path=_safe(url))
    _dump, restore = pg_commands(url, path)
    run_pg(restore, url)
