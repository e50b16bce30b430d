"""The editor's buttons under an itemized document (a monthly summary or a quarterly registration)."""

from __future__ import annotations

from bot.workflow.documents import REGISTRATION, SUMMARY, DocumentKind
from handlers.buttons import data
from handlers.turn import Button, Keyboard, Turn

__all__ = ["REGISTRATION", "SUMMARY", "DocumentKind", "editor_keyboard", "editor_or_none"]


async def editor_keyboard(turn: Turn, kind: DocumentKind, doc_id: int) -> Keyboard:
    token = await turn.button(f"{kind.name}_edit", {"id": doc_id})
    keyboard = [
        [Button(turn.label("button", "submit"), data(token, "submit"))],
        [
            Button(turn.label("button", "drop_last"), data(token, "drop")),
            Button(turn.label("button", "clear"), data(token, "clear")),
        ],
    ]
    if kind is REGISTRATION:  # take the approved monthly summaries again
        keyboard.append([Button(turn.label("button", "refill"), data(token, "refill"))])
    return keyboard


async def editor_or_none(turn: Turn, kind: DocumentKind, doc_id: int, items: list) -> Keyboard | None:
    """The editor's buttons, once the document has an item."""
    return await editor_keyboard(turn, kind, doc_id) if items else None
