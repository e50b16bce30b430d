"""Secret ballots that survive differencing (SPEC 4 and 5), checked on every view the project produces.

The invariant: any two views of a quarter's results that anyone can obtain differ, for each ratee, by
no peer ballot or by at least min_peer_ballots; nothing computed from ballots is shown while the quarter
accepts them. A hypothesis property plays random sequences of chat and paper ballots, closings,
reopenings and rater removals on a small bureau through the workflow with real SQL, and takes every
view after each step.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import re
import shutil
import uuid
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from bot.cli.quarter_commands import results_of
from bot.cli.rehearsal import import_roster
from bot.cli.results import RESULT_COLUMNS, results_json, results_rows, results_table
from bot.records import contents as records
from bot.records import workbooks
from bot.records.exports import ExportKind, Period, plan
from bot.rendering import render
from bot.rules.domain import (
    AssessmentStatus,
    BallotPart,
    BallotSource,
    BallotStatus,
    Category,
    Phase,
    RaterAction,
    RaterGroup,
    Role,
)
from bot.rules.scoring import Ballot, ItemScore, ballot_score, composite, group_score, shown_score
from bot.rules.secrecy import admitted_peer_ballots
from bot.settings import load_settings
from bot.workflow import adjustments, ballots, decisions, phases
from bot.workflow.quarter import ACCEPTING_BALLOTS, ResultsHidden, import_ballots
from bot.workflow.raters import pairs_for
from bot.workflow.status import my_status
from bot.workflow.unit import Refusal
from storage.database import Database
from storage.repository import Repository
from tests.chat import at, bind_everyone, running_bot
from tests.factories import ballot_items, paper_table
from tests.test_workflow_quarter import ADMIN, Q3, Quarterly

TZ = ZoneInfo("Asia/Shanghai")
HEADER = (
    "姓名,性别,出生年月,政治面貌,任现职时间,参加工作时间,职务,人员身份类别,科室,角色,分管科室,"
    "试用期满日期,处分开始日期,处分结束日期,在职"
)
LEADERS = [
    "赵建国,男,1970-05,中共党员,2018-03,1992-07,局长,公务员,,主要领导,,,,,是",
    "钱卫东,男,1973-08,中共党员,2018-03,1992-07,副局长,公务员,,分管领导,综合科,,,,是",
]
STAFF = [
    "周明远,男,1982-04,中共党员,2021-01,2005-07,科长,公务员,综合科,科室负责人,,,,,是",
    "吴晓燕,女,1986-09,中共党员,2021-01,2009-07,科员,公务员,综合科,工作人员,,,,,是",
    "郑海涛,男,1990-01,中共党员,2021-01,2013-07,科员,公务员,综合科,工作人员,,,,,是",
    "冯雪梅,女,1988-06,群众,2021-01,2011-07,科员,公务员,综合科,工作人员,,,,,是",
    "陈立新,男,1979-11,中共党员,2021-01,2002-07,科员,公务员,综合科,工作人员,,,,,是",
    "褚文静,女,1993-03,共青团员,2021-01,2016-07,科员,事业单位人员,综合科,工作人员,,,,,是",
]
NAMES = [line.split(",")[0] for line in LEADERS + STAFF]
RATEES = NAMES[2:]
PART = {BallotPart.COMMON: "共性指标", BallotPart.INDIVIDUAL: "个性指标"}


def roster_file(folder: Path) -> Path:
    path = folder / "small-roster.csv"
    path.write_text("\n".join([HEADER, *LEADERS, *STAFF]) + "\n", encoding="utf-8")
    return path


class Small:
    """A small bureau on the workflow: the principal, a supervisor and six staff in one section."""

    def __init__(self, quarterly: Quarterly) -> None:
        self.q = quarterly
        self.ids: dict[str, int] = {}
        self.names: dict[int, str] = {}
        self.shown: dict[int, frozenset[int]] = {}  # ratee -> counted peer ballots at the last step
        self.shown_chat: dict[int, frozenset[int]] = {}  # the same of those cast in chat
        self.views = 0

    async def start(self, database: Database, folder: Path) -> None:
        await import_roster(database, roster_file(folder), "test")
        self.q.at(2026, 10, 9, 10, 0)
        async with self.q.work() as work:
            self.ids = {p.name: p.id for p in await work.repo.people()}
            self.names = {v: k for k, v in self.ids.items()}
            await phases.open_phase(work, Phase.RATING, Q3, None)

    async def status(self) -> AssessmentStatus:
        async with self.q.work() as work:
            return (await work.repo.assessment(Q3)).status

    # --- the steps -------------------------------------------------------------------------------

    async def chat_ballot(self, rater: str, ratee: str, points: int) -> None:
        """The rater scores every item by the ballot steps a chat screen calls, and submits."""
        async with self.q.work() as work:
            assessment = await work.repo.assessment(Q3)
            pair = (self.ids[rater], self.ids[ratee])
            if assessment.status is not AssessmentStatus.RATING or pair not in await pairs_for(
                work, assessment
            ):
                return
            existing = await work.repo.ballot_of(assessment.id, *pair)
            if existing is not None and existing.status.value == "submitted":
                return
            view = await ballots.open_ballot(work, pair[0], assessment.id, pair[1])
            for index, item in enumerate(view.items):
                view = await ballots.score_item(
                    work, pair[0], view.ballot.id, index, (points + index) % (item.max_points + 1)
                )
            await ballots.submit_ballot(work, pair[0], view.ballot.id)

    async def paper_ballots(self, wanted: list[tuple[str, str, int]]) -> None:
        """Paper ballots of the pairs not voted yet, imported as a file would be."""
        async with self.q.work() as work:
            assessment = await work.repo.assessment(Q3)
            if assessment.status not in ACCEPTING_BALLOTS:
                return
            pairs = await pairs_for(work, assessment)
            voted = {(b.rater_id, b.ratee_id) for b in await work.repo.ballots(assessment.id)}
            settings_ = work.settings
            wanted_ballots, seen = [], set()
            for rater, ratee, points in wanted:
                pair = (self.ids[rater], self.ids[ratee])
                if pair not in pairs or pair in voted or pair in seen:
                    continue
                seen.add(pair)
                person = await work.repo.person(pair[1])
                scored = []
                for part in BallotPart:  # each part's items numbered from 0, as a clerk's sheet varies them
                    of_part = [i for p, i in ballot_items(settings_, person.role) if p is part]
                    scored += [
                        (part, i, (points * 3 + n) % (i.max_points + 1)) for n, i in enumerate(of_part)
                    ]
                wanted_ballots.append((rater, ratee, scored))
            if not wanted_ballots:
                return
            table = paper_table(Q3, wanted_ballots)
            outcome = await import_ballots(work.repo, settings_, Q3, table, work.actor)
            assert outcome.errors == [], outcome.errors

    async def close(self) -> None:
        async with self.q.work() as work:
            assessment = await work.repo.assessment(Q3)
            if assessment.status is AssessmentStatus.RATING:
                computed = await phases.close_rating(work, assessment)
                held = sum(len(v) for v in (await self._pending_peers(work)).values())
                assert computed.held_back == held

    async def reopen(self) -> None:
        async with self.q.work() as work:
            if (await work.repo.assessment(Q3)).status is AssessmentStatus.COMPUTED:
                await phases.open_phase(work, Phase.RATING, Q3, None)

    async def confirm(self) -> None:
        """The leadership's confirmation, when nothing blocks it: the results are stored for good."""
        try:
            async with self.q.work() as work:
                assessment = await work.repo.assessment(Q3)
                if assessment.status is AssessmentStatus.COMPUTED:
                    await decisions.confirm_results(work, Q3, assessment)
        except Refusal as refused:
            assert refused.template == "chat/admin/confirm_blocked.j2"

    async def remove(self, rater: str, ratee: str) -> None:
        """/raters remove: an uncounted ballot is withdrawn, a counted one refused."""
        if rater == ratee:
            return
        async with self.q.work() as work:
            assessment = await work.repo.assessment(Q3)
            before = await work.repo.ballot_of(assessment.id, self.ids[rater], self.ids[ratee])
            counted = before is not None and before.counted
        try:
            async with self.q.work() as work:
                outcome = await adjustments.change_raters(
                    work,
                    Q3,
                    await work.repo.person(self.ids[rater]),
                    await work.repo.person(self.ids[ratee]),
                    RaterAction.REMOVE,
                )
        except Refusal as refused:
            assert refused.template == "chat/admin/results_locked.j2"  # confirmed: no more changes
            return
        assert (outcome is adjustments.RatersChanged.KEPT_COUNTED) == counted
        if counted:
            return
        async with self.q.work() as work:
            assert await work.repo.ballot_of(assessment.id, self.ids[rater], self.ids[ratee]) is None

    # --- what the rules say, from the counted ballots in the database -----------------------------

    async def _pending_peers(self, work) -> dict[int, list[int]]:
        found = defaultdict(list)
        for b in await work.repo.pending_ballots((await work.repo.assessment(Q3)).id):
            if b.rater_group is RaterGroup.PEER:
                found[b.ratee_id].append(b.id)
        return found

    async def expected(self, work) -> dict[int, tuple[Decimal | None, int, frozenset[int], Decimal | None]]:
        """Per ratee: the pure composite over the counted ballots, the peer count, the counted peer
        ballots and the peer score as it may be shown."""
        rules = work.settings.rules
        assessment = await work.repo.assessment(Q3)
        counted = [b for b in await work.repo.ballots(assessment.id) if b.counted]
        items = await work.repo.ballot_items([b.id for b in counted])
        scores: dict[int, dict[RaterGroup, list[Decimal]]] = defaultdict(lambda: defaultdict(list))
        peers: dict[int, set[int]] = defaultdict(set)
        for b in counted:
            part = {
                p: tuple(ItemScore(i.name, i.points, i.max_points) for i in items[b.id] if i.part is p)
                for p in BallotPart
            }
            value = ballot_score(
                Ballot(
                    b.rater_id,
                    b.ratee_id,
                    b.rater_group,
                    part[BallotPart.COMMON],
                    part[BallotPart.INDIVIDUAL],
                ),
                rules,
            )
            scores[b.ratee_id][b.rater_group].append(value)
            if b.rater_group is RaterGroup.PEER:
                peers[b.ratee_id].add(b.id)
        out = {}
        for name in RATEES:
            person = self.ids[name]
            groups = {g: group_score(scores[person][g], trim=False, trim_min=5) for g in RaterGroup}
            n = len(peers[person])
            if n < rules.min_peer_ballots:
                groups[RaterGroup.PEER] = None
            out[person] = (composite(groups, rules), n, frozenset(peers[person]), groups[RaterGroup.PEER])
        return out

    # --- every view ---------------------------------------------------------------------------------

    async def check_views(self) -> None:
        self.views += 1
        async with self.q.work() as work:
            assessment = await work.repo.assessment(Q3)
            hidden = assessment.status in ACCEPTING_BALLOTS
            settings_ = work.settings
            minimum = settings_.rules.min_peer_ballots
            expected = await self.expected(work)
            # the counted set only grows, by nothing or by at least min_peer_ballots
            for person, (_c, _n, peers, _p) in expected.items():
                before = self.shown.get(person, frozenset())
                assert before <= peers, (self.names[person], before, peers)
                assert len(peers - before) in (0,) or len(peers - before) >= minimum
                assert len(peers) == 0 or len(peers) >= minimum
                self.shown[person] = peers
            # the admins typed the paper ballots in: the chat ones a step adds are none or >= minimum too
            chat: dict[int, set[int]] = defaultdict(set)
            for b in await work.repo.ballots(assessment.id):
                if b.counted and b.rater_group is RaterGroup.PEER and b.source is BallotSource.CHAT:
                    chat[b.ratee_id].add(b.id)
            for person in expected:
                now, before = frozenset(chat[person]), self.shown_chat.get(person, frozenset())
                assert before <= now and (len(now - before) == 0 or len(now - before) >= minimum)
                self.shown_chat[person] = now

            # /results, as its template renders it, from the context the handler draws it with
            try:
                page = await decisions.results_page(work, Q3)
            except Refusal as refused:
                assert hidden and refused.template == "chat/admin/results_hidden.j2"
            else:
                assert not hidden
                text = render("chat/admin/results.j2", **page)
                for r in page["proposal"].ratees:
                    assert (r.composite, r.ballot_counts[RaterGroup.PEER]) == expected[r.person_id][:2]
                    shown = re.search(rf"{self.names[r.person_id]}（综合科）(\S+)", text).group(1)
                    want = expected[r.person_id][0]
                    assert shown == ("-" if want is None else f"{want:.2f}")

            # the filing, its workbook, and the charts drawn from it
            try:
                filing = await records.filing(work.repo, settings_, Q3, TZ)
            except ResultsHidden:
                assert hidden
            else:
                assert not hidden
                for rows in filing.rows.values():
                    for row in rows:
                        person = self.ids[row.header.name]
                        want, n, _peers, peer = expected[person]
                        assert (row.composite, row.ballot_counts[RaterGroup.PEER]) == (want, n)
                        assert row.group_scores[RaterGroup.PEER] == (shown_score(peer, 2))
                for category in filing.rows:
                    sheet = load_workbook(io.BytesIO(workbooks.filing_workbook(filing, category))).worksheets[
                        0
                    ]
                    for values in sheet.iter_rows(min_row=4, values_only=True):
                        cells = dict(zip(workbooks.FILING_COLUMNS, values, strict=False))
                        want, n, _peers, _peer = expected[self.ids[cells["name"]]]
                        assert cells["composite"] == (None if want is None else float(want))
                        assert cells["peer_ballots"] == n
            for kind in (ExportKind.FILING, ExportKind.CHARTS):
                try:
                    await plan(work.repo, settings_, kind, Period(2026, quarter=Q3))
                except ResultsHidden:
                    assert hidden
                else:
                    assert not hidden

            # Form 2's tier (only once confirmed) and each ratee's own result (only once final)
            finals = {r.person_id: r.final_tier for r in await work.repo.results(assessment.id)}
            locked = assessment.status is AssessmentStatus.CONFIRMED
            for form in await records.quarter_forms(work.repo, Q3, TZ):
                want = finals.get(self.ids[form.header.name]) if locked and not form.exempt else None
                assert form.tier == want
            for name in RATEES:
                assert (await my_status(work, self.ids[name], ratee=True)).results == []

        # the command line's results: table, CSV rows and JSON
        async with self.q.work() as work:
            try:
                computed = await results_of(work.repo, work.settings, Q3)
            except ResultsHidden:
                assert hidden
            else:
                assert not hidden
                _headers, rows = results_rows(computed)
                at = {c: i for i, c in enumerate(RESULT_COLUMNS)}
                for row in rows:
                    want, n, _peers, peer = expected[self.ids[row[at["name"]]]]
                    shown = row[at["composite"]]  # a Decimal as shown (a number in the workbook)
                    assert (None if shown is None else f"{shown:.2f}") == (
                        None if want is None else f"{want:.2f}"
                    )
                    assert row[at["peer_ballots"]] == n
                    assert row[at["peer_score"]] == (None if peer is None else shown_score(peer, 2))
                assert results_json(computed) and results_table(computed)
                for r in computed.proposal.ratees:
                    assert (r.composite, r.ballot_counts[RaterGroup.PEER]) == expected[r.person_id][:2]


