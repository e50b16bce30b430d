"""Webhook delivery: pending updates POSTed to the bot one at a time, in order, retried with backoff."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp

from standin.state import JSON, State, Webhook, WebhookAttempt


def dumps(data: Any) -> str:
    """JSON as Telegram writes it: compact, non-ASCII as is."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


class WebhookDelivery:
    """The loop that delivers the updates of `state` to its webhook while the stand-in runs."""

    def __init__(
        self,
        state: State,
        session: aiohttp.ClientSession,
        *,
        retry_delay: float,
        max_retry_delay: float,
        timeout: float,
    ) -> None:
        self.state = state
        self.session = session
        self.retry_delay = retry_delay
        self.max_retry_delay = max_retry_delay
        self.timeout = timeout

    async def run(self) -> None:
        """POST pending updates one at a time, in order; on failure wait (doubling) and retry."""
        state = self.state
        delay = self.retry_delay
        while not state.closing:
            hook = state.webhook
            if hook is None or not state.pending:
                await state.wait_change(60.0)
                continue
            update = state.pending[0]
            status, error = await self._post(hook, update.payload)
            state.webhook_attempts.append(WebhookAttempt(time.time(), update.update_id, status, error))
            if state.webhook is not hook:
                state.changed()
                continue  # changed or deleted meanwhile: start over
            if error is None:
                if state.pending and state.pending[0] is update:
                    state.pending.pop(0)
                delay = self.retry_delay
                state.changed()
                continue
            hook.last_error_date = int(time.time())
            hook.last_error_message = error
            state.changed()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.max_retry_delay)

    async def _post(self, hook: Webhook, payload: JSON) -> tuple[int | None, str | None]:
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
        try:
            async with self.session.post(
                hook.url,
                data=dumps(payload).encode("utf-8"),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
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
