"""Engines and sessions: async SQLAlchemy over aiosqlite (WAL, foreign keys on) or asyncpg."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


def async_url(url: str) -> str:
    """The URL with the async driver this project uses (sqlite:/// and postgresql:// are accepted)."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend not in ASYNC_DRIVERS:
        raise ValueError(f"unsupported database {backend!r}: use sqlite:/// or postgresql://")
    return parsed.set(drivername=ASYNC_DRIVERS[backend]).render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An async engine; SQLite connections get WAL, foreign keys and a busy timeout."""
    full = async_url(url)
    kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}  # users' texts stay out of logs
    if full.startswith("postgresql"):
        kwargs.update(pool_pre_ping=True, pool_size=5, max_overflow=10)
    engine = create_async_engine(full, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


class Database:
    """The engine and a session factory, shared through the application."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, echo=echo)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time and makes the others wait by sleeping; the bot's own
        # transactions take turns here instead, which is faster and fair. PostgreSQL runs them at once.
        self._turns = asyncio.Lock() if self.dialect == "sqlite" else None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in one transaction: committed on success, rolled back on error."""
        if self._turns is None:
            async with self.sessions() as session, session.begin():
                yield session
            return
        async with self._turns, self.sessions() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()


# SQLSTATE classes of a server that is not there right now: 08 connection exception; 57P01 admin
# shutdown, 57P02 crash shutdown, 57P03 cannot connect now (starting up or shutting down).
LOST_SQLSTATES = ("08", "57P", "40001", "40P01")  # connection, shutdown; serialization, deadlock


def connection_lost(exc: BaseException) -> bool:
    """Whether `exc` means the database cannot serve right now (stopped, restarting, network, or a
    deadlock or serialization conflict to retry), rather than a fault in the program: the user is
    asked to try again."""
    if isinstance(exc, OperationalError | InterfaceError | OSError):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    cause: BaseException | None = exc.orig
    while cause is not None:
        sqlstate = getattr(cause, "sqlstate", None)
        if isinstance(sqlstate, str):
            return sqlstate.startswith(LOST_SQLSTATES)
        cause = cause.__cause__
    return False


def duplicate(exc: BaseException) -> bool:
    """Whether `exc` is a unique key that another transaction wrote first (e.g. the same ballot opened twice
    at once): nothing is wrong but the timing, the request may be made again."""
    return isinstance(exc, IntegrityError)
