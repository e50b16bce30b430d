"""Ballots and results: chat drafts and paper ballots, their totals for the rules, the stored results."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import case, delete, func, insert, select, update

from bot.rules.domain import BallotPart, BallotSource, BallotStatus, RaterGroup, ReviewStatus
from storage.models import (
    Assessment,
    BallotItem,
    BallotRecord,
    Goal,
    GoalItem,
    RaterChange,
    ResultRecord,
    utcnow,
)
from storage.repository.base import RepositoryBase


class BallotQueries(RepositoryBase):
    """The ballots-and-results aggregate."""

    async def rating_fingerprint(self, assessment_id: int) -> tuple:
        """What who-owes-ballots is derived from, in a few aggregates: the submitted ballots and the rater
        changes (how many, and the sum of their ids: a withdrawal and a new one do not cancel out)."""
        ballots = await self.session.execute(
            select(func.count(), func.coalesce(func.sum(BallotRecord.id), 0)).where(
                BallotRecord.assessment_id == assessment_id, BallotRecord.status == BallotStatus.SUBMITTED
            )
        )
        changes = await self.session.execute(
            select(func.count(), func.coalesce(func.sum(RaterChange.id), 0)).where(
                RaterChange.assessment_id == assessment_id
            )
        )
        return (assessment_id, *ballots.one(), *changes.one())

    async def ballots(self, assessment_id: int, *, submitted_only: bool = True) -> list[BallotRecord]:
        query = select(BallotRecord).where(BallotRecord.assessment_id == assessment_id)
        if submitted_only:
            query = query.where(BallotRecord.status == BallotStatus.SUBMITTED)
        return list((await self.session.scalars(query.order_by(BallotRecord.id))).all())

    async def ballot_items(self, ballot_ids: Sequence[int]) -> dict[int, list[BallotItem]]:
        result: dict[int, list[BallotItem]] = defaultdict(list)
        for chunk_start in range(0, len(ballot_ids), 5000):
            chunk = ballot_ids[chunk_start : chunk_start + 5000]
            rows = await self.session.scalars(
                select(BallotItem)
                .where(BallotItem.ballot_id.in_(chunk))
                .order_by(BallotItem.ballot_id, BallotItem.part, BallotItem.position)
            )
            for item in rows:
                result[item.ballot_id].append(item)
        return result

    async def pending_ballots(self, assessment_id: int) -> list[PendingBallot]:
        """Submitted ballots that no computation has counted yet, as (id, ratee, group, source): few
        columns, since at a quarter's first computation that is every ballot."""
        rows = await self.session.execute(
            select(BallotRecord.id, BallotRecord.ratee_id, BallotRecord.rater_group, BallotRecord.source)
            .where(
                BallotRecord.assessment_id == assessment_id,
                BallotRecord.status == BallotStatus.SUBMITTED,
                BallotRecord.counted.is_(False),
            )
            .order_by(BallotRecord.id)
        )
        return [PendingBallot(*row) for row in rows]

    async def count_ballots(self, assessment_id: int, held: Sequence[int]) -> None:
        """Admit every submitted ballot of the quarter but the `held` ones into the results, for good."""
        query = update(BallotRecord).where(
            BallotRecord.assessment_id == assessment_id,
            BallotRecord.status == BallotStatus.SUBMITTED,
            BallotRecord.counted.is_(False),
        )
        if held:
            query = query.where(BallotRecord.id.not_in(list(held)))
        # no ballot object of the quarter is loaded while it computes: nothing in the session to bring in step
        await self.session.execute(query.values(counted=True).execution_options(synchronize_session=False))

    async def withdraw_ballot(self, ballot: BallotRecord) -> None:
        """Delete a ballot that no result ever counted, with its items."""
        await self.session.execute(delete(BallotItem).where(BallotItem.ballot_id == ballot.id))
        await self.session.delete(ballot)
        await self.session.flush()

    async def ballot_totals(self, assessment_id: int) -> list[BallotTotals]:
        """Each counted ballot with its points and maxima summed per part, in one grouped query.

        A quarter of 10,000 ratees has some 1.5 million item rows: summed by the database, the rules
        get 150,000 small rows instead of that many ORM objects.
        """

        def part_sum(column, part: BallotPart):
            return func.sum(case((BallotItem.part == part, column)))

        def part_count(part: BallotPart):
            return func.sum(case((BallotItem.part == part, 1), else_=0))

        rows = await self.session.execute(
            select(
                BallotRecord.id,
                BallotRecord.rater_id,
                BallotRecord.ratee_id,
                BallotRecord.rater_group,
                part_sum(BallotItem.points, BallotPart.COMMON),
                part_sum(BallotItem.max_points, BallotPart.COMMON),
                part_count(BallotPart.COMMON),
                part_sum(BallotItem.points, BallotPart.INDIVIDUAL),
                part_sum(BallotItem.max_points, BallotPart.INDIVIDUAL),
                part_count(BallotPart.INDIVIDUAL),
                func.count(BallotItem.id) - func.count(BallotItem.points),
            )
            .join(BallotItem, BallotItem.ballot_id == BallotRecord.id)
            .where(
                BallotRecord.assessment_id == assessment_id,
                BallotRecord.status == BallotStatus.SUBMITTED,
                BallotRecord.counted.is_(True),
            )
            .group_by(BallotRecord.id)  # the other columns depend on the key (both databases know it)
            .order_by(BallotRecord.id)
        )
        return [
            BallotTotals(
                row[0],
                row[1],
                row[2],
                row[3],
                (int(row[4] or 0), int(row[5] or 0), int(row[6])),
                (int(row[7] or 0), int(row[8] or 0), int(row[9])),
                int(row[10]),
            )
            for row in rows
        ]

    async def existing_ballots(
        self, assessment_id: int
    ) -> dict[tuple[int, int], tuple[bool, bool, tuple[tuple[BallotPart, str, int | None], ...]]]:
        """(rater, ratee) -> (submitted?, on paper?, the items as (part, name, points) in order)."""
        ballots = await self.ballots(assessment_id, submitted_only=False)
        items = await self.ballot_items([b.id for b in ballots])
        return {
            (b.rater_id, b.ratee_id): (
                b.status is BallotStatus.SUBMITTED,
                b.source is BallotSource.PAPER,
                tuple((i.part, i.name, i.points) for i in ordered_items(items[b.id])),
            )
            for b in ballots
        }

    async def store_paper_ballots(self, assessment_id: int, ballots: Sequence[Any], actor: str) -> int:
        """Store checked paper ballots as submitted; a rater's chat draft for the same ratee is replaced.

        Each ballot has rater_id, ratee_id, group, and common and individual items (name, max_points, points).
        """
        now = utcnow()
        drafts = {
            (b.rater_id, b.ratee_id): b
            for b in await self.ballots(assessment_id, submitted_only=False)
            if b.status is BallotStatus.DRAFT
        }
        for parsed in ballots:
            record = drafts.get((parsed.rater_id, parsed.ratee_id))
            if record is None:
                record = BallotRecord(
                    assessment_id=assessment_id,
                    rater_id=parsed.rater_id,
                    ratee_id=parsed.ratee_id,
                    rater_group=parsed.group,
                )
                self.session.add(record)
            else:
                await self.session.execute(delete(BallotItem).where(BallotItem.ballot_id == record.id))
            record.status = BallotStatus.SUBMITTED
            record.source = BallotSource.PAPER
            record.submitted_at = now
            await self.session.flush()
            self._add_items(
                record.id,
                ((BallotPart.COMMON, parsed.common), (BallotPart.INDIVIDUAL, parsed.individual)),
                scored=True,
            )
            await self.audit(
                actor,
                "ballot_submitted",
                assessment_id=assessment_id,
                person_id=parsed.ratee_id,
                ballot_id=record.id,
                source=BallotSource.PAPER.value,
            )
        await self.session.flush()
        return len(ballots)

    async def approved_goal_items(self, assessment_id: int | None) -> dict[int, list[tuple[str, int]]]:
        """Each ratee's approved individual indicators as (name, maximum), by person id."""
        if assessment_id is None:
            return {}
        goals = (
            await self.session.scalars(
                select(Goal).where(
                    Goal.assessment_id == assessment_id,
                    (Goal.status == ReviewStatus.APPROVED) | Goal.approved_items.is_not(None),
                )
            )
        ).all()
        result: dict[int, list[tuple[str, int]]] = defaultdict(list)
        for goal in goals:  # a change under review or returned: the approved items stay in force
            if goal.status is not ReviewStatus.APPROVED:
                result[goal.person_id] = [(n, int(p)) for n, p in json.loads(goal.approved_items)]
        goal_of = {g.id: g.person_id for g in goals if g.status is ReviewStatus.APPROVED}
        if goal_of:
            rows = await self.session.scalars(
                select(GoalItem).where(GoalItem.goal_id.in_(goal_of)).order_by(GoalItem.position)
            )
            for item in rows:
                result[goal_of[item.goal_id]].append((item.name, item.max_points))
        return dict(result)

    async def rater_ballots(self, assessment_id: int, rater_id: int) -> dict[int, BallotRecord]:
        """A rater's ballots of a quarter (drafts too), by ratee."""
        rows = await self.session.scalars(
            select(BallotRecord).where(
                BallotRecord.assessment_id == assessment_id, BallotRecord.rater_id == rater_id
            )
        )
        return {b.ratee_id: b for b in rows}

    async def ballot_of(self, assessment_id: int, rater_id: int, ratee_id: int) -> BallotRecord | None:
        return await self.session.scalar(
            select(BallotRecord).where(
                BallotRecord.assessment_id == assessment_id,
                BallotRecord.rater_id == rater_id,
                BallotRecord.ratee_id == ratee_id,
            )
        )

    async def items_of_ballot(self, ballot_id: int) -> list[BallotItem]:
        rows = (await self.session.scalars(select(BallotItem).where(BallotItem.ballot_id == ballot_id))).all()
        return ordered_items(rows)

    async def ballot_by_id(self, ballot_id: object) -> BallotRecord | None:
        """A ballot by id; None for an id that is not one (it came from a button or a request)."""
        if not isinstance(ballot_id, int):
            return None
        return await self.session.get(BallotRecord, ballot_id)

    async def lock_for_scoring(self, ballot_id: int) -> tuple[Assessment, BallotRecord | None]:
        """The ballot's quarter under a shared lock, then the ballot itself re-read under an exclusive one.

        Closing rating locks the quarter exclusively, so a tap never lands after the close; a tap and a
        submit of the same ballot take turns. The ballot is None when an admin withdrew it meanwhile
        (`/raters remove`, which locks the quarter exclusively). SQLite has no row locks and runs the
        bot's turns one at a time (Database.session): there the rows are returned as they are, reading
        again is no use.
        """
        ballot = await self.session.get(BallotRecord, ballot_id)
        if self.dialect == "sqlite":
            return await self.session.get(Assessment, ballot.assessment_id), ballot
        assessment = await self.session.get(Assessment, ballot.assessment_id, with_for_update={"read": True})
        ballot = await self.session.get(BallotRecord, ballot_id, with_for_update=True, populate_existing=True)
        return assessment, ballot

    async def new_ballot(
        self,
        assessment_id: int,
        rater_id: int,
        ratee_id: int,
        group: RaterGroup,
        parts: Sequence[tuple[BallotPart, Sequence[Any]]],
    ) -> BallotRecord:
        """A chat draft with its items unscored; `parts` gives each part's items (name, max_points).

        The ballot is written first: a second draft of the same pair collides on its key at once.
        """
        ballot = BallotRecord(
            assessment_id=assessment_id, rater_id=rater_id, ratee_id=ratee_id, rater_group=group
        )
        self.session.add(ballot)
        await self.session.flush()
        self._add_items(ballot.id, parts, scored=False)
        await self.session.flush()
        return ballot

    def _add_items(
        self, ballot_id: int, parts: Sequence[tuple[BallotPart, Sequence[Any]]], *, scored: bool
    ) -> None:
        """A ballot's items in order, part by part: with their points (paper) or unscored (a chat draft)."""
        for part, items in parts:
            for position, item in enumerate(items, start=1):
                self.session.add(
                    BallotItem(
                        ballot_id=ballot_id,
                        part=part,
                        position=position,
                        name=item.name,
                        max_points=item.max_points,
                        points=item.points if scored else None,
                    )
                )

    async def results(self, assessment_id: int) -> list[ResultRecord]:
        return list(
            (
                await self.session.scalars(
                    select(ResultRecord)
                    .where(ResultRecord.assessment_id == assessment_id)
                    .order_by(ResultRecord.person_id)
                )
            ).all()
        )

    async def save_results(self, assessment_id: int, rows: dict[int, dict[str, Any]], actor: str) -> int:
        """Store each ratee's result row (person id -> column values); rows that did not change are left
        alone, rows of people no longer rated are deleted. Returns how many changed."""
        stored = {r.person_id: r for r in await self.results(assessment_id)}
        changed = 0
        new: list[dict[str, Any]] = []  # inserted in bulk: 10,000 ORM objects cost seconds
        now = utcnow()
        for person_id, values in rows.items():
            record = stored.pop(person_id, None)
            if record is None:
                new.append(
                    {"assessment_id": assessment_id, "person_id": person_id, "computed_at": now, **values}
                )
                changed += 1
            elif any(getattr(record, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(record, k, v)
                record.computed_at = utcnow()
                changed += 1
        if new:
            await self.session.execute(insert(ResultRecord.__table__), new)  # Core: no ORM bookkeeping
        for leftover in stored.values():  # no longer a ratee (deactivated, left)
            await self.session.delete(leftover)
            changed += 1
        if changed:
            await self.audit(actor, "results_computed", assessment_id=assessment_id, changed=changed)
        await self.session.flush()
        return changed


class PendingBallot(NamedTuple):
    """A submitted ballot not counted yet."""

    id: int
    ratee_id: int
    rater_group: RaterGroup
    source: BallotSource


class BallotTotals(NamedTuple):
    """A submitted ballot, its parts summed as (points, maximum, items): what the score formula needs."""

    ballot_id: int
    rater_id: int
    ratee_id: int
    rater_group: RaterGroup
    common: tuple[int, int, int]
    individual: tuple[int, int, int]
    unscored: int


def ordered_items(items: Sequence[BallotItem]) -> list[BallotItem]:
    """A ballot's items as the ballot shows them: the common part, then the individual one."""
    order = {BallotPart.COMMON: 0, BallotPart.INDIVIDUAL: 1}
    return sorted(items, key=lambda i: (order[i.part], i.position))
