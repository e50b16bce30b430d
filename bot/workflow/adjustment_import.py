"""Importing the adjustments file: every row checked against the file and what is on file, then all of them
recorded through the chat commands' own steps, or none; the quarters touched computed again once."""

from __future__ import annotations

from bot.records.adjustment_file import (
    AdjustmentContext,
    AdjustmentImport,
    AdjustmentRow,
    RecordedLeave,
    parse_adjustments,
)
from bot.records.cells import PersonRef
from bot.records.spreadsheets import Table
from bot.rules.domain import ExemptionKind, Quarter
from bot.rules.text import ascii_number
from bot.workflow.adjustments import (
    EDITABLE,
    recompute_touched,
    record_exemption,
    record_leave,
    record_override,
)
from bot.workflow.unit import Work
from storage.models import Assessment


async def adjustment_context(work: Work) -> AdjustmentContext:
    """The active people, the quarters no longer editable and what is recorded, for parse_adjustments."""
    people = await work.repo.people(active_only=True)
    assessments = await work.repo.assessments()
    overrides, exemptions = {}, {}
    for assessment in assessments:
        for row in await work.repo.overrides(assessment.id):
            number = ascii_number(row.ground.rsplit(":", 1)[-1])
            overrides[(assessment.period, row.person_id, row.kind)] = (number, row.reason)
        for row in await work.repo.exemptions(assessment.id, ExemptionKind.EXEMPT):
            exemptions[(assessment.period, row.person_id)] = row.reason
    return AdjustmentContext(
        today=work.today,
        people=[PersonRef(p.id, p.name, p.birth_month) for p in people],
        leaders=frozenset(p.id for p in people if p.role.is_bureau_leader),
        locked={a.period: a.status for a in assessments if a.status not in EDITABLE},
        leave=[
            RecordedLeave(r.person_id, r.kind, r.start_date, r.end_date)
            for r in await work.repo.leave_records()
        ],
        overrides=overrides,
        exemptions=exemptions,
    )


async def import_adjustments(work: Work, table: Table, *, apply: bool = True) -> AdjustmentImport:
    """Check an adjustments file (bot.records.adjustment_file) and, if every row is good and `apply`, record
    its new rows in this unit of work: leave, vetoes, affirmations and exemptions through the steps the chat
    commands /leave, /veto, /affirm and /exempt take (same checks, audit entries and rows), rows recorded
    already the same way skipped (`unchanged`), then each quarter whose results are computed and that the
    file touched computed again, once (`recomputed`).

    The inputs are plain for every caller: the command line's unit of work or a chat turn (a Work: its
    settings, clock, calendar and actor), and the Table read from the file. A file with errors writes
    nothing (`errors`, one per bad row, line numbers as the spreadsheet shows them); with `apply` False the
    file is only checked (a dry run, or the preview before a confirm button). All or none holds through the
    caller's transaction: any refusal raised while recording rolls it back whole.
    """
    outcome = parse_adjustments(table, await adjustment_context(work))
    if outcome.errors or not apply or not outcome.new:
        return outcome
    # Two imports take turns, and the quarters this file touches are locked (in id order, as every step
    # locks them) before their status and records are read again: none is confirmed between check and use.
    await work.repo.serialize("adjustments_import")
    for assessment in sorted(await work.repo.assessments(), key=lambda a: a.id):
        if _touched(assessment, outcome.new):
            await work.repo.lock(assessment)
    outcome = parse_adjustments(table, await adjustment_context(work))
    if outcome.errors:
        return outcome
    people = await work.repo.people_by_id()
    spans, quarters = [], set()
    for row in outcome.new:
        person, kind = people[row.person_id], row.kind
        if kind.leave_kind is not None:
            await record_leave(work, person, kind.leave_kind, row.start, row.end, row.reason, recompute=False)
            spans.append((row.start, row.end))
            continue
        quarters.add(row.quarter)
        if kind.override_kind is not None:
            await record_override(
                work, row.quarter, person, kind.override_kind, row.ground, row.reason, recompute=False
            )
        else:
            await record_exemption(work, row.quarter, person, row.reason, recompute=False)
    await work.repo.flush()
    outcome.recomputed = await recompute_touched(work, spans, frozenset(quarters))
    await work.repo.audit(
        work.actor,
        "adjustments_imported",
        counts={kind.value: n for kind, n in outcome.counts().items()},
        replaced=outcome.replaced,
        unchanged=len(outcome.unchanged),
    )
    return outcome


def _touched(assessment: Assessment, rows: list[AdjustmentRow]) -> bool:
    quarter: Quarter = assessment.period
    return any(
        row.quarter == quarter
        if row.kind.leave_kind is None
        else row.start <= quarter.last_day and quarter.first_day <= row.end
        for row in rows
    )
