"""Texts the bureau quoted as wrong (issue 13, Texts), as the bot now sends them."""

from __future__ import annotations

import pytest

from bot.cli.rehearsal import INVITE
from tests.chat import ADMIN, at, example_bureau

NEW_PHONE, SOMEONE = 990_001, 990_002


@pytest.fixture
async def bureau(database_url, database):
    async with example_bureau(database_url, database, at(2026, 7, 31)) as bureau:
        yield bureau


async def test_a_link_superseded_by_another_says_so_rather_than_expired(bureau):
    first = dict(INVITE.findall((await bureau.command(ADMIN, "invite", "周明远")).text))["周明远"]
    second = dict(INVITE.findall((await bureau.command(ADMIN, "invite", "周明远")).text))["周明远"]
    bureau.driver.add_user(NEW_PHONE, "周明远")
    assert "绑定成功" in (await bureau.command(NEW_PHONE, "start", second)).text

    bureau.driver.add_user(SOMEONE, "Someone")
    other = (await bureau.command(SOMEONE, "start", first)).text
    assert "已作废" in other and "新的链接" in other and "过期" not in other
    own = (await bureau.command(NEW_PHONE, "start", first)).text
    assert "已作废" in own and "您的账号已通过另一链接绑定" in own


async def test_a_link_past_its_time_still_says_it_expired(bureau):
    link = dict(INVITE.findall((await bureau.command(ADMIN, "invite", "周明远")).text))["周明远"]
    bureau.clock.set(at(2026, 9, 30))
    bureau.driver.add_user(SOMEONE, "Someone")
    assert "已过期" in (await bureau.command(SOMEONE, "start", link)).text
