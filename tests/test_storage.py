"""Storage on SQLite and PostgreSQL: migrations, unique keys, the append-only audit log, exact types."""

import datetime as dt
from decimal import Decimal

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from bot.rules.domain import Category, RaterGroup, Role
from storage.database import async_url
from storage.migrate import alembic_config, current_revision, head_revision, upgrade
from storage.models import Assessment, AuditEntry, BallotRecord, MonthlySummary, Person, ResultRecord
from storage.repository import Repository


async def _person(session, name="甲", **kwargs) -> Person:
    person = Person(
        name=name,
        birth_month=dt.date(1990, 1, 1),
        role=kwargs.pop("role", Role.STAFF),
        category=Category.CIVIL_SERVANT,
        **kwargs,
    )
    session.add(person)
    await session.flush()
    return person


def test_async_url_accepts_plain_urls():
    assert async_url("sqlite:///a.db") == "sqlite+aiosqlite:///a.db"
    assert async_url("postgres://u:p@h/db") == "postgresql+asyncpg://u:p@h/db"
    assert async_url("postgresql+asyncpg://u@h/db") == "postgresql+asyncpg://u@h/db"
    with pytest.raises(ValueError):
        async_url("mysql://u@h/db")


def test_migrations_match_the_models(database_url):
    """`alembic check`: the models and the migrations describe the same schema."""
    command.check(alembic_config(database_url))


def test_migrations_go_down_and_up_again(database_url):
    assert current_revision(database_url) == head_revision()
    command.downgrade(alembic_config(database_url), "base")
    assert current_revision(database_url) is None
    upgrade(database_url)
    upgrade(database_url)  # twice is harmless
    assert current_revision(database_url) == head_revision()


async def test_one_ballot_per_rater_ratee_and_quarter(database):
    async with database.session() as session:
        a, b = await _person(session, "甲"), await _person(session, "乙")
        assessment = Assessment(year=2026, quarter=3)
        session.add(assessment)
        await session.flush()
        ids = dict(assessment_id=assessment.id, rater_id=a.id, ratee_id=b.id, rater_group=RaterGroup.PEER)
    async with database.session() as session:
        session.add(BallotRecord(**ids))
    with pytest.raises(IntegrityError):
        async with database.session() as session:
            session.add(BallotRecord(**ids))


async def test_one_summary_per_person_and_month(database):
    async with database.session() as session:
        person_id = (await _person(session)).id
        session.add(MonthlySummary(person_id=person_id, year=2026, month=9))
    with pytest.raises(IntegrityError):
        async with database.session() as session:
            session.add(MonthlySummary(person_id=person_id, year=2026, month=9))


async def test_same_person_twice_is_refused(database):
    async with database.session() as session:
        await _person(session, "张伟")
    with pytest.raises(IntegrityError):
        async with database.session() as session:
            await _person(session, "张伟")


async def test_foreign_keys_are_enforced(database):
    with pytest.raises(IntegrityError):
        async with database.session() as session:
            session.add(MonthlySummary(person_id=9999, year=2026, month=9))
            await session.flush()


async def test_audit_log_is_append_only(database):
    async with database.session() as session:
        await Repository(session).audit("cli", "test_entry", note="x")
    for statement in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with database.session() as session:
                await session.execute(text(statement))
    async with database.session() as session:
        entries = await Repository(session).audit_entries()
    assert [(e.actor, e.action, e.details) for e in entries] == [("cli", "test_entry", '{"note": "x"}')]
    assert isinstance(entries[0], AuditEntry) and entries[0].at.tzinfo is not None


async def test_decimals_and_times_round_trip_exactly(database):
    moment = dt.datetime(2026, 10, 9, 18, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    async with database.session() as session:
        person = await _person(session)
        assessment = Assessment(year=2026, quarter=3)
        session.add(assessment)
        await session.flush()
        session.add(
            ResultRecord(
                assessment_id=assessment.id,
                person_id=person.id,
                category=Category.INSTITUTION,
                composite=Decimal("84.995"),
                peer_score=Decimal("0.1"),
                computed_at=moment,
            )
        )
    async with database.session() as session:
        row = (await Repository(session).results(assessment.id))[0]
    assert row.composite == Decimal("84.9950") and row.peer_score == Decimal("0.1000")
    assert row.computed_at == moment and row.computed_at.utcoffset() == dt.timedelta(0)
    assert row.category is Category.INSTITUTION


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(database):
    if database.dialect != "sqlite":
        pytest.skip("SQLite only")
    async with database.session() as session:
        assert (await session.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await session.execute(text("PRAGMA foreign_keys"))).scalar() == 1
