"""The words staff and admins type that the bot reads: tier names, leave kinds, commands' keywords, list
numbering, goal lines.

These are data of the users' language, like the import files' column names; what the bot *says*
lives in the templates.
"""

from __future__ import annotations

import re
from typing import TypeVar

from bot.rules.domain import LeaveKind, Phase, RaterAction, Tier
from bot.rules.text import typed, typed_number

T = TypeVar("T")

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
DEFAULT_WORDS = ("默认", "default")  # /firstmonth back to the default
LEAVE_WORDS = {
    "病假": LeaveKind.SICK,
    "事假": LeaveKind.PERSONAL,
    "sick": LeaveKind.SICK,
    "personal": LeaveKind.PERSONAL,
}

# Commands' keywords: the Chinese words an admin would write first, the English ones kept as aliases.
# Each table is read by `keyword`, full-width letters (ｇｏａｌｓ) and capitals (Grant) as typed.
# /close 小结 2026年9月: the month's summaries, not a quarter's phase.
SUMMARY_WORDS = {word: True for word in ("小结", "月小结", "工作小结", "月工作小结", "summary", "summaries")}
PHASE_WORDS = {
    "指标": Phase.GOALS,
    "个性指标": Phase.GOALS,
    "goals": Phase.GOALS,
    "登记表": Phase.REGISTRATION,
    "登记": Phase.REGISTRATION,
    "registration": Phase.REGISTRATION,
    "测评": Phase.RATING,
    "评分": Phase.RATING,
    "打分": Phase.RATING,
    "rating": Phase.RATING,
    "公示": Phase.PUBLICITY,
    "publicity": Phase.PUBLICITY,
}
# /resolve: whether the objection is upheld. 维持 is left out: 维持原结果 would dismiss, 维持异议 uphold.
VERDICT_WORDS = {
    "驳回": False,
    "不成立": False,
    "不予采纳": False,
    "dismiss": False,
    "成立": True,
    "支持": True,
    "采纳": True,
    "uphold": True,
}
LIST_WORDS = {"列表": "list", "名单": "list", "查看": "list", "list": "list"}
# /admins
ADMIN_WORDS = LIST_WORDS | {
    "授权": "grant",
    "增加": "grant",
    "添加": "grant",
    "grant": "grant",
    "撤销": "revoke",
    "取消": "revoke",
    "移除": "revoke",
    "revoke": "revoke",
}
# /calendar: a day made a working day, a day off, or its correction removed
CALENDAR_WORDS = LIST_WORDS | {
    "工作日": "workday",
    "调休上班": "workday",
    "上班": "workday",
    "workday": "workday",
    "节假日": "holiday",
    "放假": "holiday",
    "休息日": "holiday",
    "假日": "holiday",
    "holiday": "holiday",
    "删除": "remove",
    "移除": "remove",
    "撤销": "remove",
    "remove": "remove",
}
RATER_WORDS = {
    "增加": RaterAction.ADD,
    "添加": RaterAction.ADD,
    "add": RaterAction.ADD,
    "移除": RaterAction.REMOVE,
    "删除": RaterAction.REMOVE,
    "取消": RaterAction.REMOVE,
    "remove": RaterAction.REMOVE,
}
# /export: the records, by the names of bot.records.exports.ExportKind
EXPORT_WORDS = {
    "月工作小结": "form1",
    "工作小结": "form1",
    "小结": "form1",
    "form1": "form1",
    "登记表": "form2",
    "平时考核登记表": "form2",
    "form2": "form2",
    "归档汇总表": "filing",
    "汇总表": "filing",
    "归档": "filing",
    "filing": "filing",
    "年度联动表": "annual",
    "联动表": "annual",
    "年度": "annual",
    "annual": "annual",
    "统计图": "charts",
    "图表": "charts",
    "charts": "charts",
}
# The first word of /veto, /affirm, /exempt and /leave that takes a record back instead of making one.
WITHDRAW_WORDS = {"撤销": True, "撤回": True, "取消": True, "withdraw": True}


# Periods as Chinese write them, read as the bot's own notation: 2026年第三季度 (第3季度, 三季度) as 2026Q3,
# 2026年9月 as 2026-09, 2026年 as 2026.
_CHINESE_QUARTER = re.compile(r"^([0-9]{4})年?第?([1-4一二三四])季度?$")
_YEARLESS_QUARTER = re.compile(r"^第?([1-4一二三四])季度$")  # 第三季度, 三季度: this year's
_CHINESE_MONTH = re.compile(r"^([0-9]{4})年([0-9]{1,2})月(?:份)?$")
EVERYONE_WORDS = {"全部": True, "所有人": True, "全体": True, "all": True}


def _quarter_number(number: str) -> int:
    return "一二三四".find(number) + 1 if number in "一二三四" else int(number)


def typed_period(text: str, year: int | None = None) -> str:
    """A typed quarter, month or year in the bot's notation (2026Q3, 2026-09, 2026); other text as typed,
    full-width forms read as ASCII. Given `year` (this year), a quarter without one (第三季度) is of it."""
    read = typed(text).strip()
    if match := _CHINESE_QUARTER.match(read):
        return f"{match.group(1)}Q{_quarter_number(match.group(2))}"
    if year is not None and (match := _YEARLESS_QUARTER.match(read)):
        return f"{year}Q{_quarter_number(match.group(1))}"
    if match := _CHINESE_MONTH.match(read):
        return f"{match.group(1)}-{int(match.group(2)):02d}"
    return read.removesuffix("年") if re.fullmatch(r"[0-9]{4}年", read) else read


