"""Validation of the roster and paper-ballot files: the whole file first, an error per bad row."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.records.spreadsheets import Cell, Table
from bot.rules.domain import BallotPart, Category, Quarter, RaterGroup, Role
from bot.rules.scoring import ItemScore
from bot.settings import IndicatorItem

# Column headers of the import files: data the bureau's spreadsheets carry, in Chinese.
ROSTER_COLUMNS = (
    "姓名",
    "性别",
    "出生年月",
    "政治面貌",
    "任现职时间",
    "参加工作时间",
    "职务",
    "人员身份类别",
    "科室",
    "角色",
    "分管科室",
    "试用期满日期",
    "处分开始日期",
    "处分结束日期",
    "在职",
)
ROSTER_REQUIRED = ("姓名", "出生年月", "角色")
ROLE_NAMES = {
    "主要领导": Role.PRINCIPAL,
    "分管领导": Role.SUPERVISOR,
    "主管领导": Role.SUPERVISOR,
    "科室负责人": Role.SECTION_HEAD,
    "窗口工作人员": Role.WINDOW_STAFF,
    "工作人员": Role.STAFF,
}
CATEGORY_NAMES = {
    "公务员": Category.CIVIL_SERVANT,
    "事业单位人员": Category.INSTITUTION,
    "事业": Category.INSTITUTION,
    "事业编": Category.INSTITUTION,
}
YES = {"是", "在职", "y", "yes", "1", "true"}
NO = {"否", "离职", "调离", "n", "no", "0", "false"}

BALLOT_COLUMNS = ("季度", "评分人", "被评人", "指标类别", "指标", "满分", "得分")
PART_NAMES = {
    "共性": BallotPart.COMMON,
    "共性指标": BallotPart.COMMON,
    "个性": BallotPart.INDIVIDUAL,
    "个性指标": BallotPart.INDIVIDUAL,
}
PART_LABELS = {BallotPart.COMMON: "共性指标", BallotPart.INDIVIDUAL: "个性指标"}

_SPLIT = re.compile(r"[、,，;；/\s]+")
_DATE = re.compile(r"^(\d{4})\s*[-./年]\s*(\d{1,2})(?:\s*[-./月]\s*(\d{1,2})\s*日?)?\s*月?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})?$")
_NAME_REF = re.compile(r"^(.+?)\s*[(（]\s*(\d{4})\s*[-./年]\s*(\d{1,2})\s*月?\s*[)）]$")


@dataclass(frozen=True)
class RowError:
    """One problem of an import file; `code` picks the Chinese message in the template."""

    line: int
    code: str
    column: str | None = None
    value: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class PersonRecord:
    """One validated roster row."""

    line: int
    name: str
    birth_month: dt.date
    role: Role
    gender: str = ""
    political_status: str = ""
    post_since: dt.date | None = None
    work_since: dt.date | None = None
    post_title: str = ""
    category: Category | None = None
    section: str | None = None
    supervises: tuple[str, ...] = ()
    probation_end: dt.date | None = None
    discipline_start: dt.date | None = None
    discipline_end: dt.date | None = None
    active: bool = True

    @property
    def key(self) -> tuple[str, dt.date]:
        return (self.name, self.birth_month)


def parse_date(value: Cell, *, month_only: bool = False) -> dt.date:
    """A date as bureaus write it: 2020-07-01, 2020/7/1, 2020.07, 2020年7月, 202007, or a spreadsheet date."""
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        text = str(value).strip()
        if isinstance(value, float) and value.is_integer():
            text = str(int(value))
        match = _DATE.match(text) or _COMPACT.match(text)
        if not match:
            raise ValueError(text)
        year, month, dom = int(match.group(1)), int(match.group(2)), match.group(3)
        day = dt.date(year, month, int(dom) if dom else 1)
    if not 1900 <= day.year <= 2100:
        raise ValueError(str(value))
    return day.replace(day=1) if month_only else day


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _header_errors(table: Table, needed: Sequence[str]) -> list[RowError]:
    present = set(table.headers)
    return [RowError(1, "missing_column", column=c) for c in needed if c not in present]


@dataclass(frozen=True)
class ExistingPerson:
    """Someone already on file, for the checks that span the file and the database."""

    name: str
    birth_month: dt.date
    role: Role
    section: str | None
    active: bool


def parse_roster(
    table: Table, *, known_sections: Iterable[str] = (), existing: Iterable[ExistingPerson] = ()
) -> tuple[list[PersonRecord], list[RowError]]:
    """Validate every roster row against the file and what is on file; good only without errors."""
    errors = _header_errors(table, ROSTER_REQUIRED)
    if errors:
        return [], errors
    unknown = [h for h in table.headers if h and h not in ROSTER_COLUMNS]
    errors += [RowError(1, "unknown_column", column=h) for h in unknown]
    records: list[PersonRecord] = []
    for line, row in table.rows:
        record, row_errors = _roster_row(line, row)
        errors += row_errors
        if record is not None:
            records.append(record)
    errors += _roster_cross_checks(records, set(known_sections), list(existing))
    if not table.rows:
        errors.append(RowError(1, "no_rows"))
    return records, sorted(errors, key=lambda e: (e.line, e.column or ""))


def _roster_row(line: int, row: Mapping[str, Cell]) -> tuple[PersonRecord | None, list[RowError]]:
    errors: list[RowError] = []

    def required(column: str) -> str:
        value = _text(row.get(column))
        if not value:
            errors.append(RowError(line, "missing", column=column))
        return value

    def date(column: str, month_only: bool = False) -> dt.date | None:
        value = row.get(column)
        if value is None or _text(value) == "":
            return None
        if isinstance(value, float) and not value.is_integer():
            errors.append(RowError(line, "date_as_number", column=column, value=_text(value)))
            return None
        try:
            return parse_date(value, month_only=month_only)
        except ValueError:
            errors.append(RowError(line, "bad_date", column=column, value=_text(value)))
            return None

    name = required("姓名")
    if len(name) > 32:
        errors.append(RowError(line, "too_long", column="姓名", value=name, detail="32"))
    birth_month = date("出生年月", month_only=True)
    role_text = required("角色")
    role = ROLE_NAMES.get(role_text)
    if role_text and role is None:
        errors.append(
            RowError(line, "bad_choice", column="角色", value=role_text, detail="、".join(ROLE_NAMES))
        )
    category_text = _text(row.get("人员身份类别"))
    category = CATEGORY_NAMES.get(category_text) if category_text else None
    if category_text and category is None:
        errors.append(
            RowError(
                line, "bad_choice", column="人员身份类别", value=category_text, detail="公务员、事业单位人员"
            )
        )
    section = _text(row.get("科室")) or None
    supervises = tuple(s for s in _SPLIT.split(_text(row.get("分管科室"))) if s)
    active_text = _text(row.get("在职")).lower()
    active = True
    if active_text in NO:
        active = False
    elif active_text and active_text not in YES:
        errors.append(RowError(line, "bad_choice", column="在职", value=active_text, detail="是、否"))
    fields = {
        "post_since": date("任现职时间"),
        "work_since": date("参加工作时间"),
        "probation_end": date("试用期满日期"),
        "discipline_start": date("处分开始日期"),
        "discipline_end": date("处分结束日期"),
    }
    for column, limit in (("性别", 4), ("政治面貌", 32), ("职务", 64), ("科室", 64)):
        if len(_text(row.get(column))) > limit:
            errors.append(
                RowError(line, "too_long", column=column, value=_text(row.get(column)), detail=str(limit))
            )
    if role is not None and not role.is_leader:
        if category is None and not category_text:
            errors.append(RowError(line, "missing", column="人员身份类别"))
        if section is None:
            errors.append(RowError(line, "missing", column="科室"))
        if supervises:
            errors.append(RowError(line, "not_leader_supervises", column="分管科室"))
    if role is Role.SUPERVISOR and not supervises:
        errors.append(RowError(line, "missing", column="分管科室"))
    if fields["discipline_end"] and not fields["discipline_start"]:
        errors.append(RowError(line, "missing", column="处分开始日期"))
    if (
        fields["discipline_start"]
        and fields["discipline_end"]
        and fields["discipline_end"] < fields["discipline_start"]
    ):
        errors.append(
            RowError(line, "bad_order", column="处分结束日期", value=_text(row.get("处分结束日期")))
        )
    if errors or role is None or birth_month is None:
        return None, errors
    return (
        PersonRecord(
            line=line,
            name=name,
            birth_month=birth_month,
            role=role,
            gender=_text(row.get("性别")),
            political_status=_text(row.get("政治面貌")),
            post_title=_text(row.get("职务")),
            category=category,
            section=section,
            supervises=supervises,
            active=active,
            **fields,
        ),
        [],
    )


def _roster_cross_checks(
    records: Sequence[PersonRecord], known_sections: set[str], existing: list[ExistingPerson]
) -> list[RowError]:
    errors: list[RowError] = []
    sections = known_sections | {r.section for r in records if r.section}
    for r in records:
        for name in r.supervises:
            if len(name) > 64:
                errors.append(RowError(r.line, "too_long", column="分管科室", value=name, detail="64"))
            elif name not in sections:
                errors.append(RowError(r.line, "unknown_section", column="分管科室", value=name))
    in_file = {r.key for r in records}
    others = [p for p in existing if (p.name, p.birth_month) not in in_file and p.active]
    for r in records:
        if r.role is Role.SECTION_HEAD and r.active and r.section:
            holder = next((p for p in others if p.role is Role.SECTION_HEAD and p.section == r.section), None)
            if holder is not None:
                errors.append(
                    RowError(r.line, "head_exists", column="科室", value=r.section, detail=holder.name)
                )
        if r.role is Role.PRINCIPAL and r.active:
            holder = next((p for p in others if p.role is Role.PRINCIPAL), None)
            if holder is not None:
                errors.append(RowError(r.line, "principal_exists", column="角色", detail=holder.name))
    first_line: dict[tuple[str, dt.date], int] = {}
    for r in records:
        if r.key in first_line:
            errors.append(
                RowError(
                    r.line, "duplicate_person", column="姓名", value=r.name, detail=str(first_line[r.key])
                )
            )
        else:
            first_line[r.key] = r.line
    heads: dict[str, int] = {}
    for r in records:
        if r.role is Role.SECTION_HEAD and r.active and r.section:
            if r.section in heads:
                errors.append(
                    RowError(
                        r.line, "second_head", column="科室", value=r.section, detail=str(heads[r.section])
                    )
                )
            else:
                heads[r.section] = r.line
    principals = [r for r in records if r.role is Role.PRINCIPAL and r.active]
    errors += [
        RowError(r.line, "second_principal", column="角色", detail=str(principals[0].line))
        for r in principals[1:]
    ]
    return errors


# --- paper ballots ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonRef:
    """An active person as a ballot file may name him."""

    id: int
    name: str
    birth_month: dt.date


@dataclass(frozen=True)
class ExistingBallot:
    submitted: bool
    scores: tuple[tuple[BallotPart, str, int | None], ...]


@dataclass(frozen=True)
class ParsedBallot:
    """A complete ballot from a file, ready to store."""

    line: int
    rater_id: int
    ratee_id: int
    group: RaterGroup
    common: tuple[ItemScore, ...]
    individual: tuple[ItemScore, ...]

    def scores(self) -> tuple[tuple[BallotPart, str, int | None], ...]:
        return tuple((BallotPart.COMMON, i.name, i.points) for i in self.common) + tuple(
            (BallotPart.INDIVIDUAL, i.name, i.points) for i in self.individual
        )


@dataclass
class BallotContext:
    """What the ballot rows are checked against."""

    quarter: Quarter
    people: Sequence[PersonRef]
    pairs: Mapping[tuple[int, int], RaterGroup]
    common_items: Sequence[IndicatorItem]
    individual_items: Mapping[int, Sequence[IndicatorItem]]
    existing: Mapping[tuple[int, int], ExistingBallot] = field(default_factory=dict)
    accepting: bool = True


@dataclass
class BallotImport:
    """The outcome of checking a ballot file; `skipped` pairs had no score at all (not voted)."""

    new: list[ParsedBallot] = field(default_factory=list)
    unchanged: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)


def _voted_rows(table: Table, outcome: BallotImport) -> list[tuple[int, Mapping[str, Cell]]]:
    """Rows of the rater-ratee pairs that carry at least one score; a wholly blank pair was not voted."""
    pairs: dict[tuple[str, str, str], list[tuple[int, Mapping[str, Cell]]]] = defaultdict(list)
    for line, row in table.rows:
        pairs[(_text(row.get("季度")), _text(row.get("评分人")), _text(row.get("被评人")))].append(
            (line, row)
        )
    kept = []
    for rows in pairs.values():
        if all(_text(row.get("得分")) == "" for _line, row in rows):
            outcome.skipped += 1
        else:
            kept += rows
    return sorted(kept, key=lambda r: r[0])


class NameIndex:
    """Resolves 张伟 or 张伟(1988-03) to one active person."""

    def __init__(self, people: Iterable[PersonRef]) -> None:
        self.by_name: dict[str, list[PersonRef]] = defaultdict(list)
        for p in people:
            self.by_name[p.name].append(p)

    def resolve(self, text: str) -> PersonRef | str:
        """The person, or the error code."""
        match = _NAME_REF.match(text)
        if match:
            name = match.group(1).strip()
            try:
                month = dt.date(int(match.group(2)), int(match.group(3)), 1)
            except ValueError:
                return "unknown_person"
            found = [p for p in self.by_name.get(name, []) if p.birth_month == month]
        else:
            found = self.by_name.get(text.strip(), [])
        if not found:
            return "unknown_person"
        if len(found) > 1:
            return "ambiguous_name"
        return found[0]


def parse_ballots(table: Table, ctx: BallotContext) -> BallotImport:
    """Check every row and group them into complete ballots; nothing is new unless there is no error."""
    outcome = BallotImport()
    outcome.errors = _header_errors(table, (*BALLOT_COLUMNS[:5], "得分"))
    if outcome.errors:
        return outcome
    if not table.rows:
        outcome.errors.append(RowError(1, "no_rows"))
        return outcome
    names = NameIndex(ctx.people)
    groups: dict[tuple[int, int], list[tuple[int, BallotPart, str, int, int | None]]] = defaultdict(list)
    for line, row in _voted_rows(table, outcome):
        parsed = _ballot_row(line, row, ctx, names, outcome.errors)
        if parsed is not None:
            rater, ratee, part, item, max_points, points = parsed
            groups[(rater.id, ratee.id)].append((line, part, item, points, max_points))
    for (rater_id, ratee_id), rows in groups.items():
        _assemble(rater_id, ratee_id, rows, ctx, outcome)
    outcome.errors.sort(key=lambda e: (e.line, e.column or ""))
    if outcome.errors:
        outcome.new.clear()
        outcome.unchanged = 0
    return outcome


_DIGITS = re.compile(r"^[0-9]{1,3}(?:\.0+)?$")


def whole_number(value: Cell) -> int | None:
    """A whole number of points written with ASCII digits (17, 17.0), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = _text(value)
    return int(float(text)) if _DIGITS.match(text) else None


