"""The bot and its updates: getMe, getUpdates (long polls, offsets, conflicts) and the webhook's settings."""

from __future__ import annotations

import asyncio
import re

from standin.methods.calls import Answer, ApiError, BotApi, Params, api_method, bad_request
from standin.state import JSON, Webhook

MAX_LONG_POLL = 50.0

WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)

_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


@api_method("getMe")
async def get_me(api: BotApi, params: Params) -> JSON:
    return {
        **api.state.bot.to_api(),
        "can_join_groups": True,
        "can_read_all_group_messages": not api.privacy_mode,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@api_method("getUpdates")
async def get_updates(api: BotApi, params: Params) -> list[JSON]:
    state = api.state
    if state.webhook is not None:
        raise ApiError(409, WEBHOOK_CONFLICT)
    offset = params.integer("offset", 0) or 0
    limit = min(max(params.integer("limit", 100) or 100, 1), 100)
    timeout = min(max(params.number("timeout", 0.0), 0.0), MAX_LONG_POLL)
    allowed = params.json("allowed_updates", "allowed updates")
    if isinstance(allowed, list):
        state.allowed_updates = [str(kind) for kind in allowed]
    state.confirm(offset)
    state.poll_generation += 1
    generation = state.poll_generation
    state.changed()  # an earlier long poll ends with a conflict
    loop_time = asyncio.get_running_loop().time
    deadline = loop_time() + timeout
    while True:
        if state.poll_generation != generation:
            raise ApiError(409, POLL_CONFLICT)
        if state.webhook is not None:
            return []
        batch = state.next_batch(limit)
        remaining = deadline - loop_time()
        if batch or remaining <= 0 or state.closing:
            return [update.payload for update in batch]
        state.waiting_polls += 1
        state.changed()
        try:
            await state.wait_change(remaining)
        finally:
            state.waiting_polls -= 1


@api_method("setWebhook")
async def set_webhook(api: BotApi, params: Params) -> Answer:
    state = api.state
    url = (params.text("url") or "").strip()
    if not url:
        return await delete_webhook(api, params)
    if not url.startswith(("http://", "https://")):
        raise bad_request("Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
    secret = params.text("secret_token")
    if secret is not None and not _SECRET.fullmatch(secret):
        raise bad_request("Bad Request: secret token contains unallowed characters")
    allowed = params.json("allowed_updates", "allowed updates")
    if isinstance(allowed, list):
        state.allowed_updates = [str(kind) for kind in allowed]
    if params.flag("drop_pending_updates"):
        state.drop_pending()
    same = state.webhook is not None and state.webhook.url == url
    state.webhook = Webhook(
        url=url, secret_token=secret, max_connections=params.integer("max_connections", 40) or 40
    )
    state.changed()
    return Answer(True, "Webhook is already set" if same else "Webhook was set")


@api_method("deleteWebhook")
async def delete_webhook(api: BotApi, params: Params) -> Answer:
    state = api.state
    if params.flag("drop_pending_updates"):
        state.drop_pending()
    existed = state.webhook is not None
    state.webhook = None
    state.changed()
    return Answer(True, "Webhook was deleted" if existed else "Webhook is already deleted")


@api_method("getWebhookInfo")
async def get_webhook_info(api: BotApi, params: Params) -> JSON:
    state = api.state
    hook = state.webhook
    info: JSON = {"url": hook.url if hook else "", "has_custom_certificate": False}
    info["pending_update_count"] = len(state.pending)
    if hook is not None:
        info["max_connections"] = hook.max_connections
        if hook.last_error_date is not None:
            info["last_error_date"] = hook.last_error_date
            info["last_error_message"] = hook.last_error_message
    if state.allowed_updates:
        info["allowed_updates"] = list(state.allowed_updates)
    return info
