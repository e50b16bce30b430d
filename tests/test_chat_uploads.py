"""Files sent to the bot through the stand-in: an admin's roster and paper ballots are downloaded with
getFile, checked whole with the command line's row errors, and imported only after 确认, once; anyone
else's file, a wrong type, a file too large or unreadable gets its answer and changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.records.ballot_sheets import plan_sheets, sheets_workbook
from bot.records.roster_file import parse_roster
from bot.records.spreadsheets import read_table
from bot.rendering import render
from bot.rules.domain import Quarter
from bot.rules.scoring import group_weights
from bot.workflow.quarter import ballot_context, import_ballots
from storage.models import AuditEntry, BallotRecord, Person
from storage.repository import Repository
from tests.authz import forge_press
from tests.chat import ADMIN, at, import_roster, running_bot
from tests.conftest import EXAMPLES
from tests.dbsnapshot import snapshot_async, without_processed
from tests.test_ballot_sheets import example_scores, fill
from tests.test_chat_exports import bind

pytestmark = pytest.mark.slow  # the real bot per test, files downloaded and checked: seconds apiece

STRANGER = 777_000_003
ROSTER = (EXAMPLES / "roster.csv").read_bytes()
BAD_ROSTER = EXAMPLES / "roster-one-bad-row.csv"
BALLOTS = EXAMPLES / "ballots-2026Q3.csv"


async def _people(database) -> int:
    async with database.session() as session:
        return await session.scalar(select(func.count()).select_from(Person))


async def _answer(bureau, user: int, filename: str, data: bytes, *, count: int = 1, **options):
    """Send a file and return the bot's `count`-th answer to it (the receipt, then the check)."""
    before = len(bureau.driver.bot_messages(user))
    bureau.driver.send_document(user, filename, data, **options)
    await bureau.driver.wait_for(
        lambda: len(bureau.driver.bot_messages(user)) >= before + count, 20, f"{count} answers to {filename}"
    )
    return bureau.driver.bot_messages(user)[before + count - 1]


async def _checked(bureau, filename: str, data: bytes):
    """An admin's file: received, then the outcome of its check."""
    receipt = await _answer(bureau, ADMIN, filename, data)
    assert receipt.text == f"已收到《{filename}》，正在检查整个文件……"
    return await _answer_after(bureau, receipt)


async def _answer_after(bureau, message):
    return await bureau.driver.wait_for(
        lambda: next(
            (m for m in bureau.driver.bot_messages(ADMIN) if m.message_id > message.message_id), None
        ),
        20,
        "the check's answer",
    )


async def _edited_to(bureau, message, needle: str):
    return await bureau.driver.wait_for(
        lambda: (found := bureau.driver.message(ADMIN, message.message_id)).text.find(needle) >= 0 and found,
        20,
        needle,
    )


def _labels(message) -> list[str]:
    return [b["text"] for row in message.buttons for b in row]


