"""A Bot API call: parameters decoded as Telegram does, its refusals, the registry, whom the bot may reach."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from standin.limits import Clock
from standin.state import Chat, State

CHAT_NOT_FOUND = "Bad Request: chat not found"
BLOCKED = "Forbidden: bot was blocked by the user"
CANT_INITIATE = "Forbidden: bot can't initiate conversation with a user"

_log = logging.getLogger(__name__)


class ApiError(Exception):
    """A refusal answered as {"ok": false, "error_code": status, "description": ...}."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


def bad_request(description: str) -> ApiError:
    return ApiError(400, description)


def unsupported(what: str) -> ApiError:
    """A refusal for what Telegram accepts but the stand-in leaves out (the bot does not use it)."""
    _log.warning("the stand-in does not support %s: answered 400", what)
    return bad_request(f"Bad Request: the stand-in does not support {what}")


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(frozen=True)
class Answer:
    """A result that comes with a description, as setWebhook's does."""

    result: Any
    description: str


class Params:
    """A request's parameters, however they came (form, multipart, JSON, query string), typed on demand."""

    def __init__(self, values: dict[str, Any], uploads: dict[str, Upload] | None = None) -> None:
        self.values = values
        self.uploads = uploads or {}

    def has(self, name: str) -> bool:
        return name in self.values

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        return json.dumps(value)

    def integer(self, name: str, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        try:
            return int(str(value).strip())
        except ValueError:
            raise bad_request(f'Bad Request: field "{name}" must be a valid Number') from None

    def number(self, name: str, default: float) -> float:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f'Bad Request: field "{name}" must be a valid Number') from None

    def flag(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        return bool(value)

    def json(self, name: str, what: str | None = None) -> Any:
        value = self.values.get(name)
        if not isinstance(value, str):
            return value
        if value == "":
            return None
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"Bad Request: can't parse {what or name} JSON object") from None

    def chat_id(self) -> int | str:
        value = self.values.get("chat_id")
        if value is None or value == "":
            raise bad_request("Bad Request: chat_id is empty")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value).strip()
        try:
            return int(text)
        except ValueError:
            return text

    def upload(self, name: str) -> Upload | None:
        return self.uploads.get(name)


class BotApi:
    """The Bot API over a State: the setting every method works in, and whom the bot may reach."""

    def __init__(self, state: State, *, clock: Clock, callback_expiry: float, privacy_mode: bool) -> None:
        self.state = state
        self.clock = clock
        self.callback_expiry = callback_expiry
        self.privacy_mode = privacy_mode

    async def call(self, method: ApiMethod, params: Params) -> Any:
        return await method.function(self, params)

    def find_chat(self, chat_id: int | str) -> Chat | None:
        """The chat a chat_id names, if the bot can know it (a person only once seen)."""
        if isinstance(chat_id, str):
            return None  # '@username' names public chats; the stand-in has none
        chat = self.state.chats.get(chat_id)
        if chat is not None and chat.is_group:
            return chat
        user = self.state.users.get(chat_id)
        if user is None or not (user.opened or user.seen):
            return None
        return self.state.private_chat(user)

    def chat_for_writing(self, params: Params) -> Chat:
        """The chat of chat_id, if the bot may write there; else Telegram's refusal."""
        chat = self.find_chat(params.chat_id())
        if chat is None:
            raise bad_request(CHAT_NOT_FOUND)
        if chat.is_group:
            kind = "supergroup" if chat.type == "supergroup" else "group"
            if chat.bot_status == "kicked":
                raise ApiError(403, f"Forbidden: bot was kicked from the {kind} chat")
            if chat.bot_status == "left":
                raise ApiError(403, f"Forbidden: bot is not a member of the {kind} chat")
            return chat
        user = chat.user
        assert user is not None
        if user.blocked:
            raise ApiError(403, BLOCKED)
        if not user.opened:
            raise ApiError(403, CANT_INITIATE)
        return chat

    def log_chat_id(self, method: ApiMethod, params: Params) -> int | str | None:
        """The chat a request concerns, for the request log (best effort, never raises)."""
        if method.name == "answerCallbackQuery":
            query = self.state.callback_queries.get(params.text("callback_query_id") or "")
            return query.message.chat.id if query else None
        if not params.has("chat_id"):
            return None
        try:
            return params.chat_id()
        except ApiError:
            return None


MethodFunction = Callable[[BotApi, Params], Awaitable[Any]]


@dataclass(frozen=True)
class ApiMethod:
    name: str  # as Telegram spells it
    function: MethodFunction
    counts_as_message: bool  # subject to the flood limits of its chat


METHODS: dict[str, ApiMethod] = {}


def api_method(name: str, *, message: bool = False) -> Callable[[MethodFunction], MethodFunction]:
    def register(function: MethodFunction) -> MethodFunction:
        METHODS[name.lower()] = ApiMethod(name, function, message)
        return function

    return register


def find_method(name: str) -> ApiMethod | None:
    """The method called `name`, compared case-insensitively like Telegram."""
    return METHODS.get(name.lower())
