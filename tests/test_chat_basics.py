"""The bot in chat, through the stand-in: binding, refusals, and that refusals change nothing."""

from __future__ import annotations

import pytest

from tests.chat import ADMIN, GROUP, at, example_bureau
from tests.dbsnapshot import snapshot_async, without_processed

STRANGER = 777_000_001


@pytest.fixture
async def bureau(database_url, database):
    async with example_bureau(database_url, database, at(2026, 7, 31)) as bureau:
        yield bureau


async def test_every_person_is_bound_by_an_invite_and_greeted(bureau):
    reply = bureau.last(bureau.user("周明远"))
    assert "绑定成功" in reply.text and "周明远" in reply.text
    me = await bureau.command(bureau.user("周明远"), "me")
    assert "工作小结" in me.text


async def test_a_stranger_is_refused_politely_and_nothing_changes(bureau, database_url):
    bureau.driver.add_user(STRANGER, "Stranger")
    before = await snapshot_async(database_url)
    for command in ("start", "me", "summary", "status", "rate"):
        reply = await bureau.command(STRANGER, command)
        assert "邀请链接" in reply.text, command
    reply = await bureau.text(STRANGER, "你好")
    assert "邀请链接" in reply.text
    assert await snapshot_async(database_url) == before


async def test_a_used_unknown_or_forged_invite_binds_nothing(bureau, database_url):
    bureau.driver.add_user(STRANGER, "Stranger")
    before = await snapshot_async(database_url)
    assert "无效" in (await bureau.command(STRANGER, "start", "not-a-real-token")).text
    assert "无效" in (await bureau.command(STRANGER, "start", "x" * 80)).text
    assert await snapshot_async(database_url) == before


async def test_staff_cannot_use_admin_commands(bureau, database_url):
    staff = bureau.user("吴晓燕")
    before = without_processed(await snapshot_async(database_url))
    for command, args in (("status", ""), ("veto", "周明远 1 理由"), ("publish", ""), ("invite", "all")):
        reply = await bureau.command(staff, command, args)
        assert "没有权限" in reply.text, command
    assert without_processed(await snapshot_async(database_url)) == before


async def test_malformed_admin_commands_get_their_usage(bureau, database_url):
    before = without_processed(await snapshot_async(database_url))
    cases = [
        ("veto", "周明远 9 理由", "依据编号不正确"),
        ("veto", "查无此人 1 理由", "没有在职人员"),
        ("change", "周明远 优秀 理由", "等次应为"),
        ("open", "everything", "阶段应为"),
        ("leave", "周明远 年假 2026-07-01 2026-07-02", "假别应为"),
        ("extend", "rating 2026-13-01", "日期格式不正确"),
        ("resolve", "abc dismiss 理由", "编号应为数字"),
    ]
    for command, args, expected in cases:
        reply = await bureau.command(ADMIN, command, args)
        assert expected in reply.text, (command, reply.text)
        assert "用法" in reply.text or "没有在职人员" in expected
    reply = await bureau.command(ADMIN, "nosuchcommand")
    assert "无法识别的命令" in reply.text
    assert without_processed(await snapshot_async(database_url)) == before


