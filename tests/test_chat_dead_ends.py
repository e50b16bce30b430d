"""Dead ends a new user ran into (issue 13, item 15): each command answers with somewhere to go."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from scheduler.jobs import Scheduler
from tests.authz import table_rows
from tests.chat import ADMIN, GROUP, at, example_bureau, running_bot


@pytest.fixture
async def bureau(database_url, database):
    async with example_bureau(database_url, database, at(2026, 7, 31)) as bureau:
        yield bureau


async def test_bindgroup_sent_privately_says_where_to_send_it(bureau):
    reply = await bureau.command(ADMIN, "bindgroup")
    assert "请在本局工作群内发送 /bindgroup" in reply.text
    assert "无法识别" not in reply.text


async def test_objection_and_help_in_the_group_point_to_the_private_chat_and_reveal_nothing(bureau):
    staff = bureau.user("吴晓燕")
    bureau.driver.add_group(GROUP, "工作群", [ADMIN, staff])
    await bureau.command(ADMIN, "bindgroup", chat_id=GROUP)
    username = bureau.application.bot.username
    first = await bureau.command(staff, "objection", chat_id=GROUP)
    assert f"@{username}" in first.text and "/objection" in first.text and "私聊" in first.text
    second = await bureau.command(staff, "help", chat_id=GROUP)
    assert f"@{username}" in second.text and "/help" in second.text
    for text in (first.text, second.text):
        assert "吴晓燕" not in text and "等次" not in text and "优秀" not in text
    bureau.driver.send_command(staff, "me", chat_id=GROUP)  # anything else stays unanswered in the group
    bureau.driver.send_text(staff, "收到", chat_id=GROUP)
    await bureau.driver.wait_until_confirmed()
    await bureau.settle()
    assert len(bureau.driver.bot_messages(GROUP)) == 3


async def test_registration_after_its_deadline_says_it_has_closed_and_whom_to_ask(bureau):
    bureau.clock.set(at(2026, 9, 30))  # Q3's registration opens on its last working day
    await Scheduler(bureau.services).tick()
    await bureau.settle()
    staff = bureau.user("吴晓燕")
    draft = await bureau.command(staff, "registration")
    assert "登记表" in draft.text
    bureau.clock.set(at(2026, 10, 20))
    reply = await bureau.command(staff, "registration")
    assert "截止，不再开放" in reply.text and "督查指导科" in reply.text
    assert "2026年10月" in reply.text  # when it closed
    assert "开放时机器人会通知您" not in reply.text
    # the draft's buttons, kept from before the deadline, are over too: nothing is handed in
    before = await table_rows(bureau)
    typed = await bureau.text(staff, "完成档案整理")  # the draft's input mode is still on: no item added
    assert "截止，不再开放" in typed.text, typed.text
    answer, _message = await bureau.press(staff, draft, "提交")
    assert "截止，不再开放" in answer.text, answer.text
    assert await table_rows(bureau) == before


async def test_remind_reminds_only_of_the_summary_due_now(bureau):
    staff = bureau.user("吴晓燕")
    await bureau.settle()
    before = len(bureau.driver.bot_messages(staff))
    for typo in ("吴晓燕", "小结 吴晓燕", "公示"):  # a name, or what cannot be reminded: nobody is
        reply = await bureau.command(ADMIN, "remind", typo)
        assert "未发送任何提醒" in reply.text and "/status" in reply.text, (typo, reply.text)
    assert "没有需要提醒的人员" in (await bureau.command(ADMIN, "remind", "测评")).text  # no rating open
    await bureau.settle()
    assert len(bureau.driver.bot_messages(staff)) == before
    reply = await bureau.command(ADMIN, "remind", "小结")  # 31 July: July's summary is due
    assert "月工作小结" in reply.text
    await bureau.settle()
    assert any("2026年7月工作小结" in (m.text or "") for m in bureau.driver.bot_messages(staff))
    bureau.clock.set(at(2026, 10, 19))  # September's deadline passed; October's month-end is far off
    reply = await bureau.command(ADMIN, "remind")
    assert "月工作小结" not in reply.text
    await bureau.settle()
    assert not any("2026年10月工作小结" in (m.text or "") for m in bureau.driver.bot_messages(staff))


async def test_me_lists_each_document_once_under_the_right_heading(bureau):
    author, head = bureau.user("吴晓燕"), bureau.user("周明远")
    await bureau.command(author, "summary")
    preview = await bureau.text(author, "完成一项审批")
    await bureau.press(author, preview, "提交")
    request = await bureau.expect(head, "请审核")
    await bureau.press(head, request, "通过")
    await bureau.settle()
    me = (await bureau.command(author, "me")).text
    assert me.count("2026年7月工作小结") == 1
    assert "【已提交】" in me and "已通过" in me.split("【已提交】", 1)[1]
    assert "已通过" not in me.split("【已提交】", 1)[0]
    # a draft never sent is not listed as sent
    bureau.clock.set(at(2026, 8, 31))
    await bureau.command(author, "summary")
    await bureau.text(author, "八月草稿")
    me = (await bureau.command(author, "me")).text
    assert me.count("2026年8月工作小结") == 1
    assert "未提交" not in me.split("【已提交】", 1)[1]
    assert "2026年8月工作小结" in me.split("【已提交】", 1)[0]


async def test_publicity_ending_by_itself_tells_the_admins_what_follows(bureau):
    from tests.factories import publicity_running

    async with bureau.services.database.session() as session:
        await publicity_running(session, GROUP)
    bureau.driver.add_group(GROUP, "工作群", [ADMIN])
    bureau.clock.set(at(2026, 10, 23, 18, 0))
    await Scheduler(bureau.services).tick()
    await bureau.settle()
    told = await bureau.expect(ADMIN, "自动结束公示")
    assert "2026年第三季度" in told.text and "最终结果" in told.text and "/export" in told.text
    assert "发送 /close publicity" not in told.text


async def test_the_calendar_warning_reaches_an_admin_once_he_opens_the_chat(database_url, monkeypatch):
    from bot.rules import workcalendar
    from bot.rules.domain import OutboxStatus
    from storage.models import OutboxMessage

    real = workcalendar.library_knows
    monkeypatch.setattr(workcalendar, "library_knows", lambda year: year < 2027 and real(year))
    late = 900_000_002  # an admin who has not pressed Start yet
    async with running_bot(database_url, at(2026, 11, 2, 9, 0)) as bureau:
        bureau.driver.add_user(late, "Late")
        await bureau.command(ADMIN, "admins", f"grant {late}")
        await Scheduler(bureau.services).tick()
        await bureau.settle()
        await bureau.expect(ADMIN, "2027")
        async with bureau.services.database.session() as session:
            row = await session.scalar(
                select(OutboxMessage).where(OutboxMessage.key == f"calendar_warning:2027:{late}")
            )
            assert row.status is OutboxStatus.UNREACHABLE
        bureau.driver.send_command(late, "start")
        await bureau.expect(late, "2027")
        await bureau.settle()
        await Scheduler(bureau.services).tick()  # and only once
        await bureau.settle()
        assert sum("2027" in (m.text or "") for m in bureau.driver.bot_messages(late)) == 1
