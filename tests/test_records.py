"""The records: Form 1 and Form 2 (.docx), filing workbooks and the annual report (.xlsx), charts (PNG).

Files are opened with python-docx and openpyxl, as the bureau's clerks would open them in Word and Excel.
"""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import datetime as dt
import io
import warnings
import zipfile
from collections import Counter
from decimal import Decimal

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

from bot.records import charts
from bot.records.annual import annual_report
from bot.records.contents import Filing, FilingRow, Header, MonthlyForm, QuarterForm, Review, Submissions
from bot.records.documents import form1, form2
from bot.records.exports import ExportFile, ExportKind, Period, bundle, plan
from bot.records.workbooks import annual_workbook, filing_workbook
from bot.rendering import render
from bot.rules.domain import (
    AssessmentStatus,
    Category,
    ExemptionKind,
    ExemptReason,
    Quarter,
    RaterGroup,
    ReviewStatus,
    Role,
    Tier,
)
from bot.rules.tiers import QuotaCheck
from storage.database import Database
from storage.models import (
    Assessment,
    Confirmation,
    Exemption,
    MonthlySummary,
    Person,
    Registration,
    RegistrationItem,
    ResultRecord,
    Section,
    SummaryItem,
)
from storage.repository import Repository
from tests.conftest import EXAMPLES

BUREAU = "市行政审批服务局"
HEADER = Header(
    "周明远",
    "男",
    dt.date(1985, 3, 1),
    "中共党员",
    dt.date(2019, 6, 1),
    dt.date(2008, 7, 1),
    "科长",
    "综合科",
)
TIER_WORDS = {Tier.GOOD: "好", Tier.FAIR: "较好", Tier.AVERAGE: "一般", Tier.POOR: "较差"}
# The footnotes of the plan's annexes 1 and 2, word for word (the seed's text, one line each)
ANNEX_1_FOOTNOTE = (
    "备注：此表由干部职工本人填写，条目式列举当月主要工作完成情况，由直接领导签字确认后存入平时考核档案。"
)
ANNEX_2_FOOTNOTE = (
    "备注：考核期根据单位考核方案填写，如“2020年第三季度”、“2020年7—8月”，考核期工作实绩采取条目式列举"
    "形式填写，由单位评定等次并加盖公章后存入平时考核档案。"
)
# The annexes' header labels, with their own line breaks ("任现职/时  间", "参加工作/时  间")
ANNEX_ROW_1 = ["姓  名", "性  别", "出生年月"]
ANNEX_ROW_2 = ["政治面貌", "任现职\n时  间", "参加工作\n时  间"]
ITEMS = tuple(f"牵头办理第{i}批企业开办审批事项，按时办结率100%。" for i in range(1, 9))


def document_text(data: bytes) -> tuple[list[str], list[list[str]]]:
    """The paragraphs and the table (row by row, merged cells once) of a .docx."""
    document = Document(io.BytesIO(data))
    paragraphs = [p.text for p in document.paragraphs if p.text]
    rows = []
    for row in document.tables[0].rows:
        cells = []
        for cell in row.cells:
            if not cells or cell.text != cells[-1]:
                cells.append(cell.text)
        rows.append(cells)
    return paragraphs, rows


# --- the documents from plain data ----------------------------------------------------------------


def test_form1_is_laid_out_like_annex_1():
    review = Review(ReviewStatus.APPROVED, "工作扎实", "钱卫东", dt.date(2026, 10, 8))
    data = form1(MonthlyForm(HEADER, 2026, 9, ITEMS, review, "无"), BUREAU)
    paragraphs, rows = document_text(data)
    assert paragraphs[0] == "市行政审批服务局干部职工月工作小结" and paragraphs[1] == "（2026年9月）"
    assert rows[0] == ["姓  名", "周明远", "性  别", "男", "出生年月", "1985.03"]
    assert rows[1] == ["政治面貌", "中共党员", "任现职\n时  间", "2019.06", "参加工作\n时  间", "2008.07"]
    assert rows[2] == ["职  务", "科长"]
    assert rows[3][0] == "月\n工\n作\n小\n结"
    assert rows[3][1].split("\n") == [f"{i}. {text}" for i, text in enumerate(ITEMS, start=1)]
    assert rows[4] == ["直接领导\n审核意见", "同意。工作扎实\n审核人：钱卫东    2026年10月8日"]
    assert rows[5] == ["备  注", "无"]
    assert paragraphs[-1] == ANNEX_1_FOOTNOTE
    section = Document(io.BytesIO(data)).sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)


