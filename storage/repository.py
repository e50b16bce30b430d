"""The repository: every query the application makes, so handlers and jobs never write SQL."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import case, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.records.ballot_file import ExistingBallot, ParsedBallot
from bot.records.roster_file import PersonRecord
from bot.rules.domain import (
    AssessmentStatus,
    BallotPart,
    BallotSource,
    BallotStatus,
    ExemptionKind,
    Quarter,
    RaterAction,
    RaterGroup,
    ReviewStatus,
    Role,
)
from bot.rules.raters import Member
from bot.rules.tiers import QuarterResult
from bot.settings import IndicatorItem, IndicatorSettings
from storage.models import (
    Assessment,
    AuditEntry,
    BallotItem,
    BallotRecord,
    CalendarCorrection,
    Exemption,
    Goal,
    GoalItem,
    LeaveRecord,
    Override,
    Person,
    RaterChange,
    ResultRecord,
    Section,
    SectionSupervisor,
    utcnow,
)

PERSON_FIELDS = (
    "gender",
    "political_status",
    "post_since",
    "work_since",
    "post_title",
    "category",
    "role",
    "probation_end",
    "discipline_start",
    "discipline_end",
    "active",
)


@dataclass(frozen=True)
class RosterOutcome:
    created: int
    updated: int
    unchanged: int

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


class Repository:
    """Queries and writes over one session (one transaction)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- audit --------------------------------------------------------------------------------

    async def audit(
        self,
        actor: str,
        action: str,
        *,
        assessment_id: int | None = None,
        person_id: int | None = None,
        **details: Any,
    ) -> None:
        """Append one entry to the audit log."""
        self.session.add(
            AuditEntry(
                actor=actor,
                action=action,
                assessment_id=assessment_id,
                person_id=person_id,
                details=json.dumps(details, ensure_ascii=False, sort_keys=True, default=str),
            )
        )

    async def audit_entries(self, action: str | None = None) -> list[AuditEntry]:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if action is not None:
            query = query.where(AuditEntry.action == action)
        return list((await self.session.scalars(query)).all())

    # --- people and sections -------------------------------------------------------------------

    async def sections(self) -> list[Section]:
        return list((await self.session.scalars(select(Section).order_by(Section.id))).all())

    async def section_named(self, name: str, *, create: bool = False) -> Section | None:
        section = await self.session.scalar(select(Section).where(Section.name == name))
        if section is None and create:
            section = Section(name=name)
            self.session.add(section)
            await self.session.flush()
        return section

    async def people(self, *, active_only: bool = False) -> list[Person]:
        query = select(Person).order_by(Person.id)
        if active_only:
            query = query.where(Person.active.is_(True))
        return list((await self.session.scalars(query)).all())

    async def person(self, person_id: int) -> Person | None:
        return await self.session.get(Person, person_id)

    async def supervision(self) -> dict[int, set[int]]:
        """Sections each leader supervises: person id -> section ids."""
        rows = await self.session.execute(select(SectionSupervisor.person_id, SectionSupervisor.section_id))
        result: dict[int, set[int]] = defaultdict(set)
        for person_id, section_id in rows:
            result[person_id].add(section_id)
        return result

    async def members(self) -> list[Member]:
        """Everyone as the rater rules see them."""
        supervision = await self.supervision()
        return [
            Member(p.id, p.role, p.section_id, frozenset(supervision.get(p.id, ())), p.active)
            for p in await self.people()
        ]

    async def upsert_roster(self, records: Sequence[PersonRecord], actor: str) -> RosterOutcome:
        """Create or update people by (name, birth month); importing the same file again changes nothing."""
        existing = {(p.name, p.birth_month): p for p in await self.people()}
        section_ids: dict[str, int] = {}
        for name in sorted(
            {r.section for r in records if r.section} | {s for r in records for s in r.supervises}
        ):
            section = await self.section_named(name, create=True)
            section_ids[name] = section.id
        supervision = await self.supervision()
        created = updated = unchanged = 0
        for record in records:
            wanted = {f: getattr(record, f) for f in PERSON_FIELDS}
            wanted["section_id"] = section_ids.get(record.section) if record.section else None
            person = existing.get(record.key)
            is_new = person is None
            if person is None:
                person = Person(name=record.name, birth_month=record.birth_month, **wanted)
                self.session.add(person)
                await self.session.flush()
            changed = any(getattr(person, f) != v for f, v in wanted.items())
            if changed:
                for f, v in wanted.items():
                    setattr(person, f, v)
                person.updated_at = utcnow()
            want_sections = {section_ids[s] for s in record.supervises}
            if want_sections != supervision.get(person.id, set()):
                changed = True
                await self.session.execute(
                    delete(SectionSupervisor).where(SectionSupervisor.person_id == person.id)
                )
                for section_id in sorted(want_sections):
                    self.session.add(SectionSupervisor(section_id=section_id, person_id=person.id))
            if is_new:
                created += 1
            elif changed:
                updated += 1
            else:
                unchanged += 1
        outcome = RosterOutcome(created, updated, unchanged)
        if outcome.changed:
            await self.audit(actor, "roster_imported", created=created, updated=updated, unchanged=unchanged)
        await self.session.flush()
        return outcome

    # --- quarters ------------------------------------------------------------------------------

    async def assessment(self, quarter: Quarter, *, create: bool = False) -> Assessment | None:
        found = await self.session.scalar(
            select(Assessment).where(Assessment.year == quarter.year, Assessment.quarter == quarter.number)
        )
        if found is None and create:
            found = Assessment(year=quarter.year, quarter=quarter.number)
            self.session.add(found)
            await self.session.flush()
        return found

    async def assessments(self, status: AssessmentStatus | None = None) -> list[Assessment]:
        query = select(Assessment).order_by(Assessment.year, Assessment.quarter)
        if status is not None:
            query = query.where(Assessment.status == status)
        return list((await self.session.scalars(query)).all())

    async def rater_changes(self, assessment_id: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        rows = (
            await self.session.scalars(select(RaterChange).where(RaterChange.assessment_id == assessment_id))
        ).all()
        added = [(r.rater_id, r.ratee_id) for r in rows if r.action is RaterAction.ADD]
        removed = [(r.rater_id, r.ratee_id) for r in rows if r.action is RaterAction.REMOVE]
        return added, removed

    async def individual_items(
        self, assessment_id: int | None, people: Iterable[Person], indicators: IndicatorSettings
    ) -> dict[int, list[IndicatorItem]]:
        """Each ratee's individual indicators: approved goals, else the role's template."""
        goals = (
            (
                await self.session.scalars(
                    select(Goal).where(
                        Goal.assessment_id == assessment_id, Goal.status == ReviewStatus.APPROVED
                    )
                )
            ).all()
            if assessment_id is not None
            else []
        )
        goal_of = {g.person_id: g.id for g in goals}
        items_of: dict[int, list[IndicatorItem]] = defaultdict(list)
        if goal_of:
            rows = await self.session.scalars(
                select(GoalItem).where(GoalItem.goal_id.in_(goal_of.values())).order_by(GoalItem.position)
            )
            by_goal = defaultdict(list)
            for item in rows:
                by_goal[item.goal_id].append(IndicatorItem(name=item.name, max_points=item.max_points))
            for person_id, goal_id in goal_of.items():
                items_of[person_id] = by_goal[goal_id]
        result = {}
        for person in people:
            if person.role.is_leader:
                continue
            result[person.id] = items_of.get(person.id) or list(indicators.template_for(person.role))
        return result

    # --- ballots -------------------------------------------------------------------------------

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

    async def ballot_totals(self, assessment_id: int) -> list[BallotTotals]:
        """Each submitted ballot with its points and maxima summed per part, in one grouped query.

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
            .where(BallotRecord.assessment_id == assessment_id, BallotRecord.status == BallotStatus.SUBMITTED)
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

    async def existing_ballots(self, assessment_id: int) -> dict[tuple[int, int], ExistingBallot]:
        ballots = await self.ballots(assessment_id, submitted_only=False)
        items = await self.ballot_items([b.id for b in ballots])
        return {
            (b.rater_id, b.ratee_id): ExistingBallot(
                b.status is BallotStatus.SUBMITTED,
                tuple((i.part, i.name, i.points) for i in _ordered(items[b.id])),
            )
            for b in ballots
        }

    async def store_paper_ballots(
        self, assessment_id: int, ballots: Sequence[ParsedBallot], actor: str
    ) -> int:
        """Store checked paper ballots as submitted; a rater's chat draft for the same ratee is replaced."""
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
            for part, items in (
                (BallotPart.COMMON, parsed.common),
                (BallotPart.INDIVIDUAL, parsed.individual),
            ):
                for position, item in enumerate(items, start=1):
                    self.session.add(
                        BallotItem(
                            ballot_id=record.id,
                            part=part,
                            position=position,
                            name=item.name,
                            max_points=item.max_points,
                            points=item.points,
                        )
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

    # --- what the rules read besides ballots ---------------------------------------------------

    async def overrides(self, assessment_id: int) -> list[Override]:
        return list(
            (
                await self.session.scalars(
                    select(Override).where(
                        Override.assessment_id == assessment_id, Override.revoked_at.is_(None)
                    )
                )
            ).all()
        )

    async def exemptions(self, assessment_id: int, kind: ExemptionKind | None = None) -> list[Exemption]:
        query = select(Exemption).where(
            Exemption.assessment_id == assessment_id, Exemption.revoked_at.is_(None)
        )
        if kind is not None:
            query = query.where(Exemption.kind == kind)
        return list((await self.session.scalars(query)).all())

    async def leave_between(self, first: dt.date, last: dt.date) -> list[LeaveRecord]:
        return list(
            (
                await self.session.scalars(
                    select(LeaveRecord).where(LeaveRecord.start_date <= last, LeaveRecord.end_date >= first)
                )
            ).all()
        )

    async def calendar_corrections(self) -> list[CalendarCorrection]:
        return list(
            (await self.session.scalars(select(CalendarCorrection).order_by(CalendarCorrection.day))).all()
        )

    # --- results -------------------------------------------------------------------------------

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

    async def save_results(self, assessment_id: int, proposal: QuarterResult, actor: str) -> int:
        """Store the proposal; rows that did not change are left alone. Returns how many changed."""
        stored = {r.person_id: r for r in await self.results(assessment_id)}
        changed = 0
        new: list[dict[str, Any]] = []  # inserted in bulk: 10,000 ORM objects cost seconds
        now = utcnow()
        for r in proposal.ratees:
            values = {
                "category": r.category,
                "principal_score": _q(r.group_scores.get(RaterGroup.PRINCIPAL)),
                "supervisor_score": _q(r.group_scores.get(RaterGroup.SUPERVISOR)),
                "peer_score": _q(r.group_scores.get(RaterGroup.PEER)),
                "principal_ballots": r.ballot_counts[RaterGroup.PRINCIPAL],
                "supervisor_ballots": r.ballot_counts[RaterGroup.SUPERVISOR],
                "peer_ballots": r.ballot_counts[RaterGroup.PEER],
                "composite": r.composite,
                "exempt_reasons": ",".join(sorted(x.value for x in r.exempt_reasons)),
                "override": r.override,
                "score_tier": r.score_tier,
                "proposed_tier": r.proposed,
                "rank": r.rank,
                "flags": ",".join(sorted(f.value for f in r.flags)),
            }
            record = stored.pop(r.person_id, None)
            if record is None:
                new.append(
                    {"assessment_id": assessment_id, "person_id": r.person_id, "computed_at": now, **values}
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

    async def put(self, model: type, key: dict[str, Any], **values: Any) -> Any:
        """Insert the row with this key, or update the one there: an admin's record replaced, not doubled."""
        row = await self.session.scalar(
            select(model).where(*(getattr(model, name) == value for name, value in key.items()))
        )
        if row is None:
            row = model(**key, **values)
            self.session.add(row)
        else:
            for name, value in values.items():
                setattr(row, name, value)
        return row

    async def count(self, model: type) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(model)) or 0)


class BallotTotals(NamedTuple):
    """A submitted ballot, its parts summed as (points, maximum, items): what the score formula needs."""

    ballot_id: int
    rater_id: int
    ratee_id: int
    rater_group: RaterGroup
    common: tuple[int, int, int]
    individual: tuple[int, int, int]
    unscored: int


def _q(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(Decimal("0.0001"))


def _ordered(items: Sequence[BallotItem]) -> list[BallotItem]:
    order = {BallotPart.COMMON: 0, BallotPart.INDIVIDUAL: 1}
    return sorted(items, key=lambda i: (order[i.part], i.position))


def is_ratee(person: Person) -> bool:
    return person.active and person.role not in (Role.PRINCIPAL, Role.SUPERVISOR)
