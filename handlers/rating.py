"""Rating on the phone: the list of ratees with progress, one ratee at a time, one message edited in place."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from bot.rules.domain import AssessmentStatus, BallotPart, BallotStatus, Phase, Quarter, RaterGroup
from bot.rules.roles import Access
from bot.rules.scoring import Ballot, ItemScore, ballot_score
from bot.workflow.phases import window_of
from bot.workflow.quarter import individual_items
from bot.workflow.raters import pair_group, pairs_for
from handlers.buttons import button, data
from handlers.turn import Button, Keyboard, Refusal, Turn, on
from storage.models import Assessment, BallotItem, BallotRecord, Person, Section

PAGE = 20
ROW = 7


@dataclass
class Screen:
    """A ballot as the rater sees it while scoring."""

    ballot: BallotRecord
    ratee: Person
    items: list[BallotItem]

    def first_unscored(self) -> int | None:
        return next((i for i, item in enumerate(self.items) if item.points is None), None)


async def _rating_assessments(turn: Turn) -> list[Assessment]:
    rows = (
        await turn.repo.session.scalars(
            select(Assessment).where(Assessment.status == AssessmentStatus.RATING)
        )
    ).all()
    return [a for a in rows if (await window_of(turn, a, Phase.RATING)).contains(turn.now)]


async def _my_ratees(turn: Turn, assessment: Assessment) -> dict[int, RaterGroup]:
    me = turn.identity.person.id
    return {
        ratee: group for (rater, ratee), group in (await pairs_for(turn, assessment)).items() if rater == me
    }


async def _open_assessment(turn: Turn, assessment_id) -> Assessment:
    assessment = (
        await turn.repo.session.get(Assessment, assessment_id) if isinstance(assessment_id, int) else None
    )
    if assessment is None:
        raise Refusal("chat/errors/button_unknown.j2", alert=True)
    if assessment.status is not AssessmentStatus.RATING or not (
        await window_of(turn, assessment, Phase.RATING)
    ).contains(turn.now):
        raise Refusal("chat/leaders/rating_closed.j2", alert=True)
    return assessment


@on(Access.RATER)
async def rate(turn: Turn) -> None:
    """/rate: the ratees this user scores, with progress."""
    for assessment in await _rating_assessments(turn):
        if await _my_ratees(turn, assessment):
            await _show_list(turn, assessment, 0, edit=False)
            return
    raise Refusal("chat/leaders/nothing_to_rate.j2")


async def _ballots_of(turn: Turn, assessment: Assessment) -> dict[int, BallotRecord]:
    rows = await turn.repo.session.scalars(
        select(BallotRecord).where(
            BallotRecord.assessment_id == assessment.id, BallotRecord.rater_id == turn.identity.person.id
        )
    )
    return {b.ratee_id: b for b in rows}


async def _show_list(
    turn: Turn, assessment: Assessment, page: int, *, edit: bool, note: str | None = None
) -> None:
    ratees = await _my_ratees(turn, assessment)
    ballots = await _ballots_of(turn, assessment)
    people = {p.id: p for p in await turn.repo.people()}
    sections = {s.id: s.name for s in await turn.repo.sections()}
    rows = []
    for ratee_id in ratees:
        ballot = ballots.get(ratee_id)
        state = "pending" if ballot is None else ballot.status.value
        rows.append(
            (state != "submitted", people[ratee_id].section_id or 0, people[ratee_id].name, ratee_id, state)
        )
    rows.sort(key=lambda r: (not r[0], r[1], r[2]))
    done = sum(1 for r in rows if r[4] == "submitted")
    pages = max(1, -(-len(rows) // PAGE))
    page = min(max(page, 0), pages - 1)
    token = await turn.button("rate_list", {"assessment_id": assessment.id})
    keyboard: Keyboard = []
    shown = rows[page * PAGE : (page + 1) * PAGE]
    for start in range(0, len(shown), 2):
        keyboard.append(
            [
                Button(
                    ("✓ " if r[4] == "submitted" else "✎ " if r[4] == "draft" else "") + r[2],
                    data(token, f"r{r[3]}"),
                )
                for r in shown[start : start + 2]
            ]
        )
    nav = []
    if page > 0:
        nav.append(Button(turn.label("button", "prev_page"), data(token, f"p{page - 1}")))
    if page < pages - 1:
        nav.append(Button(turn.label("button", "next_page"), data(token, f"p{page + 1}")))
    if nav:
        keyboard.append(nav)
    context = dict(
        quarter=Quarter(assessment.year, assessment.quarter),
        done=done,
        total=len(rows),
        rows=[(r[2], sections.get(people[r[3]].section_id, ""), r[4]) for r in shown],
        note=note,
    )
    if edit:
        turn.edit("chat/leaders/rate_list.j2", keyboard, **context)
    else:
        turn.reply("chat/leaders/rate_list.j2", keyboard, **context)


@button("rate_list", Access.RATER)
async def rate_list_pressed(turn: Turn, payload: dict, arg: str, record) -> None:
    assessment = await _open_assessment(turn, payload.get("assessment_id"))
    if arg.startswith("p") and arg[1:].isdigit():
        await _show_list(turn, assessment, int(arg[1:]), edit=True)
    elif arg.startswith("r") and arg[1:].isdigit():
        await _open_ratee(turn, assessment, int(arg[1:]))
    else:
        raise Refusal("chat/errors/button_unknown.j2", alert=True)


async def _open_ratee(turn: Turn, assessment: Assessment, ratee_id: int) -> None:
    ratees = await _my_ratees(turn, assessment)
    if ratee_id not in ratees:
        raise Refusal("chat/leaders/not_your_ratee.j2", alert=True)
    session = turn.repo.session
    ballot = await session.scalar(
        select(BallotRecord).where(
            BallotRecord.assessment_id == assessment.id,
            BallotRecord.rater_id == turn.identity.person.id,
            BallotRecord.ratee_id == ratee_id,
        )
    )
    if ballot is None:
        ballot = BallotRecord(
            assessment_id=assessment.id,
            rater_id=turn.identity.person.id,
            ratee_id=ratee_id,
            rater_group=ratees[ratee_id],
        )
        session.add(ballot)
        await session.flush()
        ratee = await session.get(Person, ratee_id)
        individual = (await individual_items(turn.repo, assessment.id, [ratee], turn.settings.indicators))[
            ratee_id
        ]
        for part, items in (
            (BallotPart.COMMON, turn.settings.indicators.common),
            (BallotPart.INDIVIDUAL, individual),
        ):
            for position, item in enumerate(items, start=1):
                session.add(
                    BallotItem(
                        ballot_id=ballot.id,
                        part=part,
                        position=position,
                        name=item.name,
                        max_points=item.max_points,
                    )
                )
        await session.flush()
    token = await turn.button("ballot", {"ballot_id": ballot.id})
    await _render(turn, await _screen(turn, ballot), token)


async def _screen(turn: Turn, ballot: BallotRecord) -> Screen:
    rows = (
        await turn.repo.session.scalars(select(BallotItem).where(BallotItem.ballot_id == ballot.id))
    ).all()
    order = {BallotPart.COMMON: 0, BallotPart.INDIVIDUAL: 1}
    items = sorted(rows, key=lambda i: (order[i.part], i.position))
    return Screen(ballot, await turn.repo.session.get(Person, ballot.ratee_id), items)


async def _render(
    turn: Turn, screen: Screen, token: str, focus: int | None = None, note: str | None = None
) -> None:
    found = await turn.repo.session.get(Section, screen.ratee.section_id) if screen.ratee.section_id else None
    section = found.name if found is not None else ""
    if screen.ballot.status is BallotStatus.SUBMITTED:
        keyboard = [[Button(turn.label("button", "list"), data(token, "l"))]]
        turn.edit(
            "chat/leaders/ballot_submitted.j2",
            keyboard,
            ratee=screen.ratee,
            section=section,
            items=screen.items,
            score=_score(turn, screen),
            note=note,
        )
        return
    index = focus if focus is not None else screen.first_unscored()
    if index is None:
        keyboard = [[Button(turn.label("button", "submit"), data(token, "x"))]]
        edit_row = [Button(str(i + 1), data(token, f"e{i}")) for i in range(len(screen.items))]
        keyboard += [edit_row[i : i + ROW] for i in range(0, len(edit_row), ROW)]
        keyboard.append([Button(turn.label("button", "list"), data(token, "l"))])
        turn.edit(
            "chat/leaders/ballot_review.j2",
            keyboard,
            ratee=screen.ratee,
            section=section,
            items=screen.items,
            score=_score(turn, screen),
            note=note,
        )
        return
    item = screen.items[index]
    scores = [Button(str(p), data(token, f"s{index}.{p}")) for p in range(item.max_points, -1, -1)]
    keyboard = [scores[i : i + ROW] for i in range(0, len(scores), ROW)]
    nav = []
    if index > 0:
        nav.append(Button(turn.label("button", "back"), data(token, f"e{index - 1}")))
    nav.append(Button(turn.label("button", "list"), data(token, "l")))
    keyboard.append(nav)
    turn.edit(
        "chat/leaders/ballot_item.j2",
        keyboard,
        ratee=screen.ratee,
        section=section,
        items=screen.items,
        index=index,
        item=item,
        part=item.part,
    )


def _score(turn: Turn, screen: Screen):
    if any(i.points is None for i in screen.items):
        return None
    parts = {BallotPart.COMMON: [], BallotPart.INDIVIDUAL: []}
    for i in screen.items:
        parts[i.part].append(ItemScore(i.name, i.points, i.max_points))
    ballot = Ballot(
        screen.ballot.rater_id,
        screen.ballot.ratee_id,
        screen.ballot.rater_group,
        tuple(parts[BallotPart.COMMON]),
        tuple(parts[BallotPart.INDIVIDUAL]),
    )
    return ballot_score(ballot, turn.settings.rules)


@button("ballot", Access.RATER)
async def ballot_pressed(turn: Turn, payload: dict, arg: str, record) -> None:
    session = turn.repo.session
    ballot = await session.get(BallotRecord, payload.get("ballot_id"))
    if ballot is None or ballot.rater_id != turn.identity.person.id:
        raise Refusal("chat/errors/button_unknown.j2", alert=True)
    # Shared lock on the quarter (closing rating takes it exclusively), then the ballot itself: a tap
    # never lands after the close, and a tap and a submit of the same ballot take turns. SQLite has no
    # row locks and runs the bot's turns one at a time (Database.session): reading again is no use.
    if turn.services.database.dialect == "sqlite":
        assessment = await session.get(Assessment, ballot.assessment_id)
    else:
        assessment = await session.get(Assessment, ballot.assessment_id, with_for_update={"read": True})
        ballot = await session.get(BallotRecord, ballot.id, with_for_update=True, populate_existing=True)
    if arg == "l":
        await _show_list(turn, await _open_assessment(turn, assessment.id), 0, edit=True)
        return
    await _open_assessment(turn, assessment.id)
    screen = await _screen(turn, ballot)
    if ballot.status is BallotStatus.SUBMITTED:
        raise Refusal("chat/leaders/ballot_locked.j2", alert=True)
    if arg.startswith("s"):
        index_text, _, points_text = arg[1:].partition(".")
        if not (index_text.isdigit() and points_text.isdigit()) or int(index_text) >= len(screen.items):
            raise Refusal("chat/errors/button_unknown.j2", alert=True)
        item = screen.items[int(index_text)]
        points = int(points_text)
        if not 0 <= points <= item.max_points:
            raise Refusal("chat/leaders/score_out_of_range.j2", alert=True, most=item.max_points)
        item.points = points
        await turn.repo.session.flush()
        await _render(turn, screen, record.token)
    elif arg.startswith("e") and arg[1:].isdigit() and int(arg[1:]) < len(screen.items):
        await _render(turn, screen, record.token, focus=int(arg[1:]))
    elif arg == "x":
        if screen.first_unscored() is not None:
            raise Refusal("chat/leaders/ballot_incomplete.j2", alert=True)
        # the pair was checked when the ballot was opened; an admin may have removed it since
        if await pair_group(turn, assessment, ballot.rater_id, ballot.ratee_id) is None:
            raise Refusal("chat/leaders/not_your_ratee.j2", alert=True)
        ballot.status, ballot.submitted_at = BallotStatus.SUBMITTED, turn.now
        await turn.repo.audit(
            turn.actor,
            "ballot_submitted",
            assessment_id=assessment.id,
            person_id=ballot.ratee_id,
            ballot_id=ballot.id,
            source="chat",
        )
        await turn.repo.session.flush()
        turn.answer("chat/leaders/ballot_saved.j2", name=screen.ratee.name)
        await _next_or_list(turn, assessment, screen.ratee.name)
    else:
        raise Refusal("chat/errors/button_unknown.j2", alert=True)


async def _next_or_list(turn: Turn, assessment: Assessment, done_name: str) -> None:
    """After a submit, straight to the next ratee not yet scored, or back to the list when all are done."""
    ratees = await _my_ratees(turn, assessment)
    ballots = await _ballots_of(turn, assessment)
    people = {p.id: p for p in await turn.repo.people()}
    pending = sorted(
        (r for r in ratees if r not in ballots or ballots[r].status is not BallotStatus.SUBMITTED),
        key=lambda r: (people[r].section_id or 0, people[r].name),
    )
    if not pending:
        await _show_list(turn, assessment, 0, edit=True, note=done_name)
        return
    await _open_ratee(turn, assessment, pending[0])


async def outstanding_for(turn: Turn) -> list[tuple[Quarter, int, int]]:
    """(quarter, scored, to score) of every open rating this user takes part in."""
    found = []
    for assessment in await _rating_assessments(turn):
        ratees = await _my_ratees(turn, assessment)
        if not ratees:
            continue
        ballots = await _ballots_of(turn, assessment)
        done = sum(1 for r in ratees if r in ballots and ballots[r].status is BallotStatus.SUBMITTED)
        found.append((Quarter(assessment.year, assessment.quarter), done, len(ratees)))
    return found
