"""A whole quarter played through the workflow layer alone: no Telegram object, no handler, no scheduler.

The seam a second front end (a web page, another messenger) calls: a unit of work over one transaction,
the workflow's functions, and what they leave in the records and the outbox.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.cli.rehearsal import import_roster
from bot.records.spreadsheets import read_table
from bot.rules.domain import AssessmentStatus, Phase, Quarter, Tier
from bot.workflow import decisions, objections, phases, publicity, reminders
from bot.workflow.clock import FixedClock
from bot.workflow.quarter import import_ballots
from bot.workflow.services import Services
from bot.workflow.unit import Refusal, Work
from storage.models import OutboxMessage
from storage.repository import Repository
from tests.conftest import EXAMPLES

CST = ZoneInfo("Asia/Shanghai")
ADMIN = 900_000_001
GROUP = -100_500
Q3 = Quarter(2026, 3)


class Quarterly:
    """The services and a clock; `work()` opens one unit of work that commits when the block ends."""

    def __init__(self, settings, database) -> None:
        self.clock = FixedClock(dt.datetime(2026, 7, 1, 9, 30, tzinfo=CST))
        self.services = Services(settings, database, clock=self.clock)

    def at(self, *when: int) -> None:
        self.clock.set(dt.datetime(*when, tzinfo=CST))

    def work(self, user_id: int = ADMIN):
        services = self.services

        class _Unit:
            async def __aenter__(self_inner) -> Work:
                self_inner.context = services.database.session()
                session = await self_inner.context.__aenter__()
                return Work(services, Repository(session), user_id)

            async def __aexit__(self_inner, *exc) -> None:
                await self_inner.context.__aexit__(*exc)

        return _Unit()

    async def outbox(self) -> dict[str, OutboxMessage]:
        async with self.work() as work:
            return {
                m.key: m
                for m in await work.repo.pending_messages(dt.datetime(2100, 1, 1, tzinfo=CST), 10_000)
            }


@pytest.fixture
def quarterly(settings, database) -> Quarterly:
    settings.admins.ids = [ADMIN]
    return Quarterly(settings, database)


async def test_a_whole_quarter_through_the_workflow_alone(quarterly: Quarterly, database) -> None:
    await import_roster(database, EXAMPLES / "roster.csv", "test")

    # July: goals open for Q3 and every ratee is asked once, however often it is announced.
    async with quarterly.work() as work:  # ten ratees have bound their accounts
        ratees = [p for p in await work.repo.people(active_only=True) if p.is_ratee]
        for number, person in enumerate(ratees[:10], start=1):
            person.telegram_user_id = 700_000 + number
    async with quarterly.work() as work:
        assert await phases.quarter_for(work, Phase.GOALS, None) == Q3
        assert await phases.open_phase(work, Phase.GOALS, Q3, None) == 10
    async with quarterly.work() as work:
        assessment = await work.repo.assessment(Q3)
        assert await phases.announce_phase(work, assessment, Phase.GOALS, None) == 0  # once per person
        assert await phases.is_open(work, assessment, Phase.GOALS)
        await phases.close_phase(work, assessment, Phase.GOALS)
    async with quarterly.work() as work:
        assert not await phases.is_open(work, await work.repo.assessment(Q3), Phase.GOALS)

    # October: rating opens for the quarter that ended; the paper ballots come in.
    quarterly.at(2026, 10, 9, 10, 0)
    async with quarterly.work() as work:
        assert await phases.quarter_for(work, Phase.RATING, None) == Q3
        await phases.open_phase(work, Phase.RATING, Q3, phases.new_end(work, dt.date(2026, 10, 16)))
    async with quarterly.work() as work:
        assessment = await work.repo.assessment(Q3)
        assert assessment.status is AssessmentStatus.RATING
        outcome = await import_ballots(
            work.repo, work.settings, Q3, read_table(EXAMPLES / "ballots-2026Q3.csv"), work.actor
        )
        assert outcome.errors == [] and len(outcome.new) == 389
        with pytest.raises(Refusal) as refused:  # publishing before the results exist is refused
            await phases.assessment_in(work, Q3, AssessmentStatus.CONFIRMED, "publish")
        assert refused.value.template == "chat/admin/wrong_status.j2"

    # The close computes the proposal; the tie at the quota line blocks confirmation until decided.
    async with quarterly.work() as work:
        computed = await phases.close_rating(work, await work.repo.assessment(Q3))
        people = {p.name: p for p in await work.repo.people()}
        tie = [c for c in computed.proposal.conflicts if c.kind.value == "quota_tie"]
        assert sorted(tie[0].person_ids) == sorted(people[n].id for n in ("魏红梅", "陶思琪"))
    async with quarterly.work() as work:
        with pytest.raises(Refusal) as refused:
            await decisions.confirmable(work, Q3)
        assert refused.value.template == "chat/admin/confirm_blocked.j2"
    with pytest.raises(Refusal) as refused:  # both GOOD would pass the quota of 5
        async with quarterly.work() as work:
            await decisions.change_tier(work, Q3, people["魏红梅"], Tier.GOOD, "领导班子研究决定")
            await decisions.change_tier(work, Q3, people["陶思琪"], Tier.GOOD, "领导班子研究决定")
    assert refused.value.template == "chat/admin/change_over_quota.j2"
    async with quarterly.work() as work:  # the refusal rolled the unit back, the first change with it
        assert await work.repo.tier_decisions((await work.repo.assessment(Q3)).id) == []
        await decisions.change_tier(work, Q3, people["魏红梅"], Tier.GOOD, "领导班子研究决定")
        changed = await decisions.change_tier(work, Q3, people["陶思琪"], Tier.FAIR, "领导班子研究决定")
        assert changed.undecided == 0
    async with quarterly.work() as work:
        decided = await decisions.confirmable(work, Q3)
        assert decided.tiers[people["魏红梅"].id] is Tier.GOOD
        assert await decisions.confirm_results(work, Q3, await work.repo.assessment(Q3)) == 1

    # Publicity: the group gets the notice once, an objection reaches the admin and is dismissed.
    async with quarterly.work() as work:
        await publicity.bind_group(work, GROUP, "本局工作群")
        period = await publicity.publish(work, await work.repo.assessment(Q3), "assessment_bot")
    outbox = await quarterly.outbox()
    notice = outbox["publicity:2026Q3:1"]
    assert notice.chat_id == GROUP and "魏红梅" in notice.text and "陶思琪" not in notice.text
    async with quarterly.work(user_id=0) as work:
        objection = await objections.file_objection(
            work, await work.repo.assessment(Q3), people["陶思琪"].id, "陶思琪", "请复核我的得分"
        )
    assert f"objection:{objection.id}:{ADMIN}" in await quarterly.outbox()
    async with quarterly.work() as work:
        with pytest.raises(Refusal) as refused:  # publicity cannot end early, nor with an objection open
            await publicity.finish_publicity(work, await work.repo.assessment(Q3))
        assert refused.value.template == "chat/admin/publicity_not_over.j2"
    quarterly.clock.set(period.ends_at + dt.timedelta(minutes=1))
    async with quarterly.work() as work:
        with pytest.raises(Refusal) as refused:
            await publicity.finish_publicity(work, await work.repo.assessment(Q3))
        assert refused.value.template == "chat/admin/objections_open.j2"
    async with quarterly.work() as work:
        await objections.resolve_objection(work, objection.id, False, "得分复核无误")
    async with quarterly.work() as work:
        await publicity.finish_publicity(work, await work.repo.assessment(Q3))
    async with quarterly.work() as work:
        final = await work.repo.assessment(Q3)
        assert final.status is AssessmentStatus.FINAL
        results = {r.person_id: r for r in await work.repo.results(final.id)}
        assert results[people["魏红梅"].id].final_tier is Tier.GOOD
        assert results[people["陶思琪"].id].final_tier is Tier.FAIR
        actions = [e.action for e in await work.repo.audit_entries()]
    for action in (
        "phase_opened",
        "phase_closed",
        "tier_changed",
        "results_confirmed",
        "published",
        "objection_received",
        "objection_dismissed",
        "publicity_closed",
    ):
        assert action in actions, action
    outbox = await quarterly.outbox()
    assert "publicity_closed:2026Q3:1" in outbox

    # A reminder round afterwards finds nothing outstanding for the finished quarter.
    async with quarterly.work() as work:
        assert "rating" not in await reminders.remind_everyone(work)


async def test_a_calendar_correction_rolled_back_leaves_the_calendar_in_force_unchanged(
    quarterly: Quarterly,
) -> None:
    """The calendar every turn uses follows a /calendar correction only once it committed."""
    from bot.workflow.calendar import correct_day
    from bot.workflow.unit import unit_of_work

    services, saturday = quarterly.services, dt.date(2026, 10, 17)
    assert not services.work_calendar().is_workday(saturday)
    with pytest.raises(RuntimeError):
        async with unit_of_work(services, user_id=ADMIN) as work:
            assert await correct_day(work, saturday, "workday", None)
            raise RuntimeError("the commit never happens")
    assert not services.work_calendar().is_workday(saturday)
    async with unit_of_work(services, user_id=ADMIN) as work:
        assert await correct_day(work, saturday, "workday", None)
    assert services.work_calendar().is_workday(saturday)
