"""Every template renders with sample data under StrictUndefined; no Chinese text hides in Python."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from jinja2 import UndefinedError

from bot.records.ballot_file import BallotImport
from bot.records.cells import RowError
from bot.rendering import environment, label, render
from bot.rules.domain import (
    AnnualRecommendation,
    Category,
    ExemptReason,
    Flag,
    OverrideKind,
    Quarter,
    RaterGroup,
    Role,
    Tier,
)
from bot.rules.tiers import Conflict, QuarterResult, QuotaCheck, RateeResult
from bot.workflow.quarter import ComputedQuarter
from storage.repository import RosterOutcome
from tests.conftest import ROOT
from tests.template_samples import context_for

TEMPLATES = ROOT / "bot" / "templates"
CJK = re.compile(r"[\u4e00-\u9fff]")


class _Person:
    def __init__(self, name: str, section_id: int) -> None:
        self.name, self.section_id, self.post_title = name, section_id, "科员"


def sample_computed() -> ComputedQuarter:
    good = RateeResult(
        1,
        Category.CIVIL_SERVANT,
        {g: Decimal("90.5") for g in RaterGroup},
        {g: 3 for g in RaterGroup},
        Decimal("90.50"),
        score_tier=Tier.GOOD,
        proposed=Tier.GOOD,
        rank=1,
    )
    tied = RateeResult(
        2,
        Category.INSTITUTION,
        {RaterGroup.PRINCIPAL: Decimal(88), RaterGroup.SUPERVISOR: None, RaterGroup.PEER: Decimal(86)},
        {RaterGroup.PRINCIPAL: 1, RaterGroup.SUPERVISOR: 0, RaterGroup.PEER: 2},
        Decimal("87.14"),
        score_tier=Tier.GOOD,
        proposed=None,
        flags={Flag.QUOTA_TIE, Flag.FEW_PEERS, Flag.MISSING_GROUP},
    )
    exempt = RateeResult(
        3,
        Category.CIVIL_SERVANT,
        dict.fromkeys(RaterGroup),
        dict.fromkeys(RaterGroup, 0),
        None,
        exempt_reasons=(ExemptReason.PROBATION,),
        flags={Flag.OVERRIDE_ON_EXEMPT},
    )
    vetoed = RateeResult(
        4,
        Category.INSTITUTION,
        {g: Decimal(95) for g in RaterGroup},
        {g: 1 for g in RaterGroup},
        Decimal("95.00"),
        override=OverrideKind.VETO,
        score_tier=Tier.GOOD,
        proposed=Tier.POOR,
    )
    proposal = QuarterResult(
        [good, tied, exempt, vetoed],
        [Conflict(Flag.QUOTA_TIE, Category.INSTITUTION, (2,), 0)],
        {
            Category.CIVIL_SERVANT: QuotaCheck(Category.CIVIL_SERVANT, 1, 0, 1, 0),
            Category.INSTITUTION: QuotaCheck(Category.INSTITUTION, 2, 0, 0, 0),
        },
    )
    people = {
        1: _Person("周明远", 1),
        2: _Person("陶思琪", 2),
        3: _Person("沈嘉怡", 1),
        4: _Person("何美玲", 2),
    }
    return ComputedQuarter(Quarter(2026, 3), proposal, people, {1: "综合科", 2: "政务服务科"}, 4)


def _sample_health():
    from bot.ops.health import HealthReport

    return HealthReport(
        database=True,
        revision="0003",
        head="0003",
        pending=12,
        oldest_due_seconds=900.0,
        last_tick=dt.datetime(2026, 10, 23, 10, 0, tzinfo=dt.UTC),
        tick_age_seconds=30.0,
        problems=["backlog"],
    )


def sample_contexts() -> dict[str, dict]:
    from bot.cli.results import _rows_by_category

    computed = sample_computed()
    errors = [
        RowError(1, "missing_column", column="出生年月"),
        RowError(3, "bad_date", column="出生年月", value="x"),
        RowError(4, "bad_date", column="出生年月", value="x"),
    ]
    return {
        "labels.j2": {},
        "row_errors.j2": {"errors": errors, "limit": 10},
        "table_errors.j2": {"code": "formula", "detail": "C3"},
        "cli/import_roster.j2": {
            "file": "r.csv",
            "records": [],
            "outcome": RosterOutcome(1, 2, 3),
            "errors": [],
            "dry_run": False,
            "limit": 10,
        },
        "cli/import_ballots.j2": {
            "file": "b.csv",
            "quarter": Quarter(2026, 3),
            "outcome": BallotImport(errors=errors),
            "limit": 10,
            "dry_run": False,
        },
        "cli/results.j2": {
            "computed": computed,
            "rows": _rows_by_category(computed),
            "conflicts": [(computed.proposal.conflicts[0], ["陶思琪"])],
        },
        "cli/settings_error.j2": {
            "problems": [("rules.quota_share", "ASSESSMENT_RULES__QUOTA_SHARE", "bad")]
        },
        "cli/migrated.j2": {"url": "sqlite:///a.db", "revision": "0001"},
        "cli/template_written.j2": {
            "kind": "ballots",
            "path": "b.xlsx",
            "rows": 3,
            "quarter": Quarter(2026, 3),
        },
        "cli/exported.j2": {"quarter": Quarter(2026, 3), "paths": ["a.xlsx"]},
        "cli/run_missing_token.j2": {},
        "cli/database_error.j2": {"url": "sqlite:///a.db", "error": "unable to open database file"},
        "cli/backup_done.j2": {
            "url": "sqlite:///a.db",
            "path": "backups/a-20261128-020000.db",
            "size": 336_000,
            "counts": {"person": 37, "outbox": 8},
        },
        "cli/backup_failed.j2": {
            "code": "no_tool",
            "url": "postgresql://bot@db/assessment",
            "commands": {"dump": "pg_dump --file=a.dump", "restore": "pg_restore a.dump"},
            "path": "a.dump",
            "error": "",
            "tool": "pg_dump",
        },
        "cli/restored.j2": {
            "path": "backups/a.db",
            "url": "sqlite:///b.db",
            "revision": "0003",
            "counts": {"person": 37},
        },
        "cli/health.j2": {"report": _sample_health(), "url": "sqlite:///a.db", "tick_limit": 300.0},
        "cli/demo_step.j2": {
            "step": "rating",
            "moment": dt.datetime(2026, 10, 14, 9, 0),
            "taps": 375,
            "paper": 356,
            "counts": {"rating_request": 36},
            "sample": "赵建国，您好！",
            "seconds": 22.5,
        },
        "cli/demo_end.j2": {
            "notice": "【公示】……",
            "folder": "/tmp/demo",
            "paths": ["/tmp/demo/a.xlsx"],
            "seconds": 36.0,
        },
        # macro libraries of the records: their texts are checked through the files (tests/test_records.py)
        "records/forms.j2": {},
        "records/workbook.j2": {},
        "records/charts.j2": {},
        "records/files.j2": {},
    }


def all_templates() -> list[str]:
    return sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.j2"))


def test_every_command_line_template_has_sample_data():
    assert sorted(sample_contexts()) == [t for t in all_templates() if not t.startswith("chat/")]


@pytest.mark.parametrize("name", all_templates())
def test_template_renders_in_chinese(name):
    context = sample_contexts()[name] if not name.startswith("chat/") else context_for(name)
    text = render(name, **context)
    if name != "labels.j2" and not name.startswith("records/"):  # macro libraries render nothing
        assert CJK.search(text), name
    assert "None" not in text and "Undefined" not in text


def test_missing_context_fails_loudly():
    with pytest.raises(UndefinedError):
        render("cli/migrated.j2", url="x")


def test_results_table_shows_flags_and_pending_tiers():
    text = render("cli/results.j2", **sample_contexts()["cli/results.j2"])
    assert "待定" in text and "名额线同分待定" in text and "只写评语" in text and "一票否决" in text


def test_results_in_chat_list_ratees_without_a_ballot_after_the_scored_ones():
    """A ratee nobody rated has no composite (无测评票); /results once failed sorting him among the rest."""
    import dataclasses

    from bot.rules.domain import Flag

    context = context_for("chat/admin/results.j2")
    scored = context["proposal"].ratees[0]
    unrated = dataclasses.replace(
        scored,
        person_id=2,
        composite=None,
        score_tier=None,
        proposed=None,
        rank=None,
        flags={Flag.NO_BALLOTS},
    )
    proposal = dataclasses.replace(context["proposal"], ratees=[unrated, scored])
    text = render("chat/admin/results.j2", **{**context, "proposal": proposal, "changes": {}})
    lines = [line for line in text.splitlines() if line[:2] in ("1.", "2.")]
    assert lines[0].startswith("1. 周明远") and "93.52" in lines[0]
    assert lines[1].startswith("2. 陶思琪") and "无测评票" in lines[1]


@pytest.mark.parametrize(
    ("kind", "values"),
    [
        ("tier", list(Tier)),
        ("category", list(Category)),
        ("role", list(Role)),
        ("group", list(RaterGroup)),
        ("override", list(OverrideKind)),
        ("exempt_reason", list(ExemptReason)),
        ("flag", list(Flag)),
        ("recommendation", list(AnnualRecommendation)),
    ],
)
def test_every_code_has_a_chinese_label(kind, values):
    for value in values:
        assert CJK.search(label(kind, value)), (kind, value)


def test_labels_of_quarters_and_dates():
    assert label("quarter", Quarter(2026, 4)) == "2026年第四季度"
    assert label("date", dt.date(2026, 10, 9)) == "2026年10月9日"
    assert label("year_month", dt.date(1988, 3, 1)) == "1988.03"


def test_no_user_text_in_python_sources():
    """User-facing Chinese lives in templates; only import-file column names and their values are data."""
    # column headers of import files, the plan's indicator names, the words users type
    allowed = {
        Path("bot/records/cells.py"),
        Path("bot/records/roster_file.py"),
        Path("bot/records/ballot_file.py"),
        Path("bot/settings.py"),
        Path("bot/rules/vocabulary.py"),
    }
    offenders = []
    for folder in ("bot", "handlers", "scheduler", "storage"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.relative_to(ROOT) not in allowed and CJK.search(path.read_text(encoding="utf-8")):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_environment_is_strict():
    from jinja2 import StrictUndefined

    assert environment().undefined is StrictUndefined