def _ballot_row(line, row, ctx: BallotContext, names: NameIndex, errors: list[RowError]):
    bad = len(errors)
    quarter_text = _text(row.get("季度"))
    try:
        if Quarter.parse(quarter_text) != ctx.quarter:
            errors.append(
                RowError(line, "wrong_quarter", column="季度", value=quarter_text, detail=str(ctx.quarter))
            )
    except ValueError:
        errors.append(RowError(line, "bad_quarter", column="季度", value=quarter_text))
    people = []
    for column in ("评分人", "被评人"):
        text = _text(row.get(column))
        if not text:
            errors.append(RowError(line, "missing", column=column))
            people.append(None)
            continue
        found = names.resolve(text)
        if isinstance(found, str):
            errors.append(RowError(line, found, column=column, value=text))
            people.append(None)
        else:
            people.append(found)
    rater, ratee = people
    part_text = _text(row.get("指标类别"))
    part = PART_NAMES.get(part_text)
    if part is None:
        errors.append(
            RowError(line, "bad_choice", column="指标类别", value=part_text, detail="共性指标、个性指标")
        )
    item = _text(row.get("指标"))
    if not item:
        errors.append(RowError(line, "missing", column="指标"))
    raw = row.get("得分")
    points: int | None = None
    if raw is None or _text(raw) == "":
        errors.append(RowError(line, "missing", column="得分"))
    else:
        points = whole_number(raw)
        if points is None:
            errors.append(RowError(line, "score_not_int", column="得分", value=_text(raw)))
    if rater is not None and ratee is not None:
        if rater.id == ratee.id:
            errors.append(RowError(line, "self_rating", column="被评人", value=ratee.name))
        elif (rater.id, ratee.id) not in ctx.pairs:
            errors.append(RowError(line, "not_rater", column="评分人", value=rater.name, detail=ratee.name))
    max_points = None
    if ratee is not None and part is not None and item:
        items = ctx.common_items if part is BallotPart.COMMON else ctx.individual_items.get(ratee.id, ())
        match = next((i for i in items if i.name == item), None)
        if match is None:
            errors.append(RowError(line, "unknown_item", column="指标", value=item, detail=ratee.name))
        else:
            max_points = match.max_points
            if points is not None and not 0 <= points <= max_points:
                errors.append(
                    RowError(line, "score_range", column="得分", value=str(points), detail=str(max_points))
                )
            stated = row.get("满分")
            if stated is not None and _text(stated) != "" and whole_number(stated) != max_points:
                errors.append(
                    RowError(line, "max_mismatch", column="满分", value=_text(stated), detail=str(max_points))
                )
    if len(errors) > bad:
        return None
    return rater, ratee, part, item, max_points, points


