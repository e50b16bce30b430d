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
# A month as an admin types it: 2026-08, 2026.8, 2026/8, 2026年8月 (or 2026年8), digits as `typed` reads.
MONTH_RE = re.compile(r"^([0-9]{4})(?:[-./]([0-9]{1,2})|年([0-9]{1,2})月?)$")
DEFAULT_WORDS = ("默认", "default")  # /firstmonth back to the default
LEAVE_WORDS = {
    "病假": LeaveKind.SICK,
    "事假": LeaveKind.PERSONAL,
    "sick": LeaveKind.SICK,
    "personal": LeaveKind.PERSONAL,
}
# A leading "1." or "一、" that people type before an item; the bot numbers items itself. A digit right
# after the mark means the number is the item's own: 1.5亿元, 12:30前, 10.1假期.
ITEM_NUMBERING = re.compile(
    r"^\s*(?:[0-9０-９]{1,2}|[一二三四五六七八九十]{1,3})\s*[.、．:：)）](?![0-9０-９])\s*"
)


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
