"""The local PostgreSQL server, for the tests (conftest) and the benchmarks (bench/harness.py) alike:
whether it answers, and a connection to it. Plain asyncpg, no pytest: `python -m bench` imports it too."""

from __future__ import annotations

import os
import socket

from sqlalchemy.engine import make_url

LOCAL = "postgresql://postgres@127.0.0.1:5432/postgres"


def admin_url(variable: str) -> str | None:
    """The URL in $`variable`, else the local server if it answers; the value 'off' means none."""
    url = os.environ.get(variable)
    if url == "off":
        return None
    if url:
        return url
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return LOCAL
    except OSError:
        return None


async def connect(url: str):
    """An asyncpg connection to the database of `url` (the caller closes it)."""
    import asyncpg

    parsed = make_url(url)
    return await asyncpg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        database=parsed.database or "postgres",
    )


async def execute(url: str, statement: str) -> None:
    """Run one statement (CREATE DATABASE, DROP DATABASE, …) on its own connection."""
    connection = await connect(url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()
