"""Who is missing for the phase at hand (for /status and /close rating), and reminding just them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bot.rules.domain import AssessmentStatus, Phase, Quarter, ReviewStatus
from bot.rules.periods import summary_deadline
from bot.workflow.invites import create_invites
from bot.workflow.months import closed, month_in_view
from bot.workflow.phases import is_open, local_until, quarter_for, window_of
from bot.workflow.raters import outstanding_ballots, ratees
from bot.workflow.reminders import reminder_key
from bot.workflow.unit import Refusal, Work
from storage.models import Assessment, Goal, Person, Registration

DONE = (ReviewStatus.SUBMITTED, ReviewStatus.APPROVED)
UNSETTLED = (AssessmentStatus.PREPARING, AssessmentStatus.RATING, AssessmentStatus.COMPUTED)
KINDS = ("summary", "goals", "registration", "rating")


@dataclass
class Missing:
    """The people missing, by list; a quarter's list is None while its phase is not open."""

    month: tuple[int, int] | None  # None before the bot takes part in any month
    summaries: list[Person] = field(default_factory=list)
    goals: list[Person] | None = None
    goals_quarter: Quarter | None = None
    registrations: list[Person] | None = None
    registration_quarter: Quarter | None = None
    registration_closed: bool = False  # its window has passed: listed, no longer chased
    ballots: list[tuple[Person, int]] | None = None  # rater, how many ballots he still owes
    rating_quarter: Quarter | None = None
    unbound: list[Person] = field(default_factory=list)
    sections: dict[int, str] = field(default_factory=dict)  # section id -> name, to group the names

    def by_section(self, people: list[Person]) -> list[tuple[str, list[Person]]]:
        """The people grouped under their section's name ("" for the bureau's leaders), in roster order."""
        groups: dict[str, list[Person]] = {}
        for person in people:
            groups.setdefault(self.sections.get(person.section_id, ""), []).append(person)
        return sorted(groups.items())


@dataclass(frozen=True)
class Chased:
    """A reminder round of one list: reminded now, already reminded today, not reachable (never bound)."""

    kind: str
    reminded: int
    already: int
    unbound: list[str]


async def _open(work: Work, phase: Phase, given: Quarter | None) -> tuple[Quarter, Assessment | None]:
    quarter = await quarter_for(work, phase, given)
    assessment = await work.repo.assessment(quarter)
    if assessment is None or not await is_open(work, assessment, phase):
        return quarter, None
    if phase is Phase.RATING and assessment.status is not AssessmentStatus.RATING:
        return quarter, None
    return quarter, assessment


async def _closed_unsettled(work: Work, quarter: Quarter, phase: Phase) -> Assessment | None:
    """The quarter's assessment when the phase's window has passed and its results are not confirmed."""
    assessment = await work.repo.assessment(quarter)
    if assessment is None or assessment.status not in UNSETTLED:
        return None
    return assessment if work.now >= (await window_of(work, assessment, phase)).closes else None


async def _without(work: Work, model, assessment: Assessment) -> list[Person]:
    done = {d.person_id for d in await work.repo.quarter_docs(model, assessment.id, statuses=DONE)}
    return [p for p in await ratees(work) if p.id not in done]


async def _raters_owing(work: Work, assessment: Assessment) -> list[tuple[Person, int]]:
    """Raters with ballots outstanding and how many: never whom they are about."""
    people = await work.repo.people_by_id(active_only=True)
    owing = await outstanding_ballots(work, assessment)
    return [(people[r], n) for r, n in sorted(owing.items()) if r in people]


async def missing_now(work: Work, given: Quarter | None = None) -> Missing:
    """Everyone missing for what is at hand: the month's summaries, the open phases, unbound accounts."""
    month = await month_in_view(work)
    missing = Missing(month)
    if month is not None:
        done = await work.repo.summaries_done(month[0], month[1], DONE)
        missing.summaries = [p for p in await ratees(work) if p.id not in done]
    missing.sections = await work.repo.section_names()
    quarter, assessment = await _open(work, Phase.GOALS, given)
    if assessment is not None:
        missing.goals, missing.goals_quarter = await _without(work, Goal, assessment), quarter
    quarter, assessment = await _open(work, Phase.REGISTRATION, given)
    if assessment is None:  # closed: those who never handed it in stay listed until the quarter is decided
        assessment = await _closed_unsettled(work, quarter, Phase.REGISTRATION)
        missing.registration_closed = assessment is not None
    if assessment is not None:
        missing.registrations = await _without(work, Registration, assessment)
        missing.registration_quarter = quarter
    quarter, assessment = await _open(work, Phase.RATING, given)
    if assessment is not None:
        missing.ballots, missing.rating_quarter = await _raters_owing(work, assessment), quarter
    missing.unbound = await unbound_people(work)
    return missing


async def chase(work: Work, kind: str, period: str) -> Chased | None:
    """Remind once today each person still missing from one list (recomputed now); None when the list is
    no longer at hand (its phase closed, or another month is at hand)."""
    today = work.today
    sent = already = 0
    unbound: list[str] = []

    async def one(person: Person, template: str, key_period: str, **context) -> None:
        nonlocal sent, already
        if person.telegram_user_id is None:
            unbound.append(person.name)
            return
        queued = await work.notify(
            reminder_key(kind, key_period, person.id, today),
            person.telegram_user_id,
            template,
            person_id=person.id,
            kind=f"{kind}_reminder",
            name=person.name,
            **context,
        )
        sent, already = sent + queued, already + (not queued)

    if kind == "summary":
        at_hand = await month_in_view(work)
        if at_hand is None or period != f"{at_hand[0]}-{at_hand[1]:02d}" or await closed(work, *at_hand):
            return None
        year, month = at_hand
        deadline = summary_deadline(year, month, work.calendar, work.settings.schedule)
        deadline = deadline.astimezone(work.calendar.tz)
        for person in (await missing_now(work)).summaries:
            await one(
                person,
                "chat/staff/summary_chase.j2",
                period,
                year=year,
                month=month,
                deadline=deadline,
                overdue=work.now >= deadline,
            )
    else:
        phase = {"goals": Phase.GOALS, "registration": Phase.REGISTRATION, "rating": Phase.RATING}[kind]
        quarter, assessment = await _open(work, phase, Quarter.parse(period))
        if assessment is None:
            return None
        until = local_until(work, (await window_of(work, assessment, phase)).closes)
        if phase is Phase.RATING:
            for person, count in await _raters_owing(work, assessment):
                template = "chat/leaders/rating_reminder.j2"
                await one(person, template, str(quarter), quarter=quarter, count=count, until=until)
        else:
            model = Goal if phase is Phase.GOALS else Registration
            for person in await _without(work, model, assessment):
                await one(person, f"chat/staff/{kind}_request.j2", str(quarter), quarter=quarter, until=until)
    await work.repo.audit(work.actor, "chased", list=kind, period=period, reminded=sent)
    return Chased(kind, sent, already, unbound)


async def unbound_people(work: Work) -> list[Person]:
    """People in post who never bound a Telegram account: no reminder reaches them."""
    return [p for p in await work.repo.people(active_only=True) if p.telegram_user_id is None]


async def reinvite_unbound(work: Work) -> tuple[list[tuple[Person, str]], dt.datetime]:
    """Fresh one-time links for everyone still unbound, for the admin to forward (they have no chat)."""
    people = await unbound_people(work)
    if not people:  # bound since the list was shown
        raise Refusal("chat/admin/all_bound.j2", alert=True)
    return await create_invites(work, people)
