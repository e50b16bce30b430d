"""The filing workbook as a clerk prints and files it: A4 landscape, the heading on every page, the
person's columns from the roster, numbers as numbers, and tiers that agree with each other."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import shutil
import subprocess
from decimal import Decimal

import pytest
from matplotlib.figure import Figure
from openpyxl import load_workbook
from sqlalchemy import select

from bot.records import charts
from bot.records.contents import Submissions
from bot.records.exports import ExportKind, Period, build, plan
from bot.records.spreadsheets import read_table, write_table
from bot.records.workbooks import filing_workbook
from bot.rules.domain import (
    AssessmentStatus,
    Category,
    ExemptionKind,
    OverrideKind,
    Quarter,
    Tier,
)
from bot.settings import load_settings
from storage.models import Assessment, Confirmation, Exemption, Override, Person, ResultRecord, TierDecision
from storage.repository import Repository
from tests.chat import import_roster
from tests.conftest import EXAMPLES

Q3 = Quarter(2026, 3)
MADE_ON = dt.date(2026, 10, 21)
TZ = dt.timezone(dt.timedelta(hours=8))
# name: (composite, score tier, proposed, final, exempt reasons, override, flags); the rest score 80, FAIR
SPECIAL = {
    "周明远": ("93.52", Tier.GOOD, Tier.POOR, Tier.POOR, "", OverrideKind.VETO, ""),
    "吴晓燕": ("92.45", Tier.GOOD, None, None, "admin", None, ""),
    "郑海涛": ("81.00", Tier.FAIR, Tier.GOOD, Tier.GOOD, "", OverrideKind.AFFIRMATION, ""),
    "冯雪梅": ("88.10", Tier.GOOD, Tier.FAIR, Tier.FAIR, "", None, "quota_cut"),
    "陈立新": ("86.00", Tier.GOOD, Tier.GOOD, Tier.FAIR, "", None, ""),
}


async def _confirmed_quarter(database) -> None:
    """The example roster, and a confirmed third quarter stored as the computation leaves it: a veto, an
    affirmation, an exemption, a cut by the quota and a change by the leadership among ordinary rows."""
    await import_roster(database, EXAMPLES / "roster.csv")
    async with database.session() as session:
        people = (await session.scalars(select(Person))).all()
        assessment = Assessment(year=2026, quarter=3, status=AssessmentStatus.CONFIRMED)
        session.add(assessment)
        await session.flush()
        for person in people:
            if not person.is_ratee or person.category is not Category.CIVIL_SERVANT:
                continue
            composite, score_tier, proposed, final, exempt, override, flags = SPECIAL.get(
                person.name, ("80.00", Tier.FAIR, Tier.FAIR, Tier.FAIR, "", None, "")
            )
            session.add(
                ResultRecord(
                    assessment_id=assessment.id,
                    person_id=person.id,
                    category=person.category,
                    principal_score=Decimal(composite),
                    supervisor_score=Decimal("90.5"),
                    peer_score=Decimal("77.25"),
                    principal_ballots=1,
                    supervisor_ballots=1,
                    peer_ballots=9,
                    composite=Decimal(composite),
                    exempt_reasons=exempt,
                    override=override,
                    score_tier=score_tier,
                    proposed_tier=proposed,
                    final_tier=final,
                    flags=flags,
                )
            )
            of = {"assessment_id": assessment.id, "person_id": person.id}
            if override is not None:
                session.add(Override(**of, kind=override, ground=f"{override.value}:1", reason="测试依据"))
            if exempt:
                session.add(Exemption(**of, kind=ExemptionKind.EXEMPT, reason="借调市政府办公室"))
            if person.name == "陈立新":
                session.add(TierDecision(**of, tier=Tier.FAIR, reason="同分，班子研究"))
        session.add(
            Confirmation(
                assessment_id=assessment.id, round=1, confirmed_at=dt.datetime(2026, 10, 20, 2, tzinfo=dt.UTC)
            )
        )


def _print_setup(sheet, *, landscape: bool, title_rows: str | None) -> None:
    setup = sheet.page_setup
    assert setup.orientation == ("landscape" if landscape else "portrait")
    assert int(setup.paperSize) == 9  # A4
    assert (int(setup.fitToWidth), int(setup.fitToHeight)) == (1, 0)  # one page wide, as long as it takes
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == title_rows
    assert "&P" in sheet.oddFooter.center.text and "&N" in sheet.oddFooter.center.text


async def test_the_filing_workbook_prints_on_a4_with_the_persons_columns(database, database_url):
    await _confirmed_quarter(database)
    settings = load_settings(database={"url": database_url})
    async with database.session() as session:
        made = await plan(Repository(session), settings, ExportKind.FILING, Period(2026, quarter=Q3), MADE_ON)
    (built,) = await build(made)
    book = load_workbook(io.BytesIO(built.data))
    assert book.sheetnames == ["考核结果", "汇总"]
    sheet = book["考核结果"]
    _print_setup(sheet, landscape=True, title_rows="$1:$3")
    _print_setup(book["汇总"], landscape=False, title_rows=None)
    assert sheet["A1"].value == "2026年第三季度平时考核结果（公务员）"
    heading = [c.value for c in sheet[2] if c.value]
    assert heading == [f"填报单位：{settings.bureau_name}", "填报日期：2026年10月21日"]
    summary = [r[0] for r in book["汇总"].iter_rows(values_only=True)]
    assert f"填报单位：{settings.bureau_name}" in summary and "填报日期：2026年10月21日" in summary
    assert sheet.freeze_panes == "C4"

    header = [c.value for c in sheet[3]]
    assert header[:7] == ["序号", "姓名", "性别", "出生年月", "政治面貌", "科室", "职务"]
    assert header[13:17] == ["按分数等次", "拟定等次", "审定等次", "说明"]
    rows = {r[1].value: dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=4)}
    roster = {r["姓名"]: r for r in csv.DictReader((EXAMPLES / "roster.csv").open(encoding="utf-8-sig"))}
    civil = {
        n
        for n, r in roster.items()
        if r["人员身份类别"] == "公务员" and r["角色"] not in ("主要领导", "分管领导") and r["在职"] != "否"
    }
    assert set(rows) == civil
    for name, cells in rows.items():
        assert cells["性别"].value == roster[name]["性别"]
        assert cells["政治面貌"].value == roster[name]["政治面貌"]
        born = cells["出生年月"]
        assert born.is_date and born.number_format == "yyyy.mm"
        assert f"{born.value:%Y-%m}" == roster[name]["出生年月"]
        for column in ("主要领导评分", "主管领导评分", "群众评分", "综合得分"):
            cell = cells[column]  # a number shown with two decimals, not a text '94.00'
            assert cell.data_type == "n" and isinstance(cell.value, int | float)
            assert cell.number_format == "0.00"
        assert isinstance(cells["群众票数"].value, int) and cells["群众票数"].value == 9
        assert Decimal(str(cells["综合得分"].value)) == Decimal(SPECIAL.get(name, ("80.00",))[0])

    def shown(name: str) -> tuple:
        return tuple(rows[name][c].value for c in ("按分数等次", "拟定等次", "审定等次", "说明", "提示"))

    # exempt: no tier of any kind, the reason said where the final tier would be explained
    assert shown("吴晓燕") == (
        "—",
        "只写评语",
        "只写评语",
        "只写评语，不确定等次：经局领导班子研究决定（借调市政府办公室）",
        None,
    )
    veto = shown("周明远")
    assert (
        veto[:3] == ("好", "较差", "较差")
        and veto[3].startswith("一票否决：")
        and veto[3].endswith("（测试依据）")
    )
    affirmed = shown("郑海涛")
    assert affirmed[:3] == ("较好", "好", "好") and affirmed[3].startswith("一票肯定：")
    # the quota cut explains why the proposal is not the score's tier, once: not again under 提示
    assert shown("冯雪梅") == ("好", "较好", "较好", "超出“好”等次比例，拟为较好", None)
    assert shown("陈立新") == ("好", "好", "较好", "班子调整：同分，班子研究", None)
    assert shown("周明远")[4] is None and rows["周明远"]["说明"].alignment.wrap_text


def test_results_and_templates_keep_numbers_as_numbers_on_named_sheets(tmp_path, cli):
    path = write_table(
        tmp_path / "results.xlsx",
        ["姓名", "综合得分", "票数", "名次"],
        [["甲", Decimal("94.00"), 9, None], ["乙", Decimal("87.5"), 10, 2]],
        "考核结果",
    )
    sheet = load_workbook(path)["考核结果"]
    score, count = sheet["B2"], sheet["C2"]
    assert (score.data_type, score.value, score.number_format) == ("n", 94, "0.00")
    assert sheet["B3"].number_format == "0.0" and count.value == 9 and sheet["D2"].value is None
    assert sheet.freeze_panes == "A2" and sheet.print_title_rows == "$1:$1"
    assert read_table(path).rows[0][1]["综合得分"] == 94  # our own import reads the number back
    csv_path = write_table(tmp_path / "results.csv", ["综合得分"], [[Decimal("94.00")]])
    assert csv_path.read_text(encoding="utf-8-sig").splitlines()[1] == "94.00"  # the CSV keeps the decimals
    assert write_table(tmp_path / "x.xlsx", ["甲"], []).exists()
    assert load_workbook(tmp_path / "x.xlsx").sheetnames == ["x"]  # unnamed by the caller: after the file
    assert cli("roster-template", "-o", tmp_path / "r.xlsx")[0] == 0
    assert load_workbook(tmp_path / "r.xlsx").sheetnames == ["花名册"]


def test_the_progress_chart_marks_the_deadline_and_steps_with_the_bars():
    submitted = tuple(
        dt.datetime(2026, 9, 28, 9, tzinfo=TZ) + dt.timedelta(days=d % 4 * 2, hours=d % 5) for d in range(30)
    )
    deadline = dt.datetime(2026, 10, 12, 18, tzinfo=TZ)
    progress = Submissions(2026, 9, 33, submitted, deadline)
    figure = Figure()
    charts.draw_progress(figure, progress, TZ, dt.date(2026, 10, 14))
    (axes,) = figure.axes
    lines = {line.get_label(): line for line in axes.get_lines()}
    cumulative = lines["累计已提交"]
    bars = axes.patches
    centres = [bar.get_x() + bar.get_width() / 2 for bar in bars]
    # the line's points are the bars' centres and it rises there (steps-post), not half a day before
    assert list(cumulative.get_xdata(orig=False)) == pytest.approx(centres)
    assert cumulative.get_drawstyle() == "steps-post"
    heights = [bar.get_height() for bar in bars]
    assert list(cumulative.get_ydata()) == [sum(heights[: i + 1]) for i in range(len(heights))]
    (marker,) = [line for label, line in lines.items() if label.startswith("截止")]
    assert lines["截止 10月12日18:00"] is marker
    day = charts.mdates.date2num(dt.date(2026, 10, 12))
    assert list(marker.get_xdata()) == [day + 0.5, day + 0.5]  # the end of the deadline's day
    assert any(t.get_text() == "截止" for t in axes.texts)
    assert max(centres) >= day + 1  # the days up to the deadline are drawn
    png = charts.progress_chart(progress, TZ, dt.date(2026, 10, 14))
    assert png.startswith(b"\x89PNG")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_prints_a_long_filing_one_page_wide_with_the_header_on_every_page(tmp_path):
    """A bureau of 90 civil servants: LibreOffice's PDF has every column on each page, the heading and
    the column header repeated, and 汇总 on its own page."""
    from tests.test_records import _filing

    filing = _filing()
    row = filing.rows[Category.CIVIL_SERVANT][0]
    filing.rows[Category.CIVIL_SERVANT] = [
        dataclasses.replace(row, header=dataclasses.replace(row.header, name=f"人员{i:02d}"))
        for i in range(90)
    ]
    path = tmp_path / "filing.xlsx"
    path.write_bytes(filing_workbook(filing, Category.CIVIL_SERVANT, "市行政审批服务局", MADE_ON))
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    pages = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "filing.pdf"), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\f")
    pages = [p for p in pages if p.strip()]
    assert len(pages) == 4  # three of people, one of 汇总
    for number, page in enumerate(pages[:3], start=1):
        assert "填报单位：市行政审批服务局" in page and "填报日期：2026年10月21日" in page
        assert "序号" in page and "本人意见" in page  # the header, to its last column, on one line
        assert f"第 {number} 页，共 4 页" in page
    assert "人员89" in pages[2] and "“好”等次比例核对" in pages[3]
