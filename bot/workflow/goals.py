"""A ratee's goals for the quarter: the role's template, or custom items weighted to 100 sent for review."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.rules.domain import Phase, Quarter, ReviewStatus
from bot.rules.periods import goals_quarter
from bot.rules.vocabulary import name_and_points
from bot.workflow import documents
from bot.workflow.documents import Author, Submitted
from bot.workflow.people import supervisors_of_section
from bot.workflow.phases import is_open, not_opening
from bot.workflow.unit import Refusal, Work
from storage.models import Assessment, Goal, GoalItem

MAX_GOAL_ITEMS = 10
MAX_NAME = 40
TOTAL = 100

Draft = list[tuple[str, int]]  # custom goal items being typed: (name, points)


@dataclass(frozen=True)
class GoalsView:
    """What /goals shows: the quarter, the goal set so far with its items, and the role's template."""

    quarter: Quarter
    assessment: Assessment
    goal: Goal | None
    items: list[GoalItem]
    template: Any

    @property
    def submitted(self) -> bool:
        return self.goal is not None and self.goal.status is ReviewStatus.SUBMITTED


async def goals_view(work: Work, author: Author) -> GoalsView:
    """The goals of the quarter in its goals phase; refused outside it."""
    quarter = goals_quarter(work.now, work.calendar)
    assessment = await work.repo.assessment(quarter)
    if assessment is None or not await is_open(work, assessment, Phase.GOALS):
        raise await not_opening(work, quarter, Phase.GOALS, assessment)
    goal = await work.repo.quarter_doc(Goal, assessment.id, author.id)
    items = await work.repo.goal_items(goal.id) if goal else []
    template = work.settings.indicators.template_for(author.role)
    return GoalsView(quarter, assessment, goal, items, template)


async def goal_for(work: Work, person_id: int, assessment_id: Any) -> Goal:
    """The person's goal set of a quarter whose goals phase is open, created empty if need be, and locked
    until the transaction ends: two presses at once take turns, and a reviewer's decision (which locks the
    same row) never covers items he did not see."""
    assessment = await work.repo.assessment_by_id(assessment_id)
    if assessment is None:
        raise Refusal("chat/errors/button_unknown.j2", alert=True)
    if not await is_open(work, assessment, Phase.GOALS):  # past its window, it says it will not open
        refusal = await not_opening(work, assessment.period, Phase.GOALS, assessment)
        refusal.alert = True
        raise refusal
    goal = await work.repo.quarter_doc(Goal, assessment_id, person_id, create=True)
    await work.repo.lock(goal)
    return goal


def approved_by_supervisor(goal: Goal) -> bool:
    """Custom goals the supervisor approved, in force now."""
    return goal.status is ReviewStatus.APPROVED and not goal.from_template


def has_approved_version(goal: Goal) -> bool:
    """Goals the supervisor approved are in force (as the set, or kept while a change is reviewed or after
    it was returned): any change of them goes back to him."""
    return approved_by_supervisor(goal) or (
        goal.status is not ReviewStatus.APPROVED and goal.approved_items is not None
    )


@dataclass(frozen=True)
class TemplateTaken:
    """The template taken as the goals: approved at once, or sent for review (`sent` supervisors asked)
    when it replaces custom goals the supervisor had approved."""

    items: list
    review: Submitted | None = None


async def use_template(work: Work, author: Author, assessment_id: Any) -> TemplateTaken:
    """Take the role's template as the goals: approved at once, no review; but in place of custom goals
    the supervisor approved it is a change, sent to him for review like custom goals."""
    goal = await goal_for(work, author.id, assessment_id)
    template = work.settings.indicators.template_for(author.role)
    items = [(i.name, i.max_points) for i in template]
    if has_approved_version(goal):
        sent = await _send_for_review(work, author, goal, items, from_template=True, change=True)
        return TemplateTaken(template, sent)
    if goal.status is ReviewStatus.APPROVED and goal.from_template:
        raise Refusal("chat/errors/already_done.j2", alert=True)
    await work.repo.set_goal_items(goal, items)
    goal.status, goal.from_template, goal.submitted_at = ReviewStatus.APPROVED, True, work.now
    goal.opinion, goal.reviewer_id, goal.reviewed_at = None, None, work.now
    goal.approved_items = None
    await work.repo.audit(
        work.actor, "goals_template", assessment_id=goal.assessment_id, person_id=goal.person_id
    )
    return TemplateTaken(template)


def _draft_of(goal: Goal, draft: dict[str, Any] | None) -> Draft:
    """The custom items being typed for this goal set; refused when they are for another one."""
    if draft is None or draft.get("goal_id") != goal.id:
        raise Refusal("chat/errors/button_unknown.j2", alert=True)
    return [tuple(i) for i in draft.get("items", [])]


