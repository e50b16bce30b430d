"""The bot as a child process against the stand-in, killed hard and started again (the kill and fault
tests), and the rater they interrupt: bound, the quarter open for rating."""

from __future__ import annotations

import asyncio
import os
import socket
import sys

from sqlalchemy import func, select

from bot.rules.domain import AssessmentStatus, BallotStatus, OutboxStatus, Phase, Quarter
from standin import Driver, MessageView, StandIn, scaled
from storage.database import Database
from storage.models import BallotItem, BallotRecord, OutboxMessage, Person, PhaseWindow, utcnow
from storage.repository import Repository
from tests.chat import ADMIN, TOKEN, import_roster
from tests.conftest import EXAMPLES

RATER = "赵建国"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def start_bot(
    database_url: str, api: StandIn, env: dict[str, str] | None = None, output=asyncio.subprocess.DEVNULL
) -> asyncio.subprocess.Process:
    """`python -m bot run` against the stand-in, the scheduler off; `env` adds settings, `output` takes
    its log (an open file)."""
    environment = {
        **os.environ,
        "BOT_TOKEN": TOKEN,
        "BOT_API_URL": api.base_url,
        "DATABASE_URL": database_url,
        "ADMIN_IDS": str(ADMIN),
        "ASSESSMENT_SCHEDULE__TICK_SECONDS": "0",
        **(env or {}),
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=environment, stdout=output, stderr=output
    )


async def kill(process: asyncio.subprocess.Process) -> None:
    process.kill()  # SIGKILL: no shutdown, no flush, like a power cut
    await process.wait()


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


async def rater_in_rating(database_url: str, telegram_user_id: int, quarter: Quarter) -> None:
    """The example roster, RATER bound to `telegram_user_id`, and `quarter` open for rating."""
    database = Database(database_url)
    try:
        await import_roster(database, EXAMPLES / "roster.csv")
        async with database.session() as session:
            repo = Repository(session)
            rater = (await session.scalars(select(Person).where(Person.name == RATER))).one()
            rater.telegram_user_id = telegram_user_id
            assessment = await repo.assessment(quarter, create=True)
            assessment.status = AssessmentStatus.RATING
            session.add(PhaseWindow(assessment_id=assessment.id, phase=Phase.RATING, opens_at=utcnow()))
    finally:
        await database.dispose()


async def first_ratee_screen(driver: Driver, rater: int) -> MessageView:
    """/rate, and the first ratee's scoring screen opened from the list."""
    driver.send_command(rater, "rate")
    screen = await driver.wait_for_bot_message(rater, timeout=20)
    first = next(b for row in screen.buttons for b in row)
    await driver.wait_for_callback_answer(driver.press(rater, screen, first["callback_data"]), timeout=10)
    return screen


async def finish_ballot(
    driver: Driver, rater: int, screen: MessageView, points: str, note: object = ""
) -> None:
    """Every item still open gets `points`, then the ballot is submitted (on the same message); `note`
    (a seed) goes into the failure."""
    while True:
        screen = driver.message(rater, screen.message_id)
        if "请核对" in (screen.text or ""):
            await driver.wait_for_callback_answer(driver.press(rater, screen, label="提交"), timeout=20)
            return
        assert "评分：" in screen.text, (note, screen.text)
        await driver.wait_for_callback_answer(driver.press(rater, screen, label=points), timeout=20)


async def submitted_ballots(database_url: str) -> list[list[int | None]]:
    """The points of every submitted ballot, item by item in the ballot's order."""
    database = Database(database_url)
    try:
        async with database.session() as session:
            ids = list(
                await session.scalars(
                    select(BallotRecord.id)
                    .where(BallotRecord.status == BallotStatus.SUBMITTED)
                    .order_by(BallotRecord.id)
                )
            )
            return [
                list(
                    await session.scalars(
                        select(BallotItem.points)
                        .where(BallotItem.ballot_id == ballot_id)
                        .order_by(BallotItem.part, BallotItem.position)
                    )
                )
                for ballot_id in ids
            ]
    finally:
        await database.dispose()
