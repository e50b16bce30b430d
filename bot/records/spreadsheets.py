"""Reading and writing the import files: CSV (UTF-8 or GB18030) and XLSX, with limits."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

from bot.rules.text import clean_line, clean_text, display_width

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
SUFFIXES = (".csv", ".xlsx")
# What a file may hold, checked before or while it is read, so that any file up to MAX_BYTES is
# refused or read within about 200 MB (bench/bombs.py measures it): a large bureau's ballot sheet
# (500 ratees × 20 raters × 10 items × 7 columns) has 700,000 cells; a workbook's parts unzip to
# a few MB; Excel itself holds at most 32,767 characters in a cell.
MAX_COLUMNS = 64
MAX_CELLS = 800_000
MAX_CELL_CHARS = 32_767
MAX_ZIP_MEMBERS = 500
MAX_MEMBER_BYTES = 64 * 1024 * 1024  # one part of the workbook, unzipped
MAX_UNZIPPED_BYTES = 80 * 1024 * 1024  # all its parts
MAX_SHARED_STRINGS_BYTES = 16 * 1024 * 1024  # openpyxl reads this part whole, before any row
# every other XML part (styles, workbook, rels, theme…): openpyxl loads it whole, at ~30× its size
MAX_OTHER_PART_BYTES = 2 * 1024 * 1024

# A text a spreadsheet program would take for a formula when it opens a CSV: one that starts, maybe
# after spaces, tabs or line breaks, with a sign (the ASCII ones and the full-width ones an input
# method types). Such a cell is written behind an apostrophe (FORMULA_GUARD), which a spreadsheet shows
# as text and our own import removes again. (An .xlsx stores texts as texts: as_text below.)
FORMULA_SIGNS = ("=", "+", "-", "@", "＝", "＋", "－", "＠")
_LEADING = " \u3000\t\r\n'"
FORMULA_GUARD = "'"

Cell = str | int | float | Decimal | dt.date | dt.datetime | None


class TableError(Exception):
    """The file cannot be read as a table; `code` names why (rendered for the user)."""

    def __init__(self, code: str, detail: str = "") -> None:
        self.code = code
        self.detail = detail
        super().__init__(f"{code}: {detail}" if detail else code)


@dataclass(frozen=True)
class Table:
    """The header and the data rows, each with its line number as a spreadsheet shows it."""

    headers: tuple[str, ...]
    rows: tuple[tuple[int, dict[str, Cell]], ...]


def read_table(path: str | Path) -> Table:
    """Read a CSV or XLSX file; formulas, oversize files and other types are refused."""
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise TableError("wrong_type", path.suffix)
    if not path.is_file():
        raise TableError("not_found", str(path))
    if path.stat().st_size > MAX_BYTES:
        raise TableError("too_large", str(path.stat().st_size))
    data = path.read_bytes()
    return read_csv_bytes(data) if path.suffix.lower() == ".csv" else read_xlsx_bytes(data)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableError("bad_encoding")


def read_csv_bytes(data: bytes) -> Table:
    if b"\x00" in data:
        raise TableError("unreadable", "binary data")
    text = _decode(data)
    if text.count(",") > MAX_CELLS:  # more cells than that, whatever the quoting: before csv makes them
        raise TableError("too_many_cells", str(MAX_CELLS))
    raw: list[list[Cell]] = []
    cells = 0
    try:
        for row in csv.reader(io.StringIO(text, newline="")):
            cells += len(row)
            _within_limits(len(raw) + 1, len(row), cells, max(map(len, row), default=0))
            raw.append([_unguarded(v) for v in row])
    except csv.Error as exc:  # a field longer than csv's own limit (131,072 characters) too
        raise TableError("unreadable", "csv") from exc
    return _table(raw)


def _within_limits(line: int, columns: int, cells: int, longest: int) -> None:
    if line > MAX_ROWS + 1:
        raise TableError("too_many_rows", str(MAX_ROWS))
    if columns > MAX_COLUMNS:
        raise TableError("too_many_columns", str(MAX_COLUMNS))
    if cells > MAX_CELLS:
        raise TableError("too_many_cells", str(MAX_CELLS))
    if longest > MAX_CELL_CHARS:
        raise TableError("cell_too_long", str(MAX_CELL_CHARS))


def check_xlsx_archive(data: bytes) -> None:
    """Refuse a workbook whose parts would unzip to more than the limits, before anything is parsed.

    The sizes are those the archive declares; zipfile never inflates a part past its declared size.
    """
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise TableError("unreadable", type(exc).__name__) from None
    if len(members) > MAX_ZIP_MEMBERS:
        raise TableError("too_many_parts", str(MAX_ZIP_MEMBERS))
    total = 0
    for member in members:
        name = member.filename.lower()
        if (
            name.endswith((".xml", ".rels"))
            and not name.startswith("xl/worksheets/")
            and not name.endswith("sharedstrings.xml")
            and member.file_size > MAX_OTHER_PART_BYTES
        ):
            raise TableError("part_too_large", str(MAX_OTHER_PART_BYTES // (1024 * 1024)))
        limit = MAX_SHARED_STRINGS_BYTES if name.endswith("sharedstrings.xml") else None
        if member.file_size > (limit or MAX_MEMBER_BYTES):
            raise TableError("unzipped_too_large", str((limit or MAX_MEMBER_BYTES) // (1024 * 1024)))
        total += member.file_size
    if total > MAX_UNZIPPED_BYTES:
        raise TableError("unzipped_too_large", str(MAX_UNZIPPED_BYTES // (1024 * 1024)))


def read_xlsx_bytes(data: bytes) -> Table:
    check_xlsx_archive(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # zipfile.BadZipFile, InvalidFileException and other corruptions
        raise TableError("unreadable", type(exc).__name__) from None
    try:
        sheet = workbook.worksheets[0]
        # The dimension the file declares (A1:XFD1048576 costs nothing to write) is not believed:
        # rows are as wide as their last cell, and missing rows are not made up past MAX_ROWS.
        sheet.reset_dimensions()
        raw: list[list[Cell]] = []
        cells = 0
        for line, row in enumerate(sheet.iter_rows(), start=1):
            cells += len(row)
            _within_limits(line, len(row), cells, 0)
            values: list[Cell] = []
            for cell in row:
                if cell.data_type == "f":
                    raise TableError("formula", f"{cell.coordinate}")
                if isinstance(cell.value, str) and len(cell.value) > MAX_CELL_CHARS:
                    raise TableError("cell_too_long", str(MAX_CELL_CHARS))
                values.append(cell.value)
            raw.append(values)
    except TableError:
        raise
    except Exception as exc:  # broken sheet XML, a number cell holding text...
        raise TableError("unreadable", type(exc).__name__) from None
    finally:
        workbook.close()
    return _table(raw)


def _clean(value: Any) -> Cell:
    """A cell's text without control characters and the like (bot.rules.text), trimmed; blank is None."""
    if isinstance(value, str):
        value = clean_line(value).strip()
        return value or None
    return value


