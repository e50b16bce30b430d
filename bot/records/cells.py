"""Reading an import file's cells (text, dates, whole numbers, yes/no, names) and its row errors."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.records.spreadsheets import Cell, Table
from bot.rules.text import typed

# The words a yes/no column accepts: data the bureau's spreadsheets carry, partly in Chinese.
YES = {"是", "在职", "y", "yes", "1", "true"}
NO = {"否", "离职", "调离", "n", "no", "0", "false"}

_DATE = re.compile(r"^([0-9]{4})\s*[-./年]\s*([0-9]{1,2})(?:\s*[-./月]\s*([0-9]{1,2})\s*日?)?\s*月?$")
_COMPACT = re.compile(r"^([0-9]{4})([0-9]{2})([0-9]{2})?$")
_NAME_REF = re.compile(r"^(.+?)\s*[(（]\s*([0-9]{4})\s*[-./年]\s*([0-9]{1,2})\s*月?\s*[)）]$")
_DAY_NO_YEAR = re.compile(r"^([0-9]{1,2})(?:\s*月\s*([0-9]{1,2})\s*[日号]?|\s*[-./]\s*([0-9]{1,2}))$")
_DIGITS = re.compile(r"^[0-9]{1,3}(?:\.0+)?$")


@dataclass(frozen=True)
class RowError:
    """One problem of an import file; `code` picks the Chinese message in the template."""

    line: int
    code: str
    column: str | None = None
    value: str | None = None
    detail: str | None = None
    sheet: str | None = None  # the worksheet, in a workbook of several (the per-rater ballot sheets)


def parse_date(value: Cell, *, month_only: bool = False, day_required: bool = False) -> dt.date:
    """A date as bureaus write it: 2020-07-01, 2020/7/1, 2020.07, 2020年7月, 202007, or a spreadsheet date;
    with `day_required`, a month alone (2020.07) is no date (a leave's first or last day)."""
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        text = typed(str(value)).strip()  # an input method's full-width digits read; no other script's
        if isinstance(value, float) and value.is_integer():
            text = str(int(value))
        match = _DATE.match(text) or _COMPACT.match(text)
        if not match:
            raise ValueError(text)
        year, month, dom = int(match.group(1)), int(match.group(2)), match.group(3)
        if day_required and not dom:
            raise ValueError(text)
        day = dt.date(year, month, int(dom) if dom else 1)
    if not 1900 <= day.year <= 2100:
        raise ValueError(str(value))
    return day.replace(day=1) if month_only else day


def parse_typed_day(text: str, today: dt.date) -> dt.date:
    """A date typed in chat as Chinese write it: what a file accepts (2026年7月6日, 2026.7.6, 2026/7/6,
    2026-07-06), and a day without its year (7月6日, 7月6号, 7.6, 7/6) is one of today's year. Only in chat:
    in a file, 1988.03 is a birth month."""
    read = typed(text).strip()  # an input method's full-width digits and marks (７．６) read as ASCII
    day = day_without_year(read, today.year)
    return day if day is not None else parse_date(read)


def day_without_year(text: str, year: int) -> dt.date | None:
    """A day written without its year (7月6日, 7月6号, 7.6, 7/6) as one of `year`; None if it is not one
    (ValueError if it names no day, as 2月30日)."""
    match = _DAY_NO_YEAR.match(typed(text).strip())
    if not match:
        return None
    return dt.date(year, int(match.group(1)), int(match.group(2) or match.group(3)))


def cell_text(value: Cell) -> str:
    """A cell as the text it shows: blank for empty, 17 for the number 17.0."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def whole_number(value: Cell) -> int | None:
    """A whole number of points written with ASCII or full-width digits (17, 17.0, １７), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = typed(cell_text(value))  # ８５ as an input method types it reads as 85
    return int(float(text)) if _DIGITS.match(text) else None


def missing_columns(table: Table, needed: Sequence[str]) -> list[RowError]:
    """An error on the header line for each needed column the file lacks."""
    present = set(table.headers)
    return [RowError(1, "missing_column", column=c) for c in needed if c not in present]


@dataclass(frozen=True)
class PersonRef:
    """An active person as a ballot file may name him."""

    id: int
    name: str
    birth_month: dt.date


class NameIndex:
    """Resolves 张伟 or 张伟(1988-03) to one active person."""

    def __init__(self, people: Iterable[PersonRef]) -> None:
        self.by_name: dict[str, list[PersonRef]] = defaultdict(list)
        for p in people:
            self.by_name[p.name].append(p)

    def resolve(self, text: str) -> PersonRef | str:
        """The person, or the error code."""
        match = _NAME_REF.match(text)
        if match:
            name = match.group(1).strip()
            try:
                month = dt.date(int(match.group(2)), int(match.group(3)), 1)
            except ValueError:
                return "unknown_person"
            found = [p for p in self.by_name.get(name, []) if p.birth_month == month]
        else:
            found = self.by_name.get(text.strip(), [])
        if not found:
            return "unknown_person"
        if len(found) > 1:
            return "ambiguous_name"
        return found[0]

    def reference(self, person: PersonRef) -> str:
        """How a file names the person: the name, or 张伟(1988-03) when he has a namesake."""
        if len(self.by_name.get(person.name, ())) > 1:
            return f"{person.name}({person.birth_month:%Y-%m})"
        return person.name


@dataclass(frozen=True)
class GroupedError:
    """The same problem on several rows, shown once with its line numbers."""

    error: RowError
    lines: tuple[int, ...]


def group_errors(errors: Iterable[RowError]) -> list[GroupedError]:
    """Fold errors that differ only by line, in the order of their first line."""
    lines: dict[tuple, list[int]] = defaultdict(list)
    first: dict[tuple, RowError] = {}
    for e in errors:
        key = (e.sheet, e.code, e.column, e.value, e.detail)
        lines[key].append(e.line)
        first.setdefault(key, e)
    return sorted((GroupedError(first[k], tuple(v)) for k, v in lines.items()), key=lambda g: g.lines[0])
