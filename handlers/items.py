"""Itemized documents: a monthly summary or a quarterly registration, edited line by line."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select

from bot.rules.vocabulary import ITEM_NUMBERING
from handlers.buttons import data
from handlers.turn import Button, Keyboard, Refusal, Turn
from storage.models import MonthlySummary, Registration, RegistrationItem, SummaryItem

MAX_ITEMS = 50
MAX_ITEM_CHARS = 500


@dataclass(frozen=True)
class Kind:
    """How one kind of itemized document is stored."""

    name: str
    model: type
    item_model: type
    parent_field: str


SUMMARY = Kind("summary", MonthlySummary, SummaryItem, "summary_id")
REGISTRATION = Kind("registration", Registration, RegistrationItem, "registration_id")
KINDS = {k.name: k for k in (SUMMARY, REGISTRATION)}


def split_items(text: str) -> list[str]:
    """One item per non-empty line; a leading item number is dropped (the bot numbers the items)."""
    items = []
    for line in text.splitlines():
        line = ITEM_NUMBERING.sub("", line).strip()
        if line:
            items.append(line)
    return items


async def items_of(turn: Turn, kind: Kind, doc_id: int) -> list[str]:
    parent = getattr(kind.item_model, kind.parent_field)
    rows = await turn.repo.session.scalars(
        select(kind.item_model).where(parent == doc_id).order_by(kind.item_model.position)
    )
    return [r.text for r in rows]


async def add_items(turn: Turn, kind: Kind, doc_id: int, texts: list[str]) -> None:
    parent = getattr(kind.item_model, kind.parent_field)
    count = await turn.repo.session.scalar(
        select(func.count()).select_from(kind.item_model).where(parent == doc_id)
    )
    if any(len(t) > MAX_ITEM_CHARS for t in texts):
        raise Refusal("chat/staff/item_too_long.j2", limit=MAX_ITEM_CHARS)
    if count + len(texts) > MAX_ITEMS:
        raise Refusal("chat/staff/too_many_items.j2", limit=MAX_ITEMS)
    for offset, text in enumerate(texts, start=1):
        turn.repo.session.add(
            kind.item_model(**{kind.parent_field: doc_id, "position": count + offset, "text": text})
        )


async def replace_items(turn: Turn, kind: Kind, doc_id: int, texts: list[str]) -> None:
    parent = getattr(kind.item_model, kind.parent_field)
    await turn.repo.session.execute(delete(kind.item_model).where(parent == doc_id))
    await turn.repo.session.flush()
    await add_items(turn, kind, doc_id, texts)


async def drop_last(turn: Turn, kind: Kind, doc_id: int) -> None:
    parent = getattr(kind.item_model, kind.parent_field)
    last = await turn.repo.session.scalar(
        select(kind.item_model).where(parent == doc_id).order_by(kind.item_model.position.desc())
    )
    if last is not None:
        await turn.repo.session.delete(last)


async def editor_keyboard(turn: Turn, kind: Kind, doc_id: int) -> Keyboard:
    token = await turn.button(f"{kind.name}_edit", {"id": doc_id})
    return [
        [Button(turn.label("button", "submit"), data(token, "submit"))],
        [
            Button(turn.label("button", "drop_last"), data(token, "drop")),
            Button(turn.label("button", "clear"), data(token, "clear")),
        ],
    ]
