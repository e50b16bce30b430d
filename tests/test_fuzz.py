"""Bad input, fuzzed: hypothesis plays sequences of updates through the real Application.

The bot runs once per test (per database) in a thread of its own; each hypothesis example is a short
sequence of updates — any Unicode text of any length, commands with odd arguments, buttons pressed
as shown, forged, stale, replayed or by the wrong user, updates sent twice, edited messages, messages
in the group, files — sometimes sent in one burst so they run concurrently and out of order. After
every example: no handler failed and nothing was logged as an error, every button press was answered,
at most one ballot per rater, ratee and quarter, every score within its item's range, and the audit
log names every submitted ballot and summary, override, exemption, leave, rater change and admin.
Examples are derandomized: a failure prints the sequence and reproduces on the next run.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Coroutine

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.rendering import render
from bot.rules.domain import BallotStatus, ReviewStatus
from storage.database import Database
from storage.models import (
    Admin,
    AuditEntry,
    BallotItem,
    BallotRecord,
    Exemption,
    LeaveRecord,
    MonthlySummary,
    Override,
    RaterChange,
)
from tests.authz import (
    changed_tables,
    forge_press,
    one_turn,
    release_rows_connection,
    small_roster,
    table_rows,
    turn_log,
    until,
)
from tests.chat import ADMIN, GROUP, at, bind_everyone, import_roster, running_bot
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.slow

NAMES = ["赵建国", "钱卫东", "周明远", "吴晓燕", "郑海涛", "冯雪梅", "杨建华", "朱丽娟", "严立军", "华静怡"]
STRANGER = 777_000_009
EXAMPLES_RUN = 40
BALLOT_EXAMPLES = 30


class Loop:
    """An event loop in a thread: the bot lives there for the whole test, examples call into it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine, timeout: float = 60):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


# --- what a user may do -------------------------------------------------------------------------

commands = st.sampled_from(
    [
        "start",
        "help",
        "me",
        "summary",
        "goals",
        "registration",
        "objection",
        "feedback",
        "review",
        "rate",
        "status",
        "invite",
        "open",
        "extend",
        "close",
        "remind",
        "affirm",
        "veto",
        "exempt",
        "leave",
        "raters",
        "results",
        "confirm",
        "change",
        "publish",
        "objections",
        "resolve",
        "calendar",
        "admins",
        "bindgroup",
        "nosuch",
        "START",
        "rate@other_bot",
    ]
)
odd_words = st.sampled_from(
    [
        *(
            [
                "all",
                "rating",
                "goals",
                "publicity",
                "2026Q3",
                "2026Q5",
                "0",
                "-1",
                "周明远",
                "吴晓燕",
                "查无此人",
                "1",
                "4",
                "5",
                "好",
                "较差",
                "病假",
            ]
        ),
        *(
            [
                "2026-10-20",
                "2026-13-01",
                "grant",
                "revoke",
                "list",
                "holiday",
                "add",
                "remove",
                "dismiss",
                "uphold",
                "理由",
            ]
        ),
        *("9" * 30, "\u202e", "\x00", "😀" * 3),
    ]
)
arguments = st.one_of(
    st.just(""),
    st.lists(odd_words, max_size=5).map(" ".join),
    st.text(max_size=60),
)
texts = st.one_of(
    st.text(min_size=1, max_size=80),
    st.sampled_from(["完成一项审批\n整理档案", "岗位职责 50\n工作质量 50", "  ", "\n\n", "a" * 4096]),
    st.builds(lambda c, n: c * n, st.characters(), st.integers(1, 5000)),
)
RATERS = ["赵建国", "钱卫东", "吴晓燕"]
scores = st.builds(lambda i, p: f"s{i}.{p}", st.sampled_from(range(-1, 13)), st.sampled_from(range(-2, 26)))
button_args = st.one_of(
    st.text(max_size=70),
    st.builds(lambda a, b, c: f"{a}{b}.{c}", st.just("s"), st.integers(-2, 12), st.integers(-2, 25)),
    st.builds(lambda a, b: f"{a}{b}", st.sampled_from(["e", "p", "r", "s", ""]), st.integers(-5, 10**6)),
    st.sampled_from(["x", "l", "ok", "no", "submit", "drop", "clear", "template", "custom", "done", "1"]),
)
who = st.sampled_from([*NAMES, "admin", "stranger"])
Action = tuple

