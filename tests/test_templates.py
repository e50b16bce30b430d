"""Every template renders with sample data under StrictUndefined; no Chinese text hides in Python."""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections import namedtuple
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace as Row

import pytest
from jinja2 import UndefinedError
from jinja2.runtime import Macro

from bot.records.adjustment_file import AdjustmentImport, AdjustmentKind, AdjustmentRow
from bot.records.ballot_file import BallotImport
from bot.records.cells import RowError
from bot.records.exports import Period
from bot.rendering import environment, label, macro, render
from bot.rules.domain import (
    AnnualRecommendation,
    AssessmentStatus,
    Category,
    ExemptReason,
    Flag,
    LeaveKind,
    OverrideKind,
    Phase,
    Quarter,
    RaterGroup,
    Role,
    Tier,
)
from bot.rules.linkage import QuarterOutcome, annual_linkage
from bot.rules.tiers import Conflict, QuarterResult, QuotaCheck, RateeResult
from bot.workflow.adjustments import AdminLine, LeaveLine
from bot.workflow.quarter import ComputedQuarter
from storage.repository import RosterOutcome
from tests.conftest import ROOT
from tests.template_samples import context_for

TEMPLATES = ROOT / "bot" / "templates"
CJK = re.compile(r"[\u4e00-\u9fff]")


class _Person:
    def __init__(self, name: str, section_id: int) -> None:
        self.name, self.section_id, self.post_title = name, section_id, "科员"


def sample_computed() -> ComputedQuarter:
    good = RateeResult(
        1,
        Category.CIVIL_SERVANT,
        {g: Decimal("90.5") for g in RaterGroup},
        {g: 3 for g in RaterGroup},
        Decimal("90.50"),
        score_tier=Tier.GOOD,
        proposed=Tier.GOOD,
        rank=1,
    )
    tied = RateeResult(
        2,
        Category.INSTITUTION,
        {RaterGroup.PRINCIPAL: Decimal(88), RaterGroup.SUPERVISOR: None, RaterGroup.PEER: Decimal(86)},
        {RaterGroup.PRINCIPAL: 1, RaterGroup.SUPERVISOR: 0, RaterGroup.PEER: 2},
        Decimal("87.14"),
        score_tier=Tier.GOOD,
        proposed=None,
        flags={Flag.QUOTA_TIE, Flag.FEW_PEERS, Flag.MISSING_GROUP},
    )
    exempt = RateeResult(
        3,
        Category.CIVIL_SERVANT,
        dict.fromkeys(RaterGroup),
        dict.fromkeys(RaterGroup, 0),
        None,
        exempt_reasons=(ExemptReason.PROBATION,),
        flags={Flag.OVERRIDE_ON_EXEMPT},
    )
    vetoed = RateeResult(
        4,
        Category.INSTITUTION,
        {g: Decimal(95) for g in RaterGroup},
        {g: 1 for g in RaterGroup},
        Decimal("95.00"),
        override=OverrideKind.VETO,
        score_tier=Tier.GOOD,
        proposed=Tier.POOR,
    )
    proposal = QuarterResult(
        [good, tied, exempt, vetoed],
        [Conflict(Flag.QUOTA_TIE, Category.INSTITUTION, (2,), 0)],
        {
            Category.CIVIL_SERVANT: QuotaCheck(Category.CIVIL_SERVANT, 1, 0, 1, 0),
            Category.INSTITUTION: QuotaCheck(Category.INSTITUTION, 2, 0, 0, 0),
        },
    )
    people = {
        1: _Person("周明远", 1),
        2: _Person("陶思琪", 2),
        3: _Person("沈嘉怡", 1),
        4: _Person("何美玲", 2),
    }
    return ComputedQuarter(Quarter(2026, 3), proposal, people, {1: "综合科", 2: "政务服务科"}, 4)


def _sample_health():
    from bot.ops.health import HealthReport

    return HealthReport(
        database=True,
        revision="0003",
        head="0003",
        pending=12,
        oldest_due_seconds=900.0,
        last_tick=dt.datetime(2026, 10, 23, 10, 0, tzinfo=dt.UTC),
        tick_age_seconds=30.0,
        problems=["backlog"],
    )


