"""The count: the example principal's 33 ratees scored by buttons and on the rating sheet.

Each way runs once on its own fresh SQLite database, with the real bot and the stand-in: by buttons as
the demo taps them (bot/cli/demo.py rate_by_buttons: a tap is one callback query answered by an edit),
on the sheet in Debian's chromium when it is there, else through the sheet's API (bot/cli/sheet_play.py).
The scores are the principal's rows of examples/ballots-2026Q3.csv. Prints interactions and seconds.

    python -m bench.sheet_count
"""

from __future__ import annotations

import asyncio
import csv
import tempfile
import time
from contextlib import asynccontextmanager
from pathlib import Path

from bot.cli import sheet_play
from bot.cli.demo import EXAMPLES, QUARTER, RATEE, RATER, SCORE, rate_by_buttons
from bot.cli.demo import ITEM as ITEM_NAME
from bot.cli.rehearsal import ADMIN, FIRST_USER_ID, INVITE, at, import_roster, running_bot
from storage.migrate import upgrade_async

PRINCIPAL = "赵建国"
PUBLIC = "https://sheet.example.gov.cn/sheet"  # what the buttons carry; the page is read on 127.0.0.1


def principal_scores() -> dict[tuple[str, str, str], int]:
    with (EXAMPLES / "ballots-2026Q3.csv").open(encoding="utf-8-sig") as handle:
        return {
            (row[RATER], row[RATEE], row[ITEM_NAME]): int(row[SCORE])
            for row in csv.DictReader(handle)
            if row[RATER] == PRINCIPAL
        }


@asynccontextmanager
async def rating_open(folder: Path, name: str):
    """The example roster, the bot running on 14 October with the sheet, the principal bound, rating open."""
    url = f"sqlite:///{folder / f'{name}.db'}"
    await upgrade_async(url)
    overrides = {"webapp": {"public_url": PUBLIC, "port": 0}, "start": {"first_month": "2026-01"}}
    async with running_bot(url, at(2026, 10, 14, 9, 30), **overrides) as bureau:
        await import_roster(bureau.services.database, EXAMPLES / "roster.csv")
        reply = await bureau.command(ADMIN, "invite", PRINCIPAL)
        bureau.driver.add_user(FIRST_USER_ID, PRINCIPAL)
        bureau.users[PRINCIPAL] = FIRST_USER_ID
        bureau.driver.send_command(FIRST_USER_ID, "start", dict(INVITE.findall(reply.text))[PRINCIPAL])
        await bureau.driver.wait_for_bot_message(FIRST_USER_ID)
        await bureau.command(ADMIN, "open", f"rating {QUARTER}")
        await bureau.settle()
        yield bureau


def sheet_of(bureau) -> str:
    """The sheet's local URL (the public one is behind the reverse proxy)."""
    return f"http://127.0.0.1:{bureau.application.bot_data['sheet_server'].port}/sheet"


async def count(folder: Path) -> dict:
    scores = principal_scores()
    by_ratee: dict[str, dict[str, int]] = {}
    for (_rater, ratee, item), points in scores.items():
        by_ratee.setdefault(ratee, {})[item] = points
    async with rating_open(folder, "buttons") as bureau:
        started = time.monotonic()
        taps = await rate_by_buttons(bureau, PRINCIPAL, scores)
        buttons = (taps, time.monotonic() - started)
    sheets = []
    for browser in (True, False) if sheet_play.available() else (False,):
        async with rating_open(folder, f"sheet-{browser}") as bureau:
            user, local = bureau.user(PRINCIPAL), sheet_of(bureau)
            sheets.append(
                await sheet_play.play(
                    local,
                    lambda: bureau.driver.open_web_app(user, local),  # noqa: B023 (used at once)
                    lambda: bureau.driver.init_data(user),  # noqa: B023
                    by_ratee,
                    browser=browser,
                )
            )
    return {"ratees": len(by_ratee), "items": len(scores), "buttons": buttons, "sheets": sheets}


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="sheet-count-") as folder:
        found = asyncio.run(count(Path(folder)))
    taps, seconds = found["buttons"]
    print(f"the principal's {found['ratees']} ratees, {found['items']} item scores")
    print(f"  by buttons: {taps} taps, each a round trip to the bot, {seconds:.1f} s scripted")
    for sheet in found["sheets"]:
        how = (
            "the page in chromium" if sheet.mode == "browser" else "its HTTP API, a save and a submit a ratee"
        )
        print(
            f"  on the sheet ({how}): {sheet.interactions} interactions, "
            f"{sheet.ballots} ballots submitted, {sheet.seconds:.1f} s scripted"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
