"""Text messages: sendMessage and editMessageText, plain text only, counted and refused as Telegram does."""

from __future__ import annotations

import time

from standin.methods.calls import BotApi, Params, api_method, bad_request, unsupported
from standin.methods.keyboards import check_keyboard_for, inline_keyboard
from standin.state import JSON, Chat, Message
from standin.text import trim, utf16_length

MAX_TEXT = 4096

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
NO_MESSAGE_ID = "Bad Request: message identifier is not specified"


def plain_text(params: Params, field: str, *, limit: int, required: bool) -> str | None:
    """The text (or caption) trimmed as Telegram trims it, within `limit` UTF-16 code units."""
    if params.text("parse_mode"):
        raise unsupported("parse_mode (the bot sends plain text)")
    if params.has("entities") or params.has("caption_entities"):
        raise unsupported("entities (the bot sends plain text)")
    text = trim(params.text(field) or "")
    if not text:
        if required:
            raise bad_request("Bad Request: message text is empty")
        return None
    if utf16_length(text) > limit:
        raise bad_request(
            "Bad Request: message is too long" if required else "Bad Request: message caption is too long"
        )
    return text


def reply_target(api: BotApi, params: Params, chat: Chat) -> Message | None:
    """The message a send replies to (PTB quotes in groups), by reply_parameters or reply_to_message_id."""
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
    message = api.state.find_message(chat.id, target)
    if message is None:
        if allow:
            return None
        raise bad_request("Bad Request: message to be replied not found")
    return message


@api_method("sendMessage", message=True)
async def send_message(api: BotApi, params: Params) -> JSON:
    markup = inline_keyboard(params)
    text = plain_text(params, "text", limit=MAX_TEXT, required=True)
    chat = api.chat_for_writing(params)
    check_keyboard_for(chat, markup)
    reply_to = reply_target(api, params, chat)
    message = api.state.add_message(chat, api.state.bot, text=text, reply_markup=markup, reply_to=reply_to)
    return message.to_api()


@api_method("editMessageText", message=True)
async def edit_message_text(api: BotApi, params: Params) -> JSON:
    markup = inline_keyboard(params, editing=True)
    text = plain_text(params, "text", limit=MAX_TEXT, required=True)
    if params.has("inline_message_id"):
        raise bad_request("Bad Request: MESSAGE_ID_INVALID")
    message_id = params.integer("message_id")
    chat = api.chat_for_writing(params)
    if not message_id:
        raise bad_request(NO_MESSAGE_ID)
    message = api.state.find_message(chat.id, message_id)
    if message is None:
        raise bad_request("Bad Request: message to edit not found")
    if message.sender is not api.state.bot:
        raise bad_request("Bad Request: message can't be edited")
    if message.text is None:
        raise bad_request("Bad Request: there is no text in the message to edit")
    check_keyboard_for(chat, markup)
    if text == message.text and markup == message.reply_markup:
        raise bad_request(NOT_MODIFIED)
    message.text, message.reply_markup = text, markup  # an edit without reply_markup drops the keyboard
    message.edits += 1
    message.edit_date = int(time.time())
    api.state.changed()
    return message.to_api()
