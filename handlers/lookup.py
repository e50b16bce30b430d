"""Reading a command's arguments: people by name, quarters, dates, and the quarter in question."""

from __future__ import annotations

import datetime as dt
import re

from bot.records.cells import NameIndex, PersonRef, parse_date
from bot.rules.domain import Quarter
from handlers.turn import Refusal, Turn
from storage.models import Person

QUARTER_RE = re.compile(r"^\d{4}[Qq][1-4]$")
REASON_MAX = 500


def args_of(turn: Turn) -> list[str]:
    """The words after the command."""
    text = turn.update.effective_message.text or ""
    return text.split()[1:]


def usage(command: str, problem: str | None = None) -> Refusal:
    return Refusal("chat/errors/usage.j2", command=command, problem=problem)


def take_quarter(args: list[str]) -> tuple[Quarter | None, list[str]]:
    """A 2026Q3 anywhere in the arguments, and the rest."""
    for i, word in enumerate(args):
        if QUARTER_RE.match(word):
            return Quarter.parse(word), args[:i] + args[i + 1 :]
    return None, args


def parse_day(text: str) -> dt.date | None:
    try:
        return parse_date(text)
    except ValueError:
        return None


async def find_person(turn: Turn, text: str, *, active_only: bool = True) -> Person:
    """The one person a name (or NAME(YYYY-MM)) names, else a clear refusal."""
    people = await turn.repo.people(active_only=active_only)
    found = NameIndex(PersonRef(p.id, p.name, p.birth_month) for p in people).resolve(text)
    if found == "ambiguous_name":
        raise Refusal("chat/admin/name_ambiguous.j2", name=text)
    if not isinstance(found, PersonRef):
        raise Refusal("chat/admin/name_unknown.j2", name=text)
    return next(p for p in people if p.id == found.id)


def reason_of(words: list[str], command: str) -> str:
    """The reason an admin gave: the rest of the words, required and at most REASON_MAX characters."""
    reason = " ".join(words).strip()
    if not reason:
        raise usage(command, "no_reason")
    if len(reason) > REASON_MAX:
        raise usage(command, "too_long")
    return reason
