"""Resolving objections (issue 13, item 15 and texts): an upheld one withdraws the notice in the group, once;
the admin's answer reads as Chinese."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.records.spreadsheets import read_table
from bot.rules.domain import AssessmentStatus, Quarter
from bot.workflow.publicity import GROUP_KEY
from bot.workflow.quarter import compute_and_store, import_ballots
from storage.models import Assessment, BotSetting, Objection, Person, Publicity
from storage.repository import Repository
from tests.chat import ADMIN, GROUP, at, import_roster, running_bot
from tests.conftest import EXAMPLES

Q3 = Quarter(2026, 3)


@pytest.fixture
async def bureau(database_url, database):
    """Q3 computed and in publicity in the group (round 1), with two objections filed."""
    await import_roster(database, EXAMPLES / "roster.csv")
    async with running_bot(database_url, at(2026, 10, 22)) as bureau:
        settings = bureau.services.settings
        async with database.session() as session:
            repo = Repository(session)
            table = read_table(EXAMPLES / "ballots-2026Q3.csv")
            assert not (await import_ballots(repo, settings, Q3, table, "test")).errors
            await compute_and_store(repo, settings, Q3, "test")
            assessment = await repo.assessment(Q3)
            assessment.status = AssessmentStatus.PUBLICITY
            session.add(BotSetting(key=GROUP_KEY, value=str(GROUP)))
            ends = at(2026, 10, 23, 18)
            session.add(
                Publicity(assessment_id=assessment.id, chat_id=GROUP, starts_on=ends.date(), ends_at=ends)
            )
            author = await session.scalar(select(Person).where(Person.name == "陶思琪"))
            for text in ("请复核", "再请复核"):
                session.add(Objection(assessment_id=assessment.id, author_person_id=author.id, text=text))
        bureau.driver.add_group(GROUP, "本局工作群", [ADMIN])
        yield bureau


async def _numbers(database) -> list[int]:
    async with database.session() as session:
        return list(await session.scalars(select(Objection.id).order_by(Objection.id)))


async def test_an_upheld_objection_withdraws_the_notice_in_the_group_once(bureau, database):
    first, second = await _numbers(database)
    reply = await bureau.command(ADMIN, "resolve", f"{first} uphold 得分统计有误")
    withdrawn = await bureau.expect(GROUP, "【公示撤回】")
    assert "2026年第三季度" in withdrawn.text and "另行公示" in withdrawn.text
    assert f"异议{first}经核实成立" in reply.text
    assert "陶思琪" not in withdrawn.text  # the author stays with the admins
    # a second upheld objection of the same round withdraws nothing more; a repeated /resolve is refused
    reply = await bureau.command(ADMIN, "resolve", f"{second} uphold 同一问题")
    assert "经核实成立" in reply.text
    again = await bureau.command(ADMIN, "resolve", f"{first} uphold 再次")
    assert "不能再次处理" in again.text
    await bureau.settle()
    texts = [m.text for m in bureau.driver.bot_messages(GROUP)]
    assert sum("【公示撤回】" in t for t in texts) == 1, texts
    async with database.session() as session:
        assessment = await session.scalar(select(Assessment))
        assert assessment.status is not AssessmentStatus.PUBLICITY


async def test_a_dismissed_objection_reads_as_chinese_and_leaves_the_group_alone(bureau, database):
    first, _second = await _numbers(database)
    reply = await bureau.command(ADMIN, "resolve", f"{first} dismiss 经核实评分程序符合规定")
    assert f"异议{first}经核实不成立，已驳回" in reply.text
    assert "已不成立" not in reply.text
    await bureau.settle()
    assert not bureau.driver.bot_messages(GROUP)


def test_the_republished_notice_says_the_earlier_one_is_withdrawn():
    from bot.rendering import render
    from tests.template_samples import context_for

    name = "chat/group/publicity_notice.j2"
    assert "此前发布的公示已撤回" in render(name, **{**context_for(name), "round": 2})
    assert "撤回" not in render(name, **{**context_for(name), "round": 1})
