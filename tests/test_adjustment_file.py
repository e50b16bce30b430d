"""The adjustments file: leave, vetoes, affirmations and exemptions brought in by one spreadsheet, every row
checked first, all rows or none, through the steps the chat commands take."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from bot.cli.shared import cli_work
from bot.records.adjustment_file import (
    ADJUSTMENT_COLUMNS,
    AdjustmentContext,
    AdjustmentKind,
    RecordedLeave,
    parse_adjustments,
    template_examples,
    write_template,
)
from bot.records.cells import PersonRef
from bot.records.spreadsheets import Table, read_table, write_table
from bot.rendering import render
from bot.rules.domain import AssessmentStatus, LeaveKind, OverrideKind, Quarter
from bot.workflow import adjustments
from bot.workflow.quarter import compute_and_store
from storage.models import Assessment, AuditEntry, Exemption, LeaveRecord, Override, ResultRecord
from tests.conftest import EXAMPLES

Q3 = Quarter(2026, 3)
TODAY = dt.date(2026, 10, 9)
PEOPLE = [
    PersonRef(1, "赵建国", dt.date(1970, 5, 1)),
    PersonRef(2, "吴晓燕", dt.date(1986, 9, 1)),
    PersonRef(3, "张伟", dt.date(1988, 3, 1)),
    PersonRef(4, "张伟", dt.date(1990, 6, 1)),
    PersonRef(5, "冯雪梅", dt.date(1988, 6, 1)),
]


def table(*rows: dict) -> Table:
    return Table(ADJUSTMENT_COLUMNS, tuple((line, dict(row)) for line, row in enumerate(rows, start=2)))


def context(**changes) -> AdjustmentContext:
    return AdjustmentContext(today=TODAY, people=PEOPLE, leaders=frozenset({1}), **changes)


SICK = {"类别": "病假", "姓名": "吴晓燕", "开始日期": "2026-07-06", "结束日期": "2026-07-10"}
VETO = {"类别": "一票否决", "姓名": "冯雪梅", "季度": "2026Q3", "依据": "2", "事由": "被全市通报批评"}
EXEMPT = {"类别": "只写评语", "姓名": "冯雪梅", "季度": "2026Q3", "事由": "经局领导班子研究决定"}


# --- the rows, checked without a database -----------------------------------------------------------


def test_full_width_input_from_a_chinese_input_method_is_read():
    outcome = parse_adjustments(
        table(
            {
                "类别": "病假",
                "姓名": "吴晓燕",
                "开始日期": "２０２６－０７－０６",
                "结束日期": "２０２６年７月１０日",
            },
            {"类别": "一票否决 ", "姓名": "冯雪梅", "季度": "２０２６Ｑ３", "依据": "第２条", "事由": "通报"},
            {
                "类别": "只写评语、不确定等次",
                "姓名": "张伟（１９８８－０３）",
                "季度": "2026年第三季度",
                "事由": "试用",
            },
            {
                "类别": "事假",
                "姓名": "张伟",
                "出生年月": "１９９０．０６",
                "开始日期": dt.datetime(2026, 8, 3),
            }
            | {"结束日期": "2026/8/4"},
        ),
        context(),
    )
    assert outcome.errors == []
    leave, veto, exempt, personal = outcome.new
    assert (leave.kind, leave.start, leave.end) == (
        AdjustmentKind.SICK,
        dt.date(2026, 7, 6),
        dt.date(2026, 7, 10),
    )
    assert (veto.kind, veto.quarter, veto.ground, veto.person_id) == (AdjustmentKind.VETO, Q3, 2, 5)
    assert (exempt.kind, exempt.person_id, exempt.quarter) == (AdjustmentKind.EXEMPT, 3, Q3)
    assert (personal.person_id, personal.start, personal.end) == (4, dt.date(2026, 8, 3), dt.date(2026, 8, 4))


@pytest.mark.parametrize(
    ("row", "code", "column"),
    [
        (SICK | {"类别": "年假"}, "bad_choice", "类别"),
        (SICK | {"类别": ""}, "missing", "类别"),
        (SICK | {"姓名": "李明"}, "unknown_person", "姓名"),
        (SICK | {"姓名": "张伟"}, "namesake", "姓名"),
        (SICK | {"姓名": "张伟", "出生年月": "1999-01"}, "unknown_person", "姓名"),
        (SICK | {"姓名": "张伟", "出生年月": "88年"}, "bad_date", "出生年月"),
        (VETO | {"姓名": "赵建国"}, "not_a_ratee", "姓名"),
        (SICK | {"开始日期": "2026-07-32"}, "bad_day", "开始日期"),
        (SICK | {"开始日期": "2026.07"}, "bad_day", "开始日期"),  # a month is no first day
        (SICK | {"结束日期": None}, "missing", "结束日期"),
        (SICK | {"开始日期": "2026-07-10", "结束日期": "2026-07-06"}, "end_before_start", "结束日期"),
        (SICK | {"开始日期": "1990-07-06"}, "year_out_of_range", "开始日期"),
        (SICK | {"季度": "2026Q4"}, "leave_outside_quarter", "季度"),
        (SICK | {"依据": "2"}, "not_for_kind", "依据"),
        (VETO | {"开始日期": "2026-07-06"}, "not_for_kind", "开始日期"),
        (VETO | {"季度": ""}, "missing", "季度"),
        (VETO | {"季度": "2026Q5"}, "bad_quarter", "季度"),
        (VETO | {"依据": "7"}, "bad_ground", "依据"),
        (VETO | {"依据": None}, "missing", "依据"),
        (VETO | {"事由": ""}, "missing", "事由"),
        (VETO | {"事由": "长" * 501}, "too_long", "事由"),
        (EXEMPT | {"依据": "1"}, "not_for_kind", "依据"),
    ],
)
def test_each_bad_row_is_named_with_its_line(row, code, column):
    good = {"类别": "事假", "姓名": "吴晓燕", "开始日期": "2026-09-01", "结束日期": "2026-09-02"}
    outcome = parse_adjustments(
        table(good, row, good | {"开始日期": "2026-09-07", "结束日期": "2026-09-07"}), context()
    )
    assert [(e.line, e.code, e.column) for e in outcome.errors] == [(3, code, column)]
    assert outcome.new == [] and outcome.unchanged == []


def test_rows_checked_across_the_file_and_against_what_is_recorded():
    recorded = context(
        leave=[RecordedLeave(2, LeaveKind.SICK, dt.date(2026, 7, 6), dt.date(2026, 7, 10))],
        overrides={(Q3, 5, OverrideKind.VETO): (2, "被全市通报批评")},
        locked={Quarter(2026, 2): AssessmentStatus.FINAL},
    )
    outcome = parse_adjustments(
        table(
            SICK | {"开始日期": "2026-09-14", "结束日期": "2026-09-15"},  # 2
            VETO,  # 3: recorded already, the same: skipped
            SICK | {"开始日期": "2026-07-08", "结束日期": "2026-07-15"},  # 4: overlaps the recorded one
            {"类别": "事假", "姓名": "吴晓燕", "开始日期": "2026-08-03", "结束日期": "2026-08-05"},  # 5
            {
                "类别": "事假",
                "姓名": "吴晓燕",
                "开始日期": "2026-08-05",
                "结束日期": "2026-08-06",
            },  # 6: overlaps 5
            EXEMPT,  # 7: exempt while vetoed (line 3, on file too)
            VETO | {"姓名": "张伟(1990-06)"},  # 8
            EXEMPT | {"姓名": "张伟(1990-06)"},  # 9: exempt while vetoed in the file (line 8)
            VETO | {"姓名": "张伟(1990-06)", "事由": "另一事由"},  # 10: the same veto twice
            VETO | {"姓名": "吴晓燕", "季度": "2026Q2"},  # 11: a quarter whose results are final
        ),
        recorded,
    )
    found = [(e.line, e.code, e.value, e.detail) for e in outcome.errors]
    assert found == [
        (4, "leave_overlaps_recorded", "2026-07-06", "2026-07-10"),
        (6, "leave_overlap", "吴晓燕", "5"),
        (7, "exempt_and_override", "一票否决", "3"),
        (9, "exempt_and_override", "一票否决", "8"),
        (10, "duplicate_record", "张伟", "8"),
        (11, "quarter_locked", "2026Q2", "final"),
    ]
    assert outcome.new == [] and outcome.unchanged == []


def test_a_day_without_its_year_is_one_of_the_quarter_column_or_of_this_year_as_in_chat():
    """7月1日 as /leave reads it: of the 季度 column's year if given, else of today's; a number 7.10 is
    7.1 in a cell, so a day without its year is read as text only."""
    good = [
        SICK | {"开始日期": "7月1日", "结束日期": "７月１０号"},
        SICK | {"季度": "2025年第三季度", "开始日期": "7.1", "结束日期": "9/30"},
    ]
    outcome = parse_adjustments(table(*good), context())
    assert outcome.errors == []
    assert [(r.start, r.end) for r in outcome.new] == [
        (dt.date(2026, 7, 1), dt.date(2026, 7, 10)),
        (dt.date(2025, 7, 1), dt.date(2025, 9, 30)),
    ]
    bad = [SICK | {"开始日期": 7.1, "结束日期": "7月2日"}, SICK | {"开始日期": "2月30日"}]
    outcome = parse_adjustments(table(*bad), context())
    found = [(e.line, e.code, e.column) for e in outcome.errors]
    assert found == [(2, "bad_day", "开始日期"), (3, "bad_day", "开始日期")]


def test_leave_touching_a_confirmed_quarter_is_recorded_and_the_answer_says_its_results_stay():
    locked = context(locked={Q3: AssessmentStatus.CONFIRMED, Quarter(2026, 2): AssessmentStatus.FINAL})
    outcome = parse_adjustments(table(SICK | {"结束日期": "2026-10-09"}), locked)
    assert outcome.errors == [] and outcome.kept == [Q3]
    out = render("cli/import_adjustments.j2", file="a.xlsx", outcome=outcome, dry_run=False)
    assert "病假1条" in out and "2026年第三季度考核结果已审定，不因此改变" in out, out
    assert "第二季度" not in out
    assert parse_adjustments(table(SICK), context()).kept == []


def test_a_veto_recorded_with_another_reason_is_replaced_and_counted():
    recorded = context(overrides={(Q3, 5, OverrideKind.VETO): (2, "旧事由")})
    outcome = parse_adjustments(table(SICK, VETO, EXEMPT | {"姓名": "吴晓燕"}), recorded)
    assert outcome.errors == [] and outcome.replaced == 1
    assert outcome.counts() == {AdjustmentKind.SICK: 1, AdjustmentKind.VETO: 1, AdjustmentKind.EXEMPT: 1}


def test_the_template_has_the_columns_and_a_guide_whose_examples_import(tmp_path):
    path = write_template(tmp_path / "adjustments.xlsx", Q3)
    read = read_table(path)  # the first sheet only: the guide is never imported
    assert read.headers == ADJUSTMENT_COLUMNS and read.rows == ()
    guide = load_workbook(path).worksheets[1]
    texts = [str(c) for row in guide.iter_rows(values_only=True) for c in row if c]
    assert "一票否决、否决、veto" in texts and any("2026年第三季度" in t for t in texts)
    names = [
        PersonRef(i, name, dt.date(1980 + i, 1, 1)) for i, name in enumerate(("张三", "李四", "王五", "赵六"))
    ]
    names.append(PersonRef(9, "张伟", dt.date(1988, 3, 1)))
    examples = Table(
        ADJUSTMENT_COLUMNS,
        tuple(
            (n, dict(zip(ADJUSTMENT_COLUMNS, r, strict=True))) for n, r in enumerate(template_examples(Q3), 2)
        ),
    )
    outcome = parse_adjustments(examples, AdjustmentContext(today=TODAY, people=names))
    assert outcome.errors == [] and len(outcome.new) == len(examples.rows)


# --- imported into a quarter whose results are computed, on SQLite and PostgreSQL -------------------

# A quarter's leave from the attendance sheet (several periods, several people, one reaching into Q4),
# a veto, an affirmation and an exemption, some cells as an input method types them.
LEAVE = [
    ("吴晓燕", LeaveKind.SICK, dt.date(2026, 7, 1), dt.date(2026, 7, 31)),
    ("吴晓燕", LeaveKind.SICK, dt.date(2026, 8, 3), dt.date(2026, 8, 21)),
    ("吴晓燕", LeaveKind.PERSONAL, dt.date(2026, 9, 1), dt.date(2026, 9, 10)),  # over half of Q3: exempt
    ("郑海涛", LeaveKind.PERSONAL, dt.date(2026, 8, 10), dt.date(2026, 8, 11)),
    ("郑海涛", LeaveKind.SICK, dt.date(2026, 9, 28), dt.date(2026, 10, 9)),
]
OVERRIDES = [
    ("冯雪梅", OverrideKind.VETO, 2, "在全市业务通报中被点名批评"),
    ("陈立新", OverrideKind.AFFIRMATION, 1, "获市级先进工作者称号"),
]
EXEMPTIONS = [("褚文静", "长期借调外单位，经局领导班子研究决定")]
GOOD_SHEET = [
    ["病假", "吴晓燕", "", "", dt.date(2026, 7, 1), dt.date(2026, 7, 31), "", "住院"],
    ["病假", "吴晓燕", "", "2026年第三季度", "2026年8月3日", "２０２６－０８－２１", "", ""],
    ["事假", "吴晓燕", "", "", "2026/9/1", "2026.9.10", "", ""],
    ["事假", "郑海涛", "1990-01", "", "20260810", "2026-08-11", "", ""],
    ["病假", "郑海涛", "", "", "2026-09-28", "2026-10-09", "", ""],
    ["一票否决", "冯雪梅", "", "２０２６Ｑ３", "", "", "第２条", OVERRIDES[0][3]],
    ["一票肯定", "陈立新", "", "2026Q3", "", "", 1, OVERRIDES[1][3]],
    ["只写评语", "褚文静", "", "2026Q3", "", "", "", EXEMPTIONS[0][1]],
]
BAD_SHEET = [
    ["年假", "韩志刚", "", "", "2026-08-03", "2026-08-04", "", ""],  # 2
    ["病假", "李明", "", "", "2026-08-03", "2026-08-04", "", ""],  # 3
    ["病假", "韩志刚", "", "", "2026-02-30", "2026-08-04", "", ""],  # 4
    ["病假", "韩志刚", "", "", "2026-08-04", "2026-08-03", "", ""],  # 5
    ["一票否决", "赵建国", "", "2026Q3", "", "", 1, "理由"],  # 6
    ["一票肯定", "韩志刚", "", "2026Q3", "", "", 7, "理由"],  # 7
    ["只写评语", "冯雪梅", "", "2026Q3", "", "", "", "理由"],  # 8: vetoed on file
    ["病假", "吴晓燕", "", "", "2026-07-15", "2026-07-20", "", ""],  # 9: overlaps recorded leave
    ["事假", "卫国强", "", "", "2026-09-01", "2026-09-03", "", ""],  # 10: good
    ["事假", "卫国强", "", "", "2026-09-03", "2026-09-04", "", ""],  # 11: overlaps line 10
    ["只写评语", "韩志刚", "", "2026Q3", "", "", "", "理由"],  # 12: good
]


def _results(rows: list[ResultRecord]) -> dict[int, tuple]:
    return {r.person_id: (r.proposed_tier, r.exempt_reasons, r.override, r.composite, r.flags) for r in rows}


async def _through_the_chat_steps(settings) -> dict[int, tuple]:
    """The results the chat commands' steps give for the same records, rolled back."""
    async with cli_work(settings) as work:
        people = {p.name: p for p in await work.repo.people()}
        for name, kind, start, end in LEAVE:
            await adjustments.record_leave(work, people[name], kind, start, end, None)
        for name, kind, ground, reason in OVERRIDES:
            await adjustments.record_override(work, Q3, people[name], kind, ground, reason)
        for name, reason in EXEMPTIONS:
            await adjustments.record_exemption(work, Q3, people[name], reason)
        assessment = await work.repo.assessment(Q3)
        results = _results(await work.repo.results(assessment.id))
        await work.repo.rollback()
    return results


