"""Who rates whom this quarter, and how far the raters are: the rater rules over the stored roster."""

from __future__ import annotations

from collections import defaultdict

from bot.rules.domain import RaterAction, RaterGroup
from bot.rules.raters import Member, rater_pairs
from bot.workflow.quarter import members_of
from bot.workflow.unit import Work
from storage.models import Assessment, Person


async def ratees(work: Work) -> list[Person]:
    """Everyone rated this quarter (in post, not one of the bureau's leaders)."""
    return [p for p in await work.repo.people(active_only=True) if not p.role.is_bureau_leader]


async def pairs_for(work: Work, assessment: Assessment) -> dict[tuple[int, int], RaterGroup]:
    """(rater, ratee) -> the group the rater's ballot counts in, with the admins' changes applied."""
    added, removed = await work.repo.rater_changes(assessment.id)
    return rater_pairs(
        await members_of(work.repo), peer_scope=work.settings.rules.peer_scope, added=added, removed=removed
    )


async def outstanding_ballots(work: Work, assessment: Assessment) -> dict[int, int]:
    """Rater id -> how many of his ballots are not submitted yet."""
    submitted = {(b.rater_id, b.ratee_id) for b in await work.repo.ballots(assessment.id)}
    missing: dict[int, int] = defaultdict(int)
    for pair in await pairs_for(work, assessment):
        if pair not in submitted:
            missing[pair[0]] += 1
    return dict(missing)


async def rating_progress(work: Work, assessment: Assessment) -> tuple[int, int]:
    """(ballots submitted, ballots expected): who has voted and how far, never what."""
    pairs = await pairs_for(work, assessment)
    done = {(b.rater_id, b.ratee_id) for b in await work.repo.ballots(assessment.id)}
    return len(done & set(pairs)), len(pairs)


async def rating_progress_by_rater(
    work: Work, assessment: Assessment
) -> tuple[int, int, list[tuple[str, int]]]:
    """(ballots submitted, expected, [(rater's name, ballots he still owes)]): never whom they are about."""
    done, expected = await rating_progress(work, assessment)
    people = await work.repo.people_by_id()
    owing = sorted((await outstanding_ballots(work, assessment)).items())
    return done, expected, [(people[r].name, n) for r, n in owing if r in people]


async def pair_group(work: Work, assessment: Assessment, rater_id: int, ratee_id: int) -> RaterGroup | None:
    """The group a rater's ballot on a ratee counts in this quarter, or None: one pair, few queries."""
    change = await work.repo.rater_change(assessment.id, rater_id, ratee_id)
    if change is not None and change.action is RaterAction.REMOVE:
        return None
    people = []
    for person_id in (rater_id, ratee_id):
        person = await work.repo.person(person_id)
        if person is None:
            return None
        supervises = await work.repo.supervised_by(person_id)
        people.append(Member(person.id, person.role, person.section_id, supervises, person.active))
    added = [(rater_id, ratee_id)] if change is not None and change.action is RaterAction.ADD else []
    return rater_pairs(people, peer_scope=work.settings.rules.peer_scope, added=added).get(
        (rater_id, ratee_id)
    )
