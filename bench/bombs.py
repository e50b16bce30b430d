"""Benchmark: the peak memory of reading import files that unfold into huge tables, and of the largest
files the limits accept.

Each file is built here byte by byte (zipfile, no spreadsheet program), written to a temporary folder
and read by `bot.records.spreadsheets.read_table` — the path of `import-roster` and `import-ballots` —
in a fresh process, which reports the outcome (refused with its reason, or the rows read), the wall
time and its peak resident set (VmHWM, interpreter and libraries included; the baseline is the same
process before reading). The target: every file up to the 20 MB upload limit refused or read within
200 MB.

    python -m bench.bombs            # all files
    python -m bench.bombs --quick    # the small ones only (a check that it runs)
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from openpyxl import Workbook

from bot.records.spreadsheets import MAX_BYTES, MAX_CELLS, MAX_MEMBER_BYTES

TARGET_MB = 200.0
INLINE = MAX_MEMBER_BYTES - 1_000

SHEET = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<dimension ref="{dim}"/><sheetData>{rows}</sheetData></worksheet>'
)
SHARED = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
    "<si><t>{text}</t></si></sst>"
)


def _workbook_parts() -> dict[str, bytes]:
    """The parts of a small real workbook, with one text cell so it has its shared strings."""
    book = Workbook()
    book.active.append(["姓名"])
    buffer = io.BytesIO()
    book.save(buffer)
    archive = zipfile.ZipFile(buffer)
    return {name: archive.read(name) for name in archive.namelist()}


def xlsx(replace: dict[str, bytes], extra: int = 0) -> bytes:
    """A workbook whose parts are replaced (by name) and with `extra` empty parts more."""
    parts = _workbook_parts() | replace
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
        for index in range(extra):
            archive.writestr(f"xl/media/x{index}.bin", b"")
    return buffer.getvalue()


def _sheet(dim: str, rows: str) -> dict[str, bytes]:
    return {"xl/worksheets/sheet1.xml": SHEET.format(dim=dim, rows=rows).encode()}


def _styles(formats: int) -> bytes:
    """The workbook's styles with `formats` cell formats more."""
    styles = _workbook_parts()["xl/styles.xml"].decode()
    start = styles.index("<cellXfs")
    head = styles.index(">", start) + 1
    xf = '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    return (styles[:head] + xf * formats + styles[head:]).encode()


def bomb_files() -> dict[str, tuple[bytes, str]]:
    """Small files that unfold into huge tables: name → (bytes, the refusal expected)."""
    last_row = '<row r="1048576"><c r="XFD1048576" t="n"><v>1</v></c></row>'
    wide = '<row r="1">' + "".join(f'<c r="{col}1" t="n"><v>1</v></c>' for col in ("A", "XFD")) + "</row>"
    header = ("姓名" + "".join(f",x{i}" for i in range(63)) + "\n").encode()
    return {
        # the 5 KB file: the dimension A1:XFD1048576 and one cell in the last row
        "dimension.xlsx": (xlsx(_sheet("A1:XFD1048576", last_row)), "too_many_rows"),
        "wide.xlsx": (xlsx(_sheet("A1", wide)), "too_many_columns"),
        # the 209 KB file: one shared string of 200 MB
        "string.xlsx": (
            xlsx({"xl/sharedStrings.xml": SHARED.format(text="x" * 200_000_000).encode()}),
            "unzipped_too_large",
        ),
        "sheet.xlsx": (xlsx(_sheet("A1", " " * 300_000_000)), "unzipped_too_large"),
        "parts.xlsx": (xlsx({}, extra=2_000), "too_many_parts"),
        # a 167 KB file whose styles unzip to 56 MB (openpyxl loads them whole: 1.75 GB)
        "styles.xlsx": (xlsx({"xl/styles.xml": _styles(880_000)}), "part_too_large"),
        # one inline string as long as a sheet part may unzip to
        "inline.xlsx": (
            xlsx(
                _sheet("A1", f'<row r="1"><c r="A1" t="inlineStr"><is><t>{"x" * INLINE}</t></is></c></row>')
            ),
            "cell_too_long",
        ),
        # a sheet part of small cells, more of them than allowed
        "many.xlsx": (
            xlsx(
                _sheet(
                    "A1",
                    "".join(
                        f'<row r="{r}">' + '<c t="n"><v>1</v></c>' * 60 + "</row>" for r in range(1, 14_000)
                    ),
                )
            ),
            "too_many_cells",
        ),
        # 19 MB of commas: ten million empty cells
        "commas.csv": ("姓名\n".encode() + b"," * (19 * 1024 * 1024), "too_many_cells"),
        "cells.csv": (header + (",".join("1" * 64) + "\n").encode() * 16_000, "too_many_cells"),
        "rows.csv": ("姓名\n".encode() + b"1\n" * 300_000, "too_many_rows"),
    }


