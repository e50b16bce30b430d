"""The outbox sender: messages the bot sends on its own leave the database once, within Telegram's limits."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections import deque

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonDefault,
    MenuButtonWebApp,
    WebAppInfo,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.rendering import chunks, label
from bot.rules.domain import OutboxStatus
from bot.rules.menus import menu_commands
from bot.workflow.menus import standings
from bot.workflow.services import Services
from bot.workflow.unit import Button, Keyboard, Work, keyboard_from_json, sheet_url
from storage.database import connection_lost
from storage.models import OutboxMessage, utcnow
from storage.repository import Repository

log = logging.getLogger(__name__)


def markup(keyboard: Keyboard | None) -> InlineKeyboardMarkup | None:
    """A keyboard as Telegram's inline markup."""
    if not keyboard:
        return None
    return InlineKeyboardMarkup([[_inline_button(b) for b in row] for row in keyboard])


def _inline_button(button: Button) -> InlineKeyboardButton:
    if button.web_app:
        return InlineKeyboardButton(button.text, web_app=WebAppInfo(button.web_app))
    return InlineKeyboardButton(button.text, callback_data=button.data)


BATCH = 100
MAX_BACKOFF = 300.0
MAX_ATTEMPTS = 8  # for Telegram errors other than network trouble
DATABASE_PAUSE = 2.0  # seconds before the sender looks again when the database cannot serve


class Pacer:
    """Telegram's limits: about 30 messages a second overall, 1 a second per chat, 20 a minute per group."""

    def __init__(
        self, per_second: float = 28.0, per_chat_interval: float = 1.05, group_per_minute: int = 19
    ) -> None:
        self.interval = 1.0 / per_second
        self.per_chat_interval = per_chat_interval
        self.group_per_minute = group_per_minute
        self.next_global = 0.0
        self.next_chat: dict[int, float] = {}
        self.group_sent: dict[int, deque[float]] = {}

    def ready_at(self, chat_id: int) -> float:
        """When a message to `chat_id` may go (monotonic seconds)."""
        at = max(self.next_global, self.next_chat.get(chat_id, 0.0))
        if chat_id < 0:
            sent = self.group_sent.get(chat_id, deque())
            if len(sent) >= self.group_per_minute:
                at = max(at, sent[-self.group_per_minute] + 60.0)
        return at

    def sent(self, chat_id: int, at: float) -> None:
        # A message that left late does not push the schedule back by all its delay: up to half an
        # interval is caught up. Any 31 messages in a row still span 28.5 intervals (over a second
        # at 28/s), however late each one reaches Telegram, since each leaves after the one before.
        self.next_global = max(self.next_global, at - self.interval / 2) + self.interval
        self.next_chat[chat_id] = at + self.per_chat_interval
        if chat_id < 0:
            window = self.group_sent.setdefault(chat_id, deque())
            window.append(at)
            while window and window[0] < at - 60.0:
                window.popleft()

    def pause(self, seconds: float) -> None:
        self.next_global = max(self.next_global, time.monotonic() + seconds)


