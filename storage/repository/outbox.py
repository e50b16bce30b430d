"""Outbox and buttons: messages the bot owes, server-side buttons, input modes and the updates handled."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update

from bot.rules.domain import OutboxStatus
from storage.models import ButtonRecord, ChatState, OutboxMessage, ProcessedUpdate, utcnow
from storage.repository.base import RepositoryBase


class OutboxQueries(RepositoryBase):
    """The outbox-and-buttons aggregate."""

    async def queue_message(self, row: OutboxMessage) -> bool:
        """Queue a message once per key: False when its key is already in the outbox."""
        exists = await self.session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == row.key))
        if exists is not None:
            return False
        self.session.add(row)
        return True

    async def outbox_keys(self, keys: list[str]) -> set[str]:
        """Which of these keys are in the outbox already."""
        return set(await self.session.scalars(select(OutboxMessage.key).where(OutboxMessage.key.in_(keys))))

    async def mark_handled(self, update_id: int) -> None:
        """Record an update as handled in this transaction: a copy of it collides on the key, rolls back."""
        self.session.add(ProcessedUpdate(update_id=update_id))
        await self.session.flush()

    # --- buttons -----------------------------------------------------------------------------------

    def add_button(self, record: ButtonRecord) -> None:
        self.session.add(record)

    async def button(self, token: str) -> ButtonRecord | None:
        return await self.session.get(ButtonRecord, token)

    async def use_button(self, token: str, now: dt.datetime) -> bool:
        """Mark a one-time button used, atomically: of two concurrent presses exactly one gets True.

        The conditional UPDATE makes the second wait for the first to commit and then match no row
        (PostgreSQL's read committed re-checks the condition); on SQLite the turns are serialized anyway.
        """
        done = await self.session.execute(
            update(ButtonRecord)
            .where(ButtonRecord.token == token, ButtonRecord.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        return done.rowcount == 1

    async def set_button_payload(self, token: str, payload: str) -> None:
        """Replace what a button carries (a confirmation done keeps its outcome, to show it again)."""
        await self.session.execute(
            update(ButtonRecord)
            .where(ButtonRecord.token == token)
            .values(payload=payload)
            .execution_options(synchronize_session=False)
        )

    # --- input modes -------------------------------------------------------------------------------

    async def chat_state(self, telegram_user_id: int, *, lock: bool = False) -> ChatState | None:
        """A user's input mode; `lock` re-reads it under a row lock (a second text at the same moment waits,
        then reads the mode the first left, or none)."""
        if not lock:
            return await self.session.get(ChatState, telegram_user_id)
        return await self.session.get(
            ChatState, telegram_user_id, with_for_update=True, populate_existing=True
        )

    async def set_chat_state(self, telegram_user_id: int, mode: str, payload: str) -> None:
        state = await self.session.get(ChatState, telegram_user_id)
        if state is None:
            self.session.add(ChatState(telegram_user_id=telegram_user_id, mode=mode, payload=payload))
        elif state.mode != mode or state.payload != payload:
            state.mode, state.payload, state.updated_at = mode, payload, utcnow()

    async def clear_chat_state(self, telegram_user_id: int) -> None:
        state = await self.session.get(ChatState, telegram_user_id)
        if state is not None:
            await self.session.delete(state)

    # --- the sender's side -------------------------------------------------------------------------

    async def pending_messages(self, now: dt.datetime, limit: int) -> list[OutboxMessage]:
        """Messages due now, oldest first."""
        rows = await self.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.not_before <= now)
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
        return list(rows.all())

    async def earliest_pending(self) -> dt.datetime | None:
        """When the earliest pending message may go (a retry's back-off)."""
        return await self.session.scalar(
            select(func.min(OutboxMessage.not_before)).where(OutboxMessage.status == OutboxStatus.PENDING)
        )

    async def due_backlog(self, now: dt.datetime) -> tuple[int, dt.datetime | None]:
        """How many messages are due and unsent, and since when the oldest of them (the health check)."""
        due = (OutboxMessage.status == OutboxStatus.PENDING) & (OutboxMessage.not_before <= now)
        count, oldest = (
            await self.session.execute(
                select(func.count(), func.min(OutboxMessage.not_before)).select_from(OutboxMessage).where(due)
            )
        ).one()
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=dt.UTC)
        return count, oldest

    async def revive_unreachable(self, kinds: tuple[str, ...], chat_id: int | None = None) -> int:
        """Messages of these kinds marked unreachable go again: those to `chat_id` (he has opened the
        chat since), or, without one, those to any chat a later message reached. Returns how many."""
        rows = list(
            (
                await self.session.scalars(
                    select(OutboxMessage).where(
                        OutboxMessage.status == OutboxStatus.UNREACHABLE,
                        OutboxMessage.kind.in_(kinds),
                        *([OutboxMessage.chat_id == chat_id] if chat_id is not None else []),
                    )
                )
            ).all()
        )
        revived = 0
        for row in rows:
            if chat_id is None:
                later = await self.session.scalar(
                    select(OutboxMessage.id).where(
                        OutboxMessage.chat_id == row.chat_id,
                        OutboxMessage.status == OutboxStatus.SENT,
                        OutboxMessage.id > row.id,
                    )
                )
                if later is None:
                    continue
            row.status, row.not_before, row.last_error = OutboxStatus.PENDING, utcnow(), None
            revived += 1
        return revived

    async def pending_count(self) -> int:
        return await self.count(OutboxMessage, OutboxMessage.status == OutboxStatus.PENDING)

    async def messages(self) -> list[OutboxMessage]:
        """The whole outbox in the order it was written (the demo and the tests read it)."""
        return list((await self.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())

    async def first_text_of_kind(self, kind: str) -> str | None:
        return await self.session.scalar(
            select(OutboxMessage.text).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        )