person_index = st.integers(0, len(NAMES) - 1)
ratee_index = st.integers(2, len(NAMES) - 1)
steps = st.one_of(
    st.tuples(st.just("chat"), person_index, ratee_index, st.integers(0, 20)),
    st.tuples(
        st.just("paper"),
        st.lists(st.tuples(person_index, ratee_index, st.integers(0, 20)), min_size=1, max_size=6),
    ),
    st.tuples(st.just("close")),
    st.tuples(st.just("reopen")),
    st.tuples(st.just("confirm")),
    st.tuples(st.just("remove"), person_index, ratee_index),
)


async def play(url: str, folder: Path, sequence: list[tuple]) -> Small:
    database = Database(url)
    try:
        quarterly = Quarterly(load_settings(database={"url": url}, admins={"ids": [ADMIN]}), database)
        bureau = Small(quarterly)
        await bureau.start(database, folder)
        await bureau.check_views()
        for step in sequence:
            kind = step[0]
            if kind == "chat":
                await bureau.chat_ballot(NAMES[step[1]], NAMES[step[2]], step[3])
            elif kind == "paper":
                await bureau.paper_ballots([(NAMES[a], NAMES[b], p) for a, b, p in step[1]])
            elif kind == "close":
                await bureau.close()
            elif kind == "reopen":
                await bureau.reopen()
            elif kind == "confirm":
                await bureau.confirm()
            else:
                await bureau.remove(NAMES[step[1]], NAMES[step[2]])
            await bureau.check_views()
        await bureau.close()
        await bureau.check_views()
        return bureau
    finally:
        await database.dispose()


