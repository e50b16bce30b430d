"""What leaders and ratees see and may do (issue 13, items 7-11), through the real bot."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from bot.records import contents
from bot.records.contents import monthly_forms
from bot.records.documents import text as form_text
from bot.records.spreadsheets import read_table
from bot.records.workbooks import filing_workbook
from bot.rules.domain import Category, Quarter, ReviewStatus, Tier
from bot.workflow.quarter import compute_and_store, import_ballots
from scheduler.jobs import Scheduler
from storage.models import MonthlySummary
from storage.repository import Repository
from tests.chat import ADMIN, GROUP, TZ, at, bind_everyone, example_bureau, import_roster, running_bot
from tests.conftest import EXAMPLES


@pytest.fixture
async def bureau(database_url, database):
    async with example_bureau(database_url, database, at(2026, 7, 31)) as bureau:
        yield bureau


async def _submitted(bureau, author: int, head: int, item: str):
    await bureau.command(author, "summary")
    preview = await bureau.text(author, item)
    await bureau.press(author, preview, "提交")
    return await bureau.expect(head, "请审核")


async def _summary(bureau, name: str) -> MonthlySummary:
    async with bureau.services.database.session() as session:
        repo = Repository(session)
        person = next(p for p in await repo.people() if p.name == name)
        summaries = await repo.month_summaries(2026, 7, list(ReviewStatus))
        return next(s for s in summaries if s.person_id == person.id)


async def test_a_mistaken_return_is_cancelled_and_the_next_text_is_no_opinion(bureau):
    author, head = bureau.user("吴晓燕"), bureau.user("周明远")
    request = await _submitted(bureau, author, head, "完成一项审批")
    _answer, asking = await bureau.press(head, request, "退回")
    assert "意见" in asking.text and "取消" in asking.text
    answer, shown = await bureau.press(head, asking, "取消")
    assert "已取消" in (answer.text or "")
    assert "请审核" in shown.text and "完成一项审批" in shown.text
    reply = await bureau.text(head, "好的")  # no longer an opinion
    assert "退回" not in reply.text
    assert (await _summary(bureau, "吴晓燕")).status == "submitted"
    # a command ends the prompt too
    _answer, asking = await bureau.press(head, shown, "退回")
    await bureau.command(head, "me")
    await bureau.text(head, "好的")
    assert (await _summary(bureau, "吴晓燕")).status == "submitted"
    _answer, shown = await bureau.press(head, asking, "取消")  # the same message's buttons still decide
    await bureau.press(head, shown, "通过")
    await bureau.settle()
    assert (await _summary(bureau, "吴晓燕")).status == "approved"


async def test_an_approval_carries_the_leaders_comment_to_the_author_and_form_1(bureau):
    author, head = bureau.user("吴晓燕"), bureau.user("周明远")
    request = await _submitted(bureau, author, head, "完成一项审批")
    _answer, asking = await bureau.press(head, request, "同意并附意见")
    assert "审核意见" in asking.text and "取消" in asking.text
    reply = await bureau.text(head, "数据翔实，继续保持")
    assert "审核通过" in reply.text and "数据翔实，继续保持" in reply.text
    await bureau.settle()
    told = await bureau.expect(author, "审核通过")
    assert "数据翔实，继续保持" in told.text
    summary = await _summary(bureau, "吴晓燕")
    assert summary.status == "approved" and summary.opinion == "数据翔实，继续保持"
    async with bureau.services.database.session() as session:
        forms = await monthly_forms(Repository(session), 2026, 7, TZ)
    form = next(f for f in forms if f.header.name == "吴晓燕")
    assert form_text("review", form.review) == "同意。数据翔实，继续保持"
    # the buttons of the request are used up
    await bureau.press(head, asking, "取消")
    assert (await _summary(bureau, "吴晓燕")).opinion == "数据翔实，继续保持"


# --- a quarter decided and made final (items 9-11) ----------------------------------------------------

Q3 = Quarter(2026, 3)
VETOED, EXEMPTED, CHANGED = "韩志刚", "陶思琪", "金晓峰"


@pytest.fixture
async def october(database_url, database):
    """The example bureau on 14 October with Q3's ballots in (on paper) and rating still open."""
    await import_roster(database, EXAMPLES / "roster.csv")
    async with running_bot(database_url, at(2026, 10, 14, 9, 30)) as bureau:
        await bind_everyone(bureau)
        bureau.driver.add_group(GROUP, "工作群", [ADMIN])
        await bureau.command(ADMIN, "bindgroup", chat_id=GROUP)
        assert "测评" in (await bureau.command(ADMIN, "open", "rating")).text
        await bureau.settle()
        async with bureau.services.database.session() as session:
            outcome = await import_ballots(
                Repository(session),
                bureau.services.settings,
                Q3,
                read_table(EXAMPLES / "ballots-2026Q3.csv"),
                "t",
            )
            assert outcome.new
        yield bureau


