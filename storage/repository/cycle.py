"""The cycle: quarters and their phases, rater changes, the leadership's decisions, publicity, objections."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.rules.domain import AssessmentStatus, ObjectionStatus, Phase, Quarter, RaterAction
from storage.models import (
    Assessment,
    BotSetting,
    CalendarCorrection,
    Confirmation,
    Exemption,
    Feedback,
    Goal,
    LeaveRecord,
    MonthlySummary,
    Objection,
    Override,
    PhaseWindow,
    Publicity,
    RaterChange,
    Registration,
    TierDecision,
)
from storage.repository.base import RepositoryBase


class CycleQueries(RepositoryBase):
    """The cycle aggregate: an assessment and what hangs off it."""

    async def assessment(
        self, quarter: Quarter, *, create: bool = False, lock: bool = False
    ) -> Assessment | None:
        """The quarter's assessment (created with `create`).

        `lock` re-reads it under a row lock held until the transaction ends: every state-changing step on
        a quarter takes it first, so two of them take turns and the second sees what the first did
        (PostgreSQL, read committed; SQLite runs the bot's turns one at a time anyway). Two concurrent
        creations of the same quarter end with one row: the loser's insert is undone and it reads the
        winner's.
        """
        query = select(Assessment).where(
            Assessment.year == quarter.year, Assessment.quarter == quarter.number
        )
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        found = await self.session.scalar(query)
        if found is None and create:
            found = Assessment(year=quarter.year, quarter=quarter.number)
            if self.dialect == "sqlite":  # one writer at a time: nobody creates it meanwhile
                self.session.add(found)
                await self.session.flush()
                return found
            try:
                async with self.session.begin_nested():
                    self.session.add(found)
            except IntegrityError:  # created at the same moment by another transaction, now committed
                found = await self.session.scalar(query)
        return found

    async def assessment_by_id(self, assessment_id: object) -> Assessment | None:
        """An assessment by id; None for an id that is not one (it came from a button or a mode)."""
        if not isinstance(assessment_id, int):
            return None
        return await self.session.get(Assessment, assessment_id)

    async def assessments(self, status: AssessmentStatus | None = None) -> list[Assessment]:
        query = select(Assessment).order_by(Assessment.year, Assessment.quarter)
        if status is not None:
            query = query.where(Assessment.status == status)
        return list((await self.session.scalars(query)).all())

    async def latest_assessment(self, status: AssessmentStatus) -> Assessment | None:
        """The most recent quarter in this status."""
        return await self.session.scalar(
            select(Assessment)
            .where(Assessment.status == status)
            .order_by(Assessment.year.desc(), Assessment.quarter.desc())
        )

    async def recent_assessments(self, status: AssessmentStatus, limit: int) -> list[Assessment]:
        return list(
            (
                await self.session.scalars(
                    select(Assessment)
                    .where(Assessment.status == status)
                    .order_by(Assessment.year.desc(), Assessment.quarter.desc())
                    .limit(limit)
                )
            ).all()
        )

    # --- phases ------------------------------------------------------------------------------------

    async def phase_window(
        self, assessment_id: int, phase: Phase, *, create: bool = False
    ) -> PhaseWindow | None:
        """The admins' change to a phase's default window, if any (created empty with `create`)."""
        row = await self.session.scalar(
            select(PhaseWindow).where(PhaseWindow.assessment_id == assessment_id, PhaseWindow.phase == phase)
        )
        if row is None and create:
            row = PhaseWindow(assessment_id=assessment_id, phase=phase)
            self.session.add(row)
        return row

    # --- who rates whom ----------------------------------------------------------------------------

    async def rater_changes(self, assessment_id: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        rows = (
            await self.session.scalars(select(RaterChange).where(RaterChange.assessment_id == assessment_id))
        ).all()
        added = [(r.rater_id, r.ratee_id) for r in rows if r.action is RaterAction.ADD]
        removed = [(r.rater_id, r.ratee_id) for r in rows if r.action is RaterAction.REMOVE]
        return added, removed

    async def rater_change(self, assessment_id: int, rater_id: int, ratee_id: int) -> RaterChange | None:
        return await self.session.scalar(
            select(RaterChange).where(
                RaterChange.assessment_id == assessment_id,
                RaterChange.rater_id == rater_id,
                RaterChange.ratee_id == ratee_id,
            )
        )

    # --- what the rules read besides ballots -------------------------------------------------------

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

    async def exemptions(self, assessment_id: int, kind=None) -> list[Exemption]:
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

    async def leave_records(self, person_id: int | None = None) -> list[LeaveRecord]:
        """Leave recorded, everyone's or one person's, by start date."""
        query = select(LeaveRecord).order_by(LeaveRecord.start_date, LeaveRecord.id)
        if person_id is not None:
            query = query.where(LeaveRecord.person_id == person_id)
        return list((await self.session.scalars(query)).all())

    async def calendar_corrections(self) -> list[CalendarCorrection]:
        return list(
            (await self.session.scalars(select(CalendarCorrection).order_by(CalendarCorrection.day))).all()
        )

    # --- the leadership's decisions ----------------------------------------------------------------

    async def feedback(self, assessment_id: int) -> list[Feedback]:
        """The ratees' opinions on their results of a quarter, oldest first."""
        query = select(Feedback).where(Feedback.assessment_id == assessment_id).order_by(Feedback.id)
        return list((await self.session.scalars(query)).all())

    async def tier_decisions(self, assessment_id: int) -> list[TierDecision]:
        return list(
            (
                await self.session.scalars(
                    select(TierDecision).where(TierDecision.assessment_id == assessment_id)
                )
            ).all()
        )

    async def tier_decision(self, assessment_id: int, person_id: int) -> TierDecision | None:
        return await self.session.scalar(
            select(TierDecision).where(
                TierDecision.assessment_id == assessment_id, TierDecision.person_id == person_id
            )
        )

    async def confirmation_rounds(self, assessment_id: int) -> int:
        return await self.count(Confirmation, Confirmation.assessment_id == assessment_id)

    # --- publicity and objections ------------------------------------------------------------------

    async def publicity_rounds(self, assessment_id: int) -> int:
        return await self.count(Publicity, Publicity.assessment_id == assessment_id)

    async def current_publicity(self, assessment_id: int) -> Publicity | None:
        """The publicity of this quarter still running (not closed), the latest round."""
        return await self.session.scalar(
            select(Publicity)
            .where(Publicity.assessment_id == assessment_id, Publicity.closed_at.is_(None))
            .order_by(Publicity.round.desc())
        )

    async def objections(self, assessment_id: int) -> list[Objection]:
        return list(
            (
                await self.session.scalars(
                    select(Objection).where(Objection.assessment_id == assessment_id).order_by(Objection.id)
                )
            ).all()
        )

    async def open_objection_count(self, assessment_id: int) -> int:
        return await self.count(
            Objection, Objection.assessment_id == assessment_id, Objection.status == ObjectionStatus.OPEN
        )

    # --- the bot's own settings --------------------------------------------------------------------

    async def setting(self, key: str) -> str | None:
        row = await self.session.get(BotSetting, key)
        return row.value if row is not None else None

    async def put_setting(self, key: str, value: str, by: int | None, now: dt.datetime) -> None:
        row = await self.session.get(BotSetting, key)
        if row is None:
            self.session.add(BotSetting(key=key, value=value, updated_by=by, updated_at=now))
        else:
            row.value, row.updated_by, row.updated_at = value, by, now

    async def drop_setting(self, key: str) -> bool:
        """Remove a stored setting; whether there was one."""
        row = await self.session.get(BotSetting, key)
        if row is None:
            return False
        await self.session.delete(row)
        await self.session.flush()
        return True

    async def earliest_summary_month(self, since: tuple[int, int]) -> tuple[int, int] | None:
        """The first month from `since` on that anyone has a summary of (any status), if any."""
        year, month = since
        same_year = (MonthlySummary.year == year) & (MonthlySummary.month >= month)
        later = (MonthlySummary.year > year) | same_year
        row = (
            await self.session.execute(
                select(MonthlySummary.year, MonthlySummary.month)
                .where(later)
                .order_by(MonthlySummary.year, MonthlySummary.month)
                .limit(1)
            )
        ).first()
        return (row[0], row[1]) if row is not None else None

    async def quarters_under_way(self) -> list[Quarter]:
        """The quarters with something done: past preparation, holding a goal set or a registration, or
        with a phase an admin opened, extended or closed."""
        begun = select(Assessment.id).where(Assessment.status != AssessmentStatus.PREPARING)
        started = set(await self.session.scalars(begun))
        started |= set(await self.session.scalars(select(Goal.assessment_id).distinct()))
        started |= set(await self.session.scalars(select(Registration.assessment_id).distinct()))
        started |= set(await self.session.scalars(select(PhaseWindow.assessment_id).distinct()))
        if not started:
            return []
        rows = await self.session.scalars(
            select(Assessment).where(Assessment.id.in_(started)).order_by(Assessment.year, Assessment.quarter)
        )
        return [a.period for a in rows]
