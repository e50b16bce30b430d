"""The cycle on simulated time: reminders on the right working days and hours, each once, and catch-up."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import pytest
from sqlalchemy import select, update

from bot.rules.domain import AssessmentStatus, Quarter, ReviewStatus
from bot.settings import load_settings
from bot.workflow.clock import FixedClock
from bot.workflow.services import Services
from scheduler.jobs import Scheduler
from storage.models import (
    Assessment,
    MonthlySummary,
    OutboxMessage,
    Person,
    PhaseWindow,
)
from storage.repository import Repository
from tests.chat import TZ, import_roster
from tests.conftest import EXAMPLES
from tests.factories import publicity_running

TIMES = (dt.time(8, 0), dt.time(9, 0), dt.time(12, 0), dt.time(18, 0), dt.time(18, 30))


@pytest.fixture
async def cycle(database, database_url, monkeypatch):
    from bot.rules import workcalendar

    real = workcalendar.library_knows
    monkeypatch.setattr(workcalendar, "library_knows", lambda year: year < 2027 and real(year))
    await import_roster(database, EXAMPLES / "roster.csv")
    async with database.session() as session:
        await session.execute(update(Person).values(telegram_user_id=Person.id + 1000))
    # the bureau has taken part since July (the default would be the month after the first tick's)
    settings = load_settings(
        database={"url": database_url}, admins={"ids": [42]}, start={"first_month": "2026-07"}
    )
    clock = FixedClock(dt.datetime(2026, 8, 31, 0, 0, tzinfo=TZ))
    services = Services(settings, database, clock)
    return services, clock, Scheduler(services)


async def run_days(services, clock, scheduler, first: dt.date, last: dt.date, skip=()) -> None:
    day = first
    while day <= last:
        for moment in TIMES:
            at = dt.datetime.combine(day, moment, tzinfo=TZ)
            if any(start <= at < end for start, end in skip):
                continue
            clock.set(at)
            await scheduler.tick()
        day += dt.timedelta(days=1)


async def outbox(services) -> list[OutboxMessage]:
    async with services.database.session() as session:
        return list((await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


def local(row: OutboxMessage) -> dt.datetime:
    return row.created_at.astimezone(TZ)


@pytest.mark.slow
async def test_a_quarter_end_across_national_day(cycle):
    services, clock, scheduler = cycle
    async with services.database.session() as session:
        ratees = [
            p for p in await Repository(session).people(active_only=True) if not p.role.is_bureau_leader
        ]
        early = ratees[0]
        # one person submits September's summary on time: he gets no late reminder
        session.add(
            MonthlySummary(
                person_id=early.id,
                year=2026,
                month=9,
                status=ReviewStatus.SUBMITTED,
                submitted_at=dt.datetime(2026, 9, 30, 10, tzinfo=TZ),
                submissions=1,
            )
        )
    # the bot is down from Oct 15 08:00 to Oct 16 12:00
    down = [(dt.datetime(2026, 10, 15, 8, tzinfo=TZ), dt.datetime(2026, 10, 16, 12, tzinfo=TZ))]
    await run_days(services, clock, scheduler, dt.date(2026, 8, 31), dt.date(2026, 10, 22), skip=down)
    rows = await outbox(services)
    kinds = defaultdict(list)
    for row in rows:
        kinds[row.kind].append(row)

    # September: the first reminder on Wed Sep 30 at 09:00, late ones on the working days up to the
    # deadline (3rd working day of October: Sat Oct 10, a make-up day), none in the National Day week
    september = [r for r in kinds["summary_reminder"] if r.key.startswith("summary:2026-09:")]
    days = Counter(local(r).date() for r in september)
    assert sorted(days) == [
        dt.date(2026, 9, 30),
        dt.date(2026, 10, 8),
        dt.date(2026, 10, 9),
        dt.date(2026, 10, 10),
    ]
    assert {local(r).time() for r in september} == {dt.time(9, 0)}
    assert set(days.values()) == {len(ratees) - 1}  # everyone but the one who submitted
    assert not any(r.person_id == early.id for r in september)
    # each person got each of them exactly once
    assert len({r.key for r in september}) == len(september)
    per_person = Counter(r.person_id for r in september)
    assert set(per_person.values()) == {4}

    # August: Mon Aug 31 first, then Sep 1-3 (deadline Thu Sep 3 18:00), then the missing list
    august = Counter(
        local(r).date() for r in kinds["summary_reminder"] if r.key.startswith("summary:2026-08:")
    )
    assert sorted(august) == [
        dt.date(2026, 8, 31),
        dt.date(2026, 9, 1),
        dt.date(2026, 9, 2),
        dt.date(2026, 9, 3),
    ]
    missing = [r for r in kinds["missing_list"] if ":2026-08:" in r.key]
    assert {local(r) for r in missing} == {dt.datetime(2026, 9, 3, 18, 0, tzinfo=TZ)}
    assert any(r.chat_id == 42 for r in missing)  # the admin's list
    leaders = {r.person_id for r in missing if r.person_id}
    assert leaders  # and each direct leader's

    # the quarter: registration with the last month-end reminder, goals on the first working day of
    # Q4 (Oct 8, not Oct 1), rating from the 6th working day (Oct 14) to the 10th (Oct 20)
    assert {local(r) for r in kinds["registration_request"]} == {dt.datetime(2026, 9, 30, 9, 0, tzinfo=TZ)}
    assert {local(r).date() for r in kinds["goals_request"]} == {dt.date(2026, 10, 8)}
    assert {local(r) for r in kinds["rating_request"]} == {dt.datetime(2026, 10, 14, 9, 0, tzinfo=TZ)}
    reminders = Counter(local(r).date() for r in kinds["rating_reminder"])
    # Oct 15 was missed while the bot was down; Oct 16's went out once, at the first tick back (12:00)
    assert sorted(reminders) == [dt.date(2026, 10, 16), dt.date(2026, 10, 19), dt.date(2026, 10, 20)]
    assert {
        local(r).time() for r in kinds["rating_reminder"] if local(r).date() == dt.date(2026, 10, 16)
    } == {dt.time(12, 0)}
    assert {local(r) for r in kinds["results"]} == {dt.datetime(2026, 10, 20, 18, 0, tzinfo=TZ)}
    async with services.database.session() as session:
        q3 = (await session.scalars(select(Assessment).where(Assessment.quarter == 3))).one()
        assert q3.status is AssessmentStatus.COMPUTED
    # nobody is reminded of anything on a holiday or a weekend that is not a make-up day
    calendar = services.work_calendar()
    assert all(calendar.is_workday(local(r).date()) for r in rows if r.kind.endswith("reminder"))


async def test_admins_extend_and_close_change_what_the_scheduler_does(cycle):
    services, clock, scheduler = cycle
    async with services.database.session() as session:
        repo = Repository(session)
        q3 = await repo.assessment(Quarter(2026, 3), create=True)
        session.add(
            PhaseWindow(
                assessment_id=q3.id, phase="rating", closes_at=dt.datetime(2026, 10, 22, 18, tzinfo=TZ)
            )
        )
    await run_days(services, clock, scheduler, dt.date(2026, 10, 14), dt.date(2026, 10, 21))
    async with services.database.session() as session:
        assert (await Repository(session).assessment(Quarter(2026, 3))).status is AssessmentStatus.RATING
    await run_days(services, clock, scheduler, dt.date(2026, 10, 22), dt.date(2026, 10, 22))
    async with services.database.session() as session:
        assert (await Repository(session).assessment(Quarter(2026, 3))).status is AssessmentStatus.COMPUTED


async def test_publicity_closes_by_itself_and_tells_each_ratee(cycle):
    services, clock, scheduler = cycle
    async with services.database.session() as session:
        person = await publicity_running(session, -100)
    await run_days(services, clock, scheduler, dt.date(2026, 10, 23), dt.date(2026, 10, 23))
    rows = await outbox(services)
    closed = [r for r in rows if r.kind == "publicity_closed"]
    assert [(r.chat_id, local(r)) for r in closed] == [(-100, dt.datetime(2026, 10, 23, 18, 0, tzinfo=TZ))]
    assert [r.person_id for r in rows if r.kind == "own_result"] == [person.id]
    async with services.database.session() as session:
        assert (await Repository(session).assessment(Quarter(2026, 3))).status is AssessmentStatus.FINAL


async def test_the_missing_2027_schedule_is_announced_once(cycle):
    services, clock, scheduler = cycle
    for day in (dt.date(2026, 11, 2), dt.date(2026, 11, 3), dt.date(2026, 12, 1)):
        await run_days(services, clock, scheduler, day, day)
    warnings = [r for r in await outbox(services) if r.kind == "calendar_warning"]
    assert [(r.chat_id, r.key) for r in warnings] == [(42, "calendar_warning:2027:42")]


async def test_ticking_twice_sends_nothing_twice(cycle):
    services, clock, scheduler = cycle
    clock.set(dt.datetime(2026, 9, 30, 9, 30, tzinfo=TZ))
    await scheduler.tick()
    first = len(await outbox(services))
    await scheduler.tick()
    await scheduler.tick()
    assert len(await outbox(services)) == first > 0


async def test_a_bot_started_after_the_quarter_still_rates_it(cycle):
    services, clock, scheduler = cycle
    await run_days(services, clock, scheduler, dt.date(2026, 10, 8), dt.date(2026, 10, 14))
    kinds = Counter(r.kind for r in await outbox(services))
    assert kinds["rating_request"] > 0 and kinds["registration_request"] > 0


async def test_the_missing_list_waits_for_a_working_morning_after_downtime(cycle):
    services, clock, scheduler = cycle
    # down from Thu Sep 3 17:00 (before August's deadline at 18:00) to Sat Sep 5: the list goes Mon 09:00
    down = [(dt.datetime(2026, 9, 3, 17, tzinfo=TZ), dt.datetime(2026, 9, 5, 23, tzinfo=TZ))]
    await run_days(services, clock, scheduler, dt.date(2026, 9, 3), dt.date(2026, 9, 8), skip=down)
    missing = [r for r in await outbox(services) if r.kind == "missing_list" and ":2026-08:" in r.key]
    assert missing and {local(r) for r in missing} == {dt.datetime(2026, 9, 7, 9, 0, tzinfo=TZ)}


async def test_a_rating_window_missed_entirely_is_reported_once(cycle):
    services, clock, scheduler = cycle
    async with services.database.session() as session:
        await Repository(session).assessment(Quarter(2026, 3), create=True)
    clock.set(dt.datetime(2026, 10, 21, 9, 0, tzinfo=TZ))  # after the 10th working day of Q4
    await scheduler.tick()
    await scheduler.tick()
    missed = [r for r in await outbox(services) if r.kind == "rating_missed"]
    assert [r.chat_id for r in missed] == [42]
