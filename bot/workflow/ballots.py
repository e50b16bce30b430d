"""Rating: a rater's ratees with progress, one ratee's ballot as a draft, scoring its items, submitting.

The chat screen and a web page call these same functions and render what they return. Who may score
what is checked here, on the server, at every step: the ballot is the rater's own, the quarter is in
rating and its window open, the ratee is his to rate, every score within its item's range. `rater_id`
is the person the server identified for this request (the chat's identity), never an id a client sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.rules.domain import AssessmentStatus, BallotPart, BallotStatus, Phase, Quarter, RaterGroup
from bot.rules.scoring import Ballot, ItemScore, ballot_score
from bot.workflow.phases import window_of
from bot.workflow.quarter import individual_items
from bot.workflow.raters import pair_group, pairs_for
from bot.workflow.unit import Refusal, Work
from storage.models import Assessment, BallotItem, BallotRecord, Person, Section

PENDING, DRAFT, SUBMITTED = "pending", BallotStatus.DRAFT.value, BallotStatus.SUBMITTED.value


@dataclass(frozen=True)
class RateeRow:
    """One ratee on the rater's list: `state` is "pending" (no ballot yet), "draft" or "submitted"."""

    ratee_id: int
    name: str
    section_id: int | None
    section: str
    state: str

    @property
    def submitted(self) -> bool:
        return self.state == SUBMITTED


@dataclass(frozen=True)
class RateeList:
    """A rater's ratees of one quarter: those not submitted first, then by section and name."""

    assessment: Assessment
    rows: list[RateeRow]

    @property
    def quarter(self) -> Quarter:
        return self.assessment.period

    @property
    def done(self) -> int:
        return sum(1 for row in self.rows if row.submitted)

    @property
    def total(self) -> int:
        return len(self.rows)


@dataclass
class BallotView:
    """A ballot as its rater sees it: the ratee, his section, the items in order and, once all are
    scored, the ballot's score."""

    ballot: BallotRecord
    ratee: Person
    section: str
    items: list[BallotItem]
    score: Decimal | None

    @property
    def submitted(self) -> bool:
        return self.ballot.status is BallotStatus.SUBMITTED

    def first_unscored(self) -> int | None:
        return next((i for i, item in enumerate(self.items) if item.points is None), None)


# --- the quarters and the ratees ----------------------------------------------------------------------


async def rating_assessments(work: Work) -> list[Assessment]:
    """The quarters in rating whose window is open now."""
    return [
        a
        for a in await work.repo.assessments(AssessmentStatus.RATING)
        if (await window_of(work, a, Phase.RATING)).contains(work.now)
    ]


async def ratees_of(work: Work, assessment: Assessment, rater_id: int) -> dict[int, RaterGroup]:
    """Ratee id -> the group the rater's ballot on him counts in, this quarter."""
    return {
        ratee: group
        for (rater, ratee), group in (await pairs_for(work, assessment)).items()
        if rater == rater_id
    }


async def open_rating(work: Work, assessment_id: object) -> Assessment:
    """The quarter of a request, if it is in rating with its window open; else the refusal."""
    assessment = await work.repo.assessment_by_id(assessment_id)
    if assessment is None:
        raise Refusal("chat/errors/button_unknown.j2", alert=True)
    if assessment.status is not AssessmentStatus.RATING or not (
        await window_of(work, assessment, Phase.RATING)
    ).contains(work.now):
        raise Refusal("chat/leaders/rating_closed.j2", alert=True)
    return assessment


async def rating_for(work: Work, rater_id: int) -> Assessment:
    """The first quarter open for rating that the rater takes part in; refused when there is none."""
    for assessment in await rating_assessments(work):
        if await ratees_of(work, assessment, rater_id):
            return assessment
    raise Refusal("chat/leaders/nothing_to_rate.j2")


async def first_ratee_list(work: Work, rater_id: int) -> RateeList:
    """The ratees of the first open quarter the rater takes part in; refused when there is none."""
    return await _listing(work, await rating_for(work, rater_id), rater_id)


async def ratee_list(work: Work, rater_id: int, assessment_id: object) -> RateeList:
    """The rater's ratees of a quarter open for rating, with how far he is."""
    return await _listing(work, await open_rating(work, assessment_id), rater_id)


