"""Who reviews whom: a ratee's direct leaders for his summaries, a section's supervisors for goals."""

from __future__ import annotations

from bot.rules.roles import PersonView, direct_leaders, section_supervisors
from bot.workflow.unit import Work


async def _supervisors_of(work: Work) -> dict[int, set[int]]:
    supervisors_of: dict[int, set[int]] = {}
    for leader, sections in (await work.repo.supervision()).items():
        for section in sections:
            supervisors_of.setdefault(section, set()).add(leader)
    return supervisors_of


async def reviewers_of_summary(work: Work, person: PersonView) -> list[int]:
    """The person ids who review this person's monthly summary."""
    views = [PersonView(p.id, p.name, p.role, p.section_id, p.active) for p in await work.repo.people()]
    return direct_leaders(person, views, await _supervisors_of(work))


async def supervisors_of_section(work: Work, section_id: int | None) -> list[int]:
    """The person ids who review a section's goals and registrations."""
    return section_supervisors(section_id, await _supervisors_of(work))
