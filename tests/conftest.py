"""Shared fixtures: a migrated database on SQLite and, where it answers, PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy.engine import make_url

from bot.settings import Settings, load_settings
from storage.database import Database
from storage.migrate import upgrade
from tests import postgres

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

# The property tests' profile. No deadline: on a busy machine (two cores shared by several runs) one
# example can take longer than hypothesis's 200 ms without anything being wrong; for the same reason the
# too_slow health check is off. 100 examples (hypothesis's own count), as the suite always ran them; the
# tests on whole quarters ask for fewer themselves.
hypothesis_settings.register_profile(
    "suite", deadline=None, max_examples=100, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("suite")


def postgres_admin_url() -> str | None:
    """$TEST_POSTGRES_URL, else the local server if it answers; 'off' disables PostgreSQL tests."""
    return postgres.admin_url("TEST_POSTGRES_URL")


_pg_admin = postgres.execute  # one statement on its own connection (CREATE/DROP DATABASE)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's settings: no config file, none of the bot's variables."""
    for name in list(os.environ):
        if name.startswith("ASSESSMENT_") or name in {
            "BOT_TOKEN",
            "BOT_API_URL",
            "DATABASE_URL",
            "ADMIN_IDS",
            "GROUP_CHAT_ID",
        }:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str | None]:
    """A fresh PostgreSQL database for the session, migrated once, dropped at the end."""
    admin = postgres_admin_url()
    if admin is None:
        yield None
        return
    name = f"assessment_test_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_admin(admin, f'CREATE DATABASE "{name}"'))
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    asyncio.run(_pg_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _truncate_all(url: str) -> None:
    from sqlmodel import SQLModel

    import storage.models  # noqa: F401

    database = Database(url)
    try:
        async with database.engine.begin() as connection:
            names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
            await connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    finally:
        await database.dispose()


# PostgreSQL's run of each test is `slow`: `-m "not slow"` runs every database test once, on SQLite
@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """The URL of an empty, migrated database: each test runs once per backend."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_database")
    if url is None:
        pytest.skip("PostgreSQL does not answer on 127.0.0.1:5432 (set TEST_POSTGRES_URL)")
    asyncio.run(_truncate_all(url))
    return url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return load_settings(database={"url": database_url})


@pytest.fixture
def cli(database_url, monkeypatch, capsys):
    """Runs `python -m bot ...` in process against the test database; returns (exit code, stdout+stderr)."""
    from bot.cli.commands import main

    monkeypatch.setenv("DATABASE_URL", database_url)

    def run(*args) -> tuple[int, str]:
        try:
            code = main([str(a) for a in args])
        except SystemExit as exit_:  # argparse refuses a bad argument by exiting
            code = exit_.code
        out = capsys.readouterr()
        return code, out.out + out.err

    return run


@pytest.fixture
def rules():
    return Settings().rules
