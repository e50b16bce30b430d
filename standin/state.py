"""The stand-in's world as it changes: who and what exists, the update queue, the logs, a change signal."""

from __future__ import annotations

import asyncio
import copy
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from standin.objects import JSON, CallbackQuery, Chat, Message, StoredFile, User

# Update types Telegram sends when allowed_updates was never given (or given as []).
DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


@dataclass
class PendingUpdate:
    """An update waiting to be confirmed (polling) or accepted (webhook)."""

    update_id: int
    payload: JSON
    redelivery: bool = False  # a deliberate duplicate: delivered alone, even below the offset
    delivered: bool = False


@dataclass
class Webhook:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass(frozen=True)
class LoggedRequest:
    """One Bot API call as the stand-in answered it."""

    time: float
    method: str
    chat_id: int | str | None
    status: int
    description: str | None = None


@dataclass(frozen=True)
class WebhookAttempt:
    """One POST of an update to the webhook: the HTTP status, or the error when there was none."""

    time: float
    update_id: int
    status: int | None
    error: str | None = None


def update_type(payload: JSON) -> str:
    """The kind of an update: the name of its one field besides update_id."""
    return next((key for key in payload if key != "update_id"), "")


def scope_key(scope: JSON | None) -> str:
    """A canonical key for a BotCommandScope (chat ids as integers)."""
    scope = dict(scope or {"type": "default"})
    for key in ("chat_id", "user_id"):
        if isinstance(scope.get(key), str) and scope[key].lstrip("-").isdigit():
            scope[key] = int(scope[key])
    return json.dumps(scope, sort_keys=True, separators=(",", ":"))


class State:
    """Everything the stand-in knows, plus a change signal that wakes waiters on every mutation."""

    def __init__(self, bot: User, *, first_update_id: int = 1) -> None:
        self.bot = bot
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.messages: dict[int, list[Message]] = {}
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.callback_queries: dict[str, CallbackQuery] = {}
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.menu_buttons: dict[int, JSON] = {}  # private chat id (0: every chat's default) -> MenuButton
        self.pending: list[PendingUpdate] = []
        self.archive: dict[int, JSON] = {}  # every update ever queued, by id
        self.allowed_updates: list[str] | None = None
        self.webhook: Webhook | None = None
        self.requests: list[LoggedRequest] = []
        self.webhook_attempts: list[WebhookAttempt] = []
        self.poll_generation = 0
        self.closing = False
        self.waiting_polls = 0  # getUpdates calls waiting for an update right now
        self._next_update_id = first_update_id
        self._file_number = 0
        self._changed = asyncio.Event()

    # -- change notification -------------------------------------------------------------------

    def changed(self) -> None:
        """Wake everything waiting for a change."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_change(self, timeout: float) -> bool:
        """Wait for the next change, at most `timeout` seconds; False on timeout."""
        event = self._changed
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def wait_until(self, predicate: Callable[[], Any], timeout: float) -> Any:
        """The first truthy value of `predicate()`, evaluated now and after every change."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError
            await self.wait_change(remaining)

    # -- people and chats ----------------------------------------------------------------------

    def add_user(self, user: User) -> User:
        self.users[user.id] = user
        self.changed()
        return user

    def private_chat(self, user: User) -> Chat:
        chat = self.chats.get(user.id)
        if chat is None:
            chat = Chat(id=user.id, type="private", user=user)
            self.chats[user.id] = chat
            self.messages[user.id] = []
        return chat

    def add_group(self, chat: Chat) -> Chat:
        self.chats[chat.id] = chat
        self.messages.setdefault(chat.id, [])
        self.changed()
        return chat

    def find_message(self, chat_id: int, message_id: int) -> Message | None:
        for message in self.messages.get(chat_id, ()):
            if message.message_id == message_id:
                return message
        return None

    def add_message(self, chat: Chat, sender: User, **fields: Any) -> Message:
        chat.last_message_id += 1
        message = Message(
            chat=chat, message_id=chat.last_message_id, date=int(time.time()), sender=sender, **fields
        )
        self.messages.setdefault(chat.id, []).append(message)
        self.changed()
        return message

    # -- files ---------------------------------------------------------------------------------

    def store_file(self, kind: str, data: bytes, **fields: Any) -> StoredFile:
        self._file_number += 1
        number = self._file_number
        stored = StoredFile(
            file_id=("BQACAgUAAxkB" if kind == "document" else "AgACAgUAAxkB") + secrets.token_urlsafe(30),
            file_unique_id="AgAD" + secrets.token_urlsafe(9),
            kind=kind,
            data=data,
            **fields,
        )
        extension = ".jpg" if kind == "photo" else ""  # Telegram re-encodes photos as JPEG
        if kind == "document" and stored.file_name and "." in stored.file_name:
            extension = "." + stored.file_name.rsplit(".", 1)[1]
        stored.file_path = f"{'documents' if kind == 'document' else 'photos'}/file_{number}{extension}"
        self.files[stored.file_id] = stored
        self.files_by_path[stored.file_path] = stored
        return stored

    # -- updates -------------------------------------------------------------------------------

    def is_allowed(self, kind: str) -> bool:
        if not self.allowed_updates:
            return kind not in DEFAULT_EXCLUDED_UPDATES
        return kind in self.allowed_updates

    def enqueue(self, payload: JSON) -> int | None:
        """Queue an update (its id assigned unless given); None when allowed_updates filters it out."""
        payload = copy.deepcopy(payload)
        if "update_id" not in payload:
            payload = {"update_id": self._next_update_id, **payload}
        if not self.is_allowed(update_type(payload)):
            return None
        update_id = int(payload["update_id"])
        self._next_update_id = max(self._next_update_id, update_id + 1)  # ids only grow, as Telegram's
        self.archive[update_id] = payload
        self.pending.append(PendingUpdate(update_id, payload))
        self.changed()
        return update_id

    def redeliver(self, update_id: int) -> None:
        """Queue an already queued update once more, same id and payload."""
        payload = self.archive.get(update_id)
        if payload is None:
            raise KeyError(update_id)
        self.pending.append(PendingUpdate(update_id, copy.deepcopy(payload), redelivery=True))
        self.changed()

    def confirm(self, offset: int) -> None:
        """getUpdates' offset: forget updates below it (a duplicate not yet delivered stays)."""
        if offset > 0:
            before = len(self.pending)
            self.pending = [
                u for u in self.pending if u.update_id >= offset or (u.redelivery and not u.delivered)
            ]
            if len(self.pending) != before:
                self.changed()
        elif offset < 0:
            self.pending = self.pending[offset:]
            self.changed()

    def next_batch(self, limit: int) -> list[PendingUpdate]:
        """The updates getUpdates returns now; a duplicate always travels alone."""
        batch: list[PendingUpdate] = []
        for update in self.pending:
            if update.redelivery and not update.delivered:
                if not batch:
                    batch.append(update)
                break
            batch.append(update)
            if len(batch) >= limit:
                break
        for update in batch:
            update.delivered = True
        return batch

    def drop_pending(self) -> None:
        self.pending.clear()
        self.changed()

    # -- requests ------------------------------------------------------------------------------

    def log(self, entry: LoggedRequest) -> None:
        self.requests.append(entry)
        self.changed()
