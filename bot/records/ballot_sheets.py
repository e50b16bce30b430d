"""The paper ballot as bureaus print it: one sheet per rater (.xlsx and .docx), and reading it back."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, NamedStyle
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from bot.records.ballot_file import (
    BALLOT_COLUMNS,
    PART_LABELS,
    PART_NAMES,
    BallotContext,
    BallotImport,
    parse_ballots,
)
from bot.records.cells import NameIndex, RowError, cell_text, whole_number
from bot.records.documents import BODY_FONT, TITLE_FONT, _document, _font, _save
from bot.records.spreadsheets import (
    MAX_BYTES,
    MAX_CELL_CHARS,
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_ROWS,
    Cell,
    Table,
    TableError,
    as_text,
    check_xlsx_archive,
    xlsx_row,
)
from bot.records.workbooks import BORDER, HEADER_FILL
from bot.rendering import macro
from bot.rules.domain import BallotPart, Quarter, RaterGroup
from bot.rules.text import clean_line
from bot.settings import IndicatorItem

text = partial(macro, "records/ballot_sheets.j2")

# The sheet's fixed words: the layout is recognised and read back by them (the long format's names
# for the same things are those of ballot_file).
QUARTER_LABEL, RATER_LABEL, GROUP_LABEL = "季度", "评分人", "评分组"
INDEX, RATEE, SECTION, TOTAL = "序号", "被评人", "科室", "合计"
HEADING_ROW = 2  # 季度 | 2026Q3 | 评分人 | name | 评分组 | group (weight)
NOTE_ROW = 3
FIRST_BLOCK_ROW = 5
_ITEM_HEADER = re.compile(r"^(.+?)\s*[（(]\s*([0-9０-９]{1,3})\s*分?\s*[)）]$")
_SHEET_NAME_BANNED = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class SheetRatee:
    """One row of a rater's sheet."""

    name: str  # as a file names him: with the birth month for a namesake
    section: str
    group: str  # the group the ballot counts in, with its weight
    individual: tuple[IndicatorItem, ...]


@dataclass(frozen=True)
class RaterSheet:
    """One rater's ballot: his ratees, by blocks that share their individual items."""

    rater: str
    section: str
    groups: tuple[str, ...]  # the distinct groups of his rows, in order
    blocks: tuple[tuple[SheetRatee, ...], ...]


@dataclass(frozen=True)
class BallotSheets:
    bureau: str
    quarter: Quarter
    common: tuple[IndicatorItem, ...]
    sheets: tuple[RaterSheet, ...]

    @property
    def ballots(self) -> int:
        return sum(len(b) for s in self.sheets for b in s.blocks)


def percents(weights: Mapping[RaterGroup, Decimal]) -> dict[str, str]:
    """Each group's weight as the whole percent a heading shows (0.4 → "40")."""
    return {g.value: f"{w * 100:f}".rstrip("0").rstrip(".") for g, w in weights.items()}


def group_label(groups: Sequence[RaterGroup], weights: Mapping[RaterGroup, Decimal]) -> str:
    """主要领导（权重40%）, or both groups for a principal who supervises the ratee's section (SPEC 5)."""
    return text("group", [g.value for g in groups], percents(weights))


def plan_sheets(ctx: BallotContext, bureau: str, weights: Mapping[RaterGroup, Decimal]) -> BallotSheets:
    """Every rater of the quarter with his ratees, in roster order; a sheet's ratees with the same
    individual items share a block (the columns are the same for them)."""
    names = NameIndex(ctx.people)
    order = {p.id: index for index, p in enumerate(ctx.people)}
    by_id = {p.id: p for p in ctx.people}
    section_order = {
        s: i for i, s in enumerate(dict.fromkeys(ctx.sections.get(p.id, "") for p in ctx.people))
    }
    raters = sorted({r for r, _e in ctx.pairs}, key=order.__getitem__)
    sheets = []
    for rater_id in raters:
        ratee_ids = sorted(
            (e for r, e in ctx.pairs if r == rater_id),
            key=lambda e: (section_order.get(ctx.sections.get(e, ""), 0), order[e]),
        )
        blocks: dict[tuple, list[SheetRatee]] = {}
        groups: list[str] = []
        for ratee_id in ratee_ids:
            items = tuple(ctx.individual_items.get(ratee_id, ()))
            label = group_label(ctx.groups_of((rater_id, ratee_id)), weights)
            groups += [label] if label not in groups else []
            row = SheetRatee(names.reference(by_id[ratee_id]), ctx.sections.get(ratee_id, ""), label, items)
            blocks.setdefault(tuple((i.name, i.max_points) for i in items), []).append(row)
        rater = by_id[rater_id]
        sheets.append(
            RaterSheet(
                names.reference(rater),
                ctx.sections.get(rater_id, ""),
                tuple(groups),
                tuple(tuple(b) for b in blocks.values()),
            )
        )
    return BallotSheets(bureau, ctx.quarter, tuple(ctx.common_items), tuple(sheets))


