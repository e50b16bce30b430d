"""The words staff and admins type that the bot reads: tier names, leave kinds, list numbering.

These are data of the users' language, like the import files' column names; what the bot *says*
lives in the templates.
"""

from __future__ import annotations

import re

from bot.rules.domain import LeaveKind, Tier

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
    r"^\s*(?:[0-9０-９]{1,2}|[一二三四五六七八九十]{1,3})\s*[.、．:：)）](?![0-9０-９])\s*"
)
