"""The bot's command menus: setMyCommands per scope and language, as Telegram checks them."""

from __future__ import annotations

import re

from standin.methods.calls import CHAT_NOT_FOUND, BotApi, Params, api_method, bad_request
from standin.state import JSON, scope_key

_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
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


_MENU_BUTTONS = frozenset({"commands", "web_app", "default"})


@api_method("setChatMenuButton")
async def set_chat_menu_button(api: BotApi, params: Params) -> bool:
    """A private chat's menu button (or the default of every chat without chat_id)."""
    button = params.json("menu_button", "menu button")
    if button is None:
        button = {"type": "default"}
    if not isinstance(button, dict) or button.get("type") not in _MENU_BUTTONS:
        raise bad_request("Bad Request: can't parse MenuButton JSON object")
    if button["type"] == "web_app":
        url = (button.get("web_app") or {}).get("url") if isinstance(button.get("web_app"), dict) else None
        if not isinstance(button.get("text"), str) or not button["text"].strip():
            raise bad_request("Bad Request: TEXT_EMPTY")
        if not isinstance(url, str) or not url.startswith("https://"):
            raise bad_request("Bad Request: BUTTON_URL_INVALID")
        button = {"type": "web_app", "text": button["text"], "web_app": {"url": url}}
    else:
        button = {"type": button["type"]}
    key = 0
    if params.values.get("chat_id") not in (None, ""):
        chat = api.find_chat(params.chat_id())
        if chat is None or chat.is_group:
            raise bad_request(CHAT_NOT_FOUND)
        key = chat.id
    if button["type"] == "default":
        api.state.menu_buttons.pop(key, None)
    else:
        api.state.menu_buttons[key] = button
    api.state.changed()
    return True


@api_method("getChatMenuButton")
async def get_chat_menu_button(api: BotApi, params: Params) -> dict:
    key = 0
    if params.values.get("chat_id") not in (None, ""):
        chat = api.find_chat(params.chat_id())
        if chat is None:
            raise bad_request(CHAT_NOT_FOUND)
        key = chat.id
    return dict(api.state.menu_buttons.get(key) or api.state.menu_buttons.get(0) or {"type": "commands"})
