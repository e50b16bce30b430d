"""Input that cannot break anything, through the real bot and the stand-in: control characters typed in
chat, periods outside the years in use, forged buttons with non-ASCII digits, full-width digits typed."""

from __future__ import annotations

import io
import zipfile

import pytest
from docx import Document
from sqlalchemy import update

from bot.rendering import render
from bot.rules.domain import AssessmentStatus
from storage.models import Assessment
from tests.authz import (
    SMALL_BUREAU,
    forge_press,
    rating_bureau,
    table_rows,
)
from tests.chat import ADMIN, at, example_bureau

BUREAU = SMALL_BUREAU
OUT_OF_RANGE = "不在可办理的年份范围内"


@pytest.fixture
async def july(database_url, database):
    """The example bureau on the last day of July: summaries are due."""
    async with example_bureau(database_url, database, at(2026, 7, 31)) as bureau:
        yield bureau


@pytest.fixture
async def rating(database_url, database, tmp_path):
    """A small bureau in October with the third quarter's rating open."""
    async with rating_bureau(database_url, database, tmp_path) as bureau:
        yield bureau


async def test_a_control_character_in_a_summary_item_still_exports_form1(july):
    author, leader = july.user("吴晓燕"), july.user("周明远")
    await july.command(author, "summary")
    preview = await july.text(author, "完成一项\x07审批\uffff\n整理\x1b档案")
    assert "完成一项审批" in preview.text
    _answer, submitted = await july.press(author, preview, "提交")
    assert "已提交" in submitted.text
    request = await july.expect(leader, "请审核")
    await july.press(leader, request, "通过")
    # a text that is nothing once cleaned is refused as having no text, and the summary goes on
    await july.command(july.user("郑海涛"), "summary")
    empty = await july.text(july.user("郑海涛"), "\x07\uffff")
    assert empty.text == render("chat/errors/empty_text.j2").strip(), empty.text
    assert "当前共1条" in (await july.text(july.user("郑海涛"), "整理档案")).text

    before = july.last(ADMIN).message_id if july.last(ADMIN) else 0
    await july.command(ADMIN, "export", "form1 2026-07")
    await july.expect(ADMIN, "已生成2026年7月", timeout=20)
    (message,) = [
        m for m in july.driver.bot_messages(ADMIN) if m.message_id > before and m.document is not None
    ]
    archive = zipfile.ZipFile(io.BytesIO(message.document.data))
    (name,) = [n for n in archive.namelist() if "吴晓燕" in n]
    table = Document(io.BytesIO(archive.read(name))).tables[0]
    assert "1. 完成一项审批" in table.rows[3].cells[1].text and "2. 整理档案" in table.rows[3].cells[1].text


async def test_a_period_outside_the_years_in_use_is_refused_everywhere_it_is_typed(rating):
    before = await table_rows(rating)
    cases = [
        ("open", "rating 0000Q1"),
        ("open", "rating 9999Q4"),
        ("close", "rating 0000Q1"),
        ("extend", "rating 2026-10-30 1999Q4"),
        ("results", "0000Q1"),
        ("export", "form2 9999Q4"),
        ("export", "form1 1999-12"),
        ("export", "annual 2099"),
        ("calendar", "list 2099"),
        ("calendar", "holiday 2099-01-01"),
        ("leave", "周明远 病假 2099-01-01 2099-01-02"),
        ("veto", "周明远 1 理由 0000Q1"),
    ]
    for command, args in cases:
        reply = await rating.command(ADMIN, command, args)
        assert OUT_OF_RANGE in reply.text, (command, args, reply.text)
    assert await table_rows(rating) == before
    # and nobody's /rate or /me broke
    assert "内部错误" not in (await rating.command(rating.user("赵建国"), "rate")).text
    assert "内部错误" not in (await rating.command(rating.user("吴晓燕"), "me")).text


