"""`python -m bot demo`: a whole quarter of the example bureau, through the stand-in on a fast clock."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import re
import tempfile
import time
import tomllib
from collections import Counter
from pathlib import Path

from bot.app import SHEET_KEY
from bot.cli import sheet_play
from bot.cli.rehearsal import ADMIN, GROUP, Bureau, at, bind_everyone, import_roster, running_bot
from bot.cli.results import results_json, results_rows
from bot.records.ballot_file import BALLOT_COLUMNS
from bot.records.exports import quarter_plans, write_plans
from bot.records.spreadsheets import read_table, write_table
from bot.records.workbooks import sheet_name
from bot.rendering import label, render
from bot.rules.domain import Quarter
from bot.workflow.quarter import compute_and_store, import_ballots
from scheduler.jobs import Scheduler
from storage.migrate import upgrade_async
from storage.repository import Repository

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
QUARTER = Quarter(2026, 3)
SCRIPT = EXAMPLES / "demo.toml"  # what the demo's people type (their words are data, like a roster)
_QUARTER, RATER, RATEE, _PART, ITEM, _MOST, SCORE, _GROUP = BALLOT_COLUMNS
RESOLVE = re.compile(r"/resolve (\d+)")
# The rating sheet, on a free local port standing for its public HTTPS URL behind the reverse proxy.
SHEET = {"public_url": "https://bureau.example.gov.cn/sheet", "port": 0, "path": "/sheet"}


def button(name: str) -> str:
    return label("button", name)


def reviewable(message) -> bool:
    labels = {b["text"] for row in message.buttons for b in row}
    return button("approve") in labels and button("return") in labels


class Transcript:
    """Prints the story as it happens: a line per step and what the bot sent for it."""

    def __init__(self, bureau: Bureau, started: float) -> None:
        self.bureau = bureau
        self.started = started
        self.seen = 0

    async def step(self, name: str, **context) -> None:
        async with self.bureau.services.database.session() as session:
            rows = await Repository(session).messages()
        new = rows[self.seen :]
        self.seen = len(rows)
        sample = next((r.text for r in new if r.chat_id > 0), None)
        print(
            render(
                "cli/demo_step.j2",
                step=name,
                moment=self.bureau.services.work_calendar().localize(self.bureau.clock.now()),
                counts=Counter(r.kind for r in new),
                sample=sample,
                seconds=time.monotonic() - self.started,
                **context,
            )
        )


async def tick(bureau: Bureau, moment: dt.datetime) -> None:
    bureau.clock.set(moment)
    await Scheduler(bureau.services).tick()
    await bureau.settle()


async def summaries(
    bureau: Bureau, ratees: list[str], month: int, script: dict, returned: str | None
) -> None:
    lines = "\n".join(line.format(month=month) for line in script["summary_lines"])
    for name in ratees:
        user = bureau.user(name)
        await bureau.command(user, "summary")
        preview = await bureau.text(user, lines)
        await bureau.press(user, preview, button("submit"))
        await bureau.settle()  # the review request is out before the next person (maybe the reviewer) starts
    if returned:
        for leader in bureau.users.values():
            for message in bureau.driver.bot_messages(leader):
                if reviewable(message) and returned in message.text:
                    await bureau.press(leader, message, button("return"))
                    await bureau.text(leader, script["return_opinion"])
        await bureau.settle()
        author = bureau.user(returned)
        await bureau.command(author, "summary")
        preview = await bureau.text(author, script["added_line"])
        await bureau.press(author, preview, button("submit"))
    await approve_all(bureau)


async def approve_all(bureau: Bureau) -> None:
    await bureau.settle()
    for leader in bureau.users.values():
        for message in bureau.driver.bot_messages(leader):
            if reviewable(message):
                await bureau.press(leader, message, button("approve"))
    await bureau.settle()


async def rate_by_buttons(bureau: Bureau, rater: str, scores: dict) -> int:
    user = bureau.user(rater)
    screen = await bureau.command(user, "rate")
    taps = 0
    while True:
        text = screen.text
        labels = {b["text"] for row in screen.buttons for b in row}
        if "【" in text:  # one item on screen: its name between the brackets
            ratee = text.split("\n", 1)[0].split("：", 1)[1].split("（", 1)[0]
            item = text.split("【", 1)[1].split("】", 1)[0]
            _answer, screen = await bureau.press(user, screen, str(scores[(rater, ratee, item)]))
        elif button("submit") in labels:
            _answer, screen = await bureau.press(user, screen, button("submit"))
        else:  # the list: the next ratee not yet scored (✓ marks the done ones)
            pending = [
                b
                for row in screen.buttons
                for b in row
                if "callback_data" in b  # not the sheet's web_app button
                and not b["text"].startswith("\u2713")
                and b["text"] not in (button("prev_page"), button("next_page"))
            ]
            if not pending:
                return taps
            _answer, screen = await bureau.press(user, screen, data=pending[0]["callback_data"])
        taps += 1


async def rate_on_sheet(bureau: Bureau, rater: str, scores: dict) -> sheet_play.Played:
    """The rater scores all his ratees on the rating sheet, opened as Telegram opens a Mini App."""
    user = bureau.user(rater)
    local = f"http://127.0.0.1:{bureau.application.bot_data[SHEET_KEY].port}{SHEET['path']}"
    mine: dict[str, dict[str, int]] = {}
    for (who, ratee, item), points in scores.items():
        if who == rater:
            mine.setdefault(ratee, {})[item] = points
    return await sheet_play.play(
        local, lambda: bureau.driver.open_web_app(user, local), lambda: bureau.driver.init_data(user), mine
    )


async def play(folder: Path) -> Path:
    """Play the quarter; returns the folder with the database and the exported results."""
    started = time.monotonic()
    script = tomllib.loads(SCRIPT.read_text(encoding="utf-8"))
    url = f"sqlite:///{folder / 'demo.db'}"
    await upgrade_async(url)
    async with running_bot(url, at(2026, 6, 30, 17, 0), webapp=SHEET) as bureau:
        await import_roster(bureau.services.database, EXAMPLES / "roster.csv", "demo")
        story = Transcript(bureau, started)
        await bind_everyone(bureau)
        bureau.driver.add_group(GROUP, script["group_title"], [ADMIN, *bureau.users.values()])
        await bureau.command(ADMIN, "bindgroup", chat_id=GROUP)
        await story.step("bound", people=len(bureau.users))
        scores = {}
        with (EXAMPLES / "ballots-2026Q3.csv").open(encoding="utf-8-sig") as handle:
            for row in csv.DictReader(handle):
                scores[(row[RATER], row[RATEE], row[ITEM])] = int(row[SCORE])
        ratees = sorted({ratee for _rater, ratee, _item in scores})

        await tick(bureau, at(2026, 7, 1, 9, 0))
        for name in ratees[:5]:
            screen = await bureau.command(bureau.user(name), "goals")
            await bureau.press(bureau.user(name), screen, button("use_template"))
        await story.step("goals")
        for month, day in ((7, 31), (8, 31), (9, 30)):
            await tick(bureau, at(2026, month, day, 9, 0))
            await summaries(bureau, ratees, month, script, script["returned_summary"] if month == 7 else None)
            await story.step("summaries", month=month)
        for name in ratees:
            form = await bureau.command(bureau.user(name), "registration")
            await bureau.press(bureau.user(name), form, button("submit"))
            await bureau.settle()
        await approve_all(bureau)
        await story.step("registration")

        await tick(bureau, at(2026, 10, 14, 9, 0))
        principal = script["principal"]
        sheet = await rate_on_sheet(bureau, principal, scores)
        paper = folder / "paper-ballots.csv"
        table = read_table(EXAMPLES / "ballots-2026Q3.csv")
        write_table(
            paper,
            table.headers,
            [[r.get(h) for h in table.headers] for _l, r in table.rows if r[RATER] != principal],
        )
        async with bureau.services.database.session() as session:
            outcome = await import_ballots(
                Repository(session), bureau.services.settings, QUARTER, read_table(paper), "demo"
            )
        await story.step("rating", taps=sheet.interactions, sheet=sheet.mode, paper=len(outcome.new))
        await bureau.command(ADMIN, "veto", script["veto"])
        await bureau.command(ADMIN, "affirm", script["affirm"])
        await tick(bureau, at(2026, 10, 20, 18, 0))
        await story.step("closed")

        async with bureau.services.database.session() as session:
            computed = await compute_and_store(Repository(session), bureau.services.settings, QUARTER, "demo")
        people = computed.people
        for conflict in computed.proposal.conflicts:
            for index, person_id in enumerate(sorted(conflict.person_ids)):
                tier = script["tier_good"] if index < conflict.slots else script["tier_fair"]
                await bureau.command(
                    ADMIN, "change", f"{people[person_id].name} {tier} {script['change_reason']}"
                )
        ask = await bureau.command(ADMIN, "confirm")
        await bureau.press(ADMIN, ask, button("confirm"))
        bureau.clock.set(at(2026, 10, 21, 10, 0))
        ask = await bureau.command(ADMIN, "publish")
        await bureau.press(ADMIN, ask, button("confirm"))
        await bureau.settle()
        await story.step("published")

        bureau.clock.set(at(2026, 10, 22, 9, 30))
        objector = bureau.user(script["objector"])
        await bureau.command(objector, "objection")
        await bureau.text(objector, script["objection"])
        forwarded = await bureau.expect(ADMIN, "/resolve")
        number = RESOLVE.search(forwarded.text).group(1)
        await bureau.command(ADMIN, "resolve", f"{number} dismiss {script['dismissal']}")
        await bureau.settle()
        await story.step("objection")

        await tick(bureau, at(2026, 10, 23, 18, 0))
        await bureau.settle()
        mine = next(
            m
            for m in reversed(bureau.driver.bot_messages(objector))
            if button("feedback") in {b["text"] for row in m.buttons for b in row}
        )
        await bureau.press(objector, mine, button("feedback"))
        await bureau.text(objector, script["feedback"])
        await story.step("final")

        async with bureau.services.database.session() as session:
            computed = await compute_and_store(Repository(session), bureau.services.settings, QUARTER, "demo")
        headers, rows = results_rows(computed, bureau.services.settings.rules.score_places)
        paths = [write_table(folder / "results-2026Q3.xlsx", headers, rows, sheet_name("results"))]
        (folder / "results-2026Q3.json").write_text(results_json(computed) + "\n", encoding="utf-8")
        paths.append(folder / "results-2026Q3.json")
        # the records: Form 1 of the three months, Form 2, the filing workbooks, the annual report, charts
        async with bureau.services.database.session() as session:
            plans = await quarter_plans(Repository(session), bureau.services.settings, QUARTER)
        paths += await write_plans(plans, folder / "records")
        # and one of them as an admin gets it in chat
        await bureau.command(ADMIN, "export", f"form2 {QUARTER}")
        sent = await bureau.expect(ADMIN, script["export_done"], timeout=60)
        await story.step("exported", files=len(paths), chat=sent.text)
        async with bureau.services.database.session() as session:
            notice = await Repository(session).first_text_of_kind("publicity_notice")
        print(
            render(
                "cli/demo_end.j2",
                notice=notice,
                folder=folder,
                paths=paths,
                seconds=time.monotonic() - started,
            )
        )
    return folder


def main(folder: str | None = None) -> int:
    """Play into `folder` (absent or empty: see ops_commands.unusable_folder) or a new temp folder.

    Nothing is ever deleted: the demo only adds its own files (database, results, records).
    """
    target = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="assessment-demo-"))
    target.mkdir(parents=True, exist_ok=True)
    asyncio.run(play(target))
    return 0
