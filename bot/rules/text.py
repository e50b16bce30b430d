"""Free text as the bureau keeps it: control characters, noncharacters and lone surrogates removed."""

from __future__ import annotations

import re
import unicodedata

# C0 controls but tab and newline, DEL and the C1 controls; lone surrogates; the noncharacters
# (U+FDD0..U+FDEF and the last two code points of every plane). Everything else, full-width forms
# and CJK included, is kept as typed.
_NONCHARACTERS = "".join(f"\\U{plane:04x}fffe\\U{plane:04x}ffff" for plane in range(0x11))
_UNWANTED = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef" + _NONCHARACTERS + "]"
)
_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029\x85]")

# What a Chinese input method types instead of ASCII: the full-width forms U+FF01..U+FF5E, and the
# ideographic space.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_ASCII_DIGITS = re.compile(r"[0-9]+")


def clean_text(text: str) -> str:
    """The text without characters no record can hold: line ends become \\n, a tab a space."""
    return _UNWANTED.sub("", _NEWLINES.sub("\n", text).replace("\t", " "))


def clean_line(text: str) -> str:
    """One-line text (a name, a title, a command's words): cleaned, its line ends turned to spaces."""
    return clean_text(text).replace("\n", " ")


def ascii_number(text: str, *, max_digits: int = 9) -> int | None:
    """A whole number written in ASCII digits only (button data, file cells), else None.

    `str.isdigit()` and `int()` take ² and ٣; nothing a machine wrote uses them.
    """
    if len(text) > max_digits or not _ASCII_DIGITS.fullmatch(text):
        return None
    return int(text)


def typed(text: str) -> str:
    """What a person typed, with the full-width forms of an input method read as ASCII (８５ → 85)."""
    return text.translate(_FULL_WIDTH)


# A pinyin input method types the "/" key as "、": "、status" or "、 me" is a command meant, not content.
_IME_SLASH = re.compile(r"^、\s*([A-Za-z][A-Za-z0-9_]{1,31})(?![A-Za-z0-9_])")


def typed_command(text: str) -> str | None:
    """The command a person meant by a text that is not one (／ｍｅ, "/ me", 、me), as "/me"; else None."""
    ascii_text = typed(text).strip()
    if ascii_text.startswith("/"):
        words = ascii_text[1:].split(maxsplit=1)
        return "/" + words[0] if words else "/"
    match = _IME_SLASH.match(ascii_text)
    return f"/{match.group(1)}" if match else None


def typed_number(text: str, *, max_digits: int = 9) -> int | None:
    """A whole number a person typed: ASCII or full-width digits, else None."""
    return ascii_number(typed(text).strip(), max_digits=max_digits)


def display_width(text: str) -> int:
    """Columns a terminal or a spreadsheet gives `text` (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
