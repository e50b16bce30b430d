"""Exactly once under concurrency: two users do the same thing at the same moment, through the real bot.

On SQLite the bot's transactions take turns (Database.session), so these pass there by construction;
on PostgreSQL (read committed) the two turns really overlap, and only the locks keep them apart.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.cli.rehearsal import INVITE
from bot.records.spreadsheets import read_table
from bot.rules.domain import AssessmentStatus, Quarter
from bot.workflow.publicity import GROUP_KEY
from bot.workflow.quarter import compute_and_store, import_ballots
from storage.models import Admin, Assessment, AuditEntry, BotSetting, Confirmation, Person, Publicity
from storage.repository import Repository
from tests.chat import ADMIN, GROUP, Command, Press, at, at_once, import_roster, running_bot
from tests.conftest import EXAMPLES

Q3 = Quarter(2026, 3)
ADMIN2 = 900_000_002
DECIDED = "领导班子研究决定"


@pytest.fixture
async def bureau(database_url, database):
    """The worked quarter computed (the tie at the quota line still open), two admins, the group bound."""
    await import_roster(database, EXAMPLES / "roster.csv")
    async with running_bot(database_url, at(2026, 10, 21)) as bureau:
        settings = bureau.services.settings
        async with database.session() as session:
            repo = Repository(session)
            outcome = await import_ballots(
                repo, settings, Q3, read_table(EXAMPLES / "ballots-2026Q3.csv"), "test"
            )
            assert not outcome.errors
            await compute_and_store(repo, settings, Q3, "test")
            (await repo.assessment(Q3)).status = AssessmentStatus.COMPUTED
            session.add(Admin(telegram_user_id=ADMIN2, granted_by=ADMIN))
            session.add(BotSetting(key=GROUP_KEY, value=str(GROUP)))
        bureau.driver.add_user(ADMIN2, "Admin2")
        bureau.driver.add_group(GROUP, "本局工作群", [ADMIN, ADMIN2])
        yield bureau


async def _count(database, model, *where) -> int:
    async with database.session() as session:
        query = select(func.count()).select_from(model)
        return int(await session.scalar(query.where(*where) if where else query))


async def _actions(database, action: str) -> int:
    return await _count(database, AuditEntry, AuditEntry.action == action)


async def _decide_the_tie(bureau) -> None:
    assert "已记录" in (await bureau.command(ADMIN, "change", f"魏红梅 好 {DECIDED}")).text
    assert "已记录" in (await bureau.command(ADMIN, "change", f"陶思琪 较好 {DECIDED}")).text


async def test_two_changes_at_once_cannot_pass_the_quota(bureau, database):
    """魏红梅 and 陶思琪 tie for the last 好 place: two admins give each 好 at the same moment. Three rounds
    (the winner set back to 较好 between them), so that the turns overlap in at least one."""
    changes = 0
    for _round in range(3):
        replies = await at_once(
            bureau,
            Command(ADMIN, "change", f"魏红梅 好 {DECIDED}"),
            Command(ADMIN2, "change", f"陶思琪 好 {DECIDED}"),
        )
        accepted = [r.text for r in replies if "已记录" in r.text]
        refused = [r.text for r in replies if "已记录" not in r.text]
        assert len(accepted) == 1 and "超过名额5人" in refused[0], [r.text for r in replies]
        changes += 1
        assert await _actions(database, "tier_changed") == changes
        winner = "魏红梅" if "魏红梅" in accepted[0] else "陶思琪"
        assert "已记录" in (await bureau.command(ADMIN, "change", f"{winner} 较好 {DECIDED}")).text
        changes += 1


async def test_two_admins_confirming_at_once_confirm_once(bureau, database):
    await _decide_the_tie(bureau)
    asks = [await bureau.command(admin, "confirm", "2026Q3") for admin in (ADMIN, ADMIN2)]
    outcomes = await at_once(bureau, *(Press(a.chat_id, a, "确认") for a in asks))
    messages = sorted((m.text or "" for _answer, m in outcomes), key=lambda t: "已审定" not in t)
    assert "考核结果已审定" in messages[0] and "已审定" not in messages[1], messages
    refused = [str(answer.text) for answer, m in outcomes if "已审定" not in (m.text or "")]
    assert "当前状态为“已审定待公示”，不能审定" in refused[0], refused
    assert await _count(database, Confirmation) == 1
    assert await _actions(database, "results_confirmed") == 1


async def test_two_admins_publishing_at_once_publish_once(bureau, database):
    await _decide_the_tie(bureau)
    ask = await bureau.command(ADMIN, "confirm", "2026Q3")
    await bureau.press(ADMIN, ask, "确认")
    asks = [await bureau.command(admin, "publish", "2026Q3") for admin in (ADMIN, ADMIN2)]
    outcomes = await at_once(bureau, *(Press(a.chat_id, a, "确认") for a in asks))
    await bureau.settle()
    published = [m for _answer, m in outcomes if "公示已发布" in (m.text or "")]
    refused = [str(answer.text) for answer, m in outcomes if "公示已发布" not in (m.text or "")]
    assert len(published) == 1 and len(refused) == 1, [m.text for _a, m in outcomes]
    assert "当前状态为“公示中”，不能公示" in refused[0], refused
    notices = [m.text for m in bureau.driver.bot_messages(GROUP) if "【公示】" in (m.text or "")]
    assert len(notices) == 1 and "更正后重新公示" not in notices[0], notices
    assert await _count(database, Publicity) == 1
    assert await _actions(database, "published") == 1
    async with database.session() as session:
        assert (await session.scalars(select(Assessment.status))).one() is AssessmentStatus.PUBLICITY


async def test_one_invite_opened_by_two_accounts_at_once_binds_one(bureau, database):
    reply = await bureau.command(ADMIN, "invite", "周明远")
    (token,) = dict(INVITE.findall(reply.text)).values()
    first, second = 500_000_101, 500_000_102
    for user_id in (first, second):
        bureau.driver.add_user(user_id, f"U{user_id}")
    replies = await at_once(bureau, Command(first, "start", token), Command(second, "start", token))
    bound = [user for user, r in zip((first, second), replies, strict=True) if "绑定成功" in r.text]
    assert len(bound) == 1, [r.text for r in replies]
    other = [r.text for r in replies if "绑定成功" not in r.text]
    assert "该邀请链接已被使用" in other[0], other
    async with database.session() as session:
        person = await session.scalar(select(Person).where(Person.name == "周明远"))
        assert person.telegram_user_id == bound[0]
    assert await _actions(database, "account_bound") == 1
