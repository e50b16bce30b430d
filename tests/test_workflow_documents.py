"""Staff's documents played through the workflow alone: summaries, goals, a registration and their reviews.

No Telegram object, no handler: units of work over one transaction each, as a second front end would call
them. A refusal raised inside a unit rolls the whole unit back, so each one is checked to leave nothing.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.cli.rehearsal import import_roster
from bot.rules.domain import Phase, ReviewStatus, Role
from bot.workflow import documents, goals, phases, registrations, reviews, summaries
from bot.workflow.documents import REGISTRATION, SUMMARY
from bot.workflow.people import reviewers_of_summary, supervisors_of_section
from bot.workflow.status import my_status
from bot.workflow.unit import Refusal
from storage.models import Goal, MonthlySummary, Registration
from tests.conftest import EXAMPLES
from tests.test_workflow_quarter import ADMIN, CST, Q3, Quarterly


@pytest.fixture
def quarterly(settings, database) -> Quarterly:
    settings.admins.ids = [ADMIN]
    settings.start.first_month = "2026-01"  # the bot takes part in every month these tests write
    return Quarterly(settings, database)


async def _refused(unit, step) -> Refusal:
    """Run `step(work)` in a unit that must be refused; the refusal rolls the unit back."""
    with pytest.raises(Refusal) as refused:
        async with unit as work:
            await step(work)
    return refused.value


async def test_documents_written_reviewed_and_prefilled_through_the_workflow(quarterly: Quarterly, database):
    await import_roster(database, EXAMPLES / "roster.csv", "test")
    async with quarterly.work() as work:  # a staff member, his section head and the section's supervisor
        for author in await work.repo.people(active_only=True):
            leaders = await reviewers_of_summary(work, author) if author.role is Role.STAFF else []
            if leaders:
                break
        head = await work.repo.person(leaders[0])
        supervisor = await work.repo.person((await supervisors_of_section(work, author.section_id))[0])
        assert head.role is Role.SECTION_HEAD and supervisor.role is Role.SUPERVISOR
        for number, person in enumerate((author, head, supervisor), start=1):
            person.telegram_user_id = 700_000 + number
        await phases.open_phase(work, Phase.GOALS, Q3, None)
    as_author = lambda: quarterly.work(user_id=700_001)  # noqa: E731
    as_head = lambda: quarterly.work(user_id=700_002)  # noqa: E731

    # July 1st: June's summary is still open; written line by line, numbering dropped.
    async with as_author() as work:
        opened = await summaries.open_summary(work, author.id)
        assert (opened.summary.year, opened.summary.month, opened.items) == (2026, 6, [])
        june = opened.summary.id
        written, _change = await summaries.write_summary(
            work, author.id, june, "1. 完成窗口受理3200件\n2、整理档案"
        )
        assert written.items == ["完成窗口受理3200件", "整理档案"]
    refusal = await _refused(  # a line over the limit: the good line before it is not kept either
        as_author(),
        lambda work: _write_twice(work, author.id, june, "参加培训", "长" * (documents.MAX_ITEM_CHARS + 1)),
    )
    assert refusal.template == "chat/staff/item_too_long.j2"
    async with as_author() as work:
        assert await documents.items_of(work, SUMMARY, june) == ["完成窗口受理3200件", "整理档案"]
        sent = await documents.submit(work, SUMMARY, author, june)
        assert (sent.reviewers, sent.title) == (1, {"year": 2026, "month": 6, "late": False})
    assert f"review:summary:{june}:1:{head.id}" in await quarterly.outbox()
    refusal = await _refused(as_author(), lambda work: documents.submit(work, SUMMARY, author, june))
    assert refusal.template == "chat/errors/already_done.j2"
    refusal = await _refused(  # only his leader reviews it
        quarterly.work(user_id=700_003), lambda work: reviews.approve(work, supervisor, "summary", june, 1)
    )
    assert refusal.template == "chat/errors/not_allowed.j2"

    # The head returns it with his opinion; the author is told.
    async with as_head() as work:
        count, shown = await reviews.awaiting(work, head)
        assert count == 1 and (shown[0].kind, shown[0].doc_id, shown[0].stamp) == ("summary", june, 1)
        await reviews.send_back(work, head, "summary", june, 1, "请补充办件数据来源")
    outcome = (await quarterly.outbox())[f"reviewed:summary:{june}:1"]
    assert outcome.chat_id == 700_001 and "请补充办件数据来源" in outcome.text
    refusal = await _refused(as_head(), lambda work: reviews.approve(work, head, "summary", june, 1))
    assert refusal.template == "chat/leaders/review_stale.j2"

    # Goals of Q3: custom items refused until they sum to 100, then sent to the supervisor.
    async with as_author() as work:
        view = await goals.goals_view(work, author)
        assert view.goal is None and view.template
        goal, _items = await goals.start_custom(work, author.id, view.assessment.id)
        assessment_id, draft = view.assessment.id, {"goal_id": goal.id, "items": []}
        lines = "业务办理：60\n服务质量\u3000３０分"
        _goal, items, _change = await goals.add_custom_lines(work, draft, lines)
        draft["items"] = items
    for line, template in (("业务办理 六十", "goal_line_bad"), ("业务办理 10", "goal_duplicate")):
        refusal = await _refused(
            as_author(), lambda work, line=line: goals.add_custom_lines(work, draft, line)
        )
        assert refusal.template == f"chat/staff/{template}.j2"
    stale = {"goal_id": 999_999, "items": []}  # a draft whose goal set is gone
    refusal = await _refused(as_author(), lambda work: goals.add_custom_lines(work, stale, "业务办理 60"))
    assert refusal.template == "chat/errors/no_input_expected.j2"
    refusal = await _refused(
        as_author(), lambda work: goals.submit_custom(work, author, assessment_id, draft)
    )
    assert (refusal.template, refusal.context["total"]) == ("chat/staff/goals_not_100.j2", 90)
    async with as_author() as work:
        goal = await work.repo.get(Goal, goal.id)
        assert (goal.status, goal.submissions, await work.repo.goal_items(goal.id)) == (
            ReviewStatus.DRAFT,
            0,
            [],
        )
        _goal, draft["items"], _change = await goals.add_custom_lines(work, draft, "廉洁自律10")
        sent = await goals.submit_custom(work, author, assessment_id, draft)
        assert sent.reviewers == 1 and sum(p for _n, p in sent.items) == 100
    assert f"review:goals:{goal.id}:1:{supervisor.id}" in await quarterly.outbox()
    async with quarterly.work(user_id=700_003) as work:
        await reviews.approve(work, supervisor, "goals", goal.id, 1)
        goal = await work.repo.get(Goal, goal.id)
        assert goal.status is ReviewStatus.APPROVED and goal.reviewer_id == supervisor.id
        assert [(i.name, i.max_points) for i in await work.repo.goal_items(goal.id)] == draft["items"]

    # August: /summary opens June's returned summary before August's; corrected, sent again, approved.
    quarterly.at(2026, 8, 10, 10, 0)
    async with as_author() as work:
        opened = await summaries.open_summary(work, author.id)
        assert opened.summary.id == june and opened.summary.status is ReviewStatus.RETURNED
        await summaries.write_summary(work, author.id, june, "数据来源：政务服务平台统计")
        sent = await documents.submit(work, SUMMARY, author, june)
        assert sent.items[-1] == "数据来源：政务服务平台统计"
    async with as_head() as work:
        await reviews.approve(work, head, "summary", june, 2)
    async with as_author() as work:
        row = await work.repo.get(MonthlySummary, june)
        assert (row.status, row.submissions, row.opinion) == (ReviewStatus.APPROVED, 2, None)
    refusal = await _refused(
        as_author(), lambda work: summaries.write_summary(work, author.id, june, "再加一项")
    )
    assert refusal.template == "chat/staff/already_approved.j2"
    async with as_author() as work:  # now August's own summary
        august = await summaries.open_summary(work, author.id)
        assert (august.summary.month, august.items) == (8, [])
        await summaries.write_summary(work, author.id, august.summary.id, "八月：受理3100件")
        await documents.submit(work, SUMMARY, author, august.summary.id)
    async with as_head() as work:
        await reviews.approve(work, head, "summary", august.summary.id, 1)

    # The registration is refused until its phase opens and leaves no row; then pre-filled from the summaries.
    async with as_author() as work:
        assessment = await work.repo.assessment(Q3)
        opens = (await phases.window_of(work, assessment, Phase.REGISTRATION)).opens.astimezone(CST)
    quarterly.clock.set(opens - dt.timedelta(minutes=5))  # its day, before the hour
    refusal = await _refused(as_author(), lambda work: registrations.open_registration(work, author.id))
    assert (refusal.template, refusal.context["quarter"]) == ("chat/staff/phase_closed.j2", Q3)
    async with as_author() as work:
        assert await work.repo.quarter_doc(Registration, assessment.id, author.id) is None
    quarterly.clock.set(opens + dt.timedelta(minutes=5))
    async with as_author() as work:
        september = await summaries.open_summary(work, author.id)
        assert september.summary.month == 9
        await summaries.write_summary(work, author.id, september.summary.id, "九月：受理3300件\n迎接检查")
        await documents.submit(work, SUMMARY, author, september.summary.id)
    async with as_author() as work:  # only approved summaries pre-fill it
        opened = await registrations.open_registration(work, author.id)
        assert opened.items == ["八月：受理3100件"]
    async with as_head() as work:
        await reviews.approve(work, head, "summary", september.summary.id, 1)
    async with as_author() as work:  # the summary approved since follows into it
        opened = await registrations.open_registration(work, author.id)
        assert opened.quarter == Q3 and not opened.approved
        assert opened.items == ["八月：受理3100件", "九月：受理3300件", "迎接检查"]  # June is not in Q3
        written, _change = await registrations.write_registration(
            work, author.id, opened.registration.id, "获评窗口标兵"
        )
        items = written.items
        assert items[-1] == "获评窗口标兵"
        sent = await documents.submit(work, REGISTRATION, author, opened.registration.id)
        assert sent.reviewers == 1 and sent.title == {"quarter": Q3}
        status = await my_status(work, author.id, ratee=True)
        assert ("registration", {"quarter": Q3}, ReviewStatus.SUBMITTED) in status.sent  # sent, not to do
        assert all(kind != "registration" for kind, *_ in status.due)
    async with as_author() as work:  # opened again, it keeps what was written: no second pre-fill
        again = await registrations.open_registration(work, author.id)
        assert again.registration.id == opened.registration.id and again.items == items


async def _write_twice(work, person_id: int, summary_id: int, first: str, second: str) -> None:
    await summaries.write_summary(work, person_id, summary_id, first)
    await summaries.write_summary(work, person_id, summary_id, second)


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("1. 完成科室档案整理", "完成科室档案整理"),
        ("2、完成审批", "完成审批"),
        ("三、参加培训", "参加培训"),
        ("１．整理台账", "整理台账"),
        ("4）报送材料", "报送材料"),
        ("1.5亿元项目完成审批", "1.5亿元项目完成审批"),
        ("12:30前报送材料", "12:30前报送材料"),
        ("10.1假期值班", "10.1假期值班"),
        ("3.2万件档案数字化", "3.2万件档案数字化"),
    ],
)
def test_a_typed_item_number_is_dropped_but_a_number_of_the_item_is_kept(typed, kept):
    """The bot numbers items itself; a figure at the start of an item is the item's own."""
    from bot.workflow.documents import split_items

    assert split_items(typed) == [kept]