def test_form1_not_yet_reviewed_leaves_the_opinion_blank():
    review = Review(ReviewStatus.SUBMITTED, None, None, None)
    _paragraphs, rows = document_text(form1(MonthlyForm(HEADER, 2026, 9, ITEMS[:2], review, None), BUREAU))
    assert rows[4] == ["直接领导\n审核意见", ""] and rows[5] == ["备  注", ""]
    # resubmitted after a return: the return's opinion, reviewer and date are not this version's
    review = Review(ReviewStatus.SUBMITTED, "请补充档案整理", "钱卫东", dt.date(2026, 10, 8))
    _paragraphs, rows = document_text(form1(MonthlyForm(HEADER, 2026, 9, ITEMS[:2], review, None), BUREAU))
    assert rows[4] == ["直接领导\n审核意见", ""]


def test_names_typed_by_people_make_no_folders_and_texts_make_no_formulas():
    from bot.records.exports import name

    assert name("person_file", "form1", 1, "综合科", "../周/明远") == "001-综合科-.._周_明远-月工作小结.docx"
    filing = _filing()
    row = filing.rows[Category.CIVIL_SERVANT][0]
    filing.rows[Category.CIVIL_SERVANT][0] = dataclasses.replace(
        row, header=dataclasses.replace(row.header, name='=HYPERLINK("http://x","甲")')
    )
    book = load_workbook(io.BytesIO(filing_workbook(filing, Category.CIVIL_SERVANT)))
    cell = book["考核结果"]["B4"]
    assert cell.value == '=HYPERLINK("http://x","甲")' and cell.data_type == "s"


def test_form2_carries_the_tier_sentence_and_the_date():
    review = Review(ReviewStatus.APPROVED, None, "钱卫东", dt.date(2026, 10, 9))
    form = QuarterForm(
        HEADER, Quarter(2026, 3), ITEMS[:3], Tier.GOOD, dt.date(2026, 10, 20), (), None, review, None
    )
    paragraphs, rows = document_text(form2(form, BUREAU))
    assert paragraphs[0] == "市行政审批服务局干部职工平时考核登记表"
    assert rows[:2] == [
        ["姓  名", "周明远", "性  别", "男", "出生年月", "1985.03"],
        ["政治面貌", "中共党员", "任现职\n时  间", "2019.06", "参加工作\n时  间", "2008.07"],
    ]
    assert rows[3] == ["考核期", "2026年第三季度"]  # as the annex's footnote has it
    assert rows[4][1].split("\n") == [f"{i}. {text}" for i, text in enumerate(ITEMS[:3], start=1)]
    assert rows[5][0] == "评\n定\n等\n次"
    assert rows[5][1].split("\n") == ["经研究，评定为“好”等次。", "（单位公章）", "2026年10月20日"]
    assert rows[6] == ["备  注", "主管领导审核：同意。（钱卫东，2026年10月9日）"]
    assert paragraphs[-1] == ANNEX_2_FOOTNOTE


def test_form2_of_an_exempt_person_carries_the_comment_instead_of_a_tier():
    form = QuarterForm(
        HEADER,
        Quarter(2026, 3),
        ITEMS[:1],
        None,
        dt.date(2026, 10, 20),
        (ExemptReason.PROBATION,),
        "勤勉敬业",
        None,
        None,
    )
    _paragraphs, rows = document_text(form2(form, BUREAU))
    lines = rows[5][1].split("\n")
    assert lines[0] == "根据有关规定，本季度参加考核只写评语，不确定等次（试用期内）。"
    assert lines[1] == "评语：勤勉敬业" and "评定为" not in rows[5][1]


def test_form2_of_a_person_without_registration_says_so_and_keeps_the_tier():
    form = QuarterForm(
        HEADER, Quarter(2026, 3), (), Tier.FAIR, dt.date(2026, 10, 20), (), None, None, None, registered=False
    )
    _paragraphs, rows = document_text(form2(form, BUREAU))
    assert rows[4][1] == "（本人未提交考核期工作实绩登记）"
    assert rows[5][1].split("\n") == ["经研究，评定为“较好”等次。", "（单位公章）", "2026年10月20日"]