def most_label(most: int) -> str:
    """A maximum as the headers write it, （20分）: read back by _ITEM_HEADER."""
    return f"（{most}分）"


def item_header(item: IndicatorItem) -> str:
    return f"{item.name}\n{most_label(item.max_points)}"


def _columns(sheet: RaterSheet, block: Sequence[SheetRatee], common: Sequence[IndicatorItem]) -> list[str]:
    fixed = [INDEX, RATEE, SECTION] + ([GROUP_LABEL] if len(sheet.groups) > 1 else [])
    return fixed + [item_header(i) for i in (*common, *block[0].individual)]


def sheet_names(sheets: Sequence[RaterSheet]) -> list[str]:
    """A worksheet name per rater: his name without the characters Excel refuses, 31 at most, unique."""
    taken: set[str] = set()
    out = []
    for sheet in sheets:
        base = _SHEET_NAME_BANNED.sub("_", sheet.rater).strip("'")[:31] or "_"
        name, number = base, 1
        while name.lower() in taken:
            number += 1
            suffix = f"({number})"
            name = base[: 31 - len(suffix)] + suffix
        taken.add(name.lower())
        out.append(name)
    return out


CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


HEAD_STYLE, NAME_STYLE, SCORE_STYLE = "ballot_head", "ballot_name", "ballot_score"


def _styles(workbook: Workbook) -> None:
    """Named styles: one reference a cell instead of four style objects each (a large sheet is written
    several times faster)."""
    head = NamedStyle(HEAD_STYLE, font=Font(bold=True), fill=HEADER_FILL, alignment=CENTER, border=BORDER)
    center = Alignment(horizontal="center", vertical="center")
    name = NamedStyle(
        NAME_STYLE,
        border=BORDER,
        alignment=Alignment(horizontal="center", vertical="center", shrink_to_fit=True),
    )
    for style in (head, name, NamedStyle(SCORE_STYLE, border=BORDER, alignment=center)):
        workbook.add_named_style(style)


