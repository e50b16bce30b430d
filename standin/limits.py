"""Telegram's flood limits (sliding windows, honest retry_after) and faults injected by tests."""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]

_STATUS_TEXT = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass(frozen=True)
class Limits:
    """How many messages the bot may send; Telegram's published figures by default.

    Messages (sendMessage, sendDocument, sendPhoto, the edits) count for their chat and overall;
    a private chat has a per-second budget, a group a per-minute one.
    """

    global_per_second: int = 30
    per_chat_per_second: int = 1
    per_group_per_minute: int = 20


class RateLimiter:
    """Sliding-window counters: a message over any limit is refused with the wait that makes it pass."""

    def __init__(self, limits: Limits, clock: Clock) -> None:
        self.limits = limits
        self._clock = clock
        self._global: deque[float] = deque()
        self._chats: defaultdict[int, deque[float]] = defaultdict(deque)

    def _windows(self, chat_id: int, is_group: bool) -> list[tuple[deque[float], int, float]]:
        chat_window = (
            (self._chats[chat_id], self.limits.per_group_per_minute, 60.0)
            if is_group
            else (self._chats[chat_id], self.limits.per_chat_per_second, 1.0)
        )
        return [(self._global, self.limits.global_per_second, 1.0), chat_window]

    def retry_after(self, chat_id: int, is_group: bool) -> int | None:
        """Seconds to wait (at least 1) if a message to `chat_id` now would exceed a limit, else None."""
        now = self._clock()
        wait = 0.0
        for window, limit, period in self._windows(chat_id, is_group):
            while window and window[0] <= now - period:
                window.popleft()
            if len(window) >= limit:
                # the (len - limit + 1)-th oldest must leave the window before one more fits
                wait = max(wait, window[len(window) - limit] + period - now)
        if wait <= 0:
            return None
        return max(1, math.ceil(wait))

    def record(self, chat_id: int, is_group: bool) -> None:
        """Count one message sent to `chat_id` now."""
        now = self._clock()
        for window, _, _ in self._windows(chat_id, is_group):
            window.append(now)


@dataclass(frozen=True)
class Fault:
    """One injected answer: an error (status ≠ 0; nothing is done) and/or a delay before answering.

    With status 0 the method takes effect, then the answer comes `delay` seconds late: the case of a
    request that reached Telegram while the client gave up waiting.
    """

    status: int = 0
    description: str | None = None
    retry_after: int | None = None
    delay: float = 0.0

    @classmethod
    def too_many_requests(cls, retry_after: int) -> Fault:
        return cls(429, f"Too Many Requests: retry after {retry_after}", retry_after)

    @classmethod
    def server_error(cls, status: int = 500, description: str | None = None, delay: float = 0.0) -> Fault:
        return cls(status, description or _STATUS_TEXT.get(status, "Internal Server Error"), None, delay)

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        return cls(0, None, None, seconds)


class Faults:
    """Queues of faults per Bot API method (names compared case-insensitively), consumed in order."""

    def __init__(self) -> None:
        self._queues: defaultdict[str, deque[Fault]] = defaultdict(deque)

    def add(self, method: str, fault: Fault, times: int = 1) -> None:
        if times < 1:
            raise ValueError("times must be at least 1")
        self._queues[method.lower()].extend([fault] * times)

    def take(self, method: str) -> Fault | None:
        queue = self._queues.get(method.lower())
        return queue.popleft() if queue else None

    def pending(self, method: str) -> int:
        return len(self._queues.get(method.lower(), ()))

    def clear(self) -> None:
        self._queues.clear()