async def _listing(work: Work, assessment: Assessment, rater_id: int) -> RateeList:
    ratees = await ratees_of(work, assessment, rater_id)
    ballots = await work.repo.rater_ballots(assessment.id, rater_id)
    people = await work.repo.people_by_id()
    sections = await work.repo.section_names()
    rows = []
    for ratee_id in ratees:
        ballot, person = ballots.get(ratee_id), people[ratee_id]
        state = PENDING if ballot is None else ballot.status.value
        rows.append(
            RateeRow(ratee_id, person.name, person.section_id, sections.get(person.section_id, ""), state)
        )
    rows.sort(key=lambda r: (r.submitted, r.section_id or 0, r.name))
    return RateeList(assessment, rows)


async def outstanding_for(work: Work, rater_id: int) -> list[tuple[Quarter, int, int]]:
    """(quarter, scored, to score) of every open rating this rater takes part in."""
    found = []
    for assessment in await rating_assessments(work):
        ratees = await ratees_of(work, assessment, rater_id)
        if not ratees:
            continue
        found.append((assessment.period, *await _progress(work, assessment, rater_id, ratees)))
    return found


async def progress(work: Work, assessment_id: int, rater_id: int) -> tuple[int, int]:
    """(submitted, to score) of the rater in a quarter."""
    assessment = await work.repo.assessment_by_id(assessment_id)
    return await _progress(work, assessment, rater_id, await ratees_of(work, assessment, rater_id))


async def _progress(
    work: Work, assessment: Assessment, rater_id: int, ratees: dict[int, RaterGroup]
) -> tuple[int, int]:
    ballots = await work.repo.rater_ballots(assessment.id, rater_id)
    done = sum(1 for r in ratees if r in ballots and ballots[r].status is BallotStatus.SUBMITTED)
    return done, len(ratees)


async def ballot_scores(work: Work, assessment_id: int, rater_id: int) -> dict[int, Decimal]:
    """Ratee id -> the score of the rater's ballot on him, for the ballots whose every item is scored."""
    found = {}
    for ratee_id, ballot in (await work.repo.rater_ballots(assessment_id, rater_id)).items():
        score = _score(work, ballot, await work.repo.items_of_ballot(ballot.id))
        if score is not None:
            found[ratee_id] = score
    return found


# --- one ballot -----------------------------------------------------------------------------------


async def open_ballot(work: Work, rater_id: int, assessment_id: object, ratee_id: int) -> BallotView:
    """One ratee's ballot, drafted with its common and individual items the first time it is opened."""
    return await _open(work, await open_rating(work, assessment_id), rater_id, ratee_id)


async def _open(work: Work, assessment: Assessment, rater_id: int, ratee_id: int) -> BallotView:
    ratees = await ratees_of(work, assessment, rater_id)
    if ratee_id not in ratees:
        raise Refusal("chat/leaders/not_your_ratee.j2", alert=True)
    ballot = await work.repo.ballot_of(assessment.id, rater_id, ratee_id)
    if ballot is None:
        ratee = await work.repo.person(ratee_id)
        indicators = work.settings.indicators
        individual = (await individual_items(work.repo, assessment.id, [ratee], indicators))[ratee_id]
        ballot = await work.repo.new_ballot(
            assessment.id,
            rater_id,
            ratee_id,
            ratees[ratee_id],
            ((BallotPart.COMMON, indicators.common), (BallotPart.INDIVIDUAL, individual)),
        )
    return await _view(work, ballot)


async def _view(work: Work, ballot: BallotRecord) -> BallotView:
    items = await work.repo.items_of_ballot(ballot.id)
    ratee = await work.repo.person(ballot.ratee_id)
    found = await work.repo.get(Section, ratee.section_id) if ratee.section_id else None
    return BallotView(
        ballot, ratee, found.name if found is not None else "", items, _score(work, ballot, items)
    )


def _score(work: Work, ballot: BallotRecord, items: list[BallotItem]) -> Decimal | None:
    """The ballot's score by the rules, once every item is scored."""
    if any(i.points is None for i in items):
        return None
    parts: dict[BallotPart, list[ItemScore]] = {BallotPart.COMMON: [], BallotPart.INDIVIDUAL: []}
    for i in items:
        parts[i.part].append(ItemScore(i.name, i.points, i.max_points))
    scored = Ballot(
        ballot.rater_id,
        ballot.ratee_id,
        ballot.rater_group,
        tuple(parts[BallotPart.COMMON]),
        tuple(parts[BallotPart.INDIVIDUAL]),
    )
    return ballot_score(scored, work.settings.rules)