@settings(max_examples=25)
@given(st.lists(steps, min_size=1, max_size=12))
def test_any_two_views_differ_by_no_peer_ballot_or_by_at_least_the_minimum(
    sqlite_template, tmp_path_factory, sequence
):
    folder = tmp_path_factory.mktemp("secrecy")
    path = folder / f"{uuid.uuid4().hex}.db"
    shutil.copy(sqlite_template, path)
    asyncio.run(play(f"sqlite:///{path}", folder, sequence))


# One fixed sequence on both databases: ballots in, a close, rating reopened, one more peer ballot held
# back, a removal of a counted and of a held-back ballot, two more peers, and the close that counts the three.
FIXED = [
    ("paper", [(0, i, 15) for i in range(2, 8)] + [(1, i, 12) for i in range(2, 8)]),
    ("paper", [(3, 2, 20), (4, 2, 5), (5, 2, 9), (2, 3, 1), (4, 3, 7)]),
    ("chat", 6, 2, 3),
    ("close",),
    ("reopen",),
    ("chat", 7, 2, 11),
    ("close",),
    ("remove", 3, 2),
    ("reopen",),
    ("remove", 7, 2),
    ("paper", [(7, 2, 18), (5, 3, 2), (6, 3, 4), (7, 3, 19)]),
    ("close",),
    ("reopen",),
    ("paper", [(2, 4, 8), (3, 4, 8)]),
    ("close",),
    ("confirm",),
]


