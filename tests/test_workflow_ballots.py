"""Rating through the workflow layer alone: the ballot steps a chat screen and a web page both call.

No Telegram object: a unit of work per request, the rater as the server identified him, and every check
(whose ballot, which quarter, what score) made by the workflow itself. A refusal raised inside a unit
rolls the whole unit back.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.cli.rehearsal import import_roster
from bot.rules.domain import BallotStatus, Phase
from bot.workflow import ballots, phases
from bot.workflow.quarter import import_ballots
from bot.workflow.raters import pairs_for
from bot.workflow.unit import Refusal
from tests.conftest import EXAMPLES
from tests.factories import ballot_items, paper_table
from tests.test_workflow_quarter import ADMIN, Q3, Quarterly

RATER_TG = 700_001


@pytest.fixture
def quarterly(settings, database) -> Quarterly:
    settings.admins.ids = [ADMIN]
    return Quarterly(settings, database)


async def test_a_rater_scores_and_submits_a_ballot_and_nobody_else_may(
    quarterly: Quarterly, database
) -> None:
    await import_roster(database, EXAMPLES / "roster.csv", "test")
    quarterly.at(2026, 10, 9, 10, 0)
    async with quarterly.work() as work:
        await phases.open_phase(work, Phase.RATING, Q3, phases.new_end(work, dt.date(2026, 10, 16)))
    async with quarterly.work() as work:
        assessment = await work.repo.assessment(Q3)
        people = {p.name: p.id for p in await work.repo.people()}
        pairs = await pairs_for(work, assessment)
        rater, ratee, other = people["周明远"], people["吴晓燕"], people["郑海涛"]
        assert (rater, ratee) in pairs and (rater, other) in pairs
        stranger = next(p for p in people.values() if p != rater and (p, ratee) not in pairs)
    quarter_id = assessment.id

    # The rater opens the ratee's ballot: a draft with the common and the individual items, unscored.
    async with quarterly.work(RATER_TG) as work:
        listing = await ballots.first_ratee_list(work, rater)
        assert listing.quarter == Q3 and listing.done == 0
        assert {r.ratee_id: r.state for r in listing.rows}[ratee] == "pending"
        view = await ballots.open_ballot(work, rater, quarter_id, ratee)
        common = len(work.settings.indicators.common)
        assert len(view.items) > common and view.items[common - 1].part.value == "common"
        assert view.first_unscored() == 0 and view.score is None and not view.submitted
        ballot_id, count, most = view.ballot.id, len(view.items), view.items[0].max_points
    async with quarterly.work(RATER_TG) as work:  # opened again: the same draft, not a second one
        assert (await ballots.open_ballot(work, rater, quarter_id, ratee)).ballot.id == ballot_id
        rows = {r.ratee_id: r.state for r in (await ballots.ratee_list(work, rater, quarter_id)).rows}
        assert rows[ratee] == "draft"

    # Every item but the last scored; a score out of range is refused and the unit writes nothing.
    async with quarterly.work(RATER_TG) as work:
        for index in range(count - 1):
            view = await ballots.score_item(
                work, rater, ballot_id, index, min(index, view.items[index].max_points)
            )
        assert view.first_unscored() == count - 1
    with pytest.raises(Refusal) as refused:
        async with quarterly.work(RATER_TG) as work:
            await ballots.score_item(work, rater, ballot_id, count - 1, 0)
            await ballots.score_item(work, rater, ballot_id, 0, most + 1)
    assert refused.value.template == "chat/leaders/score_out_of_range.j2"
    assert refused.value.context == {"most": most}
    with pytest.raises(Refusal) as refused:  # an item the ballot does not have
        async with quarterly.work(RATER_TG) as work:
            await ballots.score_item(work, rater, ballot_id, count, 0)
    assert refused.value.template == "chat/errors/button_unknown.j2"
    async with quarterly.work(RATER_TG) as work:
        items = await work.repo.items_of_ballot(ballot_id)
        assert items[count - 1].points is None and items[0].points == 0  # the valid score rolled back too

    # Not submitted until every item is scored.
    with pytest.raises(Refusal) as refused:
        async with quarterly.work(RATER_TG) as work:
            await ballots.submit_ballot(work, rater, ballot_id)
    assert refused.value.template == "chat/leaders/ballot_incomplete.j2"

    # A stranger to the pair may neither open the ratee's ballot nor touch the rater's.
    with pytest.raises(Refusal) as refused:
        async with quarterly.work(RATER_TG + 1) as work:
            await ballots.open_ballot(work, stranger, quarter_id, ratee)
    assert refused.value.template == "chat/leaders/not_your_ratee.j2"
    for step in (
        lambda work: ballots.score_item(work, stranger, ballot_id, count - 1, 0),
        lambda work: ballots.submit_ballot(work, stranger, ballot_id),
        lambda work: ballots.list_of_ballot(work, stranger, ballot_id),
    ):
        with pytest.raises(Refusal) as refused:
            async with quarterly.work(RATER_TG + 1) as work:
                await step(work)
        assert refused.value.template == "chat/errors/button_unknown.j2"

    # The last item, then the submit: scored, audited, locked, and on to the next ratee.
    async with quarterly.work(RATER_TG) as work:
        view = await ballots.score_item(work, rater, ballot_id, count - 1, 0)
        assert view.first_unscored() is None and view.score is not None
        submitted = await ballots.submit_ballot(work, rater, ballot_id)
        assert submitted.submitted and submitted.ballot.submitted_at == work.now
        following = await ballots.next_to_rate(work, rater, submitted)
        assert isinstance(following, ballots.BallotView) and following.ballot.ratee_id != ratee
        second = following.ballot.id
    async with quarterly.work(RATER_TG) as work:
        ballot = await work.repo.ballot_by_id(ballot_id)
        assert ballot.status is BallotStatus.SUBMITTED
        audit = [e for e in await work.repo.audit_entries("ballot_submitted") if e.person_id == ratee]
        assert len(audit) == 1 and f'"ballot_id": {ballot_id}' in audit[0].details
        [(quarter, done, total)] = await ballots.outstanding_for(work, rater)
        assert quarter == Q3 and done == 1 and total == sum(1 for r, _ in pairs if r == rater)
    with pytest.raises(Refusal) as refused:
        async with quarterly.work(RATER_TG) as work:
            await ballots.score_item(work, rater, ballot_id, 0, 1)
    assert refused.value.template == "chat/leaders/ballot_locked.j2"

    # Rating closes: the open draft can no longer be scored, nor a new ballot opened.
    async with quarterly.work() as work:
        await phases.close_rating(work, await work.repo.assessment(Q3))
    with pytest.raises(Refusal) as refused:
        async with quarterly.work(RATER_TG) as work:
            await ballots.score_item(work, rater, second, 0, 0)
    assert refused.value.template == "chat/leaders/rating_closed.j2"
    with pytest.raises(Refusal) as refused:
        async with quarterly.work(RATER_TG) as work:
            await ballots.open_ballot(work, rater, quarter_id, other)
    assert refused.value.template == "chat/leaders/rating_closed.j2"
    async with quarterly.work(RATER_TG) as work:
        assert await ballots.outstanding_for(work, rater) == []
        assert all(i.points is None for i in await work.repo.items_of_ballot(second))


async def test_a_paper_file_never_tells_whether_it_matches_a_ballot_submitted_in_chat(
    quarterly: Quarterly, database
) -> None:
    """An admin may not test a guess of a rater's chat ballot by importing it: same or not, the answer is
    the same refusal; a paper ballot imported twice is still recognised as the same file."""
    await import_roster(database, EXAMPLES / "roster.csv", "test")
    quarterly.at(2026, 10, 9, 10, 0)
    async with quarterly.work() as work:
        await phases.open_phase(work, Phase.RATING, Q3, phases.new_end(work, dt.date(2026, 10, 16)))
    async with quarterly.work(RATER_TG) as work:
        people = {p.name: p for p in await work.repo.people()}
        rater, ratee = people["周明远"], people["吴晓燕"]
        view = await ballots.open_ballot(work, rater.id, (await work.repo.assessment(Q3)).id, ratee.id)
        for index, item in enumerate(view.items):
            view = await ballots.score_item(work, rater.id, view.ballot.id, index, item.max_points)
        await ballots.submit_ballot(work, rater.id, view.ballot.id)
    settings = quarterly.services.settings
    items = ballot_items(settings, ratee.role)
    answers = []
    for guess in (lambda item: item.max_points, lambda item: 0):  # the right guess, then a wrong one
        async with quarterly.work() as work:
            table = paper_table(Q3, [(rater.name, ratee.name, [(p, i, guess(i)) for p, i in items])])
            outcome = await import_ballots(work.repo, settings, Q3, table, work.actor)
            answers.append((outcome.unchanged, [(e.line, e.code) for e in outcome.errors], len(outcome.new)))
    assert answers[0] == answers[1] == (0, [(2, "ballot_in_chat")], 0)

    other = people["郑海涛"]  # a paper ballot imported again is the same file, not an error
    for _ in range(2):
        async with quarterly.work() as work:
            table = paper_table(Q3, [(other.name, ratee.name, [(p, i, i.max_points) for p, i in items])])
            outcome = await import_ballots(work.repo, settings, Q3, table, work.actor)
            assert outcome.errors == []
    assert (outcome.unchanged, len(outcome.new)) == (1, 0)
