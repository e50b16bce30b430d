"""From which month the bot takes part: an admin's /firstmonth, else the settings, else the roster."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from bot.rules.cycle import default_window
from bot.rules.domain import Phase, Quarter
from bot.rules.periods import Month, first_quarter, first_whole_month, month_followed, quarter_followed
from bot.settings import Settings
from bot.workflow.unit import Refusal, Work
from storage.repository import Repository

FIRST_MONTH_KEY = "first_month"  # bot_setting: "2026-08", set by an admin's /firstmonth
ROSTER_LOADED_KEY = "roster_loaded_on"  # bot_setting: "2026-07-01", the day the roster was first loaded


class SpanSource(StrEnum):
    """Where the first month comes from, in order of precedence."""

    ADMIN = "admin"
    SETTINGS = "settings"
    ROSTER = "roster"
    TODAY = "today"  # no roster yet: the first whole month after today


@dataclass(frozen=True)
class Span:
    """The months and quarters the bot takes part in: `first` and everything after."""

    first: Month
    source: SpanSource
    loaded_on: dt.date | None = None

    def month(self, year: int, month: int) -> bool:
        return month_followed(self.first, year, month)

    def quarter(self, quarter: Quarter) -> bool:
        return quarter_followed(self.first, quarter)

    @property
    def first_quarter(self) -> Quarter:
        return first_quarter(self.first)


def _month(text: str) -> Month:
    year, month = text.split("-")
    return int(year), int(month)


async def span_of(
    repo: Repository, settings: Settings, today: dt.date, *, admins: bool = True, pin: bool = False
) -> Span:
    """The bot's span: the admins' month wins over the settings, which win over the default.

    The default is the first whole month after the roster was loaded, dated the first time the bot
    looks with people on the roster (`pin`; before any roster, after today). Each reaches back to the
    first quarter already under way (documents in, past preparation, or a phase an admin opened by
    hand): a bot upgraded with its history keeps following it, and an admin's `/open rating 2026Q2`
    brings Q2 in, to be closed, shown and counted like any other.
    `admins=False`: the span without the admins' month, what "/firstmonth default" goes back to.
    """
    stored = await repo.setting(FIRST_MONTH_KEY) if admins else None
    loaded = await repo.setting(ROSTER_LOADED_KEY)
    if loaded is None and pin and await repo.people(active_only=True):
        await repo.serialize(ROSTER_LOADED_KEY)  # two first looks at once: one dates it, the other reads it
        loaded = await repo.setting(ROSTER_LOADED_KEY)
        if loaded is None:
            loaded = today.isoformat()
            await repo.put_setting(ROSTER_LOADED_KEY, loaded, None, dt.datetime.now(dt.UTC))
    loaded_on = dt.date.fromisoformat(loaded) if loaded else None
    configured = settings.start.month
    if stored:
        first, source = _month(stored), SpanSource.ADMIN
    elif configured is not None:
        first, source = configured, SpanSource.SETTINGS
    else:
        first = first_whole_month(loaded_on or today)
        source = SpanSource.ROSTER if loaded_on else SpanSource.TODAY
    under_way = await repo.quarters_under_way()
    if under_way and not quarter_followed(first, under_way[0]):
        first = (under_way[0].year, under_way[0].months[0])  # a quarter begun is followed to its end
    return Span(first, source, loaded_on)


async def span(work: Work) -> Span:
    """The bot's span now (span_of), the roster's day pinned the first time it is asked."""
    return await span_of(work.repo, work.settings, work.today, pin=True)


async def under_way(work: Work) -> list[Quarter]:
    """The quarters begun: with documents or past preparation, or with a phase whose window has opened
    (its people were asked)."""
    begun = set(await work.repo.quarters_under_way())
    calendar, schedule = work.calendar, work.settings.schedule
    for assessment in await work.repo.assessments():
        for phase in (Phase.GOALS, Phase.REGISTRATION, Phase.RATING):
            if default_window(phase, assessment.period, calendar, schedule).opens <= work.now:
                begun.add(assessment.period)
    return sorted(begun, key=lambda q: (q.year, q.number))


async def set_first_month(work: Work, chosen: Month | None) -> Span:
    """An admin's first month (None: back to the default). A month after a period already under way is
    refused: what was done for it would be orphaned (its summaries unread, its quarter never finished).
    Two admins at once take turns: the second reads the first's month, and is answered with what holds."""
    await work.repo.serialize(FIRST_MONTH_KEY)
    now = await span(work)
    default = await span_of(work.repo, work.settings, work.today, admins=False)
    first = chosen if chosen is not None else default.first
    # a month already past brings in periods whose reminders and windows went by unannounced: the
    # scheduler would open their phases at once (a Q2 rating on 8 July nobody registered for); an
    # earlier quarter is run by hand (/open), a month the bot already follows stays allowed
    current = (work.today.year, work.today.month)
    if chosen is not None and chosen < current and chosen < now.first:
        raise Refusal(
            "chat/admin/first_month_past.j2", first=first, current=current, quarter=first_quarter(first)
        )
    # only what the bot follows now can be orphaned: a summary someone wrote for an earlier month is not
    earliest = await work.repo.earliest_summary_month(now.first)
    if earliest is not None and not month_followed(first, *earliest):
        raise Refusal("chat/admin/first_month_started.j2", first=first, month=earliest, quarter=None)
    for quarter in await under_way(work):
        if now.quarter(quarter) and not quarter_followed(first, quarter):
            raise Refusal("chat/admin/first_month_started.j2", first=first, month=None, quarter=quarter)
    if chosen is not None:
        await work.repo.put_setting(FIRST_MONTH_KEY, f"{first[0]:04d}-{first[1]:02d}", work.user_id, work.now)
    else:
        await work.repo.drop_setting(FIRST_MONTH_KEY)
    await work.repo.audit(
        work.actor, "first_month_set", month=f"{first[0]:04d}-{first[1]:02d}", by_default=chosen is None
    )
    return await span(work)