async def test_forged_stale_and_foreign_buttons_change_nothing(bureau, database_url):
    author, leader, other = bureau.user("吴晓燕"), bureau.user("周明远"), bureau.user("郑海涛")
    await bureau.command(author, "summary")
    preview = await bureau.text(author, "完成一项审批\n整理档案")
    _answer, submitted = await bureau.press(author, preview, "提交")
    assert "已提交" in submitted.text
    request = await bureau.expect(leader, "请审核")
    assert "吴晓燕" in request.text and "完成一项审批" in request.text
    before = without_processed(await snapshot_async(database_url))

    # another staff member cannot press the leader's button (it is not in his chat: forge the update)
    forged = {
        "callback_query": {
            "id": "1",
            "from": bureau.driver.state.users[other].to_api(),
            "message": bureau.driver.state.find_message(leader, request.message_id).to_api(),
            "chat_instance": "x",
            "data": request.callback_data("通过"),
        }
    }
    bureau.driver.push_update(forged)
    bureau.driver.push_update(
        {
            "callback_query": {
                "id": "2",
                "from": bureau.driver.state.users[leader].to_api(),
                "message": forged["callback_query"]["message"],
                "chat_instance": "x",
                "data": "nonsense:ok",
            }
        }
    )
    await bureau.driver.wait_until_confirmed()
    await bureau.settle()
    assert without_processed(await snapshot_async(database_url)) == before
    answers = [r for r in bureau.driver.requests_for("answerCallbackQuery")]
    assert len(answers) >= 2

    # the real leader approves; a second tap (a stale keyboard on his phone) is refused, changes nothing
    data = request.callback_data("通过")
    _answer, approved = await bureau.press(leader, request, "通过")
    assert "已审核通过" in approved.text
    await bureau.settle()  # the outbox has sent its news: the snapshot below does not race the sender
    after = without_processed(await snapshot_async(database_url))
    bureau.driver.push_update(
        {
            "callback_query": {
                "id": "3",
                "from": bureau.driver.state.users[leader].to_api(),
                "message": forged["callback_query"]["message"],
                "chat_instance": "x",
                "data": data,
            }
        }
    )
    await bureau.driver.wait_until_confirmed()
    await bureau.settle()
    assert without_processed(await snapshot_async(database_url)) == after
    await bureau.expect(author, "审核通过")


async def test_the_group_is_bound_and_nothing_else_is_said_there(bureau):
    members = [ADMIN, bureau.user("周明远")]
    bureau.driver.add_group(GROUP, "市行政审批服务局工作群", members)
    reply = await bureau.command(ADMIN, "bindgroup", chat_id=GROUP)
    assert "公示群" in reply.text
    bureau.driver.send_text(bureau.user("周明远"), "大家好", chat_id=GROUP)
    bureau.driver.send_command(bureau.user("周明远"), "me", chat_id=GROUP)
    await bureau.driver.wait_until_confirmed()
    assert [m.text for m in bureau.driver.bot_messages(GROUP)] == [reply.text]


async def test_command_menus_follow_the_roles(bureau):
    def names(chat_id: int) -> set[str]:
        return {c["command"] for c in bureau.driver.commands({"type": "chat", "chat_id": chat_id})}

    await bureau.settle()
    staff, head = bureau.user("吴晓燕"), bureau.user("周明远")
    bureau.services.outbox_wakeup.set()
    await bureau.driver.wait_for(lambda: "review" in names(head) or None, 15, "the head's menu")
    assert "summary" in names(staff) and "rate" not in names(staff) and "publish" not in names(staff)
    assert {"summary", "review"} <= names(head) and "publish" not in names(head)
    assert "rate" not in names(head)  # no rating is open in July: /rate comes with his ballots
    await bureau.command(ADMIN, "help")
    await bureau.settle()
    assert {"status", "publish", "veto", "invite"} <= names(ADMIN)
    default = {c["command"] for c in bureau.driver.commands({"type": "default"})}
    assert default == {"help"}  # anyone the bot does not know yet: how to get an invite


async def test_admins_correct_the_calendar(bureau):
    reply = await bureau.command(ADMIN, "calendar", "holiday 2027-02-11 春节")
    assert "2027年2月11日现为休息日" in reply.text
    assert not bureau.services.work_calendar().is_workday(__import__("datetime").date(2027, 2, 11))
    reply = await bureau.command(ADMIN, "calendar", "list 2027")
    assert "2027年2月11日：放假（春节）" in reply.text
    reply = await bureau.command(ADMIN, "calendar", "remove 2027-02-11")
    assert "已删除" in reply.text


async def test_a_summary_returned_after_its_deadline_is_put_right_not_lost(bureau):
    author, head = bureau.user("吴晓燕"), bureau.user("周明远")
    await bureau.command(author, "summary")
    preview = await bureau.text(author, "七月工作")
    await bureau.press(author, preview, "提交")
    request = await bureau.expect(head, "请审核")
    bureau.clock.set(at(2026, 8, 10))  # past July's deadline (Aug 5, 18:00)
    await bureau.press(head, request, "退回")
    await bureau.text(head, "请补充")
    await bureau.settle()
    editor = await bureau.command(author, "summary")
    assert "2026年7月工作小结" in editor.text and "已退回" in editor.text


