"""The Bot API methods: parameters decoded as Telegram does, answers and errors in Telegram's words."""

from __future__ import annotations

import asyncio
import json
import mimetypes
import re
import struct
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from standin.formatting import ParseError, parse, trim
from standin.limits import Clock
from standin.state import JSON, Chat, Message, State, StoredFile, Webhook, chat_member, scope_key

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_ANSWER = 200
MAX_UPLOAD = 50 * 1024 * 1024
MAX_DOWNLOAD = 20 * 1024 * 1024
MAX_LONG_POLL = 50.0

CHAT_NOT_FOUND = "Bad Request: chat not found"
BLOCKED = "Forbidden: bot was blocked by the user"
CANT_INITIATE = "Forbidden: bot can't initiate conversation with a user"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)
NO_MESSAGE_ID = "Bad Request: message identifier is not specified"
BAD_MARKUP = "Bad Request: can't parse reply keyboard markup JSON object"
BUTTON_PREFIX = "Bad Request: can't parse inline keyboard button: "

_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_SCOPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


class ApiError(Exception):
    """A refusal answered as {"ok": false, "error_code": status, "description": ...}."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


def bad_request(description: str) -> ApiError:
    return ApiError(400, description)


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


MethodFunction = Callable[["BotApi", Params], Awaitable[Any]]


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


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF, JPEG or WebP image, None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return width, height
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP" and len(data) >= 30:
        chunk = data[12:16]
        if chunk == b"VP8X":
            return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
        if chunk == b"VP8 ":
            width, height = struct.unpack("<HH", data[26:30])
            return width & 0x3FFF, height & 0x3FFF
        if chunk == b"VP8L":
            bits = int.from_bytes(data[21:25], "little")
            return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                i += 2
                continue
            length = struct.unpack(">H", data[i + 2 : i + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return width, height
            i += 2 + length
    return None


class BotApi:
    """The Bot API over a State: what each method checks, changes and answers."""

    def __init__(self, state: State, *, clock: Clock, callback_expiry: float, privacy_mode: bool) -> None:
        self.state = state
        self.clock = clock
        self.callback_expiry = callback_expiry
        self.privacy_mode = privacy_mode

    async def call(self, method: ApiMethod, params: Params) -> Any:
        return await method.function(self, params)

    # -- chats ---------------------------------------------------------------------------------

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

    # -- message content -----------------------------------------------------------------------

    def formatted(
        self, params: Params, field: str, entities_field: str, *, limit: int, required: bool
    ) -> tuple[str | None, list[JSON], str | None, str | None]:
        """Text (or caption) after its parse mode, its entities, the source and the parse mode."""
        source = params.text(field)
        parse_mode = params.text("parse_mode") or None
        if source is None or source == "":
            if required:
                raise bad_request("Bad Request: message text is empty")
            return None, [], None, parse_mode
        given = params.json(entities_field, "entities")
        if given is not None:
            if not isinstance(given, list) or not all(
                isinstance(e, dict) and {"type", "offset", "length"} <= e.keys() for e in given
            ):
                raise bad_request("Bad Request: can't parse entities JSON object")
            text, entities = source, [dict(e) for e in given]
        else:
            try:
                text, entities = parse(source, parse_mode)
            except ParseError as error:
                raise bad_request(f"Bad Request: can't parse entities: {error}") from None
            except ValueError:
                raise bad_request("Bad Request: unsupported parse_mode") from None
        text, entities = trim(text, entities)
        if not text:
            if required:
                raise bad_request("Bad Request: message text is empty")
            return None, [], source, parse_mode
        if len(text) > limit:
            raise bad_request(
                "Bad Request: message is too long" if required else "Bad Request: message caption is too long"
            )
        return text, entities, source, parse_mode

    def reply_markup(self, params: Params, *, inline_only: bool = False) -> JSON | None:
        markup = params.json("reply_markup", "reply keyboard markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request(BAD_MARKUP)
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise bad_request(
                    'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup '
                    "should be an Array of Arrays"
                )
            for row in rows:
                for button in row:
                    self._check_button(button)
            return markup
        if inline_only:
            raise bad_request("Bad Request: inline keyboard expected")
        if not ({"keyboard", "remove_keyboard", "force_reply"} & markup.keys()):
            raise bad_request(BAD_MARKUP)
        return markup

    @staticmethod
    def _check_button(button: Any) -> None:
        if not isinstance(button, dict):
            raise bad_request(BUTTON_PREFIX + "InlineKeyboardButton should be an Object")
        if not isinstance(button.get("text"), str):
            raise bad_request(BUTTON_PREFIX + 'Field "text" must be of type String')
        if "callback_data" in button:
            data = button["callback_data"]
            if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
                raise bad_request("Bad Request: BUTTON_DATA_INVALID")
        elif not any(key in button for key in _BUTTON_ACTIONS):
            raise bad_request(BUTTON_PREFIX + "Text buttons are unallowed in the inline keyboard")

    def reply_target(self, params: Params, chat: Chat) -> Message | None:
        allow = params.flag("allow_sending_without_reply")
        target: int | None = None
        reply_parameters = params.json("reply_parameters", "reply parameters")
        if isinstance(reply_parameters, dict):
            target = int(reply_parameters.get("message_id") or 0) or None
            allow = bool(reply_parameters.get("allow_sending_without_reply", allow))
        elif params.has("reply_to_message_id"):
            target = params.integer("reply_to_message_id")
        if not target:
            return None
        message = self.state.find_message(chat.id, target)
        if message is None or message.deleted:
            if allow:
                return None
            raise bad_request("Bad Request: message to be replied not found")
        return message

    def message_for_change(self, params: Params, missing: str) -> tuple[Chat, Message]:
        if params.has("inline_message_id"):
            raise bad_request("Bad Request: MESSAGE_ID_INVALID")
        message_id = params.integer("message_id")
        chat = self.chat_for_writing(params)
        if not message_id:
            raise bad_request(NO_MESSAGE_ID)
        message = self.state.find_message(chat.id, message_id)
        if message is None or message.deleted:
            raise bad_request(missing)
        return chat, message

    @staticmethod
    def inline_markup(message: Message) -> JSON | None:
        markup = message.reply_markup
        return markup if markup is not None and "inline_keyboard" in markup else None

    def mark_edited(self, message: Message) -> JSON:
        message.edits += 1
        message.edit_date = int(time.time())
        self.state.changed()
        return message.to_api()

    def upload_or_reference(self, params: Params, field: str, kind: str) -> StoredFile:
        upload = params.upload(field)
        reference = params.text(field)
        if upload is None and reference and reference.startswith("attach://"):
            upload = params.upload(reference.removeprefix("attach://"))
            if upload is None:
                raise bad_request(f"Bad Request: file {reference} not found")
        if upload is not None:
            if not upload.data:
                raise bad_request("Bad Request: file must be non-empty")
            if len(upload.data) > MAX_UPLOAD:
                raise ApiError(413, "Request Entity Too Large")
            mime_type = upload.content_type
            if not mime_type or mime_type == "application/octet-stream":
                mime_type = mimetypes.guess_type(upload.filename or "")[0] or mime_type
            if kind == "photo":
                size = image_size(upload.data)
                if size is None:
                    raise bad_request("Bad Request: IMAGE_PROCESS_FAILED")
                return self.state.store_file(
                    "photo",
                    upload.data,
                    file_name=upload.filename,
                    mime_type=mime_type,
                    width=size[0],
                    height=size[1],
                )
            return self.state.store_file(kind, upload.data, file_name=upload.filename, mime_type=mime_type)
        if not reference:
            raise bad_request(f"Bad Request: there is no {kind} in the request")
        stored = self.state.files.get(reference)
        if stored is not None:
            if stored.kind != kind:
                raise bad_request(
                    f"Bad Request: can't use file of type {stored.kind.title()} as {kind.title()}"
                )
            return stored
        if reference.startswith(("http://", "https://")):
            raise bad_request("Bad Request: failed to get HTTP URL content")
        raise bad_request("Bad Request: wrong file identifier/HTTP URL specified")


# -- the bot and updates --------------------------------------------------------------------------


@api_method("getMe")
async def get_me(api: BotApi, params: Params) -> JSON:
    return {
        **api.state.bot.to_api(),
        "can_join_groups": True,
        "can_read_all_group_messages": not api.privacy_mode,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@api_method("getUpdates")
async def get_updates(api: BotApi, params: Params) -> list[JSON]:
    state = api.state
    if state.webhook is not None:
        raise ApiError(409, WEBHOOK_CONFLICT)
    offset = params.integer("offset", 0) or 0
    limit = min(max(params.integer("limit", 100) or 100, 1), 100)
    timeout = min(max(params.number("timeout", 0.0), 0.0), MAX_LONG_POLL)
    allowed = params.json("allowed_updates", "allowed updates")
    if isinstance(allowed, list):
        state.allowed_updates = [str(kind) for kind in allowed]
    state.confirm(offset)
    state.poll_generation += 1
    generation = state.poll_generation
    state.changed()  # an earlier long poll ends with a conflict
    loop_time = asyncio.get_running_loop().time
    deadline = loop_time() + timeout
    while True:
        if state.poll_generation != generation:
            raise ApiError(409, POLL_CONFLICT)
        if state.webhook is not None:
            return []
        batch = state.next_batch(limit)
        remaining = deadline - loop_time()
        if batch or remaining <= 0 or state.closing:
            return [update.payload for update in batch]
        state.waiting_polls += 1
        state.changed()
        try:
            await state.wait_change(remaining)
        finally:
            state.waiting_polls -= 1


@api_method("setWebhook")
async def set_webhook(api: BotApi, params: Params) -> Answer:
    state = api.state
    url = (params.text("url") or "").strip()
    if not url:
        return await delete_webhook(api, params)
    if not url.startswith(("http://", "https://")):
        raise bad_request("Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
    secret = params.text("secret_token")
    if secret is not None and not _SECRET.fullmatch(secret):
        raise bad_request("Bad Request: secret token contains unallowed characters")
    allowed = params.json("allowed_updates", "allowed updates")
    if isinstance(allowed, list):
        state.allowed_updates = [str(kind) for kind in allowed]
    if params.flag("drop_pending_updates"):
        state.drop_pending()
    same = state.webhook is not None and state.webhook.url == url
    state.webhook = Webhook(
        url=url, secret_token=secret, max_connections=params.integer("max_connections", 40) or 40
    )
    state.changed()
    return Answer(True, "Webhook is already set" if same else "Webhook was set")


@api_method("deleteWebhook")
async def delete_webhook(api: BotApi, params: Params) -> Answer:
    state = api.state
    if params.flag("drop_pending_updates"):
        state.drop_pending()
    existed = state.webhook is not None
    state.webhook = None
    state.changed()
    return Answer(True, "Webhook was deleted" if existed else "Webhook is already deleted")


@api_method("getWebhookInfo")
async def get_webhook_info(api: BotApi, params: Params) -> JSON:
    state = api.state
    hook = state.webhook
    info: JSON = {"url": hook.url if hook else "", "has_custom_certificate": False}
    info["pending_update_count"] = len(state.pending)
    if hook is not None:
        info["max_connections"] = hook.max_connections
        if hook.last_error_date is not None:
            info["last_error_date"] = hook.last_error_date
            info["last_error_message"] = hook.last_error_message
    if state.allowed_updates:
        info["allowed_updates"] = list(state.allowed_updates)
    return info


@api_method("close")
async def close(api: BotApi, params: Params) -> bool:
    return True


@api_method("logOut")
async def log_out(api: BotApi, params: Params) -> bool:
    return True


# -- messages -------------------------------------------------------------------------------------


@api_method("sendMessage", message=True)
async def send_message(api: BotApi, params: Params) -> JSON:
    markup = api.reply_markup(params)
    text, entities, source, parse_mode = api.formatted(
        params, "text", "entities", limit=MAX_TEXT, required=True
    )
    chat = api.chat_for_writing(params)
    reply_to = api.reply_target(params, chat)
    message = api.state.add_message(
        chat,
        api.state.bot,
        text=text,
        entities=entities,
        source=source,
        parse_mode=parse_mode,
        reply_markup=markup,
        reply_to=reply_to,
    )
    return message.to_api()


async def _send_file(api: BotApi, params: Params, kind: str) -> JSON:
    markup = api.reply_markup(params)
    caption, entities, source, parse_mode = api.formatted(
        params, "caption", "caption_entities", limit=MAX_CAPTION, required=False
    )
    chat = api.chat_for_writing(params)
    reply_to = api.reply_target(params, chat)
    stored = api.upload_or_reference(params, kind, kind)
    message = api.state.add_message(
        chat,
        api.state.bot,
        caption=caption,
        caption_entities=entities,
        source=source,
        parse_mode=parse_mode,
        reply_markup=markup,
        reply_to=reply_to,
        **{kind: stored},
    )
    return message.to_api()


@api_method("sendDocument", message=True)
async def send_document(api: BotApi, params: Params) -> JSON:
    return await _send_file(api, params, "document")


@api_method("sendPhoto", message=True)
async def send_photo(api: BotApi, params: Params) -> JSON:
    return await _send_file(api, params, "photo")


@api_method("editMessageText", message=True)
async def edit_message_text(api: BotApi, params: Params) -> JSON:
    markup = api.reply_markup(params, inline_only=True)
    text, entities, source, parse_mode = api.formatted(
        params, "text", "entities", limit=MAX_TEXT, required=True
    )
    _, message = api.message_for_change(params, "Bad Request: message to edit not found")
    if message.sender is not api.state.bot:
        raise bad_request("Bad Request: message can't be edited")
    if message.text is None:
        raise bad_request("Bad Request: there is no text in the message to edit")
    if text == message.text and entities == message.entities and markup == api.inline_markup(message):
        raise bad_request(NOT_MODIFIED)
    message.text, message.entities, message.source, message.parse_mode = text, entities, source, parse_mode
    if markup is not None or api.inline_markup(message) is not None:
        message.reply_markup = markup
    return api.mark_edited(message)


@api_method("editMessageCaption", message=True)
async def edit_message_caption(api: BotApi, params: Params) -> JSON:
    markup = api.reply_markup(params, inline_only=True)
    caption, entities, source, parse_mode = api.formatted(
        params, "caption", "caption_entities", limit=MAX_CAPTION, required=False
    )
    _, message = api.message_for_change(params, "Bad Request: message to edit not found")
    if message.sender is not api.state.bot:
        raise bad_request("Bad Request: message can't be edited")
    if message.document is None and message.photo is None:
        raise bad_request("Bad Request: there is no caption in the message to edit")
    if (
        caption == message.caption
        and entities == message.caption_entities
        and markup == api.inline_markup(message)
    ):
        raise bad_request(NOT_MODIFIED)
    message.caption, message.caption_entities = caption, entities
    message.source, message.parse_mode = source, parse_mode
    if markup is not None or api.inline_markup(message) is not None:
        message.reply_markup = markup
    return api.mark_edited(message)


@api_method("editMessageReplyMarkup", message=True)
async def edit_message_reply_markup(api: BotApi, params: Params) -> JSON:
    markup = api.reply_markup(params, inline_only=True)
    _, message = api.message_for_change(params, "Bad Request: message to edit not found")
    if message.sender is not api.state.bot:
        raise bad_request("Bad Request: message can't be edited")
    if markup == api.inline_markup(message):
        raise bad_request(NOT_MODIFIED)
    message.reply_markup = markup
    return api.mark_edited(message)


@api_method("deleteMessage")
async def delete_message(api: BotApi, params: Params) -> bool:
    chat, message = api.message_for_change(params, "Bad Request: message to delete not found")
    if chat.is_group and message.sender is not api.state.bot and chat.bot_status != "administrator":
        raise bad_request("Bad Request: message can't be deleted")
    message.deleted = True
    api.state.changed()
    return True


@api_method("answerCallbackQuery")
async def answer_callback_query(api: BotApi, params: Params) -> bool:
    query = api.state.callback_queries.get(params.text("callback_query_id") or "")
    if query is None or query.answered or api.clock() - query.created > api.callback_expiry:
        raise bad_request(QUERY_TOO_OLD)
    text = params.text("text")
    if text is not None and len(text) > MAX_CALLBACK_ANSWER:
        raise bad_request("Bad Request: MESSAGE_TOO_LONG")
    query.answered = True
    query.text = text
    query.show_alert = params.flag("show_alert")
    query.url = params.text("url")
    query.cache_time = params.integer("cache_time", 0) or 0
    query.answered_at = time.time()
    api.state.changed()
    return True


@api_method("sendChatAction")
async def send_chat_action(api: BotApi, params: Params) -> bool:
    action = params.text("action")
    if action not in _ACTIONS:
        raise bad_request("Bad Request: wrong parameter action in request")
    api.chat_for_writing(params)
    return True


@api_method("getChat")
async def get_chat(api: BotApi, params: Params) -> JSON:
    chat = api.find_chat(params.chat_id())
    if chat is None:
        raise bad_request(CHAT_NOT_FOUND)
    return {
        **chat.to_api(),
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }


@api_method("getChatMember")
async def get_chat_member(api: BotApi, params: Params) -> JSON:
    chat = api.find_chat(params.chat_id())
    if chat is None:
        raise bad_request(CHAT_NOT_FOUND)
    user_id = params.integer("user_id")
    bot = api.state.bot
    if user_id == bot.id:
        return chat_member(bot, chat.bot_status if chat.is_group else "member")
    user = api.state.users.get(user_id or 0)
    if user is None:
        raise bad_request("Bad Request: user not found")
    if not chat.is_group:
        return chat_member(user, "member" if user.id == chat.id else "left")
    if user.id == chat.creator:
        status = "creator"
    elif user.id in chat.admins:
        status = "administrator"
    else:
        status = "member" if user.id in chat.members else "left"
    return chat_member(user, status)


@api_method("getChatAdministrators")
async def get_chat_administrators(api: BotApi, params: Params) -> list[JSON]:
    chat = api.find_chat(params.chat_id())
    if chat is None:
        raise bad_request(CHAT_NOT_FOUND)
    if not chat.is_group:
        raise bad_request("Bad Request: there are no administrators in the private chat")
    users = api.state.users
    found = [chat_member(users[chat.creator], "creator")] if chat.creator in users else []
    found += [chat_member(users[i], "administrator") for i in sorted(chat.admins) if i in users]
    if chat.bot_status == "administrator":
        found.append(chat_member(api.state.bot, "administrator"))
    return found


@api_method("getChatMemberCount")
async def get_chat_member_count(api: BotApi, params: Params) -> int:
    chat = api.find_chat(params.chat_id())
    if chat is None:
        raise bad_request(CHAT_NOT_FOUND)
    if not chat.is_group:
        return 2
    return len(chat.members) + (1 if chat.bot_status in ("member", "administrator") else 0)


def _pinnable(api: BotApi, params: Params) -> Chat:
    chat = api.chat_for_writing(params)
    if chat.is_group and chat.bot_status != "administrator":
        raise bad_request("Bad Request: not enough rights to manage pinned messages in the chat")
    return chat


@api_method("pinChatMessage")
async def pin_chat_message(api: BotApi, params: Params) -> bool:
    chat = _pinnable(api, params)
    message = api.state.find_message(chat.id, params.integer("message_id") or 0)
    if message is None or message.deleted:
        raise bad_request("Bad Request: message to pin not found")
    message.pinned = True
    api.state.changed()
    return True


@api_method("unpinChatMessage")
async def unpin_chat_message(api: BotApi, params: Params) -> bool:
    chat = _pinnable(api, params)
    pinned = [m for m in api.state.messages.get(chat.id, []) if m.pinned and not m.deleted]
    message_id = params.integer("message_id")
    if message_id:
        pinned = [m for m in pinned if m.message_id == message_id]
    if not pinned:
        raise bad_request("Bad Request: message to unpin not found")
    pinned[-1].pinned = False
    api.state.changed()
    return True


# -- files ----------------------------------------------------------------------------------------


@api_method("getFile")
async def get_file(api: BotApi, params: Params) -> JSON:
    stored = api.state.files.get(params.text("file_id") or "")
    if stored is None:
        raise bad_request("Bad Request: invalid file_id")
    if stored.size > MAX_DOWNLOAD:
        raise bad_request("Bad Request: file is too big")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
        "file_path": stored.file_path,
    }


# -- commands -------------------------------------------------------------------------------------


def _command_key(api: BotApi, params: Params) -> tuple[str, str]:
    scope = params.json("scope", "bot command scope")
    if scope is None:
        scope = {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in _SCOPES:
        raise bad_request("Bad Request: can't parse BotCommandScope JSON object")
    if "chat_id" in scope:
        chat_id = scope["chat_id"]
        if isinstance(chat_id, str) and chat_id.lstrip("-").isdigit():
            chat_id = int(chat_id)
        if api.find_chat(chat_id) is None:
            raise bad_request(CHAT_NOT_FOUND)
    return scope_key(scope), params.text("language_code") or ""


@api_method("setMyCommands")
async def set_my_commands(api: BotApi, params: Params) -> bool:
    commands = params.json("commands", "commands")
    if not isinstance(commands, list):
        raise bad_request("Bad Request: can't parse commands JSON object")
    if len(commands) > 100:
        raise bad_request("Bad Request: too many commands")
    stored: list[JSON] = []
    for item in commands:
        if not isinstance(item, dict):
            raise bad_request("Bad Request: can't parse BotCommand JSON object")
        command = str(item.get("command", "")).removeprefix("/")
        description = str(item.get("description", "")).strip()
        if not _COMMAND.fullmatch(command):
            raise bad_request("Bad Request: BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= 256:
            raise bad_request("Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        stored.append({"command": command, "description": description})
    key = _command_key(api, params)
    if stored:
        api.state.commands[key] = stored
    else:
        api.state.commands.pop(key, None)
    api.state.changed()
    return True


@api_method("getMyCommands")
async def get_my_commands(api: BotApi, params: Params) -> list[JSON]:
    return [dict(c) for c in api.state.commands.get(_command_key(api, params), [])]


@api_method("deleteMyCommands")
async def delete_my_commands(api: BotApi, params: Params) -> bool:
    api.state.commands.pop(_command_key(api, params), None)
    api.state.changed()
    return True
