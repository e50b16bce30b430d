"""Inline keyboards as Telegram checks them (callback, URL and Web App buttons) and button-press answers."""

from __future__ import annotations

import time
from typing import Any

from standin.methods.calls import BotApi, Params, api_method, bad_request, unsupported
from standin.state import JSON, Chat

MAX_CALLBACK_ANSWER = 200

QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
BAD_MARKUP = "Bad Request: can't parse reply keyboard markup JSON object"
BUTTON_PREFIX = "Bad Request: can't parse inline keyboard button: "

_REPLY_KEYBOARDS = frozenset({"keyboard", "remove_keyboard", "force_reply"})
_OTHER_ACTIONS = (
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def inline_keyboard(params: Params, *, editing: bool = False) -> JSON | None:
    """The reply_markup of a request, which must be an inline keyboard; None without one."""
    markup = params.json("reply_markup", "reply keyboard markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request(BAD_MARKUP)
    if "inline_keyboard" not in markup:
        if editing:
            raise bad_request("Bad Request: inline keyboard expected")
        if _REPLY_KEYBOARDS & markup.keys():
            raise unsupported("reply keyboards (the bot sends inline keyboards only)")
        raise bad_request(BAD_MARKUP)
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
        )
    for row in rows:
        for button in row:
            _check_button(button)
    return markup


def _check_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise bad_request(BUTTON_PREFIX + "InlineKeyboardButton should be an Object")
    if not isinstance(button.get("text"), str):
        raise bad_request(BUTTON_PREFIX + 'Field "text" must be of type String')
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
            raise bad_request("Bad Request: BUTTON_DATA_INVALID")
    elif "web_app" in button:
        web_app = button["web_app"]
        if not isinstance(web_app, dict):
            raise bad_request(BUTTON_PREFIX + 'Field "web_app" must be of type Object')
        url = web_app.get("url")
        if not isinstance(url, str):
            raise bad_request(BUTTON_PREFIX + 'Field "url" must be of type String')
        if not url.startswith("https://"):
            raise bad_request(
                f"Bad Request: inline keyboard button Web App URL '{url}' is invalid: "
                "Only HTTPS links are allowed"
            )
    elif "url" in button:
        if not isinstance(button["url"], str):
            raise bad_request(BUTTON_PREFIX + 'Field "url" must be of type String')
    else:
        other = next((key for key in _OTHER_ACTIONS if key in button), None)
        if other is not None:
            raise unsupported(f"inline buttons with {other}")
        raise bad_request(BUTTON_PREFIX + "Text buttons are unallowed in the inline keyboard")


def check_keyboard_for(chat: Chat, markup: JSON | None) -> None:
    """Web App buttons open only from private chats: Telegram refuses them in groups."""
    if markup is None or not chat.is_group:
        return
    if any("web_app" in button for row in markup["inline_keyboard"] for button in row):
        raise bad_request("Bad Request: BUTTON_TYPE_INVALID")


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
    query.answered_at = time.time()
    api.state.changed()
    return True
