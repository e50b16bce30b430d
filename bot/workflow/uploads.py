"""Files an admin sends the bot (a roster, paper ballots): recognised, checked whole, applied all or none.

No Telegram here: a front end downloads the file and hands over its bytes and its name.

The registry (`KINDS`, filled by `upload_kind`) holds each kind of file the bot accepts, in the order
they are tried. A kind is one `UploadKind`:

- `name`: a short ASCII key, stored with the pending upload (the confirmation button's payload);
- `read(upload) -> content | None`: plain Python, run in a thread (it may parse 20 MB): the file's
  content if the file is of this kind, else None. It gets the whole `Upload` (the bytes, the file's
  name, and its first sheet or CSV as a `Table`, read once and shared by the kinds: `upload.table()`),
  so a kind may read a multi-sheet workbook itself (`io.BytesIO(upload.data)`). A file that cannot be
  read at all raises `TableError` (answered with `table_errors.j2`);
- `check(work, content, quarter) -> Checked`: the whole file checked against the records, nothing
  written; `quarter` is None on the first check (the kind picks the quarter, if it needs one, and says
  which in `Checked.quarter`), then the one chosen then;
- `apply(work, content, quarter) -> Checked`: checked again in this transaction and stored only if
  there is no error (the caller rolls the transaction back when `errors` is not empty), the audit log
  naming `work.actor`;
- `template`: renders a `Checked` for the admin (context: `file`, `stage` "check" or "done",
  `errors`, `summary`, `quarter`, `limit`); `columns`: the headers shown when no kind fits a file.

`Checked.summary` holds plain JSON values only: it is kept with the confirmation, so that a
confirmation pressed again shows the outcome again. Adding a kind is one `upload_kind(UploadKind(...))`
call, its template, and its name in `chat/admin/upload_unknown.j2` (the list of accepted kinds).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import PurePath
from typing import Any

from bot.records.adjustment_file import ADJUSTMENT_COLUMNS, AdjustmentImport, is_adjustment_sheet
from bot.records.ballot_file import BALLOT_COLUMNS, is_ballot_sheet, named_quarters, parse_ballots
from bot.records.ballot_sheets import (
    GROUP_LABEL,
    QUARTER_LABEL,
    RATER_LABEL,
    RawSheet,
    check_sheets,
    looks_like_ballot_sheets,
    read_sheets,
    sheets_quarter,
)
from bot.records.cells import RowError
from bot.records.roster_file import ROSTER_COLUMNS, ExistingPerson, PersonRecord, is_roster, parse_roster
from bot.records.spreadsheets import MAX_BYTES, SUFFIXES, Table, TableError, read_csv_bytes, read_xlsx_bytes
from bot.rules.domain import Phase, Quarter
from bot.workflow.adjustment_import import import_adjustments
from bot.workflow.phases import quarter_for
from bot.workflow.quarter import ballot_context, import_ballots, import_checked_ballots
from bot.workflow.unit import Work
from storage.repository.people import PERSON_FIELDS

__all__ = [
    "KINDS",
    "MAX_BYTES",
    "ROSTER_LOCK",
    "SUFFIXES",
    "Checked",
    "NoKind",
    "Upload",
    "UploadKind",
    "checksum",
    "recognise",
    "upload_kind",
]

ROSTER_LOCK = "roster_import"  # taken by every roster import, here and on the command line
NAMES_SHOWN = 30  # people named in a summary's list (deactivated, moved); the rest are counted


@dataclass
class Upload:
    """A file as sent: its name and bytes; its first sheet (or the CSV) read on first use."""

    name: str
    data: bytes

    @property
    def suffix(self) -> str:
        return PurePath(self.name).suffix.lower()

    @cached_property
    def _table(self) -> Table | TableError:
        if self.suffix not in SUFFIXES:
            return TableError("wrong_type", self.suffix)
        if len(self.data) > MAX_BYTES:
            return TableError("too_large", str(len(self.data)))
        try:
            return read_csv_bytes(self.data) if self.suffix == ".csv" else read_xlsx_bytes(self.data)
        except TableError as exc:
            return exc

    def table(self) -> Table:
        """The first sheet, or the CSV, as the command line reads it; TableError if it cannot be read."""
        found = self._table
        if isinstance(found, TableError):
            raise found
        return found


@dataclass
class Checked:
    """A file checked (or applied): its errors, else what it holds (or did), as plain JSON values."""

    errors: list[RowError] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    quarter: Quarter | None = None
    applicable: bool = False  # no error, and applying it would change something (else nothing to confirm)


@dataclass(frozen=True)
class UploadKind:
    """One kind of file the bot accepts (see the module's docstring)."""

    name: str
    read: Callable[[Upload], Any | None]
    check: Callable[[Work, Any, Quarter | None], Awaitable[Checked]]
    apply: Callable[[Work, Any, Quarter | None], Awaitable[Checked]]
    template: str
    columns: tuple[str, ...]


KINDS: dict[str, UploadKind] = {}


def upload_kind(kind: UploadKind) -> UploadKind:
    """Register a kind of file; kinds are tried in the order registered."""
    if kind.name in KINDS:
        raise ValueError(f"upload kind {kind.name!r} registered twice")
    KINDS[kind.name] = kind
    return kind


class NoKind(Exception):
    """The file was read but is none of the kinds the bot accepts; `headers` are its first sheet's."""

    def __init__(self, headers: tuple[str, ...]) -> None:
        self.headers = headers
        super().__init__(", ".join(headers))


def recognise(upload: Upload) -> tuple[UploadKind, Any]:
    """The kind of the file and its content (plain Python: run it in a thread). TableError when the file
    cannot be read at all, NoKind when it is read but no kind takes it."""
    unreadable: TableError | None = None
    for kind in KINDS.values():
        try:
            content = kind.read(upload)
        except TableError as exc:
            unreadable = unreadable or exc
            continue
        if content is not None:
            return kind, content
    if unreadable is not None:
        raise unreadable
    raise NoKind(tuple(h for h in upload.table().headers if h))


def checksum(data: bytes) -> str:
    """What a pending upload keeps to know the file downloaded again is the one checked."""
    return hashlib.sha256(data).hexdigest()


# --- the roster ------------------------------------------------------------------------------------


def _read_roster(upload: Upload) -> Table | None:
    table = upload.table()
    return table if is_roster(table) else None


async def _parsed_roster(work: Work, table: Table) -> tuple[list[PersonRecord], list[RowError]]:
    """The rows checked as `import-roster` checks them, against the sections and people on file."""
    sections = await work.repo.section_names()
    existing = [
        ExistingPerson(p.name, p.birth_month, p.role, sections.get(p.section_id), p.active)
        for p in await work.repo.people()
    ]
    return parse_roster(table, known_sections=sections.values(), existing=existing)


async def _roster_changes(work: Work, records: list[PersonRecord]) -> dict[str, Any]:
    """What importing the records would do to the people on file, as `upsert_roster` would count it."""
    sections = await work.repo.section_names()
    supervision = await work.repo.supervision()
    people = {(p.name, p.birth_month): p for p in await work.repo.people()}
    created = updated = unchanged = 0
    deactivated: list[str] = []
    moved: list[list[str | None]] = []
    for record in records:
        person = people.get(record.key)
        if person is None:
            created += 1
            continue
        section = sections.get(person.section_id) if person.section_id else None
        supervised = {sections.get(s) for s in supervision.get(person.id, ())}
        if (
            all(getattr(person, f) == getattr(record, f) for f in PERSON_FIELDS)
            and section == record.section
            and supervised == set(record.supervises)
        ):
            unchanged += 1
            continue
        updated += 1
        if person.active and not record.active:
            deactivated.append(record.name)
        elif person.role is not record.role or section != record.section:
            moved.append([record.name, person.role.value, section, record.role.value, record.section])
    listed = {r.key for r in records}
    return {
        "total": len(records),
        "created": created,
        "updated": updated,
        "unchanged": unchanged,
        "deactivated": deactivated,
        "moved": moved,
        "untouched": sum(1 for key, p in people.items() if key not in listed and p.active),
        "shown": NAMES_SHOWN,
    }


async def _check_roster(work: Work, table: Table, quarter: Quarter | None) -> Checked:
    """The roster checked, and what importing it would do to the people on file (nothing is written)."""
    records, errors = await _parsed_roster(work, table)
    if errors:
        return Checked(errors)
    summary = await _roster_changes(work, records)
    return Checked(summary=summary, applicable=bool(summary["created"] or summary["updated"]))


async def _apply_roster(work: Work, table: Table, quarter: Quarter | None) -> Checked:
    """The roster checked again against the records as they are now, then imported as one (a roster
    confirmed at the same moment waits, then is checked against what the first imported)."""
    await work.repo.serialize(ROSTER_LOCK)
    records, errors = await _parsed_roster(work, table)
    if errors:
        return Checked(errors)
    summary = await _roster_changes(work, records)
    outcome = await work.repo.upsert_roster(records, work.actor)
    summary.update(created=outcome.created, updated=outcome.updated, unchanged=outcome.unchanged)
    return Checked(summary=summary)


upload_kind(
    UploadKind(
        name="roster",
        read=_read_roster,
        check=_check_roster,
        apply=_apply_roster,
        template="chat/admin/upload_roster.j2",
        columns=ROSTER_COLUMNS,
    )
)


# --- the paper ballots (one row per rater × ratee × item) ------------------------------------------


def _read_ballots(upload: Upload) -> Table | None:
    table = upload.table()
    return table if is_ballot_sheet(table) else None


async def _ballot_quarter(work: Work, table: Table, quarter: Quarter | None) -> Quarter:
    """The quarter the file names most, else the one whose rating is at hand."""
    if quarter is not None:
        return quarter
    named = named_quarters(table)
    return named[0] if named else await quarter_for(work, Phase.RATING, None)


def _ballot_summary(outcome) -> dict[str, Any]:
    return {"new": len(outcome.new), "unchanged": outcome.unchanged, "skipped": outcome.skipped}


async def _check_ballots(work: Work, table: Table, quarter: Quarter | None) -> Checked:
    """The ballots checked as `import-ballots` checks them; nothing written, the quarter not locked."""
    quarter = await _ballot_quarter(work, table, quarter)
    outcome = parse_ballots(table, await ballot_context(work.repo, work.settings, quarter))
    if outcome.errors:
        return Checked(outcome.errors, quarter=quarter)
    return Checked(summary=_ballot_summary(outcome), quarter=quarter, applicable=bool(outcome.new))


async def _apply_ballots(work: Work, table: Table, quarter: Quarter | None) -> Checked:
    """The ballots stored as `import-ballots` stores them: the quarter locked, all or none."""
    quarter = await _ballot_quarter(work, table, quarter)
    outcome = await import_ballots(work.repo, work.settings, quarter, table, work.actor)
    return Checked(outcome.errors, {} if outcome.errors else _ballot_summary(outcome), quarter)


upload_kind(
    UploadKind(
        name="ballots",
        read=_read_ballots,
        check=_check_ballots,
        apply=_apply_ballots,
        template="chat/admin/upload_ballots.j2",
        columns=BALLOT_COLUMNS,
    )
)


# --- the paper ballots, one sheet per rater (the ballot as printed) ---------------------------------


def _read_ballot_sheets(upload: Upload) -> list[RawSheet] | None:
    if upload.suffix != ".xlsx" or len(upload.data) > MAX_BYTES or not looks_like_ballot_sheets(upload.data):
        return None
    return read_sheets(upload.data)


async def _sheets_quarter(work: Work, sheets: list[RawSheet], quarter: Quarter | None) -> Quarter:
    """The quarter the first sheet's heading names, else the one whose rating is at hand."""
    return quarter or sheets_quarter(sheets) or await quarter_for(work, Phase.RATING, None)


async def _check_ballot_sheets(work: Work, sheets: list[RawSheet], quarter: Quarter | None) -> Checked:
    """Every sheet checked as `import-ballots` checks the workbook; nothing written, nothing locked."""
    quarter = await _sheets_quarter(work, sheets, quarter)
    outcome = check_sheets(sheets, await ballot_context(work.repo, work.settings, quarter))
    if outcome.errors:
        return Checked(outcome.errors, quarter=quarter)
    return Checked(summary=_ballot_summary(outcome), quarter=quarter, applicable=bool(outcome.new))


async def _apply_ballot_sheets(work: Work, sheets: list[RawSheet], quarter: Quarter | None) -> Checked:
    """The sheets' ballots stored as the long file's are: the quarter locked, all or none."""
    quarter = await _sheets_quarter(work, sheets, quarter)
    check = lambda ctx: check_sheets(sheets, ctx)  # noqa: E731
    outcome = await import_checked_ballots(work.repo, work.settings, quarter, check, work.actor)
    return Checked(outcome.errors, {} if outcome.errors else _ballot_summary(outcome), quarter)


upload_kind(
    UploadKind(
        name="ballot_sheets",
        read=_read_ballot_sheets,
        check=_check_ballot_sheets,
        apply=_apply_ballot_sheets,
        template="chat/admin/upload_ballots.j2",
        columns=(QUARTER_LABEL, RATER_LABEL, GROUP_LABEL),  # the heading's labels, on each sheet's row 2
    )
)


# --- leave, vetoes, affirmations and exemptions ----------------------------------------------------


def _read_adjustments(upload: Upload) -> Table | None:
    table = upload.table()
    return table if is_adjustment_sheet(table) else None


def _adjustment_summary(outcome: AdjustmentImport) -> dict[str, Any]:
    return {
        "counts": {kind.value: n for kind, n in outcome.counts().items()},
        "replaced": outcome.replaced,
        "unchanged": len(outcome.unchanged),
        "recomputed": [{"year": q.year, "number": q.number} for q in outcome.recomputed],
        "kept": [{"year": q.year, "number": q.number} for q in outcome.kept],
    }


async def _check_adjustments(work: Work, table: Table, quarter: Quarter | None) -> Checked:
    """The rows checked as `import-adjustments --dry-run` checks them; nothing written."""
    outcome = await import_adjustments(work, table, apply=False)
    if outcome.errors:
        return Checked(outcome.errors)
    return Checked(summary=_adjustment_summary(outcome), applicable=bool(outcome.new))


async def _apply_adjustments(work: Work, table: Table, quarter: Quarter | None) -> Checked:
    """The rows checked again and recorded through the chat commands' steps, all or none."""
    outcome = await import_adjustments(work, table)
    return Checked(outcome.errors, {} if outcome.errors else _adjustment_summary(outcome))


upload_kind(
    UploadKind(
        name="adjustments",
        read=_read_adjustments,
        check=_check_adjustments,
        apply=_apply_adjustments,
        template="chat/admin/upload_adjustments.j2",
        columns=ADJUSTMENT_COLUMNS,
    )
)
