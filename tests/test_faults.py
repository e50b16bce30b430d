"""Faults: kills at random moments, PostgreSQL stopped and started, webhook requests without the secret."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import random
import shutil
import socket
import sqlite3
import subprocess
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.ops.health import check_health
from bot.rendering import render
from bot.rules.domain import AssessmentStatus, OutboxStatus, Quarter
from bot.settings import load_settings
from bot.workflow.publicity import GROUP_KEY
from bot.workflow.quarter import compute_and_store
from standin import StandIn
from storage.database import Database
from storage.migrate import upgrade_async
from storage.models import (
    Assessment,
    BotSetting,
    OutboxMessage,
    ProcessedUpdate,
    Publicity,
)
from storage.repository import Repository
from tests.botprocess import (
    RATER,
    finish_ballot,
    first_ratee_screen,
    free_port,
    kill,
    pending_drained,
    rater_in_rating,
    start_bot,
    submitted_ballots,
)
from tests.chat import ADMIN, GROUP, TOKEN, at, import_roster, running_bot
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.slow

RETRY_LATER = render("chat/errors/retry_later.j2")
Q3 = Quarter(2026, 3)


def seeded() -> tuple[int, random.Random]:
    """A random generator and its seed (from $FAULT_SEED to replay a failure)."""
    seed = int(os.environ.get("FAULT_SEED") or random.SystemRandom().randrange(1 << 30))
    return seed, random.Random(seed)


# --- kills at random moments ------------------------------------------------------------------


async def test_rating_taps_killed_at_a_random_moment_lose_nothing_answered(database_url):
    """Taps go on until the bot is killed at a random point, perhaps mid-update; after the restart
    every answered tap is in the ballot, none counted twice, and the rater finishes where he was."""
    seed, rng = seeded()
    rater_tg = 730_000_001
    await rater_in_rating(database_url, rater_tg, Q3)
    planned = ["20", "19", "18", "17", "15", "14", "13", "12", "11", "10"]  # never 16, the after-restart tap
    answered_before_kill = rng.randrange(0, 7)
    delay = rng.uniform(0.0, 0.05)
    async with StandIn(token=TOKEN) as api:
        d = api.driver
        d.add_user(rater_tg, RATER)
        bot = await start_bot(database_url, api)
        try:
            screen = await first_ratee_screen(d, rater_tg)
            for points in planned[:answered_before_kill]:
                screen = d.message(rater_tg, screen.message_id)
                await d.wait_for_callback_answer(d.press(rater_tg, screen, label=points), timeout=10)
            screen = d.message(rater_tg, screen.message_id)
            in_flight = d.press(rater_tg, screen, label=planned[answered_before_kill])
            await asyncio.sleep(delay)
        finally:
            await kill(bot)
        in_flight_answered = d.callback_query(in_flight).answered
        bot = await start_bot(database_url, api)
        try:
            await d.wait_until_confirmed(timeout=20)
            await asyncio.sleep(0.3)  # a re-delivered tap is answered after it is confirmed
            await finish_ballot(d, rater_tg, screen, "16", note=seed)
        finally:
            await kill(bot)
    ballots = await submitted_ballots(database_url)
    assert len(ballots) == 1, seed
    points = ballots[0]
    print(f"seed={seed} killed after {answered_before_kill} answered taps + {delay * 1000:.0f} ms: {points}")
    kept = [int(p) for p in planned[:answered_before_kill]]
    with_in_flight = [int(p) for p in planned[: answered_before_kill + 1]]
    candidates = [kept + [16] * (10 - len(kept)), with_in_flight + [16] * (10 - len(with_in_flight))]
    assert points in candidates, (seed, answered_before_kill, delay, points)
    if in_flight_answered:  # answered means committed: it must be there
        assert points == candidates[1], (seed, points)


async def _confirmed_quarter(database_url: str) -> None:
    """The worked quarter's roster, computed (no ballots: the notice's content is not the point) and
    marked confirmed; the group bound."""
    database = Database(database_url)
    settings = load_settings(database={"url": database_url})
    await import_roster(database, EXAMPLES / "roster.csv")
    async with database.session() as session:
        await compute_and_store(Repository(session), settings, Q3, "test")
    async with database.session() as session:
        assessment = (await session.scalars(select(Assessment))).one()
        assessment.status = AssessmentStatus.CONFIRMED
        session.add(BotSetting(key=GROUP_KEY, value=str(GROUP)))
    await database.dispose()


async def test_a_publication_done_but_never_shown_says_so_when_pressed_again(database_url):
    """A crash between the commit and the edit leaves the admin his confirmation: pressing 确认 again
    shows it published (nothing is posted twice), rather than only "该操作已处理过"."""
    from bot.workflow import publicity
    from bot.workflow.unit import unit_of_work

    await _confirmed_quarter(database_url)
    async with running_bot(database_url, at(2026, 10, 21, 10)) as bureau:
        bureau.driver.add_group(GROUP, "工作群", [ADMIN])
        ask = await bureau.command(ADMIN, "publish", "2026Q3")
        token = ask.callback_data("确认").split(":", 1)[0]
        async with unit_of_work(bureau.services, user_id=ADMIN) as work:  # the first press, its edit lost
            await publicity.publish(work, await work.repo.assessment(Q3), "bot")
            assert await work.repo.use_button(token, work.now)
        answer, shown = await bureau.press(ADMIN, ask, "确认")
        assert "公示已发布" in shown.text and "已处理过" in (answer.text or ""), shown.text
        async with bureau.services.database.session() as session:
            assert await session.scalar(select(func.count()).select_from(Publicity)) == 1


async def test_publication_killed_at_a_random_moment_is_published_once(database_url):
    seed, rng = seeded()
    await _confirmed_quarter(database_url)
    delay = rng.uniform(0.0, 0.3)
    pressed_again = False
    async with StandIn(token=TOKEN) as api:
        d = api.driver
        d.add_user(ADMIN, "Admin")
        d.add_group(GROUP, "工作群", [ADMIN])
        bot = await start_bot(database_url, api)
        try:
            d.send_command(ADMIN, "publish", "2026Q3")
            ask = await d.wait_for_bot_message(ADMIN, timeout=20)
            d.press(ADMIN, ask, label="确认")
            await asyncio.sleep(delay)
        finally:
            await kill(bot)
        bot = await start_bot(database_url, api)
        try:
            await d.wait_until_confirmed(timeout=20)

            def published() -> bool:
                return "公示已发布" in (d.message(ADMIN, ask.message_id).text or "")

            with contextlib.suppress(TimeoutError):
                await d.wait_for(published, timeout=3.0)
            if not published():
                # the press was taken but not done before the kill: the admin saw no answer, presses again
                pressed_again = True
                press = d.press(ADMIN, d.message(ADMIN, ask.message_id), label="确认")
                await d.wait_for_callback_answer(press, timeout=20)
            assert "公示已发布" in d.message(ADMIN, ask.message_id).text, (seed, delay)
            await d.wait_for(lambda: d.bot_messages(GROUP), timeout=20, what="the notice in the group")
            await pending_drained(database_url)
        finally:
            await kill(bot)
        notices = [m for m in d.bot_messages(GROUP) if "【公示】" in (m.text or "")]
    database = Database(database_url)
    async with database.session() as session:
        rounds = await session.scalar(select(func.count()).select_from(Publicity))
        status = (await session.scalars(select(Assessment.status))).one()
        outbox = (await session.execute(select(OutboxMessage.kind, OutboxMessage.status))).all()
    await database.dispose()
    print(f"seed={seed} kill after {delay * 1000:.0f} ms, again: {pressed_again}, notices: {len(notices)}")
    assert rounds == 1, (seed, delay)
    assert status is AssessmentStatus.PUBLICITY
    assert 1 <= len(notices) <= 2, (seed, delay, len(notices))  # at most the one in flight twice
    assert [s for k, s in outbox if k == "publicity_notice"] == [OutboxStatus.SENT]


# --- PostgreSQL stopped and started -----------------------------------------------------------

PG_CLUSTER, PG_PORT = "faults", 54329


def _pg_version() -> str | None:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parts[-3]))
    return versions[-1].parts[-3] if versions else None


def _pg_ctl(version: str, action: str) -> None:
    subprocess.run(
        [
            "pg_ctlcluster",
            "--skip-systemctl-redirect",
            version,
            PG_CLUSTER,
            action,
            *(["-m", "fast"] * (action == "stop")),
        ],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def private_postgres():
    """A PostgreSQL cluster of the test's own on port 54329, to stop and start (never the shared one).

    Created for the test and dropped after it (reused if a crashed run left it); a lock in /tmp keeps
    test runs of other checkouts on this machine from sharing it meanwhile.
    """
    version = _pg_version()
    tools = all(shutil.which(t) for t in ("pg_createcluster", "pg_ctlcluster", "pg_dropcluster"))
    if not tools or version is None:
        pytest.skip("pg_createcluster/pg_ctlcluster (postgresql-common) not installed")
    if os.geteuid() != 0:
        pytest.skip("creating a private PostgreSQL cluster needs root")
    with open("/tmp/assessment-bot-faults-postgres.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not Path(f"/etc/postgresql/{version}/{PG_CLUSTER}").exists():
            subprocess.run(
                [
                    *("pg_createcluster", version, PG_CLUSTER, "-p", str(PG_PORT)),
                    *("--", "--auth-local=trust", "--auth-host=trust"),
                ],
                check=True,
                capture_output=True,
            )
        if not _pg_answers():
            _pg_ctl(version, "start")
        try:
            yield version, f"postgresql://postgres@127.0.0.1:{PG_PORT}/postgres"
        finally:
            subprocess.run(
                ["pg_dropcluster", "--stop", version, PG_CLUSTER], check=False, capture_output=True
            )


def _pg_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", PG_PORT), timeout=0.5).close()
        return True
    except OSError:
        return False


async def test_postgresql_stopped_and_started_the_user_is_told_to_retry_and_the_bot_recovers(
    private_postgres,
):
    from tests.conftest import _pg_admin

    version, admin_url = private_postgres
    name = "faults_outage"
    await _pg_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await _pg_admin(admin_url, f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    await upgrade_async(url)
    async with running_bot(url, at(2026, 9, 30)) as bureau:
        d = bureau.driver
        d.add_user(700_000_001, "U")
        d.state.users[700_000_001].opened = True
        before = await bureau.command(ADMIN, "help")
        assert before.text != RETRY_LATER
        await asyncio.to_thread(_pg_ctl, version, "stop")
        try:
            d.send_command(ADMIN, "help")
            down = await d.wait_for_bot_message(ADMIN, timeout=20)
            assert down.text == RETRY_LATER
            report = await check_health(bureau.services.settings, bureau.services.database)
            assert report.problems == ["database"] and not report.database
        finally:
            await asyncio.to_thread(_pg_ctl, version, "start")
        # the same bot, not restarted: the next command works, and the outbox sender goes on
        d.send_command(ADMIN, "help")
        after = await d.wait_for_bot_message(ADMIN, timeout=20)
        assert after.text == before.text
        async with bureau.services.database.session() as session:
            session.add(OutboxMessage(key="after-outage", kind="test", chat_id=700_000_001, text="恢复后"))
        bureau.services.outbox_wakeup.set()
        await d.wait_for(lambda: d.bot_messages(700_000_001), timeout=20, what="the outbox after the outage")
        report = await check_health(bureau.services.settings, bureau.services.database)
        assert report.ok, report
        async with bureau.services.database.session() as session:
            processed = await session.scalar(select(func.count()).select_from(ProcessedUpdate))
        assert processed == 2  # the refused update left nothing behind; Telegram's copy would run again
    await _pg_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_a_connection_cut_by_the_server_counts_as_unavailable_a_bad_query_does_not(postgres_database):
    """What run_turn asks the user to retry for: the server ending the connection (57P01, as in a
    restart), not an error of the program's own SQL."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from storage.database import connection_lost
    from tests.conftest import _pg_admin

    if postgres_database is None:
        pytest.skip("PostgreSQL does not answer on 127.0.0.1:5432")
    database = Database(postgres_database)
    try:
        async with database.engine.connect() as connection:
            pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar()
            sleeping = asyncio.create_task(connection.execute(text("SELECT pg_sleep(10)")))
            await asyncio.sleep(0.3)
            await _pg_admin(postgres_database, f"SELECT pg_terminate_backend({pid})")
            with pytest.raises(DBAPIError) as cut:
                await sleeping
        assert connection_lost(cut.value), repr(cut.value)
        async with database.engine.connect() as connection:
            with pytest.raises(DBAPIError) as bad:
                await connection.execute(text("SELECT 1 / 0"))
        assert not connection_lost(bad.value), repr(bad.value)
    finally:
        await database.dispose()


