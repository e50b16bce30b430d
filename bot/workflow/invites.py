"""Binding Telegram accounts to the roster: one-time invite links, and what using one does."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from bot.rules.roles import reviews_others
from bot.workflow.unit import Refusal, Work
from storage.models import Invite, Person

INVITE_TOKEN_MAX = 64


def token_hash(token: str) -> str:
    """Invites are stored by hash: a copy of the database does not hold usable links."""
    return hashlib.sha256(token.encode()).hexdigest()


async def create_invites(work: Work, people: list[Person]) -> tuple[list[tuple[Person, str]], dt.datetime]:
    """A new one-time token for each person; returns them with the moment they expire."""
    expires = work.now + dt.timedelta(days=work.settings.admins.invite_valid_days)
    links = []
    for person in people:
        token = secrets.token_urlsafe(16)
        work.repo.add(
            Invite(
                token_hash=token_hash(token),
                person_id=person.id,
                created_by=work.user_id,
                created_at=work.now,
                expires_at=expires,
            )
        )
        links.append((person, token))
    await work.repo.audit(
        work.actor, "invites_created", count=len(links), person_ids=[p.id for p, _ in links]
    )
    return links, expires


@dataclass(frozen=True)
class Binding:
    person: Person
    already: bool  # the link was used before by this same account: nothing changed


async def bind_account(work: Work, token: str, bound_person_id: int | None) -> Binding:
    """Use an invite: the acting account becomes the person's; an earlier account is told, and the admins."""
    if len(token) > INVITE_TOKEN_MAX:
        raise Refusal("chat/start/invite_unknown.j2")
    invite = await work.repo.invite_by_hash(token_hash(token))
    if invite is None:
        raise Refusal("chat/start/invite_unknown.j2")
    person = await work.repo.person(invite.person_id)
    # Two accounts opening links of the same person at once take turns on the person's row; the second
    # then reads the invite used (or expired by the first binding) and is refused.
    await work.repo.lock(person)
    await work.repo.lock(invite)
    if invite.used_at is not None:
        if invite.used_by == work.user_id:
            return Binding(person, already=True)
        raise Refusal("chat/start/invite_used.j2")
    if invite.expires_at <= work.now:
        if await work.repo.superseded(invite):
            raise Refusal("chat/start/invite_superseded.j2", mine=person.telegram_user_id == work.user_id)
        raise Refusal("chat/start/invite_expired.j2")
    if not person.active:
        raise Refusal("chat/start/invite_unknown.j2")
    if bound_person_id is not None and bound_person_id != person.id:
        bound = await work.repo.person(bound_person_id)
        raise Refusal("chat/start/bound_to_other.j2", name=bound.name if bound else "")
    previous = person.telegram_user_id
    for other in await work.repo.unused_invites(person.id, besides=invite.id):
        other.expires_at = work.now  # one binding per record: older links of the same person stop working
    person.telegram_user_id = work.user_id
    person.telegram_bound_at = work.now
    person.unreachable_since = None
    invite.used_at = work.now
    invite.used_by = work.user_id
    await work.repo.audit(
        work.actor, "account_bound", person_id=person.id, invite_id=invite.id, previous=previous
    )
    if previous is not None and previous != work.user_id:
        stamp = int(work.now.timestamp())
        await work.notify(
            f"rebound:{person.id}:{stamp}:old",
            previous,
            "chat/start/rebound_old.j2",
            kind="rebound",
            name=person.name,
        )
        await work.tell_admins(
            f"rebound:{person.id}:{stamp}",
            "chat/admin/rebound.j2",
            kind="rebound",
            name=person.name,
            old=previous,
            new=work.user_id,
        )
    return Binding(person, already=False)


def reviews(person: Person) -> bool:
    """Whether the person gets the reviewers' commands (a bureau leader or a section head)."""
    return person.active and reviews_others(person.role, person.section_id)
