"""The one factor every wait of the driver scales with: STANDIN_TIME_FACTOR (default 1)."""

from __future__ import annotations

import math
import os

TIME_FACTOR_VARIABLE = "STANDIN_TIME_FACTOR"


def time_factor() -> float:
    """The factor from the environment (1 when unset); read at each wait, so a test may change it."""
    raw = os.environ.get(TIME_FACTOR_VARIABLE, "").strip()
    if not raw:
        return 1.0
    try:
        factor = float(raw)
    except ValueError:
        raise ValueError(f"{TIME_FACTOR_VARIABLE} must be a number, not {raw!r}") from None
    if not (factor > 0 and math.isfinite(factor)):
        raise ValueError(f"{TIME_FACTOR_VARIABLE} must be a positive number, not {raw!r}")
    return factor


def scaled(seconds: float) -> float:
    """How long to wait for something that takes `seconds` on an idle machine."""
    return seconds * time_factor()
