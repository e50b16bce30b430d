"""/export through the stand-in: an admin gets the records as documents and photos; nobody else does."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

from bot.cli.rehearsal import FIRST_USER_ID, INVITE
from bot.records.spreadsheets import read_table
from bot.rules.domain import Quarter
from bot.workflow.quarter import import_ballots
from storage.models import Person
from storage.repository import Repository
from tests.chat import ADMIN, at, import_roster, running_bot
from tests.conftest import EXAMPLES
from tests.dbsnapshot import snapshot_async, without_processed
from tests.factories import stored_summary

pytestmark = pytest.mark.slow  # each test binds a bureau and builds files: seconds apiece

STRANGER = 777_000_002


@pytest.fixture
async def bureau(database_url, database):
    await import_roster(database, EXAMPLES / "roster.csv")
    async with running_bot(database_url, at(2026, 10, 21)) as bureau:
        async with database.session() as session:
            outcome = await import_ballots(
                Repository(session),
                bureau.services.settings,
                Quarter(2026, 3),
                read_table(EXAMPLES / "ballots-2026Q3.csv"),
                "test",
            )
            assert not outcome.errors
            person = await session.scalar(select(Person).where(Person.name == "周明远"))
            await stored_summary(session, person.id, 2026, 9, ["完成企业开办一网通办改造"])
        # the paper ballots are in: rating is opened and closed, so the results may be shown (SPEC 4)
        assert "测评打分已开启" in (await bureau.command(ADMIN, "open", "rating 2026Q3")).text
        ask = await bureau.command(ADMIN, "close", "rating 2026Q3")
        _answer, closed = await bureau.press(ADMIN, ask, "确认")
        assert "测评已结束" in closed.text
        yield bureau


async def bind(bureau, *names: str) -> None:
    """Invite just these people and let them open their links."""
    reply = await bureau.command(ADMIN, "invite", " ".join(names))
    links = dict(INVITE.findall(reply.text))
    for offset, name in enumerate(names):
        user_id = FIRST_USER_ID + offset
        bureau.driver.add_user(user_id, name)
        bureau.users[name] = user_id
        bureau.driver.send_command(user_id, "start", links[name])
        await bureau.driver.wait_for_bot_message(user_id)


def _documents(bureau, after: int):
    return [m for m in bureau.driver.bot_messages(ADMIN) if m.message_id > after and m.document is not None]


async def test_an_admin_exports_the_filing_workbooks_by_buttons(bureau):
    menu = await bureau.command(ADMIN, "export")
    labels = [b["text"] for row in menu.buttons for b in row]
    assert labels == ["月工作小结", "平时考核登记表", "归档汇总表", "年度联动表", "统计图"]
    _answer, periods = await bureau.press(ADMIN, menu, "归档汇总表")
    assert "请选择季度" in periods.text
    first = bureau.driver.press(ADMIN, periods, label="2026年第三季度")
    second = bureau.driver.press(ADMIN, periods, label="2026年第三季度")  # a double tap
    answers = [await bureau.driver.wait_for_callback_answer(q) for q in (first, second)]
    assert sorted(str(a.text) for a in answers) == ["None", "该操作已处理过，无需重复操作。"]
    progress = periods
    done = await bureau.driver.wait_for(
        lambda: "已生成" in (bureau.driver.message(ADMIN, progress.message_id).text or ""), 20, "export done"
    )
    assert done
    files = _documents(bureau, progress.message_id)
    names = sorted(f.document.file_name for f in files)
    assert names == ["2026年第三季度平时考核结果-事业单位人员.xlsx", "2026年第三季度平时考核结果-公务员.xlsx"]
    for message in files:
        book = load_workbook(io.BytesIO(message.document.data))
        assert book.sheetnames == ["考核结果", "汇总"]
        assert "（拟定，未经审定）" in book["考核结果"]["A1"].value  # not confirmed yet: says so
    final = bureau.driver.message(ADMIN, progress.message_id)
    assert "共2份" in final.text and final.edits >= 2  # the progress shown, then the result, in place
    await bureau.settle()
    assert len(_documents(bureau, progress.message_id)) == 2  # the double tap sent nothing twice


def _last_id(bureau) -> int:
    last = bureau.last(ADMIN)
    return last.message_id if last else 0


async def test_form1_as_a_zip_of_word_documents_charts_as_photos_and_the_status_chart(bureau):
    before = _last_id(bureau)
    await bureau.command(ADMIN, "export", "form1 2026-09")
    await bureau.expect(ADMIN, "已生成2026年9月", timeout=20)
    (message,) = _documents(bureau, before)
    assert message.document.file_name == "2026年9月干部职工月工作小结.zip"
    archive = zipfile.ZipFile(io.BytesIO(message.document.data))
    (name,) = archive.namelist()
    assert name.endswith("周明远-月工作小结.docx")
    table = Document(io.BytesIO(archive.read(name))).tables[0]
    assert (
        table.rows[0].cells[1].text == "周明远"
        and "1. 完成企业开办一网通办改造" in table.rows[3].cells[1].text
    )

    before = _last_id(bureau)
    await bureau.command(ADMIN, "export", "charts 2026Q3")
    await bureau.expect(ADMIN, "已生成2026年第三季度统计图", timeout=30)
    photos = [m for m in bureau.driver.bot_messages(ADMIN) if m.message_id > before and m.photo is not None]
    assert len(photos) == 3  # tiers against the quota, composites, September's summary progress
    assert all(p.photo.data.startswith(b"\x89PNG") for p in photos)
    assert [p.caption for p in photos] == [
        "2026年第三季度统计图（1/3）",
        "2026年第三季度统计图（2/3）",
        "2026年第三季度统计图（3/3）",
    ]

    status = await bureau.command(ADMIN, "status")
    before = status.message_id
    await bureau.press(ADMIN, status, "提交进度图")
    photo = await bureau.driver.wait_for(
        lambda: next(
            (m for m in bureau.driver.bot_messages(ADMIN) if m.message_id > before and m.photo), None
        ),
        20,
        "progress chart",
    )
    assert re.fullmatch(r"2026年\d{1,2}月工作小结提交进度图", photo.caption), photo.caption


async def test_export_is_refused_to_everyone_but_admins_and_changes_nothing(bureau, database_url):
    await bind(bureau, "吴晓燕", "钱卫东")
    bureau.driver.add_user(STRANGER, "Stranger")
    before = without_processed(await snapshot_async(database_url))
    staff = bureau.user("吴晓燕")
    leader = bureau.user("钱卫东")
    for user in (staff, leader):
        reply = await bureau.command(user, "export")
        assert "没有权限" in reply.text
        reply = await bureau.command(user, "export", "form2 2026Q3")
        assert "没有权限" in reply.text
    assert "邀请链接" in (await bureau.command(STRANGER, "export")).text
    for args in ("form9 2026Q3", "form1 2026Q3", "charts", "annual 2026-09"):
        reply = await bureau.command(ADMIN, "export", args)
        assert "用法：/export" in reply.text, args
    assert without_processed(await snapshot_async(database_url)) == before
    for user in (staff, leader, STRANGER):
        assert not [m for m in bureau.driver.bot_messages(user) if m.document or m.photo]
