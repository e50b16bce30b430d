"""The filing workbooks (one per staff category) and the annual linkage report, as .xlsx."""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import partial
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.records.annual import AnnualReport
from bot.records.contents import Filing
from bot.records.spreadsheets import as_text, xlsx_row
from bot.rendering import display_width, macro
from bot.rules.domain import Category, RaterGroup, Tier

MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SCORE_FORMAT = "0.00"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)

text = partial(macro, "records/workbook.j2")

FILING_COLUMNS = (
    "index",
    "name",
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
    "override",
    "change",
    "exempt",
    "flags",
    "feedback",
)
SCORE_COLUMNS = {"principal", "supervisor", "peer", "composite"}
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


def _sheet(sheet: Worksheet, title: str, columns: Sequence[str], rows: list[list[Any]]) -> None:
    """A title line, a bold frozen header, the rows with borders, widths from the contents."""
    sheet.append(xlsx_row([title]))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
    sheet.append([text("column", c) for c in columns])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = BORDER
    for row in rows:
        sheet.append(xlsx_row(row))
    as_text(sheet)
    for line in sheet.iter_rows(min_row=3, max_row=sheet.max_row):
        for cell, column in zip(line, columns, strict=False):
            cell.border = BORDER
            if column in SCORE_COLUMNS:
                cell.number_format = SCORE_FORMAT
    for index, column in enumerate(columns, start=1):
        widest = max(
            [display_width(text("column", column))]
            + [display_width(str(r[index - 1])) for r in rows[:500] if r[index - 1] is not None]
        )
        sheet.column_dimensions[get_column_letter(index)].width = min(max(widest + 2, 6), 48)
    sheet.freeze_panes = "C3"  # the title and header rows, and the index and name columns
    sheet.auto_filter.ref = f"A2:{get_column_letter(len(columns))}{max(2, sheet.max_row)}"


def _save(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def filing_workbook(filing: Filing, category: Category) -> bytes:
    """The quarter's results of one category for its filing (organisation dept. or HR bureau)."""
    workbook = Workbook()
    roster = workbook.active
    roster.title = text("sheet", "roster")
    rows = []
    for index, row in enumerate(filing.rows.get(category, []), start=1):
        exempt = bool(row.exempt_reasons)
        rows.append(
            [
                index,
                row.header.name,
                row.header.section,
                row.header.post_title,
                row.group_scores.get(RaterGroup.PRINCIPAL),
                row.group_scores.get(RaterGroup.SUPERVISOR),
                row.group_scores.get(RaterGroup.PEER),
                row.ballot_counts.get(RaterGroup.PEER, 0),
                row.composite,
                row.rank,
                text("tier", row.score_tier),
                text("exempt_tier") if exempt else text("tier", row.proposed),
                (text("exempt_tier") if exempt else text("tier", row.final)) if filing.confirmed else "",
                text("override_cell", row.override, row.override_ground, row.override_reason)
                if row.override
                else "",
                row.change_reason or "",
                text("exempt_cell", row.exempt_reasons, row.exemption_reason) if exempt else "",
                text("flags_cell", row.flags),
                "\n".join(row.feedback),
            ]
        )
    _sheet(roster, text("filing_title", filing.quarter, category, filing.confirmed), FILING_COLUMNS, rows)
    _filing_summary(workbook.create_sheet(text("sheet", "summary")), filing, category)
    return _save(workbook)


def _filing_summary(sheet: Worksheet, filing: Filing, category: Category) -> None:
    rows = filing.rows.get(category, [])
    tiers = [(r.final if filing.confirmed else r.proposed) for r in rows if not r.exempt_reasons]
    quota = filing.quota.get(category)
    lines: list[list[Any]] = [
        [text("filing_title", filing.quarter, category, filing.confirmed)],
        [text("summary_row", "status"), text("status", filing.status)],
        [text("summary_row", "confirmed_on"), filing.confirmed_on],
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
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 16


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
