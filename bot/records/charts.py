"""Charts for admins as PNG (matplotlib, Agg): tiers against the quota, composites, summary progress."""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import io
import itertools
import warnings
from collections import Counter
from collections.abc import Callable
from functools import cache, partial
from typing import Any
from zoneinfo import ZoneInfo

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
from matplotlib import font_manager
from matplotlib.figure import Figure

from bot.records.contents import Filing, Submissions
from bot.rendering import macro
from bot.rules.domain import Category, Tier

# Fonts with the Chinese glyphs, the first found wins; `.ci/run` and the README install WenQuanYi Micro Hei.
CJK_FONTS = (
    "WenQuanYi Micro Hei",
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Droid Sans Fallback",
)
FONT_FILE_HINTS = ("wqy", "cjk", "sourcehan", "simhei", "msyh", "pingfang", "droidsansfallback")
TIER_COLOURS = {Tier.GOOD: "#2e7d32", Tier.FAIR: "#1565c0", Tier.AVERAGE: "#f9a825", Tier.POOR: "#c62828"}
DPI = 120

text = partial(macro, "records/charts.j2")


class NoChineseFont(RuntimeError):
    """No font with Chinese glyphs is installed: the charts would show empty boxes."""


@cache
def chinese_font() -> str:
    """The family of an installed CJK font; raises NoChineseFont when there is none."""
    for attempt in range(2):
        installed = {f.name for f in font_manager.fontManager.ttflist}
        for family in CJK_FONTS:
            if family in installed:
                return family
        if attempt == 0:  # matplotlib's font cache predates the font's installation: look on disk once
            for path in font_manager.findSystemFonts():
                if any(hint in path.lower() for hint in FONT_FILE_HINTS):
                    try:
                        font_manager.fontManager.addfont(path)
                    except (OSError, RuntimeError, ValueError):
                        continue
    raise NoChineseFont(", ".join(CJK_FONTS))


def _figure(width: float = 8, height: float = 4.5) -> Figure:
    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    return figure


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*[Gg]lyph.*missing.*")  # a missing glyph is a failure
        figure.savefig(buffer, format="png")
    return buffer.getvalue()


def drawn(fn: Callable[..., bytes]) -> Callable[..., bytes]:
    """Draw with the Chinese font first (digits and Latin fall back to DejaVu Sans)."""

    @functools.wraps(fn)
    def draw(*args: Any, **kwargs: Any) -> bytes:
        with matplotlib.rc_context(
            {"font.family": [chinese_font(), "DejaVu Sans"], "axes.unicode_minus": False}
        ):
            return fn(*args, **kwargs)

    return draw


@drawn
def tiers_chart(filing: Filing) -> bytes:
    """Tier counts per category, beside the GOOD quota of each category."""
    figure = _figure()
    axes = figure.add_subplot()
    categories = [c for c in Category if c in filing.rows]
    width = 0.8 / len(Tier)
    for offset, tier in enumerate(Tier):
        counts = []
        for category in categories:
            rows = filing.rows[category]
            tiers = Counter(
                (r.final if filing.confirmed else r.proposed) for r in rows if not r.exempt_reasons
            )
            counts.append(tiers.get(tier, 0))
        positions = [i + (offset - 1.5) * width for i in range(len(categories))]
        bars = axes.bar(positions, counts, width, label=text("tier", tier), color=TIER_COLOURS[tier])
        axes.bar_label(bars, fontsize=8)
    for index, category in enumerate(categories):
        quota = filing.quota.get(category)
        if quota is not None:
            x = index + (0 - 1.5) * width
            axes.hlines(quota.quota, x - width / 2, x + width / 2, colors="black", linestyles="dashed")
            axes.annotate(
                text("quota", quota.quota),
                (x, quota.quota),
                textcoords="offset points",
                xytext=(0, 14),
                ha="center",
                fontsize=8,
            )
    axes.set_xticks(range(len(categories)), [text("category", c) for c in categories])
    axes.set_ylabel(text("people"))
    axes.set_title(text("tiers_title", filing.quarter, filing.confirmed))
    axes.legend()
    axes.yaxis.get_major_locator().set_params(integer=True)
    return _png(figure)


