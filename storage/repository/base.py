"""The repository's common part: the session it works in, the audit log, and replacing an admin's record."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry


class RepositoryBase:
    """Queries and writes over one session (one transaction)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def dialect(self) -> str:
        """The database's dialect name: "sqlite" or "postgresql"."""
        return self.session.get_bind().dialect.name

    async def flush(self) -> None:
        await self.session.flush()

    async def rollback(self) -> None:
        """Undo everything of this transaction (a dry run)."""
        await self.session.rollback()

    def add(self, row: Any) -> Any:
        """Stage a new row in this transaction."""
        self.session.add(row)
        return row

    async def delete(self, row: Any) -> None:
        await self.session.delete(row)

    async def get(self, model: type, key: Any, *, for_update: bool = False) -> Any:
        """A row by its primary key; `for_update` locks it until the transaction ends (PostgreSQL)."""
        return await self.session.get(model, key, with_for_update=for_update or None)

    async def lock(self, row: Any) -> None:
        """Re-read a row and lock it until the transaction ends: concurrent writers of it wait."""
        await self.session.refresh(row, with_for_update=True)

    async def serialize(self, name: str) -> None:
        """Take the lock called `name` until the transaction ends, for a step with no one row to lock:
        a second transaction taking it waits, then reads what the first committed (PostgreSQL's advisory
        lock; SQLite runs the bot's turns one at a time anyway)."""
        if self.dialect == "postgresql":
            await self.session.execute(select(func.pg_advisory_xact_lock(func.hashtext(name))))

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

    async def count(self, model: type, *where: Any) -> int:
        query = select(func.count()).select_from(model)
        if where:
            query = query.where(*where)
        return int(await self.session.scalar(query) or 0)
