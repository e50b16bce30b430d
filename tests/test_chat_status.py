"""Who is missing (issue 13, item 12): /status names them for what is at hand, 催办 reminds just them once a
day, 重发邀请 gives the admin fresh links for those never bound, /close rating names the raters behind."""

from __future__ import annotations

import dataclasses
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot.cli.rehearsal import INVITE as INVITE_LINK
from bot.records.spreadsheets import read_table
from bot.rules.domain import AssessmentStatus, BallotStatus, Quarter
from bot.workflow.quarter import import_ballots
from scheduler.jobs import Scheduler
from storage.models import AuditEntry, BallotRecord, OutboxMessage, Person
from storage.repository import Repository
from tests.chat import ADMIN, at, bind_everyone, import_roster, running_bot
from tests.conftest import EXAMPLES
from tests.factories import stored_summary

Q3 = Quarter(2026, 3)
LATE = ("吴晓燕", "陶思琪")  # bound, September's summary not handed in
UNBOUND = "韩志刚"  # never bound his account (and no summary either)
BEHIND = "吴晓燕"  # a peer rater whose ballots are not submitted


@pytest.fixture
async def bureau(database_url, database):
    """14 October: September's summaries are late for three people (one never bound); Q3's rating runs
    and one rater has submitted none of her ballots."""
    await import_roster(database, EXAMPLES / "roster.csv")
    async with running_bot(database_url, at(2026, 10, 14, 10)) as bureau:
        await bind_everyone(bureau)
        await bureau.settle()
        settings = bureau.services.settings
        async with database.session() as session:
            repo = Repository(session)
            people = {p.name: p for p in await repo.people(active_only=True)}
            for person in people.values():
                if not person.role.is_bureau_leader and person.name not in (*LATE, UNBOUND):
                    await stored_summary(session, person.id, 2026, 9, ["完成本月工作"])
            people[UNBOUND].telegram_user_id = None
            table = read_table(EXAMPLES / "ballots-2026Q3.csv")
            outcome = await import_ballots(repo, settings, Q3, table, "test")
            assert not outcome.errors
            assessment = await repo.assessment(Q3)
            assessment.status = AssessmentStatus.RATING
            await session.execute(
                update(BallotRecord)
                .where(BallotRecord.rater_id == people[BEHIND].id)
                .values(status=BallotStatus.DRAFT)
            )
        bureau.users.pop(UNBOUND)
        yield bureau


def _names_line(text: str, heading: str) -> str:
    """The block of /status under a heading, up to the next blank line."""
    return text.split(heading, 1)[1].split("\n\n", 1)[0]


async def test_status_names_who_is_missing_for_the_month_at_hand(bureau):
    reply = await bureau.command(ADMIN, "status")
    text = reply.text
    assert "2026年9月工作小结" in text and "2026年10月工作小结" not in text  # September is at hand
    summaries = _names_line(text, "未提交3人：")
    for name in LATE:
        assert name in summaries
    assert f"{UNBOUND}（未绑定）" in summaries
    assert "周明远" not in summaries  # handed in
    unbound = _names_line(text, "尚未绑定账号1人")
    assert UNBOUND in unbound
    raters = _names_line(text, "测评尚未评完")
    assert f"{BEHIND}：差" in raters
    labels = [b["text"] for row in reply.buttons for b in row]
    assert {"催办月工作小结", "催办测评", "重发邀请"} <= set(labels)


async def test_chasing_reminds_just_the_missing_once_a_day(bureau, database):
    reply = await bureau.command(ADMIN, "status")
    late = [bureau.user(n) for n in LATE]
    others = [bureau.user(n) for n in ("周明远", "许振东")]
    before = {u: len(bureau.driver.bot_messages(u)) for u in (*late, *others)}
    answer, _m = await bureau.press(ADMIN, reply, "催办月工作小结")
    assert "已催办2人" in answer.text
    told = await bureau.expect(ADMIN, "月工作小结催办：已提醒2人")
    assert UNBOUND in told.text and "重发邀请" in told.text
    await bureau.settle()
    for user in late:
        new = bureau.driver.bot_messages(user)[before[user] :]
        assert len(new) == 1 and "2026年9月工作小结尚未提交" in new[0].text, new
    for user in others:
        assert len(bureau.driver.bot_messages(user)) == before[user]
    # a second press the same day sends nothing more, and says so
    answer, _m = await bureau.press(ADMIN, reply, "催办月工作小结")
    assert "已催办0人" in answer.text
    await bureau.expect(ADMIN, "2人今天已催办过")
    await bureau.settle()
    for user in late:
        assert len(bureau.driver.bot_messages(user)) == before[user] + 1
    # /remind the same day (and the scheduler's reminder: the same key) sends them no second reminder
    await bureau.command(ADMIN, "remind", "小结")
    await bureau.settle()
    for user in late:
        assert len(bureau.driver.bot_messages(user)) == before[user] + 1
    # the raters' list: the rater behind is told how many she owes, never whom
    owing = _names_line(reply.text, "测评尚未评完").count("：差")
    answer, _m = await bureau.press(ADMIN, reply, "催办测评")
    assert f"已催办{owing}人" in answer.text
    await bureau.settle()
    reminder = bureau.driver.bot_messages(bureau.user(BEHIND))[-1].text
    assert "测评您还有" in reminder and "/rate" in reminder
    async with database.session() as session:
        today = bureau.clock.now().astimezone(ZoneInfo("Asia/Shanghai")).date()
        reminders = select(OutboxMessage.key).where(OutboxMessage.key.like(f"%:{today}"))
        keys = [k for k in await session.scalars(reminders) if k.startswith(("summary:", "rating_reminder:"))]
        assert len(keys) == 2 + owing, keys
        assert await session.scalar(select(AuditEntry).where(AuditEntry.action == "chased")) is not None


