"""Benchmark: 1,000 reminders through a stand-in that enforces Telegram's limits, then again with the bot
killed (SIGKILL) half-way and started again.

The reminders are queued in the outbox; `python -m bot run` (its own process, the default delivery
settings) sends them to a stand-in running here with Telegram's published limits (30 a second
overall, 1 a second per chat), which answers 429 past them. The rate is counted between the first and
the last message the stand-in accepted (the restart's gap left out of the second run).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import time
from collections import Counter
from zoneinfo import ZoneInfo

from bench.harness import TOKEN, available_backends, kill, load, machine, start_bot, stop, throwaway_database
from bot.rendering import render
from bot.rules.domain import OutboxStatus
from standin import Limits, StandIn

LIMIT = 30.0
TARGET_SHARE = 0.9
FIRST_USER = 700_000_001


async def _queue(url: str, users: list[int]) -> None:
    from storage.database import Database
    from storage.models import OutboxMessage

    deadline = dt.datetime(2026, 11, 4, 18, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    database = Database(url)
    async with database.session() as session:
        session.add_all(
            OutboxMessage(
                key=f"bench:{u}",
                kind="summary_reminder",
                chat_id=u,
                text=render(
                    "chat/staff/summary_reminder.j2", name=f"U{u}", year=2026, month=10, deadline=deadline
                ),
            )
            for u in users
        )
    await database.dispose()


async def _statuses(url: str) -> Counter:
    from sqlalchemy import func, select

    from storage.database import Database
    from storage.models import OutboxMessage

    database = Database(url)
    async with database.session() as session:
        rows = await session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        )
        found = Counter({status: n for status, n in rows})
    await database.dispose()
    return found


async def _until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout} s for {what}")
        await asyncio.sleep(0.02)


def _rate(times: list[float]) -> float:
    return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else float("nan")


async def bench_backend(backend: str, count: int, killed: bool) -> dict:
    users = list(range(FIRST_USER, FIRST_USER + count))
    async with throwaway_database(backend) as url, StandIn(token=TOKEN, limits=Limits()) as api:
        for user in users:
            api.driver.add_user(user, f"U{user}")
            api.driver.state.users[user].opened = True  # pressed Start long ago
        await _queue(url, users)

        def sends() -> list:
            return [r for r in api.driver.requests if r.method == "sendMessage"]

        def accepted() -> int:
            return sum(1 for r in api.driver.requests if r.method == "sendMessage" and r.status == 200)

        before = load()
        bot = await start_bot(url, api.base_url)
        killed_at = None
        try:
            if killed:
                await _until(lambda: accepted() >= count // 2, 120, "half the broadcast")
                await kill(bot)
                killed_at = time.time()
                bot = await start_bot(url, api.base_url)
            await _until(lambda: accepted() >= count, 180, "the whole broadcast")
            deadline = time.monotonic() + 15
            while (await _statuses(url))[OutboxStatus.PENDING] and time.monotonic() < deadline:
                await asyncio.sleep(0.1)  # the last row is marked just after it is sent
        finally:
            await stop(bot)
        log = sends()
        ok = [r.time for r in log if r.status == 200]
        per_chat = Counter(r.chat_id for r in log if r.status == 200)
        if killed_at is not None:
            first, second = [t for t in ok if t <= killed_at], [t for t in ok if t > killed_at]
            sending = (first[-1] - first[0]) + (second[-1] - second[0])
            rate = (len(ok) - 2) / sending
            gap = second[0] - first[-1]
        else:
            rate, gap = _rate(ok), None
        return {
            "backend": backend,
            "killed": killed,
            "sent": len(ok),
            "reached": len(per_chat),
            "duplicates": sum(n - 1 for n in per_chat.values()),
            "missing": count - len(per_chat),
            "429": sum(1 for r in log if r.status == 429),
            "other_errors": sum(1 for r in log if r.status not in (200, 429)),
            "rate": rate,
            "gap": gap,
            "statuses": dict(await _statuses(url)),
            "load": before,
        }


def report(r: dict, count: int) -> str:
    floor = TARGET_SHARE * LIMIT
    verdict = "ok" if r["rate"] >= floor else "MISSED"
    allowed = 1 if r["killed"] else 0
    dup_ok = "ok" if r["duplicates"] <= allowed and not r["missing"] else "MISSED"
    what = "killed half-way and restarted" if r["killed"] else "one run"
    gap = f", restart gap {r['gap']:.1f} s (not counted)" if r["gap"] is not None else ""
    statuses = ", ".join(f"{k} {v}" for k, v in sorted(r["statuses"].items()))
    return (
        f"[{r['backend']}] broadcast of {count:,}, {what}: {r['rate']:.1f} messages/s "
        f"= {r['rate'] / LIMIT:.0%} of the 30/s limit (target >= {floor:.0f}/s: {verdict}){gap}; "
        f"{r['429']} answers 429 (target 0: {'ok' if not r['429'] else 'MISSED'}), "
        f"{r['duplicates']} duplicates and {r['missing']} missing (target <= {allowed}, 0: {dup_ok}); "
        f"outbox: {statuses}; load before {r['load']}"
    )


async def main_async(args: argparse.Namespace) -> list[str]:
    print(await machine(), flush=True)
    lines = []
    for backend in available_backends(args.db):
        for killed in (False, True):
            line = report(await bench_backend(backend, args.count, killed), args.count)
            print(line, flush=True)
            lines.append(line)
    return lines


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.broadcast", description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--db", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    asyncio.run(main_async(arguments(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
