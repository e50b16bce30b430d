"""Text rendering: every text a user reads comes from a Jinja2 template under bot/templates."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context
from jinja2.runtime import Context

from bot.records.cells import group_errors
from bot.rules.scoring import shown_score
from bot.rules.text import display_width
from bot.settings import RuleSettings

SCORE_PLACES: int = RuleSettings.model_fields["score_places"].default


def pad(value: Any, width: int, align: str = "left") -> str:
    """Pad to a display width, for tables mixing Chinese and digits."""
    text = str(value)
    gap = max(0, width - display_width(text))
    return " " * gap + text if align == "right" else text + " " * gap


def score(value: Decimal | None, places: int = SCORE_PLACES) -> str:
    """A score as shown: half up to `places` decimals (rules.scoring.shown_score), or a dash."""
    shown = shown_score(value, places)
    return "-" if shown is None else f"{shown:.{places}f}"


@pass_context
def _score(context: Context, value: Decimal | None, places: int | None = None) -> str:
    """The templates' `score` filter: `places` given, else the context's `score_places` (a turn's and
    the outbox's renders pass rules.score_places), else the rules' default."""
    if places is None:
        places = context.get("score_places", SCORE_PLACES)
    return score(value, places)


MESSAGE_LIMIT = 4096


def chunks(text: str, limit: int = MESSAGE_LIMIT - 96) -> list[str]:
    """Split a text into messages Telegram accepts, on line boundaries where possible."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current or not parts:
        parts.append(current)
    return parts


def bar(done: int, total: int, width: int = 10) -> str:
    """A text progress bar."""
    filled = round(width * done / total) if total else 0
    return "\u2588" * filled + "\u2591" * (width - filled)


@cache
def environment() -> Environment:
    env = Environment(
        extensions=["jinja2.ext.do"],
        loader=PackageLoader("bot", "templates"),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(pad=pad, score=_score, group_errors=group_errors, bar=bar)
    return env


def render(name: str, /, **context: Any) -> str:
    """Render the template `name` (e.g. "cli/results.j2") with `context`."""
    return environment().get_template(name).render(**context).strip("\n")


def macro(template: str, name: str, /, *args: Any) -> str:
    """Call the macro `name` of `template` (texts of documents, workbooks and charts are macros)."""
    return str(getattr(environment().get_template(template).module, name)(*args)).strip()


def label(kind: str, value: Any) -> str:
    """The Chinese label of an enum value, from the macros of labels.j2."""
    return macro("labels.j2", kind, value)