async def start_custom(work: Work, person_id: int, assessment_id: Any) -> tuple[Goal, Draft]:
    """Begin typing custom goals: the draft starts from the custom items there are (returned, or approved
    and being changed), else empty."""
    goal = await goal_for(work, person_id, assessment_id)
    if goal.from_template or goal.status is ReviewStatus.DRAFT:
        return goal, []
    return goal, [(i.name, i.max_points) for i in await work.repo.goal_items(goal.id)]


async def clear_custom(work: Work, person_id: int, assessment_id: Any, draft: dict[str, Any] | None) -> Goal:
    """Start the custom draft again; the draft must be this goal set's."""
    goal = await goal_for(work, person_id, assessment_id)
    _draft_of(goal, draft)
    return goal


def check_line(line: str, items: Draft) -> tuple[str, int]:
    """One custom line, a name then its points as people type them (bot.rules.vocabulary.name_and_points): a
    short name not used yet and whole points from 1 to 100."""
    parsed = name_and_points(line)
    name, points = parsed if parsed else ("", 0)
    if not name or not 1 <= points <= TOTAL or len(name) > MAX_NAME:
        raise Refusal("chat/staff/goal_line_bad.j2", line=line[:60])
    if any(n == name for n, _p in items):
        raise Refusal("chat/staff/goal_duplicate.j2", name=name)
    return name, points


async def add_custom_lines(
    work: Work, draft: dict[str, Any], text: str
) -> tuple[Goal, Draft, documents.Change]:
    """Lines typed into the custom draft, each checked (or one item replaced or deleted by its number);
    returns the goal set, the whole new draft and what changed."""
    items: Draft = [tuple(i) for i in draft.get("items", [])]
    edit = documents.edit_of(text, len(items))
    if edit is None:
        for line in documents.split_items(text):
            items.append(check_line(line, items))
        change = documents.ADDED
    else:
        action, number, line = edit
        if not 1 <= number <= len(items):
            raise Refusal("chat/staff/no_such_item.j2", number=number, count=len(items), adding=False)
        others = items[: number - 1] + items[number:]
        if action == "deleted":
            items = others
        else:
            items = [*items[: number - 1], check_line(line, others), *items[number:]]
        change = documents.Change(action, number)
    if len(items) > MAX_GOAL_ITEMS:
        raise Refusal("chat/staff/too_many_items.j2", limit=MAX_GOAL_ITEMS)
    goal_id = draft.get("goal_id")
    goal = await work.repo.get(Goal, goal_id) if isinstance(goal_id, int) else None
    if goal is None:  # the draft's goal set is gone: nothing is waiting for these lines
        raise Refusal("chat/errors/no_input_expected.j2")
    return goal, items, change


async def submit_custom(
    work: Work, author: Author, assessment_id: Any, draft: dict[str, Any] | None
) -> Submitted:
    """Send the custom draft for review by the section's supervisors; the points must sum to 100."""
    goal = await goal_for(work, author.id, assessment_id)
    items = _draft_of(goal, draft)
    if goal.status is ReviewStatus.SUBMITTED:  # a second press of the same draft
        raise Refusal("chat/errors/already_done.j2", alert=True)
    total = sum(p for _n, p in items)
    if total != TOTAL or not items:
        raise Refusal("chat/staff/goals_not_100.j2", alert=True, total=total)
    change = has_approved_version(goal)
    return await _send_for_review(work, author, goal, items, from_template=False, change=change)


async def _send_for_review(
    work: Work, author: Author, goal: Goal, items: Draft, *, from_template: bool, change: bool
) -> Submitted:
    """The goal set with these items goes to the section's supervisors for review; `change` says it
    replaces goals the supervisor approved (he is told so), which stay in force until the change is
    approved."""
    if not change:
        goal.approved_items = None
    elif approved_by_supervisor(goal):  # keep what is in force; a second change keeps the first's
        in_force = [[i.name, i.max_points] for i in await work.repo.goal_items(goal.id)]
        goal.approved_items = json.dumps(in_force, ensure_ascii=False)
    await work.repo.set_goal_items(goal, items)
    goal.status, goal.from_template, goal.submitted_at = ReviewStatus.SUBMITTED, from_template, work.now
    goal.submissions += 1
    await work.repo.audit(
        work.actor,
        "goals_changed" if change else "goals_submitted",
        assessment_id=goal.assessment_id,
        person_id=goal.person_id,
    )
    title = {"quarter": (await work.repo.assessment_by_id(goal.assessment_id)).period, "change": change}
    reviewers = await supervisors_of_section(work, author.section_id)
    sent = await documents.ask_review(
        work, "goals", goal, reviewers, author=author.name, title=title, items=items
    )
    return Submitted("goals", items, title, sent)
