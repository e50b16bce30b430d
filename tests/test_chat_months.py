"""A month's summaries through the real bot: taken late until the admins close the month, never asked for
before the bot takes part, and /status following the month at hand (issue 13, items 1, 2 and 12)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storage.models import AuditEntry
from tests.chat import ADMIN, at, bind_everyone, example_bureau, import_roster, running_bot
from tests.conftest import EXAMPLES

AUTHOR = "吴晓燕"


def labels(message) -> list[str]:
    return [b["text"] for row in message.buttons for b in row]


@pytest.fixture
async def october(database_url, database):
    async with example_bureau(
        database_url, database, at(2026, 10, 14, 10)
    ) as bureau:  # Q3's rating opened at 09:00
        yield bureau


async def test_september_is_taken_late_during_rating_until_the_admins_close_it(october, database):
    author = october.user(AUTHOR)
    status = await october.command(ADMIN, "status")
    assert "2026年9月工作小结" in status.text and "2026年10月工作小结" not in status.text, status.text
    assert "催办月工作小结" in labels(status)

    late = await october.command(author, "summary", "9月")
    assert late.text.startswith("2026年9月工作小结") and "已逾期" in late.text, late.text

    early = await october.command(ADMIN, "close", "小结 2026年10月")
    assert "截止时间" in early.text and "未到" in early.text, early.text
    assert "月份" in (await october.command(ADMIN, "close", "小结 十三月")).text
    done = await october.command(ADMIN, "close", "小结 ２０２６年９月")  # full-width, as an IME types it
    assert "2026年9月工作小结已停止补交" in done.text, done.text
    again = await october.command(ADMIN, "close", "月工作小结 2026-09")
    assert "此前已停止补交" in again.text, again.text
    async with database.session() as session:
        closings = await session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "summaries_closed")
        )
    assert closings == 1

    refused = await october.command(author, "summary", "2026年9月")
    assert "已停止补交" in refused.text, refused.text
    status = await october.command(ADMIN, "status")
    assert "已停止补交" in status.text, status.text
    assert "催办月工作小结" not in labels(status), labels(status)


async def test_months_before_the_first_are_not_asked_for(database_url, database):
    await import_roster(database, EXAMPLES / "roster.csv")
    async with running_bot(database_url, at(2026, 8, 14, 10), start={"first_month": "2026-09"}) as bureau:
        await bind_everyone(bureau)
        await bureau.settle()
        author = bureau.user(AUTHOR)
        for month in ("7月", "2026-08", ""):
            reply = await bureau.command(author, "summary", month)
            assert "自2026年9月起收集月工作小结" in reply.text, (month, reply.text)
        status = await bureau.command(ADMIN, "status")
        assert "尚无应提交的月工作小结" in status.text, status.text
        assert "催办月工作小结" not in labels(status) and "提交进度图" not in labels(status)
        refused = await bureau.command(ADMIN, "close", "小结 2026年7月")
        assert "自2026年9月起参与考核" in refused.text, refused.text
