"""The log at DEBUG of a worked quarter carries no bot token, invite token, message text or score."""

from __future__ import annotations

import csv
import json
import logging

import pytest
from sqlalchemy import select

from bot.cli.demo import ITEM, QUARTER, RATEE, RATER, SCORE, button, tick
from bot.cli.rehearsal import INVITE
from bot.ops.logs import configure_logging
from bot.records import documents
from bot.records.spreadsheets import read_table, write_table
from bot.settings import LogSettings
from bot.workflow.quarter import compute_and_store, import_ballots
from storage.models import Person
from storage.repository import Repository
from tests.chat import ADMIN, TOKEN, at, bind_everyone, import_roster, running_bot
from tests.conftest import EXAMPLES
from tests.factories import stored_summary

SUMMARY_MARK = "核查日志专用标记：完成七月份审批事项甲乙丙"
RATER_NAME = "吴晓燕"


@pytest.fixture
def debug_log(tmp_path):
    """The bot's logging as `run` sets it up at DEBUG, written to a file; the test's own restored after."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    levels = {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    path = tmp_path / "bot.log"
    with path.open("w", encoding="utf-8") as stream:
        configure_logging(LogSettings(level="DEBUG"))
        root.handlers[0].setStream(stream)
        try:
            yield path
        finally:
            root.handlers[:], level = saved
            root.setLevel(level)
            for name, old in levels.items():
                logging.getLogger(name).setLevel(old)


@pytest.mark.slow
async def test_a_worked_quarter_logged_at_debug_leaks_nothing(database_url, database, debug_log):
    async with running_bot(database_url, at(2026, 6, 30, 17, 0)) as bureau:
        await import_roster(bureau.services.database, EXAMPLES / "roster.csv")
        await bind_everyone(bureau)
        invites = [token for _name, token in INVITE.findall(bureau.driver.bot_messages(ADMIN)[-1].text)]
        assert len(invites) > 30

        await tick(bureau, at(2026, 7, 31, 9, 0))
        author = bureau.user(RATER_NAME)
        await bureau.command(author, "summary")
        preview = await bureau.text(author, SUMMARY_MARK)
        await bureau.press(author, preview, button("submit"))
        await bureau.settle()

        await tick(bureau, at(2026, 10, 14, 9, 0))
        rows = list(csv.DictReader((EXAMPLES / "ballots-2026Q3.csv").open(encoding="utf-8-sig")))
        scores = {(r[RATEE], r[ITEM]): r[SCORE] for r in rows if r[RATER] == RATER_NAME}
        screen = await bureau.command(author, "rate")
        first = next(b for row in screen.buttons for b in row)
        _answer, screen = await bureau.press(author, screen, data=first["callback_data"])
        screens = []
        while "【" in screen.text:  # one item on screen: tap its score
            ratee = screen.text.split("\n", 1)[0].split("：", 1)[1].split("（", 1)[0]
            item = screen.text.split("【", 1)[1].split("】", 1)[0]
            _answer, screen = await bureau.press(author, screen, scores[(ratee, item)])
            screens.append(screen.text)
        _answer, receipt = await bureau.press(author, screen, button("submit"))
        table = read_table(EXAMPLES / "ballots-2026Q3.csv")
        paper = debug_log.parent / "paper.csv"
        write_table(
            paper,
            table.headers,
            [[r.get(h) for h in table.headers] for _l, r in table.rows if r[RATER] != RATER_NAME],
        )
        async with bureau.services.database.session() as session:
            await import_ballots(
                Repository(session), bureau.services.settings, QUARTER, read_table(paper), "t"
            )
        await tick(bureau, at(2026, 10, 20, 18, 0))
        async with bureau.services.database.session() as session:
            await compute_and_store(Repository(session), bureau.services.settings, QUARTER, "t")
        results = await bureau.command(ADMIN, "results", str(QUARTER))
        await bureau.settle()

    log = debug_log.read_text(encoding="utf-8")
    assert "DEBUG" in log and "update=" in log  # the log was written, at DEBUG
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
    assert not [t for t in invites if t in log]
    assert SUMMARY_MARK not in log
    # the rater's screens name each score tapped; the receipt and the results hold scores and names
    lines = {line for text in [*screens, receipt.text, results.text] for line in text.splitlines()}
    leaked = [line for line in lines if len(line) >= 8 and line in log]
    assert not leaked, leaked[:5]


def test_tokens_are_redacted_from_every_record_of_every_logger(debug_log):
    """What a library logs at WARNING (an error with a Bot API URL, an update echoed) is cleaned too."""
    real_token = "7012345678:AAH4xV2y_Qk-9pLmN0oPqRsTuVwXyZ12345"
    configure_logging(LogSettings(level="DEBUG"), secrets=["configured-secret-value"])
    with debug_log.open("a", encoding="utf-8") as stream:
        logging.getLogger().handlers[0].setStream(stream)
        library = logging.getLogger("telegram.ext.Updater")
        url = f"https://api.telegram.org/bot{real_token}/getUpdates"
        library.warning("Error while getting Updates: %s", url)
        library.warning(
            "update %r", {"text": "/start Qz7_kY1-aB3cD4eF5gH6iJ", "link": "?start=Wq9xR8tY7uI6oP5aS4dF"}
        )
        try:
            raise RuntimeError("configured-secret-value in https://t.me/x_bot?start=Lk2jH3gF4dS5aQ6wE7rT")
        except RuntimeError:
            logging.getLogger("bot.delivery").exception("failed")
        logging.getLogger().handlers[0].flush()
    log = debug_log.read_text(encoding="utf-8")
    assert "Error while getting Updates: https://api.telegram.org/bot<redacted>/getUpdates" in log
    assert "'text': '/start <redacted>'" in log
    assert "\nRuntimeError\n" in log and "in https://t.me/" not in log  # an exception's text is not logged
    for secret in (real_token, "Qz7_kY1", "Wq9xR8", "configured-secret-value", "Lk2jH3"):
        assert secret not in log, secret


MARK = "日志不得记录的文字甲乙丙"  # as a stored reason or summary would hold it


async def test_a_failing_handler_or_export_logs_the_fault_without_the_exceptions_text(
    database_url, database, debug_log, monkeypatch
):
    """Any exception's message may carry a text someone typed (openpyxl quotes the cell, a KeyError its
    key, PostgreSQL's DETAIL the row): the log names the type and the frames, never the message."""
    import handlers.admin

    async def create_invites(_turn, _people):
        try:
            {}[f"键{MARK}"]
        except KeyError as exc:
            raise ValueError(f"原因{MARK}") from exc

    def form1(_form, _bureau):
        raise ValueError(f"{MARK!r} cannot be used in worksheets.")

    monkeypatch.setattr(handlers.admin, "create_invites", create_invites)
    monkeypatch.setattr(documents, "form1", form1)
    await import_roster(database, EXAMPLES / "roster.csv")
    async with database.session() as session:
        person = await session.scalar(select(Person).where(Person.name == "周明远"))
        await stored_summary(session, person.id, 2026, 9, ["完成企业开办一网通办改造"])
    async with running_bot(database_url, at(2026, 10, 21)) as bureau:
        assert "处理时出现错误" in (await bureau.command(ADMIN, "invite", "all")).text
        await bureau.command(ADMIN, "export", "form1 2026-09")
        assert "内部错误" in (await bureau.expect(ADMIN, "生成失败")).text
    logging.getLogger().handlers[0].flush()

    log = debug_log.read_text(encoding="utf-8")
    assert MARK not in log
    # what an operator needs to find the fault: the types, and the frames down to the failing lines
    assert "handler invite failed on update" in log and "export form1 2026-09 failed" in log
    assert "KeyError" in log and "ValueError" in log
    assert "The above exception was the direct cause of the following exception" in log
    here = __file__
    assert f'File "{here}", line' in log and ", in create_invites" in log and ", in form1" in log
    assert ", in run_export" in log and "bot/records/exports.py" in log