# The adjustments file's own row errors (bot.records.adjustment_file), each rendered.
ADJUSTMENT_ERRORS = [
    RowError(5, "namesake", column="姓名", value="张伟"),
    RowError(6, "not_a_ratee", column="姓名", value="赵建国"),
    RowError(7, "bad_day", column="开始日期", value="2026.07"),
    RowError(8, "year_out_of_range", column="季度", value="1990Q1"),
    RowError(9, "end_before_start", column="结束日期", value="2026-07-01", detail="2026-07-06"),
    RowError(10, "leave_outside_quarter", column="季度", value="2026Q4"),
    RowError(11, "not_for_kind", column="依据", detail="病假"),
    RowError(12, "bad_ground", column="依据", value="7", detail="1-4"),
    RowError(13, "quarter_locked", column="季度", value="2026Q2", detail="final"),
    RowError(14, "duplicate_record", column="姓名", value="张伟", detail="8"),
    RowError(15, "exempt_and_override", column="类别", value="一票否决", detail="8"),
    RowError(16, "exempt_and_override", column="类别", value="一票肯定"),
    RowError(17, "leave_overlap", column="开始日期", value="吴晓燕", detail="5"),
    RowError(18, "leave_overlaps_recorded", column="开始日期", value="2026-07-06", detail="2026-07-10"),
]


def sample_contexts() -> dict[str, dict]:
    from bot.cli.results import _rows_by_category

    computed = sample_computed()
    errors = [
        RowError(1, "missing_column", column="出生年月"),
        RowError(3, "bad_date", column="出生年月", value="x"),
        RowError(4, "bad_date", column="出生年月", value="x"),
    ]
    return {
        **{name: WEB_CONTEXT for name in all_templates() if name.startswith("web/")},
        "kept_confirmed.j2": {"kept": [Quarter(2026, 3)]},
        "row_errors.j2": {"errors": errors + ADJUSTMENT_ERRORS, "limit": 20},
        "table_errors.j2": {"code": "formula", "detail": "C3"},
        "cli/import_roster.j2": {
            "file": "r.csv",
            "records": [],
            "outcome": RosterOutcome(1, 2, 3),
            "errors": [],
            "dry_run": False,
            "limit": 10,
        },
        "cli/import_ballots.j2": {
            "file": "b.csv",
            "quarter": Quarter(2026, 3),
            "outcome": BallotImport(errors=errors),
            "limit": 10,
            "dry_run": False,
        },
        "cli/import_adjustments.j2": {
            "file": "a.xlsx",
            "outcome": AdjustmentImport(
                new=[
                    AdjustmentRow(
                        2, AdjustmentKind.SICK, 1, "周明远", None, dt.date(2026, 7, 6), dt.date(2026, 7, 10)
                    ),
                    AdjustmentRow(
                        3, AdjustmentKind.VETO, 2, "陶思琪", Quarter(2026, 3), ground=2, reason="通报"
                    ),
                ],
                replaced=1,
                unchanged=[
                    AdjustmentRow(4, AdjustmentKind.EXEMPT, 1, "周明远", Quarter(2026, 3), reason="借调")
                ],
                recomputed=[Quarter(2026, 3)],
            ),
            "limit": 10,
            "dry_run": False,
        },
        "cli/results.j2": {
            "computed": computed,
            "rows": _rows_by_category(computed),
            "conflicts": [(computed.proposal.conflicts[0], ["陶思琪"])],
        },
        "cli/settings_error.j2": {
            "problems": [("rules.quota_share", "ASSESSMENT_RULES__QUOTA_SHARE", "bad")]
        },
        "cli/migrated.j2": {"url": "sqlite:///a.db", "revision": "0001"},
        "cli/period_out_of_range.j2": {"text": "0000Q1", "first": 2000, "last": 2027},
        "cli/template_written.j2": {
            "kind": "ballots",
            "path": "b.xlsx",
            "rows": 3,
            "quarter": Quarter(2026, 3),
        },
        "cli/exported.j2": {
            "quarter": Quarter(2026, 3),
            "paths": ["a.xlsx"],
            "unregistered": [("韩志刚", False)],
        },
        "cli/demo_folder_refused.j2": {"folder": ".", "reason": "not_empty"},
        "cli/run_missing_token.j2": {},
        "cli/database_error.j2": {"url": "sqlite:///a.db", "error": "unable to open database file"},
        "cli/backup_done.j2": {
            "url": "sqlite:///a.db",
            "path": "backups/a-20261128-020000.db",
            "size": 336_000,
            "counts": {"person": 37, "outbox": 8},
        },
        "cli/backup_failed.j2": {
            "code": "no_tool",
            "url": "postgresql://bot@db/assessment",
            "commands": {"dump": "pg_dump --file=a.dump", "restore": "pg_restore a.dump"},
            "path": "a.dump",
            "error": "",
            "tool": "pg_dump",
        },
        "cli/restored.j2": {
            "path": "backups/a.db",
            "url": "sqlite:///b.db",
            "revision": "0003",
            "counts": {"person": 37},
        },
        "cli/health.j2": {"report": _sample_health(), "url": "sqlite:///a.db", "tick_limit": 300.0},
        "cli/demo_step.j2": {
            "step": "rating",
            "moment": dt.datetime(2026, 10, 14, 9, 0),
            "taps": 375,
            "sheet": "browser",
            "paper": 356,
            "counts": {"rating_request": 36},
            "sample": "赵建国，您好！",
            "seconds": 22.5,
        },
        "cli/results_hidden.j2": {"quarter": Quarter(2026, 3)},
        "cli/held_back.j2": {"held_back": 2, "minimum": 3},
        "cli/demo_end.j2": {
            "notice": "【公示】……",
            "folder": "/tmp/demo",
            "paths": ["/tmp/demo/a.xlsx"],
            "seconds": 36.0,
        },
    }


