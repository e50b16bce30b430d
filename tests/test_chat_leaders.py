"""What leaders and ratees see and may do (issue 13, items 7-11), through the real bot."""

from __future__ import annotations

import pytest

from bot.records.contents import monthly_forms
from bot.records.documents import text as form_text
from bot.rules.domain import ReviewStatus
from storage.models import MonthlySummary
from storage.repository import Repository
from tests.chat import TZ, at, bind_everyone, import_roster, running_bot
from tests.conftest import EXAMPLES


@pytest.fixture
async def bureau(database_url, database):
    await import_roster(database, EXAMPLES / "roster.csv")
    async with running_bot(database_url, at(2026, 7, 31)) as bureau:
        await bind_everyone(bureau)
        await bureau.settle()
        yield bureau


async def _submitted(bureau, author: int, head: int, item: str):
    await bureau.command(author, "summary")
    preview = await bureau.text(author, item)
    await bureau.press(author, preview, "提交")
    return await bureau.expect(head, "请审核")


async def _summary(bureau, name: str) -> MonthlySummary:
    async with bureau.services.database.session() as session:
        repo = Repository(session)
        person = next(p for p in await repo.people() if p.name == name)
        summaries = await repo.month_summaries(2026, 7, list(ReviewStatus))
        return next(s for s in summaries if s.person_id == person.id)


async def test_a_mistaken_return_is_cancelled_and_the_next_text_is_no_opinion(bureau):
    author, head = bureau.user("吴晓燕"), bureau.user("周明远")
    request = await _submitted(bureau, author, head, "完成一项审批")
    _answer, asking = await bureau.press(head, request, "退回")
    assert "意见" in asking.text and "取消" in asking.text
    answer, shown = await bureau.press(head, asking, "取消")
    assert "已取消" in (answer.text or "")
    assert "请审核" in shown.text and "完成一项审批" in shown.text
    reply = await bureau.text(head, "好的")  # no longer an opinion
    assert "退回" not in reply.text
    assert (await _summary(bureau, "吴晓燕")).status == "submitted"
    # a command ends the prompt too
    _answer, asking = await bureau.press(head, shown, "退回")
    await bureau.command(head, "me")
    await bureau.text(head, "好的")
    assert (await _summary(bureau, "吴晓燕")).status == "submitted"
    _answer, shown = await bureau.press(head, asking, "取消")  # the same message's buttons still decide
    await bureau.press(head, shown, "通过")
    await bureau.settle()
    assert (await _summary(bureau, "吴晓燕")).status == "approved"


async def test_an_approval_carries_the_leaders_comment_to_the_author_and_form_1(bureau):
    author, head = bureau.user("吴晓燕"), bureau.user("周明远")
    request = await _submitted(bureau, author, head, "完成一项审批")
    _answer, asking = await bureau.press(head, request, "同意并附意见")
    assert "审核意见" in asking.text and "取消" in asking.text
    reply = await bureau.text(head, "数据翔实，继续保持")
    assert "审核通过" in reply.text and "数据翔实，继续保持" in reply.text
    await bureau.settle()
    told = await bureau.expect(author, "审核通过")
    assert "数据翔实，继续保持" in told.text
    summary = await _summary(bureau, "吴晓燕")
    assert summary.status == "approved" and summary.opinion == "数据翔实，继续保持"
    async with bureau.services.database.session() as session:
        forms = await monthly_forms(Repository(session), 2026, 7, TZ)
    form = next(f for f in forms if f.header.name == "吴晓燕")
    assert form_text("review", form.review) == "同意。数据翔实，继续保持"
    # the buttons of the request are used up
    await bureau.press(head, asking, "取消")
    assert (await _summary(bureau, "吴晓燕")).opinion == "数据翔实，继续保持"
