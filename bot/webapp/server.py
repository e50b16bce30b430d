"""The sheet's web server (aiohttp): GET {path} the page, POST {path}/api/<call> the API.

It runs beside the bot in polling and webhook mode alike, on its own port behind the HTTPS reverse proxy
(deploy/), started and stopped by bot/app.py when settings.webapp.public_url is set.
"""

from __future__ import annotations

import json
import logging
import time

from aiohttp import web

from bot.rendering import render
from bot.webapp.api import Answer, answer, error
from bot.webapp.initdata import InitDataChecker
from bot.workflow.services import Services

log = logging.getLogger(__name__)

INIT_DATA_HEADER = "X-Telegram-Init-Data"
PAGE = "web/sheet.html.j2"
# The page is drawn for one user's initData each time: never cached.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _json(found: Answer) -> web.Response:
    return web.Response(
        text=json.dumps(found.body, ensure_ascii=False),
        status=found.status,
        content_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


def sheet_app(services: Services, token: str) -> web.Application:
    """The aiohttp application of the sheet: the page and the four calls."""
    settings = services.settings.webapp
    checker = InitDataChecker(token, settings.max_age_seconds)
    api_path = f"{settings.path}/api"

    async def page(_request: web.Request) -> web.Response:
        html = render(PAGE, api=api_path, texts={})
        return web.Response(text=html, content_type="text/html", charset="utf-8", headers=PAGE_HEADERS)

    async def call(request: web.Request) -> web.Response:
        started = time.perf_counter()
        name = request.match_info["name"]
        if request.content_length is not None and request.content_length > settings.max_body_bytes:
            found = error(413, "too_large")
        else:
            try:
                body = json.loads(await request.read() or b"{}")
            except web.HTTPRequestEntityTooLarge:
                found = error(413, "too_large")
            except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested too deep to decode
                found = error(400, "malformed")
            else:
                found = await answer(services, checker, name, request.headers.get(INIT_DATA_HEADER), body)
        log.info(
            "sheet call=%s status=%s ms=%.1f",
            name,
            found.status,
            (time.perf_counter() - started) * 1000,
        )
        return _json(found)

    async def not_allowed(_request: web.Request) -> web.Response:
        return _json(error(405, "malformed"))

    app = web.Application(client_max_size=settings.max_body_bytes)
    app.router.add_get(settings.path, page)
    app.router.add_get(settings.path + "/", page)
    app.router.add_post(api_path + "/{name}", call)
    app.router.add_get(api_path + "/{name}", not_allowed)
    return app


class SheetServer:
    """The sheet's server on webapp.listen:webapp.port (port 0: any free one, told by `port`)."""

    def __init__(self, services: Services, token: str) -> None:
        self.services = services
        self.token = token
        self.port: int | None = None
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        settings = self.services.settings.webapp
        self._runner = web.AppRunner(sheet_app(self.services, self.token), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, settings.listen, settings.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        log.info(
            "rating sheet on http://%s:%s%s (public URL %s)",
            settings.listen,
            self.port,
            settings.path,
            settings.public_url,
        )

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
