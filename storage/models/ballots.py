"""Ballots with their items, and the stored results of a quarter."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from bot.rules.domain import BallotPart, BallotSource, BallotStatus, Category, OverrideKind, RaterGroup, Tier
from storage.models.fields import enum_field, maybe_when, score_field, text_field, when


class BallotRecord(SQLModel, table=True):
    """One rater's ballot on one ratee in one quarter: never two."""

    __tablename__ = "ballot"
    __table_args__ = (sa.UniqueConstraint("assessment_id", "rater_id", "ratee_id", name="uq_ballot"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    rater_id: int = Field(foreign_key="person.id")
    ratee_id: int = Field(foreign_key="person.id", index=True)
    rater_group: RaterGroup = enum_field(RaterGroup)
    status: BallotStatus = enum_field(BallotStatus, default=BallotStatus.DRAFT)
    source: BallotSource = enum_field(BallotSource, default=BallotSource.CHAT)
    created_at: dt.datetime = when()
    submitted_at: dt.datetime | None = maybe_when()
    # in the results: set when a computation admits the submitted ballot, never cleared (SPEC 4: any two
    # results shown differ by no peer ballot or by at least min_peer_ballots)
    counted: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})


class BallotItem(SQLModel, table=True):
    """Points for one item of a ballot; the item's name and maximum are kept with it."""

    __tablename__ = "ballot_item"
    __table_args__ = (
        sa.UniqueConstraint("ballot_id", "part", "position", name="uq_ballot_item"),
        sa.CheckConstraint("points is null or (points >= 0 and points <= max_points)", name="ck_points"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ballot_id: int = Field(foreign_key="ballot.id", index=True)
    part: BallotPart = enum_field(BallotPart)
    position: int
    name: str = text_field(40)
    max_points: int
    points: int | None = None


class ResultRecord(SQLModel, table=True):
    """A ratee's computed result of a quarter, and the tier confirmed by the leadership."""

    __tablename__ = "result"
    __table_args__ = (sa.UniqueConstraint("assessment_id", "person_id", name="uq_result"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    category: Category = enum_field(Category)
    principal_score: Decimal | None = score_field()
    supervisor_score: Decimal | None = score_field()
    peer_score: Decimal | None = score_field()
    principal_ballots: int = 0
    supervisor_ballots: int = 0
    peer_ballots: int = 0
    composite: Decimal | None = score_field()
    exempt_reasons: str = text_field(64, default="")
    override: OverrideKind | None = enum_field(OverrideKind, default=None, nullable=True)
    score_tier: Tier | None = enum_field(Tier, default=None, nullable=True)
    proposed_tier: Tier | None = enum_field(Tier, default=None, nullable=True)
    final_tier: Tier | None = enum_field(Tier, default=None, nullable=True)
    rank: int | None = None
    flags: str = text_field(200, default="")
    computed_at: dt.datetime = when()
