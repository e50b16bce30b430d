"""The filing workbooks (one per staff category) and the annual linkage report, as .xlsx."""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Sequence
from functools import partial
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.records.annual import AnnualReport
from bot.records.contents import Filing
from bot.records.spreadsheets import as_text, number_formats, print_setup, xlsx_row
from bot.rendering import display_width, macro
from bot.rules.domain import Category, Flag, RaterGroup, Tier

MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(vertical="center", wrap_text=True)
CENTRE = Alignment(horizontal="center", vertical="center")
MIDDLE = Alignment(vertical="center")
LINE_HEIGHT = 15  # points, a line of 11-point text
MONTH_FORMAT = "yyyy.mm"  # a birth month as the forms write it, 1985.03

text = partial(macro, "records/workbook.j2")

FILING_COLUMNS = (
    "index",
    "name",
    "gender",
    "birth_month",
    "political_status",
    "section",
    "post_title",
    "principal",
    "supervisor",
    "peer",
    "peer_ballots",
    "composite",
    "rank",
    "score_tier",
    "proposed",
    "final",
    "note",
    "flags",
    "feedback",
)
ANNUAL_COLUMNS = (
    "index",
    "name",
    "section",
    "q1",
    "q2",
    "q3",
    "q4",
    "tiered",
    "good",
    "poor",
    "recommendation",
    "reason",
    "honours",
)
# Columns of texts that wrap within a width, so that a filing sheet fits an A4 page's width at a
# readable scale; the others are as wide as their widest cell (a header may take two lines).
WRAPPED = {
    "political_status": 10,
    "section": 12,
    "post_title": 12,
    "note": 30,
    "flags": 16,
    "feedback": 22,
    "recommendation": 16,
    "reason": 40,
}
CENTRED = {
    "index",
    "gender",
    "birth_month",
    "rank",
    "score_tier",
    "proposed",
    "final",
    "q1",
    "q2",
    "q3",
    "q4",
}
# Flags the note column explains (why the proposed tier is not the score's), not listed again as flags
EXPLAINED_FLAGS = {Flag.QUOTA_CUT}