# The sheet's page and its JSON errors: the page gets the API's path and its texts, an error its numbers.
WEB_CONTEXT = {"api": "/sheet/api", "texts": {}, "most": 20}


def all_templates() -> list[str]:
    return sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.j2"))


def test_every_command_line_template_has_sample_data():
    expected = [t for t in all_templates() if not t.startswith("chat/") and t not in MACRO_LIBRARIES]
    assert sorted(sample_contexts()) == expected


MACRO_LIBRARIES = (
    "labels.j2",
    "records/adjustments.j2",
    "records/ballot_sheets.j2",
    "records/charts.j2",
    "records/files.j2",
    "records/forms.j2",
    "records/workbook.j2",
)


@pytest.mark.parametrize("name", [t for t in all_templates() if t not in MACRO_LIBRARIES])
def test_template_renders_in_chinese(name):
    context = sample_contexts()[name] if not name.startswith("chat/") else context_for(name)
    text = render(name, **context)
    assert CJK.search(text), name
    assert "None" not in text and "Undefined" not in text


# Every macro of the macro libraries, called with real values as the program calls it, and the text it
# must give. A macro without a row here fails test_every_macro_has_a_sample.
D = dt.date(2026, 10, 9)
Q3 = Quarter(2026, 3)
REVIEW = Row(status="approved", opinion="条目清楚", reviewer="周明远", reviewed_on=D)
RETURNED = Row(status="returned", opinion="请补充", reviewer=None, reviewed_on=None)
POOR_TWICE = annual_linkage(
    [QuarterOutcome(Quarter(2026, n), Tier.POOR) for n in (1, 2)]
    + [QuarterOutcome(Quarter(2026, 3), Tier.GOOD, registered_on_time=False)]
)
ALL_GOOD = annual_linkage([QuarterOutcome(Quarter(2026, n), Tier.GOOD) for n in (1, 2, 3, 4)])
NOTE_FIELDS = "exempt_reasons exemption_reason override override_ground override_reason flags change_reason"
NOTE_ROW = namedtuple("NoteRow", NOTE_FIELDS)(
    (ExemptReason.PROBATION,), "试用期至11月", None, "1", "通报", (), None
)
VETOED_ROW = NOTE_ROW._replace(
    exempt_reasons=(), override=OverrideKind.VETO, flags=(Flag.QUOTA_CUT,), change_reason="同分"
)
MACRO_SAMPLES: dict[str, dict[str, list[tuple[tuple, str]]]] = {
    "labels.j2": {
        "tier": [((Tier.FAIR,), "较好"), ((None,), "待定")],
        "category": [((Category.INSTITUTION,), "事业单位人员")],
        "role": [((Role.SECTION_HEAD,), "科室负责人")],
        "group": [((RaterGroup.PEER,), "群众")],
        "override": [((OverrideKind.VETO,), "一票否决")],
        "exempt_reason": [((ExemptReason.PROBATION,), "试用期内")],
        "flag": [((Flag.QUOTA_TIE,), "名额线同分待定")],
        "recommendation": [((AnnualRecommendation.NONE,), "无特别建议")],
        "quarter": [((Quarter(2026, 4),), "2026年第四季度")],
        "column": [(("final_tier",), "审定等次")],
        "date": [((D,), "2026年10月9日")],
        "year_month": [((dt.date(1988, 3, 1),), "1988.03")],
        "command": [(("rate",), "给考核对象评分")],
        "phase": [((Phase.RATING,), "测评打分")],
        "phase_word": [((Phase.RATING,), "测评"), ((Phase.GOALS,), "指标")],
        "status": [((AssessmentStatus.PUBLICITY,), "公示中")],
        "review": [(("returned",), "已退回")],
        "leave_kind": [((LeaveKind.SICK,), "病假")],
        "leave_line": [
            (
                (LeaveLine("陈立新", LeaveKind.PERSONAL, D, D, 1, None),),
                "陈立新 事假 2026年10月9日至2026年10月9日，工作日1天",
            )
        ],
        "account": [
            ((AdminLine(5, "吴晓燕", "综合科"),), "吴晓燕（综合科）"),
            ((AdminLine(5, None, None),), "用户ID 5（名册中无此账号）"),
        ],
        "button": [(("next_ratee",), "下一位")],
        "ground": [(("veto", 4), "根据有关规定，实行一票否决的其他情形")],
        "item": [(("完成审批",), "完成审批"), ((("业务办理", 60),), "业务办理（60分）")],
        "numbered": [((["完成审批", ("业务办理", 60)],), "1. 完成审批\n2. 业务办理（60分）")],
        "month": [((2026, 7), "2026年7月")],
        "doc_title": [
            (("summary", {"year": 2026, "month": 7}), "2026年7月工作小结"),
            (("registration", {"quarter": Q3}), "2026年第三季度平时考核登记表"),
            (("goals", {"quarter": Q3}), "2026年第三季度个性指标"),
            (("summary", {"year": 2026, "month": 6, "late": True}), "2026年6月工作小结（逾期提交）"),
            (("goals", {"quarter": Q3, "change": True}), "2026年第三季度个性指标（调整已确定的指标）"),
        ],
        "item_change": [
            ((Row(action="replaced", number=2),), "已修改第2条。"),
            ((Row(action="deleted", number=3),), "已删除第3条。"),
            ((Row(action="dropped", number=None),), "已删除最后一条。"),
            ((Row(action="cleared", number=None),), "已清空。"),
            ((Row(action="added", number=None),), ""),
        ],
        "late_month": [(((2026, 6),), "补交2026年6月小结")],
        "when": [((dt.datetime(2026, 10, 23, 9, 5),), "2026年10月23日 09:05")],
    },
    "records/ballot_sheets.j2": {
        "title": [(("市行政审批服务局", Q3), "市行政审批服务局2026年第三季度平时考核测评票")],
        "group": [
            ((["peer"], {"peer": "30"}), "群众（权重30%）"),
            (
                (["principal", "supervisor"], {"principal": "40", "supervisor": "30"}),
                "主要领导兼主管领导（一票计入两组，权重40%+30%）",
            ),
        ],
        "note": [((), "填写说明：每项填写0至该项满分的整数")],
        "signature": [((), "评分人签名：")],
        "score_error": [((17,), "请填写0至17之间的整数")],
        "score_prompt": [((), "0至满分的整数")],
    },
    "records/charts.j2": {
        "tiers_title": [
            ((Q3, False), "2026年第三季度各等次人数（拟定）"),
            ((Q3, True), "2026年第三季度各等次人数"),
        ],
        "tier": [((Tier.GOOD,), "好")],
        "category": [((Category.CIVIL_SERVANT,), "公务员")],
        "people": [((), "人数")],
        "quota": [((7,), "“好”等次名额 7")],
        "composite_title": [((Q3,), "2026年第三季度综合得分分布")],
        "composite_axis": [((), "综合得分")],
        "threshold": [(("fair", 80), "较好 ≥ 80")],
        "progress_title": [((2026, 7), "2026年7月工作小结提交进度")],
        "submitted": [((), "累计已提交")],
        "daily": [((), "当日提交")],
        "expected": [((37,), "应提交 37 人")],
        "day_axis": [((), "日期")],
        "no_data": [((), "暂无数据")],
        "deadline": [((dt.datetime(2026, 10, 12, 18, 0),), "截止 10月12日18:00")],
        "deadline_mark": [((), "截止")],
    },
    "records/files.j2": {
        "person_file": [
            (("form2", 3, "综合科", "周明远"), "003-综合科-周明远-平时考核登记表.docx"),
            (("form1", 12, None, "陶思琪"), "012-未分科室-陶思琪-月工作小结.docx"),
        ],
        "bundle": [
            (("form1", Period(2026, month=9), 1, 1), "2026年9月干部职工月工作小结.zip"),
            (("form2", Period(2026, quarter=Q3), 2, 3), "2026年第三季度干部职工平时考核登记表（2之3）.zip"),
        ],
        "filing": [((Q3, Category.INSTITUTION), "2026年第三季度平时考核结果-事业单位人员.xlsx")],
        "annual": [((2026,), "2026年度平时考核与年度考核联动.xlsx")],
        "chart": [(("tiers", Period(2026, quarter=Q3)), "2026年第三季度各等次人数.png")],
        "period_name": [(("annual", Period(2026)), "2026年度")],
        "kind": [(("filing",), "归档汇总表")],
    },
    "records/forms.j2": {
        "title": [(("form1", "市行政审批服务局"), "市行政审批服务局干部职工月工作小结")],
        "month_line": [((2026, 7), "（2026年7月）")],
        "field": [(("post_since",), "任现职\n时  间"), (("review",), "直接领导\n审核意见")],
        "year_month": [((dt.date(1990, 7, 1),), "1990.07"), ((None,), "")],
        "period": [((Q3,), "2026年第三季度")],
        "unregistered": [((), "（本人未提交考核期工作实绩登记）")],
        "unregistered_note": [
            (
                ([("韩志刚", False), ("沈嘉怡", True)],),
                "未提交平时考核登记表，登记表中考核期工作实绩为空（2人）：韩志刚、沈嘉怡（只写评语）",
            )
        ],
        "review": [((REVIEW,), "同意。条目清楚"), ((RETURNED,), "退回修改：请补充")],
        "signature": [(("周明远", D), "审核人：周明远    2026年10月9日")],
        "tier_sentence": [((Tier.GOOD,), "经研究，评定为“好”等次。")],
        "exempt_sentence": [
            (
                ([ExemptReason.PROBATION, ExemptReason.LEAVE],),
                "根据有关规定，本季度参加考核只写评语，不确定等次（试用期内；病事假超过考核期一半）。",
            )
        ],
        "comment": [(("工作认真",), "评语：工作认真")],
        "seal": [((), "（单位公章）")],
        "signed_date": [((D,), "2026年10月9日"), ((None,), "年    月    日")],
        "supervisor_review": [((REVIEW,), "主管领导审核：同意。条目清楚（周明远，2026年10月9日）")],
        "footnote": [(("form2",), "备注：考核期根据单位考核方案填写，如“2020年第三季度”")],
        "item": [((2, "窗口受理"), "2. 窗口受理")],
        "late": [((), "逾期提交。")],
    },
    "records/adjustments.j2": {
        "sheet": [(("records",), "调整事项"), (("guide",), "填写说明")],
        "guide_title": [
            ((Q3,), "病事假、一票否决、一票肯定、只写评语登记表填写说明（示例为2026年第三季度）")
        ],
        "guide_intro": [((), "在第一张工作表“调整事项”中每行填写一条记录")],
        "heading": [(("words",), "可填写的词")],
        "column_rule": [(("依据",), "一票否决、一票肯定必填，填依据编号 1—4")],
        "kind_note": [(("veto",), "确定为“较差”等次；依据：1. 因工作作风问题"), (("personal",), "")],
        "grounds": [(("affirmation",), "1. 在工作业务或党团工作方面获得市级以上奖励、荣誉；2. ")],
        "example_name": [((5,), "张伟")],
        "example_reason": [(("exempt",), "经局领导班子研究决定"), (("personal",), "")],
    },
    "records/workbook.j2": {
        "filing_title": [
            ((Q3, Category.CIVIL_SERVANT, False), "2026年第三季度平时考核结果（公务员）（拟定，未经审定）")
        ],
        "sheet": [(("annual",), "年度联动")],
        "column": [(("peer_ballots",), "群众票数")],
        "override_cell": [
            (
                (OverrideKind.AFFIRMATION, "1", "获市级表彰"),
                "一票肯定：在工作业务或党团工作方面获得市级以上奖励、荣誉（获市级表彰）",
            )
        ],
        "exempt_cell": [(([ExemptReason.ADMIN], "班子研究"), "经局领导班子研究决定（班子研究）")],
        "flags_cell": [(([Flag.FEW_PEERS, Flag.NO_BALLOTS],), "群众票不足；无测评票")],
        "tier": [((Tier.AVERAGE,), "一般"), ((None,), "")],
        "exempt_tier": [((), "只写评语")],
        "summary_row": [(("within",), "是否符合比例")],
        "status": [((AssessmentStatus.FINAL,), "已完成")],
        "yes_no": [((True,), "是"), ((False,), "否")],
        "annual_title": [
            ((2026, 4), "2026年度平时考核结果与年度考核联动"),
            ((2026, 3), "2026年度平时考核结果与年度考核联动（截至第三季度）"),
        ],
        "annual_partial": [
            ((1,), "说明：第二季度至第四季度的平时考核结果尚未确定，本表为截至第一季度的情况")
        ],
        "quarter_cell": [
            ((QuarterOutcome(Q3, Tier.FAIR),), "较好"),
            ((QuarterOutcome(Q3, None, exempt=True),), "只写评语"),
            ((QuarterOutcome(Q3, Tier.GOOD, registered_on_time=False),), "好（未按规定参加）"),
            ((None,), ""),
        ],
        "reason": [
            (
                (POOR_TWICE,),
                "2个季度为“较差”等次；第三季度未按规定参加平时考核（未按时提交平时考核登记表），取消评先树优资格",
            ),
            ((ALL_GOOD,), "定等次的4个季度均为“好”等次"),
        ],
        "honours": [((False,), "保留"), ((True,), "取消")],
        "recommendation": [((AnnualRecommendation.BASIC,), "年度考核应确定为基本称职")],
        "disqualified_row": [((), "取消评先树优资格")],
        "bureau_cell": [(("市行政审批服务局",), "填报单位：市行政审批服务局")],
        "made_on_cell": [((D,), "填报日期：2026年10月9日"), ((None,), "填报日期：    年  月  日")],
        "page_footer": [((), "第 &P 页，共 &N 页")],
        "no_tier": [((), "—")],
        "note_cell": [
            ((NOTE_ROW,), "只写评语，不确定等次：试用期内（试用期至11月）"),
            ((VETOED_ROW,), "一票否决：因工作作风问题被全市通报"),
            ((VETOED_ROW._replace(override=None),), "超出“好”等次比例，拟为较好；班子调整：同分"),
        ],
    },
}


