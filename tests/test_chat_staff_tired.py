"""A tired user's review of issue 13, the staff side, through the real bot: the first month reached
without a loop, months typed without a year, /me listing what is owed (late months, reviews) and never a
month before the bot takes part, closed months skipped, summary texts on their own lines, instructions
typed as items obeyed, and the feedback and objection prompts cancelled."""

from __future__ import annotations

from tests.chat import ADMIN, at, example_bureau

AUTHOR, HEAD, PRINCIPAL = "吴晓燕", "周明远", "赵建国"  # 综合科: its head reviews


def labels(message) -> list[str]:
    return [b["text"] for row in message.buttons for b in row]


async def test_the_first_month_is_reached_without_a_loop(database_url, database):
    # The roster loaded on 14 July: the bot takes part from August by default.
    async with example_bureau(database_url, database, at(2026, 7, 14, 10), start={}) as bureau:
        author = bureau.user(AUTHOR)
        early = await bureau.command(author, "summary")
        assert "自2026年8月起收集月工作小结" in early.text, early.text
        assert "填写当前月份" not in early.text and "月末提醒" in early.text, early.text
        assert "目前没有待办事项" in (await bureau.command(author, "me")).text
        ahead = await bureau.command(author, "summary", "8月")  # this August, not last
        assert "2026年8月尚未开始" in ahead.text, ahead.text
        before = await bureau.command(author, "summary", "6月份")
        assert "2026年6月的小结无需在此填写" in before.text, before.text

        bureau.clock.set(at(2026, 8, 3, 10))  # July's deadline not passed: July is the month at hand
        opened = await bureau.command(author, "summary")
        assert opened.text.startswith("2026年8月工作小结"), opened.text
        again = await bureau.command(author, "summary")
        assert again.text.startswith("2026年8月工作小结"), again.text
        me = await bureau.command(author, "me")
        assert "《2026年8月工作小结》" in me.text and "2026年7月" not in me.text, me.text


async def test_me_lists_a_late_month_and_the_reviews_awaiting(database_url, database):
    start = {"first_month": "2026-09"}
    async with example_bureau(database_url, database, at(2026, 10, 14, 10), start=start) as bureau:
        author, head, principal = bureau.user(AUTHOR), bureau.user(HEAD), bureau.user(PRINCIPAL)
        me = await bureau.command(author, "me")
        assert "《2026年9月工作小结》：未填写，已逾期" in me.text, me.text
        assert "《2026年10月工作小结》" in me.text, me.text
        await bureau.command(author, "summary", "9月")
        preview = await bureau.text(author, "完成九月档案整理")
        await bureau.press(author, preview, "提交")
        await bureau.expect(head, "完成九月档案整理")
        reviewer = await bureau.command(head, "me")
        assert "待您审核1份" in reviewer.text, reviewer.text
        assert "【待办】" in reviewer.text.split("待您审核")[0], reviewer.text
        await bureau.command(ADMIN, "open", "测评")
        await bureau.settle()
        leader = await bureau.command(principal, "me")  # the quarter's rating is open: his ballots
        lines = leader.text.splitlines()
        assert lines[1] == "【待办】" and "测评" in lines[2], leader.text


async def test_a_closed_month_does_not_hide_an_earlier_open_one(database_url, database):
    start = {"first_month": "2026-08"}
    async with example_bureau(database_url, database, at(2026, 10, 14, 10), start=start) as bureau:
        author = bureau.user(AUTHOR)
        closed = await bureau.command(ADMIN, "close", "小结 2026年9月")
        assert "已停止补交" in closed.text, closed.text
        screen = await bureau.command(author, "summary")
        assert "补交2026年8月小结" in labels(screen), labels(screen)
        me = await bureau.command(author, "me")
        assert "《2026年8月工作小结》：未填写，已逾期" in me.text and "《2026年9月" not in me.text, me.text


async def test_the_summary_screen_keeps_its_sentences_apart(database_url, database):
    async with example_bureau(database_url, database, at(2026, 8, 10, 10)) as bureau:
        author = bureau.user(AUTHOR)
        late = await bureau.command(author, "summary", "7月")  # July's deadline (5 August) has passed
        lines = late.text.splitlines()
        assert lines[0].startswith("2026年7月工作小结") and lines[0].endswith("“逾期提交”"), late.text
        assert lines[1].startswith("请逐条发送该月主要工作"), late.text
        current = await bureau.command(author, "summary")
        assert current.text.splitlines()[1].startswith("请逐条发送本月主要工作"), current.text
