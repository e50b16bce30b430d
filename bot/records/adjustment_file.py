"""The adjustments file: sick and personal leave, vetoes, affirmations and exemptions, one record a row; its
columns, accepted words and the checks of every row, in the file and against what is on file."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from bot.records.cells import (
    NameIndex,
    PersonRef,
    RowError,
    cell_text,
    day_without_year,
    missing_columns,
    parse_date,
)
from bot.records.spreadsheets import Cell, Table, as_text, write_table, xlsx_row
from bot.rendering import macro
from bot.rules.domain import AssessmentStatus, LeaveKind, OverrideKind, Quarter
from bot.rules.periods import touches, year_allowed
from bot.rules.text import typed
from bot.rules.vocabulary import ground_number, typed_period

# The file's column headers: data the bureau's spreadsheets carry, in Chinese.
ADJUSTMENT_COLUMNS = ("类别", "姓名", "出生年月", "季度", "开始日期", "结束日期", "依据", "事由")
ADJUSTMENT_REQUIRED = ("类别", "姓名")
GROUNDS = range(1, 5)  # the plan's numbered grounds of a veto or an affirmation (as /veto and /affirm)
REASON_MAX = 500  # as a reason typed in chat
NOTE_MAX = 200  # a leave's note, as in chat


class AdjustmentKind(StrEnum):
    """What a row records; the values are those of LeaveKind and OverrideKind, and "exempt"."""

    SICK = "sick"
    PERSONAL = "personal"
    VETO = "veto"
    AFFIRMATION = "affirmation"
    EXEMPT = "exempt"

    @property
    def leave_kind(self) -> LeaveKind | None:
        return LeaveKind(self.value) if self.value in {k.value for k in LeaveKind} else None

    @property
    def override_kind(self) -> OverrideKind | None:
        return OverrideKind(self.value) if self.value in {k.value for k in OverrideKind} else None


# The words of the 类别 column: those of SPEC and of the chat commands (/leave 病假, /veto, /affirm, /exempt
# 只写评语、不确定等次), read after full-width forms, spaces and the marks between words are dropped.
KIND_WORDS = {
    "病假": AdjustmentKind.SICK,
    "事假": AdjustmentKind.PERSONAL,
    "一票否决": AdjustmentKind.VETO,
    "否决": AdjustmentKind.VETO,
    "一票肯定": AdjustmentKind.AFFIRMATION,
    "肯定": AdjustmentKind.AFFIRMATION,
    "只写评语": AdjustmentKind.EXEMPT,
    "只写评语不确定等次": AdjustmentKind.EXEMPT,
    "只写评语不定等次": AdjustmentKind.EXEMPT,
    "不确定等次": AdjustmentKind.EXEMPT,
    "不定等次": AdjustmentKind.EXEMPT,
    "sick": AdjustmentKind.SICK,
    "personal": AdjustmentKind.PERSONAL,
    "veto": AdjustmentKind.VETO,
    "affirm": AdjustmentKind.AFFIRMATION,
    "affirmation": AdjustmentKind.AFFIRMATION,
    "exempt": AdjustmentKind.EXEMPT,
}
KIND_LABELS = {
    AdjustmentKind.SICK: "病假",
    AdjustmentKind.PERSONAL: "事假",
    AdjustmentKind.VETO: "一票否决",
    AdjustmentKind.AFFIRMATION: "一票肯定",
    AdjustmentKind.EXEMPT: "只写评语",
}
_MARKS = str.maketrans("", "", " 、，,;；。.·")
LEAVE_ONLY = ("开始日期", "结束日期")
TEXTS = "records/adjustments.j2"
TEXT_ROWS = 500  # rows of the template whose text columns are formatted as text
BOLD = Font(bold=True)


@dataclass(frozen=True)
class AdjustmentRow:
    """One validated row: a leave (start, end, the reason as its note) or a quarter's veto, affirmation
    (ground, reason) or exemption (reason)."""

    line: int
    kind: AdjustmentKind
    person_id: int
    name: str
    quarter: Quarter | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    ground: int | None = None
    reason: str | None = None


@dataclass(frozen=True)
class RecordedLeave:
    person_id: int
    kind: LeaveKind
    start: dt.date
    end: dt.date


@dataclass
class AdjustmentContext:
    """What the rows are checked against: the active people, who is a bureau leader (not a ratee), the
    quarters whose inputs can no longer change, and what is recorded already."""

    today: dt.date
    people: Sequence[PersonRef]
    leaders: frozenset[int] = frozenset()
    locked: Mapping[Quarter, AssessmentStatus] = field(default_factory=dict)
    leave: Sequence[RecordedLeave] = ()
    # (quarter, person, kind) -> (ground number, reason) of the active vetoes and affirmations
    overrides: Mapping[tuple[Quarter, int, OverrideKind], tuple[int, str]] = field(default_factory=dict)
    exemptions: Mapping[tuple[Quarter, int], str] = field(default_factory=dict)  # -> reason


@dataclass
class AdjustmentImport:
    """The outcome of checking (and importing) an adjustments file. `new` are the rows to record (`replaced`
    of them take the place of a veto, affirmation or exemption recorded with another ground or reason);
    `unchanged` rows are recorded already, the same, and skipped; `recomputed` the quarters computed again;
    `kept` the quarters with confirmed results that new leave touches: recorded, results kept (as /leave)."""

    new: list[AdjustmentRow] = field(default_factory=list)
    replaced: int = 0
    unchanged: list[AdjustmentRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    recomputed: list[Quarter] = field(default_factory=list)
    kept: list[Quarter] = field(default_factory=list)

    def counts(self) -> dict[AdjustmentKind, int]:
        """How many new rows of each kind, in the order of AdjustmentKind, kinds with none left out."""
        counted = {kind: sum(1 for r in self.new if r.kind is kind) for kind in AdjustmentKind}
        return {kind: n for kind, n in counted.items() if n}


def is_adjustment_sheet(table: Table) -> bool:
    """Whether a sheet is the adjustments file: its 类别 and 姓名 columns (the roster has no 类别)."""
    return set(ADJUSTMENT_REQUIRED) <= set(table.headers)


def read_kind(text: str) -> AdjustmentKind | None:
    return KIND_WORDS.get(typed(text).lower().translate(_MARKS))


def parse_adjustments(table: Table, ctx: AdjustmentContext) -> AdjustmentImport:
    """Check every row against the file and what is on file; nothing is new unless there is no error."""
    outcome = AdjustmentImport(errors=missing_columns(table, ADJUSTMENT_REQUIRED))
    if outcome.errors:
        return outcome
    outcome.errors += [
        RowError(1, "unknown_column", column=h) for h in table.headers if h and h not in ADJUSTMENT_COLUMNS
    ]
    if not table.rows:
        outcome.errors.append(RowError(1, "no_rows"))
    names = NameIndex(ctx.people)
    rows = []
    for line, cells in table.rows:
        row = _row(line, cells, ctx, names, outcome.errors)
        if row is not None:
            rows.append(row)
    _cross_checks(rows, ctx, outcome)
    outcome.errors.sort(key=lambda e: (e.line, e.column or ""))
    if outcome.errors:
        outcome.new.clear()
        outcome.unchanged.clear()
        outcome.replaced = 0
    spans = [(r.start, r.end) for r in outcome.new if r.kind.leave_kind is not None]
    outcome.kept = [q for q in sorted(ctx.locked) if touches(q, spans)]
    return outcome


def _row(
    line: int, cells: Mapping[str, Cell], ctx: AdjustmentContext, names: NameIndex, errors: list[RowError]
) -> AdjustmentRow | None:
    bad = len(errors)

    def text(column: str) -> str:
        return cell_text(cells.get(column))

    def error(code: str, column: str | None = None, value: str | None = None, detail: str | None = None):
        errors.append(RowError(line, code, column=column, value=value, detail=detail))

    kind_text = text("类别")
    kind = read_kind(kind_text) if kind_text else None
    if not kind_text:
        error("missing", "类别")
    elif kind is None:
        error("bad_choice", "类别", kind_text, "、".join(KIND_LABELS.values()))
    person = _person(text("姓名"), cells.get("出生年月"), names, error)
    if person is not None and person.id in ctx.leaders:
        error("not_a_ratee", "姓名", person.name)
    quarter = _quarter(text("季度"), ctx.today, error)
    if kind is None:
        return None
    reason = text("事由")
    start = end = ground = None
    if kind.leave_kind is not None:
        year = quarter.year if quarter else ctx.today.year  # of a day written without it, as in chat
        start, end = (_day(cells.get(c), c, year, ctx.today, error) for c in LEAVE_ONLY)
        if start and end and end < start:
            error("end_before_start", "结束日期", text("结束日期"), text("开始日期"))
        elif start and end and quarter and not (quarter.first_day <= end and start <= quarter.last_day):
            error("leave_outside_quarter", "季度", str(quarter))
        if text("依据"):
            error("not_for_kind", "依据", detail=KIND_LABELS[kind])
        if len(reason) > NOTE_MAX:
            error("too_long", "事由", detail=str(NOTE_MAX))
    else:
        for column in LEAVE_ONLY:
            if text(column):
                error("not_for_kind", column, detail=KIND_LABELS[kind])
        if not text("季度"):
            error("missing", "季度")
        if kind.override_kind is not None:
            ground = ground_number(text("依据")) if text("依据") else None
            if not text("依据"):
                error("missing", "依据")
            elif ground not in GROUNDS:
                error("bad_ground", "依据", text("依据"), f"{GROUNDS[0]}-{GROUNDS[-1]}")
        elif text("依据"):
            error("not_for_kind", "依据", detail=KIND_LABELS[kind])
        if not reason:
            error("missing", "事由")
        elif len(reason) > REASON_MAX:
            error("too_long", "事由", detail=str(REASON_MAX))
    if len(errors) > bad or person is None:
        return None
    return AdjustmentRow(line, kind, person.id, person.name, quarter, start, end, ground, reason or None)


def _person(name: str, birth: Cell, names: NameIndex, error) -> PersonRef | None:
    """The active person the 姓名 column (张伟, 张伟(1988-03)) and the 出生年月 column name."""
    if not name:
        error("missing", "姓名")
        return None
    reference = name
    if cell_text(birth):
        if isinstance(birth, float) and not birth.is_integer():
            error("date_as_number", "出生年月", cell_text(birth))
            return None
        try:
            month = parse_date(birth, month_only=True)
        except ValueError:
            error("bad_date", "出生年月", cell_text(birth))
            return None
        reference = f"{name}({month:%Y-%m})"
    found = names.resolve(reference)
    if found == "unknown_person":  # an input method's full-width digits and marks in NAME(1988-03)
        found = names.resolve(typed(reference))
    if found == "ambiguous_name":
        error("namesake", "姓名", name)
    elif isinstance(found, str):
        error("unknown_person", "姓名", name if reference == name else f"{name}（{cell_text(birth)}）")
    return found if isinstance(found, PersonRef) else None


def _quarter(text: str, today: dt.date, error) -> Quarter | None:
    if not text:
        return None
    try:
        quarter = Quarter.parse(typed_period(text, today.year))
    except ValueError:
        error("bad_quarter", "季度", text)
        return None
    if not year_allowed(quarter.year, today):
        error("year_out_of_range", "季度", text)
        return None
    return quarter


def _day(value: Cell, column: str, year: int, today: dt.date, error) -> dt.date | None:
    """A leave's first or last day, written as a file's dates are or, as in chat, without its year (7月1日,
    7.1: one of `year`); as text only: a number 7.10 in a cell is 7.1, July the first."""
    if value is None or cell_text(value) == "":
        error("missing", column)
        return None
    try:
        day = day_without_year(value, year) if isinstance(value, str) else None
        day = day or parse_date(value, day_required=True)
    except ValueError:
        error("bad_day", column, cell_text(value))
        return None
    if not year_allowed(day.year, today):
        error("year_out_of_range", column, cell_text(value))
        return None
    return day


def _cross_checks(rows: Sequence[AdjustmentRow], ctx: AdjustmentContext, outcome: AdjustmentImport) -> None:
    errors = outcome.errors
    recorded: dict[int, list[RecordedLeave]] = defaultdict(list)
    for leave in ctx.leave:
        recorded[leave.person_id].append(leave)
    in_file: dict[int, list[AdjustmentRow]] = defaultdict(list)
    first: dict[tuple, int] = {}
    for row in rows:
        if row.kind.leave_kind is not None:
            if _leave_row(row, recorded[row.person_id], in_file[row.person_id], outcome):
                in_file[row.person_id].append(row)
            continue
        quarter = row.quarter
        assert quarter is not None  # checked with the row
        if quarter in ctx.locked:
            errors.append(
                RowError(row.line, "quarter_locked", "季度", str(quarter), ctx.locked[quarter].value)
            )
            continue
        key = (quarter, row.person_id, row.kind)
        if key in first:
            errors.append(RowError(row.line, "duplicate_record", "姓名", row.name, str(first[key])))
            continue
        first[key] = row.line
        clash = _exempt_clash(row, quarter, ctx, first)
        if clash is not None:
            errors.append(clash)
            continue
        same = _recorded(ctx, quarter, row.person_id, row.kind)
        if same == (row.ground, row.reason):
            outcome.unchanged.append(row)
        else:
            outcome.new.append(row)
            outcome.replaced += same is not None


def _exempt_clash(
    row: AdjustmentRow, quarter: Quarter, ctx: AdjustmentContext, first: Mapping[tuple, int]
) -> RowError | None:
    """Exempt and vetoed or affirmed in the same quarter, in the file or on file: one of them is a mistake
    (the rules would drop the override unseen)."""
    if row.kind is AdjustmentKind.EXEMPT:
        others = [k for k in AdjustmentKind if k.override_kind is not None]
    else:
        others = [AdjustmentKind.EXEMPT]
    for kind in others:
        line = first.get((quarter, row.person_id, kind))
        if line is not None or _recorded(ctx, quarter, row.person_id, kind) is not None:
            detail = str(line) if line is not None else None
            override = kind if row.kind is AdjustmentKind.EXEMPT else row.kind
            return RowError(row.line, "exempt_and_override", "类别", KIND_LABELS[override], detail)
    return None


def _recorded(
    ctx: AdjustmentContext, quarter: Quarter, person_id: int, kind: AdjustmentKind
) -> tuple[int | None, str] | None:
    """The ground and reason of what is on file of this kind (no ground for an exemption), else None."""
    if kind.override_kind is not None:
        return ctx.overrides.get((quarter, person_id, kind.override_kind))
    reason = ctx.exemptions.get((quarter, person_id))
    return None if reason is None else (None, reason)


def _leave_row(
    row: AdjustmentRow,
    recorded: Sequence[RecordedLeave],
    earlier: Sequence[AdjustmentRow],
    outcome: AdjustmentImport,
) -> bool:
    """Check a leave against the person's earlier rows and his recorded leave; whether it stands."""
    assert row.start is not None and row.end is not None  # checked with the row
    start, end = row.start, row.end
    other = next((r for r in earlier if r.start <= end and start <= r.end), None)
    if other is not None:
        outcome.errors.append(RowError(row.line, "leave_overlap", "开始日期", row.name, str(other.line)))
        return False
    same = next((r for r in recorded if (r.kind, r.start, r.end) == (row.kind.leave_kind, start, end)), None)
    if same is not None:
        outcome.unchanged.append(row)
        return True
    clash = next((r for r in recorded if r.start <= end and start <= r.end), None)
    if clash is not None:
        outcome.errors.append(
            RowError(
                row.line,
                "leave_overlaps_recorded",
                "开始日期",
                clash.start.isoformat(),
                clash.end.isoformat(),
            )
        )
        return False
    outcome.new.append(row)
    return True