def macros_of(library: str) -> set[str]:
    module = environment().get_template(library).module
    return {name for name in dir(module) if isinstance(getattr(module, name), Macro)}


def test_every_macro_has_a_sample():
    assert set(MACRO_SAMPLES) == set(MACRO_LIBRARIES)
    for library in MACRO_LIBRARIES:
        assert sorted(MACRO_SAMPLES[library]) == sorted(macros_of(library)), library


@pytest.mark.parametrize(
    ("library", "name", "args", "expected"),
    [
        pytest.param(library, name, args, expected, id=f"{library}:{name}:{index}")
        for library, samples in MACRO_SAMPLES.items()
        for name, calls in samples.items()
        for index, (args, expected) in enumerate(calls)
    ],
)
def test_macro_gives_its_text(library, name, args, expected):
    text = macro(library, name, *args)
    assert text.startswith(expected) if expected else text == expected, (library, name, text)
    assert "None" not in text and "Undefined" not in text


def test_missing_context_fails_loudly():
    with pytest.raises(UndefinedError):
        render("cli/migrated.j2", url="x")


def test_results_table_shows_flags_and_pending_tiers():
    text = render("cli/results.j2", **sample_contexts()["cli/results.j2"])
    assert "待定" in text and "名额线同分待定" in text and "只写评语" in text and "一票否决" in text