@pytest.mark.parametrize("form", ["text", "json"])
def test_no_exception_text_reaches_a_log_line_of_any_logger(debug_log, form):
    """An exception logged with its traceback, passed as an argument, or quoted in a library's message
    (asyncio's "Task exception was never retrieved"): its type is written, its text never."""
    configure_logging(LogSettings(level="DEBUG", format=form))
    with debug_log.open("a", encoding="utf-8") as stream:
        logging.getLogger().handlers[0].setStream(stream)
        try:
            try:
                raise KeyError(f"键{MARK}")
            except KeyError:
                raise OSError(f"文件 /tmp/{MARK}.xlsx") from None
        except OSError as exc:
            logging.getLogger("bot.records").exception("failed")
            logging.getLogger("handlers.turn").warning("database unavailable for update %s: %s", 7, exc)
            logging.getLogger("asyncio").error(
                "Task exception was never retrieved\nexc=%r", exc, exc_info=exc
            )
        logging.getLogger().handlers[0].flush()
    log = debug_log.read_text(encoding="utf-8")
    assert MARK not in log and "KeyError" not in log  # a suppressed context is not shown either
    lines = [json.loads(line) for line in log.splitlines()] if form == "json" else None
    if lines:
        assert [line["msg"].split("\n")[0] for line in lines] == [
            "failed",
            "database unavailable for update 7: OSError",
            "Task exception was never retrieved",
        ]
        assert lines[0]["exc"].endswith("OSError") and "in test_no_exception_text" in lines[0]["exc"]
    else:
        assert "database unavailable for update 7: OSError" in log
        assert "in test_no_exception_text_reaches_a_log_line_of_any_logger" in log
