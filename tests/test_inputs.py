"""Input that cannot break anything: text cleaned on entry, records that write any stored text, numbers
in ASCII digits, periods within the years in use, import files within their limits, CSV without formulas.

The bot's own paths (chat) are in test_chat_inputs.py; here the rules, the record writers on any text,
the command line against a real database, and import files built byte by byte.
"""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from docx import Document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from bench.bombs import bomb_files
from bot.records.annual import AnnualLine, AnnualReport
from bot.records.contents import MonthlyForm, QuarterForm, Review
from bot.records.documents import form1, form2
from bot.records.spreadsheets import (
    MAX_BYTES,
    TableError,
    csv_text,
    formula_like,
    read_csv_bytes,
    read_table,
    read_xlsx_bytes,
    write_table,
)
from bot.records.workbooks import annual_workbook, filing_workbook
from bot.rules.domain import (
    AnnualRecommendation,
    Category,
    ExemptionKind,
    OverrideKind,
    Quarter,
    ReviewStatus,
    Tier,
)
from bot.rules.linkage import AnnualResult, QuarterOutcome
from bot.rules.periods import year_allowed
from bot.rules.text import ascii_number, clean_line, clean_text, typed_number
from storage.database import Database
from storage.models import (
    Assessment,
    Exemption,
    MonthlySummary,
    Override,
    Person,
    Registration,
    RegistrationItem,
    SummaryItem,
)
from tests.conftest import EXAMPLES
from tests.test_records import BUREAU, HEADER, _filing

# Every code point, lone surrogates included (hypothesis leaves them out by default), and the ones
# that broke the records, often.
NASTY = "\x00\x07\x08\x0b\x0c\x1b\x7f\x85\x9f\ud800\udfff\ufdd0\ufdef\ufffe\uffff\U0001fffe\U0010ffff\t\r"
any_text = st.one_of(
    st.text(st.characters(exclude_categories=()), max_size=60),
    st.text(st.sampled_from(NASTY + "好＝８ 甲\n"), min_size=1, max_size=20),
)


def opens_as_formula(cell: str) -> bool:
    """What a spreadsheet would run: a formula-like text without the guard."""
    return not cell.startswith("'") and formula_like(cell)


def squeezed(text: str) -> str:
    return re.sub(r"\s", "", text)


def forbidden(char: str) -> bool:
    code = ord(char)
    return (
        (code < 0x20 and char != "\n")
        or 0x7F <= code <= 0x9F
        or 0xD800 <= code <= 0xDFFF
        or 0xFDD0 <= code <= 0xFDEF
        or (code & 0xFFFE) == 0xFFFE
    )


# --- the rules ----------------------------------------------------------------------------------


@given(any_text)
def test_clean_text_leaves_nothing_a_record_cannot_hold_and_keeps_the_rest(text):
    cleaned = clean_text(text)
    assert not any(forbidden(c) for c in cleaned)
    assert clean_text(cleaned) == cleaned
    kept = [c for c in text if not forbidden(c)]
    assert [c for c in cleaned if c not in "\n "] == [c for c in kept if c not in "\n "]
    assert "\n" not in clean_line(text)


def test_clean_text_keeps_chinese_and_full_width_and_turns_tabs_and_line_ends():
    assert (
        clean_text("完成\x07审批\uffff，（全角）８５％ＡＢ\t一\r\n二\r三")
        == "完成审批，（全角）８５％ＡＢ 一\n二\n三"
    )
    assert clean_text("\x07\ufffe\ud800") == ""


def test_button_numbers_are_ascii_digits_and_typed_ones_may_be_full_width():
    for forged in ("²", "٣", "３", "", "-1", "+1", " 1", "1 ", "1.0", "9" * 10):
        assert ascii_number(forged) is None, forged
    assert ascii_number("07") == 7 and ascii_number("12") == 12
    assert typed_number("８５") == 85 and typed_number(" 85 ") == 85
    assert typed_number("٣") is None and typed_number("²") is None