async def _decided(bureau) -> dict[str, Tier | None]:
    """Veto, exemption, rating closed, every open choice and one change made: the proposal to confirm."""
    await bureau.command(ADMIN, "veto", f"{VETOED} 2 在全市业务通报中被点名批评")
    await bureau.command(ADMIN, "exempt", f"{EXEMPTED} 长期借调市政务服务中心")
    close = await bureau.command(ADMIN, "close", "rating")
    await bureau.press(ADMIN, close, "确认")
    await bureau.settle()
    async with bureau.services.database.session() as session:
        computed = await compute_and_store(Repository(session), bureau.services.settings, Q3, "t")
    people = computed.people
    for conflict in computed.proposal.conflicts:
        for index, person_id in enumerate(sorted(conflict.person_ids)):
            tier = "好" if index < conflict.slots else "较好"
            await bureau.command(ADMIN, "change", f"{people[person_id].name} {tier} 局领导班子研究决定")
    by_name = {people[r.person_id].name: r for r in computed.proposal.ratees}
    assert by_name[CHANGED].proposed is not Tier.AVERAGE
    reply = await bureau.command(ADMIN, "change", f"{CHANGED} 一般 服务投诉经核实")
    assert "一般" in reply.text
    return {name: r.proposed for name, r in by_name.items()}


async def _final(bureau) -> None:
    ask = await bureau.command(ADMIN, "confirm")
    await bureau.press(ADMIN, ask, "确认")
    bureau.clock.set(at(2026, 10, 21, 10, 0))
    ask = await bureau.command(ADMIN, "publish")
    await bureau.press(ADMIN, ask, "确认")
    await bureau.settle()
    bureau.clock.set(at(2026, 10, 23, 18, 0))
    await Scheduler(bureau.services).tick()
    await bureau.settle()


@pytest.mark.slow  # a quarter's ballots, decisions and publicity: about 20 s
async def test_the_leadership_sees_the_proposal_read_only_a_supervisor_his_sections(october):
    bureau = october
    principal, supervisor, staff = bureau.user("赵建国"), bureau.user("钱卫东"), bureau.user("吴晓燕")
    hidden = await bureau.command(principal, "results")  # ballots are accepted: nothing scored is shown
    assert "综合得分" not in hidden.text and "周明远" not in hidden.text
    await _decided(bureau)
    whole = "\n".join(m.text for m in await _all_replies(bureau, principal, "results"))
    assert "周明远" in whole and "严立军" in whole and "华静怡" in whole
    assert "/confirm" not in whole and "/change" not in whole and "研究审定" in whole
    mine = "\n".join(m.text for m in await _all_replies(bureau, supervisor, "results"))
    assert "周明远" in mine and "杨建华" in mine  # 综合科 and 行政审批科 are his
    assert "严立军" not in mine and "华静怡" not in mine  # 政务服务科 is not
    assert "/confirm" not in mine and "群众评分" not in mine and "主要领导评分" not in mine
    assert "没有权限" in (await bureau.command(staff, "results")).text
    admin = (await bureau.command(ADMIN, "results")).text
    assert "/confirm" in admin or "/change" in admin or "待处理" in admin or "审定" in admin
    # A composite of two groups, one of them the viewer's own ballot, would give the other group back
    # (张伟: principal and supervisor only; 严立军: principal and peers): not shown to that leader.
    assert _composite(mine, "张伟") is None and _composite(whole, "严立军") is None
    assert _composite(mine, "周明远") is not None and _composite(whole, "周明远") is not None
    admins = "\n".join(m.text for m in await _all_replies(bureau, ADMIN, "results"))
    assert _composite(admins, "张伟") is not None and _composite(admins, "严立军") is not None


