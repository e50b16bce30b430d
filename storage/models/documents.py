"""Staff's documents: goals, monthly summaries and quarterly registrations, with their items."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from bot.rules.domain import ReviewStatus
from storage.models.fields import enum_field, maybe_when, text_field


class Goal(SQLModel, table=True):
    """A ratee's individual indicators for a quarter, approved by the supervisor."""

    __table_args__ = (sa.UniqueConstraint("assessment_id", "person_id", name="uq_goal"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id")
    person_id: int = Field(foreign_key="person.id")
    status: ReviewStatus = enum_field(ReviewStatus, default=ReviewStatus.DRAFT)
    from_template: bool = True
    submissions: int = 0  # how many times it was submitted: a reviewer's buttons name one submission
    submitted_at: dt.datetime | None = maybe_when()
    reviewer_id: int | None = Field(default=None, foreign_key="person.id", nullable=True)
    opinion: str | None = text_field(500, default=None, nullable=True)
    reviewed_at: dt.datetime | None = maybe_when()
    # the items the supervisor approved, as JSON [[name, points], ...], kept in force while a change of
    # them is under review or was returned (the goal's own items are then the proposal)
    approved_items: str | None = text_field(2000, default=None, nullable=True)


class GoalItem(SQLModel, table=True):
    __tablename__ = "goal_item"
    __table_args__ = (
        sa.UniqueConstraint("goal_id", "position", name="uq_goal_item"),
        sa.CheckConstraint("max_points between 1 and 100", name="ck_goal_item_points"),
    )

    id: int | None = Field(default=None, primary_key=True)
    goal_id: int = Field(foreign_key="goal.id")
    position: int
    name: str = text_field(40)
    max_points: int


class MonthlySummary(SQLModel, table=True):
    """Form 1: one person's itemized summary of one month and the direct leader's review."""

    __tablename__ = "monthly_summary"
    __table_args__ = (sa.UniqueConstraint("person_id", "year", "month", name="uq_monthly_summary"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    year: int
    month: int = Field(ge=1, le=12)
    status: ReviewStatus = enum_field(ReviewStatus, default=ReviewStatus.DRAFT)
    submissions: int = 0  # how many times it was submitted: a reviewer's buttons name one submission
    submitted_at: dt.datetime | None = maybe_when()
    reviewer_id: int | None = Field(default=None, foreign_key="person.id", nullable=True)
    opinion: str | None = text_field(500, default=None, nullable=True)
    reviewed_at: dt.datetime | None = maybe_when()
    remark: str | None = text_field(500, default=None, nullable=True)
    # first handed in after its deadline: late work is accepted until the month closes
    late: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})


class SummaryItem(SQLModel, table=True):
    __tablename__ = "summary_item"
    __table_args__ = (sa.UniqueConstraint("summary_id", "position", name="uq_summary_item"),)

    id: int | None = Field(default=None, primary_key=True)
    summary_id: int = Field(foreign_key="monthly_summary.id")
    position: int
    text: str = text_field(2000)


class Registration(SQLModel, table=True):
    """Form 2: a ratee's itemized achievements of a quarter, reviewed by the supervisor."""

    __table_args__ = (sa.UniqueConstraint("assessment_id", "person_id", name="uq_registration"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id")
    person_id: int = Field(foreign_key="person.id")
    status: ReviewStatus = enum_field(ReviewStatus, default=ReviewStatus.DRAFT)
    submissions: int = 0  # how many times it was submitted: a reviewer's buttons name one submission
    submitted_at: dt.datetime | None = maybe_when()
    reviewer_id: int | None = Field(default=None, foreign_key="person.id", nullable=True)
    opinion: str | None = text_field(500, default=None, nullable=True)
    reviewed_at: dt.datetime | None = maybe_when()
    remark: str | None = text_field(500, default=None, nullable=True)
    # the ratee changed the items himself: they no longer follow the approved monthly summaries
    edited: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})


class RegistrationItem(SQLModel, table=True):
    __tablename__ = "registration_item"
    __table_args__ = (sa.UniqueConstraint("registration_id", "position", name="uq_registration_item"),)

    id: int | None = Field(default=None, primary_key=True)
    registration_id: int = Field(foreign_key="registration.id")
    position: int
    text: str = text_field(2000)
