"""The commands for the import files: their templates, and importing the roster, the paper ballots and the
adjustments (leave, vetoes, affirmations, exemptions)."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.cli.shared import (
    CLI_ACTOR,
    ERROR_LIMIT,
    EXIT_INVALID,
    EXIT_OK,
    cli_work,
    echo,
    read_or_report,
    repository,
)
from bot.records.adjustment_file import AdjustmentImport, write_template
from bot.records.ballot_file import BALLOT_COLUMNS, PART_LABELS, BallotContext
from bot.records.ballot_sheets import (
    BallotSheets,
    group_label,
    looks_like_ballot_sheets,
    plan_sheets,
    sheets_document,
    sheets_workbook,
)
from bot.records.cells import NameIndex
from bot.records.roster_file import ROSTER_COLUMNS, ExistingPerson, parse_roster
from bot.records.spreadsheets import TableError, write_table
from bot.records.workbooks import sheet_name
from bot.rendering import render
from bot.rules.domain import BallotPart, Quarter
from bot.rules.scoring import group_weights
from bot.settings import Settings
from bot.workflow.adjustment_import import import_adjustments
from bot.workflow.clock import SystemClock
from bot.workflow.paper_ballots import import_ballot_sheets
from bot.workflow.quarter import ballot_context, import_ballots
from bot.workflow.unit import Refusal
from bot.workflow.uploads import ROSTER_LOCK


def cmd_roster_template(args: argparse.Namespace, settings: Settings) -> int:
    path = write_table(args.output, ROSTER_COLUMNS, [], sheet_name("roster_template"))
    echo(render("cli/template_written.j2", kind="roster", path=path, rows=0, quarter=None))
    return EXIT_OK


def cmd_import_roster(args: argparse.Namespace, settings: Settings) -> int:
    table = read_or_report(args.file)
    if table is None:
        return EXIT_INVALID

    async def run() -> tuple[list, list, Any]:
        async with repository(settings) as repo:
            if not args.dry_run:
                await repo.serialize(ROSTER_LOCK)  # as a roster confirmed in chat at the same moment
            sections = {s.id: s.name for s in await repo.sections()}
            existing = [
                ExistingPerson(p.name, p.birth_month, p.role, sections.get(p.section_id), p.active)
                for p in await repo.people()
            ]
            records, errors = parse_roster(table, known_sections=sections.values(), existing=existing)
            if errors or args.dry_run:
                return records, errors, None
            return records, errors, await repo.upsert_roster(records, CLI_ACTOR)

    records, errors, outcome = asyncio.run(run())
    context = {"file": args.file, "records": records, "outcome": outcome, "errors": errors}
    echo(
        render("cli/import_roster.j2", dry_run=args.dry_run, limit=ERROR_LIMIT, **context), error=bool(errors)
    )
    return EXIT_INVALID if errors else EXIT_OK


def cmd_ballots_template(args: argparse.Namespace, settings: Settings) -> int:
    quarter = args.quarter

    async def context() -> BallotContext:
        async with repository(settings) as repo:
            return await ballot_context(repo, settings, quarter)

    ctx = asyncio.run(context())
    weights = group_weights(settings.rules)
    if args.per_rater:
        return _ballot_sheets(args, settings, plan_sheets(ctx, settings.bureau_name, weights))
    names = NameIndex(ctx.people)
    by_id = {p.id: p for p in ctx.people}
    data = []
    for rater_id, ratee_id in sorted(ctx.pairs):
        rater, ratee = names.reference(by_id[rater_id]), names.reference(by_id[ratee_id])
        group = group_label(ctx.groups_of((rater_id, ratee_id)), weights)
        parts = [
            (BallotPart.COMMON, ctx.common_items),
            (BallotPart.INDIVIDUAL, ctx.individual_items.get(ratee_id, ())),
        ]
        for part, items in parts:
            for item in items:
                data.append(
                    [str(quarter), rater, ratee, PART_LABELS[part], item.name, item.max_points, None, group]
                )
    path = write_table(args.output or f"ballots-{quarter}.xlsx", BALLOT_COLUMNS, data, sheet_name("ballots"))
    echo(render("cli/template_written.j2", kind="ballots", path=path, rows=len(data), quarter=quarter))
    return EXIT_OK


def _ballot_sheets(args: argparse.Namespace, settings: Settings, plan: BallotSheets) -> int:
    """The per-rater sheets: FILE.xlsx to fill on a computer and FILE.docx beside it to print."""
    workbook = Path(args.output or f"ballot-sheets-{args.quarter}.xlsx")
    if workbook.suffix.lower() != ".xlsx":
        echo(render("table_errors.j2", code="wrong_type", detail=workbook.suffix), error=True)
        return EXIT_INVALID
    document = workbook.with_suffix(".docx")
    workbook.parent.mkdir(parents=True, exist_ok=True)
    workbook.write_bytes(sheets_workbook(plan))
    document.write_bytes(sheets_document(plan))
    echo(
        render(
            "cli/template_written.j2",
            kind="ballot_sheets",
            path=workbook,
            document=document,
            rows=plan.ballots,
            raters=len(plan.sheets),
            quarter=args.quarter,
        )
    )
    return EXIT_OK


def cmd_import_ballots(args: argparse.Namespace, settings: Settings) -> int:
    sheets = str(args.file).lower().endswith(".xlsx") and looks_like_ballot_sheets(args.file)
    table = None if sheets else read_or_report(args.file)
    if table is None and not sheets:
        return EXIT_INVALID

    async def run() -> Any:
        async with repository(settings) as repo:
            if sheets:
                outcome = await import_ballot_sheets(repo, settings, args.quarter, args.file, CLI_ACTOR)
            else:
                outcome = await import_ballots(repo, settings, args.quarter, table, CLI_ACTOR)
            if args.dry_run:
                await repo.rollback()
            return outcome

    try:
        outcome = asyncio.run(run())
    except TableError as exc:  # the workbook changed between the look and the read
        echo(render("table_errors.j2", code=exc.code, detail=exc.detail), error=True)
        return EXIT_INVALID
    return reported(
        "cli/import_ballots.j2", outcome, file=args.file, quarter=args.quarter, dry_run=args.dry_run
    )


def reported(template: str, outcome: Any, **context: Any) -> int:
    """Print an import's outcome (to stderr when the file was refused); its exit code."""
    echo(render(template, outcome=outcome, limit=ERROR_LIMIT, **context), error=bool(outcome.errors))
    return EXIT_INVALID if outcome.errors else EXIT_OK


def cmd_adjustments_template(args: argparse.Namespace, settings: Settings) -> int:
    """The adjustments file to fill in, its guide's examples in the quarter given (else this quarter)."""
    today = SystemClock().now().astimezone(ZoneInfo(settings.schedule.timezone)).date()
    quarter = args.quarter or Quarter.containing(today)
    path = write_template(args.output, quarter)
    echo(render("cli/template_written.j2", kind="adjustments", path=path, rows=0, quarter=quarter))
    return EXIT_OK


def cmd_import_adjustments(args: argparse.Namespace, settings: Settings) -> int:
    table = read_or_report(args.file)
    if table is None:
        return EXIT_INVALID

    async def run() -> AdjustmentImport:
        async with cli_work(settings) as work:
            return await import_adjustments(work, table, apply=not args.dry_run)

    try:
        outcome = asyncio.run(run())
    except Refusal as exc:  # a quarter closed meanwhile: the transaction was rolled back, nothing written
        echo(exc.text, error=True)
        return EXIT_INVALID
    return reported("cli/import_adjustments.j2", outcome, file=args.file, dry_run=args.dry_run)
