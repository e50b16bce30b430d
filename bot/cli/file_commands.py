"""The commands for the import files: their templates, and importing the roster and the paper ballots."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from bot.cli.shared import CLI_ACTOR, ERROR_LIMIT, EXIT_INVALID, EXIT_OK, echo, read_or_report, repository
from bot.records.ballot_file import BALLOT_COLUMNS, PART_LABELS
from bot.records.cells import NameIndex, PersonRef
from bot.records.roster_file import ROSTER_COLUMNS, ExistingPerson, parse_roster
from bot.records.spreadsheets import write_table
from bot.records.workbooks import sheet_name
from bot.rendering import render
from bot.rules.domain import BallotPart
from bot.settings import Settings
from bot.workflow.quarter import ballot_context, import_ballots


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
    path = write_table(args.output or f"ballots-{quarter}.xlsx", BALLOT_COLUMNS, data, sheet_name("ballots"))
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
    text = render(
        "cli/import_ballots.j2",
        file=args.file,
        quarter=args.quarter,
        outcome=outcome,
        limit=ERROR_LIMIT,
        dry_run=args.dry_run,
    )
    echo(text, error=bool(outcome.errors))
    return EXIT_INVALID if outcome.errors else EXIT_OK