def test_the_years_in_use_run_from_2000_to_next_year():
    today = dt.date(2026, 12, 1)
    assert [y for y in (0, 1999, 2000, 2026, 2027, 2028, 9999) if year_allowed(y, today)] == [
        2000,
        2026,
        2027,
    ]


# --- records write any stored text ----------------------------------------------------------------


def _docx_text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    return "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_text, any_text)
def test_every_record_writes_any_stored_text(text, other):
    """Rows stored before cleaning on entry (or by any other way) never make a record fail."""
    header = dataclasses.replace(HEADER, name=text or "甲", post_title=other, political_status=text)
    review = Review(ReviewStatus.APPROVED, text, other, dt.date(2026, 10, 8))
    data = form1(MonthlyForm(header, 2026, 9, (text, f"甲{other}乙"), review, text), BUREAU)
    assert squeezed(clean_text(f"甲{other}乙")) in squeezed(_docx_text(data))
    quarter_form = QuarterForm(
        header, Quarter(2026, 3), (text,), Tier.GOOD, dt.date(2026, 10, 20), (), other, review, text
    )
    Document(io.BytesIO(form2(quarter_form, BUREAU)))
    filing = _filing()
    row = filing.rows[Category.CIVIL_SERVANT][0]
    filing.rows[Category.CIVIL_SERVANT][0] = dataclasses.replace(
        row,
        header=header,
        override=OverrideKind.VETO,
        override_ground="1",
        override_reason=other,
        change_reason=text,
        exemption_reason=other,
    )
    book = load_workbook(io.BytesIO(filing_workbook(filing, Category.CIVIL_SERVANT)))
    assert book["考核结果"]["B4"].value in (clean_text(text or "甲"), None)
    result = AnnualResult(
        AnnualRecommendation.BASIC, 4, 1, 0, False, (QuarterOutcome(Quarter(2026, 3), Tier.GOOD),)
    )
    report = AnnualReport(2026, (AnnualLine(text, other, result),), {AnnualRecommendation.BASIC: 1}, 0)
    load_workbook(io.BytesIO(annual_workbook(report)))
    written = csv_text(["姓名", "理由"], [[f"甲{text}", other], [Decimal("1.5"), None]])
    (_line, row), (_line2, numbers) = read_csv_bytes(written.encode()).rows
    assert row == {"姓名": clean_line(f"甲{text}").strip(), "理由": clean_line(other).strip() or None}
    assert numbers == {"姓名": "1.5", "理由": None}
    assert not [c for r in csv.reader(io.StringIO(written)) for c in r if opens_as_formula(c)]


def test_csv_and_xlsx_tables_write_any_text(tmp_path):
    for suffix in ("csv", "xlsx"):
        path = write_table(tmp_path / f"t.{suffix}", ["姓名", "备注"], [["甲\x07乙", "\uffff丙\x1b"]])
        table = read_table(path)
        assert table.rows[0][1] == {"姓名": "甲乙", "备注": "丙"}, suffix


# --- the command line on stored text, real SQL ---------------------------------------------------

BAD = "\x07\uffff\x1b"