_NUMBER_MARKS = re.compile(r"^(?:异议|编号|第|#|No\.?)*\s*([0-9]+)\s*号?$", re.IGNORECASE)


def typed_ordinal(text: str) -> int | None:
    """A number as an admin may write it: 1, １, #1, 异议1, 第1号; else None."""
    match = _NUMBER_MARKS.match(typed(text).strip())
    return typed_number(match.group(1)) if match else None


def typed_year(text: str) -> int | None:
    """A year as typed: 2026, ２０２６ or 2026年; else None."""
    return typed_number(typed(text).strip().removesuffix("年"), max_digits=4)


def keyword(words: dict[str, T], text: str) -> T | None:
    """What a typed keyword means in one of the tables above, else None."""
    return words.get(typed(text).strip().lower())


# A leading "1." or "一、" that people type before an item; the bot numbers items itself. A digit right
# after the mark means the number is the item's own: 1.5亿元, 12:30前, 10.1假期.
ITEM_NUMBERING = re.compile(
    r"^\s*(?P<number>[0-9０-９]{1,2}|[一二三四五六七八九十]{1,3})\s*[.、．:：)）](?![0-9０-９])\s*"
)
# Deleting an item by its number: 删除第2条, 删除2, 删第二条, 删除第２项, 删掉第1条, 删去第1条.
DELETE_ITEM = re.compile(
    r"^\s*删(?:除|掉|去)?\s*第?\s*(?P<number>[0-9０-９]{1,2}|[一二三四五六七八九十]{1,3})\s*[条项]?\s*[。.]?\s*$"
)
# Replacing an item by its number in words: 第2条改为：整理文书, 第二条 整理文书档案, 第2条：整理文书.
# The number must be followed by 改为 (or the like), a colon or a space, so an item of one's own that
# starts with 第二项工作 stays an item.
REPLACE_ITEM = re.compile(
    r"^\s*第\s*(?P<number>[0-9０-９]{1,2}|[一二三四五六七八九十]{1,3})\s*[条项]"
    r"(?:\s*(?:改为|改成|修改为|更正为|换成)\s*[:：,，]?|\s*[:：]|\s+)\s*"
)
# The editor's buttons typed as words (after bot.rules.text.typed, trailing 。 dropped): "drop" the last
# item, or "clear" them all.
EDITOR_WORDS = {
    "删除最后一条": "drop",
    "删掉最后一条": "drop",
    "删除最后一项": "drop",
    "删最后一条": "drop",
    "清空重写": "clear",
    "清空": "clear",
    "全部删除": "clear",
    "删除全部": "clear",
    "全部清空": "clear",
}
# A month as people type it (after bot.rules.text.typed): 2026-06, 2026-6, 2026.6, 2026/6, 2026年6月,
# 202606, and without a year 6月 or 6; 6月份 and 2026年6月份 too.
MONTH_WITH_YEAR = re.compile(r"^([0-9]{4})(?:[-./]|年)?([0-9]{1,2})(?:月份?)?$")
MONTH_ONLY = re.compile(r"^([0-9]{1,2})(?:月份?)?$")
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


# The marks between the two days of a range (7月6日至8月31日, 7月6日—8月31日, 7月6日-8月31日,
# 7月6日~8月31日, 7月6日 至 8月31日), read after bot.rules.text.typed (full-width － is -, ～ is ~).
RANGE_WORDS = ("至", "到", "—", "——", "–", "-", "~", "〜")
RANGE_MARK = re.compile(r"至|到|—+|–|-|~|〜")

# A ground of /veto or /affirm as the rules number it: 2, ２, 第2条, 第二条, 2项.
_GROUND = re.compile(r"^第?\s*([0-9]{1,3}|[一二三四五六七八九十]{1,3})\s*[条项款]?$")


def ground_number(text: str) -> int | None:
    """The number of a typed ground (2, ２, 第2条, 第二条), else None."""
    match = _GROUND.match(typed(text).strip())
    return numeral(match.group(1)) if match else None


def numbered_item(line: str) -> tuple[int, str] | None:
    """A line that starts with an item number (2. 新内容, 2、新内容, ２．新内容, 二、新内容): the number and
    the rest; None when it has none (1.5亿元 is an item's own figure)."""
    match = ITEM_NUMBERING.match(line)
    number = numeral(match.group("number")) if match else None
    if number is None:
        return None
    return number, line[match.end() :].strip()


def item_replaced(line: str) -> tuple[int, str] | None:
    """The number and new text of 第2条改为：新内容 (and the like), else None."""
    match = REPLACE_ITEM.match(line)
    number = numeral(match.group("number")) if match else None
    return None if number is None else (number, line[match.end() :].strip())


def editor_word(line: str) -> str | None:
    """ "drop" or "clear" when a line is one of the editor's buttons typed (EDITOR_WORDS), else None."""
    return EDITOR_WORDS.get(typed(line).strip().rstrip("。.！!").replace(" ", ""))


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
