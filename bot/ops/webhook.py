"""The webhook endpoint: only requests with the secret, bodies refused above a limit before they are read."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import secrets
import signal

from aiohttp import web
from telegram import Update
from telegram.ext import Application

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024  # an update is a few KB; Telegram's largest are far below this (nginx: 1m too)


def webhook_secret(configured: str | None) -> str:
    """The configured secret, or one made for this run: a webhook never runs without a secret.

    Telegram accepts 1-256 characters of A-Z, a-z, 0-9, _ and -: token_urlsafe's alphabet.
    """
    return configured or secrets.token_urlsafe(32)


class WebhookEndpoint:
    """POST `path` on `listen:port`: 403 without the secret, 413 above `max_body`, else the update queued."""

    def __init__(
        self,
        application: Application,
        secret: str,
        *,
        listen: str,
        port: int,
        path: str,
        max_body: int = MAX_BODY,
    ) -> None:
        self.application = application
        self.secret = secret.encode()
        self.listen, self.port, self.path = listen, port, "/" + path.strip("/")
        self.max_body = max_body
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application(client_max_size=self.max_body)
        app.router.add_post(self.path, self.receive)
        app.router.add_post(self.path + "/", self.receive)
        # lingering_time 0: a refused request's unread body is not read on after the answer
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, lingering_time=0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.listen, self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _refuse(self, status: int) -> web.Response:
        response = web.Response(status=status)
        response.force_close()  # the rest of the body is never read: the connection ends with the answer
        return response

    async def receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            log.info("webhook: a request without the right secret refused (403)")
            return self._refuse(403)
        if request.content_length is not None and request.content_length > self.max_body:
            log.info("webhook: a body of %s bytes refused unread (413)", request.content_length)
            return self._refuse(413)
        try:
            body = await request.read()  # a chunked body stops at client_max_size
        except web.HTTPRequestEntityTooLarge:
            log.info("webhook: a chunked body over %s bytes cut (413)", self.max_body)
            return self._refuse(413)
        try:
            update = Update.de_json(json.loads(body), self.application.bot)
        except Exception:
            log.info("webhook: a body that is no update refused (400)")
            return self._refuse(400)
        await self.application.update_queue.put(update)
        return web.Response(status=200)


async def serve(
    application: Application,
    *,
    url: str,
    secret: str,
    listen: str,
    port: int,
    path: str,
    stop: asyncio.Event,
) -> None:
    """Run the application behind its webhook until `stop` is set: what PTB's run_webhook does, with
    the endpoint above. The webhook is registered (URL and secret) with Telegram at every start."""
    endpoint = WebhookEndpoint(application, secret, listen=listen, port=port, path=path)
    await application.initialize()
    try:
        if application.post_init is not None:
            await application.post_init(application)
        await endpoint.start()
        await application.bot.set_webhook(url, secret_token=secret, allowed_updates=Update.ALL_TYPES)
        await application.start()
        try:
            await stop.wait()
        finally:
            await endpoint.stop()
            await application.stop()
            if application.post_stop is not None:
                await application.post_stop(application)
    finally:
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)


def run(application: Application, **kwargs) -> None:
    """`serve` until SIGINT or SIGTERM."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(signum, stop.set)
        await serve(application, stop=stop, **kwargs)

    asyncio.run(main())
