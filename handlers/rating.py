"""Rating on the phone: the list of ratees with progress, one ratee at a time, one message edited in place.

The screen only: each press is parsed, handed to the rating workflow (bot/workflow/ballots.py), which
checks and writes, and what it returns is drawn into the message.
"""

from __future__ import annotations

from bot.rules.domain import Quarter
from bot.rules.roles import Access
from bot.rules.text import ascii_number
from bot.workflow import ballots
from bot.workflow.ballots import BallotView, RateeList
from handlers.buttons import button, data
from handlers.turn import Button, Keyboard, Refusal, Turn, on

PAGE = 20
ROW = 7


def _rater(turn: Turn) -> int:
    return turn.identity.person.id


@on(Access.RATER)
async def rate(turn: Turn) -> None:
    """/rate: the ratees this user scores, with progress."""
    await _show_list(turn, await ballots.first_ratee_list(turn, _rater(turn)), 0, edit=False)


async def _show_list(
    turn: Turn, listing: RateeList, page: int, *, edit: bool, note: str | None = None
) -> None:
    rows = listing.rows
    pages = max(1, -(-len(rows) // PAGE))
    page = min(max(page, 0), pages - 1)
    token = await turn.button("rate_list", {"assessment_id": listing.assessment.id})
    keyboard: Keyboard = []
    if _in_private(turn) and listing.done < listing.total:
        keyboard += turn.sheet_keyboard() or []
    shown = rows[page * PAGE : (page + 1) * PAGE]
    for start in range(0, len(shown), 2):
        keyboard.append(
            [
                Button(
                    ("✓ " if r.state == "submitted" else "✎ " if r.state == "draft" else "") + r.name,
                    data(token, f"r{r.ratee_id}"),
                )
                for r in shown[start : start + 2]
            ]
        )
    nav = []
    if page > 0:
        nav.append(Button(turn.label("button", "prev_page"), data(token, f"p{page - 1}")))
    if page < pages - 1:
        nav.append(Button(turn.label("button", "next_page"), data(token, f"p{page + 1}")))
    if nav:
        keyboard.append(nav)
    context = dict(
        quarter=listing.quarter,
        done=listing.done,
        total=listing.total,
        rows=[(r.name, r.section, r.state) for r in shown],
        note=note,
    )
    if edit:
        turn.edit("chat/leaders/rate_list.j2", keyboard, **context)
    else:
        turn.reply("chat/leaders/rate_list.j2", keyboard, **context)


def _in_private(turn: Turn) -> bool:
    """Telegram opens a Mini App button only from a private chat."""
    chat = turn.update.effective_chat if turn.update is not None else None
    return chat is not None and chat.type == "private"


@button("rate_list", Access.RATER)
async def rate_list_pressed(turn: Turn, payload: dict, arg: str, record) -> None:
    assessment_id = payload.get("assessment_id")
    number = ascii_number(arg[1:])
    if arg.startswith("p") and number is not None:
        await _show_list(turn, await ballots.ratee_list(turn, _rater(turn), assessment_id), number, edit=True)
    elif arg.startswith("r") and number is not None:
        await _show_ballot(turn, await ballots.open_ballot(turn, _rater(turn), assessment_id, number))
    else:
        await ballots.open_rating(turn, assessment_id)  # a closed quarter's refusal comes first
        raise Refusal("chat/errors/button_unknown.j2", alert=True)


async def _show_ballot(turn: Turn, view: BallotView, focus: int | None = None) -> None:
    token = await turn.button("ballot", {"ballot_id": view.ballot.id})
    _render(turn, view, token, focus)


def _render(turn: Turn, view: BallotView, token: str, focus: int | None = None) -> None:
    if view.submitted:
        keyboard = [[Button(turn.label("button", "list"), data(token, "l"))]]
        turn.edit(
            "chat/leaders/ballot_submitted.j2",
            keyboard,
            ratee=view.ratee,
            section=view.section,
            items=view.items,
            score=view.score,
            note=None,
        )
        return
    index = focus if focus is not None else view.first_unscored()
    if index is None:
        keyboard = [[Button(turn.label("button", "submit"), data(token, "x"))]]
        edit_row = [Button(str(i + 1), data(token, f"e{i}")) for i in range(len(view.items))]
        keyboard += [edit_row[i : i + ROW] for i in range(0, len(edit_row), ROW)]
        keyboard.append([Button(turn.label("button", "list"), data(token, "l"))])
        turn.edit(
            "chat/leaders/ballot_review.j2",
            keyboard,
            ratee=view.ratee,
            section=view.section,
            items=view.items,
            score=view.score,
            note=None,
        )
        return
    item = view.items[index]
    scores = [Button(str(p), data(token, f"s{index}.{p}")) for p in range(item.max_points, -1, -1)]
    keyboard = [scores[i : i + ROW] for i in range(0, len(scores), ROW)]
    nav = []
    if index > 0:
        nav.append(Button(turn.label("button", "back"), data(token, f"e{index - 1}")))
    nav.append(Button(turn.label("button", "list"), data(token, "l")))
    keyboard.append(nav)
    turn.edit(
        "chat/leaders/ballot_item.j2",
        keyboard,
        ratee=view.ratee,
        section=view.section,
        items=view.items,
        index=index,
        item=item,
        part=item.part,
    )


@button("ballot", Access.RATER)
async def ballot_pressed(turn: Turn, payload: dict, arg: str, record) -> None:
    """l: back to the list; s<item>.<points>: score an item; e<item>: change one; x: submit."""
    rater, ballot_id = _rater(turn), payload.get("ballot_id")
    if arg == "l":
        await _show_list(turn, await ballots.list_of_ballot(turn, rater, ballot_id), 0, edit=True)
    elif arg == "x":
        view = await ballots.submit_ballot(turn, rater, ballot_id)
        turn.answer("chat/leaders/ballot_saved.j2", name=view.ratee.name)
        following = await ballots.next_to_rate(turn, rater, view)
        if isinstance(following, RateeList):
            await _show_list(turn, following, 0, edit=True, note=view.ratee.name)
        else:
            await _show_ballot(turn, following)
    elif (score := _score_arg(arg)) is not None:
        _render(turn, await ballots.score_item(turn, rater, ballot_id, *score), record.token)
    else:
        view = await ballots.draft(turn, rater, ballot_id)  # its own refusals come before a bad press
        focus = ascii_number(arg[1:]) if arg.startswith("e") else None
        if focus is None or focus >= len(view.items):
            raise Refusal("chat/errors/button_unknown.j2", alert=True)
        _render(turn, view, record.token, focus=focus)


def _score_arg(arg: str) -> tuple[int, int] | None:
    """s<item>.<points> as (item, points); a malformed one is None."""
    if not arg.startswith("s"):
        return None
    index_text, _, points_text = arg[1:].partition(".")
    index, points = ascii_number(index_text), ascii_number(points_text)
    if index is None or points is None:
        return None
    return index, points


async def outstanding_for(turn: Turn) -> list[tuple[Quarter, int, int]]:
    """(quarter, scored, to score) of every open rating this user takes part in (for /me)."""
    return await ballots.outstanding_for(turn, _rater(turn))
