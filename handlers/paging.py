"""Long answers split into pages within Telegram's 4,096-character limit, turned with buttons."""

from __future__ import annotations

from bot.rendering import chunks
from bot.rules.roles import Access
from handlers.buttons import button, data
from handlers.turn import Button, Keyboard, Refusal, Turn

PAGE_LIMIT = 3800  # room for the page marker under Telegram's 4,096


def paginate(text: str, limit: int = PAGE_LIMIT) -> list[str]:
    """Split on line boundaries, each page marked (n/m) when there are several."""
    pages = chunks(text, limit)
    if len(pages) > 1:
        pages = [f"{page}\n\n({number}/{len(pages)})" for number, page in enumerate(pages, start=1)]
    return pages


def page_keyboard(turn: Turn, token: str, index: int, count: int) -> Keyboard:
    row = []
    if index > 0:
        row.append(Button(turn.label("button", "prev_page"), data(token, index - 1)))
    if index < count - 1:
        row.append(Button(turn.label("button", "next_page"), data(token, index + 1)))
    return [row]


@button("page", Access.ANYONE)
async def turn_page(turn: Turn, payload: dict, arg: str, record) -> None:
    if payload.get("admin") and not turn.identity.is_admin:
        raise Refusal("chat/errors/not_allowed.j2", alert=True)
    pages = payload.get("pages", [])
    if not arg.isdigit() or not 0 <= int(arg) < len(pages):
        raise Refusal("chat/errors/button_unknown.j2", alert=True)
    index = int(arg)
    turn.effects.edit = (pages[index], page_keyboard(turn, record.token, index, len(pages)))
