"""The test side of the stand-in: people who write, press and block, and views of what the bot did."""

from __future__ import annotations

import base64
import copy
import mimetypes
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from standin.formatting import utf16_length
from standin.limits import Clock, Fault, Faults
from standin.methods import image_size
from standin.state import (
    JSON,
    CallbackQuery,
    Chat,
    LoggedRequest,
    Message,
    State,
    StoredFile,
    User,
    WebhookAttempt,
    chat_member,
    scope_key,
)

_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w@/])")
_MENTION = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{5,32}\b")


class DriverError(Exception):
    """A driver call no real user could make: an unknown person or chat, a button that is not there..."""


@dataclass(frozen=True)
class FileView:
    """A stored file, bytes included."""

    file_id: str
    file_unique_id: str
    kind: str
    file_name: str | None
    mime_type: str | None
    size: int
    data: bytes = field(repr=False)
    width: int
    height: int
    file_path: str

    @classmethod
    def of(cls, stored: StoredFile) -> FileView:
        return cls(
            stored.file_id,
            stored.file_unique_id,
            stored.kind,
            stored.file_name,
            stored.mime_type,
            stored.size,
            stored.data,
            stored.width,
            stored.height,
            stored.file_path,
        )

    def to_dict(self) -> JSON:
        data = asdict(self)
        data["data"] = base64.b64encode(self.data).decode("ascii")
        return data


@dataclass(frozen=True)
class MessageView:
    """A snapshot of one message as a chat shows it: current text, keyboard, edits, deletion, files."""

    chat_id: int
    message_id: int
    from_bot: bool
    sender_id: int
    date: int
    text: str | None
    entities: list[JSON]
    caption: str | None
    caption_entities: list[JSON]
    source: str | None  # text or caption before its parse mode was applied
    parse_mode: str | None
    reply_markup: JSON | None
    reply_to_message_id: int | None
    edits: int
    edit_date: int | None
    deleted: bool
    pinned: bool
    delivered: bool
    document: FileView | None
    photo: FileView | None

    @classmethod
    def of(cls, message: Message) -> MessageView:
        return cls(
            chat_id=message.chat.id,
            message_id=message.message_id,
            from_bot=message.sender.is_bot,
            sender_id=message.sender.id,
            date=message.date,
            text=message.text,
            entities=copy.deepcopy(message.entities),
            caption=message.caption,
            caption_entities=copy.deepcopy(message.caption_entities),
            source=message.source,
            parse_mode=message.parse_mode,
            reply_markup=copy.deepcopy(message.reply_markup),
            reply_to_message_id=message.reply_to.message_id if message.reply_to else None,
            edits=message.edits,
            edit_date=message.edit_date,
            deleted=message.deleted,
            pinned=message.pinned,
            delivered=message.delivered,
            document=FileView.of(message.document) if message.document else None,
            photo=FileView.of(message.photo) if message.photo else None,
        )

    @property
    def content(self) -> str:
        """The text, or the caption of a file ('' when neither)."""
        return self.text if self.text is not None else (self.caption or "")

    @property
    def buttons(self) -> list[list[JSON]]:
        """The rows of the inline keyboard ([] without one)."""
        if self.reply_markup is None:
            return []
        return self.reply_markup.get("inline_keyboard", [])

    def callback_data(self, label: str) -> str:
        """The callback_data of the button labelled `label`."""
        for row in self.buttons:
            for button in row:
                if button.get("text") == label and "callback_data" in button:
                    return button["callback_data"]
        raise DriverError(f"message {self.message_id} has no button labelled {label!r}")

    def to_dict(self) -> JSON:
        data = asdict(self)
        data["document"] = self.document.to_dict() if self.document else None
        data["photo"] = self.photo.to_dict() if self.photo else None
        return data


@dataclass(frozen=True)
class CallbackAnswer:
    """A button press and how the bot answered it (answered False: not yet)."""

    query_id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    answered: bool
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int
    answered_at: float | None

    @classmethod
    def of(cls, query: CallbackQuery) -> CallbackAnswer:
        return cls(
            query.id,
            query.user.id,
            query.message.chat.id,
            query.message.message_id,
            query.data,
            query.answered,
            query.text,
            query.show_alert,
            query.url,
            query.cache_time,
            query.answered_at,
        )

    def to_dict(self) -> JSON:
        return asdict(self)


def detect_entities(text: str) -> list[JSON]:
    """The bot_command and mention entities Telegram marks in a user's text."""
    entities: list[JSON] = []
    for pattern, kind in ((_COMMAND, "bot_command"), (_MENTION, "mention")):
        for match in pattern.finditer(text):
            entities.append(
                {
                    "type": kind,
                    "offset": utf16_length(text[: match.start()]),
                    "length": utf16_length(match.group()),
                }
            )
    return sorted(entities, key=lambda e: e["offset"])