async def _store_bad_texts(database_url: str) -> None:
    """A control character in every stored text the records print, as rows kept before this fix."""
    database = Database(database_url)
    try:
        async with database.session() as session:
            people = {p.name: p for p in (await session.scalars(select(Person))).all()}
            assessment = await session.scalar(select(Assessment).where(Assessment.year == 2026))
            people["周明远"].post_title = f"科长{BAD}"
            reviewed = dt.datetime(2026, 10, 8, 2, 0, tzinfo=dt.UTC)
            summary = MonthlySummary(
                person_id=people["周明远"].id,
                year=2026,
                month=9,
                status=ReviewStatus.APPROVED,
                submissions=1,
                submitted_at=reviewed,
                reviewer_id=people["钱卫东"].id,
                opinion=f"同意{BAD}",
                reviewed_at=reviewed,
            )
            session.add(summary)
            await session.flush()
            session.add(SummaryItem(summary_id=summary.id, position=1, text=f"完成{BAD}审批"))
            registration = Registration(
                assessment_id=assessment.id,
                person_id=people["周明远"].id,
                status=ReviewStatus.SUBMITTED,
                submissions=1,
                submitted_at=reviewed,
            )
            session.add(registration)
            await session.flush()
            session.add(RegistrationItem(registration_id=registration.id, position=1, text=f"实绩{BAD}"))
            session.add(
                Exemption(
                    assessment_id=assessment.id,
                    person_id=people["吴晓燕"].id,
                    kind=ExemptionKind.EXEMPT,
                    reason=f"借调{BAD}",
                )
            )
            session.add(
                Override(
                    assessment_id=assessment.id,
                    person_id=people["郑海涛"].id,
                    kind=OverrideKind.VETO,
                    ground="1",
                    reason=f"理由{BAD}",
                )
            )
    finally:
        await database.dispose()


def test_the_command_line_exports_every_record_of_stored_control_characters(cli, database_url, tmp_path):
    assert cli("import-roster", EXAMPLES / "roster.csv")[0] == 0
    assert cli("import-ballots", "2026Q3", EXAMPLES / "ballots-2026Q3.csv")[0] == 0
    assert cli("close-rating", "2026Q3")[0] == 0  # nothing scored is exported while ballots are accepted
    asyncio.run(_store_bad_texts(database_url))
    code, out = cli(
        "export", "2026Q3", "-o", tmp_path, "--only", "results", "form1", "form2", "filing", "annual"
    )
    assert code == 0, out
    form = next(tmp_path.rglob("*周明远-月工作小结.docx"))
    assert "1. 完成审批" in _docx_text(form.read_bytes())
    assert list(tmp_path.rglob("*.xlsx")) and list(tmp_path.rglob("*.csv"))
    for path in tmp_path.rglob("*.csv"):
        assert not any(forbidden(c) for c in path.read_text(encoding="utf-8-sig").replace("\r", ""))


# --- periods typed on the command line --------------------------------------------------------------


@pytest.mark.parametrize("quarter", ["0000Q1", "9999Q4", "1999Q4"])
def test_the_command_line_refuses_a_quarter_outside_the_years_in_use(cli, quarter, tmp_path):
    for args in (("results", quarter), ("export", quarter, "-o", tmp_path), ("ballots-template", quarter)):
        code, out = cli(*args)
        assert code == 2, (args, out)
        assert "不在可办理的年份范围内" in out and "Traceback" not in out, out


def test_the_command_line_takes_a_quarter_typed_with_full_width_digits(cli):
    assert cli("import-roster", EXAMPLES / "roster.csv")[0] == 0
    assert cli("close-rating", "２０２６Ｑ３")[0] == 0
    code, out = cli("results", "２０２６Ｑ３")
    assert code == 0 and "2026" in out, out


# --- import files within their limits -----------------------------------------------------------


@pytest.mark.parametrize("name", sorted(bomb_files()))
def test_an_import_file_that_unfolds_past_the_limits_is_refused_before_it_is_read(name):
    data, code = bomb_files()[name]
    assert len(data) <= MAX_BYTES
    with pytest.raises(TableError) as refused:
        (read_csv_bytes if name.endswith(".csv") else read_xlsx_bytes)(data)
    assert refused.value.code == code


def test_the_command_line_refuses_a_bomb_with_a_reason(cli, tmp_path):
    path = tmp_path / "ballots.xlsx"
    path.write_bytes(bomb_files()["dimension.xlsx"][0])
    code, out = cli("import-ballots", "2026Q3", path, "--dry-run")
    assert code == 1 and "文件行数过多" in out, out
    path.write_bytes(bomb_files()["string.xlsx"][0])
    code, out = cli("import-roster", path, "--dry-run")
    assert code == 1 and "解压后过大" in out, out


