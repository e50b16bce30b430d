"""Plain text as Telegram counts it: UTF-16 offsets, trimmed blanks, the entities it marks for users."""

from __future__ import annotations

import re
from typing import Any

Entity = dict[str, Any]

_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w@/])")
_MENTION = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{5,32}\b")


def utf16_length(text: str) -> int:
    """The length of `text` in UTF-16 code units, the unit of Telegram's entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def _trimmable(c: str) -> bool:
    return c.isspace() or ord(c) < 32


def trim(text: str) -> str:
    """Leading and trailing blanks (and control characters) removed, as Telegram does."""
    start = 0
    while start < len(text) and _trimmable(text[start]):
        start += 1
    end = len(text)
    while end > start and _trimmable(text[end - 1]):
        end -= 1
    return text[start:end]


def detect_entities(text: str) -> list[Entity]:
    """The bot_command and mention entities Telegram marks in a user's text."""
    entities: list[Entity] = []
    for pattern, kind in ((_COMMAND, "bot_command"), (_MENTION, "mention")):
        for match in pattern.finditer(text):
            entities.append(
                {
                    "type": kind,
                    "offset": utf16_length(text[: match.start()]),
                    "length": utf16_length(match.group()),
                }
            )
    return sorted(entities, key=lambda e: e["offset"])