def sheets_workbook(plan: BallotSheets) -> bytes:
    """The .xlsx to fill on a computer: a worksheet per rater, scores checked as they are typed, the
    totals computed, printed on A4 landscape one page wide with the heading on every page."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    _styles(workbook)
    for sheet_plan, name in zip(plan.sheets, sheet_names(plan.sheets), strict=True):
        _worksheet(workbook.create_sheet(name), sheet_plan, plan)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _worksheet(sheet: Worksheet, rater: RaterSheet, plan: BallotSheets) -> None:
    width = max(len(_columns(rater, b, plan.common)) for b in rater.blocks) + 1
    last = get_column_letter(width)
    sheet.append(xlsx_row([text("title", plan.bureau, plan.quarter)]))
    sheet.merge_cells(f"A1:{last}1")
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = CENTER
    heading = [QUARTER_LABEL, str(plan.quarter), RATER_LABEL, rater.rater, None, None, GROUP_LABEL]
    sheet.append(xlsx_row([*heading, "；".join(rater.groups)]))
    sheet.merge_cells(start_row=HEADING_ROW, start_column=4, end_row=HEADING_ROW, end_column=6)
    sheet.merge_cells(start_row=HEADING_ROW, start_column=8, end_row=HEADING_ROW, end_column=max(8, width))
    for column in (1, 3, 7):
        sheet.cell(HEADING_ROW, column).font = Font(bold=True)
    sheet.append(xlsx_row([text("note")]))
    sheet.merge_cells(f"A{NOTE_ROW}:{last}{NOTE_ROW}")
    sheet.cell(NOTE_ROW, 1).alignment = Alignment(wrap_text=True, vertical="center")
    sheet.row_dimensions[NOTE_ROW].height = 30
    row = FIRST_BLOCK_ROW
    formulas: list[tuple[int, int, str]] = []
    validations: dict[int, DataValidation] = {}
    for block in rater.blocks:
        row = _block(sheet, rater, block, plan, row, formulas, validations)
    sheet.cell(row + 1, 1).value = text("signature")
    sheet.merge_cells(start_row=row + 1, start_column=1, end_row=row + 1, end_column=width)
    as_text(sheet)  # a name that starts with "=" stays a name; the totals below are the only formulas
    for line, column, formula in formulas:
        sheet.cell(line, column).value = formula
    for validation in validations.values():
        sheet.add_data_validation(validation)
    widths = [5, 12, 11] + ([14] if len(rater.groups) > 1 else [])
    for index in range(1, width + 1):
        wide = widths[index - 1] if index <= len(widths) else (9 if index < width else 10)
        sheet.column_dimensions[get_column_letter(index)].width = wide
    setup = sheet.page_setup
    setup.paperSize = sheet.PAPERSIZE_A4
    setup.orientation = "landscape"
    setup.fitToWidth, setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"1:{HEADING_ROW}"
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.5
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6


def _block(sheet, rater, block, plan, row, formulas, validations) -> int:
    """Two header rows (the parts, then the items with their maxima), the ratees; returns the next row."""
    columns = _columns(rater, block, plan.common)
    fixed = len(columns) - len(plan.common) - len(block[0].individual)
    total_column = len(columns) + 1
    most = sum(i.max_points for i in (*plan.common, *block[0].individual))
    parts = [None] * len(columns) + [None]
    parts[:fixed] = columns[:fixed]
    parts[fixed] = PART_LABELS[BallotPart.COMMON]
    parts[fixed + len(plan.common)] = PART_LABELS[BallotPart.INDIVIDUAL]
    parts[-1] = TOTAL
    for column, value in enumerate(parts, start=1):
        sheet.cell(row, column).value = value
    for column, value in enumerate(columns[fixed:], start=fixed + 1):
        sheet.cell(row + 1, column).value = value
    sheet.cell(row + 1, total_column).value = most_label(most)
    for column in range(1, fixed + 1):
        sheet.merge_cells(start_row=row, start_column=column, end_row=row + 1, end_column=column)
    sheet.merge_cells(start_row=row, start_column=fixed + 1, end_row=row, end_column=fixed + len(plan.common))
    if block[0].individual:
        sheet.merge_cells(
            start_row=row, start_column=fixed + len(plan.common) + 1, end_row=row, end_column=total_column - 1
        )
    for line in (row, row + 1):
        sheet.row_dimensions[line].height = 18 if line == row else 46
        for column in range(1, total_column + 1):
            cell = sheet.cell(line, column)
            cell.style = HEAD_STYLE
    items = [*plan.common, *block[0].individual]
    for index, ratee in enumerate(block, start=1):
        line = row + 1 + index
        values = [index, ratee.name, ratee.section] + ([ratee.group] if fixed > 3 else [])
        for column, value in enumerate(values, start=1):
            sheet.cell(line, column).value = value
        first, end = get_column_letter(fixed + 1), get_column_letter(total_column - 1)
        formulas.append(
            (line, total_column, f'=IF(COUNT({first}{line}:{end}{line})=0,"",SUM({first}{line}:{end}{line}))')
        )
        for column, item in enumerate(items, start=fixed + 1):
            validation = validations.get(item.max_points)
            if validation is None:
                validation = DataValidation(
                    type="whole",
                    operator="between",
                    formula1="0",
                    formula2=str(item.max_points),
                    allow_blank=True,
                )
                validation.error, validation.prompt = (
                    text("score_error", item.max_points),
                    text("score_prompt"),
                )
                validation.showErrorMessage = True
                validations[item.max_points] = validation
            validation.add(sheet.cell(line, column))
        for column in range(1, total_column + 1):
            sheet.cell(line, column).style = NAME_STYLE if 1 < column <= fixed else SCORE_STYLE
        sheet.row_dimensions[line].height = 20
    return row + 2 + len(block) + 1


def sheets_document(plan: BallotSheets) -> bytes:
    """The .docx to print and fill by pen: one section (A4 landscape, a page or a few) per rater."""
    document = _document()
    _cell_styles(document)
    for index, rater in enumerate(plan.sheets):
        section = document.sections[0] if index == 0 else document.add_section(WD_SECTION.NEW_PAGE)
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Cm(29.7), Cm(21)
        section.top_margin = section.bottom_margin = Cm(1.5)
        section.left_margin = section.right_margin = Cm(1.5)
        _paragraph(document, text("title", plan.bureau, plan.quarter), TITLE_FONT, Pt(16), center=True)
        heading = "    ".join(
            [
                f"{QUARTER_LABEL}：{macro('labels.j2', 'quarter', plan.quarter)}",
                f"{RATER_LABEL}：{rater.rater}" + (f"（{rater.section}）" if rater.section else ""),
                f"{GROUP_LABEL}：{'；'.join(rater.groups)}",
            ]
        )
        _paragraph(document, heading, BODY_FONT, Pt(11))
        _paragraph(document, text("note"), BODY_FONT, Pt(9))
        for block in rater.blocks:
            _document_block(document, rater, block, plan)
        _paragraph(document, "", BODY_FONT, Pt(6))
        _paragraph(document, text("signature"), BODY_FONT, Pt(11))
    return _save(document)


def _paragraph(document, line: str, face: str, size: Pt, *, center: bool = False) -> None:
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER if center else WD_ALIGN_PARAGRAPH.LEFT
    paragraph.paragraph_format.space_after = Pt(4)
    _font(paragraph.add_run(clean_line(line)), face, size, bold=center)


CELL_STYLE, HEAD_CELL_STYLE = "BallotCell", "BallotHead"  # ids: set on a paragraph without a lookup


def _cell_styles(document) -> None:
    """Paragraph styles for the table's cells: a style each paragraph refers to, not fonts on every run."""
    for name, size, bold in ((CELL_STYLE, Pt(9), False), (HEAD_CELL_STYLE, Pt(8), True)):
        style = document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.element.styleId = name
        style.base_style = document.styles["Normal"]
        _font(style, BODY_FONT, size, bold=bold)
        style.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _cell(cell, value: str, style: str = CELL_STYLE) -> None:
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    for number, line in enumerate(value.split("\n")):
        paragraph = cell.paragraphs[0] if number == 0 else cell.add_paragraph()
        paragraph._p.get_or_add_pPr().style = style  # python-docx's lookup by name costs 7 ms a paragraph
        paragraph.add_run(clean_line(line))