def _assemble(rater_id, ratee_id, rows, ctx: BallotContext, outcome: BallotImport) -> None:
    first_line = min(r[0] for r in rows)
    seen: dict[tuple[BallotPart, str], int] = {}
    for line, part, item, _points, _max in rows:
        if (part, item) in seen:
            outcome.errors.append(
                RowError(line, "duplicate_item", column="指标", value=item, detail=str(seen[(part, item)]))
            )
        seen.setdefault((part, item), line)
    expected = [(BallotPart.COMMON, i) for i in ctx.common_items] + [
        (BallotPart.INDIVIDUAL, i) for i in ctx.individual_items.get(ratee_id, ())
    ]
    missing = [i.name for part, i in expected if (part, i.name) not in seen]
    if missing:
        outcome.errors.append(RowError(first_line, "incomplete_ballot", value="、".join(missing)))
        return
    points = {(part, item): p for _line, part, item, p, _m in rows}
    common = tuple(
        ItemScore(i.name, points[(BallotPart.COMMON, i.name)], i.max_points) for i in ctx.common_items
    )
    individual = tuple(
        ItemScore(i.name, points[(BallotPart.INDIVIDUAL, i.name)], i.max_points)
        for i in ctx.individual_items.get(ratee_id, ())
    )
    ballot = ParsedBallot(first_line, rater_id, ratee_id, ctx.pairs[(rater_id, ratee_id)], common, individual)
    existing = ctx.existing.get((rater_id, ratee_id))
    if existing is not None and existing.submitted and existing.scores == ballot.scores():
        outcome.unchanged += 1
    elif existing is not None and existing.submitted:
        outcome.errors.append(RowError(first_line, "ballot_locked", column="评分人"))
    elif not ctx.accepting:
        outcome.errors.append(RowError(first_line, "rating_closed", column="季度", value=str(ctx.quarter)))
    else:
        outcome.new.append(ballot)


@dataclass(frozen=True)
class GroupedError:
    """The same problem on several rows, shown once with its line numbers."""

    error: RowError
    lines: tuple[int, ...]


def group_errors(errors: Iterable[RowError]) -> list[GroupedError]:
    """Fold errors that differ only by line, in the order of their first line."""
    lines: dict[tuple, list[int]] = defaultdict(list)
    first: dict[tuple, RowError] = {}
    for e in errors:
        key = (e.code, e.column, e.value, e.detail)
        lines[key].append(e.line)
        first.setdefault(key, e)
    return sorted((GroupedError(first[k], tuple(v)) for k, v in lines.items()), key=lambda g: g.lines[0])
