"""The sheet's four calls (ratees, ballot, save, submit): each one unit of work through the rating workflow.

Who asks is the Telegram user of the verified initData, mapped to his bound person as a chat turn maps
him (bot.workflow.identity); the body names only what to touch (a ratee, a ballot, points), and the
workflow checks it is his, open and in range, exactly as for the chat's buttons. A refused call rolls its
unit back: nothing is written. Answers are JSON; errors are {"error": code, "message": Chinese text}.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.rendering import label, render, score
from bot.rules.roles import Access
from bot.webapp.initdata import InitDataChecker, InitDataRefused
from bot.workflow import ballots
from bot.workflow.ballots import BallotView
from bot.workflow.identity import load_identity
from bot.workflow.services import Services, unavailable, written_meanwhile
from bot.workflow.unit import Refusal, Work, unit_of_work

log = logging.getLogger(__name__)

SOURCE = "sheet"  # the audit entry's source of a ballot submitted here
STATES = {ballots.PENDING: "todo", ballots.DRAFT: "draft", ballots.SUBMITTED: "submitted"}

# The workflow's refusals (chat templates) as the API's status and error code.
REFUSALS = {
    "chat/leaders/nothing_to_rate.j2": (409, "nothing_to_rate"),
    "chat/leaders/rating_closed.j2": (409, "rating_closed"),
    "chat/leaders/ballot_locked.j2": (409, "locked"),
    "chat/leaders/ballot_withdrawn.j2": (409, "withdrawn"),
    "chat/leaders/not_your_ratee.j2": (403, "not_your_ratee"),
    "chat/errors/button_unknown.j2": (403, "not_your_ballot"),
    "chat/leaders/score_out_of_range.j2": (422, "out_of_range"),
    "chat/leaders/ballot_incomplete.j2": (422, "incomplete"),
}


@dataclass(frozen=True)
class Answer:
    """An HTTP status and its JSON body."""

    status: int
    body: dict[str, Any]


class Refused(Exception):
    """A call refused before or outside the workflow: its status, code and the message's context."""

    def __init__(self, status: int, code: str, **context: Any) -> None:
        self.status, self.code, self.context = status, code, context
        super().__init__(code)


def error(status: int, code: str, **context: Any) -> Answer:
    """The JSON error: its code and its Chinese message (bot/templates/web/errors/<code>.j2)."""
    return Answer(status, {"error": code, "message": render(f"web/errors/{code}.j2", **context)})


# An id the page sends names a row only in the columns' range; outside it, it names none (as an unknown id).
UNKNOWN_ID = {"ratee_id": "not_your_ratee", "ballot_id": "not_your_ballot"}


def _number(body: dict[str, Any], key: str) -> int:
    value = body.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise Refused(400, "malformed")
    if not 1 <= value < 2**31:
        raise Refused(403, UNKNOWN_ID[key])
    return value


def _points(body: dict[str, Any]) -> dict[int, int]:
    """{"0": 7, "3": 9} as {0: 7, 3: 9}: item places in decimal digits, whole-number points."""
    given = body.get("points")
    if not isinstance(given, dict):
        raise Refused(400, "malformed")
    points = {}
    for key, value in given.items():
        if not (key.isascii() and key.isdecimal()) or len(key) > 4:
            raise Refused(422, "unknown_item")
        if not isinstance(value, int) or isinstance(value, bool):
            raise Refused(422, "not_whole")
        points[int(key)] = value
    return points


async def _ballot(work: Work, view: BallotView, rater_id: int) -> dict[str, Any]:
    done, total = await ballots.progress(work, view.ballot.assessment_id, rater_id)
    return {
        "ballot_id": view.ballot.id,
        "ratee": {"ratee_id": view.ratee.id, "name": view.ratee.name, "section": view.section},
        "items": [
            {
                "index": index,
                "name": item.name,
                "part": item.part.value,
                "max": item.max_points,
                "points": item.points,
            }
            for index, item in enumerate(view.items)
        ],
        "score": _shown(work, view.score),
        "submitted": view.submitted,
        "done": done,
        "total": total,
    }


def _shown(work: Work, value) -> str | None:
    return None if value is None else score(value, work.settings.rules.score_places)


