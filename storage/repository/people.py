"""People and roles: sections, the roster, who supervises what, admins and invites."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import delete, or_, select

from storage.models import Admin, Invite, Person, Section, SectionSupervisor, utcnow
from storage.repository.base import RepositoryBase

PERSON_FIELDS = (
    "gender",
    "political_status",
    "post_since",
    "work_since",
    "post_title",
    "category",
    "role",
    "probation_end",
    "discipline_start",
    "discipline_end",
    "active",
)


class RosterRow(Protocol):
    """A checked roster row, as the roster file reader gives it."""

    name: str
    birth_month: dt.date
    section: str | None
    supervises: Sequence[str]

    @property
    def key(self) -> tuple[str, dt.date]: ...


@dataclass(frozen=True)
class RosterOutcome:
    created: int
    updated: int
    unchanged: int

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


class PeopleQueries(RepositoryBase):
    """The people aggregate."""

    async def sections(self) -> list[Section]:
        return list((await self.session.scalars(select(Section).order_by(Section.id))).all())

    async def section_names(self) -> dict[int, str]:
        return {s.id: s.name for s in await self.sections()}

    async def section_named(self, name: str, *, create: bool = False) -> Section | None:
        section = await self.session.scalar(select(Section).where(Section.name == name))
        if section is None and create:
            section = Section(name=name)
            self.session.add(section)
            await self.session.flush()
        return section

    async def people(self, *, active_only: bool = False) -> list[Person]:
        query = select(Person).order_by(Person.id)
        if active_only:
            query = query.where(Person.active.is_(True))
        return list((await self.session.scalars(query)).all())

    async def people_by_id(self, *, active_only: bool = False) -> dict[int, Person]:
        return {p.id: p for p in await self.people(active_only=active_only)}

    async def person(self, person_id: int) -> Person | None:
        return await self.session.get(Person, person_id)

    async def person_bound_to(self, telegram_user_id: int) -> Person | None:
        return await self.session.scalar(select(Person).where(Person.telegram_user_id == telegram_user_id))

    async def bound_people(self) -> list[Person]:
        return list(
            (await self.session.scalars(select(Person).where(Person.telegram_user_id.is_not(None)))).all()
        )

    async def supervision(self) -> dict[int, set[int]]:
        """Sections each leader supervises: person id -> section ids."""
        rows = await self.session.execute(select(SectionSupervisor.person_id, SectionSupervisor.section_id))
        result: dict[int, set[int]] = defaultdict(set)
        for person_id, section_id in rows:
            result[person_id].add(section_id)
        return result

    async def supervised_by(self, person_id: int) -> frozenset[int]:
        return frozenset(
            await self.session.scalars(
                select(SectionSupervisor.section_id).where(SectionSupervisor.person_id == person_id)
            )
        )

    async def upsert_roster(self, records: Sequence[Any], actor: str) -> RosterOutcome:
        """Create or update people by (name, birth month); importing the same file again changes nothing.

        Each record is a `RosterRow` with the `PERSON_FIELDS` as attributes.
        """
        existing = {(p.name, p.birth_month): p for p in await self.people()}
        section_ids: dict[str, int] = {}
        for name in sorted(
            {r.section for r in records if r.section} | {s for r in records for s in r.supervises}
        ):
            section = await self.section_named(name, create=True)
            section_ids[name] = section.id
        supervision = await self.supervision()
        created = updated = unchanged = 0
        for record in records:
            wanted = {f: getattr(record, f) for f in PERSON_FIELDS}
            wanted["section_id"] = section_ids.get(record.section) if record.section else None
            person = existing.get(record.key)
            is_new = person is None
            if person is None:
                person = Person(name=record.name, birth_month=record.birth_month, **wanted)
                self.session.add(person)
                await self.session.flush()
            changed = any(getattr(person, f) != v for f, v in wanted.items())
            if changed:
                for f, v in wanted.items():
                    setattr(person, f, v)
                person.updated_at = utcnow()
            want_sections = {section_ids[s] for s in record.supervises}
            if want_sections != supervision.get(person.id, set()):
                changed = True
                await self.session.execute(
                    delete(SectionSupervisor).where(SectionSupervisor.person_id == person.id)
                )
                for section_id in sorted(want_sections):
                    self.session.add(SectionSupervisor(section_id=section_id, person_id=person.id))
            if is_new:
                created += 1
            elif changed:
                updated += 1
            else:
                unchanged += 1
        outcome = RosterOutcome(created, updated, unchanged)
        if outcome.changed:
            await self.audit(actor, "roster_imported", created=created, updated=updated, unchanged=unchanged)
        await self.session.flush()
        return outcome

    # --- admins and invites ------------------------------------------------------------------------

    async def active_admins(self) -> list[Admin]:
        return list(
            (
                await self.session.scalars(select(Admin).where(Admin.revoked_at.is_(None)).order_by(Admin.id))
            ).all()
        )

    async def admin_user_ids(self) -> set[int]:
        """Telegram ids of the admins granted in chat and not revoked (the configured ones are apart)."""
        return set(
            await self.session.scalars(select(Admin.telegram_user_id).where(Admin.revoked_at.is_(None)))
        )

    async def is_admin(self, telegram_user_id: int) -> bool:
        found = await self.session.scalar(
            select(Admin.id).where(Admin.telegram_user_id == telegram_user_id, Admin.revoked_at.is_(None))
        )
        return found is not None

    async def admin_of(self, telegram_user_id: int, *, lock: bool = False) -> Admin | None:
        """The admin record of a user; `lock` re-reads it under a row lock (a grant and a revoke take turns;
        two grants of a new admin collide on the unique key instead)."""
        query = select(Admin).where(Admin.telegram_user_id == telegram_user_id)
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        return await self.session.scalar(query)

    async def invite_by_hash(self, token_hash: str) -> Invite | None:
        return await self.session.scalar(select(Invite).where(Invite.token_hash == token_hash))

    async def superseded(self, invite: Invite) -> bool:
        """Whether another of the person's links was used after this one was made: it was replaced, not
        timed out."""
        query = select(Invite.id).where(
            Invite.person_id == invite.person_id,
            Invite.id != invite.id,
            Invite.used_at.is_not(None),
            or_(Invite.id > invite.id, Invite.used_at > invite.created_at),
        )
        return await self.session.scalar(query.limit(1)) is not None

    async def unused_invites(self, person_id: int, *, besides: int | None = None) -> list[Invite]:
        query = select(Invite).where(Invite.person_id == person_id, Invite.used_at.is_(None))
        if besides is not None:
            query = query.where(Invite.id != besides)
        return list((await self.session.scalars(query)).all())