async def test_reinvite_gives_the_admin_fresh_links_for_the_unbound_once(bureau, database):
    reply = await bureau.command(ADMIN, "status")
    _answer, _m = await bureau.press(ADMIN, reply, "重发邀请")
    links = await bureau.expect(ADMIN, "一次性邀请链接")
    found = dict(INVITE_LINK.findall(links.text))
    assert list(found) == [UNBOUND]
    answer, _m = await bureau.press(ADMIN, reply, "重发邀请")  # a second tap makes no second set
    assert "已" in answer.text
    # the link works: the person binds, and /status no longer lists him as unbound
    new_user = 800_000_123
    bureau.driver.add_user(new_user, UNBOUND)
    welcome = await bureau.command(new_user, "start", found[UNBOUND])
    assert UNBOUND in welcome.text
    async with database.session() as session:
        person = await session.scalar(select(Person).where(Person.name == UNBOUND))
        assert person.telegram_user_id == new_user
    text = (await bureau.command(ADMIN, "status")).text
    assert "尚未绑定账号" not in text


async def test_close_rating_names_the_raters_behind(bureau):
    reply = await bureau.command(ADMIN, "close", "rating")
    assert "确认结束2026年第三季度测评" in reply.text
    assert "尚未评完" in reply.text and f"{BEHIND}（差" in reply.text


async def test_status_lists_missing_goals_and_registrations_while_open(database_url, database):
    await import_roster(database, EXAMPLES / "roster.csv")
    async with running_bot(database_url, at(2026, 9, 30, 10)) as bureau:
        await bind_everyone(bureau)
        await Scheduler(bureau.services).tick()  # Q3's registration opens on its last working day
        bureau.clock.set(at(2026, 10, 9, 10))
        await Scheduler(bureau.services).tick()  # Q4's goals open after the holiday
        await bureau.settle()
        reply = await bureau.command(ADMIN, "status")
        registrations = _names_line(reply.text, "2026年第三季度平时考核登记表未提交")
        goals = _names_line(reply.text, "2026年第四季度个性指标未提交")
        for block in (registrations, goals):
            assert "吴晓燕" in block and "赵建国" not in block  # ratees only
        staff = bureau.user("吴晓燕")
        count = len(bureau.driver.bot_messages(staff))
        answer, _m = await bureau.press(ADMIN, reply, "催办登记表")
        assert "已催办" in answer.text and "已催办0人" not in answer.text
        await bureau.settle()
        new = bureau.driver.bot_messages(staff)[count:]
        assert len(new) == 1 and "平时考核登记表" in new[0].text
        answer, _m = await bureau.press(ADMIN, reply, "催办个性指标")
        await bureau.settle()
        assert "个性指标" in bureau.driver.bot_messages(staff)[-1].text
        # the registration closed (13 October): who never handed it in stays listed, no longer chased
        bureau.clock.set(at(2026, 10, 14, 10))
        await Scheduler(bureau.services).tick()
        await bureau.settle()
        reply = await bureau.command(ADMIN, "status")
        late = _names_line(reply.text, "2026年第三季度平时考核登记表截止时未提交")
        assert "吴晓燕" in late and "已截止" in reply.text, reply.text
        assert "催办登记表" not in [b["text"] for row in reply.buttons for b in row]


def test_a_long_list_of_names_is_paged_within_telegrams_limit():
    from types import SimpleNamespace as Row

    from bot.rendering import render
    from bot.workflow.missing import Missing
    from handlers.paging import paginate
    from tests.template_samples import context_for

    people = [
        Row(id=i, name=f"同事{i:04d}", section_id=i % 3, telegram_user_id=i % 7 or None) for i in range(900)
    ]
    missing = Missing(
        (2026, 9),
        summaries=people,
        ballots=[(p, 12) for p in people],
        rating_quarter=Q3,
        unbound=[p for p in people if p.telegram_user_id is None],
        sections={0: "综合科", 1: "政务服务科", 2: "行政审批科"},
    )
    context = context_for("chat/admin/status.j2")
    context["report"] = dataclasses.replace(context["report"], missing=missing)
    pages = paginate(render("chat/admin/status.j2", **context))
    assert len(pages) > 1 and all(len(page) <= 4096 for page in pages)
    assert all(f"同事{i:04d}" in "".join(pages) for i in (0, 450, 899))
