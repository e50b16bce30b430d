"""`python -m standin`: run the Bot API stand-in on 127.0.0.1 until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from standin.limits import Limits
from standin.server import StandIn


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m standin", description=__doc__)
    parser.add_argument("--port", type=int, default=8081, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--token", default="123:ABC", help="the only token accepted (default 123:ABC)")
    parser.add_argument("--bot-username", default="assessment_test_bot")
    parser.add_argument("--limits", action="store_true", help="enforce Telegram's flood limits")
    parser.add_argument("--no-privacy-mode", action="store_true", help="the bot reads every group message")
    parser.add_argument(
        "--callback-expiry", type=float, default=15.0, help="seconds to answer a button press"
    )
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    stand_in = StandIn(
        args.token,
        port=args.port,
        limits=Limits() if args.limits else None,
        bot_username=args.bot_username,
        privacy_mode=not args.no_privacy_mode,
        callback_expiry=args.callback_expiry,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    async with stand_in:
        print(
            f"Bot API stand-in at {stand_in.url}: base_url={stand_in.base_url} "
            f"base_file_url={stand_in.base_file_url} driver={stand_in.driver_url} token={stand_in.token}",
            flush=True,
        )
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    asyncio.run(_serve(_arguments(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
