"""The sheet's initData check against values signed by tests/initdata.py by Telegram's algorithm.

https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app: the data-check-string
is every field but `hash`, as `key=value` lines sorted by key; secret_key = HMAC_SHA256(key="WebAppData",
msg=bot token); hash = hex(HMAC_SHA256(key=secret_key, msg=data-check-string)).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import time
from urllib.parse import quote, urlencode

import pytest

from bot.webapp.initdata import EXPIRED, FORGED, MISSING, InitDataChecker, InitDataRefused
from tests.initdata import OTHER_TOKEN, TOKEN, init_data, signed_fields

DAY = 86400


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
