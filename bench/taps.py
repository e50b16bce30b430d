"""Benchmark: 50 raters scoring at once, by buttons, through the stand-in over HTTP.

The bot runs as `python -m bot run` in its own process, long polling the stand-in, which runs here
with the simulated users. Each rater opens /rate, then taps: a ratee, a score per item, submit, and on
to the next ratee. A tap's latency runs from the moment its callback query is queued in the stand-in
to the moment the stand-in has applied the bot's edit of the message (the callback answer comes after
it). Two runs per database: *paced*, each rater tapping every 0.5 s (100 taps a second offered, the
target), and *flat out*, each rater tapping again as soon as the edit is seen (the capacity).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.harness import (
    TOKEN,
    available_backends,
    load,
    machine,
    percentile,
    start_bot,
    stop,
    throwaway_database,
)
from bench.seeding import plan_bureau, seed_assessment, seed_bureau
from bot.rendering import label
from bot.rules.domain import AssessmentStatus, Phase
from standin import StandIn

TARGET_P95_MS = 100.0
TARGET_RATE = 100.0
TELEGRAM_BASE = 600_000_000
SUBMIT = label("button", "submit")
SCORE = "15"  # a score every item offers (maxima are 16 to 20)
UPDATE_LOG = re.compile(r"handler=(\w+).*?ms=([\d.]+)")


@dataclass
class Tap:
    started: float
    message: object
    edits: int
    done: asyncio.Future


@dataclass
class Watcher:
    """One waiter on the stand-in's state for every tap in flight (not one per rater)."""

    api: StandIn
    pending: dict[str, Tap] = field(default_factory=dict)
    stopping: bool = False

    async def run(self) -> None:
        state = self.api.driver.state
        while not self.stopping:
            await state.wait_change(0.5)
            now = time.perf_counter()
            for query_id, tap in list(self.pending.items()):
                if tap.message.edits > tap.edits and not tap.done.done():
                    tap.done.set_result(now)
                    del self.pending[query_id]

    async def tap(self, user_id: int, message_id: int, label: str) -> float:
        """Press and wait for the edit; returns the latency in seconds."""
        driver = self.api.driver
        message = driver.state.find_message(user_id, message_id)
        edits = message.edits
        started = time.perf_counter()
        query_id = driver.press(user_id, message_id, label=label)
        done = asyncio.get_running_loop().create_future()
        self.pending[query_id] = Tap(started, message, edits, done)
        edited = await asyncio.wait_for(done, 30.0)
        await driver.wait_for_callback_answer(query_id, timeout=30.0)  # the turn is over
        return edited - started


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    taps: int = 0  # all taps, warm-up included (for the CPU per tap)
    errors: int = 0
    finished_raters: int = 0


def _next_label(view) -> str | None:
    labels = [b["text"] for row in view.buttons for b in row]
    if SUBMIT in labels:
        return SUBMIT
    if SCORE in labels:
        return SCORE
    return None  # the list again: every ratee done


async def rater(
    watcher: Watcher, user_id: int, list_message, interval: float, until: float, run: Run, measure_from: float
) -> None:
    driver = watcher.api.driver
    first = list_message.buttons[0][0]["text"]  # the first pending ratee
    await watcher.tap(user_id, list_message.message_id, first)
    message_id = list_message.message_id
    next_at = time.perf_counter() + random.uniform(0, interval)
    while True:
        now = time.perf_counter()
        if now >= until:
            return
        if next_at > now:
            await asyncio.sleep(next_at - now)
        next_at = max(next_at + interval, time.perf_counter())
        label = _next_label(driver.message(user_id, message_id))
        if label is None:
            run.finished_raters += 1
            return
        started = time.perf_counter()
        try:
            latency = await watcher.tap(user_id, message_id, label)
        except TimeoutError:
            run.errors += 1
            continue
        run.taps += 1
        if started >= measure_from:
            run.latencies.append(latency)