async def test_forged_buttons_with_non_ascii_digits_change_nothing(rating):
    rater = rating.user("赵建国")
    listing = await rating.command(rater, "rate")
    list_token = listing.buttons[0][0]["callback_data"].split(":", 1)[0]
    _a, screen = await rating.press(rater, listing, data=listing.buttons[0][0]["callback_data"])
    ballot_token = screen.buttons[0][0]["callback_data"].split(":", 1)[0]
    before = await table_rows(rating)
    unknown = render("chat/errors/button_unknown.j2").strip()
    forged = [f"{ballot_token}:{arg}" for arg in ("s0.²", "s0.٣", "s٠.3", "e²", "e٣", "s0.３")]
    forged += [f"{list_token}:{arg}" for arg in ("r²", "r٣", "p²", "p٣")]
    for data in forged:
        query = forge_press(rating, rater, data)
        answer = await rating.driver.wait_for_callback_answer(query.id)
        assert str(answer.text).strip() == unknown, (data, answer.text)
    assert await table_rows(rating) == before
    # the real button still scores
    _a, screen = await rating.press(rater, screen, data=screen.buttons[0][0]["callback_data"])
    assert await table_rows(rating) != before


async def test_full_width_digits_typed_in_a_command_are_read(rating):
    reply = await rating.command(ADMIN, "calendar", "list ２０２６")
    assert "2026" in reply.text and OUT_OF_RANGE not in reply.text
    reply = await rating.command(ADMIN, "results", "２０２６Ｑ３")
    assert "用法" not in reply.text and OUT_OF_RANGE not in reply.text


async def test_a_command_typed_with_a_full_width_slash_is_answered_and_stored_nowhere(july):
    """While writing the month's summary, an input method's ／ｍｅ is a mistyped command, not an item."""
    author = july.user("吴晓燕")
    await july.command(author, "summary")
    await july.text(author, "完成科室档案整理")
    before = await table_rows(july)
    for typed in ("／ｍｅ", "/ me", "、me"):  # 、: the "/" key of a pinyin input method
        reply = await july.text(author, typed)
        assert "看起来是一条命令" in reply.text and "/me" in reply.text, reply.text
    assert await table_rows(july) == before  # no item, no state changed
    preview = await july.text(author, "参加业务培训")
    assert "当前共2条" in preview.text, preview.text  # the summary goes on where it was


async def test_a_user_who_moves_on_from_objection_is_not_filed_with_his_next_text(rating):
    """/objection asks for one answer; any other command ends it, so a later text is not an objection."""
    from bot.rules.domain import AssessmentStatus, Quarter
    from storage.repository import Repository

    bureau = rating
    async with bureau.services.database.session() as session:  # a quarter in publicity, set directly
        assessment = await Repository(session).assessment(Quarter.parse("2026Q3"))
        assessment.status = AssessmentStatus.PUBLICITY
    user = bureau.user("郑海涛")
    assert "异议" in (await bureau.command(user, "objection")).text
    await bureau.command(user, "me")  # changed his mind
    reply = await bureau.text(user, "算了，没事")
    assert reply.text == render("chat/errors/no_input_expected.j2"), reply.text
    assert "异议" in (await bureau.command(user, "objection")).text  # asked again: the answer is filed
    receipt = await bureau.text(user, "对公示名单有疑问")
    assert "已收到您对2026年第三季度公示结果的异议" in receipt.text, receipt.text
    async with bureau.services.database.session() as session:
        [filed] = await Repository(session).objections(assessment.id)
        assert filed.text == "对公示名单有疑问"


async def test_a_mistyped_quarter_is_refused_not_taken_for_another_one(rating):
    """/results 2025Q5 answered about 2026年第三季度: a word meant as a quarter must be one."""
    before = await table_rows(rating)
    for command, args in (("results", "2025Q5"), ("status", "２０２５Ｑ５"), ("confirm", "2026Q0")):
        reply = await rating.command(ADMIN, command, args)
        assert "季度应写成如 2026Q3" in reply.text and f"用法：/{command}" in reply.text, reply.text
    assert await table_rows(rating) == before


async def test_an_edited_message_is_answered_that_the_edit_changes_nothing(july):
    """Editing a sent summary line got silence and kept the typo; the user is told to send it again."""
    author = july.user("吴晓燕")
    await july.command(author, "summary")
    sent = july.driver.send_text(author, "完成一项审判")
    preview = await july.driver.wait_for_bot_message(author)
    assert "完成一项审判" in preview.text, preview.text
    before = await table_rows(july)
    july.driver.edit_text(author, sent.message_id, "完成一项审批")
    answer = await july.driver.wait_for_bot_message(author)
    assert answer.text == render("chat/errors/edit_not_applied.j2"), answer.text
    assert await table_rows(july) == before


