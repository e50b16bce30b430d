"""The stand-in's HTTP side: the Bot API, file downloads, webhook delivery and the /_driver endpoints."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any

import aiohttp
from aiohttp import web

from standin.driver import Driver, DriverError
from standin.limits import Clock, Faults, Limits, RateLimiter
from standin.methods import (
    MAX_UPLOAD,
    Answer,
    ApiError,
    ApiMethod,
    BotApi,
    Params,
    Upload,
    find_method,
)
from standin.state import JSON, LoggedRequest, State, User, Webhook, WebhookAttempt

TOKEN_FORMAT = re.compile(r"(\d+):[A-Za-z0-9_-]{1,64}")

_log = logging.getLogger(__name__)


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _api_answer(result: Any = None, *, description: str | None = None) -> web.Response:
    body: JSON = {"ok": True, "result": result}
    if description:
        body["description"] = description
    return web.json_response(body, dumps=_dumps)


def _api_error(error: ApiError) -> web.Response:
    body: JSON = {"ok": False, "error_code": error.status, "description": error.description}
    if error.retry_after is not None:
        body["parameters"] = {"retry_after": error.retry_after}
    return web.json_response(body, status=error.status, dumps=_dumps)


class StandIn:
    """A fake Telegram Bot API server on 127.0.0.1, with a driver that plays the bot's users.

    `async with StandIn(token="123:ABC") as api:` starts it on a free port in the running event loop
    (the loop of the PTB Application under test); point PTB at `api.base_url` and `api.base_file_url`
    and drive the people through `api.driver`.
    """

    def __init__(
        self,
        token: str = "123:ABC",
        *,
        limits: Limits | None = None,
        port: int = 0,
        bot_username: str = "assessment_test_bot",
        bot_name: str = "Assessment Test Bot",
        privacy_mode: bool = True,
        callback_expiry: float = 15.0,
        webhook_retry_delay: float = 0.1,
        webhook_max_retry_delay: float = 2.0,
        webhook_timeout: float = 10.0,
        clock: Clock = time.monotonic,
    ) -> None:
        match = TOKEN_FORMAT.fullmatch(token)
        if match is None:
            raise ValueError("a bot token looks like 123456:ABC-def_ghi")
        self.token = token
        self.port = port
        self.webhook_retry_delay = webhook_retry_delay
        self.webhook_max_retry_delay = webhook_max_retry_delay
        self.webhook_timeout = webhook_timeout
        bot = User(int(match.group(1)), bot_name, bot_username, is_bot=True)
        self.state = State(bot)
        self.faults = Faults()
        self.limiter = RateLimiter(limits, clock) if limits is not None else None
        self.api = BotApi(self.state, clock=clock, callback_expiry=callback_expiry, privacy_mode=privacy_mode)
        self.driver = Driver(self.state, self.faults, clock=clock, privacy_mode=privacy_mode)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._driver_actions = self._driver_table()

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """PTB's base_url (the token is appended)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """PTB's base_file_url (the token is appended)."""
        return f"{self.url}/file/bot"

    @property
    def driver_url(self) -> str:
        return f"{self.url}/_driver"

    @property
    def bot_user(self) -> JSON:
        return self.state.bot.to_api()

    async def start(self) -> StandIn:
        self.state.closing = False
        app = web.Application(client_max_size=MAX_UPLOAD + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_route("*", "/_driver/{action}", self._handle_driver)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown)
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self._session = aiohttp.ClientSession()
        self._webhook_task = asyncio.create_task(self._deliver_webhooks(), name="standin-webhook")
        return self

    async def stop(self) -> None:
        self.state.closing = True
        self.state.changed()  # long polls answer at once
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            await asyncio.gather(self._webhook_task, return_exceptions=True)
            self._webhook_task = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> StandIn:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- the Bot API ---------------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        token, name = request.match_info["token"], request.match_info["method"]
        if TOKEN_FORMAT.fullmatch(token) is None:
            return _api_error(ApiError(404, "Not Found"))
        if token != self.token:
            self._log(name, None, 401, "Unauthorized")
            return _api_error(ApiError(401, "Unauthorized"))
        method = find_method(name)
        if method is None:
            _log.warning(
                "the stand-in has no Bot API method %r: answered 404 (PTB raises InvalidToken)", name
            )
            self._log(name, None, 404, "Not Found")
            return _api_error(ApiError(404, "Not Found"))
        try:
            params = await self._read_params(request)
        except ApiError as error:
            self._log(method.name, None, error.status, error.description)
            return _api_error(error)
        chat_id = self.api.log_chat_id(method, params)
        fault = self.faults.take(method.name)
        try:
            if fault is not None and fault.status:
                self._log(method.name, chat_id, fault.status, fault.description)
                if fault.delay:
                    await asyncio.sleep(fault.delay)
                return _api_error(ApiError(fault.status, fault.description or "", fault.retry_after))
            result = await self._call(method, params, chat_id)
        except ApiError as error:
            self._log(method.name, chat_id, error.status, error.description)
            return _api_error(error)
        except Exception:
            _log.exception("stand-in failure in %s", method.name)
            self._log(method.name, chat_id, 500, "Internal Server Error")
            return _api_error(ApiError(500, "Internal Server Error"))
        self._log(method.name, chat_id, 200)
        if fault is not None and fault.delay:
            await asyncio.sleep(fault.delay)  # done, but the answer comes late
        if isinstance(result, Answer):
            return _api_answer(result.result, description=result.description)
        return _api_answer(result)

    async def _call(self, method: ApiMethod, params: Params, chat_id: int | str | None) -> Any:
        limited = method.counts_as_message and self.limiter is not None and isinstance(chat_id, int)
        if not limited:
            return await self.api.call(method, params)
        assert self.limiter is not None and isinstance(chat_id, int)
        chat = self.state.chats.get(chat_id)
        is_group = chat.is_group if chat is not None else chat_id < 0
        wait = self.limiter.retry_after(chat_id, is_group)
        if wait is not None:
            raise ApiError(429, f"Too Many Requests: retry after {wait}", wait)
        result = await self.api.call(method, params)
        self.limiter.record(chat_id, is_group)
        return result

    def _log(
        self, method: str, chat_id: int | str | None, status: int, description: str | None = None
    ) -> None:
        self.state.log(LoggedRequest(time.time(), method, chat_id, status, description))

    @staticmethod
    async def _read_params(request: web.Request) -> Params:
        """Query string, then the body: form-urlencoded, multipart (files kept apart) or JSON."""
        values: dict[str, Any] = dict(request.query)
        uploads: dict[str, Upload] = {}
        if not request.body_exists:
            return Params(values)
        content_type = request.content_type
        if content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise ApiError(400, "Bad Request: can't parse JSON encoded request body") from None
            if not isinstance(body, dict):
                raise ApiError(400, "Bad Request: can't parse JSON encoded request body")
            values.update(body)
        elif content_type == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, aiohttp.BodyPartReader) or not part.name:
                    continue
                if part.filename is not None:
                    data = bytes(await part.read(decode=True))
                    content = part.headers.get(aiohttp.hdrs.CONTENT_TYPE)
                    uploads[part.name] = Upload(part.filename, content, data)
                else:
                    values[part.name] = await part.text()
        else:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    uploads[key] = Upload(value.filename, value.content_type, value.file.read())
                else:
                    values[key] = value
        return Params(values, uploads)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.Response(status=404, text="Not Found")
        stored = self.state.files_by_path.get(request.match_info["path"])
        if stored is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")

    async def _handle_unknown(self, request: web.Request) -> web.StreamResponse:
        return _api_error(ApiError(404, "Not Found"))

    # -- webhook delivery ----------------------------------------------------------------------

    async def _deliver_webhooks(self) -> None:
        """POST pending updates one at a time, in order; on failure wait (doubling) and retry."""
        state = self.state
        delay = self.webhook_retry_delay
        while not state.closing:
            hook = state.webhook
            if hook is None or not state.pending:
                await state.wait_change(60.0)
                continue
            update = state.pending[0]
            status, error = await self._post_update(hook, update.payload)
            state.webhook_attempts.append(WebhookAttempt(time.time(), update.update_id, status, error))
            if state.webhook is not hook:
                state.changed()
                continue  # changed or deleted meanwhile: start over
            if error is None:
                if state.pending and state.pending[0] is update:
                    state.pending.pop(0)
                delay = self.webhook_retry_delay
                state.changed()
                continue
            hook.last_error_date = int(time.time())
            hook.last_error_message = error
            state.changed()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.webhook_max_retry_delay)

    async def _post_update(self, hook: Webhook, payload: JSON) -> tuple[int | None, str | None]:
        assert self._session is not None
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
        try:
            async with self._session.post(
                hook.url,
                data=_dumps(payload).encode("utf-8"),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.webhook_timeout),
            ) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return response.status, None
                return (
                    response.status,
                    f"Wrong response from the webhook: {response.status} {response.reason}",
                )
        except TimeoutError:
            return None, "Read timeout expired"
        except aiohttp.ClientConnectionError:
            return None, "Connection refused"
        except aiohttp.ClientError as error:
            return None, f"Webhook request failed: {error}"

    # -- the driver over HTTP ------------------------------------------------------------------

    async def _handle_driver(self, request: web.Request) -> web.StreamResponse:
        action = self._driver_actions.get(request.match_info["action"])
        if action is None:
            return web.json_response({"ok": False, "description": "Not Found"}, status=404)
        body: JSON = dict(request.query)
        if request.body_exists:
            try:
                posted = await request.json()
            except ValueError:
                return web.json_response({"ok": False, "description": "the body must be JSON"}, status=400)
            if not isinstance(posted, dict):
                return web.json_response(
                    {"ok": False, "description": "the body must be an object"}, status=400
                )
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
        return web.json_response({"ok": True, "result": result}, dumps=_dumps)

    def _driver_table(self) -> dict[str, Callable[[JSON], Any]]:
        d = self.driver

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
                admins=[int(m) for m in b.get("admins", [])],
                creator=number(b, "creator"),
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
            "push_update": lambda b: {"update_id": d.push_update(b["update"])},
            "redeliver": lambda b: done(d.redeliver(int(b["update_id"]))),
            "fail_next": lambda b: done(
                d.fail_next(
                    b["method"],
                    int(b.get("status", 500)),
                    times=int(b.get("times", 1)),
                    description=b.get("description"),
                    delay=float(b.get("delay", 0.0)),
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