def _parts(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist() if name.endswith(".xml")}


def test_both_forms_declare_simplified_chinese_and_keep_labels_whole():
    """zh-CN, not python-docx's ja-JP, for East Asian text; fonts named outright; labels never wrap."""
    from docx.oxml.ns import qn

    review = Review(ReviewStatus.APPROVED, None, "钱卫东", dt.date(2026, 10, 9))
    documents = [
        form1(MonthlyForm(HEADER, 2026, 9, ITEMS, review, None), BUREAU),
        form2(QuarterForm(HEADER, Quarter(2026, 3), ITEMS, Tier.GOOD, None, (), None, review, None), BUREAU),
    ]
    for data in documents:
        parts = _parts(data)
        assert '<w:themeFontLang w:val="en-US" w:eastAsia="zh-CN"/>' in parts["word/settings.xml"]
        assert "ja-JP" not in parts["word/settings.xml"] + parts["word/styles.xml"]
        document = Document(io.BytesIO(data))
        languages = list(document.styles.element.iter(qn("w:lang")))
        assert languages and {x.get(qn("w:eastAsia")) for x in languages} == {"zh-CN"}
        defaults = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault"))
        fonts = defaults.find(qn("w:rPr")).find(qn("w:rFonts"))
        assert fonts.get(qn("w:eastAsia")) == "SimSun" and fonts.get(qn("w:eastAsiaTheme")) is None
        runs = [r for p in document.paragraphs for r in p.runs]
        cells = [c for row in document.tables[0].rows for c in row.cells]
        runs += [r for c in cells for p in c.paragraphs for r in p.runs]
        assert runs and all(r.element.rPr.rFonts.get(qn("w:eastAsia")) for r in runs)
        table = document.tables[0]
        labels = [table.rows[0].cells[i] for i in (0, 2, 4)] + [table.rows[1].cells[i] for i in (0, 2, 4)]
        assert [c.text for c in labels] == ANNEX_ROW_1 + ANNEX_ROW_2
        for cell in labels + [row.cells[0] for row in table.rows[2:]]:
            properties = cell._tc.tcPr
            assert properties.find(qn("w:noWrap")) is not None, cell.text
            tags = [child.tag for child in properties]  # the schema's order: noWrap before vAlign
            assert tags.index(qn("w:noWrap")) < tags.index(qn("w:vAlign"))
        widths = [round(table.rows[0].cells[i].width.cm, 1) for i in range(6)]
        assert sum(widths) == pytest.approx(16.0) and min(widths[0], widths[2], widths[4]) >= 2.3


def test_an_unconfirmed_form2_leaves_the_tier_and_date_to_fill_in():
    form = QuarterForm(HEADER, Quarter(2026, 3), (), None, None, (), None, None, None)
    _paragraphs, rows = document_text(form2(form, BUREAU))
    assert rows[5][1].split("\n") == ["经研究，评定为“          ”等次。", "（单位公章）", "年    月    日"]


# --- bundles and charts ---------------------------------------------------------------------------


def test_a_bundle_is_split_into_zips_under_the_limit():
    files = [ExportFile(f"{i:03d}.docx", bytes([i]) * 30_000, "x") for i in range(10)]
    zips = bundle(files, lambda part, parts: f"bundle-{part}-of-{parts}.zip", limit=100_000)
    assert [z.name for z in zips] == [f"bundle-{i}-of-4.zip" for i in range(1, 5)]
    names = []
    for archive in zips:
        assert len(archive.data) < 100_000
        names += zipfile.ZipFile(io.BytesIO(archive.data)).namelist()
    assert names == [f.name for f in files]