def largest_accepted() -> dict[str, bytes]:
    """The largest ballot files the limits take: MAX_CELLS cells in rows of seven columns, CSV and XLSX."""
    header = ["季度", "评分人", "被评人", "指标类别", "指标", "满分", "得分"]
    rows = [
        ["2026Q3", f"评分人{i % 400}", f"被评人{i // 400}", "共性指标", f"指标{i % 10}", 10, 8]
        for i in range(MAX_CELLS // 7 - 1)
    ]
    text = "\n".join(",".join(map(str, r)) for r in [header, *rows]) + "\n"
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    # and 20 MB of CSV in long texts: four columns of 24 Chinese characters, as many rows as fit
    line = ",".join(["甲" * 24] * 4) + "\n"
    long_texts = ("姓名,职务,科室,备注\n" + line * (MAX_BYTES // len(line.encode()) - 1)).encode()
    return {"largest.csv": text.encode(), "largest.xlsx": buffer.getvalue(), "texts.csv": long_texts}


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure(path: str) -> dict:
    """In the measuring process: read one file as the import commands do."""
    from bot.records.spreadsheets import TableError, read_table

    baseline = _peak_mb()
    started = time.perf_counter()
    try:
        table = read_table(path)
        outcome = f"read {len(table.rows)} rows"
    except TableError as exc:
        outcome = f"refused: {exc.code}"
    except MemoryError:
        outcome = "MemoryError"
    return {
        "outcome": outcome,
        "seconds": time.perf_counter() - started,
        "baseline_mb": baseline,
        "peak_mb": _peak_mb(),
    }


def run(quick: bool) -> list[str]:
    files = {name: data for name, (data, _code) in bomb_files().items()}
    if not quick:
        files |= largest_accepted()
    else:
        files = {k: v for k, v in files.items() if len(v) < 1_000_000}
    lines = []
    with tempfile.TemporaryDirectory() as folder:
        for name, data in files.items():
            path = Path(folder) / name
            path.write_bytes(data)
            done = subprocess.run(
                [sys.executable, "-m", "bench.bombs", "--measure", str(path)],
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            if done.returncode != 0:
                lines.append(f"{name:15} {len(data) / 1024:9.0f} KB  failed: {done.stderr.strip()[-300:]}")
                continue
            figures = json.loads(done.stdout.strip().splitlines()[-1])
            verdict = "ok" if figures["peak_mb"] <= TARGET_MB else f"OVER {TARGET_MB:.0f} MB"
            lines.append(
                f"{name:15} {len(data) / 1024:9.0f} KB  {figures['outcome']:28} "
                f"{figures['seconds']:6.2f} s  peak {figures['peak_mb']:6.1f} MB "
                f"(baseline {figures['baseline_mb']:.1f} MB)  {verdict}"
            )
            print(lines[-1], flush=True)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bombs", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the small files only")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return 0
    print(f"import files read by read_table, target: refused or read within {TARGET_MB:.0f} MB peak")
    lines = run(args.quick)
    return 0 if all(" ok" in line.split("MB)")[-1] for line in lines) else 1


if __name__ == "__main__":
    raise SystemExit(main())
