"""Everyone's first steps: /start with an invite token, /help, and what strangers are told."""

from __future__ import annotations

from telegram import BotCommand

from bot.rendering import label
from bot.rules.roles import Access
from bot.workflow.invites import bind_account, reviews
from bot.workflow.menus import standing_of
from handlers.catalogue import menu_blocks
from handlers.turn import Refusal, Turn, on

# Private commands answered in the group with a pointer to the private chat (the others stay unanswered).
GROUP_POINTERS = ("help", "objection")


async def menu(turn: Turn) -> list:
    """This user's commands now, by block (bot.rules.menus), and his command menu, sent after the turn."""
    blocks = menu_blocks(await standing_of(turn, turn.user_id))
    commands = [c for _audience, block in blocks for c in block]
    turn.effects.menu = (turn.user_id, [BotCommand(c.name, label("command", c.name)[:256]) for c in commands])
    return blocks


@on(Access.ANYONE)
async def start(turn: Turn) -> None:
    """/start [token]: bind the account with a one-time invite, or greet."""
    args = (turn.update.effective_message.text or "").split(maxsplit=1)
    token = args[1].strip() if len(args) > 1 else ""
    await turn.revive_notices(turn.user_id)  # he has opened the chat: what could not reach him goes now
    if not token:
        if turn.identity.is_stranger:
            raise Refusal("chat/errors/stranger.j2")
        turn.reply("chat/start/welcome.j2", name=_name(turn), blocks=await menu(turn))
        return
    bound = turn.identity.person.id if turn.identity.person is not None else None
    binding = await bind_account(turn, token, bound)
    await turn.repo.flush()
    if binding.already:
        turn.reply("chat/start/welcome.j2", name=binding.person.name, blocks=await menu(turn))
        return
    await menu(turn)
    person = binding.person
    turn.reply(
        "chat/start/bound.j2",
        name=person.name,
        is_ratee=person.is_ratee,
        is_reviewer=reviews(person),
        is_leader=person.role.is_bureau_leader,
    )


def _name(turn: Turn) -> str:
    if turn.identity.person is not None:
        return turn.identity.person.name
    user = turn.update.effective_user
    return user.full_name if user else ""


@on(Access.ANYONE)
async def help_command(turn: Turn) -> None:
    """/help: the commands this user may use now, by block (the same as his menu)."""
    if turn.identity.is_stranger:
        raise Refusal("chat/errors/stranger.j2")
    turn.reply("chat/start/help.j2", blocks=await menu(turn))


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
