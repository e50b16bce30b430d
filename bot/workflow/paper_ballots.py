"""Importing the paper ballots of the per-rater layout (one sheet per rater), as the long one is imported."""

from __future__ import annotations

from pathlib import Path

from bot.records.ballot_file import BallotImport
from bot.records.ballot_sheets import (
    HEADING_ROW,
    QUARTER_LABEL,
    check_sheets,
    looks_like_ballot_sheets,
    read_sheets,
    sheets_quarter,
)
from bot.records.cells import RowError, cell_text
from bot.rules.domain import Quarter
from bot.settings import Settings
from bot.workflow.quarter import import_checked_ballots
from storage.repository import Repository

__all__ = ["import_ballot_sheets", "looks_like_ballot_sheets"]


async def import_ballot_sheets(
    repo: Repository, settings: Settings, quarter: Quarter | None, source: bytes | str | Path, actor: str
) -> BallotImport:
    """The per-rater ballot workbook, checked and stored as import_ballots stores the long file: all
    ballots or none. Without a quarter, the one its first heading names. An unreadable file raises
    TableError (as read_table does)."""
    sheets = read_sheets(source)
    quarter = quarter or sheets_quarter(sheets)
    if quarter is None:
        heading = sheets[0] if sheets else None
        value = cell_text(heading.at(HEADING_ROW, 2)) if heading else ""
        error = RowError(
            HEADING_ROW, "bad_quarter", column=QUARTER_LABEL, value=value, sheet=heading and heading.title
        )
        return BallotImport(errors=[error])
    return await import_checked_ballots(repo, settings, quarter, lambda ctx: check_sheets(sheets, ctx), actor)
