"""Itemized documents (a monthly summary, a quarterly registration): items, limits, edits, submission."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.rules.domain import Phase, ReviewStatus
from bot.rules.roles import PersonView
from bot.rules.vocabulary import ITEM_NUMBERING, editor_word, item_replaced, item_to_delete, numbered_item
from bot.workflow.months import check_open, deadline_of
from bot.workflow.people import reviewers_of_summary, supervisors_of_section
from bot.workflow.phases import local_until, window_of
from bot.workflow.unit import Button, Keyboard, Refusal, Work, button_data
from storage.models import MonthlySummary, Person, Registration, RegistrationItem, SummaryItem

MAX_ITEMS = 50
MAX_ITEM_CHARS = 500

Author = PersonView | Person  # who writes a document: the chat's view of him, or his record


@dataclass(frozen=True)
class DocumentKind:
    """How one kind of itemized document is stored."""

    name: str
    model: type
    item_model: type
    parent_field: str


SUMMARY = DocumentKind("summary", MonthlySummary, SummaryItem, "summary_id")
REGISTRATION = DocumentKind("registration", Registration, RegistrationItem, "registration_id")
KINDS = {k.name: k for k in (SUMMARY, REGISTRATION)}


@dataclass(frozen=True)
class Change:
    """What a text did to a document: items added, or one item replaced or deleted by its number."""

    action: str  # "added", "replaced", "deleted", "dropped" (the last one) or "cleared" (all)
    number: int | None = None


ADDED = Change("added")


def edit_of(text: str, count: int) -> tuple[str, int | None, str] | None:
    """A one-line text that edits the document rather than adding to it (bot.rules.vocabulary): the
    editor's buttons typed ("drop", "clear"), "delete item 2", or a line numbered 2 or "item 2 becomes"
    replacing item 2 ("replaced"); a number neither an item nor the next one, or a number with no text,
    is "beyond" or "empty" (refused, not appended). None when the text adds items: several lines, or a
    line numbered one past the last (a list typed one numbered line per message)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) != 1:
        return None
    word = editor_word(lines[0])
    if word is not None:
        return word, None, ""
    number = item_to_delete(lines[0])
    if number is not None:
        return "deleted", number, ""
    numbered = item_replaced(lines[0]) or numbered_item(lines[0])
    if numbered is None:
        return None
    number, new_text = numbered
    if not new_text:
        return "empty", number, ""
    if 1 <= number <= count:
        return "replaced", number, new_text
    if number == count + 1:
        return None
    return "beyond", number, new_text


@dataclass(frozen=True)
class Submitted:
    """A document sent for review: what it held, its title, and how many reviewers were asked."""

    kind: str
    items: list
    title: dict
    reviewers: int


def split_items(text: str) -> list[str]:
    """One item per non-empty line; a leading item number is dropped (the bot numbers the items)."""
    items = []
    for line in text.splitlines():
        line = ITEM_NUMBERING.sub("", line).strip()
        if line:
            items.append(line)
    return items


async def items_of(work: Work, kind: DocumentKind, doc_id: int) -> list[str]:
    return await work.repo.item_texts(kind.item_model, kind.parent_field, doc_id)


async def add_items(work: Work, kind: DocumentKind, doc_id: int, texts: list[str]) -> None:
    """Append items after the last one, within the limits of length and number."""
    count = await work.repo.item_count(kind.item_model, kind.parent_field, doc_id)
    if any(len(t) > MAX_ITEM_CHARS for t in texts):
        raise Refusal("chat/staff/item_too_long.j2", limit=MAX_ITEM_CHARS)
    if count + len(texts) > MAX_ITEMS:
        raise Refusal("chat/staff/too_many_items.j2", limit=MAX_ITEMS)
    work.repo.append_items(kind.item_model, kind.parent_field, doc_id, texts, after=count)


