"""The Telegram objects the stand-in keeps: users, chats, messages, files and button presses."""

from __future__ import annotations

import copy
import secrets
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]


@dataclass
class User:
    """A Telegram account: the bot itself or a person played by the driver."""

    id: int
    first_name: str
    username: str | None = None
    last_name: str | None = None
    language_code: str | None = None
    is_bot: bool = False
    opened: bool = False  # has written to the bot in private (pressed Start)
    blocked: bool = False  # has blocked the bot
    seen: bool = False  # the bot has received an update from this user

    def to_api(self) -> JSON:
        data: JSON = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code and not self.is_bot:
            data["language_code"] = self.language_code
        return data


@dataclass
class Chat:
    """A private chat (id = the user's id) or a group (negative id) with its members."""

    id: int
    type: str  # private, group or supergroup
    title: str | None = None
    user: User | None = None  # the other party of a private chat
    members: set[int] = field(default_factory=set)
    bot_status: str = "member"  # in groups: member, administrator, left or kicked
    chat_instance: str = field(default_factory=lambda: str(secrets.randbits(62)))
    last_message_id: int = 0
    mark: int = 0  # the last message id when the driver last acted in this chat

    @property
    def is_group(self) -> bool:
        return self.type != "private"

    def to_api(self) -> JSON:
        data: JSON = {"id": self.id, "type": self.type}
        if self.is_group:
            data["title"] = self.title or ""
        elif self.user is not None:
            data["first_name"] = self.user.first_name
            if self.user.last_name:
                data["last_name"] = self.user.last_name
            if self.user.username:
                data["username"] = self.user.username
        return data


@dataclass
class StoredFile:
    """A file sent by the bot or by a user, kept whole so tests can open it and the bot can download it."""

    file_id: str
    file_unique_id: str
    kind: str  # document or photo
    data: bytes
    file_name: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0
    file_path: str = ""
    declared_size: int | None = None  # a size the test says the file has (a huge file without its bytes)

    @property
    def size(self) -> int:
        return len(self.data) if self.declared_size is None else self.declared_size

    def to_api(self) -> JSON:
        data: JSON = {"file_id": self.file_id, "file_unique_id": self.file_unique_id, "file_size": self.size}
        if self.kind == "photo":
            data.update(width=self.width, height=self.height)
        else:
            if self.file_name:
                data["file_name"] = self.file_name
            if self.mime_type:
                data["mime_type"] = self.mime_type
        return data


@dataclass
class Message:
    """One message of a chat, in its current state (edits applied)."""

    chat: Chat
    message_id: int
    date: int
    sender: User
    text: str | None = None
    entities: list[JSON] = field(default_factory=list)  # a user's commands and mentions
    caption: str | None = None
    reply_markup: JSON | None = None
    reply_to: Message | None = None
    document: StoredFile | None = None
    photo: StoredFile | None = None
    edits: int = 0
    edit_date: int | None = None
    delivered: bool = True  # a user's message reached the bot (privacy mode may withhold it)

    def to_api(self, *, with_reply: bool = True) -> JSON:
        data: JSON = {
            "message_id": self.message_id,
            "from": self.sender.to_api(),
            "chat": self.chat.to_api(),
            "date": self.date,
        }
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        if with_reply and self.reply_to is not None:
            data["reply_to_message"] = self.reply_to.to_api(with_reply=False)
        if self.text is not None:
            data["text"] = self.text
            if self.entities:
                data["entities"] = copy.deepcopy(self.entities)
        if self.document is not None:
            data["document"] = self.document.to_api()
        if self.photo is not None:
            data["photo"] = [self.photo.to_api()]
        if self.caption is not None:
            data["caption"] = self.caption
        if self.reply_markup is not None:
            data["reply_markup"] = copy.deepcopy(self.reply_markup)
        return data


@dataclass
class CallbackQuery:
    """A button press and the bot's answer to it."""

    id: str
    user: User
    message: Message
    data: str
    created: float  # on the stand-in's clock
    answered: bool = False
    text: str | None = None
    show_alert: bool = False
    answered_at: float | None = None  # wall-clock time


_ADMIN_RIGHTS = (
    "can_be_edited",
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_pin_messages",
)


def chat_member(user: User, status: str) -> JSON:
    """A ChatMember object of a my_chat_member update: administrator (every right), member, left, kicked."""
    data: JSON = {"status": status, "user": user.to_api()}
    if status == "kicked":
        data["until_date"] = 0
    elif status == "administrator":
        data.update(dict.fromkeys(_ADMIN_RIGHTS, True), is_anonymous=False)
        data["can_be_edited"] = False
    return data