async def test_an_admin_sends_the_roster_it_is_checked_then_imported_once(database_url, database):
    async with running_bot(database_url, at(2026, 7, 1)) as bureau:
        driver = bureau.driver
        # one bad row: the command line's row error, nothing imported, no button
        bad = await _checked(bureau, BAD_ROSTER.name, BAD_ROSTER.read_bytes())
        _records, errors = parse_roster(read_table(BAD_ROSTER))
        assert render("row_errors.j2", errors=errors, limit=20) in bad.text
        assert "第7行" in bad.text and "1986-13" in bad.text and "未导入任何内容" in bad.text
        assert not bad.buttons and await _people(database) == 0

        # the whole roster: what it will do, then 确认 / 取消; nothing written before the press
        summary = await _checked(bureau, "名册.csv", ROSTER)
        assert "花名册《名册.csv》检查通过：共37人，导入后新增37人、更新0人、无变化0人。" in summary.text
        assert _labels(summary) == ["确认", "取消"] and await _people(database) == 0
        downloads = len(driver.requests_for("getFile"))
        assert downloads == 2  # each file fetched through getFile, as from Telegram

        first = driver.press(ADMIN, summary, label="确认")
        second = driver.press(ADMIN, summary, label="确认")  # a double tap
        for query in (first, second):
            await driver.wait_for_callback_answer(query)
        done = await _edited_to(bureau, summary, "已导入")
        assert done.text.startswith("花名册《名册.csv》已导入：共37人，新增37人、更新0人、无变化0人。")
        assert not done.buttons
        await bureau.settle()
        assert await _people(database) == 37
        async with database.session() as session:
            imports = (
                await session.scalars(select(AuditEntry).where(AuditEntry.action == "roster_imported"))
            ).all()
        assert [a.actor for a in imports] == [f"tg:{ADMIN}"]  # once, by the admin
        # pressed again later (an old client still showing it): the outcome again, nothing imported twice
        query = forge_press(
            bureau, ADMIN, summary.buttons[0][0]["callback_data"], message_id=summary.message_id
        )
        answer = await driver.wait_for_callback_answer(query.id)
        assert answer.text == render("chat/errors/already_done.j2")
        assert driver.message(ADMIN, summary.message_id).text == done.text
        assert (
            await _people(database) == 37 and len(driver.requests_for("getFile")) == downloads + 1
        )  # once: the 确认 turn took the button

        # the same roster again: nothing to do, no button
        same = await _checked(bureau, "名册.csv", ROSTER)
        assert "与在册记录完全相同，无需导入" in same.text and not same.buttons

        # one leaves, one moves to another role and section: said before 确认; 取消 changes nothing
        row = "郑海涛,男,1990-01,中共党员,2021-01,2013-07,科员,公务员,综合科,工作人员,,,,,"
        left = ROSTER.decode("utf-8-sig").replace(row + "是", row + "否")
        row = "陈立新,男,1979-11,中共党员,2021-01,2002-07,科员,公务员,"
        assert row + "综合科,工作人员," in left
        left = left.replace(row + "综合科,工作人员,", row + "政务服务科,窗口工作人员,")
        before = without_processed(await snapshot_async(database_url))
        changed = await _checked(bureau, "名册-9月.csv", left.encode())
        assert "将设为不在职（1人，不再参加考核）：郑海涛\n角色或科室将变更" in changed.text
        assert (
            "角色或科室将变更（1人）：\n陈立新：工作人员（综合科） → 窗口工作人员（政务服务科）"
            in changed.text
        )
        assert "新增0人、更新2人、无变化35人" in changed.text
        answer, cancelled = await bureau.press(ADMIN, changed, "取消")
        assert cancelled.text == render("chat/admin/cancelled.j2")
        await bureau.settle()
        after = without_processed(await snapshot_async(database_url))
        assert {k for k in after if after[k] != before[k]} == {"button"}  # the pending uploads only

        # checked, then the records change before 确认: checked again at the press, nothing imported (the
        # roster has one person no longer in post: 35 others in post are untouched)
        header = ROSTER.decode("utf-8-sig").splitlines()[0]
        head = "科员,公务员,档案室,科室负责人,,,,,是"
        first = f"{header}\n陈立新,男,1979-11,中共党员,2021-01,2002-07,{head}\n".encode()
        second = f"{header}\n吴晓燕,女,1986-09,中共党员,2021-01,2009-07,{head}\n".encode()
        stale = await _checked(bureau, "陈立新.csv", first)
        assert "在册但文件中没有的35人不受影响" in stale.text and _labels(stale) == ["确认", "取消"]
        other = await _checked(bureau, "吴晓燕.csv", second)
        await bureau.press(ADMIN, other, "确认")
        await _edited_to(bureau, other, "已导入")
        # 确认 then 取消 at once (a change of mind): 确认 took the button, 取消 is told it is too late,
        # and the import's own outcome is shown (never "已处理过" for a file not imported)
        await driver.wait_for_callback_answer(driver.press(ADMIN, stale, label="确认"))
        cancel = stale.buttons[0][1]["callback_data"]  # as a client still showing the buttons sends it
        late = forge_press(bureau, ADMIN, cancel, message_id=stale.message_id)
        late = await driver.wait_for_callback_answer(late.id)
        assert late.text == "《陈立新.csv》已在导入，不能取消；结果见该消息。", late.text
        refused = await _edited_to(bureau, stale, "在确认时重新检查")
        assert "第2行：科室“档案室”已有负责人吴晓燕" in refused.text and "未导入任何内容" in refused.text
        async with database.session() as session:
            heads = (await session.scalars(select(Person.name).where(Person.role == "section_head"))).all()
        assert "陈立新" not in heads and "吴晓燕" in heads

        # two rosters that both add the same person, confirmed at once: the second waits for the first,
        # is checked again against it and imported (on PostgreSQL it failed on the person's identity)
        row = "郑海涛,男,1990-01,中共党员,2021-01,2013-07,科员,公务员,综合科,工作人员,,,,,是"
        both = ROSTER.decode("utf-8-sig").rstrip("\r\n") + "\n" + row.replace("郑海涛", "林一新") + "\n"
        one = await _checked(bureau, "名册甲.csv", both.encode())
        two = await _checked(bureau, "名册乙.csv", both.replace(row, row[:-1] + "否").encode())
        presses = [driver.press(ADMIN, message, label="确认") for message in (one, two)]
        for query in presses:
            await driver.wait_for_callback_answer(query)
        for message in (one, two):
            assert "已导入" in (await _edited_to(bureau, message, "已导入")).text
        async with database.session() as session:
            names = (await session.scalars(select(Person.name).where(Person.name == "林一新"))).all()
        assert names == ["林一新"]


