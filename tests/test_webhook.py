"""The bot behind a webhook: `run` registers it with the secret, and requests without it are refused.

`bot.app.run` is called as in production, but the blocking `bot.ops.webhook.run` is replaced by a
recorder; the test then serves the same Application with exactly the recorded arguments, in its own
event loop, against the stand-in (which posts updates with the secret header, as Telegram).
"""

from __future__ import annotations

import asyncio
import contextlib
import json

import aiohttp

from bot import app as bot_app
from bot.ops import webhook
from bot.rendering import render
from bot.settings import load_settings
from standin import StandIn
from tests.botprocess import free_port
from tests.chat import ADMIN, TOKEN
from tests.dbsnapshot import snapshot_async

SECRET = "s3cret-Token_for_the-webhook"


def update_for(user_id: int, update_id: int, text: str = "/help") -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_790_000_000,
            "chat": {"id": user_id, "type": "private", "first_name": "Admin"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Admin"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
        },
    }


async def test_webhook_requests_without_the_right_secret_are_refused(database_url, monkeypatch):
    port = free_port()
    async with StandIn(token=TOKEN) as api, webhook_bot(monkeypatch, api, database_url, port, SECRET):
        driver = api.driver
        assert driver.webhook["secret_token"] == SECRET  # Telegram is told the secret
        driver.add_user(ADMIN, "Admin")
        driver.send_command(ADMIN, "help")
        reply = await driver.wait_for_bot_message(ADMIN)
        assert "/status" in reply.text  # updates Telegram posts with the secret are served
        await driver.wait_until_confirmed()
        answered = len(driver.bot_messages(ADMIN))

        before = await snapshot_async(database_url)
        url = f"http://127.0.0.1:{port}/telegram"
        async with aiohttp.ClientSession() as http:
            for number, headers in enumerate(
                [
                    {},
                    {"X-Telegram-Bot-Api-Secret-Token": "wrong"},
                    {"X-Telegram-Bot-Api-Secret-Token": SECRET[:-1]},
                    {"X-Telegram-Bot-Api-Secret-Token": ""},
                ],
                start=1,
            ):
                async with http.post(
                    url,
                    data=json.dumps(update_for(ADMIN, 900_000 + number, "/invite all")),
                    headers={"Content-Type": "application/json", **headers},
                ) as response:
                    assert response.status == 403, headers
            # the same forged update with the secret is taken: the check is what refused the others
            async with http.post(
                url,
                data=json.dumps(update_for(ADMIN, 900_100, "/nosuchcommand")),
                headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET},
            ) as response:
                assert response.status == 200
        reply = await driver.wait_for_bot_message(ADMIN, after=reply.message_id)
        assert reply.text == render("chat/errors/unknown_command.j2", command="/nosuchcommand")
        assert len(driver.bot_messages(ADMIN)) == answered + 1  # nothing for the refused four
        # nothing written by the refused four (no invite), nor by the unknown command (a refusal)
        assert await snapshot_async(database_url) == before


@contextlib.asynccontextmanager
async def webhook_bot(monkeypatch, api: StandIn, database_url: str, port: int, secret: str | None):
    """`bot.app.run` in webhook mode against the stand-in, `secret` as WEBHOOK_SECRET (None: unset)."""
    recorded: dict = {}

    def record(application, **kwargs):
        recorded.update(kwargs, application=application)

    monkeypatch.setattr(webhook, "run", record)
    telegram = {
        "token": TOKEN,
        "api_url": api.base_url,
        "file_url": api.base_file_url,
        "webhook_url": f"http://127.0.0.1:{port}/telegram",
        "webhook_listen": "127.0.0.1",
        "webhook_port": port,
        "webhook_path": "telegram",
    }
    if secret is not None:
        telegram["webhook_secret"] = secret
    settings = load_settings(
        telegram=telegram,
        database={"url": database_url},
        admins={"ids": [ADMIN]},
        schedule={"tick_seconds": 0},
    )
    bot_app.run(settings)
    application = recorded.pop("application")
    stop = asyncio.Event()
    serving = asyncio.create_task(webhook.serve(application, stop=stop, **recorded))
    await api.driver.wait_for(lambda: api.driver.webhook, timeout=10, what="the webhook set")
    await asyncio.sleep(0.2)  # the application started just after it set the webhook
    try:
        yield application
    finally:
        stop.set()
        await serving


