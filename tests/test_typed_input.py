"""What people type, read as they mean it: goal lines (name then points) and dates as Chinese write them."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.records.cells import parse_date, parse_typed_day
from bot.rules.text import typed_command
from bot.workflow.goals import check_line
from bot.workflow.unit import Refusal

GOAL_LINES = [
    ("窗口业务办理 30分", ("窗口业务办理", 30)),
    ("群众满意度\u300020", ("群众满意度", 20)),  # the ideographic space of an input method
    ("业务学习：20", ("业务学习", 20)),
    ("业务学习: 20 分", ("业务学习", 20)),
    ("信息报送20", ("信息报送", 20)),
    ("12345热线接听 20", ("12345热线接听", 20)),  # the name's own digits stay in the name
    ("政务公开２０分", ("政务公开", 20)),
    ("  窗口业务办理 30  ", ("窗口业务办理", 30)),
]


@pytest.mark.parametrize(("line", "expected"), GOAL_LINES)
def test_a_goal_line_is_read_as_people_type_it(line, expected):
    assert check_line(line, []) == expected


@pytest.mark.parametrize(
    "line", ["业务办理 六十", "业务办理", "30分", "：30", "业务办理 0", "业务办理 101", ""]
)
def test_a_goal_line_without_points_or_name_is_refused(line):
    with pytest.raises(Refusal) as refused:
        check_line(line, [])
    assert refused.value.template == "chat/staff/goal_line_bad.j2"


def test_a_goal_name_used_twice_is_refused():
    with pytest.raises(Refusal) as refused:
        check_line("业务办理：10", [("业务办理", 60)])
    assert refused.value.template == "chat/staff/goal_duplicate.j2"


TODAY = dt.date(2026, 10, 14)
DAYS = [
    ("2026年7月6日", dt.date(2026, 7, 6)),
    ("7月6日", dt.date(2026, 7, 6)),
    ("7月6号", dt.date(2026, 7, 6)),
    ("7月6", dt.date(2026, 7, 6)),
    ("12月31日", dt.date(2026, 12, 31)),
    ("2026.7.6", dt.date(2026, 7, 6)),
    ("7.6", dt.date(2026, 7, 6)),
    ("7/6", dt.date(2026, 7, 6)),
    ("2026/7/6", dt.date(2026, 7, 6)),
    ("2026-07-06", dt.date(2026, 7, 6)),
    ("２０２６年７月６日", dt.date(2026, 7, 6)),
    ("７月６日", dt.date(2026, 7, 6)),
    ("７．６", dt.date(2026, 7, 6)),
    ("2027年1月4日", dt.date(2027, 1, 4)),
]


@pytest.mark.parametrize(("text", "expected"), DAYS)
def test_a_date_typed_in_chat_is_read_as_chinese_write_it(text, expected):
    assert parse_typed_day(text, TODAY) == expected


@pytest.mark.parametrize(
    "text", ["2月30日", "13月1日", "7月", "7", "七月六日", "٧.٦", "7.6.", "2026年7月6日x"]
)
def test_what_is_not_a_date_is_not_read_as_one(text):
    with pytest.raises(ValueError):
        parse_typed_day(text, TODAY)


def test_a_file_still_reads_a_year_and_month_as_a_month_and_no_date_without_a_year():
    assert parse_date("1988.03", month_only=True) == dt.date(1988, 3, 1)
    assert parse_date("1988.03") == dt.date(1988, 3, 1)
    for text in ("7月6日", "7.6", "3.15"):
        with pytest.raises(ValueError):
            parse_date(text)


def test_commands_keywords_are_read_in_chinese_and_english_full_width_or_not():
    from bot.rules.domain import Phase, RaterAction
    from bot.rules.vocabulary import (
        ADMIN_WORDS,
        CALENDAR_WORDS,
        EXPORT_WORDS,
        PHASE_WORDS,
        RATER_WORDS,
        VERDICT_WORDS,
        keyword,
    )

    assert keyword(PHASE_WORDS, "测评") is keyword(PHASE_WORDS, "ｒａｔｉｎｇ") is Phase.RATING
    assert keyword(VERDICT_WORDS, "驳回") is keyword(VERDICT_WORDS, "不成立") is False
    assert keyword(VERDICT_WORDS, "成立") is keyword(VERDICT_WORDS, "Uphold") is True
    assert keyword(VERDICT_WORDS, "维持") is None  # 维持原结果 or 维持异议: not guessed
    assert keyword(ADMIN_WORDS, "授权") == keyword(ADMIN_WORDS, "GRANT") == "grant"
    assert keyword(CALENDAR_WORDS, "调休上班") == "workday" and keyword(CALENDAR_WORDS, "放假") == "holiday"
    assert keyword(RATER_WORDS, "移除") is RaterAction.REMOVE
    assert keyword(EXPORT_WORDS, "登记表") == "form2"


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("2026年第三季度", "2026Q3"),
        ("2026年第3季度", "2026Q3"),
        ("２０２６年三季度", "2026Q3"),
        ("2026Q3", "2026Q3"),
        ("2026年9月", "2026-09"),
        ("2026年", "2026"),
        ("20263", "20263"),  # no 季度: not a quarter
        ("吴晓燕", "吴晓燕"),
    ],
)
def test_periods_written_the_chinese_way_are_read_in_the_bots_notation(text, read):
    from bot.rules.vocabulary import typed_period

    assert typed_period(text) == read


def test_an_objection_number_is_read_as_admins_write_it():
    from bot.rules.vocabulary import typed_ordinal

    for text in ("1", "１", "#1", "异议1", "第1号", "编号1"):
        assert typed_ordinal(text) == 1, text
    for text in ("abc", "一", "1.5", ""):
        assert typed_ordinal(text) is None, text


def test_grounds_and_yearless_quarters_as_admins_type_them():
    from bot.rules.vocabulary import ground_number, typed_period

    assert [ground_number(t) for t in ("2", "２", "第2条", "第二条", "第２条", "3项")] == [2, 2, 2, 2, 2, 3]
    assert ground_number("第x条") is None and ground_number("") is None
    assert typed_period("第三季度", 2026) == typed_period("三季度", 2026) == "2026Q3"
    assert typed_period("第3季度", 2027) == "2027Q3" and typed_period("第三季度") == "第三季度"
    assert typed_period("3", 2026) == "3"  # a bare number is no quarter


@pytest.mark.parametrize(
    ("text", "meant"),
    [("／ｍｅ", "/me"), ("/ me", "/me"), ("、status 2026年9月", "/status"), ("、 ｍｅ", "/me"), ("/", "/")],
)
def test_a_command_mistyped_by_an_input_method_is_recognised(text, meant):
    assert typed_command(text) == meant


@pytest.mark.parametrize("text", ["完成档案整理", "、完成", "完成、me", "、a", "1、me"])
def test_content_is_not_taken_for_a_command(text):
    assert typed_command(text) is None
