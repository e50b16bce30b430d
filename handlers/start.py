"""Everyone's first steps: /start with an invite token, /help, and what strangers are told."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from telegram import BotCommand

from bot.rendering import label
from bot.rules.domain import Role
from bot.rules.roles import Access
from handlers.catalogue import Audience, commands_for
from handlers.turn import Refusal, Turn, on
from storage.models import Invite, Person

INVITE_TOKEN_MAX = 64


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def set_menu(turn: Turn, audiences_: list[Audience]) -> None:
    """Give this user the command menu of his roles (sent after the turn commits)."""
    commands = [BotCommand(c.name, label("command", c.name)[:256]) for c in commands_for(*audiences_)]
    turn.effects.menu = (turn.user_id, commands)


def audiences(turn: Turn) -> list[Audience]:
    found = []
    if turn.identity.is_bound:
        found.append(Audience.STAFF)
    if turn.identity.is_leader:
        found.append(Audience.LEADER)
    if turn.identity.is_admin:
        found.append(Audience.ADMIN)
    return found


@on(Access.ANYONE)
async def start(turn: Turn) -> None:
    """/start [token]: bind the account with a one-time invite, or greet."""
    args = (turn.update.effective_message.text or "").split(maxsplit=1)
    token = args[1].strip() if len(args) > 1 else ""
    if not token:
        if turn.identity.is_stranger:
            raise Refusal("chat/errors/stranger.j2")
        turn.reply("chat/start/welcome.j2", name=_name(turn), commands=commands_for(*audiences(turn)))
        set_menu(turn, audiences(turn))
        return
    if len(token) > INVITE_TOKEN_MAX:
        raise Refusal("chat/start/invite_unknown.j2")
    invite = await turn.repo.session.scalar(select(Invite).where(Invite.token_hash == token_hash(token)))
    if invite is None:
        raise Refusal("chat/start/invite_unknown.j2")
    person = await turn.repo.session.get(Person, invite.person_id)
    if invite.used_at is not None:
        if invite.used_by == turn.user_id:
            turn.reply("chat/start/welcome.j2", name=person.name, commands=commands_for(*audiences(turn)))
            return
        raise Refusal("chat/start/invite_used.j2")
    if invite.expires_at <= turn.now:
        raise Refusal("chat/start/invite_expired.j2")
    if not person.active:
        raise Refusal("chat/start/invite_unknown.j2")
    if turn.identity.person is not None and turn.identity.person.id != person.id:
        raise Refusal("chat/start/bound_to_other.j2", name=turn.identity.person.name)
    previous = person.telegram_user_id
    others = await turn.repo.session.scalars(
        select(Invite).where(Invite.person_id == person.id, Invite.used_at.is_(None), Invite.id != invite.id)
    )
    for other in others:  # one binding per record: older links of the same person stop working
        other.expires_at = turn.now
    person.telegram_user_id = turn.user_id
    person.telegram_bound_at = turn.now
    person.unreachable_since = None
    invite.used_at = turn.now
    invite.used_by = turn.user_id
    await turn.repo.audit(
        turn.actor, "account_bound", person_id=person.id, invite_id=invite.id, previous=previous
    )
    turn.reply("chat/start/bound.j2", name=person.name)
    if previous is not None and previous != turn.user_id:
        stamp = int(turn.now.timestamp())
        await turn.notify(
            f"rebound:{person.id}:{stamp}:old",
            previous,
            "chat/start/rebound_old.j2",
            kind="rebound",
            name=person.name,
        )
        for admin_id in await turn.admin_chat_ids():
            await turn.notify(
                f"rebound:{person.id}:{stamp}:{admin_id}",
                admin_id,
                "chat/admin/rebound.j2",
                kind="rebound",
                name=person.name,
                old=previous,
                new=turn.user_id,
            )
    found = [Audience.STAFF]
    supervises = await turn.repo.supervision()
    if person.role.is_leader or person.role is Role.SECTION_HEAD or supervises.get(person.id):
        found.append(Audience.LEADER)
    if turn.identity.is_admin:
        found.append(Audience.ADMIN)
    set_menu(turn, found)


def _name(turn: Turn) -> str:
    if turn.identity.person is not None:
        return turn.identity.person.name
    user = turn.update.effective_user
    return user.full_name if user else ""


@on(Access.ANYONE)
async def help_command(turn: Turn) -> None:
    """/help: the commands this user may use, by role."""
    if turn.identity.is_stranger:
        raise Refusal("chat/errors/stranger.j2")
    turn.reply("chat/start/help.j2", commands=commands_for(*audiences(turn)), audiences=audiences(turn))
    set_menu(turn, audiences(turn))


@on(Access.ANYONE)
async def unknown_command(turn: Turn) -> None:
    if turn.identity.is_stranger:
        raise Refusal("chat/errors/stranger.j2")
    command = (turn.update.effective_message.text or "").split(maxsplit=1)[0][:40]
    raise Refusal("chat/errors/unknown_command.j2", command=command)
