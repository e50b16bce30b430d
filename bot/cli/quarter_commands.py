"""The commands that compute a quarter and show its proposal or export its records."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bot.cli.results import results_json, results_rows, results_table
from bot.cli.shared import CLI_ACTOR, EXIT_INVALID, EXIT_OK, cli_work, echo, repository
from bot.records.exports import ExportKind, quarter_plans, write_plans
from bot.records.spreadsheets import TableError, csv_text, write_table
from bot.records.workbooks import sheet_name
from bot.rendering import render
from bot.rules.cycle import Event
from bot.rules.domain import AssessmentStatus, Quarter
from bot.settings import Settings
from bot.workflow import phases
from bot.workflow.quarter import ComputedQuarter, ResultsHidden, compute_and_store, shown_assessment
from bot.workflow.unit import Refusal
from storage.repository import Repository

RESULTS = "results"


async def results_of(repo: Repository, settings: Settings, quarter: Quarter) -> ComputedQuarter:
    """The quarter's results as `results` and `export` show them (computed again until confirmed, from
    the counted ballots); ResultsHidden while the quarter accepts ballots."""
    await shown_assessment(repo, quarter)
    return await compute_and_store(repo, settings, quarter, CLI_ACTOR)


async def _compute(settings: Settings, quarter: Quarter) -> ComputedQuarter:
    async with repository(settings) as repo:
        return await results_of(repo, settings, quarter)


async def _close_rating(settings: Settings, quarter: Quarter) -> ComputedQuarter:
    async with cli_work(settings) as work:
        assessment = await work.repo.assessment(quarter, create=True)
        if assessment.status is AssessmentStatus.PREPARING:  # paper ballots only: rating never opened
            phases.transition(work, assessment, Event.OPEN_RATING)
        assessment = await phases.rating_can_close(work, quarter)
        return await phases.close_rating(work, assessment)


def cmd_close_rating(args: argparse.Namespace, settings: Settings) -> int:
    """End a quarter's rating (no more ballots), compute and store the proposal, show it."""
    try:
        computed = asyncio.run(_close_rating(settings, args.quarter))
    except Refusal as exc:
        echo(exc.text, error=True)
        return EXIT_INVALID
    echo(results_table(computed))
    if computed.held_back:
        echo(render("cli/held_back.j2", held_back=computed.held_back, minimum=computed.peer_minimum))
    return EXIT_OK


def hidden(exc: ResultsHidden) -> int:
    echo(render("cli/results_hidden.j2", quarter=exc.quarter), error=True)
    return EXIT_INVALID


def cmd_results(args: argparse.Namespace, settings: Settings) -> int:
    if args.format == "csv" and args.output and Path(args.output).suffix.lower() not in (".csv", ".xlsx"):
        raise TableError("wrong_type", Path(args.output).suffix)  # before anything is computed
    try:
        computed = asyncio.run(_compute(settings, args.quarter))
    except ResultsHidden as exc:
        return hidden(exc)
    if args.format == "json":
        text = results_json(computed)
    elif args.format == "csv":
        headers, rows = results_rows(computed, settings.rules.score_places)
        if args.output:
            write_table(args.output, headers, rows, sheet_name("results"))
            echo(render("cli/exported.j2", quarter=args.quarter, paths=[args.output]))
            return EXIT_OK
        text = csv_text(headers, rows)
    else:
        text = results_table(computed, settings.rules.score_places)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
        echo(render("cli/exported.j2", quarter=args.quarter, paths=[args.output]))
    else:
        echo(text)
    return EXIT_OK


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    folder = Path(args.output)
    folder.mkdir(parents=True, exist_ok=True)
    wanted = args.only or [RESULTS, *ExportKind]
    try:
        return _export(args, settings, folder, wanted)
    except ResultsHidden as exc:
        return hidden(exc)


def _export(args: argparse.Namespace, settings: Settings, folder: Path, wanted: list) -> int:
    asyncio.run(_refuse_hidden(settings, args.quarter))
    paths: list[Path] = []
    if RESULTS in wanted:
        computed = asyncio.run(_compute(settings, args.quarter))
        headers, rows = results_rows(computed, settings.rules.score_places)
        paths += [
            write_table(folder / f"results-{args.quarter}.xlsx", headers, rows, sheet_name("results")),
            write_table(folder / f"results-{args.quarter}.csv", headers, rows),
        ]
        json_path = folder / f"results-{args.quarter}.json"
        json_path.write_text(results_json(computed) + "\n", encoding="utf-8")
        paths.append(json_path)
    kinds = [ExportKind(k) for k in wanted if k != RESULTS]
    unregistered: list[tuple[str, bool]] = []
    if kinds:
        written, unregistered = asyncio.run(_records(settings, args.quarter, kinds, folder))
        paths += written
    echo(render("cli/exported.j2", quarter=args.quarter, paths=paths, unregistered=unregistered))
    return EXIT_OK


async def _refuse_hidden(settings: Settings, quarter: Quarter) -> None:
    """The whole export is refused while the quarter accepts ballots (its results, filing, charts)."""
    async with repository(settings) as repo:
        if await repo.assessment(quarter) is not None:
            await shown_assessment(repo, quarter)


async def _records(
    settings: Settings, quarter: Quarter, kinds: list[ExportKind], folder: Path
) -> tuple[list[Path], list[tuple[str, bool]]]:
    """The files written, and who has a Form 2 without a registration (name, exempt)."""
    async with repository(settings) as repo:
        plans = await quarter_plans(repo, settings, quarter, kinds)
    return await write_plans(plans, folder), [entry for made in plans for entry in made.unregistered]
