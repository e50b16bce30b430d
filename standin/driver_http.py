"""The driver over HTTP: /_driver/<action> endpoints for tests and demos in another process."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any

from aiohttp import web

from standin.driver import Driver, DriverError
from standin.state import JSON
from standin.webhooks import dumps

Actions = dict[str, Callable[[JSON], Any]]


async def handle_driver(actions: Actions, request: web.Request) -> web.StreamResponse:
    """POST (or GET) /_driver/<action> with a JSON object: the driver call's result as JSON."""
    action = actions.get(request.match_info["action"])
    if action is None:
        return web.json_response({"ok": False, "description": "Not Found"}, status=404)
    body: JSON = dict(request.query)
    if request.body_exists:
        try:
            posted = await request.json()
        except ValueError:
            return web.json_response({"ok": False, "description": "the body must be JSON"}, status=400)
        if not isinstance(posted, dict):
            return web.json_response({"ok": False, "description": "the body must be an object"}, status=400)
        body.update(posted)
    try:
        result = action(body)
        if asyncio.iscoroutine(result):
            result = await result
    except (DriverError, ValueError, TypeError) as error:
        return web.json_response({"ok": False, "description": str(error)}, status=400)
    except KeyError as error:
        return web.json_response({"ok": False, "description": f"missing field {error}"}, status=400)
    except TimeoutError as error:
        return web.json_response({"ok": False, "description": str(error)}, status=408)
    return web.json_response({"ok": True, "result": result}, dumps=dumps)


def driver_actions(d: Driver) -> Actions:
    """The driver's calls by name, each taking the request's JSON object."""

    def number(body: JSON, key: str) -> int | None:
        value = body.get(key)
        return None if value is None or value == "" else int(value)

    def message(view: Any) -> JSON | None:
        return view.to_dict() if view is not None else None

    async def wait_messages(body: JSON) -> list[JSON]:
        views = await d.wait_for_bot_messages(
            int(body["chat_id"]),
            int(body.get("count", 1)),
            after=number(body, "after"),
            timeout=float(body.get("timeout", 5.0)),
        )
        return [view.to_dict() for view in views]

    async def wait_message(body: JSON) -> JSON:
        return (await wait_messages(body))[-1]

    async def wait_answer(body: JSON) -> JSON:
        answer = await d.wait_for_callback_answer(
            str(body["query_id"]), timeout=float(body.get("timeout", 5.0))
        )
        return answer.to_dict()

    async def wait_confirmed(body: JSON) -> bool:
        await d.wait_until_confirmed(timeout=float(body.get("timeout", 5.0)))
        return True

    def done(_: Any) -> bool:
        return True

    actions: dict[str, Callable[[JSON], Any | Awaitable[Any]]] = {
        "bot_user": lambda b: d.bot_user,
        "users": lambda b: d.add_user(
            number(b, "id"),
            b.get("first_name", "User"),
            username=b.get("username"),
            last_name=b.get("last_name"),
            language_code=b.get("language_code"),
        ),
        "groups": lambda b: d.add_group(
            int(b["id"]),
            b["title"],
            [int(m) for m in b.get("members", [])],
            supergroup=bool(b.get("supergroup", False)),
            bot_admin=bool(b.get("bot_admin", False)),
        ),
        "add_member": lambda b: done(d.add_member(int(b["chat_id"]), int(b["user_id"]))),
        "remove_bot": lambda b: done(
            d.remove_bot(int(b["chat_id"]), int(b["by_user_id"]), kicked=bool(b.get("kicked", True)))
        ),
        "block": lambda b: done(d.block(int(b["user_id"]))),
        "unblock": lambda b: done(d.unblock(int(b["user_id"]))),
        "send_text": lambda b: d.send_text(
            int(b["user_id"]), b["text"], number(b, "chat_id"), reply_to=number(b, "reply_to")
        ).to_dict(),
        "send_command": lambda b: d.send_command(
            int(b["user_id"]),
            b["command"],
            b.get("args", ""),
            number(b, "chat_id"),
            mention=bool(b.get("mention", False)),
        ).to_dict(),
        "send_document": lambda b: d.send_document(
            int(b["user_id"]),
            b["filename"],
            base64.b64decode(b["data"]),
            b.get("caption"),
            mime_type=b.get("mime_type"),
            chat_id=number(b, "chat_id"),
            file_size=number(b, "file_size"),
        ).to_dict(),
        "send_photo": lambda b: d.send_photo(
            int(b["user_id"]), base64.b64decode(b["data"]), b.get("caption"), chat_id=number(b, "chat_id")
        ).to_dict(),
        "press": lambda b: {
            "query_id": d.press(
                int(b["user_id"]),
                int(b["message_id"]),
                b.get("callback_data"),
                chat_id=number(b, "chat_id"),
                label=b.get("label"),
            )
        },
        "edit_text": lambda b: d.edit_text(
            int(b["user_id"]), int(b["message_id"]), b["text"], chat_id=number(b, "chat_id")
        ).to_dict(),
        "open_web_app": lambda b: d.open_web_app(
            int(b["user_id"]), b["url"], auth_date=number(b, "auth_date"), token=b.get("token")
        ),
        "init_data": lambda b: d.init_data(
            int(b["user_id"]), auth_date=number(b, "auth_date"), token=b.get("token")
        ),
        "menu_button": lambda b: d.menu_button(int(b["chat_id"])),
        "push_update": lambda b: {"update_id": d.push_update(b["update"])},
        "redeliver": lambda b: done(d.redeliver(int(b["update_id"]))),
        "fail_next": lambda b: done(
            d.fail_next(
                b["method"],
                int(b.get("status", 500)),
                times=int(b.get("times", 1)),
                description=b.get("description"),
                delay=float(b.get("delay", 0.0)),
                after=int(b.get("after", 0)),
            )
        ),
        "retry_after_next": lambda b: done(
            d.retry_after_next(b["method"], int(b["retry_after"]), times=int(b.get("times", 1)))
        ),
        "delay_next": lambda b: done(
            d.delay_next(b["method"], float(b["seconds"]), times=int(b.get("times", 1)))
        ),
        "history": lambda b: [view.to_dict() for view in d.history(int(b["chat_id"]))],
        "message": lambda b: d.message(int(b["chat_id"]), int(b["message_id"])).to_dict(),
        "last_bot_message": lambda b: message(d.last_bot_message(int(b["chat_id"]))),
        "callback_answers": lambda b: {key: a.to_dict() for key, a in d.callback_answers.items()},
        "callback_query": lambda b: d.callback_query(str(b["query_id"])).to_dict(),
        "commands": lambda b: d.commands(
            json.loads(b["scope"]) if isinstance(b.get("scope"), str) else b.get("scope"),
            b.get("language_code", ""),
        ),
        "requests": lambda b: [asdict(r) for r in d.requests],
        "pending_updates": lambda b: d.pending_updates,
        "webhook": lambda b: d.webhook,
        "webhook_attempts": lambda b: [asdict(a) for a in d.webhook_attempts],
        "wait_for_bot_messages": wait_messages,
        "wait_for_bot_message": wait_message,
        "wait_for_callback_answer": wait_answer,
        "wait_until_confirmed": wait_confirmed,
    }
    return actions
