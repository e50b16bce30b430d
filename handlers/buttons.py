"""Inline buttons: callback data is a short token; its meaning, owner and expiry live in the database."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from bot.rules.domain import Quarter
from bot.rules.roles import Access
from bot.workflow.unit import button_data as data
from handlers.turn import Button, Keyboard, Refusal, Turn, on
from storage.models import Assessment, ButtonRecord

ButtonFn = Callable[[Turn, dict[str, Any], str, ButtonRecord], Awaitable[None]]
REGISTRY: dict[str, tuple[Access, ButtonFn]] = {}
MAX_ARG = 40


DoneFn = Callable[[Turn, dict[str, Any], str], Awaitable[bool]]
# A one-time confirmation pressed again after it was done: the step's outcome drawn again on the message,
# for when the first press was done but its answer never shown (a crash between the commit and the edit).
DONE_VIEWS: dict[str, DoneFn] = {}


def done_view(kind: str) -> Callable[[DoneFn], DoneFn]:
    """Register how a used confirmation of `kind` shows its outcome again (True: shown)."""

    def decorate(fn: DoneFn) -> DoneFn:
        DONE_VIEWS[kind] = fn
        return fn

    return decorate


def button(kind: str, access: Access = Access.BOUND) -> Callable[[ButtonFn], ButtonFn]:
    """Register what a kind of button does and who may press it."""

    def decorate(fn: ButtonFn) -> ButtonFn:
        if kind in REGISTRY:
            raise ValueError(f"button kind {kind!r} registered twice")
        REGISTRY[kind] = (access, fn)
        return fn

    return decorate


@on(Access.ANYONE)
async def pressed(turn: Turn) -> None:
    """Resolve the token, check owner, expiry and access on the server, then run the button's action."""
    raw = turn.update.callback_query.data or ""
    token, _, arg = raw.partition(":")
    record = await turn.repo.button(token) if 0 < len(token) <= 16 else None
    if record is None or len(arg) > MAX_ARG:
        raise Refusal("chat/errors/button_unknown.j2", alert=True)
    if record.owner_id is not None and record.owner_id != turn.user_id:
        raise Refusal("chat/errors/button_foreign.j2", alert=True)
    if record.used_at is not None:
        entry = REGISTRY.get(record.kind)
        view = DONE_VIEWS.get(record.kind)
        allowed = view is not None and entry is not None and turn.identity.allows(entry[0])
        if allowed and await view(turn, json.loads(record.payload), arg):
            turn.answer("chat/errors/already_done.j2")
            return
        raise Refusal("chat/errors/already_done.j2", alert=True)
    if record.expires_at is not None and record.expires_at <= turn.now:
        raise Refusal("chat/errors/button_expired.j2", alert=True)
    entry = REGISTRY.get(record.kind)
    if entry is None:
        raise Refusal("chat/errors/button_unknown.j2", alert=True)
    access, action = entry
    if not turn.identity.allows(access):
        raise Refusal("chat/errors/not_allowed.j2", alert=True)
    turn.access = access
    await action(turn, json.loads(record.payload), arg, record)


async def consume(turn: Turn, record: ButtonRecord) -> None:
    """Mark a one-time button (a confirmation) used, atomically: of two concurrent taps, one gets through."""
    if not await turn.repo.use_button(record.token, turn.now):
        raise Refusal("chat/errors/already_done.j2", alert=True)


async def confirm_buttons(turn: Turn, kind: str, quarter: Quarter) -> Keyboard:
    """Confirm and cancel for one quarter's step: one server-side button, pressed once."""
    token = await turn.button(kind, {"quarter": str(quarter)})
    return [
        [
            Button(turn.label("button", "confirm"), data(token, "yes")),
            Button(turn.label("button", "cancel"), data(token, "no")),
        ]
    ]


async def confirmed(turn: Turn, payload: dict, arg: str, record: ButtonRecord) -> Assessment | None:
    """A confirm/cancel press, once only: None (shown as cancelled) unless confirmed, else its quarter."""
    await consume(turn, record)
    if arg != "yes":
        turn.edit("chat/admin/cancelled.j2")
        return None
    quarter = Quarter.parse(payload["quarter"])
    assessment = await turn.repo.assessment(quarter)
    if assessment is None:
        raise Refusal("chat/admin/no_assessment.j2", quarter=quarter)
    return assessment