def _filing() -> Filing:
    def row(name: str, composite: str, tier: Tier | None, exempt: tuple = ()) -> FilingRow:
        score = Decimal(composite) if composite else None
        return FilingRow(
            Header(name, "", None, "", None, None, "科员", "综合科"),
            {g: score for g in RaterGroup},
            {g: 3 for g in RaterGroup},
            score,
            None,
            tier,
            tier,
            tier,
            None,
            None,
            None,
            None,
            exempt,
            None,
            (),
        )

    rows = {
        Category.CIVIL_SERVANT: [
            row("甲", "91.5", Tier.GOOD),
            row("乙", "80", Tier.FAIR),
            row("丙", "", None, ("probation",)),
        ],
        Category.INSTITUTION: [row("丁", "58.25", Tier.POOR), row("戊", "88", Tier.GOOD)],
    }
    quota = {
        Category.CIVIL_SERVANT: QuotaCheck(Category.CIVIL_SERVANT, 2, 1, 1, 0),
        Category.INSTITUTION: QuotaCheck(Category.INSTITUTION, 2, 1, 1, 0),
    }
    return Filing(
        Quarter(2026, 3),
        AssessmentStatus.CONFIRMED,
        True,
        dt.date(2026, 10, 20),
        rows,
        quota,
        (Decimal(85), Decimal(75), Decimal(60)),
    )