def _repeat_header(row) -> None:
    properties = row._tr.get_or_add_trPr()
    mark = OxmlElement("w:tblHeader")
    mark.set(qn("w:val"), "true")
    properties.append(mark)


def _document_block(document, rater: RaterSheet, block: Sequence[SheetRatee], plan: BallotSheets) -> None:
    columns = _columns(rater, block, plan.common)
    width = len(columns) + 1
    fixed = len(columns) - len(plan.common) - len(block[0].individual)
    most = sum(i.max_points for i in (*plan.common, *block[0].individual))
    table = document.add_table(rows=2 + len(block), cols=width)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    usable = 26.7
    fixed_widths = [1.1, 2.4, 2.9] + ([3.0] if fixed > 3 else [])
    rest = (usable - sum(fixed_widths) - 2.0) / (len(columns) - fixed)
    widths = [Cm(w) for w in fixed_widths + [rest] * (len(columns) - fixed) + [2.0]]
    for column, width_of in zip(table.columns, widths, strict=True):
        column.width = width_of  # the grid LibreOffice lays out by; Word reads the cells' widths
    cells = table._cells  # the grid, row by row: much faster than row.cells for every row
    for index, cell in enumerate(cells):
        cell.width = widths[index % width]
    top, items = cells[:width], cells[width : 2 * width]
    for column in range(fixed):
        _cell(top[column].merge(items[column]), columns[column], HEAD_CELL_STYLE)
    common_end = fixed + len(plan.common) - 1
    _cell(top[fixed].merge(top[common_end]), PART_LABELS[BallotPart.COMMON], HEAD_CELL_STYLE)
    if block[0].individual:
        individual = top[common_end + 1].merge(top[len(columns) - 1])
        _cell(individual, PART_LABELS[BallotPart.INDIVIDUAL], HEAD_CELL_STYLE)
    _cell(top[len(columns)], TOTAL, HEAD_CELL_STYLE)
    for column in range(fixed, len(columns)):
        _cell(items[column], columns[column], HEAD_CELL_STYLE)
    _cell(items[len(columns)], most_label(most), HEAD_CELL_STYLE)
    rows = table.rows
    for header in rows[:2]:
        _repeat_header(header)
    for index, ratee in enumerate(block, start=1):
        rows[1 + index].height = Cm(0.85)
        values = [str(index), ratee.name, ratee.section] + ([ratee.group] if fixed > 3 else [])
        for column, value in enumerate(values):
            _cell(cells[(1 + index) * width + column], value)
    document.add_paragraph().paragraph_format.space_after = Pt(2)


