"""What people type, read as they mean it: goal lines (name then points) and dates as Chinese write them."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.records.cells import parse_date, parse_typed_day
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
