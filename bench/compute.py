"""Benchmark: a quarter of 10,000 ratees and ~150,000 ballots computed from the database, ready to confirm.

The bureau is bulk-inserted (not timed); the computation then runs in a fresh process, through the
project's own path (`bot.workflow.quarter.compute_and_store`, as closing the rating does), and reports its
wall time (and the process's own CPU time, which other work on the machine disturbs less) and peak
memory: the process's peak resident set (VmHWM, interpreter and libraries included) and, in a second
run, the peak of Python allocations (tracemalloc).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from bench.harness import available_backends, load, machine, throwaway_database
from bench.seeding import (
    BALLOT_COLUMNS,
    ITEM_COLUMNS,
    ballots_and_items,
    bulk_insert,
    plan_bureau,
    seed_assessment,
    seed_bureau,
)
from bot.rules.domain import AssessmentStatus

TARGET_SECONDS = 5.0
TARGET_MB = 500.0
YEAR, QUARTER = 2026, 3


def _rss_mb() -> float:
    """This process's peak resident set: VmHWM, which starts afresh at exec (ru_maxrss would carry
    the peak of the parent that forked it, here the seeding's)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


async def _compute(url: str, traced: bool) -> dict:
    """In the measuring process: one compute_and_store and the assessment marked computed."""
    import tracemalloc

    from bot.rules.domain import Flag, Quarter
    from bot.settings import load_settings
    from bot.workflow.quarter import compute_and_store
    from storage.database import Database
    from storage.repository import Repository

    settings = load_settings(database={"url": url})
    baseline = _rss_mb()
    if traced:
        tracemalloc.start()
    started, cpu = time.perf_counter(), _cpu_seconds()
    database = Database(url)
    async with database.session() as session:
        repo = Repository(session)
        computed = await compute_and_store(repo, settings, Quarter(YEAR, QUARTER), "bench")
        assessment = await repo.assessment(Quarter(YEAR, QUARTER))
        assessment.status = AssessmentStatus.COMPUTED
    seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    await database.dispose()
    traced_peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024 if traced else None
    proposal = computed.proposal
    return {
        "seconds": seconds,
        "cpu": cpu,
        "rss_mb": _rss_mb(),
        "baseline_rss_mb": baseline,
        "traced_mb": traced_peak,
        "ratees": len(proposal.ratees),
        "with_composite": sum(1 for r in proposal.ratees if r.composite is not None),
        "changed": computed.changed,
        "blocking": sum(1 for r in proposal.ratees if any(f.blocks_confirmation for f in r.flags)),
        "ties": sum(1 for r in proposal.ratees if Flag.QUOTA_TIE in r.flags),
    }


def _measure_in_child(url: str, traced: bool) -> dict:
    command = [sys.executable, "-m", "bench.compute", "--measure", url] + (["--traced"] if traced else [])
    root = Path(__file__).resolve().parent.parent  # `-m bench.compute` from the checkout
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=root)
    if done.returncode != 0:
        raise RuntimeError(f"the measuring process failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


async def _reset(url: str) -> None:
    """Back to the state before the computation: no results, the rating just closed."""
    from sqlalchemy import delete, update

    from storage.database import Database
    from storage.models import Assessment, ResultRecord

    database = Database(url)
    async with database.session() as session:
        await session.execute(delete(ResultRecord))
        await session.execute(update(Assessment).values(status=AssessmentStatus.RATING))
    await database.dispose()


async def bench_backend(backend: str, ratees: int, traced: bool) -> dict:
    async with throwaway_database(backend) as url:
        started = time.perf_counter()
        plan = plan_bureau(ratees)
        await seed_bureau(url, plan)
        assessment_id = await seed_assessment(url, YEAR, QUARTER, AssessmentStatus.RATING)
        ballots, items = ballots_and_items(plan, assessment_id)
        await bulk_insert(url, [("ballot", BALLOT_COLUMNS, ballots), ("ballot_item", ITEM_COLUMNS, items)])
        seeded = time.perf_counter() - started
        print(
            f"[{backend}] seeded {ratees:,} ratees, {len(ballots):,} ballots, {len(items):,} ballot items "
            f"in {seeded:.1f} s (not counted)",
            flush=True,
        )
        before = load()
        figures = await asyncio.to_thread(_measure_in_child, url, False)
        figures["load"] = before
        figures["ballots"], figures["items"] = len(ballots), len(items)
        if traced:
            await _reset(url)
            figures["traced_mb"] = (await asyncio.to_thread(_measure_in_child, url, True))["traced_mb"]
        return figures


def report(backend: str, f: dict) -> str:
    ok_time = "ok" if f["seconds"] < TARGET_SECONDS else "MISSED"
    ok_mem = "ok" if f["rss_mb"] < TARGET_MB else "MISSED"
    traced = f", tracemalloc peak {f['traced_mb']:.0f} MB" if f.get("traced_mb") is not None else ""
    return (
        f"[{backend}] compute {f['ratees']:,} ratees / {f['ballots']:,} ballots / {f['items']:,} items: "
        f"{f['seconds']:.2f} s (target < {TARGET_SECONDS:.0f} s: {ok_time}; the process's own CPU "
        f"{f['cpu']:.2f} s); peak RSS (VmHWM) {f['rss_mb']:.0f} MB, {f['baseline_rss_mb']:.0f} MB before "
        "the computation "
        f"(target < {TARGET_MB:.0f} MB: {ok_mem}){traced}; "
        f"{f['with_composite']:,} composites, {f['changed']:,} results written, "
        f"{f['blocking']} blocking flags ({f['ties']} quota ties); load before {f['load']}"
    )


async def main_async(args: argparse.Namespace) -> list[str]:
    print(await machine(), flush=True)
    lines = []
    for backend in available_backends(args.db):
        figures = await bench_backend(backend, args.ratees, not args.no_traced)
        line = report(backend, figures)
        print(line, flush=True)
        lines.append(line)
    return lines


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.compute", description=__doc__.splitlines()[0])
    parser.add_argument("--ratees", type=int, default=10_000)
    parser.add_argument("--db", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--no-traced", action="store_true", help="skip the tracemalloc run")
    parser.add_argument("--measure", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    if args.measure:
        print(json.dumps(asyncio.run(_compute(args.measure, args.traced))), flush=True)
        return 0
    asyncio.run(main_async(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