def test_results_in_chat_list_ratees_without_a_ballot_after_the_scored_ones():
    """A ratee nobody rated has no composite (无测评票); /results once failed sorting him among the rest."""
    import dataclasses

    from bot.rules.domain import Flag

    context = context_for("chat/admin/results.j2")
    scored = context["proposal"].ratees[0]
    unrated = dataclasses.replace(
        scored,
        person_id=2,
        composite=None,
        score_tier=None,
        proposed=None,
        rank=None,
        flags={Flag.NO_BALLOTS},
    )
    proposal = dataclasses.replace(context["proposal"], ratees=[unrated, scored])
    text = render("chat/admin/results.j2", **{**context, "proposal": proposal, "changes": {}})
    lines = [line for line in text.splitlines() if line[:2] in ("1.", "2.")]
    assert lines[0].startswith("1. 周明远") and "93.52" in lines[0]
    assert lines[1].startswith("2. 陶思琪") and "无测评票" in lines[1]


@pytest.mark.parametrize(
    ("kind", "values"),
    [
        ("tier", list(Tier)),
        ("category", list(Category)),
        ("role", list(Role)),
        ("group", list(RaterGroup)),
        ("override", list(OverrideKind)),
        ("exempt_reason", list(ExemptReason)),
        ("flag", list(Flag)),
        ("recommendation", list(AnnualRecommendation)),
    ],
)
def test_every_code_has_a_chinese_label(kind, values):
    for value in values:
        assert CJK.search(label(kind, value)), (kind, value)


