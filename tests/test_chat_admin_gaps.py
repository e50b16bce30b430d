"""An admin's slips (issue 13 review): a past first month, false promises, English words, namesakes, input."""

from __future__ import annotations

from sqlalchemy import select

from bot.rules.domain import Quarter
from scheduler.jobs import Scheduler
from storage.models import OutboxMessage
from storage.repository import Repository
from tests.chat import ADMIN, GROUP, at, bind_everyone, example_bureau, import_roster, running_bot
from tests.conftest import EXAMPLES


async def tick(bureau, moment) -> None:
    bureau.clock.set(moment)
    await Scheduler(bureau.services).tick()
    await bureau.settle()


async def test_a_past_first_month_is_refused_and_an_earlier_quarter_run_by_hand(database_url, database):
    await import_roster(database, EXAMPLES / "roster.csv")
    async with running_bot(database_url, at(2026, 7, 1, 10, 0), start={}) as bureau:
        await bind_everyone(bureau)
        reply = await bureau.command(ADMIN, "firstmonth", "2026年6月")
        assert "不能设为自2026年6月起" in reply.text and "不能早于本月" in reply.text
        assert "/open 登记表 2026年第二季度" in reply.text
        assert "2026年7月起" in (await bureau.command(ADMIN, "firstmonth")).text  # nothing changed
        reply = await bureau.command(ADMIN, "firstmonth", "8月")  # no year: asked for, not "1 to 12"
        assert "请写明年份" in reply.text and "2026年8月" in reply.text and "1至12" not in reply.text
        await tick(bureau, at(2026, 7, 8, 10, 0))  # Q2's rating window: nothing opens
        async with bureau.services.database.session() as session:
            assert await Repository(session).assessment(Quarter(2026, 2)) is None
            found = (await session.scalars(select(OutboxMessage.key))).all()
        assert not [k for k in found if k.startswith(("rating:2026Q2", "registration:2026Q2"))]
        reply = await bureau.command(ADMIN, "firstmonth", "2026年7月")  # this month is fine
        assert "已设置" in reply.text
        # Q2 opened by hand is followed; then April (already followed) may be set, June too
        assert "已开启" in (await bureau.command(ADMIN, "open", "登记表 2026年第二季度")).text
        assert "已设置" in (await bureau.command(ADMIN, "firstmonth", "2026年4月")).text


async def test_staff_are_not_promised_a_phase_that_will_not_open(database_url, database):
    await import_roster(database, EXAMPLES / "roster.csv")
    async with running_bot(database_url, at(2026, 7, 1, 10, 0), start={}) as bureau:
        await bind_everyone(bureau)
        staff = bureau.user("吴晓燕")
        reply = await bureau.command(staff, "registration")  # Q2 is before the first month (July)
        assert "2026年第二季度" in reply.text and "不会开放" in reply.text
        assert "开放时机器人会通知您" not in reply.text


async def test_staff_are_not_promised_goals_whose_window_is_past(database_url, database):
    await import_roster(database, EXAMPLES / "roster.csv")
    async with running_bot(database_url, at(2026, 9, 2, 10, 0), start={"first_month": "2026-09"}) as bureau:
        await bind_everyone(bureau)
        staff = bureau.user("吴晓燕")
        reply = await bureau.command(staff, "goals")  # Q3's goals window (July) is past
        assert "2026年第三季度" in reply.text and "不会再开放" in reply.text
        assert "开放时机器人会通知您" not in reply.text


async def test_admins_are_shown_the_chinese_keywords_they_type(database_url, database):
    from tests.factories import publicity_running

    async with example_bureau(database_url, database, at(2026, 8, 14, 10, 0)) as bureau:
        reply = await bureau.command(ADMIN, "open", "指标")  # no deadline: open until closed
        assert "直到发送 /close 指标 为止" in reply.text and "goals" not in reply.text
        async with bureau.services.database.session() as session:
            await publicity_running(session, GROUP)
        bureau.driver.add_group(GROUP, "工作群", [ADMIN])
        bureau.clock.set(at(2026, 10, 22, 10, 0))
        staff = bureau.user("郑海涛")
        await bureau.command(staff, "objection")
        await bureau.text(staff, "对公示名单有疑问")
        await bureau.settle()  # the admins are told through the outbox
        received = await bureau.expect(ADMIN, "公示异议", timeout=30)
        assert "/resolve 1 驳回 理由" in received.text and "/resolve 1 成立 理由" in received.text
        assert "dismiss" not in received.text and "uphold" not in received.text


