"""The bot killed hard (SIGKILL) and started again: nothing lost, nothing sent twice but the one in flight."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlalchemy import func, select

from bot.rules.domain import OutboxStatus, Quarter
from standin import StandIn
from storage.database import Database
from storage.models import OutboxMessage
from tests.botprocess import (
    RATER,
    finish_ballot,
    first_ratee_screen,
    kill,
    pending_drained,
    rater_in_rating,
    start_bot,
    submitted_ballots,
)
from tests.chat import TOKEN

pytestmark = pytest.mark.slow


async def test_a_broadcast_interrupted_by_a_kill_reaches_everyone_once(database_url):
    users = list(range(710_000_001, 710_000_301))
    database = Database(database_url)
    async with database.session() as session:
        for user in users:
            session.add(
                OutboxMessage(
                    key=f"remind:{user}", kind="summary_reminder", chat_id=user, text="请填写月工作小结"
                )
            )
    await database.dispose()
    async with StandIn(token=TOKEN) as api:
        for user in users:
            api.driver.add_user(user, f"U{user}")
            api.driver.state.users[user].opened = True

        def delivered() -> int:
            return sum(len(api.driver.bot_messages(u)) for u in users)

        bot = await start_bot(database_url, api)
        await api.driver.wait_for(lambda: delivered() >= 100, timeout=60, what="a third of the broadcast")
        await kill(bot)
        at_kill = delivered()
        assert 100 <= at_kill < 300
        bot = await start_bot(database_url, api)
        try:
            await api.driver.wait_for(
                lambda: all(api.driver.bot_messages(u) for u in users), timeout=60, what="everyone reminded"
            )
            await pending_drained(database_url)
        finally:
            await kill(bot)
        per_chat = Counter({u: len(api.driver.bot_messages(u)) for u in users})
        assert min(per_chat.values()) == 1
        assert sum(per_chat.values()) <= len(users) + 1  # at most the one message in flight at the kill
    database = Database(database_url)
    async with database.session() as session:
        rows = await session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        )
        assert dict(rows.all()) == {OutboxStatus.SENT: len(users)}
    await database.dispose()


async def test_a_rater_interrupted_by_a_kill_loses_nothing(database_url):
    rater_tg = 720_000_001
    await rater_in_rating(database_url, rater_tg, Quarter(2026, 3))
    async with StandIn(token=TOKEN) as api:
        api.driver.add_user(rater_tg, RATER)
        bot = await start_bot(database_url, api)
        try:
            screen = await first_ratee_screen(api.driver, rater_tg)
            for points in ("19", "18", "17"):
                screen = api.driver.message(rater_tg, screen.message_id)
                query = api.driver.press(rater_tg, screen, label=points)
                await api.driver.wait_for_callback_answer(query, timeout=10)
        finally:
            await kill(bot)
        bot = await start_bot(database_url, api)
        try:
            # the same message, the same buttons: the draft and its tokens are in the database
            await finish_ballot(api.driver, rater_tg, screen, "16")
        finally:
            await kill(bot)
    ballots = await submitted_ballots(database_url)
    assert len(ballots) == 1  # the next ratee's ballot was opened as a draft after the submit
    points = ballots[0]
    assert points[:3] == [19, 18, 17] and all(p == 16 for p in points[3:]) and len(points) == 10


async def test_a_long_message_interrupted_by_a_kill_goes_on_with_its_next_part(database_url):
    """Killed between parts 2 and 3 of a 5-part message: after the restart the reviewer has the 5 parts
    once each, in order (the parts are 3 s apart, so the kill falls between two of them)."""
    user = 730_000_001
    text = "\n".join(f"第{i}段" + "文" * 3500 for i in range(1, 6))
    database = Database(database_url)
    async with database.session() as session:
        session.add(OutboxMessage(key="long", kind="test", chat_id=user, text=text))
    await database.dispose()
    async with StandIn(token=TOKEN) as api:
        api.driver.add_user(user, "U")
        api.driver.state.users[user].opened = True
        spaced = {"ASSESSMENT_DELIVERY__PER_CHAT_INTERVAL": "3"}
        bot = await start_bot(database_url, api, spaced)
        try:
            await api.driver.wait_for(
                lambda: len(api.driver.bot_messages(user)) >= 2, timeout=60, what="two parts"
            )
            await asyncio.sleep(1.0)  # the second part recorded; the third is 2 s away
        finally:
            await kill(bot)
        assert len(api.driver.bot_messages(user)) == 2
        bot = await start_bot(database_url, api, spaced)
        try:
            await pending_drained(database_url, timeout=60)
        finally:
            await kill(bot)
        texts = [m.text for m in api.driver.bot_messages(user)]
        assert [t[: t.index("段") + 1] for t in texts] == [f"第{i}段" for i in range(1, 6)]
