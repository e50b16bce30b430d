"""Mini App launches as Telegram makes them: initData signed with the bot's token, in the URL's fragment.

Written from Telegram's documentation (core.telegram.org/bots/webapps, "Validating data received via the
Mini App"), on its own: the bot's validator is checked against these values, not against itself.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from urllib.parse import quote, urlencode

from standin.state import JSON

WEB_APP_VERSION = "7.0"
# Telegram's light theme, as tgWebAppThemeParams carries it (the page sets --tg-theme-* from these).
THEME: JSON = {
    "bg_color": "#ffffff",
    "text_color": "#000000",
    "hint_color": "#999999",
    "link_color": "#2481cc",
    "button_color": "#2481cc",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#efeff3",
}


def sign_init_data(token: str, user: JSON, auth_date: int, *, query_id: str | None = None) -> str:
    """initData as the query string Telegram.WebApp.initData holds: query_id, user (JSON), auth_date, hash.

    hash = hex HMAC-SHA256 of the data-check string (every other field as key=value, sorted by key, joined
    by newlines) under the secret key HMAC-SHA256(key="WebAppData", message=bot token)."""
    fields = {
        "query_id": query_id or "AAH" + secrets.token_urlsafe(18),
        "user": json.dumps({**user, "allows_write_to_pm": True}, ensure_ascii=False, separators=(",", ":")),
        "auth_date": str(auth_date),
    }
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields, quote_via=quote)


def launch_url(url: str, init_data: str, *, platform: str = "android", theme: JSON | None = None) -> str:
    """The URL a Mini App is opened at: the page's own, and Telegram's launch parameters in the fragment."""
    fragment = urlencode(
        {
            "tgWebAppData": init_data,
            "tgWebAppVersion": WEB_APP_VERSION,
            "tgWebAppPlatform": platform,
            "tgWebAppThemeParams": json.dumps(theme or THEME, separators=(",", ":")),
        },
        quote_via=quote,
    )
    return f"{url.split('#', 1)[0]}#{fragment}"
