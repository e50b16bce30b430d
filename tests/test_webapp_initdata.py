"""The sheet's initData check against values signed here, by Telegram's documented algorithm, not the library.

https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app: the data-check-string
is every field but `hash`, as `key=value` lines sorted by key; secret_key = HMAC_SHA256(key="WebAppData",
msg=bot token); hash = hex(HMAC_SHA256(key=secret_key, msg=data-check-string)).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
from urllib.parse import quote, urlencode

import pytest

from bot.webapp.initdata import EXPIRED, FORGED, MISSING, InitDataChecker, InitDataRefused

TOKEN = "123456:TEST-token_of-the-sheet"
OTHER_TOKEN = "654321:another-bot"
DAY = 86400


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


CHECKER = InitDataChecker(TOKEN, DAY)


def refusal(raw: str | None) -> str:
    with pytest.raises(InitDataRefused) as refused:
        CHECKER.user_id(raw)
    return refused.value.code


def test_initdata_signed_with_the_bots_token_names_its_user():
    assert CHECKER.user_id(init_data(user_id=700_001)) == 700_001
    # fields Telegram adds later (and unknown user fields) are signed like the others and accepted
    assert CHECKER.user_id(init_data(chat_type="private", signature="c2ln", start_param="sheet")) == 42
    almost_a_day = int(time.time()) - DAY + 60
    assert CHECKER.user_id(init_data(auth_date=almost_a_day)) == 42


def test_forged_tampered_or_foreign_initdata_is_refused():
    good = signed_fields(TOKEN)
    wrong_hash = {**good, "hash": "0" * 64}
    assert refusal(urlencode(wrong_hash)) == FORGED
    tampered = {**good, "user": good["user"].replace('"id":42', '"id":43')}  # another user, same hash
    assert refusal(urlencode(tampered)) == FORGED
    assert refusal(init_data(token=OTHER_TOKEN)) == FORGED  # a hash for another bot
    no_hash = {k: v for k, v in good.items() if k != "hash"}
    assert refusal(urlencode(no_hash)) == FORGED
    assert refusal(urlencode(good) + "&user=" + quote('{"id":43,"first_name":"x"}')) == FORGED  # duplicated
    no_user = signed_fields(TOKEN)
    del no_user["user"]
    assert refusal(urlencode(no_user)) == FORGED  # the hash no longer matches
    assert refusal("not a query string at all") == FORGED


def test_a_signed_initdata_without_a_user_is_refused():
    fields = {"auth_date": str(int(time.time())), "query_id": "q"}
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    assert refusal(urlencode(fields)) == FORGED


def test_missing_or_stale_initdata_is_refused():
    assert refusal(None) == MISSING
    assert refusal("") == MISSING
    assert refusal(init_data(auth_date=int(time.time()) - DAY - 60)) == EXPIRED
    assert refusal(init_data(auth_date=int(time.time()) + 3600)) == EXPIRED  # signed in the future
    short = InitDataChecker(TOKEN, 60)
    raw = init_data()
    assert short.user_id(raw) == 42
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=61)
    with pytest.raises(InitDataRefused) as refused:
        short.user_id(raw, now=later)
    assert refused.value.code == EXPIRED
