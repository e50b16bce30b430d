"""The records' reads: what the two forms, the filing workbooks and the charts read besides the cycle's rows.

Read-only queries across the documents and the cycle; the records decide which statuses count as filed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Sequence

from sqlalchemy import func, select

from bot.rules.domain import ReviewStatus
from storage.models import Confirmation, MonthlySummary
from storage.repository.base import RepositoryBase


class RecordQueries(RepositoryBase):
    """Reads for the records: a month's summaries, documents' item texts in bulk, confirmation times."""

    async def summary_times(
        self, year: int, month: int, statuses: Collection[ReviewStatus]
    ) -> list[dt.datetime]:
        """When each of the month's summaries in one of these statuses was submitted, earliest first."""
        rows = await self.session.scalars(
            select(MonthlySummary.submitted_at).where(
                MonthlySummary.year == year,
                MonthlySummary.month == month,
                MonthlySummary.status.in_(statuses),
                MonthlySummary.submitted_at.is_not(None),
            )
        )
        return sorted(rows.all())

    async def summary_months(self, statuses: Collection[ReviewStatus], limit: int) -> list[tuple[int, int]]:
        """The latest (year, month)s with a summary in one of these statuses, newest first."""
        rows = (
            await self.session.execute(
                select(MonthlySummary.year, MonthlySummary.month)
                .where(MonthlySummary.status.in_(statuses))
                .group_by(MonthlySummary.year, MonthlySummary.month)
                .order_by(MonthlySummary.year.desc(), MonthlySummary.month.desc())
                .limit(limit)
            )
        ).all()
        return [(int(y), int(m)) for y, m in rows]

    async def item_texts_of(
        self, item_model: type, parent_field: str, parent_ids: Sequence[int]
    ) -> dict[int, tuple[str, ...]]:
        """The item texts of many documents at once, in order, by document id (none: not there)."""
        found: dict[int, list[tuple[int, str]]] = defaultdict(list)
        if parent_ids:
            parent = getattr(item_model, parent_field)
            for row in (await self.session.scalars(select(item_model).where(parent.in_(parent_ids)))).all():
                found[getattr(row, parent_field)].append((row.position, row.text))
        return {key: tuple(text for _p, text in sorted(values)) for key, values in found.items()}

    async def last_confirmed_at(self, assessment_id: int) -> dt.datetime | None:
        """When the leadership last confirmed the quarter's tiers."""
        return await self.session.scalar(
            select(func.max(Confirmation.confirmed_at)).where(Confirmation.assessment_id == assessment_id)
        )