async def replace_items(work: Work, kind: DocumentKind, doc_id: int, texts: list[str]) -> None:
    await work.repo.clear_items(kind.item_model, kind.parent_field, doc_id)
    await add_items(work, kind, doc_id, texts)


async def own_doc(work: Work, kind: DocumentKind, person_id: int, doc_id: Any):
    """The author's own document, still open to edits, locked until the transaction ends.

    A reviewer's decision locks the same row, so an approval never covers items he did not see.
    """
    row = await work.repo.get(kind.model, doc_id, for_update=True) if isinstance(doc_id, int) else None
    if row is None or row.person_id != person_id:
        raise Refusal("chat/errors/button_unknown.j2", alert=True)
    if row.status is ReviewStatus.APPROVED:
        raise Refusal("chat/staff/already_approved.j2", alert=True)
    if kind is SUMMARY and row.submissions == 0:  # a closed month takes no more late work (but what
        await check_open(work, row.year, row.month, alert=True)  # its reviewer asked to put right)
    if kind is REGISTRATION and row.submissions == 0:  # a draft left open past the deadline: over too
        await _registration_not_over(work, row)
    return row


async def _registration_not_over(work: Work, row: Registration) -> None:
    """A registration never handed in is refused once its window closed, as /registration then is."""
    assessment = await work.repo.assessment_by_id(row.assessment_id)
    window = await window_of(work, assessment, Phase.REGISTRATION)
    if window.closes is not None and work.now >= window.closes:
        closed = local_until(work, window.closes)
        raise Refusal(
            "chat/staff/phase_over.j2",
            alert=True,
            phase=Phase.REGISTRATION,
            quarter=assessment.period,
            closed=closed,
        )


def reopen(row) -> None:
    """Editing a submitted document withdraws it: the reviewer's old buttons go stale. A registration the
    author edited no longer follows the monthly summaries."""
    if row.status is ReviewStatus.SUBMITTED:
        row.status = ReviewStatus.DRAFT
    if isinstance(row, Registration):
        row.edited = True


def title_of(kind: DocumentKind, row, quarter=None) -> dict:
    """What names the document in texts: a summary's month (and whether it came late), else its quarter."""
    if kind is SUMMARY:
        return {"year": row.year, "month": row.month, "late": row.late}
    return {"quarter": quarter}


async def write(
    work: Work, kind: DocumentKind, person_id: int, doc_id: Any, text: str
) -> tuple[Any, list[str]]:
    """Text from the author, reopening the document: one new item per line, or an edit of one item by its
    number (see edit_of); returns it, its items and what changed."""
    row = await own_doc(work, kind, person_id, doc_id)
    count = await work.repo.item_count(kind.item_model, kind.parent_field, row.id)
    edit = edit_of(text, count)
    if edit is None:
        reopen(row)
        await add_items(work, kind, row.id, split_items(text))
        change = ADDED
    elif edit[0] in ("drop", "clear"):  # the editor's button, typed
        reopen(row)
        if edit[0] == "drop":
            await work.repo.drop_last_item(kind.item_model, kind.parent_field, row.id)
        else:
            await work.repo.clear_items(kind.item_model, kind.parent_field, row.id)
        change = Change("dropped" if edit[0] == "drop" else "cleared")
    elif edit[0] == "empty":
        raise Refusal("chat/staff/item_empty.j2", number=edit[1])
    elif edit[0] == "beyond":
        raise Refusal("chat/staff/no_such_item.j2", number=edit[1], count=count, adding=True)
    else:
        action, number, new_text = edit
        if len(new_text) > MAX_ITEM_CHARS:
            raise Refusal("chat/staff/item_too_long.j2", limit=MAX_ITEM_CHARS)
        if action == "deleted":
            done = await work.repo.delete_item(kind.item_model, kind.parent_field, row.id, number)
        else:
            done = await work.repo.replace_item(kind.item_model, kind.parent_field, row.id, number, new_text)
        if not done:
            raise Refusal("chat/staff/no_such_item.j2", number=number, count=count, adding=False)
        reopen(row)
        change = Change(action, number)
    await work.repo.flush()
    return row, await items_of(work, kind, row.id), change


