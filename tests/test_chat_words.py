"""Admins' commands in the bureau's own words, through the real bot and the stand-in: Chinese keywords,
people by name, periods and dates as Chinese write them; and what an admin recorded, withdrawn again."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.rendering import render
from bot.rules.domain import AssessmentStatus, Quarter
from storage.models import AuditEntry, Exemption, LeaveRecord, Objection, Override
from storage.repository import Repository
from tests.authz import SMALL_BUREAU, rating_bureau, release_rows_connection, small_roster, table_rows
from tests.chat import ADMIN, at, import_roster, running_bot

BUREAU = SMALL_BUREAU
Q3 = Quarter(2026, 3)


@pytest.fixture
async def rating(database_url, database, tmp_path):
    """A small bureau in October with the third quarter's rating open."""
    async with rating_bureau(database_url, database, tmp_path) as bureau:
        yield bureau


async def set_status(bureau, status: AssessmentStatus) -> None:
    async with bureau.services.database.session() as session:
        (await Repository(session).assessment(Q3)).status = status


async def rows_of(bureau, model) -> list:
    async with bureau.services.database.session() as session:
        return list((await session.scalars(select(model))).all())


async def audit(bureau) -> list[tuple[str, dict]]:
    return [(a.action, json.loads(a.details)) for a in await rows_of(bureau, AuditEntry)]


def refused(reply, command: str, needle: str) -> None:
    assert needle in reply.text and f"用法：/{command}" in reply.text, reply.text


async def test_phase_calendar_rater_and_export_keywords_are_chinese_words(rating):
    """/extend 测评, /calendar 节假日 12月31日, /raters 增加, /export 统计图 2026年第三季度 were refused
    (only rating, holiday, add, charts were read); full-width letters and spaces are read too."""
    reply = await rating.command(ADMIN, "extend", "测评 10月30日")
    assert "测评打分已延长至2026年10月30日" in reply.text, reply.text
    reply = await rating.command(ADMIN, "extend", "ｒａｔｉｎｇ 10.31")  # the English alias, full-width
    assert "已延长至2026年10月31日" in reply.text, reply.text
    refused(await rating.command(ADMIN, "open", "公示"), "open", "阶段应为：指标、登记表、测评 或 公示")

    reply = await rating.command(ADMIN, "calendar", "节假日 12月31日 调休")
    assert "2026年12月31日现为休息日" in reply.text, reply.text
    reply = await rating.command(ADMIN, "calendar", "调休上班 2026年12月31日")
    assert "2026年12月31日现为工作日" in reply.text, reply.text
    reply = await rating.command(ADMIN, "calendar", "列表 2026年")
    assert "12月31日" in reply.text and "用法" not in reply.text, reply.text
    reply = await rating.command(ADMIN, "calendar", "删除\u300012.31")  # an input method's space
    assert "已删除2026年12月31日的调整" in reply.text, reply.text
    refused(await rating.command(ADMIN, "calendar", "调整 12.31"), "calendar", "工作日、节假日、删除 或 列表")

    reply = await rating.command(ADMIN, "raters", "增加 吴晓燕 郑海涛")
    assert "已增加吴晓燕为郑海涛的评分人" in reply.text, reply.text
    reply = await rating.command(ADMIN, "raters", "移除\u3000吴晓燕\u3000郑海涛 2026年第三季度")
    assert "已取消吴晓燕对郑海涛的评分" in reply.text, reply.text

    reply = await rating.command(ADMIN, "export", "统计图 2026年第三季度")  # kind read: hidden while rating
    assert reply.text == render("chat/admin/results_hidden.j2", quarter=Q3).strip(), reply.text
    reply = await rating.command(ADMIN, "veto", "吴晓燕 2 全市通报批评 2026年第三季度")
    assert "已记录：吴晓燕 2026年第三季度“一票否决”" in reply.text, reply.text


async def test_help_shows_the_chinese_words_first(rating):
    help_text = (await rating.command(ADMIN, "help")).text
    for line in (
        "/resolve 编号 驳回|成立 理由",
        "/calendar 工作日|节假日 日期",
        "/admins 授权|撤销 姓名或用户ID",
        "/raters 增加|移除 评分人 被评人",
        "/open 指标|登记表|测评",
        "/veto 撤销 姓名 理由",
        "/leave 撤销 姓名 [日期] 理由",
    ):
        assert line in help_text, (line, help_text)
    for english in ("dismiss", "uphold", "grant", "revoke", "workday", "holiday", "add|remove", "goals|"):
        assert english not in help_text, (english, help_text)