async def test_raters_with_a_name_missing_says_what_is_missing(rating):
    before = await table_rows(rating)
    reply = await rating.command(ADMIN, "raters", "remove 吴晓燕")
    assert "参数不完整" in reply.text and "用法：/raters" in reply.text, reply.text
    reply = await rating.command(ADMIN, "raters", "drop 吴晓燕 周明远")
    assert "操作不正确" in reply.text, reply.text
    assert await table_rows(rating) == before


async def test_dates_typed_as_chinese_write_them_are_read_in_commands(rating):
    """/leave 7月6日 8月31日: a day without its year is one of this year, by the bot's clock (2026); /leave
    refuses what the adjustments file refuses."""
    reply = await rating.command(ADMIN, "leave", "周明远 病假 7月6日 8月31日")
    assert "已登记：周明远" in reply.text and "2026年7月6日至2026年8月31日" in reply.text, reply.text
    (row,) = (await table_rows(rating))["leave_record"]
    assert [str(day)[:10] for day in row[3:5]] == ["2026-07-06", "2026-08-31"], row  # start, end
    reply = await rating.command(ADMIN, "calendar", "holiday ２０２６．１２．３１ 调休")
    assert "2026年12月31日" in reply.text, reply.text
    # a year out of range is still refused, written the Chinese way too
    reply = await rating.command(ADMIN, "leave", "周明远 病假 2099年1月1日 2099年1月2日")
    assert OUT_OF_RANGE in reply.text, reply.text
    # under the adjustments file's rules: overlapping leave, a bureau leader's, a note over 200 characters
    # are refused and change nothing; leave touching confirmed results is recorded, the answer says they stay
    before = await table_rows(rating)
    for args, answer in [
        ("周明远 事假 8月31日 9月1日", "与已登记的请假重叠（"),
        ("赵建国 病假 8月3日 8月4日", "赵建国是局领导，不是平时考核对象"),
        ("吴晓燕 病假 8月3日 8月4日 " + "长" * 201, "未登记：备注有201字，最多200字"),
    ]:
        reply = await rating.command(ADMIN, "leave", args)
        assert answer in reply.text, reply.text
    assert await table_rows(rating) == before
    async with rating.services.database.engine.begin() as connection:
        await connection.execute(update(Assessment).values(status=AssessmentStatus.CONFIRMED))
    reply = await rating.command(ADMIN, "leave", "吴晓燕 病假 9月28日 10月9日 " + "长" * 200)
    assert "已登记：吴晓燕" in reply.text, reply.text
    assert "2026年第三季度考核结果已审定，不因此改变" in reply.text, reply.text


async def test_goal_lines_are_read_as_people_type_them(july):
    """30分, an input method's full-width space, a colon or nothing between the name and its points; a
    name's own digits stay in the name. A line with no points is still refused and adds nothing."""
    assert "个性指标设定已开启" in (await july.command(ADMIN, "open", "goals")).text
    await july.settle()
    user = july.user("吴晓燕")
    screen = await july.command(user, "goals")
    _a, screen = await july.press(user, screen, "自定义指标")
    lines = "窗口业务办理 30分\n群众满意度\u300020\n业务学习：20\n信息报送20\n12345热线接听 10"
    preview = await july.text(user, lines)
    assert "合计100分" in preview.text, preview.text
    for item in ("1. 窗口业务办理", "2. 群众满意度", "3. 业务学习", "4. 信息报送", "5. 12345热线接听"):
        assert item in preview.text, preview.text
    refused = await july.text(user, "廉洁自律")
    assert "无法识别“廉洁自律”" in refused.text, refused.text
    _a, done = await july.press(user, preview, "提交")
    assert "已提交" in done.text, done.text


async def test_a_goals_screen_kept_past_the_window_says_it_will_not_open_again(july):
    assert "个性指标设定已开启" in (await july.command(ADMIN, "open", "goals")).text
    await july.settle()
    user = july.user("冯雪梅")
    screen = await july.command(user, "goals")
    closed = await july.command(ADMIN, "close", "goals")
    assert "已结束" in closed.text, closed.text
    answer, _m = await july.press(user, screen, "采用模板指标")
    assert "不会再开放" in answer.text and "通知您" not in answer.text, answer.text
