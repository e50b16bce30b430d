"""Each person's standing now (roles, open phases, ballots to give): his menu and /help are drawn from it."""

from __future__ import annotations

from bot.rules.domain import AssessmentStatus, Role
from bot.rules.menus import Standing
from bot.rules.roles import reviews_others
from bot.workflow.ballots import rating_assessments
from bot.workflow.raters import outstanding_ballots
from bot.workflow.unit import Work


async def _raters_owing(work: Work, people: list, supervision: dict[int, set[int]]) -> frozenset[int]:
    """The raters with ballots still to give in an open rating. Counting them reads every ballot and rater
    pair of the quarter, so the answer is kept by what it is derived from (the ballots submitted, the
    rater changes, who is in post in which role and section) and counted again only when that moved."""
    assessments = await rating_assessments(work)
    key = (
        tuple([await work.repo.rating_fingerprint(a.id) for a in assessments]),
        hash(tuple((p.id, p.role, p.section_id, p.telegram_user_id is not None) for p in people)),
        hash(tuple(sorted((k, tuple(sorted(v))) for k, v in supervision.items()))),
    )
    cache = work.services.owing_cache
    if cache.get("key") != key:
        owing: set[int] = set()
        for assessment in assessments:
            owing |= {
                rater for rater, count in (await outstanding_ballots(work, assessment)).items() if count
            }
        cache.clear()
        cache.update(key=key, owing=frozenset(owing))
    return cache["owing"]


async def standings(work: Work) -> dict[int, Standing]:
    """Telegram chat id -> the standing of everyone bound (active) and of every admin, now."""
    admins = set(work.settings.admins.ids) | await work.repo.admin_user_ids()
    supervision = await work.repo.supervision()
    in_publicity = bool(await work.repo.assessments(AssessmentStatus.PUBLICITY))
    feedback_open = await work.repo.latest_assessment(AssessmentStatus.FINAL) is not None
    people = await work.repo.people(active_only=True)
    to_give = await _raters_owing(work, people, supervision)
    found: dict[int, Standing] = {}
    for person in people:
        chat = person.telegram_user_id
        if chat is None:
            continue
        found[chat] = Standing(
            bound=True,
            ratee=person.is_ratee,
            reviewer=reviews_others(person.role, person.section_id),
            leadership=person.role is Role.PRINCIPAL or bool(supervision.get(person.id)),
            admin=chat in admins,
            ballots_to_give=person.id in to_give,
            in_publicity=in_publicity,
            feedback_open=feedback_open,
        )
    for chat in admins:
        found.setdefault(chat, Standing(admin=True))
    return found


async def standing_of(work: Work, chat_id: int) -> Standing:
    """One user's standing now (a stranger's is empty)."""
    return (await standings(work)).get(chat_id, Standing())
