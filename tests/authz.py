"""Helpers for the authorization matrix and the fuzz tests: turns observed, presses forged, rows compared.

A turn's end comes from the bot's own hook, `Services.on_turn_end`, which `run_turn` calls after the
turn's answers were sent: a test knows when a turn is over and how it ended (ok, refused by the access
check, rejected by the handler, duplicate, error) without sleeping and without reading the log.
"""

from __future__ import annotations

import asyncio
import csv
import logging
import secrets
from collections.abc import Callable
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass

from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables)
from bot.cli.rehearsal import Bureau
from standin import scaled
from standin.state import CallbackQuery
from tests.conftest import EXAMPLES

BOOKKEEPING = {"processed_update"}  # written by every turn, refused or not: that is its job


@dataclass(frozen=True)
class TurnRecord:
    update_id: int
    outcome: str


class TurnLog(logging.Handler):
    """Every finished turn, in order (from the turn hook), and every error logged anywhere."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.turns: list[TurnRecord] = []
        self.errors: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.errors.append(record)

    def turn_ended(self, update_id: int, outcome: str) -> None:
        self.turns.append(TurnRecord(update_id, outcome))


@contextmanager
def turn_log(bureau: Bureau):
    """Record the bureau's finished turns and every error logged anywhere while the block runs."""
    log = TurnLog()
    services = bureau.services
    previous = services.on_turn_end
    services.on_turn_end = log.turn_ended
    root = logging.getLogger()
    root.addHandler(log)
    try:
        yield log
    finally:
        root.removeHandler(log)
        services.on_turn_end = previous


async def until(predicate: Callable[[], object], timeout: float = 10.0, what: str = "") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + scaled(timeout)
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError(f"waited {timeout} s for {what or predicate}")
        await asyncio.sleep(0.003)


def _snapshot_sql() -> list[tuple[str, str]]:
    queries = []
    for table in SQLModel.metadata.sorted_tables:
        if table.name not in BOOKKEEPING:
            order = ", ".join(str(i) for i in range(1, len(table.columns) + 1))
            queries.append((table.name, f'SELECT * FROM "{table.name}" ORDER BY {order}'))
    return queries


async def table_rows(bureau: Bureau) -> dict[str, list[tuple]]:
    """Every row of every table but the bookkeeping ones, read on the bot's own engine."""
    # raw rows in a total order, no type conversion, on one connection kept for the test and each
    # read in its own transaction: reading every table stays a few milliseconds
    connection = getattr(bureau, "_rows_connection", None)
    if connection is None:
        connection = await bureau.services.database.engine.connect()
        bureau._rows_connection = connection
        bureau._rows_sql = _snapshot_sql()
    result = {}
    try:
        for name, sql in bureau._rows_sql:
            result[name] = [tuple(r) for r in (await connection.exec_driver_sql(sql)).all()]
    finally:
        await connection.rollback()
    return result


async def release_rows_connection(bureau) -> None:
    connection = getattr(bureau, "_rows_connection", None)
    if connection is not None:
        bureau._rows_connection = None
        await connection.close()


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))


def forge_press(bureau: Bureau, user_id: int, data: str, *, chat_id: int | None = None, message_id=None):
    """A callback query from `user_id` with any data, on a message of `chat_id` (default: his own
    chat's latest bot message); the stand-in knows the query so the bot's answer is recorded."""
    state = bureau.driver.state
    user = state.users[user_id]
    chat_id = user_id if chat_id is None else chat_id
    if message_id is None:
        message = next(m for m in reversed(state.messages.get(chat_id, [])) if m.sender is state.bot)
    else:
        message = state.find_message(chat_id, message_id)
    query = CallbackQuery(
        id=str(secrets.randbits(63)), user=user, message=message, data=data, created=bureau.driver.clock()
    )
    state.callback_queries[query.id] = query
    state.enqueue(
        {
            "callback_query": {
                "id": query.id,
                "from": user.to_api(),
                "message": message.to_api(),
                "chat_instance": message.chat.chat_instance,
                "data": data,
            }
        }
    )
    return query


async def one_turn(log: TurnLog, act: Callable[[], object], timeout: float = 10.0) -> TurnRecord:
    """Do something that makes exactly one turn and wait until it has ended."""
    seen = len(log.turns)
    act()
    await until(lambda: len(log.turns) > seen, timeout, "the turn to end")
    return log.turns[seen]


def small_roster(path, names: list[str]) -> None:
    """The example roster cut to the named people and the leaders: quick to bind, every role there."""
    with open(EXAMPLES / "roster.csv", encoding="utf-8-sig") as source:
        rows = list(csv.reader(source))
    leaders = {r[0] for r in rows[1:] if r[9] in ("主要领导", "分管领导")}
    keep = [rows[0]] + [r for r in rows[1:] if r[0] in set(names) | leaders]
    with open(path, "w", encoding="utf-8", newline="") as target:
        csv.writer(target).writerows(keep)


SMALL_BUREAU = ["周明远", "吴晓燕", "郑海涛", "冯雪梅", "陈立新", "杨建华", "严立军"]


@asynccontextmanager
async def rating_bureau(database_url: str, database, folder):
    """A small bureau (SMALL_BUREAU) on 14 October with the third quarter's rating open."""
    from tests.chat import ADMIN, at, bind_everyone, import_roster, running_bot

    small_roster(folder / "roster.csv", SMALL_BUREAU)
    await import_roster(database, folder / "roster.csv")
    async with running_bot(database_url, at(2026, 10, 14, 9, 30)) as bureau:
        await bind_everyone(bureau)
        assert "测评" in (await bureau.command(ADMIN, "open", "rating")).text
        await bureau.settle()
        try:
            yield bureau
        finally:
            await release_rows_connection(bureau)