actions = st.one_of(
    st.tuples(st.just("command"), who, commands, arguments),
    st.tuples(st.just("text"), who, texts),
    # a button shown to the user; the newest message's first button often: that scores a ballot's
    # items with the highest score one after another, then submits it
    st.tuples(st.just("tap"), who, st.one_of(st.just(0), st.integers(0, 10_000)), st.just(0)),
    st.tuples(st.just("tap"), st.sampled_from(RATERS), st.just(0), st.just(0)),
    st.tuples(st.just("tap_as"), who, who, st.integers(0, 10_000)),  # someone else's button
    st.tuples(st.just("forge"), who, st.integers(0, 10_000), button_args),  # a real token, any argument
    st.tuples(st.just("forge"), st.sampled_from(RATERS), st.just(0), scores),  # a score for an item
    st.tuples(st.just("forge_raw"), who, st.text(max_size=70)),
    st.tuples(st.just("replay"), st.integers(1, 30)),  # an update Telegram sends again
    st.tuples(st.just("edit"), who, texts),
    st.tuples(st.just("group"), who, st.one_of(texts, commands.map(lambda c: "/" + c))),
    # anyone's file but the admin's (his are checked and await a 确认: tests/test_chat_uploads.py)
    st.tuples(
        st.just("file"),
        st.sampled_from([*NAMES, "stranger"]),
        st.sampled_from(["roster.csv", "b.xlsx", "x.exe", "big.csv", "f.csv"]),
    ),
)
# Rating, fuzzed harder: raters on their scoring screens, scores of any item and value, submits,
# taps on what is shown, replays, many at once.
ballot_actions = st.one_of(
    st.tuples(st.just("forge"), st.sampled_from(RATERS), st.just(0), scores),
    st.tuples(
        st.just("forge"),
        st.sampled_from(RATERS),
        st.just(0),
        st.sampled_from(["x", "l", "e0", "e9", "e10", "e-1", "s.", "s1", "r1", "p1"]),
    ),
    st.tuples(st.just("tap"), st.sampled_from(RATERS), st.integers(0, 40), st.just(0)),
    st.tuples(st.just("tap_as"), st.sampled_from(RATERS), st.sampled_from(RATERS), st.integers(0, 40)),
    st.tuples(st.just("replay"), st.integers(1, 10)),
)
ballot_sequences = st.lists(st.tuples(ballot_actions, st.booleans()), min_size=1, max_size=15)
sequences = st.lists(st.tuples(actions, st.booleans()), min_size=1, max_size=12)


def file_bytes(name: str) -> bytes:
    if name == "b.xlsx":
        return b"PK\x03\x04 not really a workbook"
    if name == "big.csv":
        return b"\xe5\xa7\x93\xe5\x90\x8d\n" + b"x" * 3_000_000
    if name == "f.csv":
        return '姓名,出生年月\n=HYPERLINK("http://x"),1988-03\n'.encode()
    if name == "x.exe":
        return b"MZ\x90\x00" + bytes(range(256))
    return (EXAMPLES / "roster.csv").read_bytes()


class Player:
    """Turns hypothesis' actions into updates for the stand-in."""

    def __init__(self, bureau) -> None:
        self.bureau = bureau
        self.users = {name: bureau.user(name) for name in NAMES}
        self.users.update(admin=ADMIN, stranger=STRANGER)
        self.queries = []

    @property
    def driver(self):
        return self.bureau.driver

    def shown(self, user_id: int) -> list[str]:
        """The callback data of every button in the user's chat, newest message first."""
        state = self.driver.state
        found = []
        for message in reversed(state.messages.get(user_id, [])):
            if message.sender is state.bot:
                view = self.driver.message(user_id, message.message_id)
                found += [b["callback_data"] for row in view.buttons for b in row if "callback_data" in b]
        return found

    def own_text_messages(self, user_id: int):
        state = self.driver.state
        return [
            m for m in state.messages.get(user_id, []) if m.sender is not state.bot and m.text and m.delivered
        ]

    def act(self, action: Action) -> None:
        kind, *args = action
        driver = self.driver
        if kind == "command":
            user, name, rest = args
            driver.send_command(self.users[user], name, rest)
        elif kind == "text":
            user, text = args
            driver.send_text(self.users[user], text)
        elif kind == "tap":
            user, pick, _ = args
            shown = self.shown(self.users[user])
            if shown:
                self._press(self.users[user], shown[pick % len(shown)], self.users[user])
        elif kind == "tap_as":
            owner, presser, pick = args
            shown = self.shown(self.users[owner])
            if shown:
                self._press(self.users[presser], shown[pick % len(shown)], self.users[owner])
        elif kind == "forge":
            user, pick, arg = args
            shown = self.shown(self.users[user])
            if shown:
                token = shown[pick % len(shown)].split(":", 1)[0]
                self._press(self.users[user], f"{token}:{arg}"[:64], self.users[user])
        elif kind == "forge_raw":
            user, data = args
            self._press(self.users[user], data.encode()[:64].decode(errors="ignore"), self.users[user])
        elif kind == "replay":
            (back,) = args
            archive = sorted(driver.state.archive)
            if archive:
                driver.redeliver(archive[-min(back, len(archive))])
        elif kind == "edit":
            user, text = args
            mine = self.own_text_messages(self.users[user])
            if mine and text.strip():
                driver.edit_text(self.users[user], mine[-1].message_id, text)
        elif kind == "group":
            user, text = args
            if user in ("admin", "吴晓燕", "周明远") and text:
                driver.send_text(self.users[user], text, chat_id=GROUP)
        elif kind == "file":
            user, name = args
            driver.send_document(self.users[user], name, file_bytes(name))
        else:
            raise AssertionError(kind)

    def _press(self, user_id: int, data: str, chat_id: int) -> None:
        if not self.driver.state.messages.get(chat_id):
            return
        if not any(m.sender is self.driver.state.bot for m in self.driver.state.messages[chat_id]):
            return
        self.queries.append(forge_press(self.bureau, user_id, data or "x", chat_id=chat_id))


