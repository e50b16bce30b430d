"""A whole quarter in chat, driven by admin commands, through the stand-in over HTTP."""

from __future__ import annotations

import asyncio
import csv
import json
from collections import defaultdict
from fractions import Fraction

import pytest
from sqlalchemy import func, select

from bot.cli.commands import main as cli_main
from bot.records.roster_file import ROSTER_COLUMNS
from bot.rules.domain import AssessmentStatus, Tier
from storage.models import Assessment, AuditEntry, Feedback, Objection, ResultRecord
from tests.chat import ADMIN, GROUP, Bureau, at, bind_everyone, import_roster, running_bot

pytestmark = pytest.mark.slow

# A bureau of its own for the chat: 30 ratees in 6 sections of 5, 18 civil servants and 12 institution
# staff, the principal and 3 supervisors. Every rater gives a ratee the same scores, so his composite is
# exactly his SCORE and equal scores tie exactly: 顾晓琳 and 方雨桐 tie for the last GOOD place.
SECTIONS = {
    "综合科": ("钱卫东", [("周明远", 95), ("吴晓燕", 93), ("郑海涛", 91), ("褚文静", 97), ("卫国强", 72)]),
    "法规科": ("钱卫东", [("冯雪梅", 92), ("陈立新", 88), ("蒋春华", 80), ("顾晓琳", 90), ("曹晓红", 74)]),
    "行政审批一科": (
        "李明",
        [("杨建华", 94), ("朱丽娟", 89), ("秦思远", 87), ("何美玲", 96), ("吕文博", 76)],
    ),
    "行政审批二科": ("李明", [("施玉兰", 86), ("张伟", 85), ("孔德明", 73), ("方雨桐", 90), ("严立新", 70)]),
    "政务服务科": (
        "孙丽华",
        [("严立军", 83), ("谢丽萍", 82), ("邹国栋", 77), ("华静怡", 94), ("金晓峰", 78)],
    ),
    "信息科": ("孙丽华", [("许振东", 71), ("韩志刚", 60), ("柏文涛", 56), ("陶思琪", 68), ("水晓琳", 66)]),
}
LEADERS = [
    ("赵建国", "主要领导", ""),
    ("钱卫东", "分管领导", "综合科、法规科"),
    ("李明", "分管领导", "行政审批一科、行政审批二科"),
    ("孙丽华", "分管领导", "政务服务科、信息科"),
]
SCORE = {name: score for _s, (_sup, people) in SECTIONS.items() for name, score in people}
FEW_PEERS = "张伟"  # only two of his four colleagues vote
NO_SUPERVISOR = "严立军"  # his supervisor does not vote
CUSTOM_GOALS = {"褚文静": [("业务办理", 60), ("学习提升", 40)]}
RETURNED_GOALS = "金晓峰"
RETURNED_SUMMARY = ("郑海涛", 7)
TEMPLATE_MAXIMA = {"科室负责人": [20] * 5, "工作人员": [20] * 5, "窗口工作人员": [17, 17, 17, 17, 16, 16]}