def template_examples(quarter: Quarter) -> list[list[Cell]]:
    """Example rows of each kind in this quarter, for the template's guide sheet (never imported)."""
    first = quarter.first_day
    name = partial(macro, TEXTS, "example_name")
    reason = partial(macro, TEXTS, "example_reason")
    day = dt.timedelta
    return [
        ["病假", name(0), "", "", first + day(5), first + day(9), "", reason("sick")],
        ["事假", name(1), "", "", first + day(40), first + day(41), "", ""],
        ["一票否决", name(2), "", str(quarter), "", "", 3, reason("veto")],
        ["一票肯定", name(3), "", str(quarter), "", "", 1, reason("affirmation")],
        ["只写评语", name(4), "", str(quarter), "", "", "", reason("exempt")],
        ["病假", name(5), "1988-03", "", first + day(60), first + day(62), "", ""],
    ]


def write_template(path: str | Path, quarter: Quarter) -> Path:
    """The file to fill in: an .xlsx with the columns on its first sheet (the one imported; 出生年月, 季度 and
    依据 as text, so 1988.10 stays October) and a guide with the accepted words and examples on a second;
    a .csv has the columns alone."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        return write_table(path, ADJUSTMENT_COLUMNS, [])
    text = partial(macro, TEXTS)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = text("sheet", "records")
    sheet.append(list(ADJUSTMENT_COLUMNS))
    for index, header in enumerate(ADJUSTMENT_COLUMNS, start=1):
        letter = get_column_letter(index)
        sheet.cell(1, index).font = BOLD
        sheet.column_dimensions[letter].width = 30 if header == "事由" else 14
        if header in ("出生年月", "季度", "依据"):
            for row in range(2, TEXT_ROWS + 2):
                sheet.cell(row, index).number_format = "@"
    sheet.freeze_panes = "A2"
    guide = workbook.create_sheet(text("sheet", "guide"))
    guide.append([text("guide_title", quarter)])
    guide.append([text("guide_intro")])
    guide.append([])
    guide.append([text("heading", "column"), text("heading", "rule")])
    for column in ADJUSTMENT_COLUMNS:
        guide.append([column, text("column_rule", column)])
    guide.append([])
    guide.append([text("heading", "kind"), text("heading", "words"), text("heading", "rule")])
    for kind, label in KIND_LABELS.items():
        words = "、".join(w for w, k in KIND_WORDS.items() if k is kind)
        guide.append([label, words, text("kind_note", kind)])
    guide.append([])
    guide.append([text("heading", "examples")])
    guide.append(list(ADJUSTMENT_COLUMNS))
    for row in template_examples(quarter):
        guide.append(xlsx_row(row))
    for cell in (guide["A1"], guide["A4"], guide["B4"]):
        cell.font = BOLD
    for letter, width in zip("ABCDEFGH", (14, 40, 60, 12, 14, 14, 8, 30), strict=True):
        guide.column_dimensions[letter].width = width
    as_text(guide)
    workbook.save(path)
    return path