async def quiet(bureau) -> None:
    """Every update taken and handled, the outbox empty."""
    application = bureau.application
    processor = application.update_processor

    def idle() -> bool:
        return (
            not bureau.driver.state.pending
            and application.update_queue.empty()
            and processor.current_concurrent_updates == 0
        )

    for _ in range(2):  # twice, a moment apart: an update between the queue and its task is not missed
        await until(idle, 20, "the bot to be idle")
        await asyncio.sleep(0.01)
    await bureau.settle()


async def check_invariants(bureau, player: Player, log, since: tuple[int, int, int] = (0, 0, 0)) -> dict:
    """The invariants; turns, errors and presses are those since `since` (this example's own)."""
    bad_turns = [t for t in log.turns[since[0] :] if t.outcome == "error"]
    assert not bad_turns, bad_turns
    assert not log.errors[since[1] :], [r.getMessage() for r in log.errors[since[1] :]][:3]
    unanswered = [q.data for q in player.queries[since[2] :] if not q.answered]
    assert not unanswered, unanswered
    async with bureau.services.database.session() as session:
        pairs = (
            await session.execute(
                select(BallotRecord.assessment_id, BallotRecord.rater_id, BallotRecord.ratee_id, func.count())
                .group_by(BallotRecord.assessment_id, BallotRecord.rater_id, BallotRecord.ratee_id)
                .having(func.count() > 1)
            )
        ).all()
        assert not pairs, pairs
        items = (await session.scalars(select(BallotItem))).all()
        assert all(i.points is None or 0 <= i.points <= i.max_points for i in items)
        ballots = (await session.scalars(select(BallotRecord))).all()
        for ballot in ballots:
            if ballot.status is BallotStatus.SUBMITTED:
                assert all(i.points is not None for i in items if i.ballot_id == ballot.id), ballot.id
        audit = (await session.scalars(select(AuditEntry))).all()
        details = [(a.action, a.person_id, json.loads(a.details)) for a in audit]
        submitted = [d.get("ballot_id") for action, _p, d in details if action == "ballot_submitted"]
        assert sorted(submitted) == sorted(b.id for b in ballots if b.status is BallotStatus.SUBMITTED)
        summaries = (await session.scalars(select(MonthlySummary))).all()
        audited_docs = {d.get("doc_id") for action, _p, d in details if action == "summary_submitted"}
        for summary in summaries:
            if summary.submissions:
                assert summary.id in audited_docs, summary.id
            assert summary.status is not ReviewStatus.SUBMITTED or summary.submissions >= 1
        audited_people = {(action, p) for action, p, _d in details}
        for model, action in (
            (Override, None),
            (Exemption, "exemption"),
            (LeaveRecord, "leave"),
            (RaterChange, None),
        ):
            for row in (await session.scalars(select(model))).all():
                person = getattr(row, "person_id", None) or getattr(row, "ratee_id", None)
                assert any(p == person and (action is None or a == action) for a, p in audited_people), row
        granted = {d.get("target") for action, _p, d in details if action == "admin_grant"}
        for admin in (await session.scalars(select(Admin))).all():
            assert admin.telegram_user_id in granted, admin
    return {"ballots": len(ballots), "submitted": len(submitted), "summaries": len(summaries)}


PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