async def test_an_objection_is_resolved_with_chinese_words(rating):
    """/resolve 1 驳回 … answered 操作不正确 (only dismiss|uphold)."""
    await set_status(rating, AssessmentStatus.PUBLICITY)
    user = rating.user("郑海涛")
    await rating.command(user, "objection")
    receipt = await rating.text(user, "对公示名单有疑问")
    assert "已收到" in receipt.text, receipt.text
    (objection,) = await rows_of(rating, Objection)
    before = await table_rows(rating)
    refused(
        await rating.command(ADMIN, "resolve", f"{objection.id} 维持 理由"),
        "resolve",
        "驳回（异议不成立）或 成立",
    )
    assert await table_rows(rating) == before
    reply = await rating.command(ADMIN, "resolve", f"异议{objection.id}\u3000驳回 经核实评分程序符合规定")
    assert f"异议{objection.id}经核实不成立，已驳回" in reply.text, reply.text
    notice = await rating.expect(user, "处理意见")
    assert "经核实评分程序符合规定" in notice.text, notice.text


async def test_admins_are_granted_by_name_and_listed_by_name(rating):
    """/admins grant 吴晓燕 was refused (a user id only) and /admins listed bare numbers."""
    reply = await rating.command(ADMIN, "admins", "授权 吴晓燕")
    assert "已授予吴晓燕（综合科）管理员权限" in reply.text, reply.text
    assert "用法" not in (await rating.command(rating.user("吴晓燕"), "status")).text  # an admin now
    reply = await rating.command(ADMIN, "admins", "添加 ＠123456")
    assert "已授予用户ID 123456（名册中无此账号）管理员权限" in reply.text, reply.text
    listing = (await rating.command(ADMIN, "admins")).text
    assert "吴晓燕（综合科）" in listing and "用户ID 123456（名册中无此账号）" in listing, listing
    assert f"用户ID {ADMIN}（名册中无此账号）（配置文件指定）" in listing, listing
    reply = await rating.command(ADMIN, "admins", "授权 吴晓燕")
    assert "吴晓燕（综合科）已经是管理员" in reply.text, reply.text
    reply = await rating.command(ADMIN, "admins", "撤销 吴晓燕")
    assert "已撤销吴晓燕（综合科）的管理员权限" in reply.text, reply.text
    reply = await rating.command(ADMIN, "admins", "撤销 查无此人")
    assert "查无此人" in reply.text and "已撤销" not in reply.text, reply.text
    refused(await rating.command(ADMIN, "admins", "开除 吴晓燕"), "admins", "查看、授权 或 撤销")
    assert "吴晓燕" not in (await rating.command(ADMIN, "admins", "名单")).text


async def test_a_veto_an_affirmation_and_an_exemption_are_withdrawn_with_a_reason(rating):
    """Re-sending /veto only replaced its reason; nothing could be taken back. The audit log keeps both."""
    await rating.command(ADMIN, "veto", "吴晓燕 2 全市通报批评")
    await rating.command(ADMIN, "affirm", "郑海涛 1 获市级荣誉")
    await rating.command(ADMIN, "exempt", "冯雪梅 处分影响期内")
    reply = await rating.command(ADMIN, "veto", "撤销 吴晓燕 经核实通报对象有误")
    assert "已撤销：吴晓燕 2026年第三季度“一票否决”" in reply.text, reply.text
    assert "原理由：全市通报批评" in reply.text and "撤销理由：经核实通报对象有误" in reply.text, reply.text
    reply = await rating.command(ADMIN, "affirm", "撤回 郑海涛 荣誉为集体所得")
    assert "已撤销：郑海涛 2026年第三季度“一票肯定”" in reply.text, reply.text
    reply = await rating.command(ADMIN, "exempt", "撤销 冯雪梅 处分已解除")
    assert "已撤销：冯雪梅 2026年第三季度“只写评语、不确定等次”" in reply.text, reply.text
    assert all(o.revoked_at is not None for o in await rows_of(rating, Override))
    assert all(e.revoked_at is not None for e in await rows_of(rating, Exemption))
    actions = [action for action, _details in await audit(rating)]
    for recorded in ("override_veto", "override_affirmation", "exemption"):
        assert recorded in actions and f"{recorded}_withdrawn" in actions, actions
    (withdrawn,) = [d for a, d in await audit(rating) if a == "override_veto_withdrawn"]
    assert withdrawn["recorded_reason"] == "全市通报批评" and withdrawn["reason"] == "经核实通报对象有误"

    before = await table_rows(rating)
    reply = await rating.command(ADMIN, "veto", "撤销 吴晓燕 再撤一次")
    assert "没有可撤销的“一票否决”记录" in reply.text, reply.text
    refused(await rating.command(ADMIN, "exempt", "撤销 冯雪梅"), "exempt", "参数不完整")
    assert await table_rows(rating) == before
    # recorded again after the withdrawal, it counts again
    await rating.command(ADMIN, "veto", "吴晓燕 3 服务对象投诉属实")
    (veto,) = [o for o in await rows_of(rating, Override) if o.kind.value == "veto"]
    assert veto.kind.value == "veto" and veto.revoked_at is None


