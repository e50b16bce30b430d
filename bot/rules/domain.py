"""Plain value types shared by the rules, the storage and the handlers."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum


class Category(StrEnum):
    """Staff category: the quota and the filing are per category."""

    CIVIL_SERVANT = "civil_servant"
    INSTITUTION = "institution"


class Role(StrEnum):
    """What a person is in the bureau; the role picks the individual-indicator template."""

    PRINCIPAL = "principal"
    SUPERVISOR = "supervisor"
    SECTION_HEAD = "section_head"
    WINDOW_STAFF = "window_staff"
    STAFF = "staff"

    @property
    def is_bureau_leader(self) -> bool:
        """The bureau's leadership (the principal and the supervisors): they rate and are not rated."""
        return self in (Role.PRINCIPAL, Role.SUPERVISOR)


class RaterGroup(StrEnum):
    """The three weighted groups of raters."""

    PRINCIPAL = "principal"
    SUPERVISOR = "supervisor"
    PEER = "peer"


class Tier(StrEnum):
    """Quarterly tiers, best first."""

    GOOD = "good"
    FAIR = "fair"
    AVERAGE = "average"
    POOR = "poor"


class OverrideKind(StrEnum):
    """Veto and affirmation: overrides to POOR and GOOD."""

    VETO = "veto"
    AFFIRMATION = "affirmation"


class ExemptReason(StrEnum):
    """Why a ratee gets a comment and no tier."""

    PROBATION = "probation"
    LEAVE = "leave"
    DISCIPLINE = "discipline"
    ADMIN = "admin"


class Flag(StrEnum):
    """Things the admins must see; the blocking ones stop confirmation."""

    MISSING_GROUP = "missing_group"
    FEW_PEERS = "few_peers"
    NO_BALLOTS = "no_ballots"
    VETO_AND_AFFIRMATION = "veto_and_affirmation"
    OVERRIDE_ON_EXEMPT = "override_on_exempt"
    QUOTA_TIE = "quota_tie"
    AFFIRMATIONS_OVER_QUOTA = "affirmations_over_quota"
    QUOTA_CUT = "quota_cut"

    @property
    def blocks_confirmation(self) -> bool:
        return self in BLOCKING_FLAGS


BLOCKING_FLAGS = frozenset({Flag.NO_BALLOTS, Flag.QUOTA_TIE, Flag.AFFIRMATIONS_OVER_QUOTA})


class AnnualRecommendation(StrEnum):
    """The annual linkage's outcome for the annual assessment."""

    PRIORITY_EXCELLENT = "priority_excellent"
    NOT_EXCELLENT = "not_excellent"
    BASIC = "basic"
    INCOMPETENT = "incompetent"
    NONE = "none"


_QUARTER_RE = re.compile(r"^\s*([0-9]{4})\s*[-_ ]?\s*[Qq]([1-4])\s*$")


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter, written 2026Q3."""

    year: int
    number: int

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise ValueError(f"quarter number must be 1..4, got {self.number}")

    @classmethod
    def parse(cls, text: str) -> Quarter:
        match = _QUARTER_RE.match(text)
        if not match:
            raise ValueError(f"not a quarter like 2026Q3: {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def containing(cls, day: dt.date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> dt.date:
        return self.next().first_day - dt.timedelta(days=1)

    @property
    def months(self) -> tuple[int, int, int]:
        first = 3 * self.number - 2
        return (first, first + 1, first + 2)

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"


class LeaveKind(StrEnum):
    """The leave that counts towards exemption: sick and personal leave."""

    SICK = "sick"
    PERSONAL = "personal"


class ReviewStatus(StrEnum):
    """A monthly summary, a goal set or a registration on its way to the direct leader."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"


class AssessmentStatus(StrEnum):
    """The quarter as an object with explicit statuses, in order."""

    PREPARING = "preparing"
    RATING = "rating"
    COMPUTED = "computed"
    CONFIRMED = "confirmed"
    PUBLICITY = "publicity"
    FINAL = "final"


class Phase(StrEnum):
    """Windows of the quarter that admins may open, extend or close."""

    GOALS = "goals"
    REGISTRATION = "registration"
    RATING = "rating"
    PUBLICITY = "publicity"


class BallotStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class BallotSource(StrEnum):
    CHAT = "chat"
    PAPER = "paper"


class BallotPart(StrEnum):
    COMMON = "common"
    INDIVIDUAL = "individual"


class RaterAction(StrEnum):
    ADD = "add"
    REMOVE = "remove"


class ExemptionKind(StrEnum):
    """EXEMPT: no tier this quarter; EXCUSED: not penalised for missing registration."""

    EXEMPT = "exempt"
    EXCUSED = "excused"


class ObjectionStatus(StrEnum):
    OPEN = "open"
    DISMISSED = "dismissed"
    UPHELD = "upheld"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    UNREACHABLE = "unreachable"
