"""Inline buttons: callback data is a short token; its meaning, owner and expiry live in the database."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import update

from bot.rules.roles import Access
from handlers.turn import Refusal, Turn, on
from storage.models import ButtonRecord

ButtonFn = Callable[[Turn, dict[str, Any], str, ButtonRecord], Awaitable[None]]
REGISTRY: dict[str, tuple[Access, ButtonFn]] = {}
MAX_ARG = 40


def button(kind: str, access: Access = Access.BOUND) -> Callable[[ButtonFn], ButtonFn]:
    """Register what a kind of button does and who may press it."""

    def decorate(fn: ButtonFn) -> ButtonFn:
        if kind in REGISTRY:
            raise ValueError(f"button kind {kind!r} registered twice")
        REGISTRY[kind] = (access, fn)
        return fn

    return decorate


def data(token: str, arg: str | int = "") -> str:
    """Callback data for a token and an argument (both checked again when pressed)."""
    text = f"{token}:{arg}" if arg != "" else token
    if len(text.encode()) > 64:
        raise ValueError("callback data over 64 bytes")
    return text


@on(Access.ANYONE)
async def pressed(turn: Turn) -> None:
    """Resolve the token, check owner, expiry and access on the server, then run the button's action."""
    raw = turn.update.callback_query.data or ""
    token, _, arg = raw.partition(":")
    record = await turn.repo.session.get(ButtonRecord, token) if 0 < len(token) <= 16 else None
    if record is None or len(arg) > MAX_ARG:
        raise Refusal("chat/errors/button_unknown.j2", alert=True)
    if record.owner_id is not None and record.owner_id != turn.user_id:
        raise Refusal("chat/errors/button_foreign.j2", alert=True)
    if record.used_at is not None:
        raise Refusal("chat/errors/already_done.j2", alert=True)
    if record.expires_at is not None and record.expires_at <= turn.now:
        raise Refusal("chat/errors/button_expired.j2", alert=True)
    entry = REGISTRY.get(record.kind)
    if entry is None:
        raise Refusal("chat/errors/button_unknown.j2", alert=True)
    access, action = entry
    if not turn.identity.allows(access):
        raise Refusal("chat/errors/not_allowed.j2", alert=True)
    await action(turn, json.loads(record.payload), arg, record)


async def consume(turn: Turn, record: ButtonRecord) -> None:
    """Mark a one-time button (a confirmation) as used, atomically: of two concurrent taps, one gets through.

    The conditional UPDATE makes the second wait for the first to commit and then match no row (PostgreSQL's
    read committed re-checks the condition); on SQLite the turns are serialized anyway.
    """
    done = await turn.repo.session.execute(
        update(ButtonRecord)
        .where(ButtonRecord.token == record.token, ButtonRecord.used_at.is_(None))
        .values(used_at=turn.now)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        raise Refusal("chat/errors/already_done.j2", alert=True)
