"""The roster file: its columns, accepted values and the checks of every row, in the file and on file."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.records.cells import NO, YES, RowError, cell_text, missing_columns, parse_date
from bot.records.spreadsheets import Cell, Table
from bot.rules.domain import Category, Role

# The roster's column headers and accepted values: data the bureau's spreadsheets carry, in Chinese.
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

_SPLIT = re.compile(r"[、,，;；/\s]+")


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


@dataclass(frozen=True)
class ExistingPerson:
    """Someone already on file, for the checks that span the file and the database."""

    name: str
    birth_month: dt.date
    role: Role
    section: str | None
    active: bool


def is_roster(table: Table) -> bool:
    """Whether a sheet is a roster: a 姓名 column, and most of its columns are the roster's."""
    named = [h for h in table.headers if h]
    ours = [h for h in named if h in ROSTER_COLUMNS]
    return "姓名" in named and 2 * len(ours) > len(named)


def parse_roster(
    table: Table, *, known_sections: Iterable[str] = (), existing: Iterable[ExistingPerson] = ()
) -> tuple[list[PersonRecord], list[RowError]]:
    """Validate every roster row against the file and what is on file; good only without errors."""
    errors = missing_columns(table, ROSTER_REQUIRED)
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
        value = cell_text(row.get(column))
        if not value:
            errors.append(RowError(line, "missing", column=column))
        return value

    def date(column: str, month_only: bool = False) -> dt.date | None:
        value = row.get(column)
        if value is None or cell_text(value) == "":
            return None
        if isinstance(value, float) and not value.is_integer():
            errors.append(RowError(line, "date_as_number", column=column, value=cell_text(value)))
            return None
        try:
            return parse_date(value, month_only=month_only)
        except ValueError:
            errors.append(RowError(line, "bad_date", column=column, value=cell_text(value)))
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
    category_text = cell_text(row.get("人员身份类别"))
    category = CATEGORY_NAMES.get(category_text) if category_text else None
    if category_text and category is None:
        errors.append(
            RowError(
                line, "bad_choice", column="人员身份类别", value=category_text, detail="公务员、事业单位人员"
            )
        )
    section = cell_text(row.get("科室")) or None
    supervises = tuple(s for s in _SPLIT.split(cell_text(row.get("分管科室"))) if s)
    active_text = cell_text(row.get("在职")).lower()
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
        if len(cell_text(row.get(column))) > limit:
            errors.append(
                RowError(line, "too_long", column=column, value=cell_text(row.get(column)), detail=str(limit))
            )
    if role is not None and not role.is_bureau_leader:
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
            RowError(line, "bad_order", column="处分结束日期", value=cell_text(row.get("处分结束日期")))
        )
    if errors or role is None or birth_month is None:
        return None, errors
    return (
        PersonRecord(
            line=line,
            name=name,
            birth_month=birth_month,
            role=role,
            gender=cell_text(row.get("性别")),
            political_status=cell_text(row.get("政治面貌")),
            post_title=cell_text(row.get("职务")),
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