def csv_safe(value: Cell) -> Cell:
    """A cell as a CSV carries it: a text that would start a formula gets the guard, and every text is
    cleaned of characters no record can hold (rows stored before cleaning on entry)."""
    if not isinstance(value, str):
        return value
    value = clean_text(value)
    return FORMULA_GUARD + value if formula_like(value) else value


def formula_like(text: str) -> bool:
    """Whether a spreadsheet could read the text as a formula (apostrophes before the sign included,
    so that a text of the form '=x survives the round trip too)."""
    return text.lstrip(_LEADING).startswith(FORMULA_SIGNS)


def _unguarded(value: str) -> str:
    """A CSV cell as it was before csv_safe guarded it: exactly one guard, before a formula-like text."""
    if value.startswith(FORMULA_GUARD) and formula_like(value[1:]):
        return value[1:]
    return value


def _table(raw: Sequence[Sequence[Any]]) -> Table:
    if not raw or not any(_clean(v) is not None for v in raw[0]):
        raise TableError("empty")
    headers = tuple(str(_clean(v) or "") for v in raw[0])
    named = [h for h in headers if h]
    duplicated = sorted({h for h in named if named.count(h) > 1})
    if duplicated:
        raise TableError("duplicate_header", "、".join(duplicated))
    if len(raw) - 1 > MAX_ROWS:
        raise TableError("too_many_rows", str(MAX_ROWS))
    rows = []
    for line, values in enumerate(raw[1:], start=2):
        cells = [_clean(v) for v in values]
        if not any(c is not None for c in cells):
            continue
        if any(c is not None and (i >= len(headers) or not headers[i]) for i, c in enumerate(cells)):
            raise TableError("cell_without_header", str(line))
        rows.append((line, {h: (cells[i] if i < len(cells) else None) for i, h in enumerate(headers) if h}))
    return Table(headers, tuple(rows))


