"""The tables: every record SPEC names, with the unique keys the rules rely on."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from bot.rules.domain import (
    AssessmentStatus,
    BallotPart,
    BallotSource,
    BallotStatus,
    Category,
    ExemptionKind,
    LeaveKind,
    ObjectionStatus,
    OutboxStatus,
    OverrideKind,
    Phase,
    RaterAction,
    RaterGroup,
    ReviewStatus,
    Role,
    Tier,
)
from storage.types import ExactDecimal, UTCDateTime, enum_type


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _when(nullable: bool = False, default: bool = True):
    return Field(
        default_factory=utcnow if default else None,
        sa_type=UTCDateTime,
        sa_column_kwargs={"nullable": nullable},
    )


def _maybe_when():
    return Field(default=None, sa_type=UTCDateTime, nullable=True)


def _enum(enum_cls, **kwargs):
    return Field(sa_type=enum_type(enum_cls), **kwargs)


def _score():
    return Field(default=None, sa_type=ExactDecimal(9, 4), nullable=True)


def _text(length: int, **kwargs):
    return Field(sa_type=sa.String(length), **kwargs)


class Section(SQLModel, table=True):
    """A section of the bureau."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = _text(64, unique=True, index=True)
    created_at: dt.datetime = _when()


class Person(SQLModel, table=True):
    """A staff record with the header fields of Forms 1 and 2; leaders are persons too."""

    __table_args__ = (sa.UniqueConstraint("name", "birth_month", name="uq_person_identity"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = _text(32)
    gender: str = _text(4, default="")
    birth_month: dt.date  # the first of the month: the forms show year and month
    political_status: str = _text(32, default="")
    post_since: dt.date | None = None
    work_since: dt.date | None = None
    post_title: str = _text(64, default="")
    category: Category | None = _enum(Category, default=None, nullable=True)
    role: Role = _enum(Role)
    section_id: int | None = Field(default=None, foreign_key="section.id", nullable=True, index=True)
    probation_end: dt.date | None = None
    discipline_start: dt.date | None = None
    discipline_end: dt.date | None = None
    active: bool = True
    telegram_user_id: int | None = Field(default=None, sa_type=sa.BigInteger, unique=True, nullable=True)
    telegram_bound_at: dt.datetime | None = _maybe_when()
    unreachable_since: dt.datetime | None = _maybe_when()
    created_at: dt.datetime = _when()
    updated_at: dt.datetime = _when()

    @property
    def is_ratee(self) -> bool:
        """Rated this quarter: in post and not one of the bureau's leaders."""
        return self.active and not self.role.is_leader


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
    granted_at: dt.datetime = _when()
    revoked_at: dt.datetime | None = _maybe_when()


class Invite(SQLModel, table=True):
    """A one-time deep-link token binding a Telegram account to a staff record; only its hash is kept."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = _text(64, unique=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    created_by: int | None = Field(default=None, sa_type=sa.BigInteger, nullable=True)
    created_at: dt.datetime = _when()
    expires_at: dt.datetime = _when()
    used_at: dt.datetime | None = _maybe_when()
    used_by: int | None = Field(default=None, sa_type=sa.BigInteger, nullable=True)


class Assessment(SQLModel, table=True):
    """One quarter's assessment, a cycle with explicit statuses."""

    __table_args__ = (sa.UniqueConstraint("year", "quarter", name="uq_assessment_quarter"),)

    id: int | None = Field(default=None, primary_key=True)
    year: int
    quarter: int = Field(ge=1, le=4)
    status: AssessmentStatus = _enum(AssessmentStatus, default=AssessmentStatus.PREPARING)
    created_at: dt.datetime = _when()
    updated_at: dt.datetime = _when()


class PhaseWindow(SQLModel, table=True):
    """An admin's opening, extension or early close of one phase of a quarter."""

    __tablename__ = "phase_window"
    __table_args__ = (sa.UniqueConstraint("assessment_id", "phase", name="uq_phase_window"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id")
    phase: Phase = _enum(Phase)
    opens_at: dt.datetime | None = _maybe_when()
    closes_at: dt.datetime | None = _maybe_when()
    closed_at: dt.datetime | None = _maybe_when()


class RaterChange(SQLModel, table=True):
    """An admin's addition or removal of a rater for a ratee in one quarter."""

    __tablename__ = "rater_change"
    __table_args__ = (sa.UniqueConstraint("assessment_id", "rater_id", "ratee_id", name="uq_rater_change"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id")
    rater_id: int = Field(foreign_key="person.id")
    ratee_id: int = Field(foreign_key="person.id")
    action: RaterAction = _enum(RaterAction)
    changed_by: int | None = Field(default=None, sa_type=sa.BigInteger, nullable=True)
    changed_at: dt.datetime = _when()


class Goal(SQLModel, table=True):
    """A ratee's individual indicators for a quarter, approved by the supervisor."""

    __table_args__ = (sa.UniqueConstraint("assessment_id", "person_id", name="uq_goal"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id")
    person_id: int = Field(foreign_key="person.id")
    status: ReviewStatus = _enum(ReviewStatus, default=ReviewStatus.DRAFT)
    from_template: bool = True
    submissions: int = 0  # how many times it was submitted: a reviewer's buttons name one submission
    submitted_at: dt.datetime | None = _maybe_when()
    reviewer_id: int | None = Field(default=None, foreign_key="person.id", nullable=True)
    opinion: str | None = _text(500, default=None, nullable=True)
    reviewed_at: dt.datetime | None = _maybe_when()


class GoalItem(SQLModel, table=True):
    __tablename__ = "goal_item"
    __table_args__ = (
        sa.UniqueConstraint("goal_id", "position", name="uq_goal_item"),
        sa.CheckConstraint("max_points between 1 and 100", name="ck_goal_item_points"),
    )

    id: int | None = Field(default=None, primary_key=True)
    goal_id: int = Field(foreign_key="goal.id")
    position: int
    name: str = _text(40)
    max_points: int


class MonthlySummary(SQLModel, table=True):
    """Form 1: one person's itemized summary of one month and the direct leader's review."""

    __tablename__ = "monthly_summary"
    __table_args__ = (sa.UniqueConstraint("person_id", "year", "month", name="uq_monthly_summary"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    year: int
    month: int = Field(ge=1, le=12)
    status: ReviewStatus = _enum(ReviewStatus, default=ReviewStatus.DRAFT)
    submissions: int = 0  # how many times it was submitted: a reviewer's buttons name one submission
    submitted_at: dt.datetime | None = _maybe_when()
    reviewer_id: int | None = Field(default=None, foreign_key="person.id", nullable=True)
    opinion: str | None = _text(500, default=None, nullable=True)
    reviewed_at: dt.datetime | None = _maybe_when()
    remark: str | None = _text(500, default=None, nullable=True)


class SummaryItem(SQLModel, table=True):
    __tablename__ = "summary_item"
    __table_args__ = (sa.UniqueConstraint("summary_id", "position", name="uq_summary_item"),)

    id: int | None = Field(default=None, primary_key=True)
    summary_id: int = Field(foreign_key="monthly_summary.id")
    position: int
    text: str = _text(2000)


class Registration(SQLModel, table=True):
    """Form 2: a ratee's itemized achievements of a quarter, reviewed by the supervisor."""

    __table_args__ = (sa.UniqueConstraint("assessment_id", "person_id", name="uq_registration"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id")
    person_id: int = Field(foreign_key="person.id")
    status: ReviewStatus = _enum(ReviewStatus, default=ReviewStatus.DRAFT)
    submissions: int = 0  # how many times it was submitted: a reviewer's buttons name one submission
    submitted_at: dt.datetime | None = _maybe_when()
    reviewer_id: int | None = Field(default=None, foreign_key="person.id", nullable=True)
    opinion: str | None = _text(500, default=None, nullable=True)
    reviewed_at: dt.datetime | None = _maybe_when()
    remark: str | None = _text(500, default=None, nullable=True)


class RegistrationItem(SQLModel, table=True):
    __tablename__ = "registration_item"
    __table_args__ = (sa.UniqueConstraint("registration_id", "position", name="uq_registration_item"),)

    id: int | None = Field(default=None, primary_key=True)
    registration_id: int = Field(foreign_key="registration.id")
    position: int
    text: str = _text(2000)


class LeaveRecord(SQLModel, table=True):
    """Sick or personal leave, counted in working days towards exemption."""

    __tablename__ = "leave_record"
    __table_args__ = (sa.CheckConstraint("end_date >= start_date", name="ck_leave_order"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    kind: LeaveKind = _enum(LeaveKind)
    start_date: dt.date
    end_date: dt.date
    note: str | None = _text(200, default=None, nullable=True)
    recorded_by: int | None = Field(default=None, sa_type=sa.BigInteger, nullable=True)
    recorded_at: dt.datetime = _when()


class BallotRecord(SQLModel, table=True):
    """One rater's ballot on one ratee in one quarter: never two."""

    __tablename__ = "ballot"
    __table_args__ = (sa.UniqueConstraint("assessment_id", "rater_id", "ratee_id", name="uq_ballot"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    rater_id: int = Field(foreign_key="person.id")
    ratee_id: int = Field(foreign_key="person.id", index=True)
    rater_group: RaterGroup = _enum(RaterGroup)
    status: BallotStatus = _enum(BallotStatus, default=BallotStatus.DRAFT)
    source: BallotSource = _enum(BallotSource, default=BallotSource.CHAT)
    created_at: dt.datetime = _when()
    submitted_at: dt.datetime | None = _maybe_when()


class BallotItem(SQLModel, table=True):
    """Points for one item of a ballot; the item's name and maximum are kept with it."""

    __tablename__ = "ballot_item"
    __table_args__ = (
        sa.UniqueConstraint("ballot_id", "part", "position", name="uq_ballot_item"),
        sa.CheckConstraint("points is null or (points >= 0 and points <= max_points)", name="ck_points"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ballot_id: int = Field(foreign_key="ballot.id", index=True)
    part: BallotPart = _enum(BallotPart)
    position: int
    name: str = _text(40)
    max_points: int
    points: int | None = None


class Override(SQLModel, table=True):
    """A veto or an affirmation for a ratee in a quarter, with its ground and reason."""

    __table_args__ = (sa.UniqueConstraint("assessment_id", "person_id", "kind", name="uq_override"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id")
    person_id: int = Field(foreign_key="person.id")
    kind: OverrideKind = _enum(OverrideKind)
    ground: str = _text(32)
    reason: str = _text(500)
    recorded_by: int | None = Field(default=None, sa_type=sa.BigInteger, nullable=True)
    recorded_at: dt.datetime = _when()
    revoked_at: dt.datetime | None = _maybe_when()


class Exemption(SQLModel, table=True):
    """An admin's exemption (no tier) or excuse (for the annual linkage) of a ratee in a quarter."""

    __table_args__ = (sa.UniqueConstraint("assessment_id", "person_id", "kind", name="uq_exemption"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id")
    person_id: int = Field(foreign_key="person.id")
    kind: ExemptionKind = _enum(ExemptionKind)
    reason: str = _text(500)
    recorded_by: int | None = Field(default=None, sa_type=sa.BigInteger, nullable=True)
    recorded_at: dt.datetime = _when()
    revoked_at: dt.datetime | None = _maybe_when()


class ResultRecord(SQLModel, table=True):
    """A ratee's computed result of a quarter, and the tier confirmed by the leadership."""

    __tablename__ = "result"
    __table_args__ = (sa.UniqueConstraint("assessment_id", "person_id", name="uq_result"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    category: Category = _enum(Category)
    principal_score: Decimal | None = _score()
    supervisor_score: Decimal | None = _score()
    peer_score: Decimal | None = _score()
    principal_ballots: int = 0
    supervisor_ballots: int = 0
    peer_ballots: int = 0
    composite: Decimal | None = _score()
    exempt_reasons: str = _text(64, default="")
    override: OverrideKind | None = _enum(OverrideKind, default=None, nullable=True)
    score_tier: Tier | None = _enum(Tier, default=None, nullable=True)
    proposed_tier: Tier | None = _enum(Tier, default=None, nullable=True)
    final_tier: Tier | None = _enum(Tier, default=None, nullable=True)
    rank: int | None = None
    flags: str = _text(200, default="")
    computed_at: dt.datetime = _when()


class TierDecision(SQLModel, table=True):
    """The leadership's change of a proposed tier by the leadership group, with its reason."""

    __tablename__ = "tier_decision"
    __table_args__ = (sa.UniqueConstraint("assessment_id", "person_id", name="uq_tier_decision"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id")
    person_id: int = Field(foreign_key="person.id")
    tier: Tier = _enum(Tier)
    reason: str = _text(500)
    decided_by: int | None = Field(default=None, sa_type=sa.BigInteger, nullable=True)
    decided_at: dt.datetime = _when()


class Confirmation(SQLModel, table=True):
    """A recorded confirmation of a quarter's tiers; a new round follows an upheld objection."""

    __table_args__ = (sa.UniqueConstraint("assessment_id", "round", name="uq_confirmation"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id")
    round: int = 1
    confirmed_by: int | None = Field(default=None, sa_type=sa.BigInteger, nullable=True)
    confirmed_at: dt.datetime = _when()
    note: str | None = _text(500, default=None, nullable=True)


class Publicity(SQLModel, table=True):
    """A publicity notice in the bureau's group and its period."""

    __table_args__ = (sa.UniqueConstraint("assessment_id", "round", name="uq_publicity"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id")
    round: int = 1
    chat_id: int | None = Field(default=None, sa_type=sa.BigInteger, nullable=True)
    message_id: int | None = None
    posted_at: dt.datetime = _when()
    starts_on: dt.date
    ends_at: dt.datetime = _when(default=False)
    closed_at: dt.datetime | None = _maybe_when()


class Objection(SQLModel, table=True):
    """An objection during publicity; its author is seen by admins only."""

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    publicity_id: int | None = Field(default=None, foreign_key="publicity.id", nullable=True)
    author_person_id: int | None = Field(default=None, foreign_key="person.id", nullable=True)
    author_telegram_id: int | None = Field(default=None, sa_type=sa.BigInteger, nullable=True)
    text: str = _text(2000)
    created_at: dt.datetime = _when()
    status: ObjectionStatus = _enum(ObjectionStatus, default=ObjectionStatus.OPEN)
    resolution: str | None = _text(500, default=None, nullable=True)
    resolved_by: int | None = Field(default=None, sa_type=sa.BigInteger, nullable=True)
    resolved_at: dt.datetime | None = _maybe_when()


class Feedback(SQLModel, table=True):
    """A ratee's opinion on his own result; every answer is kept."""

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    text: str = _text(2000)
    created_at: dt.datetime = _when()


class OutboxMessage(SQLModel, table=True):
    """A message the bot sends on its own, written before it is sent; the key makes it once only."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    key: str = _text(200, unique=True)
    kind: str = _text(40)
    person_id: int | None = Field(default=None, foreign_key="person.id", nullable=True)
    chat_id: int = Field(sa_type=sa.BigInteger)
    text: str = Field(sa_type=sa.Text)
    reply_markup: str | None = Field(default=None, sa_type=sa.Text, nullable=True)
    status: OutboxStatus = _enum(OutboxStatus, default=OutboxStatus.PENDING)
    attempts: int = 0
    not_before: dt.datetime = _when()
    created_at: dt.datetime = _when()
    sent_at: dt.datetime | None = _maybe_when()
    message_id: int | None = None
    last_error: str | None = _text(500, default=None, nullable=True)


class AuditEntry(SQLModel, table=True):
    """Append-only record of everything that changes a result (triggers refuse UPDATE and DELETE)."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = _when()
    actor: str = _text(64)
    action: str = _text(40, index=True)
    assessment_id: int | None = Field(default=None, foreign_key="assessment.id", nullable=True)
    person_id: int | None = Field(default=None, foreign_key="person.id", nullable=True)
    details: str = Field(default="{}", sa_type=sa.Text)


class ProcessedUpdate(SQLModel, table=True):
    """Telegram update ids already handled, so a re-sent update changes nothing."""

    __tablename__ = "processed_update"

    update_id: int = Field(sa_type=sa.BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False})
    handled_at: dt.datetime = _when()


class CalendarCorrection(SQLModel, table=True):
    """A day an admin declared a working day or a holiday (the State Council's schedule)."""

    __tablename__ = "calendar_correction"

    day: dt.date = Field(primary_key=True)
    is_workday: bool
    note: str | None = _text(100, default=None, nullable=True)
    entered_by: int | None = Field(default=None, sa_type=sa.BigInteger, nullable=True)
    entered_at: dt.datetime = _when()


class ButtonRecord(SQLModel, table=True):
    """An inline button's server-side meaning: callback data carry only this short opaque token."""

    __tablename__ = "button"

    token: str = Field(sa_type=sa.String(16), primary_key=True)
    kind: str = _text(32)
    owner_id: int | None = Field(default=None, sa_type=sa.BigInteger, nullable=True, index=True)
    payload: str = Field(default="{}", sa_type=sa.Text)
    created_at: dt.datetime = _when()
    expires_at: dt.datetime | None = _maybe_when()
    used_at: dt.datetime | None = _maybe_when()


class ChatState(SQLModel, table=True):
    """What a user's next free text means (items of a summary, an opinion...); survives restarts."""

    __tablename__ = "chat_state"

    telegram_user_id: int = Field(
        sa_type=sa.BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    mode: str = _text(32)
    payload: str = Field(default="{}", sa_type=sa.Text)
    updated_at: dt.datetime = _when()


class BotSetting(SQLModel, table=True):
    """Values set in chat rather than in the settings file (the bureau's group chat)."""

    __tablename__ = "bot_setting"

    key: str = Field(sa_type=sa.String(64), primary_key=True)
    value: str = Field(sa_type=sa.Text)
    updated_by: int | None = Field(default=None, sa_type=sa.BigInteger, nullable=True)
    updated_at: dt.datetime = _when()
