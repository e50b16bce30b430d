"""Who a sheet request comes from: Telegram's signed initData, checked with init-data-py.

The page sends Telegram.WebApp.initData (a query string) with every request. Its `hash` is an
HMAC-SHA256 of the other fields (sorted `key=value` lines) under the key HMAC-SHA256("WebAppData", bot
token); `auth_date` is when Telegram signed it, on the real clock. Only a user id that passes both is
trusted; whatever else the page sends about who is asking is not.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from init_data_py import errors, validate_by_hash

MISSING, FORGED, EXPIRED = "init_data_missing", "init_data_forged", "init_data_expired"
FUTURE_SLACK = dt.timedelta(minutes=5)  # a signing clock a little ahead of ours


class InitDataRefused(Exception):
    """initData missing, not signed with this bot's token, malformed or too old: `code` says which."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)


@dataclass(frozen=True)
class InitDataChecker:
    """Checks the initData of one bot token, at most `max_age_seconds` old."""

    token: str
    max_age_seconds: int

    def user_id(self, raw: str | None, now: dt.datetime | None = None) -> int:
        """The Telegram user id of a valid initData; InitDataRefused otherwise. `now`: the wall clock."""
        if not raw:
            raise InitDataRefused(MISSING)
        try:  # the signature first (duplicated keys and malformed fields are refused by the parser)
            data = validate_by_hash(raw, self.token, expires_in=None)
        except errors.InvalidInitDataError:
            raise InitDataRefused(FORGED) from None
        if data.user is None:
            raise InitDataRefused(FORGED)
        age = (now or dt.datetime.now(dt.UTC)) - data.issued_at
        if age > dt.timedelta(seconds=self.max_age_seconds) or age < -FUTURE_SLACK:
            raise InitDataRefused(EXPIRED)
        return data.user.id