async def drop_last(work: Work, kind: DocumentKind, person_id: int, doc_id: Any) -> list[str]:
    """Drop the last item (reopening the document); returns the items left."""
    row = await own_doc(work, kind, person_id, doc_id)
    reopen(row)
    await work.repo.drop_last_item(kind.item_model, kind.parent_field, row.id)
    await work.repo.flush()
    return await items_of(work, kind, row.id)


async def clear(work: Work, kind: DocumentKind, person_id: int, doc_id: Any) -> list[str]:
    """Drop every item (reopening the document); returns the items left: none."""
    row = await own_doc(work, kind, person_id, doc_id)
    reopen(row)
    await replace_items(work, kind, row.id, [])
    await work.repo.flush()
    return await items_of(work, kind, row.id)


async def submit(work: Work, kind: DocumentKind, author: Author, doc_id: Any) -> Submitted:
    """Send the author's document to its reviewers: the summary to his leaders, the rest to supervisors."""
    row = await own_doc(work, kind, author.id, doc_id)
    items = await items_of(work, kind, row.id)
    if not items:
        raise Refusal("chat/staff/no_items.j2", alert=True)
    if row.status is ReviewStatus.SUBMITTED:
        raise Refusal("chat/errors/already_done.j2", alert=True)
    if kind is SUMMARY and row.submissions == 0 and work.now >= deadline_of(work, row.year, row.month):
        row.late = True  # first handed in after the deadline: late, for the reviewer and on Form 1
    row.status, row.submitted_at = ReviewStatus.SUBMITTED, work.now
    row.submissions += 1
    await work.repo.audit(work.actor, f"{kind.name}_submitted", person_id=row.person_id, doc_id=row.id)
    if kind is SUMMARY:
        reviewers = await reviewers_of_summary(work, author)
        title = title_of(kind, row)
    else:
        reviewers = await supervisors_of_section(work, author.section_id)
        title = title_of(kind, row, (await work.repo.assessment_by_id(row.assessment_id)).period)
    sent = await ask_review(work, kind.name, row, reviewers, author=author.name, title=title, items=items)
    return Submitted(kind.name, items, title, sent)


async def review_buttons(
    work: Work, kind: str, doc_id: int, stamp: int, *, owner_id: int | None = None
) -> Keyboard:
    """Approve and return for one submission of a document (stale once it is submitted again)."""
    token = await work.button(f"review_{kind}", {"id": doc_id, "stamp": stamp}, owner_id=owner_id)
    return review_keyboard(work, token)


def review_keyboard(work: Work, token: str) -> Keyboard:
    """The review buttons of one server-side token: approve, return, approve with a comment."""
    return [
        [
            Button(work.label("button", "approve"), button_data(token, "ok")),
            Button(work.label("button", "return"), button_data(token, "back")),
        ],
        [Button(work.label("button", "approve_note"), button_data(token, "note"))],
    ]


async def ask_review(
    work: Work, kind: str, doc, reviewer_ids: list[int], *, author: str, title: dict, items: list
) -> int:
    """Send the document to its reviewers with approve / return buttons, once per submission."""
    people = await work.repo.people_by_id()
    stamp = doc.submissions
    sent = 0
    for reviewer_id in reviewer_ids:
        reviewer = people.get(reviewer_id)
        if reviewer is None or not reviewer.active:
            continue
        keyboard = await review_buttons(work, kind, doc.id, stamp, owner_id=reviewer.telegram_user_id or 0)
        sent += await work.notify(
            f"review:{kind}:{doc.id}:{stamp}:{reviewer_id}",
            reviewer.telegram_user_id,
            "chat/leaders/review_request.j2",
            keyboard,
            person_id=reviewer_id,
            kind="review_request",
            doc_kind=kind,
            author=author,
            title=title,
            items=items,
        )
    return sent
