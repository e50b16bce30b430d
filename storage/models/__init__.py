"""The tables: every record SPEC names, with the unique keys the rules rely on, one module per aggregate."""

from storage.models.ballots import BallotItem, BallotRecord, ResultRecord
from storage.models.cycle import (
    Assessment,
    BotSetting,
    CalendarCorrection,
    Confirmation,
    Exemption,
    Feedback,
    LeaveRecord,
    Objection,
    Override,
    PhaseWindow,
    Publicity,
    RaterChange,
    TierDecision,
)
from storage.models.documents import (
    Goal,
    GoalItem,
    MonthlySummary,
    Registration,
    RegistrationItem,
    SummaryItem,
)
from storage.models.fields import utcnow
from storage.models.outbox import AuditEntry, ButtonRecord, ChatState, OutboxMessage, ProcessedUpdate
from storage.models.people import Admin, Invite, Person, Section, SectionSupervisor

__all__ = [
    "Admin",
    "Assessment",
    "AuditEntry",
    "BallotItem",
    "BallotRecord",
    "BotSetting",
    "ButtonRecord",
    "CalendarCorrection",
    "ChatState",
    "Confirmation",
    "Exemption",
    "Feedback",
    "Goal",
    "GoalItem",
    "Invite",
    "LeaveRecord",
    "MonthlySummary",
    "Objection",
    "OutboxMessage",
    "Override",
    "Person",
    "PhaseWindow",
    "ProcessedUpdate",
    "Publicity",
    "RaterChange",
    "Registration",
    "RegistrationItem",
    "ResultRecord",
    "Section",
    "SectionSupervisor",
    "SummaryItem",
    "TierDecision",
    "utcnow",
]