async def test_refusals_are_not_said_in_the_group(bureau):
    bureau.driver.add_group(GROUP, "工作群", [ADMIN, bureau.user("吴晓燕")])
    bureau.driver.send_command(bureau.user("吴晓燕"), "bindgroup", chat_id=GROUP)
    await bureau.driver.wait_until_confirmed()
    await bureau.settle()
    assert bureau.driver.bot_messages(GROUP) == []


async def test_an_out_of_range_score_is_refused_and_changes_nothing(bureau, database_url):
    bureau.clock.set(at(2026, 10, 14, 9, 30))
    await bureau.command(ADMIN, "open", "rating")
    await bureau.settle()
    principal = bureau.user("赵建国")
    listing = await bureau.command(principal, "rate")
    first = next(b for row in listing.buttons for b in row)
    _answer, screen = await bureau.press(principal, listing, data=first["callback_data"])
    token = screen.buttons[0][0]["callback_data"].split(":", 1)[0]
    before = without_processed(await snapshot_async(database_url))
    answered_before = len(bureau.driver.requests_for("answerCallbackQuery"))
    outcomes: list[str] = []
    bureau.services.on_turn_end = lambda _update_id, outcome: outcomes.append(outcome)
    presses = (
        f"{token}:s0.21",
        f"{token}:s0.-1",
        f"{token}:s99.5",
        f"{token}:x" + "9" * 60,
        f"{token}:s\u00b2.1",  # superscript two: a digit to isdigit(), not to int()
        f"{token}:p\u00b2",
    )
    for forged in presses:
        bureau.driver.push_update(
            {
                "callback_query": {
                    "id": forged[-8:],
                    "from": bureau.driver.state.users[principal].to_api(),
                    "message": bureau.driver.state.find_message(principal, screen.message_id).to_api(),
                    "chat_instance": "x",
                    "data": forged[:64],
                }
            }
        )
    await bureau.driver.wait_until_confirmed()
    # each forged press is answered (last, after its turn): wait for every answer, then compare
    await bureau.driver.wait_for(
        lambda: len(bureau.driver.requests_for("answerCallbackQuery")) >= answered_before + len(presses),
        10,
        "answers to the forged presses",
    )
    await bureau.settle()
    assert without_processed(await snapshot_async(database_url)) == before
    assert outcomes == ["rejected"] * len(presses)  # each refused with its answer, none an internal error


async def test_the_cycle_runs_on_the_job_queue(database_url, database):
    from bot.cli.rehearsal import running_bot as play

    async with play(database_url, at(2026, 7, 31), schedule={"tick_seconds": 3600}) as bureau:
        application = bureau.application
        assert [job.name for job in application.job_queue.jobs()] == ["cycle"]


async def test_remind_shares_the_schedulers_daily_keys(bureau):
    reply = await bureau.command(ADMIN, "remind")
    assert "月工作小结：33人" in reply.text
    await bureau.settle()
    again = await bureau.command(ADMIN, "remind")
    assert "没有需要提醒的人员" in again.text  # the same day: nobody twice
    from scheduler.jobs import Scheduler

    await Scheduler(bureau.services).tick()  # 10:00 on July's last working day: already reminded today
    await bureau.settle()
    reminders = [
        m for m in bureau.driver.bot_messages(bureau.user("吴晓燕")) if "2026年7月工作小结" in (m.text or "")
    ]
    assert len(reminders) == 1


async def test_open_rating_in_october_means_the_third_quarter(bureau, database_url):
    """Rating is for the quarter that ended (SPEC 3), even before anything created its record."""
    bureau.clock.set(at(2026, 10, 12, 9, 30))
    reply = await bureau.command(ADMIN, "open", "rating")
    assert "2026年第三季度" in reply.text and "第四季度" not in reply.text
