"""Reading a command's arguments: people by name, quarters, dates, and the quarter in question."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

from bot.records.cells import NameIndex, PersonRef, parse_typed_day
from bot.rules.domain import Quarter
from bot.rules.periods import year_allowed, year_range
from bot.rules.text import clean_text, typed
from bot.rules.vocabulary import RANGE_MARK, RANGE_WORDS, typed_period
from handlers.turn import Refusal, Turn
from storage.models import Person

QUARTER_RE = re.compile(r"^[0-9]{4}[Qq][1-4]$")
LOOKS_LIKE_QUARTER = re.compile(r"^[0-9]{4}[Qq][0-9]+$")  # 2025Q5, 2026Q0: meant a quarter, mistyped
REASON_MAX = 500
SECTION_QUALIFIED = re.compile(
    r"^(.+?)\s*[(（]\s*([^()（）]+?)\s*[)）]$"
)  # NAME(SECTION), full-width marks too
NAME_BEFORE_MARK = re.compile(r"^(.+?)\s*[(（]")


def args_of(turn: Turn) -> list[str]:
    """The words after the command, cleaned of what no record can hold (bot.rules.text)."""
    text = clean_text(turn.update.effective_message.text or "")
    return text.split()[1:]


def out_of_range(turn: Turn, text: str) -> Refusal:
    first, last = year_range(turn.today)
    return Refusal("chat/errors/period_out_of_range.j2", text=text, first=first, last=last)


def check_year(turn: Turn, year: int, text: str) -> None:
    """Refuse a typed period whose year is outside the years in use (bot.rules.periods)."""
    if not year_allowed(year, turn.today):
        raise out_of_range(turn, text)


def usage(command: str, problem: str | None = None) -> Refusal:
    return Refusal("chat/errors/usage.j2", command=command, problem=problem)


def take_quarter(turn: Turn) -> tuple[Quarter | None, list[str]]:
    """A 2026Q3 (full-width, or written the Chinese way: bot.rules.vocabulary.typed_period) anywhere in
    the command's arguments, and the rest; a year out of range is refused."""
    args = args_of(turn)
    for i, word in enumerate(args):
        read = typed_period(word, turn.today.year)
        if QUARTER_RE.match(read):
            quarter = Quarter.parse(read)
            check_year(turn, quarter.year, word)
            return quarter, args[:i] + args[i + 1 :]
        if LOOKS_LIKE_QUARTER.match(read):  # not silently about another quarter
            raise usage(command_of(turn), "bad_quarter")
    return None, args


def command_of(turn: Turn) -> str:
    """The command's name as typed, without the slash and the bot's @name."""
    words = (turn.update.effective_message.text or "/").split()
    return words[0].lstrip("/").split("@")[0] if words else ""


def _is_day(text: str, today: dt.date) -> bool:
    try:
        parse_typed_day(text, today)
    except ValueError:
        return False
    return True


def spread_range(turn: Turn, words: list[str]) -> list[str]:
    """Two days written as a range (bot.rules.vocabulary.RANGE_MARK: START-END in one word, or START, a
    mark, END) as two words, the rest kept; a word that is a day itself (2026-07-06) is not split."""
    if len(words) >= 3 and typed(words[1]).strip() in RANGE_WORDS:
        return [words[0], words[2], *words[3:]]
    if not words or _is_day(words[0], turn.today):
        return words
    read = typed(words[0]).strip()
    for mark in RANGE_MARK.finditer(read):
        start, end = read[: mark.start()], read[mark.end() :]
        if _is_day(start, turn.today) and _is_day(end, turn.today):
            return [start, end, *words[1:]]
    return words


def parse_day(turn: Turn, text: str) -> dt.date | None:
    """A typed date as Chinese write it, with or without its year (bot.records.cells.parse_typed_day),
    None if it is not one; a year out of range is refused."""
    try:
        day = parse_typed_day(text, turn.today)
    except ValueError:
        return None
    check_year(turn, day.year, text)
    return day


async def find_person(turn: Turn, text: str, *, active_only: bool = True) -> Person:
    """The one person a name (or NAME(YYYY-MM), or NAME(SECTION), full-width too) names, else a clear
    refusal; namesakes are listed with what tells them apart."""
    people = await turn.repo.people(active_only=active_only)
    index = NameIndex(PersonRef(p.id, p.name, p.birth_month) for p in people)
    found = index.resolve(text)
    if found == "unknown_person":  # an input method's full-width digits and marks in the birth month
        found = index.resolve(typed(text))
    if found == "unknown_person" and (match := SECTION_QUALIFIED.match(text.strip())):
        sections = await turn.repo.section_names()
        name, section = match.group(1).strip(), match.group(2).strip()
        namesakes = [p for p in people if p.name == name]
        in_section = [p for p in namesakes if sections.get(p.section_id) == section]
        if len(in_section) == 1:
            return in_section[0]
        if in_section:
            raise await ambiguous(turn, name, in_section)
    if found == "ambiguous_name":
        name = match.group(1).strip() if (match := NAME_BEFORE_MARK.match(text.strip())) else text.strip()
        raise await ambiguous(turn, name, [p for p in people if p.name == name])
    if not isinstance(found, PersonRef):
        raise Refusal("chat/admin/name_unknown.j2", name=text)
    return next(p for p in people if p.id == found.id)


async def telling_apart(turn: Turn) -> dict:
    """What a list of people needs to tell namesakes apart (chat/admin/invites.j2): the names several
    active people bear, and the sections' names."""
    names = Counter(p.name for p in await turn.repo.people(active_only=True))
    return {
        "namesakes": {name for name, count in names.items() if count > 1},
        "sections": await turn.repo.section_names(),
    }


async def ambiguous(turn: Turn, name: str, namesakes: list[Person]) -> Refusal:
    """A name several people bear: each listed with his birth month and section, to write the one meant."""
    sections = await turn.repo.section_names()
    candidates = [(p.name, p.birth_month, sections.get(p.section_id)) for p in namesakes]
    return Refusal("chat/admin/name_ambiguous.j2", name=name, candidates=candidates)


def reason_of(words: list[str], command: str) -> str:
    """The reason an admin gave: the rest of the words, required and at most REASON_MAX characters."""
    reason = " ".join(words).strip()
    if not reason:
        raise usage(command, "no_reason")
    if len(reason) > REASON_MAX:
        raise usage(command, "too_long")
    return reason
