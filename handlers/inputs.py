"""Free text: what it means depends on the user's current input mode, kept in the database."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.rules.roles import Access
from bot.rules.text import clean_text, typed_command
from handlers.turn import SINGLE_ANSWER_MODES, Refusal, Turn, on

ModeFn = Callable[[Turn, dict[str, Any], str], Awaitable[None]]
MODES: dict[str, tuple[Access, ModeFn]] = {}
MAX_TEXT = 4000


def input_mode(
    name: str, access: Access = Access.BOUND, *, single_answer: bool = False
) -> Callable[[ModeFn], ModeFn]:
    """Register what free text means in a mode and who may be in it; a `single_answer` mode waits for
    one text and is ended by any command (handlers.turn.SINGLE_ANSWER_MODES)."""

    def decorate(fn: ModeFn) -> ModeFn:
        if name in MODES:
            raise ValueError(f"input mode {name!r} registered twice")
        MODES[name] = (access, fn)
        if single_answer:
            SINGLE_ANSWER_MODES.add(name)
        return fn

    return decorate


@on(Access.ANYONE)
async def text_received(turn: Turn) -> None:
    """A private text message that is not a command."""
    if turn.identity.is_stranger:
        raise Refusal("chat/errors/stranger.j2")
    text = clean_text(turn.update.effective_message.text or "").strip()
    meant = typed_command(text)  # a command typed with the input method's ／ or 、: not content
    if meant is not None:
        raise Refusal("chat/errors/command_not_half_width.j2", command=meant)
    mode, payload = await turn.mode(lock=True)  # two texts at once: the second reads what the first left
    if mode is None or mode not in MODES:
        raise Refusal("chat/errors/no_input_expected.j2")
    access, action = MODES[mode]
    if not turn.identity.allows(access):
        raise Refusal("chat/errors/not_allowed.j2")
    if not text:  # nothing left once cleaned (bot.rules.text): said so, the mode goes on
        raise Refusal("chat/errors/empty_text.j2")
    if len(text) > MAX_TEXT:
        raise Refusal("chat/staff/text_too_long.j2", limit=MAX_TEXT)
    await action(turn, payload, text)


@on(Access.ANYONE)
async def other_received(turn: Turn) -> None:
    """A private message neither text, a command nor a file (a photo, a sticker): said so, kept nowhere.

    Files go to handlers.uploads (an admin's roster or paper ballots are checked, then imported).
    """
    if turn.identity.is_stranger:
        raise Refusal("chat/errors/stranger.j2")
    raise Refusal("chat/errors/file_not_accepted.j2", admin=turn.identity.is_admin)


@on(Access.ANYONE)
async def edit_received(turn: Turn) -> None:
    """A private message edited after it was sent: what it first said stands; the user is told so."""
    if turn.identity.is_stranger:
        raise Refusal("chat/errors/stranger.j2")
    raise Refusal("chat/errors/edit_not_applied.j2")
