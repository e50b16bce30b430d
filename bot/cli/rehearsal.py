"""A bureau played through the stand-in: the real bot, users driven by name, a clock moved by hand.

The demo plays a quarter with it; the tests use it to drive the real Application over HTTP.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from bot.app import _on_start, _on_stop, build_application
from bot.records.roster_file import parse_roster
from bot.records.spreadsheets import read_table
from bot.settings import load_settings
from bot.workflow.clock import FixedClock
from bot.workflow.services import Services
from standin import MessageView, StandIn, scaled
from storage.database import Database
from storage.repository import Repository

TOKEN = "123456:TEST-token_for-the-bot"
ADMIN = 900_000_001
GROUP = -1_002_003_004
FIRST_USER_ID = 500_000_001
TZ = ZoneInfo("Asia/Shanghai")
INVITE = re.compile(r"^(.+?)：https://t\.me/\w+\?start=([\w-]+)$", re.M)


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=TZ)


@dataclass
class Bureau:
    """The running bot, the stand-in, and the people by name."""

    api: StandIn
    services: Services
    clock: FixedClock
    users: dict[str, int] = field(default_factory=dict)
    database: Database | None = None
    application: object | None = None

    @property
    def driver(self):
        return self.api.driver

    def user(self, name: str) -> int:
        return self.users[name]

    async def command(
        self, user_id: int, name: str, args: str = "", *, chat_id: int | None = None, count: int = 1
    ) -> MessageView:
        """Send a command and return the bot's (last of `count`) answer in that chat."""
        chat = chat_id if chat_id is not None else user_id
        self.driver.send_command(user_id, name, args, chat_id=chat_id)
        return await self.driver.wait_for_bot_message(chat, count)

    async def text(self, user_id: int, text: str, *, count: int = 1) -> MessageView:
        self.driver.send_text(user_id, text)
        return await self.driver.wait_for_bot_message(user_id, count)

    async def press(
        self, user_id: int, message: MessageView, label: str | None = None, *, data: str | None = None
    ):
        """Press a button and wait for its answer; returns (answer, the message as it is now)."""
        query = self.driver.press(user_id, message, data, label=label)
        answer = await self.driver.wait_for_callback_answer(query)
        return answer, self.driver.message(message.chat_id, message.message_id)

    async def settle(self, timeout: float = 20.0) -> None:
        """Until every update is taken and the outbox is empty."""
        await self.driver.wait_until_confirmed(timeout=timeout)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + scaled(timeout)
        while True:
            async with self.services.database.session() as session:
                pending = await Repository(session).pending_count()
            if not pending:
                return
            self.services.outbox_wakeup.set()
            if loop.time() > deadline:
                raise TimeoutError(f"{pending} outbox messages still pending")
            await asyncio.sleep(0.02)

    async def expect(self, chat_id: int, needle: str, timeout: float = 10.0) -> MessageView:
        """The newest bot message in the chat containing `needle`, once there is one."""

        def found() -> MessageView | None:
            for message in reversed(self.driver.bot_messages(chat_id)):
                if needle in (message.text or ""):
                    return message
            return None

        return await self.driver.wait_for(found, timeout, f"{needle!r} in chat {chat_id}")

    def last(self, chat_id: int) -> MessageView:
        return self.driver.last_bot_message(chat_id)


async def import_roster(database: Database, path, actor: str = "rehearsal") -> None:
    records, errors = parse_roster(read_table(path))
    if errors:
        raise ValueError(f"the roster {path} has errors: {errors[:3]}")
    async with database.session() as session:
        await Repository(session).upsert_roster(records, actor)


@asynccontextmanager
async def running_bot(
    database_url: str, moment: dt.datetime, *, limits=None, **overrides
) -> AsyncIterator[Bureau]:
    """The real Application, polling the stand-in over HTTP, on a clock the test moves."""
    async with StandIn(token=TOKEN, limits=limits) as api:
        settings = load_settings(
            telegram={"token": TOKEN, "api_url": api.base_url, "file_url": api.base_file_url},
            database={"url": database_url},
            admins={"ids": [ADMIN]},
            **{
                "delivery": {"per_second": 1000, "per_chat_interval": 0, "group_per_minute": 1000},
                "schedule": {"tick_seconds": 0},  # whoever plays the bureau ticks the scheduler
                **overrides,
            },
        )
        clock = FixedClock(moment)
        database = Database(database_url)
        services = Services(settings, database, clock)
        application = build_application(settings, services)
        await application.initialize()
        await _on_start(application)
        await application.start()
        await application.updater.start_polling(poll_interval=0.0, timeout=1)
        bureau = Bureau(api, services, clock, database=database, application=application)
        bureau.driver.add_user(ADMIN, "Admin")
        try:
            yield bureau
        finally:
            await application.updater.stop()
            await application.stop()
            await _on_stop(application)
            await application.shutdown()


async def bind_everyone(bureau: Bureau) -> None:
    """Invite the whole roster and let each person open his link."""
    async with bureau.services.database.session() as session:
        people = await Repository(session).people(active_only=True)
    reply = await bureau.command(ADMIN, "invite", "all")
    links = dict(INVITE.findall(reply.text))
    if len(links) != len(people):
        raise RuntimeError(f"{len(links)} invite links for {len(people)} people")
    for person in sorted(people, key=lambda p: p.id):
        user_id = FIRST_USER_ID + person.id
        bureau.driver.add_user(user_id, person.name)
        bureau.users[person.name] = user_id
        bureau.driver.send_command(user_id, "start", links[person.name])
    for user_id in bureau.users.values():
        await bureau.driver.wait_for_bot_message(user_id)