@drawn
def composite_chart(filing: Filing) -> bytes:
    """The distribution of composites, the tier thresholds marked."""
    figure = _figure()
    axes = figure.add_subplot()
    values = [float(r.composite) for rows in filing.rows.values() for r in rows if r.composite is not None]
    if values:
        low = min(min(values), float(filing.thresholds[2])) - 2
        bins = [low + i for i in range(int(101 - low) + 1)]
        axes.hist(values, bins=bins, color="#90a4ae", edgecolor="white")
    else:
        axes.text(0.5, 0.5, text("no_data"), transform=axes.transAxes, ha="center")
    for kind, value, colour in zip(
        ("good", "fair", "average"), filing.thresholds, ("#2e7d32", "#1565c0", "#f9a825"), strict=True
    ):
        axes.axvline(float(value), color=colour, linestyle="dashed")
        axes.annotate(
            text("threshold", kind, value),
            (float(value), 1),
            xycoords=("data", "axes fraction"),
            textcoords="offset points",
            xytext=(3, -12),
            fontsize=8,
            color=colour,
        )
    axes.set_xlabel(text("composite_axis"))
    axes.set_ylabel(text("people"))
    axes.set_title(text("composite_title", filing.quarter))
    axes.yaxis.get_major_locator().set_params(integer=True)
    return _png(figure)


@drawn
def progress_chart(progress: Submissions, tz: ZoneInfo, today: dt.date | None = None) -> bytes:
    """Summaries handed in day by day, against how many are due, the deadline marked.

    Bars and the cumulative line share the day's centre: the line steps up at the centre of the bar that
    makes it grow (steps-post) and holds until the next day's. The deadline is drawn at the end of its
    day's slot, so that every bar left of it is of days when handing in was still on time.
    """
    figure = _figure()
    draw_progress(figure, progress, tz, today)
    return _png(figure)


def draw_progress(figure: Figure, progress: Submissions, tz: ZoneInfo, today: dt.date | None) -> None:
    """The progress chart's drawing, on a figure (tests read its lines and bars back)."""
    axes = figure.add_subplot()
    per_day = Counter(moment.astimezone(tz).date() for moment in progress.submitted)
    deadline = progress.deadline.astimezone(tz) if progress.deadline is not None else None
    if per_day:
        month_end = dt.date(
            progress.year, progress.month, calendar.monthrange(progress.year, progress.month)[1]
        )
        first = min(min(per_day), month_end - dt.timedelta(days=6)) - dt.timedelta(days=1)
        last = max(max(per_day), month_end) + dt.timedelta(days=1)
        if deadline is not None and deadline.date() <= last + dt.timedelta(days=31):
            last = max(last, deadline.date() + dt.timedelta(days=1))
        if today is not None and last < today <= last + dt.timedelta(days=31):
            last = today
        span = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
        cumulative = list(itertools.accumulate(per_day.get(day, 0) for day in span))
        axes.bar(span, [per_day.get(day, 0) for day in span], width=0.7, color="#90caf9", label=text("daily"))
        axes.plot(
            span, cumulative, drawstyle="steps-post", color="#1565c0", marker=".", label=text("submitted")
        )
        if deadline is not None and first <= deadline.date() <= last:
            edge = mdates.date2num(deadline.date()) + 0.5  # the end of the deadline day's slot
            axes.axvline(edge, color="#c62828", linestyle="dashdot", label=text("deadline", deadline))
            axes.annotate(
                text("deadline_mark"),
                (edge, 1),
                xycoords=("data", "axes fraction"),
                textcoords="offset points",
                xytext=(3, -12),
                fontsize=9,
                color="#c62828",
            )
        axes.xaxis.set_major_locator(mdates.DayLocator(interval=max(1, len(span) // 10)))
        figure.autofmt_xdate()
    else:
        axes.text(0.5, 0.5, text("no_data"), transform=axes.transAxes, ha="center")
    axes.axhline(
        progress.expected, color="black", linestyle="dashed", label=text("expected", progress.expected)
    )
    axes.set_ylim(0, max(progress.expected, len(progress.submitted), 1) * 1.1)
    axes.set_xlabel(text("day_axis"))
    axes.set_ylabel(text("people"))
    axes.set_title(text("progress_title", progress.year, progress.month))
    axes.legend(loc="upper left")
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))
