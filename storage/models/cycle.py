"""The cycle: quarters, phase windows, admins' inputs, the leadership's decisions, publicity, objections."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from bot.rules.domain import (
    AssessmentStatus,
    ExemptionKind,
    LeaveKind,
    ObjectionStatus,
    OverrideKind,
    Phase,
    Quarter,
    RaterAction,
    Tier,
)
from storage.models.fields import enum_field, maybe_when, text_field, when


class Assessment(SQLModel, table=True):
    """One quarter's assessment, a cycle with explicit statuses."""

    __table_args__ = (sa.UniqueConstraint("year", "quarter", name="uq_assessment_quarter"),)

    id: int | None = Field(default=None, primary_key=True)
    year: int
    quarter: int = Field(ge=1, le=4)
    status: AssessmentStatus = enum_field(AssessmentStatus, default=AssessmentStatus.PREPARING)
    created_at: dt.datetime = when()
    updated_at: dt.datetime = when()

    @property
    def period(self) -> Quarter:
        """The quarter this assessment is of (2026Q3), as the rules and the texts name it."""
        return Quarter(self.year, self.quarter)


class PhaseWindow(SQLModel, table=True):
    """An admin's opening, extension or early close of one phase of a quarter."""

    __tablename__ = "phase_window"
    __table_args__ = (sa.UniqueConstraint("assessment_id", "phase", name="uq_phase_window"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id")
    phase: Phase = enum_field(Phase)
    opens_at: dt.datetime | None = maybe_when()
    closes_at: dt.datetime | None = maybe_when()
    closed_at: dt.datetime | None = maybe_when()


class RaterChange(SQLModel, table=True):
    """An admin's addition or removal of a rater for a ratee in one quarter."""

    __tablename__ = "rater_change"
    __table_args__ = (sa.UniqueConstraint("assessment_id", "rater_id", "ratee_id", name="uq_rater_change"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id")
    rater_id: int = Field(foreign_key="person.id")
    ratee_id: int = Field(foreign_key="person.id")
    action: RaterAction = enum_field(RaterAction)
    changed_by: int | None = Field(default=None, sa_type=sa.BigInteger, nullable=True)
    changed_at: dt.datetime = when()


class LeaveRecord(SQLModel, table=True):
    """Sick or personal leave, counted in working days towards exemption."""

    __tablename__ = "leave_record"
    __table_args__ = (sa.CheckConstraint("end_date >= start_date", name="ck_leave_order"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    kind: LeaveKind = enum_field(LeaveKind)
    start_date: dt.date
    end_date: dt.date
    note: str | None = text_field(200, default=None, nullable=True)
    recorded_by: int | None = Field(default=None, sa_type=sa.BigInteger, nullable=True)
    recorded_at: dt.datetime = when()


class Override(SQLModel, table=True):
    """A veto or an affirmation for a ratee in a quarter, with its ground and reason."""

    __table_args__ = (sa.UniqueConstraint("assessment_id", "person_id", "kind", name="uq_override"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id")
    person_id: int = Field(foreign_key="person.id")
    kind: OverrideKind = enum_field(OverrideKind)
    ground: str = text_field(32)
    reason: str = text_field(500)
    recorded_by: int | None = Field(default=None, sa_type=sa.BigInteger, nullable=True)
    recorded_at: dt.datetime = when()
    revoked_at: dt.datetime | None = maybe_when()


class Exemption(SQLModel, table=True):
    """An admin's exemption (no tier) or excuse (for the annual linkage) of a ratee in a quarter."""

    __table_args__ = (sa.UniqueConstraint("assessment_id", "person_id", "kind", name="uq_exemption"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id")
    person_id: int = Field(foreign_key="person.id")
    kind: ExemptionKind = enum_field(ExemptionKind)
    reason: str = text_field(500)
    recorded_by: int | None = Field(default=None, sa_type=sa.BigInteger, nullable=True)
    recorded_at: dt.datetime = when()
    revoked_at: dt.datetime | None = maybe_when()


class TierDecision(SQLModel, table=True):
    """The leadership's change of a proposed tier by the leadership group, with its reason."""

    __tablename__ = "tier_decision"
    __table_args__ = (sa.UniqueConstraint("assessment_id", "person_id", name="uq_tier_decision"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id")
    person_id: int = Field(foreign_key="person.id")
    tier: Tier = enum_field(Tier)
    reason: str = text_field(500)
    decided_by: int | None = Field(default=None, sa_type=sa.BigInteger, nullable=True)
    decided_at: dt.datetime = when()


class Confirmation(SQLModel, table=True):
    """A recorded confirmation of a quarter's tiers; a new round follows an upheld objection."""

    __table_args__ = (sa.UniqueConstraint("assessment_id", "round", name="uq_confirmation"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id")
    round: int = 1
    confirmed_by: int | None = Field(default=None, sa_type=sa.BigInteger, nullable=True)
    confirmed_at: dt.datetime = when()
    note: str | None = text_field(500, default=None, nullable=True)


class Publicity(SQLModel, table=True):
    """A publicity notice in the bureau's group and its period."""

    __table_args__ = (sa.UniqueConstraint("assessment_id", "round", name="uq_publicity"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id")
    round: int = 1
    chat_id: int | None = Field(default=None, sa_type=sa.BigInteger, nullable=True)
    message_id: int | None = None
    posted_at: dt.datetime = when()
    starts_on: dt.date
    ends_at: dt.datetime = when(default=False)
    closed_at: dt.datetime | None = maybe_when()


class Objection(SQLModel, table=True):
    """An objection during publicity; its author is seen by admins only."""

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    publicity_id: int | None = Field(default=None, foreign_key="publicity.id", nullable=True)
    author_person_id: int | None = Field(default=None, foreign_key="person.id", nullable=True)
    author_telegram_id: int | None = Field(default=None, sa_type=sa.BigInteger, nullable=True)
    text: str = text_field(2000)
    created_at: dt.datetime = when()
    status: ObjectionStatus = enum_field(ObjectionStatus, default=ObjectionStatus.OPEN)
    resolution: str | None = text_field(500, default=None, nullable=True)
    resolved_by: int | None = Field(default=None, sa_type=sa.BigInteger, nullable=True)
    resolved_at: dt.datetime | None = maybe_when()


class Feedback(SQLModel, table=True):
    """A ratee's opinion on his own result; every answer is kept."""

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    text: str = text_field(2000)
    created_at: dt.datetime = when()


class CalendarCorrection(SQLModel, table=True):
    """A day an admin declared a working day or a holiday (the State Council's schedule)."""

    __tablename__ = "calendar_correction"

    day: dt.date = Field(primary_key=True)
    is_workday: bool
    note: str | None = text_field(100, default=None, nullable=True)
    entered_by: int | None = Field(default=None, sa_type=sa.BigInteger, nullable=True)
    entered_at: dt.datetime = when()


class BotSetting(SQLModel, table=True):
    """Values set in chat rather than in the settings file (the bureau's group chat)."""

    __tablename__ = "bot_setting"

    key: str = Field(sa_type=sa.String(64), primary_key=True)
    value: str = Field(sa_type=sa.Text)
    updated_by: int | None = Field(default=None, sa_type=sa.BigInteger, nullable=True)
    updated_at: dt.datetime = when()
