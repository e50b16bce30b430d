"""Sample data for rendering every template: a pool of values, and per-template replacements."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace as Row
from zoneinfo import ZoneInfo

from bot.records.annual import AnnualLine, AnnualReport
from bot.records.cells import RowError
from bot.records.exports import ExportKind, Period
from bot.rules.domain import (
    AnnualRecommendation,
    AssessmentStatus,
    BallotPart,
    Category,
    Flag,
    LeaveKind,
    OverrideKind,
    Phase,
    Quarter,
    RaterGroup,
    Tier,
)
from bot.rules.linkage import QuarterOutcome, annual_linkage
from bot.rules.publicity import Notice, NoticeEntry
from bot.rules.tiers import Change, Conflict, DecisionProblem, Problem, QuarterResult, QuotaCheck, RateeResult
from bot.rules.workcalendar import PublicityPeriod
from bot.settings import IndicatorItem
from bot.workflow.adjustments import AdminLine, LeaveLine
from bot.workflow.missing import Chased, Missing
from bot.workflow.outcomes import Grounds
from bot.workflow.progress import Line, Report
from handlers.catalogue import Audience, Standing, commands_for, menu_blocks

TZ = ZoneInfo("Asia/Shanghai")
Q3 = Quarter(2026, 3)
WHEN = dt.datetime(2026, 10, 23, 18, 0, tzinfo=TZ)
PERSON = Row(id=1, name="周明远", section_id=1, post_title="科长")
PEOPLE = {1: PERSON, 2: Row(id=2, name="陶思琪", section_id=2, post_title="窗口科员")}
SECTIONS = {1: "综合科", 2: "政务服务科"}
RESULT_ROW = Row(final_tier=Tier.GOOD, composite=Decimal("93.52"), exempt_reasons="", score_tier=Tier.GOOD)
PROPOSAL = QuarterResult(
    [
        RateeResult(
            1,
            Category.CIVIL_SERVANT,
            {g: Decimal("93.5") for g in RaterGroup},
            {g: 3 for g in RaterGroup},
            Decimal("93.52"),
            score_tier=Tier.GOOD,
            proposed=Tier.GOOD,
            rank=1,
        ),
        RateeResult(
            2,
            Category.INSTITUTION,
            {g: Decimal("89.56") for g in RaterGroup},
            {g: 2 for g in RaterGroup},
            Decimal("89.56"),
            exempt_reasons=(),
            override=OverrideKind.AFFIRMATION,
            score_tier=Tier.GOOD,
            proposed=None,
            flags={Flag.QUOTA_TIE, Flag.FEW_PEERS},
        ),
    ],
    [Conflict(Flag.QUOTA_TIE, Category.INSTITUTION, (2,), 1)],
    {
        Category.CIVIL_SERVANT: QuotaCheck(Category.CIVIL_SERVANT, 19, 7, 7, 0),
        Category.INSTITUTION: QuotaCheck(Category.INSTITUTION, 13, 5, 4, 1),
    },
)
BALLOT_ITEMS = [
    Row(part=BallotPart.COMMON, name="政治素质", max_points=20, points=19),
    Row(part=BallotPart.INDIVIDUAL, name="履职能力", max_points=20, points=None),
]
PROBLEMS = [
    Problem(DecisionProblem.UNDECIDED, 2, Category.INSTITUTION),
    Problem(DecisionProblem.OVER_QUOTA, None, Category.CIVIL_SERVANT, 8, 7),
    Problem(DecisionProblem.EXEMPT_PERSON, 1),
    Problem(DecisionProblem.NO_REASON, 1),
    Problem(DecisionProblem.UNKNOWN_PERSON, 99),
]

ANNUAL = AnnualReport(
    2026,
    (
        AnnualLine(
            "周明远",
            "综合科",
            annual_linkage([QuarterOutcome(Quarter(2026, n), Tier.GOOD) for n in (1, 2, 3, 4)]),
        ),
        AnnualLine(
            "韩志刚",
            "信息科",
            annual_linkage(
                [QuarterOutcome(Quarter(2026, n), Tier.POOR) for n in (1, 2)]
                + [QuarterOutcome(Quarter(2026, 3), Tier.FAIR, registered_on_time=False)]
            ),
        ),
    ),
    {r: 1 for r in AnnualRecommendation},
    1,
)

POOL = {
    "quarter": Q3,
    "name": "周明远",
    "limit": 50,
    "count": 3,
    "user_id": 123456789,
    "granted": True,
    "until": WHEN,
    "deadline": WHEN,
    "closed": WHEN,
    "ends_at": WHEN,
    "expires": WHEN,
    "total": 100,
    "title": {"quarter": Q3},
    "number": 7,
    "status": AssessmentStatus.COMPUTED,
    "event": "confirm",
    "phase": Phase.RATING,
    "notified": 33,
    "reason": "经班子研究",
    "recomputed": True,
    "kind": OverrideKind.VETO,
    "command": "veto",
    "grounds": range(1, 5),
    "items": ["完成审批事项若干", ("业务办理", 60)],
    "reviewers": 1,
    "doc_kind": "registration",
    "author": "吴晓燕",
    "approved": False,
    "opinion": "请补充",
    "reviewer": "周明远",
    "upheld": True,
    "text": "评分不够客观",
    "line": "窗口业务 三十",
    "most": 20,
    "ratee": PERSON,
    "section": "综合科",
    "score": Decimal("87.5"),
    "note": "陶思琪",
    "index": 1,
    "item": BALLOT_ITEMS[1],
    "part": BallotPart.INDIVIDUAL,
    "done": 12,
    "expected": 37,
    "day": dt.date(2027, 2, 11),
    "action": "holiday",
    "workday": False,
    "before": None,
    "after": Tier.GOOD,
    "undecided": 0,
    "category": Category.CIVIL_SERVANT,
    "quota": 7,
    "blocked": True,
    "exempt": True,
    "year": 2026,
    "month": 7,
    "bureau": "市行政审批服务局",
    "bot": "assessment_bot",
    "round": 2,
    "commands": commands_for(*Audience),
    "blocks": menu_blocks(Standing(bound=True, ratee=True, reviewer=True, admin=True, in_publicity=True)),
    "is_ratee": True,
    "is_reviewer": True,
    "is_leader": False,
    "people": PEOPLE,
    "sections": SECTIONS,
    "proposal": PROPOSAL,
    "conflicts": 1,
    "problems": PROBLEMS,
    "result": RESULT_ROW,
    "period": PublicityPeriod(dt.date(2026, 10, 21), WHEN),
    "notice": Notice((NoticeEntry("周明远", "综合科"),), {t: 1 for t in Tier}, 1),
}

_UNBOUND = Row(id=2, name="陶思琪", section_id=2, telegram_user_id=None)
_BOUND = Row(id=1, name="周明远", section_id=1, telegram_user_id=5)
_LEADER = Row(id=3, name="王局长", section_id=None, telegram_user_id=None)
MISSING = Missing(
    (2026, 9),
    summaries=[_BOUND, _UNBOUND],
    goals=[_BOUND],
    goals_quarter=Quarter(2026, 4),
    registrations=[_UNBOUND],
    registration_quarter=Q3,
    ballots=[(_BOUND, 3), (_LEADER, 1)],
    rating_quarter=Q3,
    unbound=[_UNBOUND, _LEADER],
    sections=SECTIONS,
)
ADMIN = AdminLine(123456789, "吴晓燕", "综合科")
LEAVE = LeaveLine("陈立新", LeaveKind.SICK, dt.date(2026, 7, 6), dt.date(2026, 8, 31), 40, "住院")

EXPORT = {"kind": ExportKind.FORM2, "period": Period(2026, quarter=Q3)}

ROW_ERRORS = [
    RowError(7, "bad_date", column="出生年月", value="1986-13"),
    RowError(1, "missing_column", column="角色"),
]
ROSTER_SUMMARY = {
    "total": 37,
    "created": 1,
    "updated": 2,
    "unchanged": 34,
    "deactivated": ["郑海涛"],
    "moved": [
        ["陈立新", "staff", "综合科", "window_staff", "政务服务科"],
        ["赵建国", "principal", None, "staff", "综合科"],
    ],
    "untouched": 3,
    "shown": 1,
}
UPLOAD = {"file": "名册.xlsx", "stage": "check", "errors": [], "quarter": Q3, "limit": 20}

OVERRIDES: dict[str, dict] = {
    "chat/admin/upload_roster.j2": {**UPLOAD, "summary": ROSTER_SUMMARY},
    "chat/admin/upload_adjustments.j2": {
        **UPLOAD,
        "stage": "done",
        "summary": {
            "counts": {"sick": 3, "veto": 1},
            "replaced": 1,
            "unchanged": 2,
            "recomputed": [{"year": 2026, "number": 3}],
            "kept": [{"year": 2026, "number": 2}],
        },
    },
    "chat/admin/upload_ballots.j2": {**UPLOAD, "summary": {"new": 3, "unchanged": 1, "skipped": 2}},
    "chat/admin/upload_errors.j2": {**UPLOAD, "stage": "apply", "errors": ROW_ERRORS, "title": "花名册"},
    "chat/admin/upload_received.j2": {"file": "名册.xlsx"},
    "chat/admin/upload_applying.j2": {"file": "名册.xlsx"},
    "chat/admin/upload_taken.j2": {"file": "名册.xlsx", "state": "cancel"},
    "chat/admin/upload_refused.j2": {"file": "名册.xlsx", "code": "too_large", "size": 25 << 20, "most": 20},
    "chat/admin/upload_unreadable.j2": {"file": "名册.xlsx", "code": "bad_encoding", "detail": ""},
    "chat/admin/upload_unknown.j2": {
        "file": "考勤.csv",
        "headers": ("日期", "打卡"),
        "kinds": [Row(name="roster", columns=("姓名", "出生年月")), Row(name="ballots", columns=("季度",))],
    },
    "chat/leaders/rating_request.j2": {"sheet": True},
    "chat/admin/export_period.j2": EXPORT,
    "chat/admin/export_nothing.j2": {"kind": ExportKind.FORM1, "period": Period(2026, month=9)},
    "chat/admin/export_progress.j2": EXPORT,
    "chat/admin/export_done.j2": {
        **EXPORT,
        "files": ["a.zip"],
        "items": 37,
        "unregistered": [("韩志刚", False)],
    },
    "chat/admin/export_failed.j2": {**EXPORT, "reason": "font"},
    "chat/admin/export_caption.j2": {**EXPORT, "part": 1, "parts": 2},
    "chat/admin/invites.j2": {
        "links": [(Row(name="吴晓燕", section_id=1, birth_month=dt.date(1988, 3, 1)), "abcDEF123")],
        "namesakes": {"吴晓燕"},
        "sections": SECTIONS,
    },
    "chat/admin/name_ambiguous.j2": {
        "name": "吴晓燕",
        "candidates": [("吴晓燕", dt.date(1988, 3, 1), "综合科"), ("吴晓燕", dt.date(1990, 5, 1), None)],
    },
    "chat/admin/admins.j2": {
        "admins": [AdminLine(1, None, None, configured=True), ADMIN, AdminLine(5, "周明远", None)]
    },
    "chat/admin/admin_changed.j2": {"admin": ADMIN},
    "chat/admin/admin_unchanged.j2": {"admin": AdminLine(5, None, None)},
    "chat/admin/admin_bootstrap.j2": {"admin": ADMIN},
    "chat/admin/override_withdrawn.j2": {"number": 2, "recorded_reason": "在全市业务通报中被点名批评"},
    "chat/admin/leave_list.j2": {"leave": [LEAVE, LEAVE], "name": None},
    "chat/admin/leave_which.j2": {"leave": [LEAVE, LEAVE], "name": "陈立新"},
    "chat/admin/leave_overlap.j2": {"leave": LEAVE},
    "chat/admin/leave_note_too_long.j2": {"length": 230, "limit": 200},
    "chat/admin/leave_withdrawn.j2": {"leave": LEAVE, "recomputed": [Q3]},
    "chat/admin/withdraw_nothing.j2": {"what": "leave", "quarter": None},
    "chat/admin/calendar_list.j2": {
        "rows": [Row(day=dt.date(2027, 2, 20), is_workday=True, note="调休")],
        "year": 2027,
        "fallback": [2027],
    },
    "chat/admin/confirm_ask.j2": {"counts": {t: 2 for t in Tier}, "changes": 1, "quota": PROPOSAL.quota},
    "chat/admin/results.j2": {
        "changes": {2: Change(2, Tier.GOOD, "班子研究")},
        "tiers": {1: Tier.GOOD, 2: Tier.GOOD},
    },
    "chat/admin/objections.j2": {
        "objections": [
            Row(
                id=1, status="open", author_person_id=1, author_telegram_id=5, text="有异议", resolution=None
            ),
            Row(
                id=2,
                status="dismissed",
                author_person_id=None,
                author_telegram_id=6,
                text="再议",
                resolution="驳回",
            ),
        ]
    },
    "chat/admin/objection_resolved.j2": {"status": "dismissed"},
    "chat/admin/reminded.j2": {"counts": {"summary": 3, "rating": 2}},
    "chat/admin/status.j2": {
        "report": Report(
            Q3,
            AssessmentStatus.RATING,
            (2026, 9),
            [Line("综合科", 4, 10)],
            [Line("综合科", 10, 10)],
            [],
            [Line("综合科", 80, 110)],
            [Phase.RATING, Phase.GOALS],
            MISSING,
        )
    },
    "chat/admin/close_rating_confirm.j2": {"owing": [("周明远", 2), ("陶思琪", 1)], "shown": 1},
    "chat/admin/chased.j2": {"chased": Chased("summary", 3, 1, ["陶思琪"])},
    "chat/admin/chased_short.j2": {"reminded": 3},
    "chat/staff/summary_chase.j2": {"overdue": True},
    "chat/admin/leave_recorded.j2": {
        "kind": LeaveKind.SICK,
        "start": dt.date(2026, 7, 1),
        "end": dt.date(2026, 7, 10),
        "workdays": 8,
        "recomputed": [Q3],
        "kept": [Quarter(2026, 2)],
    },
    "chat/admin/grounds.j2": {"kind": OverrideKind.AFFIRMATION},
    "chat/admin/calendar_changed.j2": {"action": "remove"},
    "chat/leaders/ballot_item.j2": {"items": BALLOT_ITEMS},
    "chat/leaders/ballot_review.j2": {"items": [BALLOT_ITEMS[0]]},
    "chat/leaders/ballot_submitted.j2": {"items": [BALLOT_ITEMS[0]]},
    "chat/leaders/rate_list.j2": {"rows": [("周明远", "综合科", "submitted")]},
    "chat/staff/goals.j2": {
        "goal": Row(status="returned", opinion="请细化", approved_items='[["业务办理", 100]]'),
        "items": [Row(name="业务办理", max_points=60)],
        "template": [IndicatorItem(name="履职能力", max_points=20)],
    },
    "chat/staff/goals_custom.j2": {
        "items": [("业务办理", 60), ("学习", 30)],
        "total": 90,
        "change": Row(action="replaced", number=2),
    },
    "chat/staff/goals_template_used.j2": {"items": [IndicatorItem(name="履职能力", max_points=20)]},
    "chat/staff/submitted.j2": {"kind": "goals"},
    "chat/staff/summary.j2": {
        "summary": Row(year=2026, month=7, status="returned", opinion="请补充", late=False),
        "overdue": True,
        "late_months": [(2026, 6)],
    },
    "chat/staff/summary_approved.j2": {"summary": Row(year=2026, month=7)},
    "chat/staff/summary_preview.j2": {
        "summary": Row(year=2026, month=7),
        "overdue": True,
        "change": Row(action="deleted", number=2),
    },
    "chat/staff/items_preview.j2": {
        "kind": "summary",
        "title": {"year": 2026, "month": 7, "late": False},
        "change": Row(action="replaced", number=2),
    },
    "chat/staff/registration.j2": {"registration": Row(status="returned", opinion="请补充"), "follows": True},
    "chat/staff/me.j2": {
        "due": [
            ("summary", {"year": 2026, "month": 7}, None, WHEN, True),
            ("summary", {"year": 2026, "month": 8}, "draft", WHEN, False),
            ("goals", {"quarter": Q3}, "submitted", None, False),
        ],
        "reviews": 2,
        "sent": [("registration", {"quarter": Q3}, "approved")],
        "ballots": [(Q3, 3, 10)],
        "results": [
            (Q3, Row(final_tier=Tier.FAIR, composite=Decimal("80.1"), exempt_reasons="")),
            (Quarter(2026, 2), Row(final_tier=None, composite=None, exempt_reasons="probation")),
        ],
    },
    "chat/staff/phase_closed.j2": {"phase": Phase.GOALS},
    "chat/staff/phase_over.j2": {"phase": Phase.REGISTRATION},
    "chat/group/bound.j2": {"title": "市行政审批服务局工作群"},
    "chat/errors/usage.j2": {"command": "veto", "problem": "bad_ground"},
    "chat/admin/change_not_possible.j2": {"exempt": False},
    "chat/admin/override_recorded.j2": {"number": 2},
    "chat/leaders/summary_missing.j2": {"names": ["吴晓燕", "郑海涛"]},
    "chat/admin/summary_missing.j2": {"rows": [("吴晓燕", "综合科")]},
    "chat/admin/annual.j2": {"report": ANNUAL},
    "chat/admin/group_undelivered.j2": {
        "message_kind": "publicity_notice",
        "error": "Forbidden: bot was kicked",
    },
    "chat/admin/rebound.j2": {"old": 1, "new": 2},
    "chat/admin/first_month.j2": {
        "span": Row(
            first=(2026, 8),
            source="roster",
            loaded_on=dt.date(2026, 7, 15),
            first_quarter=Q3,
        ),
        "changed": True,
        "by_default": False,
    },
    "chat/admin/first_month_started.j2": {"first": (2026, 10), "month": None, "quarter": Q3},
    "chat/staff/phase_never.j2": {
        "phase": Phase.REGISTRATION,
        "quarter": Quarter(2026, 2),
        "first": (2026, 7),
    },
    "chat/admin/first_month_past.j2": {"first": (2026, 6), "current": (2026, 7), "quarter": Quarter(2026, 2)},
    "chat/admin/publicity_ended_by_itself.j2": {"quarter": Quarter(2026, 4), "ended": WHEN},
    "chat/admin/raters_changed.j2": {"added": True, "rater": "赵建国", "ratee": "周明远"},
    "chat/admin/raters_ballot_counted.j2": {"rater": "赵建国", "ratee": "周明远"},
    "chat/admin/results_hidden.j2": {"quarter": Quarter(2026, 3)},
    "chat/errors/file_not_accepted.j2": {"admin": True},
    "chat/errors/period_out_of_range.j2": {"text": "0000Q1", "first": 2000, "last": 2027},
    "chat/errors/command_not_half_width.j2": {"command": "/me"},
    "chat/start/invite_superseded.j2": {"mine": False},
    "chat/admin/month_closed.j2": {"changed": True},
    "chat/admin/month_not_followed.j2": {"first": (2026, 8)},
    "chat/staff/item_empty.j2": {"number": 2},
    "chat/staff/asking_cancelled.j2": {},
    "chat/staff/no_such_item.j2": {"number": 9, "count": 3, "adding": True},
    "chat/staff/summary_not_followed.j2": {"first": (2026, 8), "begun": False},
    "chat/staff/own_result.j2": {
        "result": Row(
            final_tier=Tier.FAIR, composite=Decimal("93.01"), exempt_reasons="", score_tier=Tier.GOOD
        ),
        "basis": Grounds(
            override=OverrideKind.AFFIRMATION,
            ground=1,
            override_reason="获市级表彰",
            changed_from=Tier.GOOD,
            change_reason="班子研究",
        ),
    },
}


def context_for(name: str) -> dict:
    return {**POOL, **OVERRIDES.get(name, {})}