async def files_are_refused(bureau, log) -> int:
    """Rosters and ballots sent as files — corrupt, huge, of the wrong type, with formulas, or fine —
    and a photo, by staff and strangers, and the admin's photo: each gets the clear answer, nothing is
    downloaded, nothing changes. (The admin's files are checked: tests/test_chat_uploads.py.)"""
    driver = bureau.driver
    files = [(name, file_bytes(name)) for name in ("roster.csv", "b.xlsx", "x.exe", "big.csv", "f.csv")]
    files.append(("ballots-2026Q3.csv", (EXAMPLES / "ballots-2026Q3.csv").read_bytes()))
    checked = 0
    await bureau.settle()
    for user, admin in ((ADMIN, True), (bureau.user("吴晓燕"), False), (STRANGER, None)):
        expected = (
            render("chat/errors/stranger.j2")
            if admin is None
            else render("chat/errors/file_not_accepted.j2", admin=admin)
        )
        sends = [lambda n=n, d=d, u=user: driver.send_document(u, n, d, caption="2026Q3") for n, d in files]
        sends = [] if admin else sends
        sends.append(lambda u=user: driver.send_photo(u, PNG))
        for send in sends:
            before = await table_rows(bureau)
            count = len(driver.bot_messages(user))
            turn = await one_turn(log, send)
            assert turn.outcome in ("refused", "rejected"), turn
            assert [m.text for m in driver.bot_messages(user)[count:]] == [expected]
            assert not changed_tables(before, await table_rows(bureau))
            checked += 1
    assert driver.requests_for("getFile") == []
    await release_rows_connection(bureau)
    return checked


def test_fuzzed_updates_break_nothing(database_url, tmp_path):
    roster = tmp_path / "roster.csv"
    small_roster(roster, NAMES)
    loop = Loop()
    context = running_bot(database_url, at(2026, 10, 14, 9, 30))
    totals = {"examples": 0, "updates": 0}
    started = False
    try:

        async def start():
            database = Database(database_url)
            try:
                await import_roster(database, roster)
            finally:
                await database.dispose()
            nonlocal started
            bureau = await context.__aenter__()
            started = True
            await bind_everyone(bureau)
            bureau.driver.add_user(STRANGER, "Stranger")
            bureau.driver.add_group(GROUP, "工作群", [ADMIN, bureau.user("吴晓燕"), bureau.user("周明远")])
            await bureau.command(ADMIN, "bindgroup", chat_id=GROUP)
            await bureau.command(ADMIN, "open", "rating")
            await bureau.settle()
            for rater in RATERS:  # each on the scoring screen of his first ratee
                listing = await bureau.command(bureau.user(rater), "rate")
                assert listing.buttons, (rater, listing.text)
                _a, screen = await bureau.press(
                    bureau.user(rater), listing, data=listing.buttons[0][0]["callback_data"]
                )
            # the last scores his first ratee (the highest score of each item) and submits the ballot:
            # a locked ballot for the fuzz to replay, forge and tap on; then he is on the next ratee
            for _item in range(10):
                first = screen.buttons[0][0]["callback_data"]
                _a, screen = await bureau.press(bureau.user(rater), screen, data=first)
            answer, _screen = await bureau.press(bureau.user(rater), screen, "提交")
            assert (answer.text or "").startswith("已提交"), answer
            await bureau.command(bureau.user("吴晓燕"), "summary")
            await bureau.settle()
            return bureau

        bureau = loop.run(start())
        player = Player(bureau)
        with turn_log(bureau) as log:
            assert loop.run(files_are_refused(bureau, log)) == 15

            def run_steps(steps) -> None:
                async def run():
                    since = (len(log.turns), len(log.errors), len(player.queries))
                    for action, burst in steps:
                        player.act(action)
                        totals["updates"] += 1
                        if not burst:  # else the next update follows at once: they run concurrently
                            await quiet(bureau)
                    await quiet(bureau)
                    return await check_invariants(bureau, player, log, since)

                loop.run(run())
                totals["examples"] += 1

            for strategy, examples in ((sequences, EXAMPLES_RUN), (ballot_sequences, BALLOT_EXAMPLES)):
                settings(
                    max_examples=examples,
                    derandomize=True,  # the same examples every run: a failure reproduces
                    # the bot's state carries over from example to example, so shrinking would
                    # replay a failing sequence on a different state: report the example as it failed
                    phases=[Phase.generate],
                    database=None,
                    print_blob=True,
                    suppress_health_check=list(HealthCheck),
                )(given(strategy)(run_steps))()
            final = loop.run(check_invariants(bureau, player, log))
            turns = len(log.turns)
        print(f"fuzz: {totals}, {turns} turns, {len(player.queries)} presses, {final}")
        assert totals["examples"] == EXAMPLES_RUN + BALLOT_EXAMPLES and turns >= EXAMPLES_RUN
        assert final["submitted"] >= 1 and final["ballots"] >= len(RATERS)
    finally:
        try:
            if started:
                loop.run(context.__aexit__(None, None, None))
        finally:
            loop.close()
