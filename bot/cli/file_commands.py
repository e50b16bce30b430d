"""The commands for the import files: their templates, and importing the roster, the paper ballots and the
adjustments (leave, vetoes, affirmations, exemptions)."""

from __future__ import annotations

import argparse
import asyncio
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
from bot.records.ballot_file import BALLOT_COLUMNS, PART_LABELS
from bot.records.cells import NameIndex, PersonRef
from bot.records.roster_file import ROSTER_COLUMNS, ExistingPerson, parse_roster
from bot.records.spreadsheets import write_table
from bot.rendering import render
from bot.rules.domain import BallotPart, Quarter
from bot.settings import Settings
from bot.workflow.adjustment_import import import_adjustments
from bot.workflow.clock import SystemClock
from bot.workflow.quarter import ballot_context, import_ballots
from bot.workflow.unit import Refusal


def cmd_roster_template(args: argparse.Namespace, settings: Settings) -> int:
    path = write_table(args.output, ROSTER_COLUMNS, [])
    echo(render("cli/template_written.j2", kind="roster", path=path, rows=0, quarter=None))
    return EXIT_OK


def cmd_import_roster(args: argparse.Namespace, settings: Settings) -> int:
    table = read_or_report(args.file)
    if table is None:
        return EXIT_INVALID

    async def run() -> tuple[list, list, Any]:
        async with repository(settings) as repo:
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

    async def rows() -> list[list[Any]]:
        async with repository(settings) as repo:
            ctx = await ballot_context(repo, settings, quarter)
        names = NameIndex(ctx.people)
        by_id = {p.id: p for p in ctx.people}

        def ref(person: PersonRef) -> str:
            if isinstance(names.resolve(person.name), PersonRef):
                return person.name
            return f"{person.name}({person.birth_month:%Y-%m})"

        out = []
        for rater_id, ratee_id in sorted(ctx.pairs):
            rater, ratee = by_id[rater_id], by_id[ratee_id]
            parts = [
                (BallotPart.COMMON, ctx.common_items),
                (BallotPart.INDIVIDUAL, ctx.individual_items.get(ratee_id, ())),
            ]
            for part, items in parts:
                for item in items:
                    part_label = PART_LABELS[part]
                    out.append(
                        [str(quarter), ref(rater), ref(ratee), part_label, item.name, item.max_points, None]
                    )
        return out

    data = asyncio.run(rows())
    path = write_table(args.output or f"ballots-{quarter}.xlsx", BALLOT_COLUMNS, data)
    echo(render("cli/template_written.j2", kind="ballots", path=path, rows=len(data), quarter=quarter))
    return EXIT_OK


def cmd_import_ballots(args: argparse.Namespace, settings: Settings) -> int:
    table = read_or_report(args.file)
    if table is None:
        return EXIT_INVALID

    async def run() -> Any:
        async with repository(settings) as repo:
            outcome = await import_ballots(repo, settings, args.quarter, table, CLI_ACTOR)
            if args.dry_run:
                await repo.rollback()
            return outcome

    outcome = asyncio.run(run())
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
