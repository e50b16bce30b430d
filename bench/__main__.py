"""`python -m bench [NAME…]`: the benchmarks (compute, taps, sheet, broadcast, bombs), then their figures."""

from __future__ import annotations

import argparse
import asyncio

from bench import bombs, broadcast, compute, sheet, taps
from bench.harness import machine

NAMES = ("compute", "taps", "sheet", "broadcast", "bombs")


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "only", nargs="*", metavar="NAME", help=f"only these of {', '.join(NAMES)} (default: all)"
    )
    parser.add_argument("--db", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--ratees", type=int, default=10_000, help="compute: ratees (about 15 ballots each)")
    parser.add_argument("--raters", type=int, default=50, help="taps, sheet: raters at once")
    parser.add_argument("--seconds", type=float, default=20.0, help="taps, sheet: measured seconds per run")
    parser.add_argument("--count", type=int, default=1000, help="broadcast: messages")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: check that the benchmarks run")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.only) - set(NAMES))
    if unknown:
        parser.error(f"no benchmark named {', '.join(unknown)} (there are {', '.join(NAMES)})")
    args.only = args.only or list(NAMES)
    return args


async def run(args: argparse.Namespace) -> list[str]:
    if args.quick:
        args.ratees, args.raters, args.seconds, args.count = 50, 3, 1.0, 40
    lines = []
    warmup = 1.0 if args.quick else 3.0
    if "compute" in args.only:
        lines += await compute.main_async(
            argparse.Namespace(
                db=args.db, ratees=args.ratees, no_traced=args.quick, measure=None, traced=False
            )
        )
    if "taps" in args.only:
        lines += await taps.main_async(
            argparse.Namespace(db=args.db, raters=args.raters, seconds=args.seconds, warmup=warmup)
        )
    if "sheet" in args.only:
        lines += await sheet.main_async(
            argparse.Namespace(db=args.db, raters=args.raters, seconds=args.seconds, warmup=warmup)
        )
    if "broadcast" in args.only:
        lines += await broadcast.main_async(argparse.Namespace(db=args.db, count=args.count))
    if "bombs" in args.only:
        lines += bombs.run(args.quick)
    print("\n== summary ==\n" + await machine() + "\n" + "\n".join(lines), flush=True)
    return lines


def main(argv: list[str] | None = None) -> int:
    asyncio.run(run(arguments(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
