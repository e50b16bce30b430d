"""The stand-in's HTTP server: the Bot API with its faults and flood limits, and file downloads."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any

import aiohttp
from aiohttp import web

from standin.driver import Driver
from standin.driver_http import driver_actions, handle_driver
from standin.limits import Clock, Faults, Limits, RateLimiter
from standin.methods import MAX_UPLOAD, Answer, ApiError, ApiMethod, BotApi, Params, Upload, find_method
from standin.state import JSON, LoggedRequest, State, User
from standin.webhooks import WebhookDelivery, dumps

TOKEN_FORMAT = re.compile(r"(\d+):[A-Za-z0-9_-]{1,64}")

_log = logging.getLogger(__name__)


def _api_answer(result: Any = None, *, description: str | None = None) -> web.Response:
    body: JSON = {"ok": True, "result": result}
    if description:
        body["description"] = description
    return web.json_response(body, dumps=dumps)


def _api_error(error: ApiError) -> web.Response:
    body: JSON = {"ok": False, "error_code": error.status, "description": error.description}
    if error.retry_after is not None:
        body["parameters"] = {"retry_after": error.retry_after}
    return web.json_response(body, status=error.status, dumps=dumps)


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
        self.driver = Driver(self.state, self.faults, clock=clock, privacy_mode=privacy_mode, token=token)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._driver_actions = driver_actions(self.driver)

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
        delivery = WebhookDelivery(
            self.state,
            self._session,
            retry_delay=self.webhook_retry_delay,
            max_retry_delay=self.webhook_max_retry_delay,
            timeout=self.webhook_timeout,
        )
        self._webhook_task = asyncio.create_task(delivery.run(), name="standin-webhook")
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

    async def _handle_driver(self, request: web.Request) -> web.StreamResponse:
        return await handle_driver(self._driver_actions, request)