class OutboxSender:
    """Drains pending outbox rows; a row is marked sent only after Telegram accepted it."""

    def __init__(self, bot: Bot, services: Services, pacer: Pacer | None = None) -> None:
        self.bot = bot
        self.services = services
        limits = services.settings.delivery
        self.pacer = pacer or Pacer(limits.per_second, limits.per_chat_interval, limits.group_per_minute)
        self._task: asyncio.Task | None = None
        self._stopping = False
        # What Telegram accepted of each row not yet done with (row id -> parts sent, and the last
        # part's message id once all went). When the database could not take a part's record or the
        # sent mark, the retry goes on from here, not from the stale count in the row. A row leaves it
        # once its outcome (sent, failed, unreachable) is recorded.
        self._delivered: dict[int, tuple[int, int | None]] = {}
        # The command menu each chat was given (bot.rules.menus): a chat's menu is set again only when
        # what he may do changes (a phase opens or closes, his ballots are all in, his role changes).
        self._menus: dict[int, tuple[str, ...]] = {}
        # Whether each chat's menu button opens the rating sheet (unknown after a start: set once).
        self._sheet_buttons: dict[int, bool] = {}
        self._menus_next = 0.0  # monotonic time of the next menu round (DeliverySettings.menu_interval)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self) -> None:
        self._stopping = True
        self.services.outbox_wakeup.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while not self._stopping:
            try:
                delay = await self.drain_once()
                if time.monotonic() >= self._menus_next:
                    self._menus_next = time.monotonic() + self.services.settings.delivery.menu_interval
                    await self.sync_menus()
            except Exception as exc:
                if connection_lost(exc):
                    log.warning("outbox: the database cannot serve now (%s), looking again later", exc)
                else:
                    log.exception("outbox drain failed")
                delay = 5.0
            wakeup = self.services.outbox_wakeup
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wakeup.wait(), timeout=delay)
            wakeup.clear()

    async def sync_menus(self) -> None:
        """Give each chat whose commands changed its menu (one setMyCommands per chat and change, within
        the overall rate); a chat the bot cannot reach gets its menu with /start."""
        async with self.services.database.session() as session:
            found = await standings(Work(self.services, Repository(session)))
        await self._sync_menu_buttons(found)
        wanted = {chat: tuple(c.name for c in menu_commands(s)) for chat, s in found.items()}
        wanted.update({chat: () for chat in self._menus if chat not in wanted})  # no longer anyone's
        for chat, names in wanted.items():
            if self._stopping or self._menus.get(chat, None if names else ()) == names:
                continue
            await self._global_slot()
            scope = BotCommandScopeChat(chat)
            try:
                if names:
                    commands = [BotCommand(n, label("command", n)[:256]) for n in names]
                    await self.bot.set_my_commands(commands, scope=scope)
                else:
                    await self.bot.delete_my_commands(scope=scope)
            except RetryAfter as exc:
                seconds = exc.retry_after
                self.pacer.pause(seconds.total_seconds() if isinstance(seconds, dt.timedelta) else seconds)
                return
            except (BadRequest, Forbidden) as exc:  # not opened or blocked: /start sets it
                log.info("menu for %s not set: %s", chat, exc)
            except (TimedOut, NetworkError) as exc:  # tried again on the next round
                log.info("menu for %s not set now: %s", chat, exc)
                return
            except TelegramError as exc:
                log.info("menu for %s not set: %s", chat, exc)
            self._menus[chat] = names

    async def _global_slot(self) -> None:
        """Wait for the overall rate to allow one more call, and take it."""
        delay = self.pacer.next_global - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        self.pacer.next_global = max(self.pacer.next_global, time.monotonic()) + self.pacer.interval

    async def _sync_menu_buttons(self, found: dict) -> None:
        """A rater with ballots to give in an open rating gets the chat menu button that opens the rating
        sheet; everyone else (rating closed, all his ballots in) the default one. Only when a sheet is
        served (settings webapp.public_url)."""
        url = sheet_url(self.services.settings)
        # No sheet (public_url removed) or a chat no longer listed (unbound, deactivated): the default one.
        wanted_by = {chat: bool(url) and standing.ballots_to_give for chat, standing in found.items()}
        wanted_by.update(
            {chat: False for chat, had in self._sheet_buttons.items() if had and chat not in found}
        )
        for chat, wanted in wanted_by.items():
            standing = found.get(chat)
            if self._stopping or self._sheet_buttons.get(chat) is wanted:
                continue
            if not wanted and chat not in self._sheet_buttons and (standing is None or not standing.bound):
                continue  # an admin who is no one's rater never had it
            await self._global_slot()
            button = MenuButtonWebApp(label("button", "sheet_menu"), WebAppInfo(url)) if wanted else None
            try:
                await self.bot.set_chat_menu_button(chat, button or MenuButtonDefault())
            except RetryAfter as exc:
                seconds = exc.retry_after
                self.pacer.pause(seconds.total_seconds() if isinstance(seconds, dt.timedelta) else seconds)
                return
            except (TimedOut, NetworkError) as exc:
                log.info("menu button for %s not set now: %s", chat, exc)
                return
            except TelegramError as exc:  # not opened or blocked: not tried again until it changes
                log.info("menu button for %s not set: %s", chat, exc)
            self._sheet_buttons[chat] = wanted

    async def pending(self) -> list[OutboxMessage]:
        async with self.services.database.session() as session:
            return await Repository(session).pending_messages(utcnow(), BATCH)

    async def next_due_in(self, longest: float = 5.0) -> float:
        """Seconds until the earliest pending row that waits (a retry's back-off), at most `longest`."""
        async with self.services.database.session() as session:
            soonest = await Repository(session).earliest_pending()
        if soonest is None:
            return longest
        return min(longest, max(0.05, (soonest - utcnow()).total_seconds()))

    async def drain_once(self) -> float:
        """Send what is due; returns how long to wait before looking again."""
        rows = await self.pending()
        if not rows:
            return await self.next_due_in()
        waiting: list[OutboxMessage] = list(rows)
        while waiting and not self._stopping:
            now = time.monotonic()
            ready = [r for r in waiting if self.pacer.ready_at(r.chat_id) <= now]
            if not ready:
                soonest = min(self.pacer.ready_at(r.chat_id) for r in waiting)
                await asyncio.sleep(max(0.0, soonest - now))
                continue
            row = ready[0]
            waiting.remove(row)
            self.pacer.sent(row.chat_id, time.monotonic())
            retry = await self.send(row)
            if retry is not None:
                self.pacer.pause(retry)
                return retry
        return 0.0

    async def _next_slot(self, chat_id: int) -> None:
        """Wait until the pacer lets one more message go to the chat, and take that slot."""
        delay = self.pacer.ready_at(chat_id) - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        self.pacer.sent(chat_id, time.monotonic())

    async def send(self, row: OutboxMessage) -> float | None:
        """Send one row and record the outcome; returns a pause when Telegram asked for one, or when the
        database could not take the record: the row then stays pending and goes on later from what
        Telegram accepted (a database blip neither ends a message nor sends a part twice)."""
        try:
            return await self._send(row)
        except Exception as exc:
            if not connection_lost(exc):
                raise
            log.warning("outbox row %s: the database cannot serve now (%s), retried later", row.id, exc)
            return DATABASE_PAUSE

    async def _send(self, row: OutboxMessage) -> float | None:
        try:
            parts = chunks(row.text)
            done, message_id = self._delivered.get(row.id, (0, None))
            if message_id is None:
                message_id = await self._send_parts(row, parts, max(done, row.parts_sent))
        except RetryAfter as exc:
            seconds = (
                exc.retry_after.total_seconds()
                if isinstance(exc.retry_after, dt.timedelta)
                else exc.retry_after
            )
            log.warning("outbox: Telegram asks to wait %ss", seconds)
            return float(seconds)
        except Forbidden as exc:
            await self._unreachable(row, str(exc))
        except BadRequest as exc:
            if "chat not found" in str(exc).lower():
                await self._unreachable(row, str(exc))
            else:
                await self._mark(row, OutboxStatus.FAILED, error=str(exc))
                await self._tell_admins_about_group(row, str(exc))
        except (TimedOut, NetworkError) as exc:
            await self._retry_later(row, str(exc))
        except TelegramError as exc:  # e.g. the group became a supergroup (ChatMigrated): not for ever
            if row.attempts + 1 >= MAX_ATTEMPTS:
                await self._mark(row, OutboxStatus.FAILED, error=str(exc))
                await self._tell_admins_about_group(row, str(exc))
            else:
                await self._retry_later(row, str(exc))
        except Exception as exc:  # a row the bot cannot even build: fail it, never block the others
            if connection_lost(exc):  # not the row's fault: it is sent later
                raise
            log.exception("outbox row %s cannot be sent", row.id)
            await self._mark(row, OutboxStatus.FAILED, error=f"{type(exc).__name__}: {exc}")
        else:
            await self._mark(row, OutboxStatus.SENT, message_id=message_id, parts=len(parts))
        return None

    async def _send_parts(self, row: OutboxMessage, parts: list[str], done: int) -> int:
        """Send the parts from `done` on; returns the message id of the last one (the one with buttons)."""
        # A long text goes as several messages, the buttons on the last. Each part is recorded as sent
        # once Telegram accepted it, so a retry (or a restart) goes on with the next part; only a part in
        # flight when the process dies may arrive twice: a part is never lost.
        first = min(done, len(parts) - 1)
        for number in range(first, len(parts) - 1):
            if number > first:
                await self._next_slot(row.chat_id)  # each part is a message to Telegram's limits
            await self.bot.send_message(row.chat_id, parts[number])
            self._delivered[row.id] = (number + 1, None)
            await self._parts_sent(row, number + 1)
        if len(parts) - 1 > first:
            await self._next_slot(row.chat_id)
        message = await self.bot.send_message(
            row.chat_id, parts[-1], reply_markup=markup(keyboard_from_json(row.reply_markup))
        )
        self._delivered[row.id] = (len(parts), message.message_id)
        return message.message_id

    async def _parts_sent(self, row: OutboxMessage, count: int) -> None:
        """Record, in its own committed transaction, that the first `count` parts of a row went."""
        async with self.services.database.session() as session:
            stored = await Repository(session).get(OutboxMessage, row.id)
            stored.parts_sent = count
        row.parts_sent = count

    async def _mark(
        self,
        row: OutboxMessage,
        status: OutboxStatus,
        *,
        message_id: int | None = None,
        error: str | None = None,
        parts: int | None = None,
    ) -> None:
        async with self.services.database.session() as session:
            stored = await Repository(session).get(OutboxMessage, row.id)
            stored.status = status
            stored.attempts += 1
            if status is OutboxStatus.SENT:
                stored.sent_at = utcnow()
                stored.message_id = message_id
                stored.parts_sent = parts or stored.parts_sent
            stored.last_error = error[:500] if error else None
        self._delivered.pop(row.id, None)  # the row is done with, and says so itself

    async def _tell_admins(self, session, key: str, kind: str, template: str, **context) -> None:
        """One message to every admin, once per key (bootstrap admins and those granted in chat)."""
        await Work(self.services, Repository(session)).tell_admins(key, template, kind=kind, **context)
        self.services.outbox_wakeup.set()

    async def _tell_admins_about_group(self, row: OutboxMessage, error: str, session=None) -> None:
        """A message to the group that cannot go (bot removed, group changed): the admins must know."""
        if row.chat_id >= 0:
            return
        if session is None:
            async with self.services.database.session() as own:
                await self._tell_admins_about_group(row, error, own)
            return
        await self._tell_admins(
            session,
            f"group_undelivered:{row.id}",
            "group_undelivered",
            "chat/admin/group_undelivered.j2",
            message_kind=row.kind,
            error=error[:200],
        )

    async def _retry_later(self, row: OutboxMessage, error: str) -> None:
        async with self.services.database.session() as session:
            stored = await Repository(session).get(OutboxMessage, row.id)
            stored.attempts += 1
            backoff = min(MAX_BACKOFF, 2.0 ** min(stored.attempts, 8))
            stored.not_before = utcnow() + dt.timedelta(seconds=backoff)
            stored.last_error = error[:500]

    async def _unreachable(self, row: OutboxMessage, error: str) -> None:
        """The user blocked the bot or never opened it: mark him and tell the admins once."""
        async with self.services.database.session() as session:
            stored = await Repository(session).get(OutboxMessage, row.id)
            stored.status = OutboxStatus.UNREACHABLE
            stored.attempts += 1
            stored.last_error = error[:500]
            if row.person_id is None:
                await self._tell_admins_about_group(row, error, session)
            else:
                await self._tell_admins_about_person(session, row.person_id, error)
        self._delivered.pop(row.id, None)
        self.services.outbox_wakeup.set()

    async def _tell_admins_about_person(self, session, person_id: int, error: str) -> None:
        person = await Repository(session).person(person_id)
        if person is not None and person.unreachable_since is None:
            person.unreachable_since = utcnow()
        await self._tell_admins(
            session,
            f"unreachable:{person_id}",
            "unreachable",
            "chat/admin/unreachable.j2",
            name=person.name if person else "",
            blocked="blocked" in error.lower(),
        )
