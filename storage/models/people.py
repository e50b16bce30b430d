"""People and roles: sections, the roster, supervision, admins and invites."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from bot.rules.domain import Category, Role
from storage.models.fields import enum_field, maybe_when, text_field, when


class Section(SQLModel, table=True):
    """A section of the bureau."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = text_field(64, unique=True, index=True)
    created_at: dt.datetime = when()


class Person(SQLModel, table=True):
    """A staff record with the header fields of Forms 1 and 2; leaders are persons too."""

    __table_args__ = (sa.UniqueConstraint("name", "birth_month", name="uq_person_identity"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = text_field(32)
    gender: str = text_field(4, default="")
    birth_month: dt.date  # the first of the month: the forms show year and month
    political_status: str = text_field(32, default="")
    post_since: dt.date | None = None
    work_since: dt.date | None = None
    post_title: str = text_field(64, default="")
    category: Category | None = enum_field(Category, default=None, nullable=True)
    role: Role = enum_field(Role)
    section_id: int | None = Field(default=None, foreign_key="section.id", nullable=True, index=True)
    probation_end: dt.date | None = None
    discipline_start: dt.date | None = None
    discipline_end: dt.date | None = None
    active: bool = True
    telegram_user_id: int | None = Field(default=None, sa_type=sa.BigInteger, unique=True, nullable=True)
    telegram_bound_at: dt.datetime | None = maybe_when()
    unreachable_since: dt.datetime | None = maybe_when()
    created_at: dt.datetime = when()
    updated_at: dt.datetime = when()

    @property
    def is_ratee(self) -> bool:
        """Rated this quarter: in post and not one of the bureau's leaders."""
        return self.active and not self.role.is_bureau_leader


class SectionSupervisor(SQLModel, table=True):
    """A leader in charge of a section (a supervisor)."""

    __tablename__ = "section_supervisor"

    section_id: int = Field(foreign_key="section.id", primary_key=True)
    person_id: int = Field(foreign_key="person.id", primary_key=True)


class Admin(SQLModel, table=True):
    """A member of the supervision section allowed to run the assessment."""

    id: int | None = Field(default=None, primary_key=True)
    telegram_user_id: int = Field(sa_type=sa.BigInteger, unique=True)
    person_id: int | None = Field(default=None, foreign_key="person.id", nullable=True)
    granted_by: int | None = Field(default=None, sa_type=sa.BigInteger, nullable=True)
    granted_at: dt.datetime = when()
    revoked_at: dt.datetime | None = maybe_when()


class Invite(SQLModel, table=True):
    """A one-time deep-link token binding a Telegram account to a staff record; only its hash is kept."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = text_field(64, unique=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    created_by: int | None = Field(default=None, sa_type=sa.BigInteger, nullable=True)
    created_at: dt.datetime = when()
    expires_at: dt.datetime = when()
    used_at: dt.datetime | None = maybe_when()
    used_by: int | None = Field(default=None, sa_type=sa.BigInteger, nullable=True)