async def prepare_rating(url: str, raters: int) -> list[int]:
    """The bureau (sections of 14: each rater scores 13 peers), rating open now; the raters' Telegram ids."""
    from storage.database import Database
    from storage.models import PhaseWindow

    plan = plan_bureau(-(-raters // 14) * 14, section_size=14, telegram_base=TELEGRAM_BASE)
    await seed_bureau(url, plan)
    assessment_id = await seed_assessment(url, 2026, 3, AssessmentStatus.RATING)
    database = Database(url)
    now = dt.datetime.now(dt.UTC)
    async with database.session() as session:
        session.add(
            PhaseWindow(
                assessment_id=assessment_id,
                phase=Phase.RATING,
                opens_at=now - dt.timedelta(hours=1),
                closes_at=now + dt.timedelta(days=1),
            )
        )
    await database.dispose()
    return [TELEGRAM_BASE + person_id for person_id in plan.ratees[:raters]]


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used (Linux /proc), threads included."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def _server_times(log_file: Path, since: int) -> list[float]:
    """The bot's own duration of each button turn (its one log line per update), from byte `since`."""
    with open(log_file, encoding="utf-8", errors="replace") as handle:
        handle.seek(since)
        return [
            float(match.group(2))
            for line in handle
            if (match := UPDATE_LOG.search(line)) and match.group(1) == "pressed"
        ]


async def bench_backend(backend: str, raters: int, seconds: float, warmup: float) -> list[dict]:
    results = []
    async with throwaway_database(backend) as url, StandIn(token=TOKEN) as api:
        users = await prepare_rating(url, raters)
        for user_id in users:
            api.driver.add_user(user_id, f"U{user_id}")
        log_file = Path(tempfile.gettempdir()) / f"bench-taps-{backend}.log"
        log_file.write_text("")
        bot = await start_bot(url, api.base_url, log_file=log_file)
        watcher = Watcher(api)
        watching = asyncio.create_task(watcher.run())
        try:
            lists = {}
            for user_id in users:
                api.driver.send_command(user_id, "rate")
            for user_id in users:
                lists[user_id] = await api.driver.wait_for_bot_message(user_id, timeout=60)
            for mode, interval in (("paced", 0.5), ("flat out", 0.0)):
                if mode == "flat out":
                    lists = {}
                    for user_id in users:  # a fresh list per rater: back to his next ratee
                        api.driver.send_command(user_id, "rate")
                    for user_id in users:
                        lists[user_id] = await api.driver.wait_for_bot_message(user_id, timeout=60)
                run = Run()
                before_load = load()
                start = time.perf_counter()
                measure_from, until = start + warmup, start + warmup + seconds
                log_mark = log_file.stat().st_size
                cpu_bot, cpu_here = _cpu_seconds(bot.pid), _own_cpu_seconds()
                await asyncio.gather(
                    *(
                        rater(
                            watcher,
                            u,
                            lists[u],
                            interval,
                            until,
                            run,
                            measure_from,
                        )
                        for u in users
                    )
                )
                elapsed = min(time.perf_counter(), until) - measure_from
                cpu_bot, cpu_here = _cpu_seconds(bot.pid) - cpu_bot, _own_cpu_seconds() - cpu_here
                done_taps = run.taps or 1
                server = _server_times(log_file, log_mark)
                results.append(
                    {
                        "backend": backend,
                        "mode": mode,
                        "taps": len(run.latencies),
                        "rate": len(run.latencies) / elapsed,
                        "p50": percentile(run.latencies, 0.50) * 1000,
                        "p95": percentile(run.latencies, 0.95) * 1000,
                        "p99": percentile(run.latencies, 0.99) * 1000,
                        "server_p50": percentile(server, 0.50),
                        "errors": run.errors,
                        "cpu_bot_ms": cpu_bot / done_taps * 1000,
                        "cpu_here_ms": cpu_here / done_taps * 1000,
                        "finished": run.finished_raters,
                        "load": before_load,
                    }
                )
                print(report(results[-1], raters), flush=True)
        finally:
            watcher.stopping = True
            await stop(bot)
            await watching
    return results


def report(r: dict, raters: int) -> str:
    ok_p95 = "ok" if r["p95"] < TARGET_P95_MS else "MISSED"
    ok_rate = "ok" if r["rate"] >= TARGET_RATE else "MISSED"
    targets = (
        f" (targets: p95 < {TARGET_P95_MS:.0f} ms: {ok_p95}; >= {TARGET_RATE:.0f} taps/s: {ok_rate})"
        if r["mode"] == "paced"
        else " (capacity)"
    )
    return (
        f"[{r['backend']}] taps, {raters} raters, {r['mode']}: {r['taps']} taps, {r['rate']:.0f} taps/s, "
        f"p50 {r['p50']:.0f} ms, p95 {r['p95']:.0f} ms, p99 {r['p99']:.0f} ms{targets}; "
        f"bot's own turn p50 {r['server_p50']:.0f} ms; CPU per tap: bot {r['cpu_bot_ms']:.1f} ms, "
        f"stand-in and users {r['cpu_here_ms']:.1f} ms; {r['errors']} timeouts; load before {r['load']}"
    )


async def main_async(args: argparse.Namespace) -> list[str]:
    print(await machine(), flush=True)
    lines = []
    for backend in available_backends(args.db):
        for figures in await bench_backend(backend, args.raters, args.seconds, args.warmup):
            lines.append(report(figures, args.raters))
    return lines


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.taps", description=__doc__.splitlines()[0])
    parser.add_argument("--raters", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds before measuring")
    parser.add_argument("--db", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    asyncio.run(main_async(arguments(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