async def _take(work: Work, rater_id: int, ballot_id: object) -> tuple[Assessment, BallotRecord]:
    """The rater's own ballot and its quarter, locked for scoring, while rating is open."""
    ballot = await work.repo.ballot_by_id(ballot_id)
    if ballot is None or ballot.rater_id != rater_id:
        raise Refusal("chat/errors/button_unknown.j2", alert=True)
    assessment, ballot = await work.repo.lock_for_scoring(ballot.id)
    if ballot is None:  # withdrawn by /raters remove while this tap waited for the lock
        raise Refusal("chat/leaders/ballot_withdrawn.j2", alert=True)
    await open_rating(work, assessment.id)
    return assessment, ballot


async def list_of_ballot(work: Work, rater_id: int, ballot_id: object) -> RateeList:
    """From a ballot back to the rater's list of its quarter."""
    assessment, _ballot = await _take(work, rater_id, ballot_id)
    return await _listing(work, assessment, rater_id)


async def draft(work: Work, rater_id: int, ballot_id: object) -> BallotView:
    """The rater's ballot to score, refused once submitted."""
    _assessment, ballot = await _take(work, rater_id, ballot_id)
    view = await _view(work, ballot)
    if view.submitted:
        raise Refusal("chat/leaders/ballot_locked.j2", alert=True)
    return view


async def score_item(work: Work, rater_id: int, ballot_id: object, index: int, points: int) -> BallotView:
    """Score one item (by its place on the ballot, from 0): between 0 and the item's maximum."""
    return await score_items(work, rater_id, ballot_id, {index: points})


async def score_items(work: Work, rater_id: int, ballot_id: object, points: dict[int, int]) -> BallotView:
    """Score several items at once (the sheet's save): all of them or, if one is refused, none.

    An item the ballot does not have is refused with `item` (its index) in the refusal's context.
    """
    view = await draft(work, rater_id, ballot_id)
    for index, value in points.items():
        if not 0 <= index < len(view.items):
            raise Refusal("chat/errors/button_unknown.j2", alert=True, item=index)
        most = view.items[index].max_points
        if not 0 <= value <= most:
            raise Refusal("chat/leaders/score_out_of_range.j2", alert=True, most=most)
    for index, value in points.items():
        view.items[index].points = value
    await work.repo.flush()
    view.score = _score(work, view.ballot, view.items)
    return view


async def submit_ballot(work: Work, rater_id: int, ballot_id: object, *, source: str = "chat") -> BallotView:
    """Submit a ballot whose every item is scored: it is locked from then on, and audited."""
    assessment, ballot = await _take(work, rater_id, ballot_id)
    view = await _view(work, ballot)
    if view.submitted:
        raise Refusal("chat/leaders/ballot_locked.j2", alert=True)
    if view.first_unscored() is not None:
        raise Refusal("chat/leaders/ballot_incomplete.j2", alert=True)
    # the pair was checked when the ballot was opened; an admin may have removed it since
    if await pair_group(work, assessment, ballot.rater_id, ballot.ratee_id) is None:
        raise Refusal("chat/leaders/not_your_ratee.j2", alert=True)
    ballot.status, ballot.submitted_at = BallotStatus.SUBMITTED, work.now
    await work.repo.audit(
        work.actor,
        "ballot_submitted",
        assessment_id=assessment.id,
        person_id=ballot.ratee_id,
        ballot_id=ballot.id,
        source=source,
    )
    await work.repo.flush()
    return view


async def next_to_rate(work: Work, rater_id: int, submitted: BallotView) -> BallotView | RateeList:
    """After a submit: the next ratee not submitted yet (his ballot opened), or the list when all are."""
    assessment = await work.repo.assessment_by_id(submitted.ballot.assessment_id)
    following = await next_ratee(work, assessment, rater_id)
    if following is None:
        return await _listing(work, assessment, rater_id)
    return await _open(work, assessment, rater_id, following)


async def next_ratee(work: Work, assessment: Assessment, rater_id: int) -> int | None:
    """The first ratee (by section and name) whose ballot the rater has not submitted; None when all are."""
    ratees = await ratees_of(work, assessment, rater_id)
    ballots = await work.repo.rater_ballots(assessment.id, rater_id)
    people = await work.repo.people_by_id()
    pending = sorted(
        (r for r in ratees if r not in ballots or ballots[r].status is not BallotStatus.SUBMITTED),
        key=lambda r: (people[r].section_id or 0, people[r].name),
    )
    return pending[0] if pending else None