async def test_a_withdrawal_after_confirmation_is_refused_as_a_new_veto_is(rating):
    await rating.command(ADMIN, "veto", "吴晓燕 2 全市通报批评")
    await set_status(rating, AssessmentStatus.CONFIRMED)
    before = await table_rows(rating)
    reply = await rating.command(ADMIN, "veto", "撤销 吴晓燕 经核实通报对象有误")
    assert "不能再修改考核依据" in reply.text, reply.text
    assert await table_rows(rating) == before


async def test_a_withdrawal_before_confirmation_recomputes_the_results(rating):
    await rating.command(ADMIN, "exempt", "冯雪梅 处分影响期内")
    await set_status(rating, AssessmentStatus.COMPUTED)
    reply = await rating.command(ADMIN, "exempt", "撤销 冯雪梅 处分已解除")
    assert "拟定结果已重新计算" in reply.text, reply.text


async def test_leave_is_listed_and_withdrawn(rating):
    """/leave alone was a usage error and leave could not be removed."""
    assert "尚无病事假记录" in (await rating.command(ADMIN, "leave")).text
    await rating.command(ADMIN, "leave", "陈立新 病假 7月6日 8月31日 住院")
    await rating.command(ADMIN, "leave", "陈立新 事假 9月1日 9月2日")
    await rating.command(ADMIN, "leave", "杨建华 事假 2026年9月7日 2026.9.8")
    listing = (await rating.command(ADMIN, "leave")).text
    assert "陈立新 病假 2026年7月6日至2026年8月31日" in listing and "（住院）" in listing, listing
    assert "杨建华 事假 2026年9月7日至2026年9月8日" in listing, listing
    mine = (await rating.command(ADMIN, "leave", "陈立新")).text
    assert "陈立新的病事假记录" in mine and "杨建华" not in mine, mine

    before = await table_rows(rating)
    reply = await rating.command(ADMIN, "leave", "撤销 陈立新 登记错误")
    assert "陈立新有多条病事假记录" in reply.text, reply.text
    reply = await rating.command(ADMIN, "leave", "撤销 陈立新 10月1日 登记错误")
    assert "没有可撤销的病事假记录" in reply.text, reply.text
    refused(await rating.command(ADMIN, "leave", "撤销 陈立新 9月1日"), "leave", "请写明理由")
    assert await table_rows(rating) == before

    reply = await rating.command(ADMIN, "leave", "撤销 陈立新 9月1日 假条已作废")
    assert "已撤销病事假记录：陈立新 事假 2026年9月1日至2026年9月2日" in reply.text, reply.text
    assert "撤销理由：假条已作废" in reply.text, reply.text
    reply = await rating.command(ADMIN, "leave", "撤销 杨建华 登记错误")  # his only one: no date needed
    assert "已撤销病事假记录：杨建华" in reply.text, reply.text
    (left,) = await rows_of(rating, LeaveRecord)
    assert left.kind.value == "sick"
    (withdrawn, _other) = [d for a, d in await audit(rating) if a == "leave_withdrawn"]
    assert withdrawn["kind"] == "personal" and withdrawn["reason"] == "假条已作废", withdrawn
    assert str(withdrawn["start"]) == "2026-09-01"


async def test_an_admin_named_among_namesakes_is_told_apart_by_birth_month(database_url, database, tmp_path):
    """Two 吴晓燕: the name alone is ambiguous, 吴晓燕(1990-05) is the one born then."""
    small_roster(tmp_path / "roster.csv", BUREAU)
    with open(tmp_path / "roster.csv", "a", encoding="utf-8") as roster:
        roster.write("吴晓燕,女,1990-05,群众,2022-01,2012-07,科员,事业单位人员,政务服务科,工作人员,,,,,是\n")
    await import_roster(database, tmp_path / "roster.csv")
    async with running_bot(database_url, at(2026, 10, 14, 9, 30)) as bureau:
        async with bureau.services.database.session() as session:
            for person in await Repository(session).people():
                person.telegram_user_id = 700_000_000 + person.id  # bound, as /start would
        before = await table_rows(bureau)
        reply = await bureau.command(ADMIN, "admins", "授权 吴晓燕")
        assert "有重名" in reply.text and "已授予" not in reply.text, reply.text
        assert await table_rows(bureau) == before
        reply = await bureau.command(ADMIN, "admins", "授权 吴晓燕(1990-05)")
        assert "已授予吴晓燕（政务服务科）管理员权限" in reply.text, reply.text
        reply = await bureau.command(ADMIN, "admins", "授权 吴晓燕（１９８６－０９）")  # input method
        assert "已授予吴晓燕（综合科）管理员权限" in reply.text, reply.text
        await release_rows_connection(bureau)
