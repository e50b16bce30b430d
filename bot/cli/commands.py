"""The command line for what admins do outside chat: migrate, import, compute, export, run."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, OperationalError

from bot.records.ballot_file import BALLOT_COLUMNS, PART_LABELS
from bot.records.cells import NameIndex, PersonRef
from bot.records.exports import ExportKind, quarter_plans, write_plans
from bot.records.roster_file import ROSTER_COLUMNS, ExistingPerson, parse_roster
from bot.records.spreadsheets import TableError, read_table, write_table
from bot.rendering import label, render
from bot.rules.domain import BallotPart, Category, Quarter
from bot.rules.scoring import shown_group_scores
from bot.settings import Settings, SettingsError, load_settings
from bot.workflow.quarter import ComputedQuarter, ballot_context, compute_and_store, import_ballots
from storage.database import Database
from storage.migrate import current_revision, upgrade
from storage.repository import Repository

CLI_ACTOR = "cli"
ERROR_LIMIT = 200
EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
RESULTS = "results"


def _print(text: str, *, error: bool = False) -> None:
    print(text, file=sys.stderr if error else sys.stdout)


def _safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<invalid URL>"


@asynccontextmanager
async def repository(settings: Settings) -> AsyncIterator[Repository]:
    """A repository over one transaction, on a migrated database."""
    await asyncio.to_thread(upgrade, settings.database.url)
    database = Database(settings.database.url, echo=settings.database.echo)
    try:
        async with database.session() as session:
            yield Repository(session)
    finally:
        await database.dispose()


def _read(path: str) -> Any:
    try:
        return read_table(path)
    except TableError as exc:
        _print(render("table_errors.j2", code=exc.code, detail=exc.detail), error=True)
        return None


# --- commands -------------------------------------------------------------------------------------


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    upgrade(settings.database.url)
    revision = current_revision(settings.database.url)
    _print(render("cli/migrated.j2", url=_safe_url(settings.database.url), revision=revision))
    return EXIT_OK


def cmd_roster_template(args: argparse.Namespace, settings: Settings) -> int:
    path = write_table(args.output, ROSTER_COLUMNS, [])
    _print(render("cli/template_written.j2", kind="roster", path=path, rows=0, quarter=None))
    return EXIT_OK


def cmd_import_roster(args: argparse.Namespace, settings: Settings) -> int:
    table = _read(args.file)
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
    _print(
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
    _print(render("cli/template_written.j2", kind="ballots", path=path, rows=len(data), quarter=quarter))
    return EXIT_OK


def cmd_import_ballots(args: argparse.Namespace, settings: Settings) -> int:
    table = _read(args.file)
    if table is None:
        return EXIT_INVALID

    async def run() -> Any:
        async with repository(settings) as repo:
            outcome = await import_ballots(repo, settings, args.quarter, table, CLI_ACTOR)
            if args.dry_run:
                await repo.session.rollback()
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
    _print(text, error=bool(outcome.errors))
    return EXIT_INVALID if outcome.errors else EXIT_OK


async def _compute(settings: Settings, quarter: Quarter) -> ComputedQuarter:
    async with repository(settings) as repo:
        return await compute_and_store(repo, settings, quarter, CLI_ACTOR)


def _rows_by_category(computed: ComputedQuarter) -> dict[Category, list[dict[str, Any]]]:
    rows: dict[Category, list[dict[str, Any]]] = {c: [] for c in Category}
    for r in computed.proposal.ratees:
        person = computed.people[r.person_id]
        rows[r.category].append(
            {
                "result": r,
                "name": person.name,
                "section": computed.sections.get(person.section_id, ""),
                "post_title": person.post_title,
                "scores": shown_group_scores(r.group_scores, r.ballot_counts, computed.peer_minimum),
            }
        )
    for items in rows.values():
        items.sort(
            key=lambda row: (row["result"].composite is None, -(row["result"].composite or 0), row["name"])
        )
    return {c: items for c, items in rows.items() if items}


def results_table(computed: ComputedQuarter) -> str:
    conflicts = [(c, [computed.people[i].name for i in c.person_ids]) for c in computed.proposal.conflicts]
    return render("cli/results.j2", computed=computed, rows=_rows_by_category(computed), conflicts=conflicts)


RESULT_COLUMNS = (
    "quarter",
    "name",
    "section",
    "category",
    "post_title",
    "principal_score",
    "supervisor_score",
    "peer_score",
    "principal_ballots",
    "supervisor_ballots",
    "peer_ballots",
    "composite",
    "score_tier",
    "override",
    "exempt",
    "proposed_tier",
    "final_tier",
    "rank",
    "flags",
)


def results_rows(computed: ComputedQuarter) -> tuple[list[str], list[list[Any]]]:
    """The proposal as spreadsheet rows with Chinese headers and labels."""
    headers = [label("column", c) for c in RESULT_COLUMNS]
    out = []
    for items in _rows_by_category(computed).values():
        for row in items:
            r = row["result"]

            def fmt(value: Any) -> str:
                return "" if value is None else f"{value:.{2}f}"

            out.append(
                [
                    label("quarter", computed.quarter),
                    row["name"],
                    row["section"],
                    label("category", r.category),
                    row["post_title"],
                    fmt(row["scores"]["principal"]),
                    fmt(row["scores"]["supervisor"]),
                    fmt(row["scores"]["peer"]),
                    r.ballot_counts["principal"],
                    r.ballot_counts["supervisor"],
                    r.ballot_counts["peer"],
                    fmt(r.composite),
                    label("tier", r.score_tier) if r.score_tier else "",
                    label("override", r.override),
                    "；".join(label("exempt_reason", x) for x in r.exempt_reasons),
                    "" if r.exempt else label("tier", r.proposed),
                    ""
                    if r.exempt or computed.final is None
                    else label("tier", computed.final.get(r.person_id)),
                    r.rank or "",
                    "；".join(label("flag", f) for f in sorted(r.flags)),
                ]
            )
    return headers, out


def _final_code(computed: ComputedQuarter, person_id: int) -> str | None:
    tier = computed.final.get(person_id) if computed.final is not None else None
    return tier.value if tier is not None else None


def results_json(computed: ComputedQuarter) -> str:
    """Machine-readable proposal: codes, not labels; decimals as strings to stay exact."""
    p = computed.proposal

    def dec(value: Any) -> str | None:
        return None if value is None else str(value)

    data = {
        "quarter": str(computed.quarter),
        "can_confirm": p.can_confirm,
        "quota": {
            c.value: {"tiered": q.tiered, "quota": q.quota, "good": q.good, "affirmed": q.affirmed}
            for c, q in p.quota.items()
        },
        "conflicts": [
            {
                "kind": c.kind.value,
                "category": c.category.value,
                "person_ids": list(c.person_ids),
                "slots": c.slots,
            }
            for c in p.conflicts
        ],
        "ratees": [
            {
                "person_id": r.person_id,
                "name": computed.people[r.person_id].name,
                "section": computed.sections.get(computed.people[r.person_id].section_id, ""),
                "category": r.category.value,
                "group_scores": {
                    g.value: dec(s)
                    for g, s in shown_group_scores(
                        r.group_scores, r.ballot_counts, computed.peer_minimum
                    ).items()
                },
                "ballot_counts": {g.value: n for g, n in r.ballot_counts.items()},
                "composite": dec(r.composite),
                "exempt_reasons": [x.value for x in r.exempt_reasons],
                "override": r.override.value if r.override else None,
                "score_tier": r.score_tier.value if r.score_tier else None,
                "proposed_tier": r.proposed.value if r.proposed else None,
                "final_tier": _final_code(computed, r.person_id),
                "rank": r.rank,
                "flags": sorted(f.value for f in r.flags),
            }
            for r in p.ratees
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2)


def cmd_results(args: argparse.Namespace, settings: Settings) -> int:
    computed = asyncio.run(_compute(settings, args.quarter))
    if args.format == "json":
        text = results_json(computed)
    elif args.format == "csv":
        headers, rows = results_rows(computed)
        if args.output:
            write_table(args.output, headers, rows)
            _print(render("cli/exported.j2", quarter=args.quarter, paths=[args.output]))
            return EXIT_OK
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(headers)
        writer.writerows(rows)
        text = buffer.getvalue()
    else:
        text = results_table(computed)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
        _print(render("cli/exported.j2", quarter=args.quarter, paths=[args.output]))
    else:
        _print(text)
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
    _print(render("cli/exported.j2", quarter=args.quarter, paths=paths))
    return EXIT_OK


async def _records(settings: Settings, quarter: Quarter, kinds: list[ExportKind], folder: Path) -> list[Path]:
    async with repository(settings) as repo:
        plans = await quarter_plans(repo, settings, quarter, kinds)
    return await write_plans(plans, folder)


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    if settings.telegram.token is None:
        _print(render("cli/run_missing_token.j2"), error=True)
        return EXIT_USAGE
    from bot.app import run
    from bot.ops.logs import configure_logging

    configure_logging(settings.log)
    run(settings)
    return EXIT_OK


def _backup_failed(exc: Any, settings: Settings, path: Path | None = None) -> int:
    import shlex

    from bot.ops.backup import pg_commands

    url = settings.database.url
    commands = {"dump": "", "restore": ""}
    if not url.startswith("sqlite"):
        dump, restore = pg_commands(url, path or Path("assessment.dump"))
        commands = {"dump": shlex.join(dump), "restore": shlex.join(restore)}
    context = {"path": path, "error": "", "tool": "", **exc.detail}
    _print(
        render("cli/backup_failed.j2", code=exc.code, url=_safe_url(url), commands=commands, **context),
        error=True,
    )
    return EXIT_INVALID


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    from bot.ops import backup as ops

    url = settings.database.url
    target: Path | None = None
    try:
        target = ops.backup_target(url, args.to)
        if ops.backend(url) == "sqlite":
            counts = ops.backup_sqlite(url, target)
        else:
            counts = None
            ops.backup_postgres(url, target)
    except ops.BackupError as exc:
        return _backup_failed(exc, settings, target)
    size = target.stat().st_size
    _print(render("cli/backup_done.j2", url=_safe_url(url), path=target, size=size, counts=counts))
    return EXIT_OK


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    from bot.ops import backup as ops

    url, path = settings.database.url, Path(args.file)
    try:
        if ops.backend(url) == "sqlite":
            counts = ops.restore_sqlite(path, url, force=args.force)
        else:
            counts = None
            ops.restore_postgres(path, url, force=args.force)
    except ops.BackupError as exc:
        return _backup_failed(exc, settings, path)
    upgrade(url)
    revision = current_revision(url)
    _print(render("cli/restored.j2", path=path, url=_safe_url(url), revision=revision, counts=counts))
    return EXIT_OK


def cmd_health(args: argparse.Namespace, settings: Settings) -> int:
    from bot.ops.health import check_health, tick_age_limit

    report = asyncio.run(check_health(settings))
    if args.json:
        _print(report.to_json())
    else:
        limit = tick_age_limit(settings)
        _print(render("cli/health.j2", report=report, url=_safe_url(settings.database.url), tick_limit=limit))
    return EXIT_OK if report.ok else EXIT_INVALID


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.demo import main as demo

    return demo(args.output)


# --- parser ---------------------------------------------------------------------------------------


def _quarter(text: str) -> Quarter:
    try:
        return Quarter.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Quarterly staff assessment bot.")
    parser.add_argument(
        "--config", help="settings file (TOML); default $ASSESSMENT_CONFIG or ./assessment.toml"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Any, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    add("migrate", cmd_migrate, "apply the database migrations")
    sub = add("roster-template", cmd_roster_template, "write an empty roster file (.xlsx or .csv)")
    sub.add_argument("-o", "--output", default="roster.xlsx")
    sub = add("import-roster", cmd_import_roster, "import the roster: all rows or none")
    sub.add_argument("file")
    sub.add_argument("--dry-run", action="store_true", help="check only, write nothing")
    sub = add("ballots-template", cmd_ballots_template, "write a quarter's paper-ballot file, pre-filled")
    sub.add_argument("quarter", type=_quarter, help="e.g. 2026Q3")
    sub.add_argument("-o", "--output")
    sub = add("import-ballots", cmd_import_ballots, "import paper ballots of a quarter: all rows or none")
    sub.add_argument("quarter", type=_quarter, help="e.g. 2026Q3")
    sub.add_argument("file")
    sub.add_argument("--dry-run", action="store_true", help="check only, write nothing")
    sub = add("results", cmd_results, "compute a quarter and show the proposal")
    sub.add_argument("quarter", type=_quarter, help="e.g. 2026Q3")
    sub.add_argument("--format", choices=("table", "csv", "json"), default="table")
    sub.add_argument("-o", "--output", help="write to this file instead of the screen")
    sub = add(
        "export",
        cmd_export,
        "write a quarter's records to a folder: results (xlsx, csv, json), Form 1 of its months and Form 2"
        " (.docx, one per person and a .zip), filing workbooks per category, the annual report, charts",
    )
    sub.add_argument("quarter", type=_quarter, help="e.g. 2026Q3")
    sub.add_argument("-o", "--output", default="exports")
    sub.add_argument(
        "--only",
        nargs="+",
        choices=[RESULTS, *ExportKind],
        metavar="KIND",
        help="results form1 form2 filing annual charts",
    )
    add("run", cmd_run, "start the bot")
    sub = add("backup", cmd_backup, "copy the database while the bot runs (SQLite) or with pg_dump")
    sub.add_argument(
        "--to", help="a file (with a suffix) or a folder (default: ./backups/NAME-YYYYMMDD-HHMMSS.db|.dump)"
    )
    sub = add("restore", cmd_restore, "restore a backup into the configured database (bot stopped)")
    sub.add_argument("file")
    sub.add_argument("--force", action="store_true", help="overwrite a database that holds data")
    sub = add("health", cmd_health, "check the database, migrations, outbox and scheduler; exit 0 or 1")
    sub.add_argument("--json", action="store_true", help="print the report as JSON")
    sub = add("demo", cmd_demo, "play one whole quarter of the example bureau against the stand-in")
    sub.add_argument(
        "-o", "--output", help="folder for the demo's database and records (default: a new temp folder)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
    except SettingsError as exc:
        _print(render("cli/settings_error.j2", problems=exc.problems), error=True)
        return EXIT_USAGE
    try:
        return int(args.handler(args, settings))
    except TableError as exc:
        _print(render("table_errors.j2", code=exc.code, detail=exc.detail), error=True)
        return EXIT_INVALID
    except (OperationalError, InterfaceError, OSError) as exc:
        _print(
            render("cli/database_error.j2", url=_safe_url(settings.database.url), error=str(exc)[:300]),
            error=True,
        )
        return EXIT_USAGE