# Reading a filled workbook back.


@dataclass(frozen=True)
class RawSheet:
    """A worksheet's cells as typed: values, and where a formula stands."""

    title: str
    rows: tuple[tuple[Cell, ...], ...]
    formulas: frozenset[tuple[int, int]]  # (row, column), 1-based

    def at(self, row: int, column: int) -> Cell:
        if row > len(self.rows):
            return None
        values = self.rows[row - 1]
        return values[column - 1] if column <= len(values) else None


def _bytes(source: bytes | str | Path) -> bytes:
    if isinstance(source, bytes):
        return source
    path = Path(source)
    if path.suffix.lower() != ".xlsx":
        raise TableError("wrong_type", path.suffix)
    if not path.is_file():
        raise TableError("not_found", str(path))
    if path.stat().st_size > MAX_BYTES:
        raise TableError("too_large", str(path.stat().st_size))
    return path.read_bytes()


def read_sheets(source: bytes | str | Path) -> list[RawSheet]:
    """Every worksheet of a workbook, within the limits of any import file (spreadsheets.py)."""
    data = _bytes(source)
    if len(data) > MAX_BYTES:
        raise TableError("too_large", str(len(data)))
    check_xlsx_archive(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # zipfile.BadZipFile, InvalidFileException and other corruptions
        raise TableError("unreadable", type(exc).__name__) from None
    sheets, cells = [], 0
    try:
        for worksheet in workbook.worksheets:
            worksheet.reset_dimensions()
            rows, formulas = [], set()
            for line, row in enumerate(worksheet.iter_rows(), start=1):
                cells += len(row)
                if line > MAX_ROWS:
                    raise TableError("too_many_rows", str(MAX_ROWS))
                if len(row) > MAX_COLUMNS:
                    raise TableError("too_many_columns", str(MAX_COLUMNS))
                if cells > MAX_CELLS:
                    raise TableError("too_many_cells", str(MAX_CELLS))
                values: list[Cell] = []
                for column, cell in enumerate(row, start=1):
                    value = getattr(cell, "value", None)
                    if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
                        raise TableError("cell_too_long", str(MAX_CELL_CHARS))
                    if getattr(cell, "data_type", None) == "f":
                        formulas.add((line, column))
                    values.append(_clean(value))
                rows.append(tuple(values))
            sheets.append(RawSheet(worksheet.title, tuple(rows), frozenset(formulas)))
    except TableError:
        raise
    except Exception as exc:  # broken sheet XML and the like
        raise TableError("unreadable", type(exc).__name__) from None
    finally:
        workbook.close()
    return sheets


def _clean(value: Any) -> Cell:
    if isinstance(value, str):
        return "\n".join(clean_line(part).strip() for part in value.split("\n")).strip() or None
    return value


def _is_ballot_sheet(sheet: RawSheet) -> bool:
    return (
        cell_text(sheet.at(HEADING_ROW, 1)) == QUARTER_LABEL
        and cell_text(sheet.at(HEADING_ROW, 3)) == RATER_LABEL
    )


def looks_like_ballot_sheets(source: bytes | str | Path) -> bool:
    """Whether a file is the per-rater ballot workbook (its first sheet has the heading), not the long one."""
    try:
        sheets = read_sheets(source)
    except TableError:
        return False
    return bool(sheets) and _is_ballot_sheet(sheets[0])


def sheets_quarter(sheets: Sequence[RawSheet]) -> Quarter | None:
    """The quarter the first sheet's heading names, if it names one."""
    try:
        return Quarter.parse(cell_text(sheets[0].at(HEADING_ROW, 2)))
    except (ValueError, IndexError):
        return None


@dataclass(frozen=True)
class _Place:
    sheet: str
    row: int
    column: str | None


def check_sheets(sheets: Sequence[RawSheet], ctx: BallotContext) -> BallotImport:
    """Check every sheet, then the ballots they hold as the long format's rows with its very checks
    (parse_ballots): the same ballots, the same whole-file check, errors placed on the sheets' cells."""
    errors: list[RowError] = []
    rows: list[tuple[int, dict[str, Cell]]] = []
    places: dict[int, _Place] = {}
    raters: dict[str, str] = {}
    names = NameIndex(ctx.people)
    for sheet in sheets:
        if not _is_ballot_sheet(sheet):
            errors.append(RowError(HEADING_ROW, "not_ballot_sheet", sheet=sheet.title))
            continue
        rater = cell_text(sheet.at(HEADING_ROW, 4))
        if rater in raters:
            errors.append(
                RowError(
                    HEADING_ROW,
                    "rater_twice",
                    column=RATER_LABEL,
                    value=rater,
                    detail=raters[rater],
                    sheet=sheet.title,
                )
            )
            continue
        raters[rater] = sheet.title
        _read_sheet(sheet, rater, ctx, names, errors, rows, places)
    outcome = parse_ballots(Table(BALLOT_COLUMNS[:7], tuple(rows)), ctx)
    if not rows and not errors:
        errors.append(RowError(1, "no_rows"))
    placed = [_placed(e, places) for e in outcome.errors if not (e.code == "no_rows" and errors)]
    order = {s.title: i for i, s in enumerate(sheets)}
    outcome.errors = sorted(
        _one_per_cell(errors + placed), key=lambda e: (order.get(e.sheet or "", -1), e.line, e.column or "")
    )
    if outcome.errors:
        outcome.new.clear()
        outcome.unchanged = 0
    return outcome


def _one_per_cell(errors: Sequence[RowError]) -> list[RowError]:
    """The first error of each cell (a formula is not also a missing score), and a ballot called
    incomplete only when its row has no bad cell to tell why (a bad cell leaves its item out)."""
    kept: dict[tuple, RowError] = {}
    for error in errors:
        kept.setdefault((error.sheet, error.line, error.column, error.code == "incomplete_ballot"), error)
    rows_with_cells = {(e.sheet, e.line) for e in kept.values() if e.code != "incomplete_ballot"}
    return [
        e for e in kept.values() if e.code != "incomplete_ballot" or (e.sheet, e.line) not in rows_with_cells
    ]


def _placed(error: RowError, places: Mapping[int, _Place]) -> RowError:
    place = places.get(error.line)
    if place is None:
        return error
    if error.column == "季度" or (
        error.column == "评分人" and error.code in ("missing", "unknown_person", "ambiguous_name")
    ):
        return replace(
            error,
            line=HEADING_ROW,
            sheet=place.sheet,
            column=RATER_LABEL if error.column == "评分人" else QUARTER_LABEL,
        )
    detail = error.detail
    if error.code == "duplicate_item" and detail and detail.isdigit() and int(detail) in places:
        detail = str(places[int(detail)].row)
    column = place.column if error.column in ("得分", "满分", "指标") else error.column
    return replace(error, line=place.row, sheet=place.sheet, column=column, detail=detail)


def _read_sheet(sheet, rater, ctx, names, errors, rows, places) -> None:
    quarter = cell_text(sheet.at(HEADING_ROW, 2))
    line, blocks = FIRST_BLOCK_ROW - 1, 0
    while line < len(sheet.rows):
        line += 1
        if cell_text(sheet.at(line, 1)) == INDEX and cell_text(sheet.at(line, 2)) == RATEE:
            blocks += 1
            line = _read_block(sheet, line, rater, quarter, ctx, names, errors, rows, places)
        elif any(cell_text(v) for v in sheet.rows[line - 1][1:]):
            errors.append(RowError(line, "stray_row", sheet=sheet.title))
    if not blocks:
        errors.append(RowError(HEADING_ROW, "no_table", sheet=sheet.title))


def _read_block(sheet, top, rater, quarter, ctx, names, errors, rows, places) -> int:
    """The rows of one block, from its first header row; returns its last line."""
    headers = [cell_text(v) for v in sheet.rows[top - 1]]
    group = headers.index(GROUP_LABEL) + 1 if GROUP_LABEL in headers else None
    section_column = headers.index(SECTION) + 1 if SECTION in headers else None
    total = headers.index(TOTAL) + 1 if TOTAL in headers else None
    first_item = max(c for c in (3, group or 0, section_column or 0)) + 1
    items: list[tuple[int, str, str, int | None]] = []
    part = None
    for column in range(first_item, (total or len(headers) + 1)):
        part = PART_NAMES.get(cell_text(sheet.at(top, column)), part)
        header = cell_text(sheet.at(top + 1, column)).replace("\n", "")
        if not header:
            continue
        match = _ITEM_HEADER.match(header)
        if match is None or part is None:
            errors.append(RowError(top + 1, "bad_item_header", value=header, sheet=sheet.title))
            continue
        items.append((column, match.group(1).strip(), PART_LABELS[part], whole_number(match.group(2))))
    line = top + 1
    while line < len(sheet.rows) and any(cell_text(v) for v in sheet.rows[line]):
        line += 1
        if cell_text(sheet.at(line, 1)) == INDEX and cell_text(sheet.at(line, 2)) == RATEE:
            return line - 1
        ratee = cell_text(sheet.at(line, 2))
        if section_column is not None and ratee:
            _check_section(sheet, line, ratee, cell_text(sheet.at(line, section_column)), ctx, names, errors)
        scores = []
        for column, item, part_label, most in items:
            value = sheet.at(line, column)
            if (line, column) in sheet.formulas:
                errors.append(RowError(line, "formula_cell", column=item, sheet=sheet.title))
                value = None
            scores.append(value)
            places[len(rows) + 2] = _Place(sheet.title, line, item)
            rows.append(
                (
                    len(rows) + 2,
                    {
                        "季度": quarter,
                        "评分人": rater,
                        "被评人": ratee or None,
                        "指标类别": part_label,
                        "指标": item,
                        "满分": most,
                        "得分": value,
                    },
                )
            )
        if total is not None and (line, total) not in sheet.formulas:
            _check_total(sheet, line, sheet.at(line, total), scores, errors)
    return line


def _check_section(sheet, line, ratee, section, ctx, names, errors) -> None:
    found = names.resolve(ratee)
    if isinstance(found, str) or not section:
        return
    actual = ctx.sections.get(found.id, "")
    if section != actual:
        errors.append(
            RowError(
                line, "section_mismatch", column=SECTION, value=section, detail=actual, sheet=sheet.title
            )
        )


def _check_total(sheet, line, stated, scores, errors) -> None:
    if cell_text(stated) == "":
        return
    points = [whole_number(v) for v in scores]
    if any(p is None for p in points):
        return  # a missing or bad score is its own error
    if whole_number(stated) != sum(points):
        errors.append(
            RowError(
                line,
                "total_mismatch",
                column=TOTAL,
                value=cell_text(stated),
                detail=str(sum(points)),
                sheet=sheet.title,
            )
        )
