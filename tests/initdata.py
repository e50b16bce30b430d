"""initData signed here as Telegram signs it (its documented algorithm, not the library the bot uses).

https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app: the data-check-string
is every field but `hash`, as `key=value` lines sorted by key; secret_key = HMAC_SHA256(key="WebAppData",
msg=bot token); hash = hex(HMAC_SHA256(key=secret_key, msg=data-check-string)).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import quote, urlencode

TOKEN = "123456:TEST-token_of-the-sheet"
OTHER_TOKEN = "654321:another-bot"


def signed_fields(token: str, user_id: int = 42, auth_date: int | None = None, **extra: str) -> dict:
    """initData's fields with their hash, signed as Telegram signs them."""
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(
            {"id": user_id, "first_name": "晓燕", "last_name": "吴", "language_code": "zh-hans"},
            ensure_ascii=False,
            separators=(",", ":"),
        ),
        "auth_date": str(int(time.time()) if auth_date is None else auth_date),
        **extra,
    }
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    return {**fields, "hash": hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()}


def init_data(token: str = TOKEN, user_id: int = 42, auth_date: int | None = None, **extra: str) -> str:
    """The raw query string as Telegram.WebApp.initData gives it."""
    return urlencode(signed_fields(token, user_id, auth_date, **extra), quote_via=quote)
