"""The people around the bot, played for tests: they write, send files, press buttons and block it."""

from __future__ import annotations

import mimetypes
import secrets
import time
from collections.abc import Iterable
from typing import Any

from standin.limits import Clock, Fault, Faults
from standin.methods import image_size
from standin.objects import chat_member
from standin.reading import Reader
from standin.state import JSON, CallbackQuery, Chat, Message, State, User
from standin.text import detect_entities, utf16_length
from standin.views import DriverError, MessageView
from standin.webapps import launch_url, sign_init_data


class Driver(Reader):
    """Plays the people around the bot and reads what the bot did, in the stand-in's event loop."""

    def __init__(
        self, state: State, faults: Faults, *, clock: Clock, privacy_mode: bool, token: str = "123:ABC"
    ) -> None:
        super().__init__(state)
        self.token = token  # signs the initData of the Mini Apps a user opens
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
        supergroup: bool = False,
        bot_admin: bool = False,
    ) -> JSON:
        """A group the bot is in (as an administrator if bot_admin: it then reads every message);
        returns the Telegram Chat object."""
        if chat_id >= 0:
            raise DriverError("a group's id is negative")
        if chat_id in self.state.chats:
            raise DriverError(f"chat {chat_id} exists already")
        member_ids = set(members)
        for user_id in member_ids:
            self._user(user_id)
        chat = Chat(
            id=chat_id,
            type="supergroup" if supergroup else "group",
            title=title,
            members=member_ids,
            bot_status="administrator" if bot_admin else "member",
        )
        return self.state.add_group(chat).to_api()

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
        file_size: int | None = None,
    ) -> MessageView:
        """The user sends a file; the bot can fetch it with getFile and download it.

        `file_size` declares a size other than the bytes' (a 30 MB file without making one): the update
        says it, and getFile refuses past 20 MB as Telegram does."""
        if not data:
            raise DriverError("a document needs bytes")
        user, chat = self._speaker(user_id, chat_id)
        if mime_type is None:
            mime_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        stored = self.state.store_file(
            "document", bytes(data), file_name=filename, mime_type=mime_type, declared_size=file_size
        )
        return self._post(user, chat, document=stored, caption=caption or None)

    def send_photo(
        self, user_id: int, data: bytes, caption: str | None = None, *, chat_id: int | None = None
    ) -> MessageView:
        size = image_size(bytes(data))
        if size is None:
            raise DriverError("a photo must be a PNG or JPEG image")
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
        if target is None:
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
        if message is None or message.sender is not user or message.text is None:
            raise DriverError(f"user {user_id} has no text message {message_id} in chat {chat_id}")
        if not text:
            raise DriverError("a message needs text")
        message.text, message.entities = text, detect_entities(text)
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
        after: int = 0,
    ) -> None:
        """The next `times` calls of `method` fail with `status` (after `delay` s) and do nothing;
        with `after`, only once that many calls have gone through untouched (part 3 of a long text)."""
        if after:
            self.faults.add(method, Fault(), after)
        self.faults.add(method, Fault.server_error(status, description, delay), times)

    def retry_after_next(self, method: str, retry_after: int, *, times: int = 1) -> None:
        """The next `times` calls of `method` get 429 Too Many Requests with this retry_after."""
        self.faults.add(method, Fault.too_many_requests(retry_after), times)

    def delay_next(self, method: str, seconds: float, *, times: int = 1) -> None:
        """The next `times` calls of `method` take effect but answer `seconds` late."""
        self.faults.add(method, Fault.slow(seconds), times)

    # -- helpers -------------------------------------------------------------------------------

    # -- Mini Apps -----------------------------------------------------------------------------

    def init_data(self, user_id: int, *, auth_date: int | None = None, token: str | None = None) -> str:
        """The initData Telegram gives a Mini App this user opens now (or signed at `auth_date`, Unix
        seconds); `token` signs it with another bot's token instead, as a forger would."""
        user = self._user(user_id)
        when = int(time.time()) if auth_date is None else auth_date
        return sign_init_data(token or self.token, user.to_api(), when)

    def open_web_app(
        self, user_id: int, url: str, *, auth_date: int | None = None, token: str | None = None
    ) -> str:
        """The URL Telegram opens when this user presses a web_app button (or the menu button) for `url`:
        the page's URL with the signed initData and the theme in the fragment, for a browser to load."""
        return launch_url(url, self.init_data(user_id, auth_date=auth_date, token=token))

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
        if target is None:
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
        message = self.state.add_message(chat, user, delivered=delivered, **fields)
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