def test_a_legitimate_workbook_still_reads():
    book = Workbook()
    book.active.append(["姓名", "出生年月"])
    for index in range(2_000):
        book.active.append([f"甲{index}", "1988-03"])
    buffer = io.BytesIO()
    book.save(buffer)
    table = read_xlsx_bytes(buffer.getvalue())
    assert len(table.rows) == 2_000 and table.rows[-1][1]["姓名"] == "甲1999"


# --- CSV without formulas --------------------------------------------------------------------------

DANGEROUS = [
    '=HYPERLINK("http://x","甲")',
    "+cmd|' /C calc'!A0",
    "@SUM(A1:A2)",
    "-2+3",
    "\t=1",
    "\r=1",
    " =1",
    "＝1",
    "'=1",
]


def test_every_csv_cell_that_would_be_a_formula_is_guarded_and_reads_back(tmp_path):
    rows = [[text, 7] for text in DANGEROUS] + [["'普通", -1], ["普通", None]]
    path = write_table(tmp_path / "t.csv", ["姓名", "职务"], rows)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        raw = list(csv.reader(handle))
    assert not [cell for row in raw for cell in row if opens_as_formula(cell) and cell != "-1"]
    assert [r[0] for r in raw[1:]] == ["'" + clean_text(t) for t in DANGEROUS] + ["'普通", "普通"]
    back = read_table(path)
    assert [r["姓名"] for _line, r in back.rows] == [clean_line(t).strip() for t in DANGEROUS] + [
        "'普通",
        "普通",
    ]


def _roster_with_formula_names(path) -> dict[str, str]:
    """The example roster with three names and a post title a spreadsheet would take for formulas."""
    renamed = {"吴晓燕": "=吴晓燕", "郑海涛": "@郑海涛", "冯雪梅": "-冯雪梅"}
    with open(EXAMPLES / "roster.csv", encoding="utf-8-sig") as source:
        rows = list(csv.reader(source))
    title = rows[0].index("职务")
    for row in rows[1:]:
        if row[0] in renamed:
            row[0] = renamed[row[0]]
            row[title] = "+cmd|' /C calc'!A0"
    with open(path, "w", encoding="utf-8", newline="") as target:
        csv.writer(target).writerows(rows)
    return renamed


def test_the_ballot_template_and_results_csv_guard_formulas_and_the_template_imports_again(cli, tmp_path):
    roster = tmp_path / "roster.csv"
    renamed = _roster_with_formula_names(roster)
    assert cli("import-roster", roster)[0] == 0
    template = tmp_path / "ballots.csv"
    code, out = cli("ballots-template", "2026Q3", "-o", template)
    assert code == 0, out
    with template.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert not [cell for row in rows for cell in row if opens_as_formula(cell)]
    assert any(cell == "'=吴晓燕" for row in rows for cell in row)
    score, maximum = rows[0].index("得分"), rows[0].index("满分")
    for row in rows[1:]:
        row[score] = row[maximum]  # the clerk types the scores, nothing else
    with template.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)
    code, out = cli("import-ballots", "2026Q3", template)
    assert code == 0, out
    assert cli("close-rating", "2026Q3")[0] == 0
    code, out = cli("results", "2026Q3", "--format", "csv")
    assert code == 0, out
    cells = [cell for row in csv.reader(io.StringIO(out)) for cell in row]
    assert not [cell for cell in cells if opens_as_formula(cell)]
    for name in renamed.values():
        assert "'" + name in cells, name
    output = tmp_path / "results.csv"
    assert cli("results", "2026Q3", "--format", "csv", "-o", output)[0] == 0
    back = read_table(output)
    assert {r["姓名"] for _line, r in back.rows} >= set(renamed.values())
