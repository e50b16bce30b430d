"""The bot behind a webhook: `run` registers it with the secret, and requests without it are refused.

`bot.app.run` is called as in production, but PTB's blocking `run_webhook` is replaced by a recorder;
the test then starts the same Application's webhook server with exactly the recorded arguments, in
its own event loop, against the stand-in (which posts updates with the secret header, as Telegram).
"""

from __future__ import annotations

import json

import aiohttp
from telegram.ext import Application

from bot import app as bot_app
from bot.app import _on_start, _on_stop
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
    recorded: dict = {}

    def record(self, **kwargs):
        recorded.update(kwargs, application=self)

    monkeypatch.setattr(Application, "run_webhook", record)
    async with StandIn(token=TOKEN) as api:
        settings = load_settings(
            telegram={
                "token": TOKEN,
                "api_url": api.base_url,
                "file_url": api.base_file_url,
                "webhook_url": f"http://127.0.0.1:{port}/telegram",
                "webhook_secret": SECRET,
                "webhook_listen": "127.0.0.1",
                "webhook_port": port,
                "webhook_path": "telegram",
            },
            database={"url": database_url},
            admins={"ids": [ADMIN]},
            schedule={"tick_seconds": 0},
        )
        bot_app.run(settings)
        application = recorded.pop("application")
        assert recorded["secret_token"] == SECRET
        await application.initialize()
        await _on_start(application)
        await application.updater.start_webhook(**recorded)
        await application.start()
        try:
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
        finally:
            await application.updater.stop()
            await application.stop()
            await _on_stop(application)
            await application.shutdown()
