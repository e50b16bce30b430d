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