def test_charts_render_with_every_chinese_glyph():
    """A missing glyph is a warning from matplotlib; here any warning fails the test."""
    progress = Submissions(
        2026, 9, 5, tuple(dt.datetime(2026, 9, 29 + d // 3, 9, tzinfo=dt.UTC) for d in range(4))
    )
    tz = dt.timezone(dt.timedelta(hours=8))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        images = [
            charts.tiers_chart(_filing()),
            charts.composite_chart(_filing()),
            charts.progress_chart(progress, tz, dt.date(2026, 10, 9)),
            charts.progress_chart(Submissions(2026, 10, 5), tz),
        ]
    assert charts.chinese_font() in charts.CJK_FONTS
    for image in images:
        assert image.startswith(b"\x89PNG\r\n\x1a\n") and len(image) > 10_000


# --- a known quarter, from the database, through the command line ---------------------------------


async def _fill_the_quarter(database_url: str) -> dict[str, Person]:
    """Summaries for September, registrations, one person exempted, and the leadership's confirmation."""
    database = Database(database_url)
    try:
        async with database.session() as session:
            people = {p.name: p for p in (await session.scalars(select(Person))).all()}
            assessment = await session.scalar(
                select(Assessment).where(Assessment.year == 2026, Assessment.quarter == 3)
            )
            reviewer = people["钱卫东"]
            reviewed = dt.datetime(2026, 10, 8, 2, 0, tzinfo=dt.UTC)
            for name in ("周明远", "吴晓燕"):
                summary = MonthlySummary(
                    person_id=people[name].id,
                    year=2026,
                    month=9,
                    status=ReviewStatus.APPROVED,
                    submissions=1,
                    submitted_at=reviewed - dt.timedelta(days=7),
                    reviewer_id=reviewer.id,
                    opinion="工作扎实",
                    reviewed_at=reviewed,
                )
                session.add(summary)
                await session.flush()
                for position, text in enumerate(ITEMS[:5], start=1):
                    session.add(SummaryItem(summary_id=summary.id, position=position, text=f"{name}：{text}"))
                registration = Registration(
                    assessment_id=assessment.id,
                    person_id=people[name].id,
                    status=ReviewStatus.APPROVED,
                    submissions=1,
                    submitted_at=reviewed,
                    reviewer_id=reviewer.id,
                    reviewed_at=reviewed,
                    opinion="勤勉敬业，表现良好" if name == "吴晓燕" else None,
                )
                session.add(registration)
                await session.flush()
                session.add(
                    RegistrationItem(registration_id=registration.id, position=1, text=f"{name}的季度实绩")
                )
            session.add(
                Exemption(
                    assessment_id=assessment.id,
                    person_id=people["吴晓燕"].id,
                    kind=ExemptionKind.EXEMPT,
                    reason="借调市政府办公室",
                )
            )
        return people
    finally:
        await database.dispose()


async def _confirm(database_url: str) -> dict[str, Tier | None]:
    """What the leadership's confirmation writes: final tiers within the quota, the date, the status."""
    database = Database(database_url)
    try:
        async with database.session() as session:
            assessment = await session.scalar(
                select(Assessment).where(Assessment.year == 2026, Assessment.quarter == 3)
            )
            people = {p.id: p.name for p in (await session.scalars(select(Person))).all()}
            finals = {}
            for row in (
                await session.scalars(select(ResultRecord).where(ResultRecord.assessment_id == assessment.id))
            ).all():
                row.final_tier = None if row.exempt_reasons else (row.proposed_tier or Tier.FAIR)
                finals[people[row.person_id]] = row.final_tier
            session.add(
                Confirmation(
                    assessment_id=assessment.id,
                    round=1,
                    confirmed_at=dt.datetime(2026, 10, 20, 2, 0, tzinfo=dt.UTC),
                )
            )
            assessment.status = AssessmentStatus.CONFIRMED
        return finals
    finally:
        await database.dispose()


async def _quarter_missing_registrations(database: Database) -> None:
    """Q3 confirmed, nothing else of the year: 甲 registered, 乙 only drafted his, 丙 exempt without one."""
    async with database.session() as session:
        section = Section(name="综合科")
        session.add(section)
        await session.flush()
        people = {}
        for name in ("甲", "乙", "丙"):
            people[name] = Person(
                name=name,
                birth_month=dt.date(1990, 1, 1),
                role=Role.STAFF,
                category=Category.CIVIL_SERVANT,
                section_id=section.id,
            )
            session.add(people[name])
        assessment = Assessment(year=2026, quarter=3, status=AssessmentStatus.FINAL)
        session.add(assessment)
        await session.flush()
        for name, tier, exempt in (("甲", Tier.GOOD, ""), ("乙", Tier.GOOD, ""), ("丙", None, "admin")):
            session.add(
                ResultRecord(
                    assessment_id=assessment.id,
                    person_id=people[name].id,
                    category=Category.CIVIL_SERVANT,
                    exempt_reasons=exempt,
                    final_tier=tier,
                )
            )
        submitted = dt.datetime(2026, 9, 30, 2, 0, tzinfo=dt.UTC)
        for name, status in (("甲", ReviewStatus.APPROVED), ("乙", ReviewStatus.DRAFT)):
            registration = Registration(
                assessment_id=assessment.id,
                person_id=people[name].id,
                status=status,
                submitted_at=submitted if status is ReviewStatus.APPROVED else None,
            )
            session.add(registration)
            await session.flush()
            session.add(RegistrationItem(registration_id=registration.id, position=1, text=f"{name}的实绩"))
        session.add(
            Exemption(
                assessment_id=assessment.id,
                person_id=people["丙"].id,
                kind=ExemptionKind.EXEMPT,
                reason="借调",
            )
        )
        session.add(Confirmation(assessment_id=assessment.id, round=1, confirmed_at=submitted))


async def test_form2_and_the_annual_report_of_a_quarter_without_every_registration(database, settings):
    settings.start.first_month = "2026-01"  # the bot took part all year: only Q3 is assessed yet
    await _quarter_missing_registrations(database)
    async with database.session() as session:
        repo = Repository(session)
        made = await plan(repo, settings, ExportKind.FORM2, Period(2026, quarter=Quarter(2026, 3)))
        report = await annual_report(repo, settings, 2026)

    # Form 2 of a person with no registration handed in (a draft is not one): said in place of the
    # items, the tier still the leadership's; the exempt one's too, with his comment and no tier
    forms = {part.name.split("-")[2]: document_text(part.build())[1] for part in made.parts}
    assert forms["甲"][4][1] == "1. 甲的实绩"
    assert forms["乙"][4][1] == "（本人未提交考核期工作实绩登记）"
    assert forms["乙"][5][1].startswith("经研究，评定为“好”等次。")
    assert forms["丙"][4][1] == "（本人未提交考核期工作实绩登记）"
    assert forms["丙"][5][1].split("\n")[:2] == [
        "根据有关规定，本季度参加考核只写评语，不确定等次（经局领导班子研究决定）。",
        "评语：借调",
    ]
    # and the export says who, in chat and on the command line
    assert made.unregistered == [("丙", True), ("乙", False)]
    note = "未提交平时考核登记表，登记表中考核期工作实绩为空（2人）：丙（只写评语）、乙"
    done = render(
        "chat/admin/export_done.j2",
        kind=ExportKind.FORM2,
        period=Period(2026, quarter=Quarter(2026, 3)),
        files=["a.zip"],
        items=3,
        unregistered=made.unregistered,
    )
    assert f"注意：{note}" in done.splitlines()
    assert f"注意：{note}" in render(
        "cli/exported.j2", quarter=Quarter(2026, 3), paths=["a"], unregistered=made.unregistered
    )

    # the annual report after Q3 alone: marked as the year so far; no honours, so not 优秀
    assert report.through == 3 and not report.complete
    book = load_workbook(io.BytesIO(annual_workbook(report)))
    sheet = book.worksheets[0]
    assert sheet["A1"].value == "2026年度平时考核结果与年度考核联动（截至第三季度）"
    header = [c.value for c in sheet[2]]
    lines = {r[1]: dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=3, values_only=True)}
    assert (lines["甲"]["年度考核建议"], lines["甲"]["评先树优资格"]) == ("年度考核可优先确定为优秀", "保留")
    assert lines["甲"]["依据"] == "定等次的1个季度为“好”等次"
    assert (lines["乙"]["第三季度"], lines["乙"]["评先树优资格"]) == ("好（未按规定参加）", "取消")
    assert lines["乙"]["年度考核建议"] == "年度考核不能确定为优秀"
    assert lines["乙"]["依据"] == (
        "定等次的1个季度为“好”等次；第三季度未按规定参加平时考核（未按时提交平时考核登记表），取消评先树优资格"
    )
    assert (lines["丙"]["第三季度"], lines["丙"]["评先树优资格"]) == ("只写评语", "保留")
    summary = [r[0] for r in book["汇总"].iter_rows(values_only=True)]
    assert summary[0] == sheet["A1"].value
    assert summary[-1].startswith("说明：第四季度的平时考核结果尚未确定，本表为截至第三季度的情况")


@pytest.mark.slow
def test_a_known_quarter_exports_forms_workbooks_annual_report_and_charts(cli, database_url, tmp_path):
    assert cli("import-roster", EXAMPLES / "roster.csv")[0] == 0
    assert cli("import-ballots", "2026Q3", EXAMPLES / "ballots-2026Q3.csv")[0] == 0
    asyncio.run(_fill_the_quarter(database_url))
    assert cli("close-rating", "2026Q3")[0] == 0  # computes and stores the proposal
    finals = asyncio.run(_confirm(database_url))
    out = tmp_path / "out"
    code, printed = cli("export", "2026Q3", "-o", out)
    assert code == 0, printed

    roster = list(csv.DictReader((EXAMPLES / "roster.csv").open(encoding="utf-8-sig")))
    by_name = {r["姓名"]: r for r in roster}

    # Form 1 of September: the two who handed in, header values from the roster, the items numbered
    month = out / "2026年9月干部职工月工作小结"
    assert sorted(p.name.split("-")[2] for p in month.glob("*.docx")) == sorted(["周明远", "吴晓燕"])
    (path,) = month.glob("*-周明远-*.docx")
    _paragraphs, rows = document_text(path.read_bytes())
    person = by_name["周明远"]
    assert (
        rows[0][1] == "周明远"
        and rows[0][3] == person["性别"]
        and rows[0][5] == person["出生年月"].replace("-", ".")
    )
    assert rows[2][1] == person["职务"]
    assert rows[3][1].split("\n")[0] == f"1. 周明远：{ITEMS[0]}"
    assert rows[4][1].endswith("审核人：钱卫东    2026年10月8日")
    assert zipfile.ZipFile(out / "2026年9月干部职工月工作小结.zip").namelist() == sorted(
        p.name for p in month.glob("*.docx")
    )
    assert not (out / "2026年7月干部职工月工作小结.zip").exists()  # nobody handed in July here

    # Form 2: everyone with a result; the tier sentence with the confirmation date; the exempt one's comment
    quarter_folder = out / "2026年第三季度干部职工平时考核登记表"
    assert len(list(quarter_folder.glob("*.docx"))) == len(finals)
    (path,) = quarter_folder.glob("*-周明远-*.docx")
    _paragraphs, rows = document_text(path.read_bytes())
    assert rows[4][1] == "1. 周明远的季度实绩"
    assert rows[5][1].split("\n") == [
        f"经研究，评定为“{TIER_WORDS[finals['周明远']]}”等次。",
        "（单位公章）",
        "2026年10月20日",
    ]
    (path,) = quarter_folder.glob("*-吴晓燕-*.docx")
    _paragraphs, rows = document_text(path.read_bytes())
    assert rows[5][1].split("\n")[:2] == [
        "根据有关规定，本季度参加考核只写评语，不确定等次（经局领导班子研究决定）。",
        "评语：勤勉敬业，表现良好",
    ]

    # the filing workbooks: one per category, exactly the roster's people of that category
    for label in ("公务员", "事业单位人员"):
        book = load_workbook(out / f"2026年第三季度平时考核结果-{label}.xlsx")
        sheet = book["考核结果"]
        assert sheet.freeze_panes == "C4" and sheet.print_title_rows == "$1:$3"
        header = [c.value for c in sheet[3]]
        assert header[:7] == ["序号", "姓名", "性别", "出生年月", "政治面貌", "科室", "职务"]
        assert "综合得分" in header and "审定等次" in header
        lines = [dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=4, values_only=True)]
        expected = {n for n, r in by_name.items() if r["人员身份类别"] == label and n in finals}
        assert {line["姓名"] for line in lines} == expected
        scored = [line for line in lines if line["综合得分"] is not None and line["审定等次"] != "只写评语"]
        assert scored and all(isinstance(line["综合得分"], float | int) for line in scored)
        assert [line["综合得分"] for line in scored] == sorted(
            (line["综合得分"] for line in scored), reverse=True
        )
        tiers = Counter(line["审定等次"] for line in lines)
        summary = {r[0]: r[1] for r in book["汇总"].iter_rows(values_only=True) if r and r[0]}
        assert summary["好"] == tiers["好"] and summary["较好"] == tiers["较好"]
        tiered = sum(1 for line in lines if line["审定等次"] != "只写评语")
        assert summary["参加定等次人数"] == tiered
        assert summary["“好”等次名额"] == int(Decimal(tiered) * Decimal("0.4"))
        assert summary["是否符合比例"] == ("是" if tiers["好"] <= summary["“好”等次名额"] else "否")
        if label == "公务员":
            (exempt,) = [line for line in lines if line["姓名"] == "吴晓燕"]
            assert exempt["审定等次"] == "只写评语" and exempt["按分数等次"] == "—"
            assert exempt["说明"] == "只写评语，不确定等次：经局领导班子研究决定（借调市政府办公室）"

    # the annual report: the third quarter's tiers and a recommendation with its reason
    book = load_workbook(out / "2026年度平时考核与年度考核联动.xlsx")
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[2]]
    lines = {r[1]: dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=3, values_only=True)}
    assert lines["吴晓燕"]["第三季度"] == "只写评语"
    poor = next(n for n, t in finals.items() if t is Tier.POOR)
    assert lines["周明远"]["第三季度"] == TIER_WORDS[finals["周明远"]]  # registered on time
    # no registration this quarter: the tier, and the loss of honours for not taking part as required
    assert lines[poor]["第三季度"] == "较差（未按规定参加）"
    assert lines[poor]["年度考核建议"] == "年度考核不能确定为优秀" and lines[poor]["评先树优资格"] == "取消"
    assert lines[poor]["依据"] == (
        "1个季度为“较差”等次；第三季度未按规定参加平时考核（未按时提交平时考核登记表），取消评先树优资格"
    )
    assert sheet["A1"].value == "2026年度平时考核结果与年度考核联动（截至第三季度）"

    # charts
    for name in ("各等次人数", "综合得分分布"):
        assert (out / f"2026年第三季度{name}.png").read_bytes().startswith(b"\x89PNG")
    assert (out / "2026年9月小结提交进度.png").exists()


def test_export_refuses_a_quarter_in_a_bad_form(cli, tmp_path):
    out_dir = tmp_path / "out"
    for args in (("2026Q9", "-o", out_dir), ("2026Q3", "--only", "nothing", "-o", out_dir)):
        code, out = cli("export", *args)  # argparse's refusal: exit code 2 and the usage line
        assert code == 2 and "usage:" in out, out
    assert not out_dir.exists()


def test_periods_parse_and_print():
    assert str(Period.parse("2026-09")) == "2026-09" and Period.parse("2026-9").month == 9
    assert Period.parse("2026Q3").quarter == Quarter(2026, 3) and str(Period.parse("2026")) == "2026"
    for bad in ("2026-13", "2026Q5", "abc", "26"):
        with pytest.raises(ValueError):
            Period.parse(bad)