def write_table(
    path: str | Path, headers: Sequence[str], rows: Sequence[Sequence[Cell]], sheet: str | None = None
) -> Path:
    """Write a CSV (UTF-8 with BOM, so Excel reads the Chinese) or an XLSX with a bold frozen header on
    a sheet named `sheet` (else after the file); numbers stay numbers, a Decimal with its own decimals."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            handle.write(csv_text(headers, rows))
        return path
    if path.suffix.lower() != ".xlsx":
        raise TableError("wrong_type", path.suffix)
    workbook = Workbook()
    table = workbook.active
    table.title = (sheet or path.stem)[:31]  # a sheet's name holds 31 characters
    table.append(xlsx_row(headers))
    for cell in table[1]:
        cell.font = Font(bold=True)
    for row in rows:
        table.append(xlsx_row(row))
    as_text(table)
    number_formats(table)
    for index, header in enumerate(headers, start=1):
        shown = [display_width(str(header)) + 2] + [
            display_width(_text(r[index - 1])) + 2 for r in rows[:200]
        ]
        table.column_dimensions[table.cell(1, index).column_letter].width = min(max(shown), 40)
    table.freeze_panes = "A2"
    print_setup(table, "1:1", landscape=len(headers) > 8)
    workbook.save(path)
    return path


def _text(value: Cell) -> str:
    return "" if value is None else str(value)


def csv_text(headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> str:
    """The CSV of a table, every cell through csv_safe: what every CSV the project writes is made of."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([csv_safe(h) for h in headers])
    writer.writerows([csv_safe(v) for v in row] for row in rows)
    return buffer.getvalue()


def xlsx_row(values: Sequence[Any]) -> list[Any]:
    """A row for openpyxl: texts cleaned of what XML cannot hold (openpyxl refuses \\x07 and the like)."""
    return [clean_text(v) if isinstance(v, str) else v for v in values]


def as_text(sheet) -> None:
    """Texts that start with "=" (a name, a reason typed in chat) stay texts, never formulas."""
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"


def number_formats(sheet: Worksheet) -> None:
    """A Decimal cell (a score, already rounded as shown) is a number shown with its own decimals:
    Decimal("94.00") is the number 94 displayed 94.00, whatever the reader's default format."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, Decimal) and cell.value.is_finite():
                places = max(0, -cell.value.as_tuple().exponent)
                cell.number_format = "0." + "0" * places if places else "0"


def print_setup(
    sheet: Worksheet, title_rows: str | None, *, landscape: bool, footer: str = "&P / &N"
) -> None:
    """A4, fit to the page's width (as many pages down as it takes), the title rows repeated on every
    page, narrow margins and the page number in the footer."""
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE if landscape else sheet.ORIENTATION_PORTRAIT
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_margins = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.6, header=0.25, footer=0.3)
    sheet.print_options.horizontalCentered = True
    if title_rows:
        sheet.print_title_rows = title_rows
    sheet.oddFooter.center.text = footer
    sheet.evenFooter.center.text = footer