def _composite(text: str, name: str) -> str | None:
    """The composite on the results line of `name`, or None when the line shows none."""
    line = next(line for line in text.splitlines() if f"{name}（" in line)
    found = re.search(r"）(\d+\.\d+) ", line)
    return found.group(1) if found else None


async def _all_replies(bureau, user_id: int, command: str, args: str = ""):
    before = len(bureau.driver.bot_messages(user_id))
    await bureau.command(user_id, command, args)
    await bureau.settle()
    return bureau.driver.bot_messages(user_id)[before:]


@pytest.mark.slow  # a quarter's ballots, decisions and publicity: about 20 s
async def test_each_ratee_is_told_what_decided_his_result(october):
    bureau = october
    proposed = await _decided(bureau)
    await _final(bureau)
    vetoed = await bureau.expect(bureau.user(VETOED), "平时考核结果")
    assert "较差" in vetoed.text and "一票否决" in vetoed.text and "点名批评" in vetoed.text
    assert "在全市及以上相关业务部门受到通报批评" in vetoed.text  # the ground, in the plan's words
    changed = await bureau.expect(bureau.user(CHANGED), "平时考核结果")
    assert "等次：一般" in changed.text and "服务投诉经核实" in changed.text
    assert "局领导班子" in changed.text and f"“{_tier_word(proposed[CHANGED])}”" in changed.text
    exempted = await bureau.expect(bureau.user(EXEMPTED), "平时考核结果")
    assert "只写评语" in exempted.text and "长期借调市政务服务中心" in exempted.text
    probation = await bureau.expect(bureau.user("沈嘉怡"), "平时考核结果")
    assert "只写评语" in probation.text and "试用期" in probation.text
    scored = await bureau.expect(bureau.user("周明远"), "平时考核结果")
    assert "综合得分" in scored.text and "按得分为" in scored.text


def _tier_word(tier: Tier | None) -> str:
    return {Tier.GOOD: "好", Tier.FAIR: "较好", Tier.AVERAGE: "一般", Tier.POOR: "较差"}[tier]


@pytest.mark.slow  # a quarter's ballots, decisions and publicity: about 20 s
async def test_a_ratees_feedback_reaches_his_supervisor_the_admins_and_the_records(october):
    bureau = october
    await _decided(bureau)
    await _final(bureau)
    author, supervisor, other = bureau.user("吴晓燕"), bureau.user("钱卫东"), bureau.user("孙丽华")
    mine = await bureau.expect(author, "平时考核结果")
    assert "feedback" in await _menu_becomes(bureau, author, lambda names: "feedback" in names)
    _answer, _ = await bureau.press(author, mine, "填写意见")
    receipt = await bureau.text(author, "希望加强业务培训")
    assert "已记录" in receipt.text
    await bureau.settle()
    told = await bureau.expect(supervisor, "希望加强业务培训")
    assert "吴晓燕" in told.text and "综合科" in told.text and "谈心谈话" in told.text
    assert not any("希望加强业务培训" in (m.text or "") for m in bureau.driver.bot_messages(other))
    listed = "\n".join(m.text for m in await _all_replies(bureau, ADMIN, "objections", "2026Q3"))
    assert "吴晓燕：希望加强业务培训" in listed
    async with bureau.services.database.session() as session:
        filing = await contents.filing(Repository(session), bureau.services.settings, Q3, TZ)
    row = next(r for rows in filing.rows.values() for r in rows if r.header.name == "吴晓燕")
    assert row.feedback == ("希望加强业务培训",)
    sheet = load_workbook(io.BytesIO(filing_workbook(filing, Category.CIVIL_SERVANT))).active
    values = [[c.value for c in line] for line in sheet.iter_rows()]
    column = values[2].index("本人意见")  # under the title and the 填报单位 heading
    assert any(line[column] == "希望加强业务培训" for line in values[3:])