def spread(total: int, maxima: list[int]) -> list[int]:
    """Whole points over items with these maxima that add up to exactly `total` percent of them."""
    target = total * sum(maxima) // 100
    points = [m * total // 100 for m in maxima]
    for i in range(len(points)):
        while sum(points) < target and points[i] < maxima[i]:
            points[i] += 1
    return points


def plan(ratee: str, role: str, custom: dict) -> list[int]:
    """What every rater gives `ratee`, item by item: his ballot scores exactly SCORE[ratee]."""
    individual = [p for _n, p in custom[ratee]] if ratee in custom else TEMPLATE_MAXIMA[role]
    return spread(SCORE[ratee], [20] * 5) + spread(SCORE[ratee], individual)


def write_roster(path) -> None:
    header = list(ROSTER_COLUMNS[: ROSTER_COLUMNS.index("分管科室") + 1])  # the required columns
    rows = [
        [
            name,
            "男",
            f"{1968 + i}-0{i + 1}",
            "中共党员",
            "2018-03",
            "1990-07",
            "局领导",
            "公务员",
            "",
            role,
            sections,
        ]
        for i, (name, role, sections) in enumerate(LEADERS)
    ]
    for s_index, (section, (_sup, people)) in enumerate(SECTIONS.items()):
        for p_index, (name, _q) in enumerate(people):
            role = (
                "科室负责人" if p_index == 0 else ("窗口工作人员" if section == "政务服务科" else "工作人员")
            )
            category = "公务员" if p_index < 3 else "事业单位人员"
            rows.append(
                [
                    name,
                    "女" if p_index % 2 else "男",
                    f"{1980 + s_index}-{p_index + 1:02d}",
                    "中共党员",
                    "2021-01",
                    "2005-07",
                    "科长" if p_index == 0 else "科员",
                    category,
                    section,
                    role,
                    "",
                ]
            )
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def votes(rater: str, ratee: str) -> bool:
    """Whether the rater scores the ratee in this quarter (a few do not, to raise the flags)."""
    section = next(s for s, (_sup, people) in SECTIONS.items() if ratee in dict(people))
    supervisor, people = SECTIONS[section]
    if ratee == NO_SUPERVISOR and rater == supervisor:
        return False
    colleagues = [n for n, _q in people if n != ratee]
    return not (ratee == FEW_PEERS and rater in colleagues[2:])


async def pending_reviews(bureau: Bureau, chat_id: int):
    """Review requests in a leader's chat that still carry their buttons."""
    return [m for m in bureau.driver.bot_messages(chat_id) if "请审核" in (m.text or "") and m.buttons]


async def approve_all(bureau: Bureau, except_authors: tuple[str, ...] = ()) -> int:
    await bureau.settle()
    approved = 0
    for name, user_id in bureau.users.items():
        for message in await pending_reviews(bureau, user_id):
            if any(f"{author}的" in message.text for author in except_authors):
                continue
            answer, after = await bureau.press(user_id, message, "通过")
            assert "已审核通过" in after.text, (name, answer, after.text)
            approved += 1
    await bureau.settle()  # the authors' notices are out before anyone's next command
    return approved


async def write_summaries(bureau: Bureau, ratees: list[str], month: int) -> None:
    for name in ratees:
        user = bureau.user(name)
        reply = await bureau.command(user, "summary")
        assert f"2026年{month}月工作小结" in reply.text, reply.text
        preview = await bureau.text(user, f"1. {month}月完成审批事项若干\n2、{name}参加业务培训")
        assert "当前共2条" in preview.text
        _answer, submitted = await bureau.press(user, preview, "提交")
        assert "已提交" in submitted.text, submitted.text
        await bureau.settle()  # the review request is out before the next person (maybe the reviewer) starts


async def rate_everyone(bureau: Bureau, rater: str, taps: dict, roles: dict[str, str], custom: dict) -> None:
    """One rater scores every ratee he voted for in the example file, one message edited in place."""
    user = bureau.user(rater)
    screen = await bureau.command(user, "rate")
    assert "测评" in screen.text
    while True:
        text = screen.text
        if text.startswith("评分："):
            ratee = text.split("：", 1)[1].split("（", 1)[0]
            if not votes(rater, ratee):
                _a, screen = await bureau.press(user, screen, "返回名单")
                continue
            item = text.split("【", 1)[1].split("】", 1)[0]
            most = int(text.split("满分", 1)[1].split("分", 1)[0])
            index = int(text.split("第", 1)[1].split("/", 1)[0]) - 1
            points = plan(ratee, roles[ratee], custom)[index]
            taps[(rater, ratee)][item] = (points, most)
            _a, screen = await bureau.press(user, screen, str(points))
        elif "请核对" in text:
            _a, screen = await bureau.press(user, screen, "提交")
        elif "已评" in text:
            _done, _total = text.split("已评", 1)[1].split("人", 1)[0].split("/")
            candidates = [
                b
                for row in screen.buttons
                for b in row
                if not b["text"].startswith("✓") and b["text"] not in ("上一页", "下一页")
            ]
            wanted = [b for b in candidates if votes(rater, b["text"].lstrip("✎ "))]
            if not wanted:
                return
            _a, screen = await bureau.press(user, screen, data=wanted[0]["callback_data"])
        else:
            raise AssertionError(text)


def exact(taps: dict, roster: dict) -> dict[str, Fraction]:
    """Composites from the taps alone, with SPEC's formula in exact fractions."""
    groups: dict[str, dict[str, list[Fraction]]] = defaultdict(lambda: defaultdict(list))
    supervises = {r["姓名"]: set(filter(None, r["分管科室"].split("、"))) for r in roster.values()}
    common_names = {"政治素质", "职业道德", "工作作风", "廉洁自律", "出勤情况"}
    for (rater, ratee), items in taps.items():
        common = [v for k, v in items.items() if k in common_names]
        individual = [v for k, v in items.items() if k not in common_names]
        part = lambda xs: Fraction(100 * sum(p for p, _m in xs), sum(m for _p, m in xs))  # noqa: E731
        score = (part(common) + part(individual)) / 2
        role = roster[rater]["角色"]
        group = "p" if role == "主要领导" else ("s" if roster[ratee]["科室"] in supervises[rater] else "g")
        groups[ratee][group].append(score)
    for by_group in groups.values():  # SPEC 5: fewer than 3 peer ballots are left out
        if len(by_group.get("g", ())) < 3:
            by_group.pop("g", None)
    weights = {"p": Fraction(4, 10), "s": Fraction(3, 10), "g": Fraction(3, 10)}
    return {
        ratee: sum(weights[g] * sum(s) / len(s) for g, s in by_group.items())
        / sum(weights[g] for g in by_group)
        for ratee, by_group in groups.items()
    }


def half_up(value: Fraction) -> str:
    hundredths = value * 100
    whole = int(hundredths) + (1 if hundredths - int(hundredths) >= Fraction(1, 2) else 0)
    return f"{whole // 100}.{whole % 100:02d}"


async def test_a_whole_quarter_in_chat(database_url, database, monkeypatch, tmp_path):
    write_roster(tmp_path / "roster.csv")
    roster = {r["姓名"]: r for r in csv.DictReader((tmp_path / "roster.csv").open(encoding="utf-8-sig"))}
    ratees = [n for n, r in roster.items() if r["角色"] not in ("主要领导", "分管领导")]
    assert len(ratees) == 30
    custom = dict(CUSTOM_GOALS)
    await import_roster(database, tmp_path / "roster.csv")
    async with running_bot(database_url, at(2026, 7, 1, 9, 30)) as bureau:
        # --- invites, binding and the group -----------------------------------------------------
        await bind_everyone(bureau)
        assert len(bureau.users) == 34
        bureau.driver.add_group(GROUP, "市行政审批服务局工作群", [ADMIN, *bureau.users.values()])
        await bureau.command(ADMIN, "bindgroup", chat_id=GROUP)

        # --- goals ------------------------------------------------------------------------------
        reply = await bureau.command(ADMIN, "open", "goals")
        assert "个性指标设定已开启" in reply.text and "已通知30人" in reply.text
        await bureau.settle()
        for name in ratees:
            user = bureau.user(name)
            await bureau.expect(user, "请设定2026年第三季度个性指标")
            screen = await bureau.command(user, "goals")
            if name in custom or name == RETURNED_GOALS:
                _a, screen = await bureau.press(user, screen, "自定义指标")
                lines = "\n".join(
                    f"{n} {p}" for n, p in custom.get(name, [("窗口业务办理", 70), ("群众满意度", 30)])
                )
                preview = await bureau.text(user, lines)
                assert "合计100分" in preview.text
                _a, done = await bureau.press(user, preview, "提交")
                assert "已提交" in done.text
            else:
                _a, done = await bureau.press(user, screen, "采用模板指标")
                assert "已采用模板指标" in done.text
        await bureau.settle()
        supervisor = bureau.user("孙丽华")
        [request] = [m for m in await pending_reviews(bureau, supervisor) if RETURNED_GOALS in m.text]
        _a, asked = await bureau.press(supervisor, request, "退回")
        assert "退回" in asked.text
        await bureau.text(supervisor, "请把群众满意度细化为可量化的指标")
        back = await bureau.expect(bureau.user(RETURNED_GOALS), "被孙丽华退回")
        assert "请把群众满意度细化" in back.text
        user = bureau.user(RETURNED_GOALS)
        screen = await bureau.command(user, "goals")
        _a, screen = await bureau.press(user, screen, "自定义指标")
        assert "2. 群众满意度（30分）" in screen.text  # the returned goals are kept for editing
        preview = await bureau.text(user, "2. 好差评好评率 30")
        assert "已修改第2条" in preview.text and "合计100分" in preview.text
        await bureau.press(user, preview, "提交")
        custom[RETURNED_GOALS] = [("窗口业务办理", 70), ("好差评好评率", 30)]
        assert await approve_all(bureau) == 2

        # --- three months of summaries, one returned and resubmitted -----------------------------
        for month, day in ((7, 31), (8, 31), (9, 30)):
            bureau.clock.set(at(2026, month, day, 10))
            await write_summaries(bureau, ratees, month)
            if month == RETURNED_SUMMARY[1]:
                head = bureau.user("周明远")
                await bureau.settle()
                [request] = [m for m in await pending_reviews(bureau, head) if RETURNED_SUMMARY[0] in m.text]
                await bureau.press(head, request, "退回")
                await bureau.text(head, "请补充档案整理工作")
                author = bureau.user(RETURNED_SUMMARY[0])
                await bureau.expect(author, "请补充档案整理工作")
                editor = await bureau.command(author, "summary")
                assert "已退回" in editor.text and "请补充档案整理工作" in editor.text
                preview = await bureau.text(author, "完成科室档案整理")
                assert "当前共3条" in preview.text
                await bureau.press(author, preview, "提交")
            assert await approve_all(bureau) == len(ratees)

        # --- registration ----------------------------------------------------------------------
        bureau.clock.set(at(2026, 9, 30, 15))
        reply = await bureau.command(ADMIN, "open", "registration")
        assert "第三季度登记表填写已开启" in reply.text
        await bureau.settle()
        for name in ratees:
            user = bureau.user(name)
            form = await bureau.command(user, "registration")
            expected_items = 7 if name == RETURNED_SUMMARY[0] else 6
            assert f"预填{expected_items}条" in form.text, form.text
            _a, done = await bureau.press(user, form, "提交")
            assert "平时考核登记表》已提交" in done.text
            await bureau.settle()
        assert await approve_all(bureau) == len(ratees)

        # --- rating by buttons -------------------------------------------------------------------
        bureau.clock.set(at(2026, 10, 14, 9, 30))
        reply = await bureau.command(ADMIN, "open", "rating")
        assert "测评打分已开启" in reply.text
        await bureau.settle()
        raters = sorted(roster)
        taps: dict = defaultdict(dict)
        roles = {n: r["角色"] for n, r in roster.items()}
        await asyncio.gather(*(rate_everyone(bureau, rater, taps, roles, custom) for rater in raters))
        status = await bureau.command(ADMIN, "status")
        assert "测评票" in status.text

        # --- close, overrides, the leadership's choice -------------------------------------------
        bureau.clock.set(at(2026, 10, 20, 10))
        ask = await bureau.command(ADMIN, "close", "rating")
        _a, closed = await bureau.press(ADMIN, ask, "确认")
        assert "测评已结束" in closed.text
        for command, args in (
            ("veto", "吴晓燕 2 在全市业务通报中被点名批评"),
            ("affirm", "蒋春华 1 获市级青年文明号荣誉"),
            ("exempt", "韩志刚 受处分影响期内"),
            ("leave", "陈立新 病假 2026-07-01 2026-09-30"),
        ):
            reply = await bureau.command(ADMIN, command, args)
            assert "已" in reply.text, reply.text

        # what the command line computes from the same database, before the leadership decides
        monkeypatch.setenv("DATABASE_URL", database_url)
        proposal = json.loads(await asyncio.to_thread(_cli_json))
        by_name = {r["name"]: r for r in proposal["ratees"]}
        expected = exact(taps, roster)
        for name, value in expected.items():
            assert by_name[name]["composite"] == half_up(value), name
        assert by_name["吴晓燕"]["proposed_tier"] == "poor"
        assert by_name["蒋春华"]["proposed_tier"] == "good"
        assert by_name["韩志刚"]["exempt_reasons"] == ["admin"]
        assert by_name["陈立新"]["exempt_reasons"] == ["leave"]

        results = await bureau.command(ADMIN, "results")
        decisions = {}
        for conflict in proposal["conflicts"]:
            ids = sorted(conflict["person_ids"])
            names = [r["name"] for r in proposal["ratees"] if r["person_id"] in ids]
            for index, name in enumerate(sorted(names, key=lambda n: by_name[n]["person_id"])):
                decisions[name] = Tier.GOOD if index < conflict["slots"] else Tier.FAIR
        assert set(decisions) == {"顾晓琳", "方雨桐"}, proposal["conflicts"]
        assert "待定" in results.text
        blocked = await bureau.command(ADMIN, "confirm")
        assert "暂不能确认" in blocked.text
        word = {Tier.GOOD: "好", Tier.FAIR: "较好"}
        for name, tier in decisions.items():
            reply = await bureau.command(ADMIN, "change", f"{name} {word[tier]} 班子研究：工作量与群众评价")
            assert "已记录局领导班子决定" in reply.text, reply.text
        ask = await bureau.command(ADMIN, "confirm")
        _a, confirmed = await bureau.press(ADMIN, ask, "确认")
        assert "已审定" in confirmed.text

        # --- publicity in the group ----------------------------------------------------------------
        bureau.clock.set(at(2026, 10, 21, 10))
        ask = await bureau.command(ADMIN, "publish")
        _a, published = await bureau.press(ADMIN, ask, "确认")
        assert "公示已发布" in published.text
        notice = await bureau.expect(GROUP, "【公示】")
        good = [
            n
            for n, r in by_name.items()
            if (decisions.get(n) or Tier(r["proposed_tier"] or "fair")) is Tier.GOOD
            and not r["exempt_reasons"]
        ]
        for name in roster:
            assert (name in notice.text) == (name in good), name
        assert "2026年10月21日至2026年10月23日 18:00" in notice.text
        final = {
            n: decisions.get(n) or (Tier(r["proposed_tier"]) if r["proposed_tier"] else None)
            for n, r in by_name.items()
        }
        counts = {t: sum(1 for x in final.values() if x is t) for t in Tier}
        assert (
            f"好{counts[Tier.GOOD]}人，较好{counts[Tier.FAIR]}人，一般{counts[Tier.AVERAGE]}人，较差{counts[Tier.POOR]}人"
            in notice.text
        )

        # --- an objection, dismissed ----------------------------------------------------------------
        bureau.clock.set(at(2026, 10, 22, 9))
        objector = bureau.user("许振东")
        await bureau.command(objector, "objection")
        receipt = await bureau.text(objector, "我认为本科室的评分不够客观")
        assert "已收到" in receipt.text
        forwarded = await bureau.expect(ADMIN, "收到2026年第三季度公示异议")
        assert "许振东" in forwarded.text
        number = forwarded.text.split("编号", 1)[1].split("）", 1)[0]
        listed = await bureau.command(ADMIN, "objections")
        assert "待处理" in listed.text
        reply = await bureau.command(ADMIN, "resolve", f"{number} dismiss 经核实评分程序符合规定")
        assert "不成立" in reply.text
        await bureau.expect(objector, "经核实不成立")

        # --- the end of publicity, own results and feedback -----------------------------------------
        early = await bureau.command(ADMIN, "close", "publicity")
        assert "公示期未满" in early.text
        bureau.clock.set(at(2026, 10, 23, 18, 30))
        ask = await bureau.command(ADMIN, "close", "publicity")
        _a, done = await bureau.press(ADMIN, ask, "确认")
        assert "公示已结束" in done.text
        await bureau.expect(GROUP, "【公示结束】")
        await bureau.settle()
        own = await bureau.expect(bureau.user("周明远"), "平时考核结果")
        assert "等次：好" in own.text
        mine = await bureau.expect(bureau.user("吴晓燕"), "平时考核结果")
        assert "等次：较差" in mine.text
        _a, _m = await bureau.press(bureau.user("吴晓燕"), mine, "填写意见")
        receipt = await bureau.text(bureau.user("吴晓燕"), "对一票否决有不同意见，已向主管领导说明")
        assert "已记录" in receipt.text
        group_texts = [m.text for m in bureau.driver.bot_messages(GROUP)]
        assert len(group_texts) == 3  # bound, notice, closed: nothing else about individuals

        async with bureau.services.database.session() as session:
            assessment = (await session.scalars(select(Assessment))).one()
            assert assessment.status is AssessmentStatus.FINAL
            finals = {r.person_id: r.final_tier for r in (await session.scalars(select(ResultRecord))).all()}
            assert await session.scalar(select(func.count()).select_from(Feedback)) == 1
            assert (await session.scalars(select(Objection))).one().status.value == "dismissed"
            actions = set(await session.scalars(select(AuditEntry.action)))
        for name, row in by_name.items():
            wanted = decisions.get(name) or (Tier(row["proposed_tier"]) if row["proposed_tier"] else None)
            assert finals[row["person_id"]] == wanted, name
        assert {
            "ballot_submitted",
            "override_veto",
            "override_affirmation",
            "exemption",
            "leave",
            "tier_changed",
            "results_confirmed",
            "published",
            "objection_dismissed",
            "publicity_closed",
            "feedback_recorded",
        } <= actions


def _cli_json() -> str:
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert cli_main(["results", "2026Q3", "--format", "json"]) == 0
    return buffer.getvalue()