async def _stored(settings) -> tuple[dict[int, tuple], tuple[int, int, int, int]]:
    async with cli_work(settings) as work:
        results = _results(await work.repo.results((await work.repo.assessment(Q3)).id))
        session = work.repo.session
        counts = [
            await session.scalar(select(func.count()).select_from(m))
            for m in (LeaveRecord, Override, Exemption, AuditEntry)
        ]
    return results, tuple(counts)


async def _confirm(settings) -> None:
    async with cli_work(settings) as work:
        await work.repo.session.execute(update(Assessment).values(status=AssessmentStatus.CONFIRMED))


def test_a_quarters_adjustments_import_like_the_chat_commands_all_or_none(
    cli, settings, tmp_path, monkeypatch
):
    assert cli("import-roster", EXAMPLES / "roster.csv")[0] == 0
    assert cli("import-ballots", "2026Q3", EXAMPLES / "ballots-2026Q3.csv")[0] == 0
    assert cli("close-rating", "2026Q3")[0] == 0
    expected = asyncio.run(_through_the_chat_steps(settings))
    before, counts = asyncio.run(_stored(settings))
    assert counts[:3] == (0, 0, 0) and expected != before
    good = write_table(tmp_path / "adjustments.xlsx", ADJUSTMENT_COLUMNS, GOOD_SHEET)

    code, out = cli("import-adjustments", good, "--dry-run")
    assert (
        code == 0 and "检查通过" in out and "病假3条、事假2条、一票否决1条、一票肯定1条、只写评语1条" in out
    ), out
    assert asyncio.run(_stored(settings)) == (before, counts)  # a dry run writes nothing

    computed = []
    monkeypatch.setattr(
        adjustments, "compute_and_store", lambda *a: computed.append(a) or compute_and_store(*a)
    )
    code, out = cli("import-adjustments", good)
    assert code == 0 and "已导入" in out and "2026年第三季度拟定结果已重新计算" in out, out
    assert len(computed) == 1  # the quarter touched computed again once, not once a row
    results, after = asyncio.run(_stored(settings))
    assert results == expected  # what the chat commands give
    assert after[:3] == (len(LEAVE), len(OVERRIDES), len(EXEMPTIONS))
    wu = next(r for r in results.values() if r[1] and "leave" in r[1])
    assert wu[0] is None

    code, out = cli("import-adjustments", good)  # again: every row recorded already, skipped
    assert code == 0 and "没有新记录" in out and "已登记过的相同记录8条，已跳过" in out, out
    assert asyncio.run(_stored(settings)) == (results, after)  # nothing written, not even to the audit log

    bad = write_table(tmp_path / "bad.csv", ADJUSTMENT_COLUMNS, BAD_SHEET)
    code, out = cli("import-adjustments", bad)
    assert code == 1 and "有9处错误，未导入任何记录" in out, out
    for line in (2, 3, 4, 5, 6, 7, 8, 9, 11):
        assert f"第{line}行：" in out, (line, out)
    assert "第10行：" not in out and "第12行：" not in out
    assert "与已登记的请假（2026-07-06" not in out and "与已登记的请假（2026-07-01至2026-07-31）重叠" in out
    assert asyncio.run(_stored(settings))[1][:3] == after[:3]  # nothing written

    asyncio.run(_confirm(settings))
    late = write_table(tmp_path / "late.xlsx", ADJUSTMENT_COLUMNS, [BAD_SHEET[-1]])
    code, out = cli("import-adjustments", late)
    assert code == 1 and "第2行：2026Q3考核结果目前为“已审定待公示”，不能再修改考核依据" in out, out


def test_the_command_line_writes_the_template(cli, tmp_path):
    code, out = cli("adjustments-template", "-o", tmp_path / "a.xlsx", "--quarter", "２０２６Ｑ３")
    assert code == 0 and "登记表模板已写入" in out and "2026年第三季度" in out, out
    assert load_workbook(tmp_path / "a.xlsx").sheetnames == ["调整事项", "填写说明"]
    code, out = cli("adjustments-template", "-o", tmp_path / "a.csv")
    assert code == 0 and read_table(tmp_path / "a.csv").headers == ADJUSTMENT_COLUMNS
