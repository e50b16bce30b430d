"""Each person's standing now (roles, open phases, ballots to give): his menu and /help are drawn from it."""

from __future__ import annotations

from bot.rules.domain import AssessmentStatus, Role
from bot.rules.menus import Standing
from bot.rules.roles import reviews_others
from bot.workflow.ballots import rating_assessments
from bot.workflow.raters import outstanding_ballots
from bot.workflow.unit import Work


async def standings(work: Work) -> dict[int, Standing]:
    """Telegram chat id -> the standing of everyone bound (active) and of every admin, now."""
    admins = set(work.settings.admins.ids) | await work.repo.admin_user_ids()
    supervision = await work.repo.supervision()
    in_publicity = bool(await work.repo.assessments(AssessmentStatus.PUBLICITY))
    feedback_open = await work.repo.latest_assessment(AssessmentStatus.FINAL) is not None
    to_give: set[int] = set()
    for assessment in await rating_assessments(work):
        to_give |= {rater for rater, count in (await outstanding_ballots(work, assessment)).items() if count}
    found: dict[int, Standing] = {}
    for person in await work.repo.people(active_only=True):
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
