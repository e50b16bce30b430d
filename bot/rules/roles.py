"""Who a Telegram user is to the assessment, decided from the records for every update."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from bot.rules.domain import Role


class Access(StrEnum):
    """What a handler requires of the user; checked on the server for every update."""

    ANYONE = "anyone"
    BOUND = "bound"  # any person bound to a staff record
    RATEE = "ratee"
    REVIEWER = "reviewer"  # the bureau's leaders and the section heads: they review and rate
    RATER = "rater"
    LEADERSHIP = "leadership"  # who decides on results: the principal, the supervisors, and the admins
    ADMIN = "admin"


@dataclass(frozen=True)
class PersonView:
    """The parts of a staff record the role decisions need."""

    id: int
    name: str
    role: Role
    section_id: int | None
    active: bool = True
    supervises: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Identity:
    """A Telegram user as the bot sees him now."""

    telegram_user_id: int
    person: PersonView | None = None
    is_admin: bool = False
    heads_section: int | None = None

    @property
    def is_bound(self) -> bool:
        return self.person is not None and self.person.active

    @property
    def is_stranger(self) -> bool:
        return not self.is_bound and not self.is_admin

    @property
    def is_ratee(self) -> bool:
        return self.is_bound and not self.person.role.is_bureau_leader

    @property
    def is_principal(self) -> bool:
        return self.is_bound and self.person.role is Role.PRINCIPAL

    @property
    def is_supervisor(self) -> bool:
        return self.is_bound and bool(self.person.supervises)

    @property
    def is_leadership(self) -> bool:
        """Takes part in the leadership's decision (or records it): sees the proposal of a quarter."""
        return self.is_admin or self.is_principal or self.is_supervisor

    @property
    def is_reviewer(self) -> bool:
        """Reviews others' documents and rates: a bureau leader, or the head of a section."""
        return self.is_bound and reviews_others(self.person.role, self.heads_section)

    def allows(self, access: Access) -> bool:
        if access is Access.ANYONE:
            return True
        if access is Access.ADMIN:
            return self.is_admin
        if access is Access.BOUND:
            return self.is_bound
        if access is Access.RATEE:
            return self.is_ratee
        if access is Access.REVIEWER:
            return self.is_reviewer
        if access is Access.RATER:
            return self.is_bound
        if access is Access.LEADERSHIP:
            return self.is_leadership
        raise ValueError(access)


def direct_leaders(
    person: PersonView, people: Iterable[PersonView], supervisors_of: Mapping[int, Iterable[int]]
) -> list[int]:
    """Who reviews a monthly summary: the section head; for the head, the section's supervisors."""
    if person.role.is_bureau_leader or person.section_id is None:
        return []
    if person.role is not Role.SECTION_HEAD:
        heads = [
            p.id
            for p in people
            if p.active
            and p.role is Role.SECTION_HEAD
            and p.section_id == person.section_id
            and p.id != person.id
        ]
        if heads:
            return heads
    return sorted(supervisors_of.get(person.section_id, ()))


def section_supervisors(section_id: int | None, supervisors_of: Mapping[int, Iterable[int]]) -> list[int]:
    """Who approves a ratee's goals and registration: the supervisors of his section."""
    if section_id is None:
        return []
    return sorted(supervisors_of.get(section_id, ()))


def reviews_others(role: Role, section_id: int | None) -> bool:
    """Whether a person of this role (in this section) reviews and rates: the reviewers' commands are his."""
    return role.is_bureau_leader or (role is Role.SECTION_HEAD and section_id is not None)