def _width(column: str, rows: list[list[Any]], index: int) -> float:
    """A column's width in characters: its widest cell, its header on one line up to five characters,
    else on two, capped (a Chinese character takes two)."""
    header = display_width(text("column", column))
    cells = [display_width(_shown(r[index])) + 2 for r in rows[:500] if r[index] is not None]
    return min(max(header + 1 if header <= 10 else (header + 1) // 2 + 2, 6, *cells), WRAPPED.get(column, 48))


def _lines(value: Any, width: float) -> int:
    """How many lines a cell's text takes in a column of that width (a CJK character is two wide)."""
    if not isinstance(value, str) or not value:
        return 1
    room = max(1, int(width) - 1)
    return sum(max(1, math.ceil(display_width(part) / room)) for part in value.split("\n"))


def _shown(value: Any) -> str:
    if isinstance(value, dt.date):
        return "0000.00"
    return max(str(value).split("\n"), key=display_width)


def _sheet(
    sheet: Worksheet,
    title: str,
    columns: Sequence[str],
    rows: list[list[Any]],
    heading: tuple[str, str] | None = None,
) -> None:
    """A title line (and a heading line: who files and when), a bold frozen header repeated on every
    printed page, the rows with borders, widths from the contents; A4 landscape, fit to the width."""
    width = len(columns)
    sheet.append(xlsx_row([title]))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center", vertical="center")
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.row_dimensions[1].height = 28
    if heading is not None:
        half = max(1, width // 2)
        sheet.append(xlsx_row([heading[0], *[None] * (half - 1), heading[1]]))
        sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=half)
        sheet.merge_cells(start_row=2, start_column=half + 1, end_row=2, end_column=width)
        sheet.cell(2, half + 1).alignment = Alignment(horizontal="right")
    header_row = sheet.max_row + 1
    sheet.append([text("column", c) for c in columns])
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = BORDER
    for row in rows:
        sheet.append(xlsx_row(row))
    as_text(sheet)
    number_formats(sheet)
    for line in sheet.iter_rows(min_row=header_row + 1, max_row=sheet.max_row):
        for cell, column in zip(line, columns, strict=False):
            cell.border = BORDER
            if column in WRAPPED:
                cell.alignment = WRAP
            elif column in CENTRED:
                cell.alignment = CENTRE
            else:
                cell.alignment = MIDDLE
            if isinstance(cell.value, dt.date):
                cell.number_format = MONTH_FORMAT
    widths = [_width(column, rows, index) for index, column in enumerate(columns)]
    for index, width_of in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width_of
    # A row is as tall as its longest wrapped text: set here, since a program opening the file keeps
    # the default height of a row (LibreOffice's PDF cuts the text otherwise).
    for line in sheet.iter_rows(min_row=header_row):
        lines = max(_lines(cell.value, w) for cell, w in zip(line, widths, strict=False))
        if lines > 1:
            sheet.row_dimensions[line[0].row].height = LINE_HEIGHT * lines + 2
    sheet.freeze_panes = f"C{header_row + 1}"  # the heading and header rows, the index and name columns
    sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(width)}{max(header_row, sheet.max_row)}"
    print_setup(sheet, f"1:{header_row}", landscape=True, footer=text("page_footer"))


def sheet_name(kind: str) -> str:
    """The Chinese name of a sheet the project writes (records/workbook.j2): results, templates..."""
    return text("sheet", kind)


def _save(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def filing_workbook(
    filing: Filing, category: Category, bureau: str = "", made_on: dt.date | None = None
) -> bytes:
    """The quarter's results of one category for its filing (organisation dept. or HR bureau), headed by
    the filing bureau and the day it was made, laid out to print on A4."""
    workbook = Workbook()
    roster = workbook.active
    roster.title = text("sheet", "roster")
    rows = []
    for index, row in enumerate(filing.rows.get(category, []), start=1):
        exempt = bool(row.exempt_reasons)
        header = row.header
        rows.append(
            [
                index,
                header.name,
                header.gender,
                header.birth_month,
                header.political_status,
                header.section,
                header.post_title,
                row.group_scores.get(RaterGroup.PRINCIPAL),
                row.group_scores.get(RaterGroup.SUPERVISOR),
                row.group_scores.get(RaterGroup.PEER),
                row.ballot_counts.get(RaterGroup.PEER, 0),
                row.composite,
                row.rank,
                text("no_tier") if exempt else text("tier", row.score_tier),  # exempt: no tier at all
                text("exempt_tier") if exempt else text("tier", row.proposed),
                (text("exempt_tier") if exempt else text("tier", row.final)) if filing.confirmed else "",
                text("note_cell", row),
                text("flags_cell", [f for f in row.flags if f not in EXPLAINED_FLAGS]),
                "\n".join(row.feedback),
            ]
        )
    title = text("filing_title", filing.quarter, category, filing.confirmed)
    heading = (text("bureau_cell", bureau), text("made_on_cell", made_on))
    _sheet(roster, title, FILING_COLUMNS, rows, heading)
    _filing_summary(workbook.create_sheet(text("sheet", "summary")), filing, category, heading)
    return _save(workbook)


def _filing_summary(sheet: Worksheet, filing: Filing, category: Category, heading: tuple[str, str]) -> None:
    rows = filing.rows.get(category, [])
    tiers = [(r.final if filing.confirmed else r.proposed) for r in rows if not r.exempt_reasons]
    quota = filing.quota.get(category)
    lines: list[list[Any]] = [
        [text("filing_title", filing.quarter, category, filing.confirmed)],
        [text("summary_row", "status"), text("status", filing.status)],
        [text("summary_row", "confirmed_on"), filing.confirmed_on],
        [heading[0]],
        [heading[1]],
        [],
        [text("summary_row", "tier_heading"), text("summary_row", "count")],
    ]
    lines += [[text("tier", tier), tiers.count(tier)] for tier in Tier]
    lines.append([text("summary_row", "undecided"), tiers.count(None)])
    lines.append([text("summary_row", "exempt"), sum(1 for r in rows if r.exempt_reasons)])
    good = tiers.count(Tier.GOOD)
    lines += [
        [],
        [text("summary_row", "quota_heading")],
        [text("summary_row", "tiered"), quota.tiered if quota else len(tiers)],
        [text("summary_row", "quota"), quota.quota if quota else 0],
        [text("summary_row", "good"), good],
        [text("summary_row", "affirmed"), quota.affirmed if quota else 0],
        [text("summary_row", "within"), text("yes_no", quota is None or good <= quota.quota)],
    ]
    for line in lines:
        sheet.append(xlsx_row(line))
    as_text(sheet)
    sheet["A1"].font = Font(bold=True, size=14)
    for row in sheet.iter_rows(min_row=2):
        if row[0].value in (text("summary_row", "tier_heading"), text("summary_row", "quota_heading")):
            row[0].font = Font(bold=True)
    sheet["B3"].number_format = "yyyy-mm-dd"
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 16
    print_setup(sheet, None, landscape=False, footer=text("page_footer"))


def annual_workbook(report: AnnualReport) -> bytes:
    """The four quarters per person and the recommendation for the annual assessment, with its reason."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = text("sheet", "annual")
    rows = []
    for index, line in enumerate(report.lines, start=1):
        by_quarter = {o.quarter.number: o for o in line.result.quarters}
        rows.append(
            [
                index,
                line.name,
                line.section,
                *[text("quarter_cell", by_quarter.get(n)) for n in range(1, 5)],
                line.result.tiered,
                line.result.good,
                line.result.poor,
                text("recommendation", line.result.recommendation),
                text("reason", line.result),
                text("honours", line.result.disqualified),
            ]
        )
    title = text("annual_title", report.year, report.through)
    _sheet(sheet, title, ANNUAL_COLUMNS, rows)
    summary = workbook.create_sheet(text("sheet", "annual_summary"))
    summary.append([title])
    summary["A1"].font = Font(bold=True, size=14)
    for recommendation, count in report.counts.items():
        summary.append(xlsx_row([text("recommendation", recommendation), count]))
    summary.append([text("disqualified_row"), report.disqualified])
    if not report.complete:
        summary.append([text("annual_partial", report.through)])
    as_text(summary)
    summary.column_dimensions["A"].width = 30
    return _save(workbook)