def test_labels_of_quarters_and_dates():
    assert label("quarter", Quarter(2026, 4)) == "2026年第四季度"
    assert label("date", dt.date(2026, 10, 9)) == "2026年10月9日"
    assert label("year_month", dt.date(1988, 3, 1)) == "1988.03"


def test_no_user_text_in_python_sources():
    """User-facing Chinese lives in templates; only import-file column names and their values are data."""
    # column headers of import files, the plan's indicator names, the words users type
    allowed = {
        Path("bot/records/cells.py"),
        Path("bot/records/roster_file.py"),
        Path("bot/records/ballot_file.py"),
        Path("bot/records/adjustment_file.py"),
        Path("bot/records/ballot_sheets.py"),
        Path("bot/settings.py"),
        Path("bot/rules/vocabulary.py"),
    }
    offenders = []
    for folder in ("bot", "handlers", "scheduler", "storage"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.relative_to(ROOT) not in allowed and CJK.search(path.read_text(encoding="utf-8")):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


@pytest.mark.parametrize(
    "source", ["{{ missing }}", "{{ missing.attribute }}", "{% if missing %}x{% endif %}", "{{ ok.nope }}"]
)
def test_a_missing_variable_raises_instead_of_rendering_empty(source):
    with pytest.raises(UndefinedError):
        environment().from_string(source).render(ok={})


# --- texts as read: a word said twice, a month left out (issue 13, Texts) -----------------------------

DOUBLED = re.compile(r"([\u4e00-\u9fff]{1,4})\1")
# Doubles that are Chinese, not slips: 谢谢, 得分|分布, 工作|作风.
DOUBLES_THAT_ARE_WORDS = ("谢谢", "得分分布", "工作作风")


def _with_every_code(context: dict):
    """The sample context, and each variant with one enumerated value replaced by every other member of
    its enumeration: a label joined to the text around it is read in all its forms."""
    yield context
    for key, value in context.items():
        if isinstance(value, enum.Enum):
            for member in type(value):
                yield {**context, key: member}


@pytest.mark.parametrize("name", [t for t in all_templates() if t not in MACRO_LIBRARIES])
def test_no_word_is_said_twice(name):
    base = sample_contexts()[name] if not name.startswith("chat/") else context_for(name)
    for context in _with_every_code(base):
        text = render(name, **context)
        for word in DOUBLES_THAT_ARE_WORDS:
            text = text.replace(word, "")
        doubled = DOUBLED.search(text)
        assert doubled is None, f"{name}: {text[max(0, doubled.start() - 10) : doubled.end() + 10]!r}"


MONTH_TEMPLATES = [
    "chat/staff/summary.j2",
    "chat/staff/summary_approved.j2",
    "chat/staff/summary_preview.j2",
    "chat/staff/summary_reminder.j2",
    "chat/staff/summary_request.j2",
    "chat/staff/submitted.j2",
    "chat/staff/review_outcome.j2",
    "chat/leaders/review_request.j2",
    "chat/leaders/reviewed.j2",
]


@pytest.mark.parametrize("name", MONTH_TEMPLATES)
def test_a_text_about_a_months_summary_names_the_month(name):
    july = {"year": 2026, "month": 7}
    context = {
        **context_for(name),
        "kind": "summary",
        "doc_kind": "summary",
        "title": {**july, "late": False},
        "summary": Row(**july, status="draft", opinion=None),
    }
    assert "2026年7月" in render(name, **context)


def test_a_document_preview_keeps_its_month_or_quarter_after_any_edit():
    """After 删除最后一条 or 清空重写 the preview once lost its heading's month (issue 13, texts)."""
    summary = {"kind": "summary", "title": {"year": 2026, "month": 7, "late": False}, "change": None}
    for items in (["起草通知", "整理档案"], []):
        text = render("chat/staff/items_preview.j2", items=items, **summary)
        assert text.startswith("《2026年7月工作小结》"), text
    text = render(
        "chat/staff/items_preview.j2",
        kind="registration",
        title={"quarter": Quarter(2026, 3)},
        items=["起草通知"],
        change=Row(action="deleted", number=2),
    )
    assert text.startswith("已删除第2条。\n《2026年第三季度平时考核登记表》当前共1条"), text


def _dict_literals(source: str):
    """The bodies of the {…} tables written in a template (not {{ }}, {% %} or {# #})."""
    for opening in re.finditer(r"(?<![{%#])\{(?![{%#])", source):
        depth = 0
        for end in range(opening.start(), len(source)):
            depth += {"{": 1, "}": -1}.get(source[end], 0)
            if depth == 0:
                yield source[opening.start() + 1 : end]
                break


@pytest.mark.parametrize("name", all_templates())
def test_no_table_in_a_template_names_a_key_twice(name):
    """Jinja keeps the last of two equal keys without a word: one text would silently replace another."""
    for table in _dict_literals((TEMPLATES / name).read_text(encoding="utf-8")):
        keys = re.findall(r'(?:^|[,{\n])\s*"([^"]+)"\s*:', table)
        assert len(keys) == len(set(keys)), (name, sorted(k for k in keys if keys.count(k) > 1))


def test_each_admin_is_listed_on_a_line_of_his_own():
    text = render("chat/admin/admins.j2", **context_for("chat/admin/admins.j2"))
    lines = [line for line in text.splitlines() if line.startswith("- ")]
    assert lines == ["- 用户ID 1（名册中无此账号）（配置文件指定）", "- 吴晓燕（综合科）", "- 周明远"], text


def test_the_phase_keywords_shown_are_those_the_bot_reads():
    from bot.rules.vocabulary import PHASE_WORDS, keyword

    for phase in Phase:
        assert keyword(PHASE_WORDS, macro("labels.j2", "phase_word", phase)) is phase
