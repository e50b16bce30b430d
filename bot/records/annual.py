"""The annual linkage of a year, read from the four quarters' stored results."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from bot.rules.cycle import default_window
from bot.rules.domain import AnnualRecommendation, ExemptionKind, Phase, Quarter
from bot.rules.linkage import AnnualResult, QuarterOutcome, annual_linkage
from bot.settings import Settings
from bot.workflow.quarter import ACCEPTING_BALLOTS, work_calendar
from bot.workflow.span import span_of
from storage.models import Registration
from storage.repository import Repository


@dataclass(frozen=True)
class AnnualLine:
    name: str
    section: str
    result: AnnualResult


@dataclass(frozen=True)
class AnnualReport:
    """The year's lines; `through` is its last quarter with final results (below 4: the year so far)."""

    year: int
    lines: tuple[AnnualLine, ...]
    counts: dict[AnnualRecommendation, int]
    disqualified: int
    through: int = 4

    @property
    def complete(self) -> bool:
        return self.through == 4


async def annual_report(repo: Repository, settings: Settings, year: int) -> AnnualReport:
    """Every person with a final result in the year, with the recommendation for the annual assessment;
    the quarters before the bot took part (bot.workflow.span) are not counted."""
    calendar = await work_calendar(repo, settings)
    followed = await span_of(repo, settings, dt.datetime.now(calendar.tz).date())
    outcomes: dict[int, list[QuarterOutcome]] = {}
    for number in range(1, 5):
        quarter = Quarter(year, number)
        if not followed.quarter(quarter):
            continue
        assessment = await repo.assessment(quarter)
        if assessment is None or assessment.status in ACCEPTING_BALLOTS:
            continue  # nothing of a quarter that accepts ballots is shown (SPEC 4)
        deadline = default_window(Phase.REGISTRATION, quarter, calendar, settings.schedule).closes
        registered = {
            r.person_id: r.submitted_at for r in await repo.quarter_docs(Registration, assessment.id)
        }
        excused = {e.person_id for e in await repo.exemptions(assessment.id, ExemptionKind.EXCUSED)}
        for row in await repo.results(assessment.id):
            if row.final_tier is None and not row.exempt_reasons:
                continue  # not confirmed yet
            submitted = registered.get(row.person_id)
            outcomes.setdefault(row.person_id, []).append(
                QuarterOutcome(
                    quarter,
                    row.final_tier,
                    exempt=bool(row.exempt_reasons),
                    registered_on_time=submitted is not None and _on_time(submitted, deadline),
                    excused=row.person_id in excused,
                )
            )
    people = {p.id: p for p in await repo.people()}
    sections = {s.id: s.name for s in await repo.sections()}
    lines = tuple(
        AnnualLine(people[pid].name, sections.get(people[pid].section_id, ""), annual_linkage(found))
        for pid, found in sorted(
            outcomes.items(), key=lambda item: (people[item[0]].section_id or 0, item[0])
        )
    )
    counts = Counter(line.result.recommendation for line in lines)
    return AnnualReport(
        year,
        lines,
        {r: counts.get(r, 0) for r in AnnualRecommendation},
        sum(1 for line in lines if line.result.disqualified),
        max((o.quarter.number for found in outcomes.values() for o in found), default=4),
    )


def _on_time(submitted: dt.datetime, deadline: dt.datetime | None) -> bool:
    return deadline is None or submitted <= deadline
