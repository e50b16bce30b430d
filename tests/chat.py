"""The tests' bureau in chat: the package's rehearsal harness (the real Application and the stand-in)."""

from __future__ import annotations

import asyncio
from collections import Counter
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from bot.cli import rehearsal
from bot.cli.rehearsal import ADMIN, GROUP, TOKEN, TZ, Bureau, at, bind_everyone, import_roster
from standin import MessageView
from tests.conftest import EXAMPLES

__all__ = [
    "ADMIN",
    "GROUP",
    "TOKEN",
    "TZ",
    "Bureau",
    "Command",
    "Press",
    "Text",
    "at",
    "at_once",
    "bind_everyone",
    "example_bureau",
    "import_roster",
    "running_bot",
]


# The tests' bureaus have followed the cycle since long before their clock starts (their quarters are
# played from a roster loaded the same morning); tests/test_chat_going_live.py passes start={} for the
# default a real bureau gets: the first whole month after the roster is loaded.
FOLLOWED_SINCE = {"first_month": "2026-01"}


@asynccontextmanager
async def example_bureau(database_url: str, database, moment, **overrides):
    """The example roster loaded, the bot running at `moment`, everyone bound and the outbox settled."""
    await import_roster(database, EXAMPLES / "roster.csv")
    async with running_bot(database_url, moment, **overrides) as bureau:
        await bind_everyone(bureau)
        await bureau.settle()
        yield bureau


def running_bot(database_url: str, moment, *, limits=None, **overrides):
    """bot.cli.rehearsal.running_bot, the bot taking part since January 2026 unless `start` is given."""
    overrides.setdefault("start", FOLLOWED_SINCE)
    return rehearsal.running_bot(database_url, moment, limits=limits, **overrides)


@dataclass(frozen=True)
class Command:
    """A user sends /name args in his private chat."""

    user_id: int
    name: str
    args: str = ""


@dataclass(frozen=True)
class Text:
    """A user sends a text (not a command) in his private chat."""

    user_id: int
    text: str


@dataclass(frozen=True)
class Press:
    """A user presses the button with this label on a message."""

    user_id: int
    message: MessageView
    label: str


async def at_once(bureau: Bureau, *acts: Command | Text | Press) -> list[Any]:
    """Several users act at the same moment: every update is queued before the bot takes any, so the bot
    gets them in one batch and runs their turns concurrently (PTB's concurrent_updates), each in its own
    transaction. Returns, in the order given, a command's reply or a press's (answer, message as it is)."""
    await _warm_pool(bureau, len(acts))
    driver = bureau.driver
    queries: dict[int, str] = {}
    per_chat: Counter[int] = Counter()
    for index, act in enumerate(acts):
        if isinstance(act, Press):
            queries[index] = driver.press(act.user_id, act.message, label=act.label)
        elif isinstance(act, Text):
            driver.send_text(act.user_id, act.text)
            per_chat[act.user_id] += 1
        else:
            driver.send_command(act.user_id, act.name, act.args)
            per_chat[act.user_id] += 1
    replies = {chat: list(await driver.wait_for_bot_messages(chat, n)) for chat, n in per_chat.items()}
    outcomes: list[Any] = []
    for index, act in enumerate(acts):
        if isinstance(act, Press):
            answer = await driver.wait_for_callback_answer(queries[index])
            outcomes.append((answer, driver.message(act.message.chat_id, act.message.message_id)))
        else:
            outcomes.append(replies[act.user_id].pop(0))
    return outcomes


async def _warm_pool(bureau: Bureau, count: int) -> None:
    """Have `count` connections idle in the bot's pool, so that no turn waits to connect while the other
    runs ahead: the turns start together and really overlap."""

    async def hold() -> None:
        async with bureau.services.database.engine.connect() as connection:
            await connection.exec_driver_sql("SELECT 1")
            await asyncio.sleep(0.05)

    await asyncio.gather(*(hold() for _ in range(count)))
