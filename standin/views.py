"""Snapshots for tests: a message as the chat shows it, a file with its bytes, a button press's answer."""

from __future__ import annotations

import base64
import copy
from dataclasses import asdict, dataclass, field

from standin.state import JSON, CallbackQuery, Message, StoredFile


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
    """A snapshot of one message as a chat shows it: current text, keyboard, edits, files."""

    chat_id: int
    message_id: int
    from_bot: bool
    sender_id: int
    date: int
    text: str | None
    entities: list[JSON]
    caption: str | None
    reply_markup: JSON | None
    reply_to_message_id: int | None
    edits: int
    edit_date: int | None
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
            reply_markup=copy.deepcopy(message.reply_markup),
            reply_to_message_id=message.reply_to.message_id if message.reply_to else None,
            edits=message.edits,
            edit_date=message.edit_date,
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

    def _button(self, label: str, action: str) -> JSON:
        for row in self.buttons:
            for button in row:
                if button.get("text") == label and action in button:
                    return button
        raise DriverError(f"message {self.message_id} has no {action} button labelled {label!r}")

    def callback_data(self, label: str) -> str:
        """The callback_data of the button labelled `label`."""
        return self._button(label, "callback_data")["callback_data"]

    def web_app_url(self, label: str) -> str:
        """The URL the Web App button labelled `label` opens."""
        return self._button(label, "web_app")["web_app"]["url"]

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
            query.answered_at,
        )

    def to_dict(self) -> JSON:
        return asdict(self)