async def ratees(work: Work, rater_id: int, _body: dict[str, Any]) -> dict[str, Any]:
    """The rater's ratees in the open rating, with how far he is and each ballot's score."""
    listing = await ballots.first_ratee_list(work, rater_id)
    scores = await ballots.ballot_scores(work, listing.assessment.id, rater_id)
    return {
        "quarter": str(listing.quarter),
        "quarter_label": label("quarter", listing.quarter),
        "done": listing.done,
        "total": listing.total,
        "ratees": [
            {
                "ratee_id": row.ratee_id,
                "name": row.name,
                "section": row.section,
                "state": STATES[row.state],
                "score": _shown(work, scores.get(row.ratee_id)),
            }
            for row in listing.rows
        ],
    }


async def ballot(work: Work, rater_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """One ratee's ballot, drafted the first time it is opened (as the chat's list does)."""
    ratee_id = _number(body, "ratee_id")
    assessment = await ballots.rating_for(work, rater_id)
    return await _ballot(work, await ballots.open_ballot(work, rater_id, assessment.id, ratee_id), rater_id)


async def save(work: Work, rater_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """Every given item's points, in one transaction: all saved, or none when one is refused."""
    ballot_id, points = _number(body, "ballot_id"), _points(body)
    return await _ballot(work, await ballots.score_items(work, rater_id, ballot_id, points), rater_id)


async def submit(work: Work, rater_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """Submit the ballot (locked and audited from then on); the next ratee to score, if any."""
    view = await ballots.submit_ballot(work, rater_id, _number(body, "ballot_id"), source=SOURCE)
    shown = await _ballot(work, view, rater_id)
    assessment = await work.repo.assessment_by_id(view.ballot.assessment_id)
    following = await ballots.next_ratee(work, assessment, rater_id)
    return {"ballot": shown, "next_ratee_id": following, "done": shown["done"], "total": shown["total"]}


Call = Callable[[Work, int, dict[str, Any]], Awaitable[dict[str, Any]]]
CALLS: dict[str, Call] = {"ratees": ratees, "ballot": ballot, "save": save, "submit": submit}


def _refused(refusal: Refusal) -> Answer:
    status, code = REFUSALS.get(refusal.template, (409, ""))
    if "item" in refusal.context:  # an item the ballot does not have (ballots.score_items)
        status, code = 422, "unknown_item"
    if not code:  # a refusal the API has no code of its own for: the chat's words
        return Answer(status, {"error": "refused", "message": refusal.text})
    return error(status, code, **{k: v for k, v in refusal.context.items() if k == "most"})


async def _called(services: Services, call: Call, user_id: int, body: dict[str, Any]) -> Answer:
    async with unit_of_work(services, user_id=user_id) as work:
        identity = await load_identity(work.repo, user_id, services.settings.admins.ids)
        if not identity.allows(Access.RATER):
            raise Refused(403, "not_bound")
        return Answer(200, await call(work, identity.person.id, body))


async def answer(
    services: Services, checker: InitDataChecker, name: str, init_data: str | None, body: Any
) -> Answer:
    """One call: the initData checked first, then the call in its own unit of work."""
    call = CALLS.get(name)
    if call is None:
        return error(404, "unknown_call")
    try:
        user_id = checker.user_id(init_data)
    except InitDataRefused as refused:
        return error(401, refused.code)
    if not isinstance(body, dict):
        return error(400, "malformed")
    try:
        try:
            return await _called(services, call, user_id, body)
        except Exception as exc:
            if name != "ballot" or not written_meanwhile(exc):
                raise
        # The same new ballot opened twice at once (a double tap, two phones): the other call drafted it,
        # and a fresh unit of work reads that one.
        return await _called(services, call, user_id, body)
    except Refused as refused:
        return error(refused.status, refused.code, **refused.context)
    except Refusal as refusal:
        return _refused(refusal)
    except Exception as exc:
        if written_meanwhile(exc):  # written by another call meanwhile: the page may try again
            return error(409, "conflict")
        if unavailable(exc):
            log.warning("database unavailable for sheet call %s: %s", name, exc)
            return error(503, "unavailable")
        log.exception("sheet call %s failed", name)
        return error(500, "internal")
