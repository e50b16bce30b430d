"""Benchmark: 50 raters saving drafts at once on the rating sheet, through its API over HTTP.

The bot runs as `python -m bot run` in its own process (long polling the stand-in, which runs here), with
the sheet's server on its webapp port, as deployed. Each rater opens his first ratee's ballot, then saves
one item's points again and again (a draft: never submitted), each save a POST /sheet/api/save with his
signed initData, timed from the request to the whole JSON answer. Two runs per database: *paced*, each
rater saving every 0.25 s (200 saves a second offered, the target), and *flat out*, each saving again as
soon as answered (the capacity).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

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
from bench.taps import prepare_rating
from standin import StandIn
from tests.botprocess import free_port
from tests.initdata import init_data  # signed as Telegram signs it

TARGET_P95_MS = 50.0
TARGET_RATE = 200.0
PACED_INTERVAL = 0.25  # seconds between one rater's saves: 50 raters offer 200 saves a second
HEADER = "X-Telegram-Init-Data"


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0


async def _post(http: aiohttp.ClientSession, url: str, signed: str, body: dict) -> tuple[int, dict]:
    async with http.post(url, data=json.dumps(body), headers={HEADER: signed}) as response:
        return response.status, await response.json()


async def _until_up(http: aiohttp.ClientSession, base: str, bot, bound: float = 60.0) -> None:
    deadline = time.perf_counter() + bound
    while True:
        if bot.returncode is not None:
            raise RuntimeError(f"the bot exited with {bot.returncode}")
        try:
            async with http.get(f"{base}/sheet") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        if time.perf_counter() > deadline:
            raise TimeoutError(f"the sheet did not answer on {base} within {bound:g} s")
        await asyncio.sleep(0.2)


async def rater(
    http: aiohttp.ClientSession,
    base: str,
    user_id: int,
    interval: float,
    until: float,
    start: float,
    run: Run,
) -> None:
    signed = init_data(TOKEN, user_id)
    status, listing = await _post(http, f"{base}/sheet/api/ratees", signed, {})
    if status != 200:
        raise RuntimeError(f"ratees: {status} {listing}")
    first = listing["ratees"][0]["ratee_id"]
    status, ballot = await _post(http, f"{base}/sheet/api/ballot", signed, {"ratee_id": first})
    if status != 200:
        raise RuntimeError(f"ballot: {status} {ballot}")
    items = ballot["items"]
    next_at = time.perf_counter() + random.uniform(0, interval)
    while True:
        now = time.perf_counter()
        if now >= until:
            return
        if next_at > now:
            await asyncio.sleep(next_at - now)
        next_at = max(next_at + interval, time.perf_counter())
        item = random.choice(items)
        body = {
            "ballot_id": ballot["ballot_id"],
            "points": {str(item["index"]): random.randint(0, item["max"])},
        }
        started = time.perf_counter()
        status, _answer = await _post(http, f"{base}/sheet/api/save", signed, body)
        if status != 200:
            run.errors += 1
        elif started >= start:
            run.latencies.append(time.perf_counter() - started)


async def bench_backend(backend: str, raters: int, seconds: float, warmup: float) -> list[dict]:
    results = []
    async with throwaway_database(backend) as url, StandIn(token=TOKEN) as api:
        users = await prepare_rating(url, raters)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log_file = Path(tempfile.gettempdir()) / f"bench-sheet-{backend}.log"
        log_file.write_text("")
        env = {"WEBAPP_URL": "https://bench.example/sheet", "ASSESSMENT_WEBAPP__PORT": str(port)}
        bot = await start_bot(url, api.base_url, log_file=log_file, env=env)
        connector = aiohttp.TCPConnector(limit=raters * 2)
        try:
            async with aiohttp.ClientSession(connector=connector) as http:
                await _until_up(http, base, bot)
                for mode, interval in (("paced", PACED_INTERVAL), ("flat out", 0.0)):
                    run = Run()
                    before = load()
                    begun = time.perf_counter()
                    start, until = begun + warmup, begun + warmup + seconds
                    await asyncio.gather(*(rater(http, base, u, interval, until, start, run) for u in users))
                    results.append(
                        {
                            "backend": backend,
                            "mode": mode,
                            "saves": len(run.latencies),
                            "rate": len(run.latencies) / seconds,
                            "p50": percentile(run.latencies, 0.50) * 1000,
                            "p95": percentile(run.latencies, 0.95) * 1000,
                            "p99": percentile(run.latencies, 0.99) * 1000,
                            "errors": run.errors,
                            "load": before,
                        }
                    )
                    print(report(results[-1], raters), flush=True)
        finally:
            await stop(bot)
    return results


def report(r: dict, raters: int) -> str:
    ok_p95 = "ok" if r["p95"] < TARGET_P95_MS else "MISSED"
    ok_rate = "ok" if r["rate"] >= TARGET_RATE * 0.95 else "MISSED"  # paced: what was offered, less jitter
    targets = (
        f" (targets: p95 < {TARGET_P95_MS:.0f} ms: {ok_p95}; >= {TARGET_RATE:.0f} saves/s: {ok_rate})"
        if r["mode"] == "paced"
        else " (capacity)"
    )
    return (
        f"[{r['backend']}] sheet saves, {raters} raters, {r['mode']}: {r['saves']} saves, "
        f"{r['rate']:.0f} saves/s, p50 {r['p50']:.1f} ms, p95 {r['p95']:.1f} ms, p99 {r['p99']:.1f} ms"
        f"{targets}; {r['errors']} errors; load before {r['load']}"
    )


async def main_async(args: argparse.Namespace) -> list[str]:
    print(await machine(), flush=True)
    lines = []
    for backend in available_backends(args.db):
        for figures in await bench_backend(backend, args.raters, args.seconds, args.warmup):
            lines.append(report(figures, args.raters))
    return lines


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.sheet", description=__doc__.splitlines()[0])
    parser.add_argument("--raters", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds before measuring")
    parser.add_argument("--db", nargs="+", default=["sqlite"], choices=["sqlite", "postgresql"])
    parser.add_argument(
        "--postgresql", action="store_true", help="PostgreSQL too (as --db sqlite postgresql)"
    )
    args = parser.parse_args(argv)
    if args.postgresql and "postgresql" not in args.db:
        args.db = [*args.db, "postgresql"]
    return args


def main(argv: list[str] | None = None) -> int:
    asyncio.run(main_async(arguments(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