class Driver:
    """Plays the people around the bot and reads what the bot did, in the stand-in's event loop."""

    def __init__(self, state: State, faults: Faults, *, clock: Clock, privacy_mode: bool) -> None:
        self.state = state
        self.faults = faults
        self.clock = clock
        self.privacy_mode = privacy_mode
        self._next_user_id = 100_000_001

    # -- people and chats ----------------------------------------------------------------------

    @property
    def bot_user(self) -> JSON:
        return self.state.bot.to_api()

    def add_user(
        self,
        user_id: int | None = None,
        first_name: str = "User",
        *,
        username: str | None = None,
        last_name: str | None = None,
        language_code: str | None = None,
    ) -> JSON:
        """A person who has not written to the bot yet; returns the Telegram User object."""
        if user_id is None:
            while self._next_user_id in self.state.users:
                self._next_user_id += 1
            user_id = self._next_user_id
        if user_id <= 0:
            raise DriverError("a user id is positive")
        if user_id in self.state.users or user_id == self.state.bot.id:
            raise DriverError(f"user {user_id} exists already")
        user = User(user_id, first_name, username, last_name, language_code)
        return self.state.add_user(user).to_api()

    def add_group(
        self,
        chat_id: int,
        title: str,
        members: Iterable[int] = (),
        *,
        admins: Iterable[int] = (),
        creator: int | None = None,
        supergroup: bool = False,
        bot_admin: bool = False,
    ) -> JSON:
        """A group the bot is in (as an administrator if bot_admin); returns the Telegram Chat object.

        Admins and the creator are members too; getChatMember and getChatAdministrators report them.
        """
        if chat_id >= 0:
            raise DriverError("a group's id is negative")
        if chat_id in self.state.chats:
            raise DriverError(f"chat {chat_id} exists already")
        admin_ids = set(admins)
        member_ids = set(members) | admin_ids | ({creator} if creator is not None else set())
        for user_id in member_ids:
            self._user(user_id)
        chat = Chat(
            id=chat_id,
            type="supergroup" if supergroup else "group",
            title=title,
            members=member_ids,
            admins=admin_ids,
            creator=creator,
            bot_status="administrator" if bot_admin else "member",
        )
        return self.state.add_group(chat).to_api()

    def add_member(self, chat_id: int, user_id: int) -> None:
        self._group(chat_id).members.add(self._user(user_id).id)
        self.state.changed()

    def remove_bot(self, chat_id: int, by_user_id: int, *, kicked: bool = True) -> None:
        """A member removes the bot from a group (kicked, or left when kicked is False)."""
        chat = self._group(chat_id)
        user = self._member(chat, by_user_id)
        old = chat.bot_status
        chat.bot_status = "kicked" if kicked else "left"
        self._my_chat_member(chat, user, old, chat.bot_status)

    def block(self, user_id: int) -> None:
        """The user blocks the bot: sending to them is Forbidden until unblock."""
        user = self._user(user_id)
        if user.blocked:
            return
        user.blocked = True
        if user.opened:
            self._my_chat_member(self.state.private_chat(user), user, "member", "kicked")
        self.state.changed()

    def unblock(self, user_id: int) -> None:
        user = self._user(user_id)
        if not user.blocked:
            return
        user.blocked = False
        if user.opened:
            self._my_chat_member(self.state.private_chat(user), user, "kicked", "member")
        self.state.changed()

    # -- what people do ------------------------------------------------------------------------

    def send_text(
        self,
        user_id: int,
        text: str,
        chat_id: int | None = None,
        *,
        reply_to: int | None = None,
        entities: list[JSON] | None = None,
    ) -> MessageView:
        """The user writes `text` to the bot in private, or in the group `chat_id`."""
        if not text:
            raise DriverError("a message needs text")
        user, chat = self._speaker(user_id, chat_id)
        return self._post(
            user,
            chat,
            text=text,
            entities=detect_entities(text) if entities is None else entities,
            reply_to=self._reply_target(chat, reply_to),
        )

    def send_command(
        self,
        user_id: int,
        command: str,
        args: str = "",
        chat_id: int | None = None,
        *,
        mention: bool = False,
    ) -> MessageView:
        """The user sends '/command args' (with mention: '/command@bot args', as group menus do)."""
        command = "/" + command.removeprefix("/")
        if mention:
            command += "@" + (self.state.bot.username or "")
        text = f"{command} {args}" if args else command
        entities = [{"type": "bot_command", "offset": 0, "length": utf16_length(command)}]
        if args:
            entities += [e for e in detect_entities(text) if e["offset"] > 0]
        return self.send_text(user_id, text, chat_id, entities=entities)

    def send_document(
        self,
        user_id: int,
        filename: str,
        data: bytes,
        caption: str | None = None,
        *,
        mime_type: str | None = None,
        chat_id: int | None = None,
    ) -> MessageView:
        """The user sends a file; the bot can fetch it with getFile and download it."""
        if not data:
            raise DriverError("a document needs bytes")
        user, chat = self._speaker(user_id, chat_id)
        if mime_type is None:
            mime_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        stored = self.state.store_file("document", bytes(data), file_name=filename, mime_type=mime_type)
        return self._post(user, chat, document=stored, caption=caption or None, caption_entities=[])

    def send_photo(
        self, user_id: int, data: bytes, caption: str | None = None, *, chat_id: int | None = None
    ) -> MessageView:
        size = image_size(bytes(data))
        if size is None:
            raise DriverError("a photo must be a PNG, JPEG, GIF or WebP image")
        user, chat = self._speaker(user_id, chat_id)
        stored = self.state.store_file("photo", bytes(data), width=size[0], height=size[1])
        return self._post(user, chat, photo=stored, caption=caption or None)

    def press(
        self,
        user_id: int,
        message: MessageView | Any,
        callback_data: str | None = None,
        *,
        chat_id: int | None = None,
        label: str | None = None,
    ) -> str:
        """The user presses an inline button (by its data or its label); returns the callback query id.

        `message` is a MessageView, PTB's Message, or a message id (in the user's private chat unless
        chat_id says otherwise).
        """
        user = self._user(user_id)
        if hasattr(message, "message_id"):  # a MessageView or PTB's Message
            chat_id, message_id = int(message.chat_id), int(message.message_id)
        else:
            message_id = int(message)
            chat_id = user.id if chat_id is None else chat_id
        target = self.state.find_message(chat_id, message_id)
        if target is None or target.deleted:
            raise DriverError(f"no message {message_id} in chat {chat_id}")
        chat = target.chat
        if chat.is_group:
            self._member(chat, user_id)
        elif chat.id != user.id:
            raise DriverError(f"user {user_id} cannot see the private chat {chat.id}")
        elif user.blocked:
            raise DriverError(f"user {user_id} has blocked the bot; unblock first")
        view = MessageView.of(target)
        if label is not None:
            callback_data = view.callback_data(label)
        present = [b.get("callback_data") for row in view.buttons for b in row]
        if callback_data is None or callback_data not in present:
            raise DriverError(f"message {message_id} has no button with callback_data {callback_data!r}")
        query = CallbackQuery(
            id=str(secrets.randbits(63)), user=user, message=target, data=callback_data, created=self.clock()
        )
        self.state.callback_queries[query.id] = query
        chat.mark = chat.last_message_id
        user.seen = True
        self.state.enqueue(
            {
                "callback_query": {
                    "id": query.id,
                    "from": user.to_api(),
                    "message": target.to_api(),
                    "chat_instance": chat.chat_instance,
                    "data": callback_data,
                }
            }
        )
        return query.id

    def edit_text(
        self, user_id: int, message_id: int, text: str, *, chat_id: int | None = None
    ) -> MessageView:
        """The user edits one of their messages: an edited_message update."""
        user = self._user(user_id)
        chat_id = user.id if chat_id is None else chat_id
        message = self.state.find_message(chat_id, message_id)
        if message is None or message.deleted or message.sender is not user or message.text is None:
            raise DriverError(f"user {user_id} has no text message {message_id} in chat {chat_id}")
        if not text:
            raise DriverError("a message needs text")
        message.text, message.entities, message.source = text, detect_entities(text), text
        message.edits += 1
        message.edit_date = int(time.time())
        message.chat.mark = message.chat.last_message_id
        if message.delivered:
            self.state.enqueue({"edited_message": message.to_api()})
        self.state.changed()
        return MessageView.of(message)

    def push_update(self, update: JSON) -> int | None:
        """Queue any update as given (update_id assigned when missing); returns its id."""
        return self.state.enqueue(update)

    def redeliver(self, update_id: int) -> None:
        """Deliver an update again with the same id, as Telegram does after a lost confirmation."""
        try:
            self.state.redeliver(update_id)
        except KeyError:
            raise DriverError(f"no update {update_id}") from None

    # -- faults --------------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int = 500,
        *,
        times: int = 1,
        description: str | None = None,
        delay: float = 0.0,
    ) -> None:
        """The next `times` calls of `method` fail with `status` (after `delay` s) and do nothing."""
        self.faults.add(method, Fault.server_error(status, description, delay), times)

    def retry_after_next(self, method: str, retry_after: int, *, times: int = 1) -> None:
        """The next `times` calls of `method` get 429 Too Many Requests with this retry_after."""
        self.faults.add(method, Fault.too_many_requests(retry_after), times)

    def delay_next(self, method: str, seconds: float, *, times: int = 1) -> None:
        """The next `times` calls of `method` take effect but answer `seconds` late."""
        self.faults.add(method, Fault.slow(seconds), times)

    # -- reading -------------------------------------------------------------------------------

    def history(self, chat_id: int) -> list[MessageView]:
        """Every message of the chat in order, from people and from the bot, deleted ones flagged."""
        return [MessageView.of(m) for m in self.state.messages.get(chat_id, [])]

    def message(self, chat_id: int, message_id: int) -> MessageView:
        found = self.state.find_message(chat_id, message_id)
        if found is None:
            raise DriverError(f"no message {message_id} in chat {chat_id}")
        return MessageView.of(found)

    def bot_messages(self, chat_id: int, *, include_deleted: bool = False) -> list[MessageView]:
        return [
            MessageView.of(m)
            for m in self.state.messages.get(chat_id, [])
            if m.sender is self.state.bot and (include_deleted or not m.deleted)
        ]

    def last_bot_message(self, chat_id: int) -> MessageView | None:
        """The bot's latest message still shown in the chat."""
        messages = self.bot_messages(chat_id)
        return messages[-1] if messages else None

    @property
    def callback_answers(self) -> dict[str, CallbackAnswer]:
        """Answered button presses by query id."""
        return {q.id: CallbackAnswer.of(q) for q in self.state.callback_queries.values() if q.answered}

    def callback_query(self, query_id: str) -> CallbackAnswer:
        query = self.state.callback_queries.get(query_id)
        if query is None:
            raise DriverError(f"no callback query {query_id}")
        return CallbackAnswer.of(query)

    def commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """The command list the bot set for this scope and language (exact match, no fallback)."""
        return [dict(c) for c in self.state.commands.get((scope_key(scope), language_code), [])]

    @property
    def requests(self) -> list[LoggedRequest]:
        """The Bot API calls so far: time, method, chat_id, status."""
        return list(self.state.requests)

    def requests_for(self, method: str) -> list[LoggedRequest]:
        return [r for r in self.state.requests if r.method.lower() == method.lower()]

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates not yet confirmed by the bot (polling) or accepted by its webhook."""
        return [copy.deepcopy(u.payload) for u in self.state.pending]

    @property
    def polling(self) -> bool:
        """Whether the bot is waiting in a long getUpdates call right now."""
        return self.state.waiting_polls > 0

    @property
    def webhook(self) -> JSON | None:
        hook = self.state.webhook
        return asdict(hook) if hook else None

    @property
    def webhook_attempts(self) -> list[WebhookAttempt]:
        """Every POST of an update to a webhook, failed ones included, in order."""
        return list(self.state.webhook_attempts)

    # -- waiting -------------------------------------------------------------------------------

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0, what: str = "") -> Any:
        """The first truthy value of `predicate()`, checked now and on every change of the state."""
        try:
            return await self.state.wait_until(predicate, timeout)
        except TimeoutError:
            failures = [r for r in self.state.requests if r.status != 200][-5:]
            detail = f"; recent refused calls: {failures}" if failures else ""
            raise TimeoutError(f"waited {timeout} s for {what or predicate!r}{detail}") from None

    async def wait_for_bot_messages(
        self, chat_id: int, count: int = 1, *, after: int | None = None, timeout: float = 5.0
    ) -> list[MessageView]:
        """The bot's first `count` messages in the chat after message `after` (default: the driver's
        last action there)."""
        chat = self.state.chats.get(chat_id)
        base = after if after is not None else (chat.mark if chat else 0)

        def arrived() -> list[Message] | None:
            found = [
                m
                for m in self.state.messages.get(chat_id, [])
                if m.sender is self.state.bot and m.message_id > base
            ]
            return found if len(found) >= count else None

        found = await self.wait_for(
            arrived, timeout, f"{count} bot message(s) in chat {chat_id} after {base}"
        )
        return [MessageView.of(m) for m in found[:count]]

    async def wait_for_bot_message(
        self, chat_id: int, count: int = 1, *, after: int | None = None, timeout: float = 5.0
    ) -> MessageView:
        """The `count`-th bot message in the chat after the driver's last action there (or `after`)."""
        return (await self.wait_for_bot_messages(chat_id, count, after=after, timeout=timeout))[-1]

    async def wait_for_edit(
        self, chat_id: int, message_id: int, edits: int = 1, *, timeout: float = 5.0
    ) -> MessageView:
        """The message once it has been edited `edits` times in all."""
        message = self.state.find_message(chat_id, message_id)
        if message is None:
            raise DriverError(f"no message {message_id} in chat {chat_id}")
        await self.wait_for(lambda: message.edits >= edits, timeout, f"edit {edits} of message {message_id}")
        return MessageView.of(message)

    async def wait_for_callback_answer(self, query_id: str, *, timeout: float = 5.0) -> CallbackAnswer:
        query = self.state.callback_queries.get(query_id)
        if query is None:
            raise DriverError(f"no callback query {query_id}")
        await self.wait_for(lambda: query.answered, timeout, f"an answer to callback query {query_id}")
        return CallbackAnswer.of(query)

    async def wait_until_confirmed(self, *, timeout: float = 5.0) -> None:
        """Until the bot has confirmed (or its webhook accepted) every queued update."""
        await self.wait_for(lambda: not self.state.pending, timeout, "the bot to take every update")

    # -- helpers -------------------------------------------------------------------------------

    def _user(self, user_id: int) -> User:
        user = self.state.users.get(user_id)
        if user is None:
            raise DriverError(f"no user {user_id}; add_user first")
        return user

    def _group(self, chat_id: int) -> Chat:
        chat = self.state.chats.get(chat_id)
        if chat is None or not chat.is_group:
            raise DriverError(f"no group {chat_id}; add_group first")
        return chat

    def _member(self, chat: Chat, user_id: int) -> User:
        user = self._user(user_id)
        if user.id not in chat.members:
            raise DriverError(f"user {user_id} is not a member of group {chat.id}")
        return user

    def _speaker(self, user_id: int, chat_id: int | None) -> tuple[User, Chat]:
        user = self._user(user_id)
        if chat_id is None or chat_id == user.id:
            if user.blocked:
                raise DriverError(f"user {user_id} has blocked the bot; unblock first")
            user.opened = True
            return user, self.state.private_chat(user)
        chat = self._group(chat_id)
        return self._member(chat, user_id), chat

    def _reply_target(self, chat: Chat, reply_to: int | None) -> Message | None:
        if reply_to is None:
            return None
        target = self.state.find_message(chat.id, reply_to)
        if target is None or target.deleted:
            raise DriverError(f"no message {reply_to} in chat {chat.id} to reply to")
        return target

    def _reaches_bot(
        self, chat: Chat, text: str | None, entities: list[JSON], reply_to: Message | None
    ) -> bool:
        """Whether the bot receives a message: always in private; in groups, privacy mode filters."""
        if not chat.is_group:
            return True
        if chat.bot_status in ("left", "kicked"):
            return False
        if not self.privacy_mode or chat.bot_status == "administrator":
            return True
        if reply_to is not None and reply_to.sender is self.state.bot:
            return True
        username = (self.state.bot.username or "").lower()
        encoded = (text or "").encode("utf-16-le")
        for entity in entities:
            start, length = entity["offset"] * 2, entity["length"] * 2
            value = encoded[start : start + length].decode("utf-16-le").lower()
            addressed = "@" not in value or value.endswith("@" + username)
            if entity["type"] == "bot_command" and entity["offset"] == 0 and addressed:
                return True
            if entity["type"] == "mention" and value == "@" + username:
                return True
        return False

    def _post(self, user: User, chat: Chat, **fields: Any) -> MessageView:
        text = fields.get("text")
        if text is None:
            text = fields.get("caption")
        entities = fields.get("entities") or []
        delivered = self._reaches_bot(chat, text, entities, fields.get("reply_to"))
        message = self.state.add_message(chat, user, source=text, delivered=delivered, **fields)
        chat.mark = message.message_id
        if delivered:
            user.seen = True
            self.state.enqueue({"message": message.to_api()})
        return MessageView.of(message)

    def _my_chat_member(self, chat: Chat, by: User, old: str, new: str) -> None:
        bot = self.state.bot
        self.state.enqueue(
            {
                "my_chat_member": {
                    "chat": chat.to_api(),
                    "from": by.to_api(),
                    "date": int(time.time()),
                    "old_chat_member": chat_member(bot, old),
                    "new_chat_member": chat_member(bot, new),
                }
            }
        )
