"""Everyone's first steps: /start with an invite token, /help, and what strangers are told."""

from __future__ import annotations

from telegram import BotCommand

from bot.rendering import label
from bot.rules.roles import Access
from bot.workflow.invites import bind_account, reviews
from handlers.catalogue import Audience, commands_for
from handlers.turn import Refusal, Turn, on

# Private commands answered in the group with a pointer to the private chat (the others stay unanswered).
GROUP_POINTERS = ("help", "objection")


def set_menu(turn: Turn, audiences_: list[Audience]) -> None:
    """Give this user the command menu of his roles (sent after the turn commits)."""
    commands = [BotCommand(c.name, label("command", c.name)[:256]) for c in commands_for(*audiences_)]
    turn.effects.menu = (turn.user_id, commands)


def audiences(turn: Turn) -> list[Audience]:
    found = []
    if turn.identity.is_bound:
        found.append(Audience.STAFF)
    if turn.identity.is_reviewer:
        found.append(Audience.REVIEWER)
    if turn.identity.is_admin:
        found.append(Audience.ADMIN)
    return found


@on(Access.ANYONE)
async def start(turn: Turn) -> None:
    """/start [token]: bind the account with a one-time invite, or greet."""
    args = (turn.update.effective_message.text or "").split(maxsplit=1)
    token = args[1].strip() if len(args) > 1 else ""
    await turn.revive_notices(turn.user_id)  # he has opened the chat: what could not reach him goes now
    if not token:
        if turn.identity.is_stranger:
            raise Refusal("chat/errors/stranger.j2")
        turn.reply("chat/start/welcome.j2", name=_name(turn), commands=commands_for(*audiences(turn)))
        set_menu(turn, audiences(turn))
        return
    bound = turn.identity.person.id if turn.identity.person is not None else None
    binding = await bind_account(turn, token, bound)
    if binding.already:
        turn.reply("chat/start/welcome.j2", name=binding.person.name, commands=commands_for(*audiences(turn)))
        return
    turn.reply("chat/start/bound.j2", name=binding.person.name)
    found = [Audience.STAFF]
    if reviews(binding.person):
        found.append(Audience.REVIEWER)
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


@on(Access.ANYONE)
async def private_in_group(turn: Turn) -> None:
    """/help or /objection sent in the group: one short pointer to the private chat per command, the same
    for everyone (it says nothing of who asks or what concerns him)."""
    text = turn.update.effective_message.text or ""
    command = text.split(maxsplit=1)[0].lstrip("/").split("@", 1)[0].lower()
    turn.reply("chat/group/private_only.j2", bot=turn.update.get_bot().username, command=command)
