"""The health check: the database answers, migrations are at head, the outbox moves, the scheduler ticks."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.ops.backup import backend
from bot.settings import Settings
from storage.database import Database
from storage.migrate import head_revision
from storage.models import utcnow
from storage.repository import Repository

log = logging.getLogger(__name__)

TICK_KEY = "last_tick"
HEALTH_TIMEOUT = 10.0  # seconds the whole check may take (an unreachable host must not hang it)
UNAVAILABLE = (DBAPIError, OSError, TimeoutError)
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
        async with AsyncSession(bind=connection) as session:  # not the bot's session: no turn waits for it
            repo = Repository(session)
            report.pending, oldest = await repo.due_backlog(now)
            value = await repo.setting(TICK_KEY)
        if oldest is not None:
            report.oldest_due_seconds = round((now - oldest).total_seconds(), 1)
            if report.oldest_due_seconds > settings.health.max_backlog_seconds:
                report.problems.append("backlog")
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
        now = utcnow()
        await Repository(session).put_setting(TICK_KEY, now.isoformat(), None, now)


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
