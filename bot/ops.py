"""Operating the bot: log set-up, the health check (command line and HTTP), backups and restores."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bot.config import LogSettings, Settings
from bot.domain import OutboxStatus
from storage.database import Database
from storage.migrate import head_revision
from storage.models import BotSetting, OutboxMessage, utcnow

log = logging.getLogger(__name__)

TICK_KEY = "last_tick"
HEALTH_TIMEOUT = 10.0  # seconds the whole check may take (an unreachable host must not hang it)
UNAVAILABLE = (DBAPIError, OSError, TimeoutError)

# --- logs -----------------------------------------------------------------------------------------

_RECORD_FIELDS = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


_KEY = re.compile(r"(\w+)=%")


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    """The key=value pairs of a message like "update=%s handler=%s ms=%.1f" as typed JSON fields."""
    if not isinstance(record.msg, str) or not isinstance(record.args, tuple):
        return {}
    keys = _KEY.findall(record.msg)
    if not keys or len(keys) != len(record.args) or record.msg.count("%") != len(keys):
        return {}
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in zip(keys, record.args, strict=True)}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message and the record's `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        data.update(_fields(record))
        data.update(
            (k, v) for k, v in record.__dict__.items() if k not in _RECORD_FIELDS and not k.startswith("_")
        )
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure_logging(settings: LogSettings) -> None:
    """Log to stderr (journald keeps it under systemd) in the configured format and level."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if settings.format == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.level)
    # httpx logs every request's URL, and a Bot API URL holds the token: never below WARNING
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if settings.level != "DEBUG":
        for noisy in ("apscheduler", "aiohttp.access"):
            logging.getLogger(noisy).setLevel(logging.WARNING)


# --- health ---------------------------------------------------------------------------------------


@dataclass
class HealthReport:
    """What monitoring needs to know; `problems` is empty when all is well."""

    database: bool = False
    error: str | None = None
    revision: str | None = None
    head: str = field(default_factory=head_revision)
    pending: int = 0
    oldest_due_seconds: float | None = None
    last_tick: dt.datetime | None = None
    tick_age_seconds: float | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> str:
        return json.dumps({"ok": self.ok, **asdict(self)}, default=str)


def tick_age_limit(settings: Settings) -> float | None:
    """How old the scheduler's last tick may be; None when the scheduler is off (tick_seconds 0)."""
    if settings.health.max_tick_age_seconds is not None:
        return float(settings.health.max_tick_age_seconds)
    tick = settings.schedule.tick_seconds
    return max(300.0, 5.0 * tick) if tick else None


async def _measure(report: HealthReport, settings: Settings, database: Database) -> None:
    from alembic.runtime.migration import MigrationContext

    now = utcnow()
    async with database.engine.connect() as connection:
        report.revision = await connection.run_sync(
            lambda c: MigrationContext.configure(c).get_current_revision()
        )
        report.database = True
        if report.revision != report.head:
            report.problems.append("migrations")
            return
        due = (OutboxMessage.status == OutboxStatus.PENDING) & (OutboxMessage.not_before <= now)
        row = (
            await connection.execute(
                select(func.count(), func.min(OutboxMessage.not_before)).select_from(OutboxMessage).where(due)
            )
        ).one()
        report.pending = row[0]
        if row[1] is not None:
            oldest = row[1] if row[1].tzinfo else row[1].replace(tzinfo=dt.UTC)
            report.oldest_due_seconds = round((now - oldest).total_seconds(), 1)
            if report.oldest_due_seconds > settings.health.max_backlog_seconds:
                report.problems.append("backlog")
        value = (
            await connection.execute(select(BotSetting.value).where(BotSetting.key == TICK_KEY))
        ).scalar()
    limit = tick_age_limit(settings)
    if value:
        report.last_tick = dt.datetime.fromisoformat(value)
        report.tick_age_seconds = round((now - report.last_tick).total_seconds(), 1)
    if limit is not None and (report.tick_age_seconds is None or report.tick_age_seconds > limit):
        report.problems.append("tick")


async def check_health(settings: Settings, database: Database | None = None) -> HealthReport:
    """Database reachable, migrations at head, no outbox backlog, a recent scheduler tick."""
    report = HealthReport()
    url = database.url if database is not None else settings.database.url
    file = make_url(url).database if backend(url) == "sqlite" else None
    if file and file != ":memory:" and not Path(file).is_file():  # connecting would create it
        report.error, report.problems = f"no such file: {file}", ["database"]
        return report
    own = database is None
    database = database or Database(settings.database.url)
    try:
        await asyncio.wait_for(_measure(report, settings, database), HEALTH_TIMEOUT)
    except UNAVAILABLE as exc:
        report.database = False
        report.error = ((str(exc).strip().splitlines() or [type(exc).__name__])[0])[:300]
        report.problems = ["database"]
    finally:
        if own:
            await database.dispose()
    return report


async def record_tick(database: Database) -> None:
    """The scheduler's heartbeat, read by the health check."""
    async with database.session() as session:
        row = await session.get(BotSetting, TICK_KEY)
        stamp = utcnow().isoformat()
        if row is None:
            session.add(BotSetting(key=TICK_KEY, value=stamp))
        else:
            row.value, row.updated_at = stamp, utcnow()


class HealthServer:
    """GET /health on its own small port: 200 and the report as JSON when healthy, else 503."""

    def __init__(self, settings: Settings, database: Database) -> None:
        self.settings = settings
        self.database = database
        self._runner = None

    async def start(self) -> None:
        from aiohttp import web

        async def health(_request: web.Request) -> web.Response:
            report = await check_health(self.settings, self.database)
            return web.Response(
                text=report.to_json(), status=200 if report.ok else 503, content_type="application/json"
            )

        app = web.Application()
        app.router.add_get("/health", health)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.health.listen, self.settings.health.port)
        await site.start()
        log.info(
            "health check on http://%s:%s/health", self.settings.health.listen, self.settings.health.port
        )

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


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
