"""Every row of every table, to check that something changed nothing."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables)
from storage.database import Database


async def snapshot_async(url: str) -> dict[str, list[tuple]]:
    database = Database(url)
    try:
        async with database.engine.connect() as connection:
            result = {}
            for table in SQLModel.metadata.sorted_tables:
                rows = (await connection.execute(select(table))).all()
                result[table.name] = sorted(tuple(map(str, r)) for r in rows)
            return result
    finally:
        await database.dispose()


def snapshot(url: str) -> dict[str, list[tuple]]:
    return asyncio.run(snapshot_async(url))


def without_processed(rows: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """A snapshot less the processed-update ids: a refused update is still recorded as handled."""
    return {k: v for k, v in rows.items() if k != "processed_update"}