# --- menus and /help: what each person may do now (item 8) -----------------------------------------------

STAFF_ONLY = {"summary", "goals", "registration", "objection", "feedback"}


def _menu(bureau, user_id: int) -> set[str]:
    return {c["command"] for c in bureau.driver.commands({"type": "chat", "chat_id": user_id})}


async def _menu_becomes(bureau, user_id: int, check) -> set[str]:
    bureau.services.outbox_wakeup.set()
    await bureau.driver.wait_for(lambda: check(_menu(bureau, user_id)) or None, 15, f"menu of {user_id}")
    return _menu(bureau, user_id)


async def test_leaders_get_their_own_menu_help_and_welcome(bureau):
    principal, supervisor, staff = bureau.user("赵建国"), bureau.user("钱卫东"), bureau.user("吴晓燕")
    welcome = next(m for m in bureau.driver.bot_messages(principal) if "绑定成功" in (m.text or ""))
    assert "提醒您填写月工作小结" not in welcome.text and "/results" in welcome.text
    for leader in (principal, supervisor):
        menu = await _menu_becomes(bureau, leader, lambda names: "review" in names)
        assert not menu & STAFF_ONLY and {"me", "help", "review", "results"} <= menu
        assert "rate" not in menu  # no rating is open
        text = (await bureau.command(leader, "help")).text
        assert "/review" in text and "/results" in text
        assert not any(f"/{name}" in text for name in STAFF_ONLY) and "/rate " not in text
    menu = await _menu_becomes(bureau, staff, lambda names: "summary" in names)
    assert {"summary", "goals", "registration", "me", "help"} <= menu
    assert not menu & {"rate", "review", "results", "objection", "feedback", "status"}
    text = (await bureau.command(staff, "help")).text
    assert "/summary" in text and "/objection" not in text and "/results" not in text
    assert {"status", "veto", "results"} <= await _menu_becomes(
        bureau, ADMIN, lambda names: "status" in names
    )


async def test_a_peer_sees_rate_while_he_has_ballots_to_give(october):
    bureau = october  # rating open, every ballot in on paper
    staff = bureau.user("吴晓燕")
    assert "rate" not in await _menu_becomes(
        bureau, staff, lambda names: "summary" in names and "rate" not in names
    )
    assert "/rate" not in (await bureau.command(staff, "help")).text
    reply = await bureau.command(ADMIN, "raters", "add 吴晓燕 严立军")  # one more ratee for her
    assert "严立军" in reply.text
    menu = await _menu_becomes(bureau, staff, lambda names: "rate" in names)
    assert "rate" in menu and "review" not in menu
    assert "/rate" in (await bureau.command(staff, "help")).text


async def test_a_role_changed_by_a_roster_import_changes_the_menu(bureau, database, tmp_path):
    head = bureau.user("周明远")
    assert "review" in await _menu_becomes(bureau, head, lambda names: "review" in names)
    roster = (EXAMPLES / "roster.csv").read_text(encoding="utf-8-sig")
    changed = roster.replace(
        "周明远,男,1982-04,中共党员,2021-01,2005-07,科长,公务员,综合科,科室负责人",
        "周明远,男,1982-04,中共党员,2021-01,2005-07,科员,公务员,综合科,工作人员",
    )
    assert changed != roster
    (tmp_path / "roster.csv").write_text(changed, encoding="utf-8")
    await import_roster(database, tmp_path / "roster.csv")
    menu = await _menu_becomes(bureau, head, lambda names: "review" not in names)
    assert "summary" in menu and "review" not in menu
