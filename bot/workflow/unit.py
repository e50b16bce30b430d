"""The unit of work every step of the cycle runs in: a transaction's repository, the outbox, clock, settings.

A chat turn, a scheduler tick, the command line or a web page each make one and call the workflow's
functions with it; those functions know nothing of where the request came from.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from bot.rendering import label, render
from bot.rules.workcalendar import WorkCalendar
from bot.settings import Settings
from bot.workflow.services import Services
from storage.models import ButtonRecord, OutboxMessage
from storage.repository import Repository

TOKEN_BYTES = 9  # 12 url-safe characters
SCHEDULER = 0  # the user id of the scheduler's own work
# Notices still true until acted on, sent once: one that met a chat not yet opened goes once it is.
REVIVED_KINDS = ("calendar_warning",)


class Refusal(Exception):
    """A step that cannot be done: nothing is written, the user gets this template's answer.

    The text is rendered at once, while the records it names are still loaded (the rollback expires them).
    `context` is what it was rendered from, for a caller to tell refusals apart; records in it may be
    expired once the transaction rolled back, so read plain values or the text, not their attributes.
    """

    def __init__(self, template: str, alert: bool = False, **context: Any) -> None:
        self.template, self.alert, self.context = template, alert, context
        self.text = render(template, **context)
        super().__init__(template)


@dataclass(frozen=True)
class Button:
    """A button to show: its label and its callback data (a server-side token and an argument), or, for a
    button that opens the rating sheet (a Telegram Mini App), the page's URL and no callback data."""

    text: str
    data: str = ""
    web_app: str | None = None

    @classmethod
    def opening(cls, text: str, url: str) -> Button:
        """A button opening the Mini App at `url` (Telegram accepts it in private chats only)."""
        return cls(text, web_app=url)

    def to_json(self) -> dict[str, str]:
        return (
            {"text": self.text, "web_app": self.web_app}
            if self.web_app
            else {"text": self.text, "data": self.data}
        )


Keyboard = list[list[Button]]


def keyboard_json(keyboard: Keyboard | None) -> str | None:
    if not keyboard:
        return None
    return json.dumps([[b.to_json() for b in row] for row in keyboard], ensure_ascii=False)


def keyboard_from_json(text: str | None) -> Keyboard | None:
    if not text:
        return None
    return [[Button(b["text"], b.get("data", ""), b.get("web_app")) for b in row] for row in json.loads(text)]


def sheet_url(settings: Settings) -> str | None:
    """The rating sheet's public HTTPS URL (settings `webapp.public_url`), or None: no sheet is offered."""
    webapp = getattr(settings, "webapp", None)
    return getattr(webapp, "public_url", None) or None


def button_data(token: str, arg: str | int = "") -> str:
    """Callback data for a token and an argument (both checked again when pressed)."""
    text = f"{token}:{arg}" if arg != "" else token
    if len(text.encode()) > 64:
        raise ValueError("callback data over 64 bytes")
    return text


class Work:
    """One unit of work: the repository of one transaction, who acts, and the messages it queues."""

    def __init__(self, services: Services, repo: Repository, user_id: int = SCHEDULER) -> None:
        self.services = services
        self.repo = repo
        self.user_id = user_id  # the Telegram user acting; SCHEDULER for the cycle's own work
        self.queued = False  # a message went into the outbox: the sender is woken after the commit
        self.on_commit: list[Callable[[], None]] = []  # in-memory state to change once the commit is done

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def now(self) -> dt.datetime:
        return self.services.clock.now()

    @property
    def calendar(self) -> WorkCalendar:
        return self.services.work_calendar()

    @property
    def today(self) -> dt.date:
        return self.calendar.localize(self.now).date()

    @property
    def actor(self) -> str:
        """Who the audit log names: the Telegram user, or the scheduler."""
        return f"tg:{self.user_id}" if self.user_id else "scheduler"

    @property
    def sheet_url(self) -> str | None:
        return sheet_url(self.settings)

    def sheet_keyboard(self) -> Keyboard | None:
        """One button opening the rating sheet, when the bot serves one."""
        url = self.sheet_url
        return [[Button.opening(self.label("button", "sheet"), url)]] if url else None

    def label(self, kind: str, value: Any) -> str:
        return label(kind, value)

    async def notify(
        self,
        key: str,
        chat_id: int | None,
        template: str,
        keyboard: Keyboard | None = None,
        /,
        *,
        person_id: int | None = None,
        kind: str = "notice",
        **context: Any,
    ) -> bool:
        """Queue a message to a chat in the outbox, in this transaction; once per key."""
        if chat_id is None:
            return False
        row = OutboxMessage(
            key=key,
            kind=kind,
            person_id=person_id,
            chat_id=chat_id,
            text=render(template, **{"score_places": self.settings.rules.score_places, **context}),
            reply_markup=keyboard_json(keyboard),
            created_at=self.now,
        )
        queued = await self.repo.queue_message(row)
        self.queued = self.queued or queued
        return queued

    async def button(
        self,
        kind: str,
        payload: dict[str, Any] | None = None,
        *,
        owner_id: int | None = None,
        expires_at: dt.datetime | None = None,
    ) -> str:
        """A new server-side button (owned by the acting user unless told); returns its token."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        self.repo.add_button(
            ButtonRecord(
                token=token,
                kind=kind,
                owner_id=self.user_id if owner_id is None else owner_id,
                payload=json.dumps(payload or {}, ensure_ascii=False, default=str),
                expires_at=expires_at,
            )
        )
        return token

    async def revive_notices(self, chat_id: int | None = None) -> int:
        """Standing notices (REVIVED_KINDS) that found a chat unreachable go again: to `chat_id` once its
        user opens the chat, or to any chat that has been reached since."""
        revived = await self.repo.revive_unreachable(REVIVED_KINDS, chat_id)
        self.queued = self.queued or revived > 0
        return revived

    async def admin_chat_ids(self) -> list[int]:
        """The chats of every admin: the configured ones and those granted in chat."""
        return sorted(set(self.settings.admins.ids) | await self.repo.admin_user_ids())

    async def tell_admins(self, key: str, template: str, *, kind: str, **context: Any) -> int:
        """The same notice to every admin, once per key and admin."""
        sent = 0
        for admin_id in await self.admin_chat_ids():
            sent += await self.notify(f"{key}:{admin_id}", admin_id, template, kind=kind, **context)
        return sent


@asynccontextmanager
async def unit_of_work(services: Services, *, user_id: int) -> AsyncIterator[Work]:
    """One unit of work in its own transaction, committed when the block ends (rolled back on an error);
    the sender is woken if it queued a message. For work outside a chat turn: a job (`user_id=SCHEDULER`),
    an export or a page (the user it is for)."""
    async with services.database.session() as session:
        work = Work(services, Repository(session), user_id)
        yield work
    for change in work.on_commit:
        change()
    if work.queued:
        services.outbox_wakeup.set()
