"""Bulk seeding of a big bureau straight into the tables (sqlite3 executemany, PostgreSQL COPY)."""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.engine import make_url

from bench.harness import _pg_connect
from bot.rules.domain import (
    AssessmentStatus,
    BallotPart,
    BallotSource,
    BallotStatus,
    Category,
    RaterGroup,
    Role,
)
from bot.settings import IndicatorSettings

Row = tuple

NOW = dt.datetime(2026, 10, 12, 2, 0, tzinfo=dt.UTC)
SECTION_SIZE = 14  # 13 peers + the principal + the supervisor: 15 ballots a ratee
SECTIONS_PER_SUPERVISOR = 80


@dataclass
class Plan:
    """A bureau: leaders, sections of ratees, and who rates whom (ids assigned here, from 1)."""

    sections: list[Row] = field(default_factory=list)
    people: list[Row] = field(default_factory=list)
    supervision: list[Row] = field(default_factory=list)
    principal: int = 0
    supervisors: list[int] = field(default_factory=list)
    section_members: dict[int, list[int]] = field(default_factory=dict)
    roles: dict[int, Role] = field(default_factory=dict)
    supervisor_of_section: dict[int, int] = field(default_factory=dict)

    @property
    def ratees(self) -> list[int]:
        return [p for members in self.section_members.values() for p in members]


PERSON_COLUMNS = (
    "id",
    "name",
    "gender",
    "birth_month",
    "political_status",
    "post_title",
    "category",
    "role",
    "section_id",
    "active",
    "telegram_user_id",
    "created_at",
    "updated_at",
)
SECTION_COLUMNS = ("id", "name", "created_at")
SUPERVISION_COLUMNS = ("section_id", "person_id")
BALLOT_COLUMNS = (
    "id",
    "assessment_id",
    "rater_id",
    "ratee_id",
    "rater_group",
    "status",
    "source",
    "created_at",
    "submitted_at",
)
ITEM_COLUMNS = ("id", "ballot_id", "part", "position", "name", "max_points", "points")


def plan_bureau(ratees: int, *, section_size: int = SECTION_SIZE, telegram_base: int | None = None) -> Plan:
    """One principal, a supervisor per 80 sections, sections of `section_size` ratees (the last may be
    smaller): a head, three window staff, the rest staff; categories alternate."""
    plan = Plan()
    section_count = -(-ratees // section_size)
    supervisor_count = max(1, -(-section_count // SECTIONS_PER_SUPERVISOR))
    next_id = 1

    def person(name: str, role: Role, section_id: int | None, category: Category | None) -> int:
        nonlocal next_id
        pid = next_id
        next_id += 1
        telegram = telegram_base + pid if telegram_base is not None else None
        plan.people.append(
            (
                pid,
                name,
                "",
                dt.date(1970 + pid % 30, 1 + pid % 12, 1),
                "",
                "",
                category.value if category else None,
                role.value,
                section_id,
                True,
                telegram,
                NOW,
                NOW,
            )
        )
        plan.roles[pid] = role
        return pid

    plan.principal = person("P0", Role.PRINCIPAL, None, None)
    plan.supervisors = [person(f"S{i}", Role.SUPERVISOR, None, None) for i in range(supervisor_count)]
    made = 0
    for index in range(section_count):
        section_id = index + 1
        plan.sections.append((section_id, f"K{section_id:05d}", NOW))
        supervisor = plan.supervisors[index // SECTIONS_PER_SUPERVISOR]
        plan.supervision.append((section_id, supervisor))
        plan.supervisor_of_section[section_id] = supervisor
        members = []
        for position in range(min(section_size, ratees - made)):
            role = Role.SECTION_HEAD if position == 0 else Role.WINDOW_STAFF if position <= 3 else Role.STAFF
            category = Category.CIVIL_SERVANT if (made + position) % 2 == 0 else Category.INSTITUTION
            members.append(person(f"R{section_id}-{position}", role, section_id, category))
        made += len(members)
        plan.section_members[section_id] = members
    return plan


def pairs(plan: Plan) -> Iterable[tuple[int, int, RaterGroup]]:
    """(rater, ratee, group) of every ballot the plan calls for (peer scope: the section)."""
    for section_id, members in plan.section_members.items():
        supervisor = plan.supervisor_of_section[section_id]
        for ratee in members:
            yield plan.principal, ratee, RaterGroup.PRINCIPAL
            yield supervisor, ratee, RaterGroup.SUPERVISOR
            for peer in members:
                if peer != ratee:
                    yield peer, ratee, RaterGroup.PEER


def ballots_and_items(plan: Plan, assessment_id: int, seed: int = 2026) -> tuple[list[Row], list[Row]]:
    """Every pair's ballot, submitted, with every item scored (whole points, mostly 70-100%)."""
    indicators = IndicatorSettings()
    rng = random.Random(seed)
    ballots: list[Row] = []
    items: list[Row] = []
    item_id = 1
    for ballot_id, (rater, ratee, group) in enumerate(pairs(plan), start=1):
        ballots.append(
            (
                ballot_id,
                assessment_id,
                rater,
                ratee,
                group.value,
                BallotStatus.SUBMITTED.value,
                BallotSource.CHAT.value,
                NOW,
                NOW,
            )
        )
        for part, template in (
            (BallotPart.COMMON, indicators.common),
            (BallotPart.INDIVIDUAL, indicators.template_for(plan.roles[ratee])),
        ):
            for position, item in enumerate(template, start=1):
                low = item.max_points * 7 // 10
                points = rng.randint(low, item.max_points)
                items.append((item_id, ballot_id, part.value, position, item.name, item.max_points, points))
                item_id += 1
    return ballots, items


def _sqlite_value(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


async def bulk_insert(url: str, tables: Sequence[tuple[str, Sequence[str], list[Row]]]) -> None:
    """Insert rows into tables in order, bypassing the ORM: the fastest path each database offers."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        connection = sqlite3.connect(parsed.database)
        try:
            connection.execute("PRAGMA foreign_keys=ON")
            with connection:
                for table, columns, rows in tables:
                    marks = ", ".join("?" for _ in columns)
                    connection.executemany(
                        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                        ([_sqlite_value(v) for v in row] for row in rows),
                    )
        finally:
            connection.close()
        return
    connection = await _pg_connect(url)
    try:
        async with connection.transaction():
            # the rows are consistent by construction: no foreign-key trigger per row (a superuser's right)
            await connection.execute("SET LOCAL session_replication_role = replica")
            for table, columns, rows in tables:
                await connection.copy_records_to_table(table, records=rows, columns=list(columns))
            for table, _columns, rows in tables:
                if rows and "id" in _columns:
                    await connection.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
        for table, _columns, rows in tables:
            if rows:  # statistics, as autovacuum would gather them on a server in use
                await connection.execute(f"ANALYZE {table}")
    finally:
        await connection.close()


async def seed_bureau(url: str, plan: Plan) -> None:
    await bulk_insert(
        url,
        [
            ("section", SECTION_COLUMNS, plan.sections),
            ("person", PERSON_COLUMNS, plan.people),
            ("section_supervisor", SUPERVISION_COLUMNS, plan.supervision),
        ],
    )


async def seed_assessment(url: str, year: int, quarter: int, status: AssessmentStatus) -> int:
    await bulk_insert(
        url,
        [
            (
                "assessment",
                ("id", "year", "quarter", "status", "created_at", "updated_at"),
                [(1, year, quarter, status.value, NOW, NOW)],
            )
        ],
    )
    return 1