async def test_namesakes_are_told_apart_and_named_by_section(database_url, database, tmp_path):
    roster = (EXAMPLES / "roster.csv").read_text(encoding="utf-8-sig")
    roster += "吴晓燕,女,1990-05,群众,2022-01,2012-07,窗口科员,事业单位人员,政务服务科,窗口工作人员,,,,,是\n"
    (tmp_path / "roster.csv").write_text(roster, encoding="utf-8")
    await import_roster(database, tmp_path / "roster.csv")
    async with running_bot(database_url, at(2026, 10, 14, 9, 30)) as bureau:
        links = (await bureau.command(ADMIN, "invite", "全部")).text
        assert "吴晓燕（综合科，1986-09）：https://" in links
        assert "吴晓燕（政务服务科，1990-05）：https://" in links
        assert "周明远：https://" in links  # one of a name: as before
        reply = await bureau.command(ADMIN, "invite", "吴晓燕")
        assert "有重名" in reply.text and "1988-03" not in reply.text
        assert "吴晓燕(1986-09)　综合科" in reply.text and "吴晓燕(1990-05)　政务服务科" in reply.text
        for qualified in ("吴晓燕（综合科）", "吴晓燕(综合科)", "吴晓燕 (政务服务科)"):
            reply = await bureau.command(ADMIN, "invite", qualified.replace(" ", ""))
            assert "已生成1个" in reply.text, qualified
        assert "综合科，1986-09" in (await bureau.command(ADMIN, "invite", "吴晓燕(综合科)")).text
        reply = await bureau.command(ADMIN, "invite", "吴晓燕（办公室）")  # no such section: unknown
        assert "已生成" not in reply.text


async def test_admins_write_ranges_grounds_and_quarters_as_they_speak(database_url, database):
    async with example_bureau(database_url, database, at(2026, 10, 14, 9, 30)) as bureau:
        for days in (
            "7月6日至7月10日",
            "7月13日—7月17日",
            "7月20日-7月24日",
            "８月３日－８月７日",
            "8月10日~8月14日",
        ):
            reply = await bureau.command(ADMIN, "leave", f"陈立新 病假 {days}")
            assert "已登记" in reply.text and "工作日5天" in reply.text, days
        reply = await bureau.command(ADMIN, "leave", "陈立新 事假 8月17日 至 8月21日 家事")
        assert "已登记" in reply.text and "2026年8月17日至2026年8月21日" in reply.text
        reply = await bureau.command(
            ADMIN, "leave", "陈立新 事假 2026-09-07 2026-09-08"
        )  # ISO days stay days
        assert "已登记" in reply.text and "2026年9月7日至2026年9月8日" in reply.text
        reply = await bureau.command(ADMIN, "leave", "陈立新 事假 2026-09-14至2026-09-15")
        assert "已登记" in reply.text and "2026年9月14日至2026年9月15日" in reply.text
        for name, ground in (("吴晓燕", "第2条"), ("郑海涛", "第二条"), ("冯雪梅", "２")):
            reply = await bureau.command(ADMIN, "veto", f"{name} {ground} 在全市受到通报批评")
            assert "已记录" in reply.text and "在全市及以上相关业务部门受到通报批评" in reply.text, ground
        reply = await bureau.command(ADMIN, "veto", "周明远 第9条 理由")
        assert "依据编号不正确" in reply.text
        reply = await bureau.command(
            ADMIN, "open", "登记表 第四季度"
        )  # a quarter without a year: this year's
        assert "日期格式不正确" not in reply.text and "2026年第四季度" in reply.text
        reply = await bureau.command(ADMIN, "resolve", "1 驳回")
        assert "请写明理由" in reply.text and "参数不完整" not in reply.text
        reply = await bureau.command(ADMIN, "export", "登记表 三季度")
        assert "材料应为" not in reply.text and "用法" not in reply.text
