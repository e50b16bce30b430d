"""The records an admin can export, planned from the database and built off the event loop, in chat or CLI."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import re
import zipfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.records import charts, documents, workbooks
from bot.records import contents as records
from bot.records.annual import annual_report
from bot.rendering import macro
from bot.rules.domain import Quarter
from bot.settings import Settings
from storage.repository import Repository

# Telegram takes documents up to 50 MB from a bot; a bundle is split into zips below this.
DOCUMENT_LIMIT = 45 * 1024 * 1024
ZIP_MIME = "application/zip"
PNG_MIME = "image/png"
_MONTH = re.compile(r"^([0-9]{4})-([0-9]{1,2})$")
_YEAR = re.compile(r"^([0-9]{4})$")

_UNSAFE = re.compile(r'[\x00-\x1f/\\:*?"<>|]')


def name(kind: str, /, *args) -> str:
    """A file name from records/files.j2; names typed by people cannot make folders or odd files."""
    return _UNSAFE.sub("_", macro("records/files.j2", kind, *args)).lstrip(". ") or "_"


class ExportKind(StrEnum):
    """What an admin can export."""

    FORM1 = "form1"  # the monthly work summary (annex 1), per person and month
    FORM2 = "form2"  # the quarterly registration (annex 2), per person and quarter
    FILING = "filing"  # the quarter's workbook per category
    ANNUAL = "annual"  # the year's linkage report
    CHARTS = "charts"  # the quarter's charts


@dataclass(frozen=True)
class Period:
    """A month (Form 1), a quarter (Form 2, filing, charts) or a year (annual report)."""

    year: int
    month: int | None = None
    quarter: Quarter | None = None

    @classmethod
    def parse(cls, text: str) -> Period:
        """2026-09, 2026Q3 or 2026."""
        if match := _MONTH.match(text):
            year, month = int(match.group(1)), int(match.group(2))
            if not 1 <= month <= 12:
                raise ValueError(f"no month {month}")
            return cls(year, month=month)
        if match := _YEAR.match(text):
            return cls(int(match.group(1)))
        quarter = Quarter.parse(text)
        return cls(quarter.year, quarter=quarter)

    def __str__(self) -> str:
        if self.month:
            return f"{self.year}-{self.month:02d}"
        return str(self.quarter) if self.quarter else str(self.year)


PERIOD_OF = {
    ExportKind.FORM1: "month",
    ExportKind.FORM2: "quarter",
    ExportKind.FILING: "quarter",
    ExportKind.CHARTS: "quarter",
    ExportKind.ANNUAL: "year",
}


def fits(kind: ExportKind, period: Period) -> bool:
    """Whether the period is of the kind the export needs."""
    wanted = PERIOD_OF[kind]
    if wanted == "month":
        return period.month is not None
    if wanted == "quarter":
        return period.quarter is not None
    return period.month is None and period.quarter is None


@dataclass(frozen=True)
class ExportFile:
    """One file to write or send."""

    name: str
    data: bytes
    mime: str

    @property
    def is_photo(self) -> bool:
        return self.mime == PNG_MIME


@dataclass(frozen=True)
class Part:
    """A file still to build: its name, how to build it (CPU-bound, run in a thread) and its type."""

    name: str
    build: Callable[[], bytes]
    mime: str


@dataclass
class Plan:
    """What one export will make; `bundle` names the zip of per-person documents."""

    kind: ExportKind
    period: Period
    parts: list[Part] = field(default_factory=list)
    bundle: str | None = None
    unregistered: list[tuple[str, bool]] = field(default_factory=list)  # (name, exempt): no registration

    @property
    def empty(self) -> bool:
        return not self.parts


async def plan(
    repo: Repository, settings: Settings, kind: ExportKind, period: Period, today: dt.date | None = None
) -> Plan:
    """Read what the export needs in one go (the caller's session), leaving the building for later."""
    if not fits(kind, period):
        raise ValueError(f"{kind} needs a {PERIOD_OF[kind]}, not {period}")
    tz = ZoneInfo(settings.schedule.timezone)
    bureau = settings.bureau_name
    made_on = today or dt.datetime.now(tz).date()  # the day the filing workbook says it was made
    result = Plan(kind, period)
    if kind in (ExportKind.FORM1, ExportKind.FORM2):
        if kind is ExportKind.FORM1:
            forms = await records.monthly_forms(repo, period.year, period.month, tz)
        else:
            forms = await records.quarter_forms(repo, period.quarter, tz)
        write = documents.form1 if kind is ExportKind.FORM1 else documents.form2
        result.parts = [
            Part(
                name("person_file", kind.value, i, f.header.section, f.header.name),
                partial(write, f, bureau),
                documents.MIME,
            )
            for i, f in enumerate(forms, start=1)
        ]
        result.bundle = kind.value
        if kind is ExportKind.FORM2:
            result.unregistered = [(f.header.name, f.exempt) for f in forms if not f.registered]
    elif kind is ExportKind.FILING:
        filing = await records.filing(repo, settings, period.quarter, tz)
        if filing is not None:
            result.parts = [
                Part(
                    name("filing", period.quarter, category),
                    partial(workbooks.filing_workbook, filing, category, bureau, made_on),
                    workbooks.MIME,
                )
                for category in filing.rows
            ]
    elif kind is ExportKind.ANNUAL:
        report = await annual_report(repo, settings, period.year)
        if report.lines:
            result.parts = [
                Part(name("annual", period.year), partial(workbooks.annual_workbook, report), workbooks.MIME)
            ]
    else:
        filing = await records.filing(repo, settings, period.quarter, tz)
        if filing is not None and filing.rows:
            result.parts = [
                Part(name("chart", "tiers", period), partial(charts.tiers_chart, filing), PNG_MIME),
                Part(name("chart", "composites", period), partial(charts.composite_chart, filing), PNG_MIME),
            ]
        for month in period.quarter.months:
            progress = await records.submissions(repo, settings, period.year, month)
            if progress.submitted:
                result.parts.append(
                    Part(
                        name("chart", "progress", Period(period.year, month=month)),
                        partial(charts.progress_chart, progress, tz, today),
                        PNG_MIME,
                    )
                )
    return result


Progress = Callable[[int, int], Awaitable[None]]


async def build(
    plan: Plan, progress: Progress | None = None, limit: int = DOCUMENT_LIMIT
) -> list[ExportFile]:
    """Build every part in a worker thread, one at a time, telling `progress` (done, total) as it goes.

    Per-person documents come back as zips, each under `limit` bytes (Telegram's document limit).
    """
    built: list[ExportFile] = []
    total = len(plan.parts)
    for done, part in enumerate(plan.parts, start=1):
        built.append(ExportFile(part.name, await asyncio.to_thread(part.build), part.mime))
        if progress is not None:
            await progress(done, total)
    if plan.bundle is None:
        return built
    return await asyncio.to_thread(bundle, built, partial(name, "bundle", plan.bundle, plan.period), limit)


def bundle(files: list[ExportFile], zip_name: Callable[[int, int], str], limit: int) -> list[ExportFile]:
    """Zip files into as few archives as keep each under `limit` bytes; `zip_name(part, parts)` names them."""
    groups: list[list[ExportFile]] = [[]]
    size = 0
    for file in files:
        cost = len(file.data) + 200 + 2 * len(file.name.encode())  # zip headers: local and central
        if groups[-1] and size + cost > limit:
            groups.append([])
            size = 0
        if cost > limit:
            raise ValueError(f"{file.name} alone is over the limit")
        groups[-1].append(file)
        size += cost
    archives = []
    for index, group in enumerate(groups, start=1):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for file in group:
                archive.writestr(file.name, file.data)
        archives.append(ExportFile(zip_name(index, len(groups)), buffer.getvalue(), ZIP_MIME))
    return archives


def write(files: list[ExportFile], folder: Path) -> list[Path]:
    """Write built files into a folder; zips are also unpacked beside, one document per person."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for file in files:
        path = folder / file.name
        path.write_bytes(file.data)
        paths.append(path)
        if file.mime == ZIP_MIME:
            with zipfile.ZipFile(io.BytesIO(file.data)) as archive:
                archive.extractall(folder / path.stem)
    return paths


async def quarter_plans(
    repo: Repository,
    settings: Settings,
    quarter: Quarter,
    kinds: list[ExportKind] | None = None,
    today: dt.date | None = None,
) -> list[Plan]:
    """Every record of a quarter: Form 1 of its months, Form 2, filing workbooks, annual report, charts."""
    plans = []
    for kind in kinds or list(ExportKind):
        if kind is ExportKind.FORM1:
            periods = [Period(quarter.year, month=m) for m in quarter.months]
        elif kind is ExportKind.ANNUAL:
            periods = [Period(quarter.year)]
        else:
            periods = [Period(quarter.year, quarter=quarter)]
        for period in periods:
            made = await plan(repo, settings, kind, period, today)
            if not made.empty:
                plans.append(made)
    return plans


async def write_plans(plans: list[Plan], folder: Path) -> list[Path]:
    """Build the plans (after their session closed) and write the files into a folder."""
    paths: list[Path] = []
    for made in plans:
        paths += write(await build(made), folder)
    return paths
