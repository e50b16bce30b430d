"""Going live on an ordinary day (issue 13, item 1): nothing is sent, opened or shown for earlier periods."""

from __future__ import annotations

from sqlalchemy import select

from bot.rules.domain import Quarter
from scheduler.jobs import Scheduler
from storage.models import OutboxMessage
from storage.repository import Repository
from tests.chat import ADMIN, at, bind_everyone, import_roster, running_bot
from tests.conftest import EXAMPLES


async def tick(bureau, moment) -> None:
    bureau.clock.set(moment)
    await Scheduler(bureau.services).tick()
    await bureau.settle()


async def keys(bureau) -> list[str]:
    async with bureau.services.database.session() as session:
        return list((await session.scalars(select(OutboxMessage.key).order_by(OutboxMessage.id))).all())


async def assessment(bureau, quarter: Quarter):
    async with bureau.services.database.session() as session:
        return await Repository(session).assessment(quarter)


def about(found: list[str], *parts: str) -> list[str]:
    return [k for k in found if any(k.startswith(p) for p in parts)]


async def test_started_on_1_july_the_bot_leaves_june_and_q2_alone(database_url, database):
    await import_roster(database, EXAMPLES / "roster.csv")
    async with running_bot(database_url, at(2026, 7, 1, 8, 30), start={}) as bureau:
        await bind_everyone(bureau)
        await tick(bureau, at(2026, 7, 1, 9, 0))
        found = await keys(bureau)
        # June's month-end reminders and Q2's registration are not sent; Q3's goals are (its first day)
        assert about(found, "summary:2026-06", "registration:2026Q2") == []
        assert len(about(found, "goals:2026Q3:")) > 0
        staff = bureau.user("吴晓燕")
        texts = [m.text for m in bureau.driver.bot_messages(staff)]
        assert not any("6月" in t or "第二季度" in t for t in texts)
        for moment in (at(2026, 7, 3, 18, 30), at(2026, 7, 8, 9, 0), at(2026, 7, 14, 18, 30)):
            await tick(bureau, moment)  # June's deadline and missing list, Q2's rating window
        found = await keys(bureau)
        assert about(found, "summary", "rating", "registration:2026Q2", "rating_missed") == []
        assert await assessment(bureau, Quarter(2026, 2)) is None  # Q2 never opened, never 待审定
        status = await bureau.command(ADMIN, "status")
        assert "第二季度" not in status.text and "待审定" not in status.text
        assert "2026年第三季度" in status.text
        shown = await bureau.command(ADMIN, "firstmonth")
        assert "2026年7月起" in shown.text and "2026年7月1日" in shown.text
        # July is followed: its month-end reminder goes out on its last working day
        await tick(bureau, at(2026, 7, 31, 9, 0))
        assert len(about(await keys(bureau), "summary:2026-07:")) > 0
        # the registration request names the quarter it is about, twice
        await tick(bureau, at(2026, 9, 30, 9, 0))
        request = await bureau.expect(staff, "平时考核登记表")
        assert "请填写2026年第三季度平时考核登记表" in request.text
        assert "已根据您2026年7月至9月的月工作小结预填" in request.text and "本季度" not in request.text


async def test_started_in_mid_august_the_bot_begins_with_september(database_url, database):
    await import_roster(database, EXAMPLES / "roster.csv")
    async with running_bot(database_url, at(2026, 8, 14, 10, 0), start={}) as bureau:
        await bind_everyone(bureau)
        await tick(bureau, at(2026, 8, 14, 10, 0))
        assert about(await keys(bureau), "summary", "goals", "registration", "rating") == []
        shown = await bureau.command(ADMIN, "firstmonth")
        assert "2026年9月起" in shown.text and "首个考核季度：2026年第三季度" in shown.text
        await tick(bureau, at(2026, 8, 31, 9, 0))  # August's last working day: August is not followed
        await tick(bureau, at(2026, 9, 4, 18, 30))
        assert about(await keys(bureau), "summary") == []
        await tick(bureau, at(2026, 9, 30, 9, 0))  # September is; Q3 (partly followed) registers
        found = await keys(bureau)
        assert len(about(found, "summary:2026-09:")) > 0 and len(about(found, "registration:2026Q3:")) > 0
        assert about(found, "goals:") == []  # Q3's goals window (July) is long past
        status = await bureau.command(ADMIN, "status")
        assert "第二季度" not in status.text


