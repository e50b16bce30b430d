"""What leaders do in chat: review summaries, goals and registrations (approve or return), list what awaits.

Each handler reads the update, makes one call into the workflow and answers with its outcome.
"""

from __future__ import annotations

from bot.rules.roles import Access
from bot.workflow import reviews
from bot.workflow.documents import review_buttons, review_keyboard
from bot.workflow.unit import button_data as data
from handlers.buttons import button
from handlers.inputs import input_mode
from handlers.turn import Button, Refusal, Turn, on

ASKING = ("return_opinion", "approve_comment")  # the modes a review's cancel button ends


async def _review_pressed(turn: Turn, kind: str, payload: dict, arg: str, record) -> None:
    doc_id, stamp = payload.get("id"), payload.get("stamp")
    if arg == "ok":
        done = await reviews.approve(turn, turn.identity.person, kind, doc_id, stamp, once=record.token)
        turn.edit(
            "chat/leaders/reviewed.j2",
            doc_kind=kind,
            approved=True,
            author=done.author.name,
            title=done.title,
        )
        return
    if arg not in ("back", "note", "cancel"):
        raise Refusal("chat/errors/button_unknown.j2", alert=True)
    found = await reviews.under_review(turn, turn.identity.person, kind, doc_id, stamp)
    if arg == "cancel":  # the return or the comment is not wanted: the document awaits its decision again
        mode, waiting = await turn.mode(lock=True)
        if mode in ASKING and waiting.get("token") == record.token:
            await turn.clear_mode()
        turn.edit(
            "chat/leaders/review_request.j2",
            review_keyboard(turn, record.token),
            doc_kind=kind,
            author=found.author.name,
            title=found.title,
            items=await reviews.items_for_review(turn, kind, found.doc),
        )
        turn.answer("chat/leaders/review_cancelled.j2")
        return
    mode = "return_opinion" if arg == "back" else "approve_comment"
    await turn.set_mode(mode, {"kind": kind, "id": found.doc.id, "stamp": stamp, "token": record.token})
    cancel = [[Button(turn.label("button", "cancel"), data(record.token, "cancel"))]]
    turn.edit(
        "chat/leaders/ask_opinion.j2" if arg == "back" else "chat/leaders/ask_comment.j2",
        cancel,
        doc_kind=kind,
        author=found.author.name,
        title=found.title,
    )


@button("review_summary", Access.REVIEWER)
async def review_summary(turn: Turn, payload: dict, arg: str, record) -> None:
    await _review_pressed(turn, "summary", payload, arg, record)


@button("review_registration", Access.REVIEWER)
async def review_registration(turn: Turn, payload: dict, arg: str, record) -> None:
    await _review_pressed(turn, "registration", payload, arg, record)


@button("review_goals", Access.REVIEWER)
async def review_goals(turn: Turn, payload: dict, arg: str, record) -> None:
    await _review_pressed(turn, "goals", payload, arg, record)


@input_mode("return_opinion", Access.REVIEWER, single_answer=True)
async def return_opinion(turn: Turn, payload: dict, text: str) -> None:
    kind = payload.get("kind")
    if kind not in reviews.MODELS:
        await turn.clear_mode()
        raise Refusal("chat/errors/no_input_expected.j2")
    done = await reviews.send_back(
        turn, turn.identity.person, kind, payload.get("id"), payload.get("stamp"), text
    )
    await turn.clear_mode()
    turn.reply(
        "chat/leaders/reviewed.j2", doc_kind=kind, approved=False, author=done.author.name, title=done.title
    )


@input_mode("approve_comment", Access.REVIEWER, single_answer=True)
async def approve_comment(turn: Turn, payload: dict, text: str) -> None:
    """The comment of an approval: the document is approved with it (its buttons are used up)."""
    kind = payload.get("kind")
    if kind not in reviews.MODELS:
        await turn.clear_mode()
        raise Refusal("chat/errors/no_input_expected.j2")
    token = payload.get("token")
    done = await reviews.approve(
        turn,
        turn.identity.person,
        kind,
        payload.get("id"),
        payload.get("stamp"),
        once=token if isinstance(token, str) else None,
        comment=text,
    )
    await turn.clear_mode()
    turn.reply(
        "chat/leaders/reviewed.j2",
        doc_kind=kind,
        approved=True,
        author=done.author.name,
        title=done.title,
        comment=done.doc.opinion,
    )


@on(Access.REVIEWER)
async def review(turn: Turn) -> None:
    """/review: everything awaiting this leader, each with its buttons again."""
    count, shown = await reviews.awaiting(turn, turn.identity.person)
    if not count:
        turn.reply("chat/leaders/nothing_to_review.j2")
        return
    turn.reply("chat/leaders/review_list.j2", count=count)
    for doc in shown:
        turn.reply(
            "chat/leaders/review_request.j2",
            await review_buttons(turn, doc.kind, doc.doc_id, doc.stamp),
            doc_kind=doc.kind,
            author=doc.author,
            title=doc.title,
            items=doc.items,
        )
