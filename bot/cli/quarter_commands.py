"""The commands that compute a quarter and show its proposal or export its records."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bot.cli.results import results_json, results_rows, results_table
from bot.cli.shared import CLI_ACTOR, EXIT_OK, echo, repository
from bot.records.exports import ExportKind, quarter_plans, write_plans
from bot.records.spreadsheets import csv_text, write_table
from bot.rendering import render
from bot.rules.domain import Quarter
from bot.settings import Settings
from bot.workflow.quarter import ComputedQuarter, compute_and_store

RESULTS = "results"


async def _compute(settings: Settings, quarter: Quarter) -> ComputedQuarter:
    async with repository(settings) as repo:
        return await compute_and_store(repo, settings, quarter, CLI_ACTOR)


def cmd_results(args: argparse.Namespace, settings: Settings) -> int:
    computed = asyncio.run(_compute(settings, args.quarter))
    if args.format == "json":
        text = results_json(computed)
    elif args.format == "csv":
        headers, rows = results_rows(computed)
        if args.output:
            write_table(args.output, headers, rows)
            echo(render("cli/exported.j2", quarter=args.quarter, paths=[args.output]))
            return EXIT_OK
        text = csv_text(headers, rows)
    else:
        text = results_table(computed)
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
    paths: list[Path] = []
    if RESULTS in wanted:
        computed = asyncio.run(_compute(settings, args.quarter))
        headers, rows = results_rows(computed)
        paths += [
            write_table(folder / f"results-{args.quarter}.xlsx", headers, rows),
            write_table(folder / f"results-{args.quarter}.csv", headers, rows),
        ]
        json_path = folder / f"results-{args.quarter}.json"
        json_path.write_text(results_json(computed) + "\n", encoding="utf-8")
        paths.append(json_path)
    kinds = [ExportKind(k) for k in wanted if k != RESULTS]
    if kinds:
        paths += asyncio.run(_records(settings, args.quarter, kinds, folder))
    echo(render("cli/exported.j2", quarter=args.quarter, paths=paths))
    return EXIT_OK


async def _records(settings: Settings, quarter: Quarter, kinds: list[ExportKind], folder: Path) -> list[Path]:
    async with repository(settings) as repo:
        plans = await quarter_plans(repo, settings, quarter, kinds)
    return await write_plans(plans, folder)
