"""What every benchmark shares: the machine it ran on, throw-away databases, the bot as a child process."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import math
import os
import platform
import secrets
import sqlite3
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from tests import postgres  # the probe the tests use (bench runs from the checkout, as they do)

TOKEN = "123456:BENCH-token_for-the-bot"
ADMIN = 900_000_001
BACKENDS = ("sqlite", "postgresql")


def postgres_admin_url() -> str | None:
    """$BENCH_POSTGRES_URL, else the local server if it answers; 'off' skips PostgreSQL."""
    return postgres.admin_url("BENCH_POSTGRES_URL")


_pg_connect = postgres.connect


async def postgres_version(url: str) -> str:
    connection = await _pg_connect(url)
    try:
        return await connection.fetchval("SHOW server_version")
    finally:
        await connection.close()


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _ram_gib() -> str:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return "?"


def load() -> str:
    """The load averages (1, 5, 15 min), to print beside each figure: other work skews timings."""
    with contextlib.suppress(OSError):
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    return "?"


async def machine() -> str:
    """One paragraph: CPU, cores, RAM, OS, Python, database versions, date and load."""
    admin = postgres_admin_url()
    postgres = "not answering"
    if admin is not None:
        try:
            postgres = await postgres_version(admin)
        except Exception as exc:  # the server is optional: say why it is missing
            postgres = f"unavailable ({type(exc).__name__})"
    return "\n".join(
        [
            f"machine: {_cpu_model()}, {os.cpu_count()} cores, {_ram_gib()} RAM, "
            f"{platform.system()} {platform.release()}",
            f"software: Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
            f"PostgreSQL {postgres}",
            f"date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, load average {load()}",
        ]
    )


@asynccontextmanager
async def throwaway_database(backend: str) -> AsyncIterator[str]:
    """A migrated, empty database: a SQLite file in a temporary folder, or a PostgreSQL database
    created on the local server and dropped afterwards."""
    from storage.migrate import upgrade_async

    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench-") as folder:
            url = f"sqlite:///{folder}/bench.db"
            await upgrade_async(url)
            yield url
        return
    admin = postgres_admin_url()
    if admin is None:
        raise RuntimeError("PostgreSQL does not answer on 127.0.0.1:5432 (set BENCH_POSTGRES_URL)")
    name = f"bench_{secrets.token_hex(4)}"
    await postgres.execute(admin, f'CREATE DATABASE "{name}"')
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    try:
        await upgrade_async(url)
        yield url
    finally:
        await postgres.execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def available_backends(wanted: list[str]) -> list[str]:
    """The backends asked for that can run here (PostgreSQL only when it answers)."""
    found = []
    for backend in wanted:
        if backend == "postgresql" and postgres_admin_url() is None:
            print("PostgreSQL does not answer on 127.0.0.1:5432: skipped", flush=True)
            continue
        found.append(backend)
    return found


async def start_bot(
    database_url: str, api_url: str, *, log_file: Path | None = None, env: dict[str, str] | None = None
) -> asyncio.subprocess.Process:
    """`python -m bot run` in its own process, long polling the stand-in, with default delivery limits."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("ASSESSMENT_") and key not in {"GROUP_CHAT_ID", "WEBHOOK_URL"}
    }
    environment.update(
        {
            "BOT_TOKEN": TOKEN,
            "BOT_API_URL": api_url,
            "DATABASE_URL": database_url,
            "ADMIN_IDS": str(ADMIN),
            "ASSESSMENT_SCHEDULE__TICK_SECONDS": "0",  # no scheduler ticks: only what the bench asks
            **(env or {}),
        }
    )
    output = open(log_file, "ab") if log_file is not None else asyncio.subprocess.DEVNULL  # noqa: SIM115
    try:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            env=environment,
            stdout=output,
            stderr=output,
            cwd=tempfile.gettempdir(),
        )
    finally:
        if log_file is not None:
            output.close()


async def kill(process: asyncio.subprocess.Process) -> None:
    """SIGKILL: no shutdown, no flush, like a power cut."""
    if process.returncode is None:
        process.kill()
    await process.wait()


async def stop(process: asyncio.subprocess.Process, timeout: float = 10.0) -> None:
    """SIGTERM and wait for a clean shutdown (SIGKILL if it takes too long)."""
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), timeout)
        except TimeoutError:
            await kill(process)


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of `values` (share in 0..1)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(share * len(ordered))))
    return ordered[rank - 1]
