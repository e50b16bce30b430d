"""The bot's own records: the outbox, the audit log, handled updates, buttons and input modes."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from bot.rules.domain import OutboxStatus
from storage.models.fields import enum_field, maybe_when, text_field, when


class OutboxMessage(SQLModel, table=True):
    """A message the bot sends on its own, written before it is sent; the key makes it once only."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    key: str = text_field(200, unique=True)
    kind: str = text_field(40)
    person_id: int | None = Field(default=None, foreign_key="person.id", nullable=True)
    chat_id: int = Field(sa_type=sa.BigInteger)
    text: str = Field(sa_type=sa.Text)
    reply_markup: str | None = Field(default=None, sa_type=sa.Text, nullable=True)
    status: OutboxStatus = enum_field(OutboxStatus, default=OutboxStatus.PENDING)
    attempts: int = 0
    parts_sent: int = 0  # of a long text sent as several messages: how many went (a retry goes on)
    not_before: dt.datetime = when()
    created_at: dt.datetime = when()
    sent_at: dt.datetime | None = maybe_when()
    message_id: int | None = None
    last_error: str | None = text_field(500, default=None, nullable=True)


class AuditEntry(SQLModel, table=True):
    """Append-only record of everything that changes a result (triggers refuse UPDATE and DELETE)."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = when()
    actor: str = text_field(64)
    action: str = text_field(40, index=True)
    assessment_id: int | None = Field(default=None, foreign_key="assessment.id", nullable=True)
    person_id: int | None = Field(default=None, foreign_key="person.id", nullable=True)
    details: str = Field(default="{}", sa_type=sa.Text)


class ProcessedUpdate(SQLModel, table=True):
    """Telegram update ids already handled, so a re-sent update changes nothing."""

    __tablename__ = "processed_update"

    update_id: int = Field(sa_type=sa.BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False})
    handled_at: dt.datetime = when()


class ButtonRecord(SQLModel, table=True):
    """An inline button's server-side meaning: callback data carry only this short opaque token."""

    __tablename__ = "button"

    token: str = Field(sa_type=sa.String(16), primary_key=True)
    kind: str = text_field(32)
    owner_id: int | None = Field(default=None, sa_type=sa.BigInteger, nullable=True, index=True)
    payload: str = Field(default="{}", sa_type=sa.Text)
    created_at: dt.datetime = when()
    expires_at: dt.datetime | None = maybe_when()
    used_at: dt.datetime | None = maybe_when()


class ChatState(SQLModel, table=True):
    """What a user's next free text means (items of a summary, an opinion...); survives restarts."""

    __tablename__ = "chat_state"

    telegram_user_id: int = Field(
        sa_type=sa.BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    mode: str = text_field(32)
    payload: str = Field(default="{}", sa_type=sa.Text)
    updated_at: dt.datetime = when()