async def test_admins_set_and_see_the_first_month(database_url, database):
    await import_roster(database, EXAMPLES / "roster.csv")
    async with running_bot(database_url, at(2026, 7, 1, 8, 30), start={"first_month": "2026-09"}) as bureau:
        shown = await bureau.command(ADMIN, "firstmonth")
        assert "2026年9月起" in shown.text and "配置文件" in shown.text
        for bad in ("2026年13月", "２０２６年１３月", "13月", "明年", "2026-8 9"):
            reply = await bureau.command(ADMIN, "firstmonth", bad)
            assert "月份格式不正确" in reply.text, bad
        reply = await bureau.command(ADMIN, "firstmonth", "1999-01")
        assert "年份" in reply.text or "1999" in reply.text
        assert "2026年9月起" in (await bureau.command(ADMIN, "firstmonth")).text  # nothing changed
        # the admins' month wins over the settings; full-width digits are read as typed
        reply = await bureau.command(ADMIN, "firstmonth", "２０２６年７月")
        assert "已设置" in reply.text and "2026年7月起" in reply.text and "管理员设置" in reply.text
        reply = await bureau.command(ADMIN, "firstmonth", "默认")  # back to the settings' month
        assert "已恢复默认设置" in reply.text and "2026年9月起" in reply.text and "配置文件" in reply.text
        reply = await bureau.command(ADMIN, "firstmonth", "2026-04")  # past: Q2 is run by hand
        assert "不能早于本月" in reply.text
        await bind_everyone(bureau)
        assert "已开启" in (await bureau.command(ADMIN, "open", "登记表 2026年第二季度")).text
        assert len(about(await keys(bureau), "registration:2026Q2:")) > 0
        # Q2 is under way now: a first month after it is refused and changes nothing
        reply = await bureau.command(ADMIN, "firstmonth", "2026年8月")
        assert "不能设为自2026年8月起" in reply.text and "2026年第二季度已开始考核" in reply.text
        assert "2026年4月起" in (await bureau.command(ADMIN, "firstmonth")).text
        reply = await bureau.command(ADMIN, "firstmonth", "默认")  # September reaches back to Q2
        assert "2026年4月起" in reply.text
        help_text = (await bureau.command(ADMIN, "help")).text
        assert "/firstmonth" in help_text


async def test_an_earlier_quarter_opened_by_hand_is_followed_to_its_end(database_url, database):
    await import_roster(database, EXAMPLES / "roster.csv")
    async with running_bot(database_url, at(2026, 7, 2, 10, 0), start={}) as bureau:
        assert "2026年8月起" in (await bureau.command(ADMIN, "firstmonth")).text  # loaded on 2 July
        reply = await bureau.command(ADMIN, "open", "registration 2026Q2")
        assert "已开启" in reply.text
        assert "2026年4月起" in (await bureau.command(ADMIN, "firstmonth")).text
        assert "2026年第二季度" in (await bureau.command(ADMIN, "status")).text


async def test_a_first_month_after_summaries_handed_in_is_refused(database_url, database):
    from tests.factories import stored_summary

    await import_roster(database, EXAMPLES / "roster.csv")
    async with running_bot(database_url, at(2026, 7, 31, 10, 0), start={"first_month": "2026-07"}) as bureau:
        async with bureau.services.database.session() as session:
            people = await Repository(session).people(active_only=True)
            await stored_summary(session, people[5].id, 2026, 6, ["六月的工作"])  # before the span
            await stored_summary(session, people[5].id, 2026, 7, ["七月的工作"])
        reply = await bureau.command(ADMIN, "firstmonth", "2026年8月")
        assert "不能设为自2026年8月起" in reply.text and "2026年7月已有月工作小结" in reply.text
        assert "2026年7月起" in (await bureau.command(ADMIN, "firstmonth")).text
        reply = await bureau.command(ADMIN, "firstmonth", "2026年7月")  # June's is not in the way
        assert "已设置" in reply.text
