"""Reading and writing the import files: CSV (UTF-8 or GB18030) and XLSX, with limits."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
SUFFIXES = (".csv", ".xlsx")

Cell = str | int | float | dt.date | dt.datetime | None


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
    try:
        rows = list(csv.reader(io.StringIO(_decode(data), newline="")))
    except csv.Error as exc:
        raise TableError("unreadable", "csv") from exc
    return _table(rows)


def read_xlsx_bytes(data: bytes) -> Table:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # zipfile.BadZipFile, InvalidFileException and other corruptions
        raise TableError("unreadable", type(exc).__name__) from None
    try:
        sheet = workbook.worksheets[0]
        raw: list[list[Cell]] = []
        for line, row in enumerate(sheet.iter_rows(), start=1):
            values: list[Cell] = []
            for cell in row:
                if cell.data_type == "f":
                    raise TableError("formula", f"{cell.coordinate}")
                values.append(cell.value)
            raw.append(values)
            if line > MAX_ROWS + 1:
                raise TableError("too_many_rows", str(MAX_ROWS))
    except TableError:
        raise
    except Exception as exc:  # broken sheet XML, a number cell holding text...
        raise TableError("unreadable", type(exc).__name__) from None
    finally:
        workbook.close()
    return _table(raw)


def _clean(value: Any) -> Cell:
    if isinstance(value, str):
        value = value.strip()
        return value or None
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


def write_table(path: str | Path, headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> Path:
    """Write a CSV (UTF-8 with BOM, so Excel reads the Chinese) or an XLSX with a bold header."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(headers)
            writer.writerows(rows)
        return path
    if path.suffix.lower() != ".xlsx":
        raise TableError("wrong_type", path.suffix)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
    as_text(sheet)
    for index, header in enumerate(headers, start=1):
        width = max([len(str(header)) * 2 + 2] + [len(str(r[index - 1] or "")) + 2 for r in rows[:200]])
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = min(width, 40)
    sheet.freeze_panes = "A2"
    workbook.save(path)
    return path


def as_text(sheet) -> None:
    """Texts that start with "=" (a name, a reason typed in chat) stay texts, never formulas."""
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"
