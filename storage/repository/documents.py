"""Staff's documents: monthly summaries, quarterly registrations and goals with their items, and feedback."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import delete, select

from bot.rules.domain import ReviewStatus
from storage.models import Goal, GoalItem, MonthlySummary
from storage.repository.base import RepositoryBase


class DocumentQueries(RepositoryBase):
    """The documents aggregate: a document row and its ordered items."""

    async def summary(
        self, person_id: int, year: int, month: int, *, create: bool = False
    ) -> MonthlySummary | None:
        row = await self.session.scalar(
            select(MonthlySummary).where(
                MonthlySummary.person_id == person_id,
                MonthlySummary.year == year,
                MonthlySummary.month == month,
            )
        )
        if row is None and create:
            row = MonthlySummary(person_id=person_id, year=year, month=month)
            self.session.add(row)
            await self.session.flush()
        return row

    async def summary_to_put_right(self, person_id: int, year: int, month: int) -> MonthlySummary | None:
        """The latest summary before this month that was returned, or withdrawn after being submitted."""
        return await self.session.scalar(
            select(MonthlySummary)
            .where(
                MonthlySummary.person_id == person_id,
                (MonthlySummary.year * 12 + MonthlySummary.month) < year * 12 + month,
                (MonthlySummary.status == ReviewStatus.RETURNED)
                | ((MonthlySummary.status == ReviewStatus.DRAFT) & (MonthlySummary.submissions > 0)),
            )
            .order_by(MonthlySummary.year.desc(), MonthlySummary.month.desc())
        )

    async def recent_summaries(self, person_id: int, limit: int) -> list[MonthlySummary]:
        return list(
            (
                await self.session.scalars(
                    select(MonthlySummary)
                    .where(MonthlySummary.person_id == person_id)
                    .order_by(MonthlySummary.year.desc(), MonthlySummary.month.desc())
                    .limit(limit)
                )
            ).all()
        )

    async def summaries_done(self, year: int, month: int, statuses) -> set[int]:
        """Ids of the people whose summary of the month is in one of these statuses."""
        return {s.person_id for s in await self.month_summaries(year, month, statuses)}

    async def month_summaries(
        self, year: int, month: int, statuses: Collection[ReviewStatus]
    ) -> list[MonthlySummary]:
        """The month's summaries in one of these statuses."""
        return list(
            (
                await self.session.scalars(
                    select(MonthlySummary).where(
                        MonthlySummary.year == year,
                        MonthlySummary.month == month,
                        MonthlySummary.status.in_(statuses),
                    )
                )
            ).all()
        )

    async def quarter_docs(self, model: type, assessment_id: int, *, statuses=None) -> list[Any]:
        """A quarter's goals or registrations (optionally only those in these statuses)."""
        query = select(model).where(model.assessment_id == assessment_id)
        if statuses is not None:
            query = query.where(model.status.in_(statuses))
        return list((await self.session.scalars(query)).all())

    async def quarter_doc(self, model: type, assessment_id: int, person_id: int, *, create: bool = False):
        """One person's goal set or registration of a quarter."""
        row = await self.session.scalar(
            select(model).where(model.assessment_id == assessment_id, model.person_id == person_id)
        )
        if row is None and create:
            row = model(assessment_id=assessment_id, person_id=person_id)
            self.session.add(row)
            await self.session.flush()
        return row

    async def submitted_docs(self, model: type) -> list[Any]:
        return list(
            (await self.session.scalars(select(model).where(model.status == ReviewStatus.SUBMITTED))).all()
        )

    # --- items -------------------------------------------------------------------------------------

    async def item_texts(self, item_model: type, parent_field: str, doc_id: int) -> list[str]:
        parent = getattr(item_model, parent_field)
        rows = await self.session.scalars(
            select(item_model).where(parent == doc_id).order_by(item_model.position)
        )
        return [r.text for r in rows]

    async def item_count(self, item_model: type, parent_field: str, doc_id: int) -> int:
        return await self.count(item_model, getattr(item_model, parent_field) == doc_id)

    def append_items(
        self, item_model: type, parent_field: str, doc_id: int, texts: list[str], *, after: int
    ) -> None:
        """Stage items numbered on from position `after` (the count there already)."""
        for offset, text in enumerate(texts, start=1):
            self.session.add(item_model(**{parent_field: doc_id, "position": after + offset, "text": text}))

    async def clear_items(self, item_model: type, parent_field: str, doc_id: int) -> None:
        await self.session.execute(delete(item_model).where(getattr(item_model, parent_field) == doc_id))
        await self.session.flush()

    async def drop_last_item(self, item_model: type, parent_field: str, doc_id: int) -> None:
        parent = getattr(item_model, parent_field)
        last = await self.session.scalar(
            select(item_model).where(parent == doc_id).order_by(item_model.position.desc())
        )
        if last is not None:
            await self.session.delete(last)

    async def replace_item(
        self, item_model: type, parent_field: str, doc_id: int, position: int, text: str
    ) -> bool:
        """Put a new text in the item at this position; False when there is none."""
        parent = getattr(item_model, parent_field)
        row = await self.session.scalar(
            select(item_model).where(parent == doc_id, item_model.position == position)
        )
        if row is None:
            return False
        row.text = text
        await self.session.flush()
        return True

    async def delete_item(self, item_model: type, parent_field: str, doc_id: int, position: int) -> bool:
        """Delete the item at this position and number the later ones on from it; False when there is none."""
        parent = getattr(item_model, parent_field)
        rows = list(
            (
                await self.session.scalars(
                    select(item_model)
                    .where(parent == doc_id, item_model.position >= position)
                    .order_by(item_model.position)
                )
            ).all()
        )
        if not rows or rows[0].position != position:
            return False
        await self.session.delete(rows[0])
        await self.session.flush()
        for row in rows[1:]:  # one at a time, upwards: each moves into the place just freed
            row.position -= 1
            await self.session.flush()
        return True

    async def goal_items(self, goal_id: int) -> list[GoalItem]:
        return list(
            (
                await self.session.scalars(
                    select(GoalItem).where(GoalItem.goal_id == goal_id).order_by(GoalItem.position)
                )
            ).all()
        )

    async def set_goal_items(self, goal: Goal, items: list[tuple[str, int]]) -> None:
        for old in await self.goal_items(goal.id):
            await self.session.delete(old)
        await self.session.flush()
        for position, (name, points) in enumerate(items, start=1):
            self.session.add(GoalItem(goal_id=goal.id, position=position, name=name, max_points=points))
