"""Long answers split into pages within Telegram's 4,096-character limit, turned with buttons."""

from __future__ import annotations

import datetime as dt

from bot.rendering import chunks, render
from bot.rules.roles import Access
from bot.rules.text import ascii_number
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
    # The pages were drawn for what their command required: that is checked again at every turn.
    needed = Access(payload["access"]) if payload.get("access") in set(Access) else None
    if (payload.get("admin") and not turn.identity.is_admin) or (needed and not turn.identity.allows(needed)):
        raise Refusal("chat/errors/not_allowed.j2", alert=True)
    pages = payload.get("pages", [])
    index = ascii_number(arg)
    if index is None or not index < len(pages):
        raise Refusal("chat/errors/button_unknown.j2", alert=True)
    extra = [[Button(text, callback) for text, callback in row] for row in payload.get("extra", [])]
    turn.effects.edit = (pages[index], [*page_keyboard(turn, record.token, index, len(pages)), *extra])


async def send_paged(
    turn: Turn,
    template: str,
    /,
    extra_row: list[Button] | None = None,
    extra_rows: Keyboard | None = None,
    **context,
) -> None:
    """Render, and split into pages with buttons when longer than a Telegram message; `extra_row` (or the
    rows `extra_rows`) goes under the page buttons, on every page."""
    pages = paginate(render(template, **context))
    extra: Keyboard = [*([extra_row] if extra_row else []), *(extra_rows or [])]
    keyboard: Keyboard = []
    if len(pages) > 1:
        expires = turn.now + dt.timedelta(days=1)
        kept = [[(b.text, b.data) for b in row] for row in extra]
        token = await turn.button(
            "page",
            {"pages": pages, "admin": turn.identity.is_admin, "access": turn.access, "extra": kept},
            expires_at=expires,
        )
        keyboard = page_keyboard(turn, token, 0, len(pages))
    keyboard = [*keyboard, *extra]
    turn.effects.replies.append((pages[0], keyboard or None))