def test_a_fixed_sequence_keeps_the_invariant(database_url, tmp_path):
    bureau = asyncio.run(play(database_url, tmp_path, FIXED))
    assert bureau.views == len(FIXED) + 2
    counted = {bureau.names[p]: len(peers) for p, peers in bureau.shown.items()}
    # 周明远: the three paper ballots at the first close, his one chat ballot held back (the admins know
    # the paper ones), a second chat one withdrawn, a late paper one held back; 吴晓燕: two held back,
    # then counted with three more; 郑海涛: two held back at the end
    assert counted == {"周明远": 3, "吴晓燕": 5, "郑海涛": 0, "冯雪梅": 0, "陈立新": 0, "褚文静": 0}
    assert asyncio.run(_status(database_url)) is AssessmentStatus.CONFIRMED  # the stored results read back


async def _status(url: str) -> AssessmentStatus:
    database = Database(url)
    try:
        async with database.session() as session:
            return (await Repository(session).assessment(Q3)).status
    finally:
        await database.dispose()


# --- through the real bot, in chat (the stand-in) -------------------------------------------------------


async def paper(services, ballots_: list[tuple[str, str, bool]]) -> None:
    """Paper ballots (rater, ratee, full marks or none) imported into the running bot's database."""
    async with services.database.session() as session:
        repo = Repository(session)
        people = {p.name: p for p in await repo.people()}
        table = paper_table(
            Q3,
            [
                (
                    rater,
                    ratee,
                    [
                        (p, i, i.max_points if full else 0)
                        for p, i in ballot_items(services.settings, people[ratee].role)
                    ],
                )
                for rater, ratee, full in ballots_
            ],
        )
        outcome = await import_ballots(repo, services.settings, Q3, table, "test")
        assert outcome.errors == [], outcome.errors


