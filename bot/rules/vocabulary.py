"""The words staff and admins type that the bot reads: tier names, leave kinds, list numbering, goal lines.

These are data of the users' language, like the import files' column names; what the bot *says*
lives in the templates.
"""

from __future__ import annotations

import re

from bot.rules.domain import LeaveKind, Tier
from bot.rules.text import typed

TIER_WORDS = {
    "好": Tier.GOOD,
    "较好": Tier.FAIR,
    "一般": Tier.AVERAGE,
    "较差": Tier.POOR,
    "good": Tier.GOOD,
    "fair": Tier.FAIR,
    "average": Tier.AVERAGE,
    "poor": Tier.POOR,
}
LEAVE_WORDS = {
    "病假": LeaveKind.SICK,
    "事假": LeaveKind.PERSONAL,
    "sick": LeaveKind.SICK,
    "personal": LeaveKind.PERSONAL,
}
# A leading "1." or "一、" that people type before an item; the bot numbers items itself. A digit right
# after the mark means the number is the item's own: 1.5亿元, 12:30前, 10.1假期.
ITEM_NUMBERING = re.compile(
    r"^\s*(?P<number>[0-9０-９]{1,2}|[一二三四五六七八九十]{1,3})\s*[.、．:：)）](?![0-9０-９])\s*"
)
# Deleting an item by its number: 删除第2条, 删除2, 删第二条, 删除第２项.
DELETE_ITEM = re.compile(
    r"^\s*删除?\s*第?\s*(?P<number>[0-9０-９]{1,2}|[一二三四五六七八九十]{1,3})\s*[条项]?\s*$"
)
# A month as people type it (after bot.rules.text.typed): 2026-06, 2026-6, 2026.6, 2026/6, 2026年6月,
# 202606, and without a year 6月 or 6.
MONTH_WITH_YEAR = re.compile(r"^([0-9]{4})(?:[-./]|年)?([0-9]{1,2})月?$")
MONTH_ONLY = re.compile(r"^([0-9]{1,2})月?$")
_CHINESE_DIGITS = {c: i for i, c in enumerate("一二三四五六七八九", start=1)}


def numeral(text: str) -> int | None:
    """A small number as people write it: 2, ２, 二, 十二, 二十, 二十三; None if it is none."""
    read = typed(text)
    if read.isascii() and read.isdigit():
        return int(read)
    tens, _ten, ones = read.partition("十")
    if not _ten:
        return _CHINESE_DIGITS.get(read) if len(read) == 1 else None
    high = _CHINESE_DIGITS.get(tens, 0 if not tens else -1)
    low = _CHINESE_DIGITS.get(ones, 0 if not ones else -1)
    if high < 0 or low < 0:
        return None
    return (high or 1) * 10 + low


def numbered_item(line: str) -> tuple[int, str] | None:
    """A line that starts with an item number (2. 新内容, 2、新内容, ２．新内容, 二、新内容): the number and
    the rest; None when it has none (1.5亿元 is an item's own figure)."""
    match = ITEM_NUMBERING.match(line)
    number = numeral(match.group("number")) if match else None
    if number is None:
        return None
    return number, line[match.end() :].strip()


def item_to_delete(line: str) -> int | None:
    """The item number of 删除第2条 (and the like), else None."""
    match = DELETE_ITEM.match(line)
    return numeral(match.group("number")) if match else None


# A goal line: a name, then its points, the last number of the line (12345热线接听 20), separated by
# spaces, a colon or nothing, 分 after the points optional.
_GOAL_LINE = re.compile(r"^(.*?)[\s:]*([0-9]+)\s*分?$")


def name_and_points(line: str) -> tuple[str, int] | None:
    """A goal line as people type it (窗口业务办理 30分, 群众满意度　20, 业务学习：20, 信息报送20): the name
    as typed and the points, read from ASCII or full-width digits; None when there are no points."""
    read = typed(line).strip()  # one character for one: the name is cut from the line as typed
    match = _GOAL_LINE.match(read)
    if not match or len(match.group(2)) > 3:
        return None
    start = len(line) - len(line.lstrip())
    name = line[start : start + match.end(1)].strip()
    return name, int(match.group(2))
