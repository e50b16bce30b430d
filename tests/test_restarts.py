"""The bot killed hard (SIGKILL) and started again: nothing lost, nothing sent twice but the one in flight."""

from __future__ import annotations

import asyncio
import os
import sys
from collections import Counter

import pytest
from sqlalchemy import func, select

from bot.rules.domain import AssessmentStatus, BallotStatus, OutboxStatus, Phase, Quarter
from standin import StandIn, scaled
from storage.database import Database
from storage.models import BallotItem, BallotRecord, OutboxMessage, Person, PhaseWindow, utcnow
from storage.repository import Repository
from tests.chat import ADMIN, TOKEN, import_roster
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.slow


async def start_bot(database_url: str, api: StandIn) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "BOT_TOKEN": TOKEN,
        "BOT_API_URL": api.base_url,
        "DATABASE_URL": database_url,
        "ADMIN_IDS": str(ADMIN),
        "ASSESSMENT_SCHEDULE__TICK_SECONDS": "0",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def pending_drained(database_url: str, timeout: float = 15.0) -> None:
    """Until the running bot has recorded every delivery (the last one is marked just after it is sent)."""
    database = Database(database_url)
    try:
        for _ in range(int(scaled(timeout) * 10)):
            async with database.session() as session:
                pending = await session.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.status == OutboxStatus.PENDING)
                )
            if not pending:
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"{pending} outbox rows still pending")
    finally:
        await database.dispose()


async def kill(process: asyncio.subprocess.Process) -> None:
    process.kill()  # SIGKILL: no shutdown, no flush, like a power cut
    await process.wait()


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
    database = Database(database_url)
    await import_roster(database, EXAMPLES / "roster.csv")
    rater_tg = 720_000_001
    async with database.session() as session:
        repo = Repository(session)
        rater = (await session.scalars(select(Person).where(Person.name == "赵建国"))).one()
        rater.telegram_user_id = rater_tg
        assessment = await repo.assessment(Quarter(2026, 3), create=True)
        assessment.status = AssessmentStatus.RATING
        session.add(PhaseWindow(assessment_id=assessment.id, phase=Phase.RATING, opens_at=utcnow()))
    async with StandIn(token=TOKEN) as api:
        api.driver.add_user(rater_tg, "赵建国")
        bot = await start_bot(database_url, api)
        try:
            api.driver.send_command(rater_tg, "rate")
            screen = await api.driver.wait_for_bot_message(rater_tg, timeout=20)
            first = next(b for row in screen.buttons for b in row)
            query = api.driver.press(rater_tg, screen, first["callback_data"])
            await api.driver.wait_for_callback_answer(query, timeout=10)
            for points in ("19", "18", "17"):
                screen = api.driver.message(rater_tg, screen.message_id)
                query = api.driver.press(rater_tg, screen, label=points)
                await api.driver.wait_for_callback_answer(query, timeout=10)
        finally:
            await kill(bot)
        bot = await start_bot(database_url, api)
        try:
            # the same message, the same buttons: the draft and its tokens are in the database
            while True:
                screen = api.driver.message(rater_tg, screen.message_id)
                if "请核对" in (screen.text or ""):
                    query = api.driver.press(rater_tg, screen, label="提交")
                    await api.driver.wait_for_callback_answer(query, timeout=20)
                    break
                assert "评分：" in screen.text, screen.text
                query = api.driver.press(rater_tg, screen, label="16")
                await api.driver.wait_for_callback_answer(query, timeout=20)
        finally:
            await kill(bot)
    async with database.session() as session:
        ballots = (
            await session.scalars(select(BallotRecord).where(BallotRecord.status == BallotStatus.SUBMITTED))
        ).all()
        assert len(ballots) == 1  # the next ratee's ballot was opened as a draft after the submit
        points = [
            i.points
            for i in (
                await session.scalars(
                    select(BallotItem)
                    .where(BallotItem.ballot_id == ballots[0].id)
                    .order_by(BallotItem.part, BallotItem.position)
                )
            ).all()
        ]
    assert points[:3] == [19, 18, 17] and all(p == 16 for p in points[3:]) and len(points) == 10
    await database.dispose()