LEADER_BALLOTS = [(leader, ratee, True) for leader in ("赵建国", "钱卫东") for ratee in RATEES]


def composite_of(text: str, name: str) -> str:
    return re.search(rf"{name}（综合科）(\S+)", text).group(1)


@pytest.fixture
async def small_bureau(database_url, database, tmp_path):
    await import_roster(database, roster_file(tmp_path))
    async with running_bot(database_url, at(2026, 10, 9)) as bureau:
        await bind_everyone(bureau)
        reply = await bureau.command(ADMIN, "open", "rating 2026Q3")
        assert "测评打分已开启" in reply.text, reply.text
        yield bureau


async def close_rating(bureau) -> str:
    ask = await bureau.command(ADMIN, "close", "rating 2026Q3")
    _answer, closed = await bureau.press(ADMIN, ask, "确认")
    assert "测评已结束" in closed.text, closed.text
    return closed.text


async def test_nothing_scored_is_shown_while_rating_is_open_and_one_late_ballot_is_held_back(small_bureau):
    """Issue 12, item 1: the filing export showed every composite while rating was open, and reopening
    rating gave one more peer ballot back by the difference of two results."""
    bureau = small_bureau
    await paper(
        bureau.services, LEADER_BALLOTS + [(p, "周明远", True) for p in ("吴晓燕", "郑海涛", "冯雪梅")]
    )
    sent_before = len(bureau.driver.bot_messages(ADMIN))
    for command, args in (("export", "filing 2026Q3"), ("export", "charts 2026Q3"), ("results", "2026Q3")):
        reply = await bureau.command(ADMIN, command, args)
        assert "正在测评" in reply.text and "周明远" not in reply.text, (command, reply.text)
    await bureau.settle()
    assert not any(m.document or m.photo for m in bureau.driver.bot_messages(ADMIN)[sent_before:])
    status = (await bureau.command(ADMIN, "status", "2026Q3")).text  # who has voted, by the raters
    assert "测评票（按评分人科室" in status and "局领导 " in status and "12/12" in status
    ballots = status.split("测评票（按评分人科室", 1)[1].split("\n\n", 1)[0]
    assert not any(name in ballots for name in RATEES)
    # the raters behind are named with how many they owe, never whom: each line is "name：差N人"
    if "测评尚未评完" in status:
        owing = status.split("测评尚未评完", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
        assert owing and all(re.fullmatch(r"\w+：差\d+人(（未绑定）)?", line) for line in owing), owing

    await close_rating(bureau)
    first = composite_of((await bureau.command(ADMIN, "results", "2026Q3")).text, "周明远")
    assert first == "100.00"

    reply = await bureau.command(ADMIN, "open", "rating 2026Q3")  # from 待审定
    assert "测评打分已开启" in reply.text, reply.text
    assert "正在测评" in (await bureau.command(ADMIN, "export", "filing 2026Q3")).text
    late = [(p, "吴晓燕", False) for p in ("周明远", "郑海涛", "冯雪梅")]  # three new ones: counted together
    await paper(bureau.services, [("陈立新", "周明远", False), *late])  # and one more of 周明远's, 0 points
    closed = await close_rating(bureau)
    assert "另有1张群众票暂未计入" in closed
    again = (await bureau.command(ADMIN, "results", "2026Q3")).text
    assert composite_of(again, "周明远") == first  # not 92.50: the one ballot is not given back
    assert "另有1张群众票暂未计入" in again
    assert composite_of(again, "吴晓燕") == "70.00"  # 0.4 x 100 + 0.3 x 100 + 0.3 x 0

    await bureau.command(ADMIN, "open", "rating 2026Q3")
    await paper(bureau.services, [("褚文静", "周明远", False)])  # two now: still fewer than three
    closed = await close_rating(bureau)
    assert "另有2张群众票暂未计入" in closed
    assert composite_of((await bureau.command(ADMIN, "results", "2026Q3")).text, "周明远") == first


async def test_removing_a_rater_withdraws_his_uncounted_ballot_and_refuses_a_counted_one(small_bureau):
    """Issue 12, item 11: /raters remove said the rating was cancelled, yet the 0-point ballot counted."""
    bureau = small_bureau
    peers = [(p, "冯雪梅", True) for p in ("周明远", "吴晓燕", "陈立新")]
    await paper(bureau.services, LEADER_BALLOTS + peers + [("郑海涛", "冯雪梅", False)])
    reply = await bureau.command(ADMIN, "raters", "remove 郑海涛 冯雪梅 2026Q3")
    assert "已取消郑海涛对冯雪梅的评分" in reply.text and "已撤回" in reply.text, reply.text
    await close_rating(bureau)
    results = (await bureau.command(ADMIN, "results", "2026Q3")).text
    assert composite_of(results, "冯雪梅") == "100.00"  # not 92.50: the removed 0-point ballot is out
    async with bureau.services.database.session() as session:
        repo = Repository(session)
        withdrawn = await repo.audit_entries("ballot_withdrawn")
        assert len(withdrawn) == 1 and '"status": "submitted"' in withdrawn[0].details
        people = {p.name: p.id for p in await repo.people()}
        assessment = await repo.assessment(Q3)
        assert await repo.ballot_of(assessment.id, people["郑海涛"], people["冯雪梅"]) is None

    # a counted ballot: taking it out would give it back by the difference; refused, nothing changes
    reply = await bureau.command(ADMIN, "raters", "remove 吴晓燕 冯雪梅 2026Q3")
    assert "不能取消吴晓燕对冯雪梅的评分" in reply.text, reply.text
    after = (await bureau.command(ADMIN, "results", "2026Q3")).text
    assert composite_of(after, "冯雪梅") == "100.00"
    async with bureau.services.database.session() as session:
        repo = Repository(session)
        ballot = await repo.ballot_of(assessment.id, people["吴晓燕"], people["冯雪梅"])
        assert ballot is not None and ballot.counted
        assert await repo.rater_change(assessment.id, people["吴晓燕"], people["冯雪梅"]) is None
        [refused] = await repo.audit_entries("rater_remove_refused")  # the audit log says so too
        assert refused.person_id == people["冯雪梅"] and '"reason": "ballot_counted"' in refused.details


SHOWN_AT = dt.datetime(2026, 10, 16, 10, tzinfo=dt.UTC)  # when the quarter's results were computed


def test_the_migration_counts_the_ballots_behind_stored_results(database_url):
    """An existing database: ballots behind results already shown are counted, the others wait."""
    from alembic import command
    from alembic.script import ScriptDirectory

    from storage.migrate import alembic_config, upgrade
    from storage.models import Assessment, BallotRecord, Person, ResultRecord

    async def fill() -> dict[str, int]:
        database = Database(database_url)
        try:
            async with database.session() as session:
                people = [
                    Person(
                        name=n,
                        birth_month=dt.date(1990, 1, 1),
                        role=Role.STAFF,
                        category=Category.CIVIL_SERVANT,
                    )
                    for n in ("甲", "乙", "丙")
                ]
                computed, open_ = Assessment(year=2026, quarter=2), Assessment(year=2026, quarter=3)
                session.add_all([*people, computed, open_])
                await session.flush()
                a, b, c = (p.id for p in people)
                ballots = {
                    "shown": BallotRecord(
                        assessment_id=computed.id,
                        rater_id=a,
                        ratee_id=b,
                        rater_group=RaterGroup.PEER,
                        status=BallotStatus.SUBMITTED,
                        submitted_at=SHOWN_AT - dt.timedelta(days=1),
                    ),
                    # rating reopened after the computation: this one was in no result shown
                    "late": BallotRecord(
                        assessment_id=computed.id,
                        rater_id=a,
                        ratee_id=c,
                        rater_group=RaterGroup.PEER,
                        status=BallotStatus.SUBMITTED,
                        submitted_at=SHOWN_AT + dt.timedelta(days=1),
                    ),
                    "draft": BallotRecord(
                        assessment_id=computed.id, rater_id=c, ratee_id=b, rater_group=RaterGroup.PEER
                    ),
                    "unshown": BallotRecord(
                        assessment_id=open_.id,
                        rater_id=a,
                        ratee_id=b,
                        rater_group=RaterGroup.PEER,
                        status=BallotStatus.SUBMITTED,
                    ),
                }
                session.add_all(ballots.values())
                session.add(
                    ResultRecord(
                        assessment_id=computed.id,
                        person_id=b,
                        category=Category.CIVIL_SERVANT,
                        computed_at=SHOWN_AT,
                    )
                )
                await session.flush()
                return {k: v.id for k, v in ballots.items()}
        finally:
            await database.dispose()

    async def counted(ids: dict[str, int]) -> dict[str, bool]:
        database = Database(database_url)
        try:
            async with database.session() as session:
                return {k: (await session.get(BallotRecord, i)).counted for k, i in ids.items()}
        finally:
            await database.dispose()

    ids = asyncio.run(fill())
    config = alembic_config(database_url)
    mine = next(
        s for s in ScriptDirectory.from_config(config).walk_revisions() if "counted_ballots" in s.path
    )
    command.downgrade(config, mine.down_revision)
    upgrade(database_url)
    assert asyncio.run(counted(ids)) == {"shown": True, "late": False, "draft": False, "unshown": False}


@given(
    st.lists(st.integers(1, 10_000), unique=True, max_size=8),
    st.lists(st.integers(10_001, 20_000), unique=True, max_size=8),
    st.integers(0, 5),
)
def test_a_batch_of_new_peer_ballots_never_gives_a_chat_ballot_back(chat, paper, minimum):
    """The admins typed the paper ballots in: a batch counts at least `minimum` ballots, and of the chat
    ones none or at least `minimum`; what it may count it counts."""
    admitted = set(admitted_peer_ballots(chat, paper, minimum))
    secret = admitted & set(chat)
    assert admitted <= set(chat) | set(paper)
    assert not admitted or len(admitted) >= minimum
    assert not secret or len(secret) >= minimum
    if len(chat) >= minimum:  # enough secret ones: everything goes in
        assert admitted == set(chat) | set(paper)
    if len(paper) >= minimum:
        assert set(paper) <= admitted  # paper ballots never wait for chat ones


def test_one_chat_ballot_among_paper_ones_is_held_back():
    """The issue's padding: an admin adds two raters, types their ballots in, and closes; the one
    peer's chat ballot must not come back as 3 x peer mean - x - y."""
    assert admitted_peer_ballots([1], [2, 3], 3) == []
    assert admitted_peer_ballots([1], [2, 3, 4], 3) == [2, 3, 4]
    assert admitted_peer_ballots([1, 5, 6], [2, 3], 3) == [1, 2, 3, 5, 6]