async def test_ballots_by_file_and_every_file_refused(database_url, database, tmp_path):
    await import_roster(database, EXAMPLES / "roster.csv")
    async with running_bot(database_url, at(2026, 10, 21)) as bureau:
        driver = bureau.driver
        await bind(bureau, "吴晓燕")
        driver.add_user(STRANGER, "Stranger")
        await bureau.settle()
        before = without_processed(await snapshot_async(database_url))

        # anyone but an admin: the usual answer, nothing downloaded
        staff = bureau.user("吴晓燕")
        answer = await _answer(bureau, staff, "roster.csv", ROSTER)
        assert answer.text == render("chat/errors/file_not_accepted.j2", admin=False)
        answer = await _answer(bureau, STRANGER, "ballots.csv", BALLOTS.read_bytes())
        assert answer.text == render("chat/errors/stranger.j2")
        # a wrong type, or more than Telegram lets a bot download: answered before any download
        for name in ("名册.txt", "测评票.pdf", "名册"):
            answer = await _answer(bureau, ADMIN, name, b"%PDF-1.4 whatever")
            assert "文件类型" in answer.text and "不支持" in answer.text and ".xlsx 或 .csv" in answer.text
            assert "病事假等登记表" in answer.text and "只能是 .xlsx" in answer.text
        answer = await _answer(bureau, ADMIN, "大名册.xlsx", b"PK", file_size=25 * 1024 * 1024)
        assert answer.text.startswith("《大名册.xlsx》过大（25.0 MB），机器人最多能接收20 MB 的文件")
        assert driver.requests_for("getFile") == []

        # downloaded, and unreadable or of no kind: a clear answer
        cases = {
            "名册.xlsx": (b"PK\x03\x04 garbage, not a workbook", "文件无法读取或已损坏：可能不是 .xlsx 文件"),
            "空白.csv": (b"\xef\xbb\xbf\r\n", "文件是空的"),
            "编码.csv": (b"a,b\n\x80\x80,\xff\n", "文件编码无法识别"),
            "考勤.csv": (
                "日期,打卡\n2026-07-01,08:30\n".encode(),
                "不是机器人能导入的文件（列标题：日期、打卡）",
            ),
        }
        for name, (data, needle) in cases.items():
            answer = await _checked(bureau, name, data)
            assert needle in answer.text and not answer.buttons, (name, answer.text)
            assert "未作任何处理" in answer.text
        assert "人员名册，第一行为列标题：姓名、性别、出生年月" in answer.text  # what is accepted
        assert len(driver.requests_for("getFile")) == len(cases)
        await bureau.settle()
        assert without_processed(await snapshot_async(database_url)) == before

        # the paper ballots: the quarter from the file, imported after 确认 as the command line would
        summary = await _checked(bureau, BALLOTS.name, BALLOTS.read_bytes())
        assert summary.text.startswith("2026年第三季度测评票《ballots-2026Q3.csv》检查通过：新票")
        new = int(summary.text.split("新票", 1)[1].split("张", 1)[0])
        assert new > 300 and _labels(summary) == ["确认", "取消"]
        await bureau.press(ADMIN, summary, "确认")
        done = await _edited_to(bureau, summary, "已导入")
        assert done.text.startswith(f"2026年第三季度测评票《ballots-2026Q3.csv》已导入：新票{new}张")
        async with database.session() as session:
            stored = await session.scalar(select(func.count()).select_from(BallotRecord))
            assert stored == new
            again = await import_ballots(
                Repository(session), bureau.services.settings, Quarter(2026, 3), read_table(BALLOTS), "test"
            )
            # the command line's import of the same file finds every ballot stored, the same
            assert not again.errors and again.new == [] and again.unchanged == new

        # the same ballots as the per-rater workbook (the 测评票 as printed), filled in: recognised by its
        # headings, checked whole, every ballot found stored already: nothing to confirm
        ctx = await _context(bureau)
        plan = plan_sheets(
            ctx, bureau.services.settings.bureau_name, group_weights(bureau.services.settings.rules)
        )
        blank = tmp_path / "blank.xlsx"
        blank.write_bytes(sheets_workbook(plan))
        fill(blank, tmp_path / "sheets.xlsx", example_scores())
        sheets = await _checked(bureau, "测评票.xlsx", (tmp_path / "sheets.xlsx").read_bytes())
        assert sheets.text.startswith(
            f"2026年第三季度测评票《测评票.xlsx》检查通过：新票0张，已有且相同{new}张"
        )
        assert not sheets.buttons and "无需导入" in sheets.text

        # a quarter's leave and a veto as the adjustments file: checked, then recorded after 确认
        adjustments = (
            "类别,姓名,出生年月,季度,开始日期,结束日期,依据,事由\n"
            "病假,冯雪梅,,,２０２６年８月３日,2026-08-07,,住院\n"
            "一票否决,许振东,,2026Q3,,,1,违反工作纪律\n"
        ).encode()
        checked = await _checked(bureau, "请假.csv", adjustments)
        assert checked.text.startswith("登记表《请假.csv》检查通过：病假1条、一票否决1条"), checked.text
        assert _labels(checked) == ["确认", "取消"]
        await bureau.press(ADMIN, checked, "确认")
        recorded = await _edited_to(bureau, checked, "已导入")
        assert recorded.text.startswith("登记表《请假.csv》已导入：病假1条、一票否决1条"), recorded.text
        async with database.session() as session:
            kinds = (
                await session.scalars(select(AuditEntry.action).where(AuditEntry.actor == f"tg:{ADMIN}"))
            ).all()
        assert {"leave", "override_veto"} <= set(kinds), kinds
        again = await _checked(bureau, "请假.csv", adjustments)  # sent twice: nothing new to record
        assert "已登记过的相同记录2条" in again.text and not again.buttons


async def _context(bureau):
    async with bureau.services.database.session() as session:
        return await ballot_context(Repository(session), bureau.services.settings, Quarter(2026, 3))
