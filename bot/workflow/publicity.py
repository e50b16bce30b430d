"""Publicity: the group it goes to, the notice, posting it, and ending it with each ratee told his result."""

from __future__ import annotations

from bot.rules.cycle import Event
from bot.rules.domain import AssessmentStatus, Quarter
from bot.rules.publicity import Notice, build_notice
from bot.workflow.outcomes import result_grounds
from bot.workflow.phases import transition
from bot.workflow.unit import Button, Refusal, Work, button_data
from storage.models import Assessment, Publicity

GROUP_KEY = "group_chat_id"


async def group_chat_id(work: Work) -> int | None:
    """The bureau's group: bound in chat with /bindgroup, else the configured one."""
    value = await work.repo.setting(GROUP_KEY)
    return int(value) if value is not None else work.settings.telegram.group_chat_id


async def bind_group(work: Work, chat_id: int, title: str | None) -> None:
    await work.repo.put_setting(GROUP_KEY, str(chat_id), work.user_id, work.now)
    await work.repo.audit(work.actor, "group_bound", chat_id=chat_id, title=title)


async def notice_of(work: Work, assessment: Assessment) -> Notice:
    people = await work.repo.people_by_id()
    sections = await work.repo.section_names()
    rows = []
    for r in await work.repo.results(assessment.id):
        p = people[r.person_id]
        rows.append((p.name, sections.get(p.section_id, ""), r.final_tier, bool(r.exempt_reasons)))
    return build_notice(rows)


def publicity_period(work: Work):
    """The working days the notice runs from now."""
    schedule = work.settings.schedule
    return work.calendar.publicity_period(
        work.now, schedule.publicity_workdays, schedule.publicity_same_day_before, schedule.publicity_end_time
    )


async def group_or_refuse(work: Work) -> int:
    chat_id = await group_chat_id(work)
    if chat_id is None:
        raise Refusal("chat/admin/no_group.j2")
    return chat_id


async def publish(work: Work, assessment: Assessment, bot_username: str | None):
    """Post the GOOD tier to the group for the publicity period; returns the period."""
    quarter = assessment.period
    await work.repo.lock(assessment)  # a second press at the same moment waits, then is refused
    chat_id = await group_or_refuse(work)
    transition(work, assessment, Event.PUBLISH)
    period = publicity_period(work)
    number = await work.repo.publicity_rounds(assessment.id) + 1
    work.repo.add(
        Publicity(
            assessment_id=assessment.id,
            round=number,
            chat_id=chat_id,
            starts_on=period.starts_on,
            ends_at=period.ends_at,
        )
    )
    await work.notify(
        f"publicity:{quarter}:{number}",
        chat_id,
        "chat/group/publicity_notice.j2",
        kind="publicity_notice",
        quarter=quarter,
        notice=await notice_of(work, assessment),
        period=period,
        bureau=work.settings.bureau_name,
        bot=bot_username,
        round=number,
    )
    await work.repo.audit(
        work.actor,
        "published",
        assessment_id=assessment.id,
        round=number,
        starts_on=period.starts_on,
        ends_at=period.ends_at,
    )
    return period


async def publicity_can_close(work: Work, assessment: Assessment, quarter: Quarter) -> Publicity:
    """The running publicity if it may end now: its period is over and no objection is open."""
    if assessment.status is not AssessmentStatus.PUBLICITY:
        raise Refusal("chat/admin/wrong_status.j2", quarter=quarter, status=assessment.status, event="close")
    publicity = await work.repo.current_publicity(assessment.id)
    if publicity is None:
        raise Refusal("chat/admin/wrong_status.j2", quarter=quarter, status=assessment.status, event="close")
    if work.now < publicity.ends_at:
        raise Refusal(
            "chat/admin/publicity_not_over.j2", ends_at=publicity.ends_at.astimezone(work.calendar.tz)
        )
    open_objections = await work.repo.open_objection_count(assessment.id)
    if open_objections:
        raise Refusal("chat/admin/objections_open.j2", count=open_objections)
    return publicity


async def end_publicity_when_due(work: Work, assessment: Assessment) -> None:
    """The scheduler's end of publicity: once its period is over it ends, unless objections are open, of
    which the admins are told once per round."""
    await work.repo.lock(assessment)
    if assessment.status is not AssessmentStatus.PUBLICITY:  # an admin ended it meanwhile
        return
    publicity = await work.repo.current_publicity(assessment.id)
    if publicity is None or work.now < publicity.ends_at:
        return
    open_objections = await work.repo.open_objection_count(assessment.id)
    if open_objections:
        await work.tell_admins(
            f"publicity_waits:{assessment.period}:{publicity.round}",
            "chat/admin/objections_open.j2",
            kind="publicity_waits",
            count=open_objections,
        )
        return
    ended = publicity.ends_at.astimezone(work.calendar.tz)
    await finish_publicity(work, assessment)
    await work.tell_admins(
        f"publicity_ended:{assessment.period}:{publicity.round}",
        "chat/admin/publicity_ended_by_itself.j2",
        kind="publicity_ended",
        quarter=assessment.period,
        ended=ended,
    )


async def finish_publicity(work: Work, assessment: Assessment) -> None:
    """End publicity: closing notice in the group, results final, each ratee told his own result."""
    quarter = assessment.period
    await work.repo.lock(assessment)
    publicity = await publicity_can_close(work, assessment, quarter)
    publicity.closed_at = work.now
    transition(work, assessment, Event.CLOSE_PUBLICITY)
    await work.notify(
        f"publicity_closed:{quarter}:{publicity.round}",
        publicity.chat_id,
        "chat/group/publicity_closed.j2",
        kind="publicity_closed",
        quarter=quarter,
        bureau=work.settings.bureau_name,
    )
    people = await work.repo.people_by_id()
    grounds = await result_grounds(work, assessment)
    for row in await work.repo.results(assessment.id):
        person = people[row.person_id]
        token = await work.button(
            "feedback", {"quarter": str(quarter)}, owner_id=person.telegram_user_id or 0
        )
        await work.notify(
            f"result:{quarter}:{person.id}",
            person.telegram_user_id,
            "chat/staff/own_result.j2",
            [[Button(work.label("button", "feedback"), button_data(token))]],
            person_id=person.id,
            kind="own_result",
            name=person.name,
            quarter=quarter,
            result=row,
            basis=grounds.get(row.person_id),
        )
    await work.repo.audit(work.actor, "publicity_closed", assessment_id=assessment.id, round=publicity.round)