async def test_without_a_configured_secret_the_bot_makes_one_and_refuses_forged_updates(
    database_url, monkeypatch
):
    """No WEBHOOK_SECRET: a forged `/admins grant 666666` as the bootstrap admin makes nobody admin."""
    port = free_port()
    async with StandIn(token=TOKEN) as api, webhook_bot(monkeypatch, api, database_url, port, None):
        driver = api.driver
        secret = driver.webhook["secret_token"]
        assert secret and len(secret) >= 32  # Telegram was given a secret the bot generated
        driver.add_user(ADMIN, "Admin")
        driver.send_command(ADMIN, "help")
        await driver.wait_for_bot_message(ADMIN)  # Telegram's own updates (with the secret) are served
        await driver.wait_until_confirmed()
        answered = len(driver.bot_messages(ADMIN))
        before = await snapshot_async(database_url)
        url = f"http://127.0.0.1:{port}/telegram"
        async with aiohttp.ClientSession() as http:
            for number, headers in enumerate([{}, {"X-Telegram-Bot-Api-Secret-Token": "guess"}], start=1):
                async with http.post(
                    url,
                    data=json.dumps(update_for(ADMIN, 910_000 + number, "/admins grant 666666")),
                    headers={"Content-Type": "application/json", **headers},
                ) as response:
                    assert response.status == 403, headers
        await asyncio.sleep(0.5)
        assert len(driver.bot_messages(ADMIN)) == answered
        assert await snapshot_async(database_url) == before


async def raw_post(port: int, head: str, body_parts, timeout: float = 5.0) -> bytes:
    """POST by hand: the request line and headers, then the body parts as long as the server reads;
    returns what the server answered (its status line first), or b"" when it closed without one."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head.encode())
        with contextlib.suppress(ConnectionError):
            for part in body_parts:
                writer.write(part)
                await writer.drain()
        with contextlib.suppress(ConnectionError):
            return await asyncio.wait_for(reader.read(200), timeout)
        return b""
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


async def test_an_oversized_body_is_refused_before_it_is_read(database_url, monkeypatch):
    """A Content-Length of 60 MB gets 413 while the body has hardly begun; a chunked body is cut."""
    port = free_port()
    async with StandIn(token=TOKEN) as api, webhook_bot(monkeypatch, api, database_url, port, SECRET):
        head = (
            "POST /telegram HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"X-Telegram-Bot-Api-Secret-Token: {SECRET}\r\n"
        )
        # 64 KB of a 60 MB body sent: the answer comes without the rest (today: it waits for all)
        answer = await raw_post(port, head + "Content-Length: 62914560\r\n\r\n", [b" " * 65536])
        assert answer.startswith(b"HTTP/1.1 413"), answer

        def chunked():
            for _ in range(40):  # 40 chunks of 64 KB: 2.5 MB, over the limit
                yield b"10000\r\n" + b" " * 65536 + b"\r\n"
            yield b"0\r\n\r\n"

        answer = await raw_post(port, head + "Transfer-Encoding: chunked\r\n\r\n", chunked())
        assert answer == b"" or answer.startswith(b"HTTP/1.1 413"), answer
        # the bot goes on serving Telegram's updates
        api.driver.add_user(ADMIN, "Admin")
        api.driver.send_command(ADMIN, "help")
        assert "/status" in (await api.driver.wait_for_bot_message(ADMIN)).text
