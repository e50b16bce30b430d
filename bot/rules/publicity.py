"""What the publicity notice shows: GOOD names and sections, counts per tier, the period."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from bot.rules.domain import Tier


@dataclass(frozen=True)
class NoticeEntry:
    name: str
    section: str


@dataclass(frozen=True)
class Notice:
    """Only the GOOD tier is named; lower tiers appear as counts only."""

    good: tuple[NoticeEntry, ...]
    counts: dict[Tier, int]
    exempt: int


def build_notice(rows: list[tuple[str, str, Tier | None, bool]]) -> Notice:
    """rows: (name, section, final tier, exempt) for every ratee of the quarter."""
    counts = Counter(tier for _n, _s, tier, exempt in rows if not exempt and tier is not None)
    good = tuple(
        sorted(
            (NoticeEntry(n, s) for n, s, tier, exempt in rows if tier is Tier.GOOD and not exempt),
            key=lambda e: (e.section, e.name),
        )
    )
    return Notice(good, {t: counts.get(t, 0) for t in Tier}, sum(1 for *_x, exempt in rows if exempt))