async def test_sqlite_locked_by_another_writer_the_user_is_told_to_retry(tmp_path, sqlite_template):
    """Another process holds SQLite's write lock beyond the 10 s busy timeout (a long import, a tool)."""
    db = tmp_path / "locked.db"
    shutil.copy(sqlite_template, db)
    async with running_bot(f"sqlite:///{db}", at(2026, 9, 30)) as bureau:
        before = await bureau.command(ADMIN, "help")
        other = sqlite3.connect(db, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            bureau.driver.send_command(ADMIN, "help")
            down = await bureau.driver.wait_for_bot_message(ADMIN, timeout=20)
            assert down.text == RETRY_LATER
        finally:
            other.execute("ROLLBACK")
            other.close()
        after = await bureau.command(ADMIN, "help")
        assert after.text == before.text


# --- webhook --------------------------------------------------------------------------------------


STARTUP_BOUND = 120.0  # seconds: generous, for a child bot starting on a busy machine


async def _health_once_up(http: aiohttp.ClientSession, url: str, bot) -> tuple[int, dict]:
    """GET /health until the port answers (the bot still running), within STARTUP_BOUND seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STARTUP_BOUND
    while True:
        with contextlib.suppress(aiohttp.ClientError):
            async with http.get(url) as response:
                return response.status, await response.json()
        assert bot.returncode is None, f"the bot exited with {bot.returncode} before /health answered"
        if loop.time() > deadline:
            raise TimeoutError(f"/health did not answer within {STARTUP_BOUND} s")
        await asyncio.sleep(0.1)


async def test_webhook_refuses_requests_without_the_secret_and_serves_health(tmp_path, sqlite_template):
    db = tmp_path / "hook.db"
    shutil.copy(sqlite_template, db)
    url = f"sqlite:///{db}"
    hook_port, health_port = free_port(), free_port()
    secret = "s3cret-Token_42"
    log_path = tmp_path / "bot.log"
    async with StandIn(token=TOKEN) as api:
        d = api.driver
        d.add_user(ADMIN, "Admin")
        env = {
            "WEBHOOK_URL": f"http://127.0.0.1:{hook_port}/hook",
            "WEBHOOK_SECRET": secret,
            "ASSESSMENT_TELEGRAM__WEBHOOK_PORT": str(hook_port),
            "ASSESSMENT_TELEGRAM__WEBHOOK_PATH": "hook",
            "ASSESSMENT_HEALTH__PORT": str(health_port),
            "ASSESSMENT_LOG__FORMAT": "json",
        }
        with open(log_path, "wb") as log_file:
            bot = await start_bot(url, api, env, output=log_file)
        try:
            async with aiohttp.ClientSession() as http:
                # the child process imports and migrates first: on a busy machine that takes a while
                health = await _health_once_up(http, f"http://127.0.0.1:{health_port}/health", bot)
                assert health[0] == 200 and health[1]["ok"], health
                assert health[1]["revision"] == health[1]["head"]
                await d.wait_for(lambda: d.webhook, timeout=STARTUP_BOUND, what="the webhook set")
                update = {
                    "update_id": 4_242,
                    "message": {
                        "message_id": 1,
                        "date": 1_790_000_000,
                        "chat": {"id": ADMIN, "type": "private"},
                        "from": {"id": ADMIN, "is_bot": False, "first_name": "Admin"},
                        "text": "/help",
                        "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
                    },
                }
                statuses = []
                for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                    async with http.post(
                        f"http://127.0.0.1:{hook_port}/hook", json=update, headers=headers
                    ) as response:
                        statuses.append(response.status)
                assert statuses == [403, 403]
                # the stand-in posts with the right secret: taken and answered, and the only answer
                # (the two refused ones were refused before any turn, so none can come after it)
                d.send_command(ADMIN, "help")
                answer = await d.wait_for_bot_message(ADMIN, timeout=STARTUP_BOUND)
                assert "/status" in answer.text  # the admin's commands: the bot's answer, not the update
                assert len(d.bot_messages(ADMIN)) == 1
        finally:
            bot.terminate()
            await bot.wait()
    database = Database(url)
    async with database.session() as session:
        processed = list(await session.scalars(select(ProcessedUpdate.update_id)))
    await database.dispose()
    assert 4_242 not in processed and len(processed) == 1
    lines = [json.loads(x) for x in log_path.read_text().splitlines() if x.startswith("{")]
    turns = [x for x in lines if x.get("handler")]
    assert [(t["handler"], t["outcome"]) for t in turns] == [("help_command", "ok")], turns
    assert isinstance(turns[0]["ms"], float) and turns[0]["update"] == processed[0]
