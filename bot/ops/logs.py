"""Logs: plain text lines or one JSON object per line, with the fields a turn logs as keys."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import traceback
from typing import Any

from bot.settings import LogSettings

# --- logs -----------------------------------------------------------------------------------------

_RECORD_FIELDS = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


_KEY = re.compile(r"(\w+)=%")


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    """The key=value pairs of a message like "update=%s handler=%s ms=%.1f" as typed JSON fields."""
    if not isinstance(record.msg, str) or not isinstance(record.args, tuple):
        return {}
    keys = _KEY.findall(record.msg)
    if not keys or len(keys) != len(record.args) or record.msg.count("%") != len(keys):
        return {}
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in zip(keys, record.args, strict=True)}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message and the record's `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        data.update(_fields(record))
        data.update(
            (k, v) for k, v in record.__dict__.items() if k not in _RECORD_FIELDS and not k.startswith("_")
        )
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:  # as the filters left it (the plain Formatter uses it the same way)
            data["exc"] = record.exc_text
        return json.dumps(data, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"

# --- what a log line may not carry ----------------------------------------------------------------

REDACTED = "<redacted>"
_SECRETS = [
    re.compile(r"(?<=/bot)\d+:[\w-]+"),  # a Bot API URL: https://api.telegram.org/bot<token>/getMe
    re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{20,}"),  # a bot token anywhere (digits, colon, 35 characters)
    re.compile(r"(?<=[?&]start=)[\w-]+"),  # an invite link: https://t.me/bot?start=<invite token>
    re.compile(r"(?<=/start )\s*[\w-]+"),  # the invite token as the /start command carries it
]

# Libraries that log whole requests, updates, answers or SQL parameters (the texts people typed, the
# scores, invite links) below these levels: never below them, whatever the configured level.
LIBRARY_FLOORS = {
    "telegram": logging.INFO,  # PTB at DEBUG: every update and every Bot API call with its parameters
    "httpx": logging.WARNING,  # every request's URL, and a Bot API URL holds the token
    "httpcore": logging.INFO,
    "aiosqlite": logging.INFO,  # every statement with its parameters
    "asyncpg": logging.INFO,
    "sqlalchemy": logging.WARNING,
    "aiohttp": logging.INFO,
    "tornado": logging.INFO,
}


# --- exceptions: their type and frames, never their text -------------------------------------------
# Any exception's message may quote what someone typed: openpyxl the cell ('… cannot be used in
# worksheets.'), a KeyError its key, a ValueError a name, PostgreSQL's DETAIL the row's values. So for
# every logger an exception is written as its type and its traceback's frames (file, line, function,
# source line), with its causes and contexts the same way; its message and notes are left out.


def exception_type(exc: BaseException) -> str:
    """The exception's class as a traceback names it: ValueError, sqlalchemy.exc.OperationalError."""
    kind = type(exc)
    module = kind.__module__
    return kind.__qualname__ if module in ("builtins", "__main__") else f"{module}.{kind.__qualname__}"


class _Bare:
    """An exception passed as a log argument, shown as its type (for %s and %r alike)."""

    def __init__(self, exc: BaseException) -> None:
        self.name = exception_type(exc)

    def __str__(self) -> str:
        return self.name

    __repr__ = __str__


def _chain(exc: BaseException, seen: set[int]) -> list[BaseException]:
    """The exception, what caused it or was being handled (shown as a traceback shows them), and the
    members of an exception group."""
    found: list[BaseException] = []
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        found.append(exc)
        if isinstance(exc, BaseExceptionGroup):
            for member in exc.exceptions:
                found.extend(_chain(member, seen))
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    return found


def bare_traceback(exc: BaseException) -> str:
    """The traceback of `exc` without any exception's message: types and frames, causes first."""
    lines: list[str] = []
    _bare(exc, lines, set())
    return "".join(lines).rstrip("\n")


def _bare(exc: BaseException, lines: list[str], seen: set[int]) -> None:
    seen.add(id(exc))
    cause, context = exc.__cause__, exc.__context__
    if cause is not None and id(cause) not in seen:
        _bare(cause, lines, seen)
        lines.append("\nThe above exception was the direct cause of the following exception:\n\n")
    elif context is not None and not exc.__suppress_context__ and id(context) not in seen:
        _bare(context, lines, seen)
        lines.append("\nDuring handling of the above exception, another exception occurred:\n\n")
    if exc.__traceback__ is not None:
        lines.append("Traceback (most recent call last):\n")
        lines.extend(traceback.StackSummary.extract(traceback.walk_tb(exc.__traceback__)).format())
    lines.append(f"{exception_type(exc)}\n")
    if isinstance(exc, BaseExceptionGroup):
        for number, member in enumerate(exc.exceptions, start=1):
            lines.append(f"+---------------- {number} ----------------\n")
            if id(member) not in seen:
                _bare(member, lines, seen)


class Redact(logging.Filter):
    """Takes the bot token and invite tokens out of every record: its message, its arguments and its
    traceback (an exception's text may hold a URL); and every exception's text: an exception is written
    as its type and frames, an exception argument as its type, and an exception's text quoted in a
    message (asyncio's "exception=ValueError('…')") as its type. On the handler, so it sees every
    logger's records."""

    def __init__(self, secrets: list[str] | None = None) -> None:
        super().__init__()
        self.exact = [s for s in secrets or [] if s]

    def redact(self, text: str) -> str:
        for secret in self.exact:
            text = text.replace(secret, REDACTED)
        for pattern in _SECRETS:
            text = pattern.sub(REDACTED, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        exceptions = self._exceptions(record)
        if isinstance(record.msg, str):
            record.msg = self.redact(_unquote(record.msg, exceptions))
        elif isinstance(record.msg, BaseException):
            record.msg = _Bare(record.msg).name
        elif record.msg is not None:
            record.msg = self.redact(_unquote(str(record.msg), exceptions))
        if isinstance(record.args, tuple):
            record.args = tuple(self._arg(a, exceptions) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: self._arg(v, exceptions) for k, v in record.args.items()}
        for key, value in list(record.__dict__.items()):  # a record's `extra` fields (the JSON lines')
            if key not in _RECORD_FIELDS and isinstance(value, str):
                setattr(record, key, self.redact(_unquote(value, exceptions)))
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = bare_traceback(record.exc_info[1])
        if record.exc_text:
            record.exc_text = self.redact(_unquote(record.exc_text, exceptions))
        return True

    @staticmethod
    def _exceptions(record: logging.LogRecord) -> list[BaseException]:
        """Every exception the record holds: its exc_info's chain and its arguments'."""
        roots = [record.exc_info[1]] if record.exc_info and record.exc_info[1] is not None else []
        args = record.args.values() if isinstance(record.args, dict) else record.args or ()
        roots += [a for a in (record.msg, *args) if isinstance(a, BaseException)]
        seen: set[int] = set()
        return [exc for root in roots for exc in _chain(root, seen)]

    def _arg(self, value: Any, exceptions: list[BaseException] = ()) -> Any:
        if value is None or isinstance(value, int | float | bool):
            return value
        if isinstance(value, BaseException):
            return _Bare(value)
        shown = str(value)
        clean = self.redact(_unquote(shown, exceptions))
        return value if clean == shown else clean


def _unquote(text: str, exceptions: list[BaseException]) -> str:
    """`text` with each exception's message, or its repr, written as the exception's type."""
    for exc in exceptions:
        name = exception_type(exc)
        for shown in _shown(exc):
            if len(shown) >= 3:  # a very short text ('', 'x') says nothing: replacing it would garble
                text = text.replace(shown, name)
    return text


def _shown(exc: BaseException) -> list[str]:
    """How an exception's text appears in a message: its repr (first, it holds the message) and str."""
    shown = []
    for render in (repr, str):
        try:
            shown.append(render(exc))
        except Exception:  # an exception whose __str__ fails has no text to hide
            continue
    return shown


def configure_logging(settings: LogSettings, secrets: list[str] | None = None) -> None:
    """Log to stderr (journald keeps it under systemd) in the configured format and level; `secrets`
    (the bot token) and anything shaped like a token or an invite are redacted from every line."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if settings.format == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(Redact(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.level)
    configured = logging.getLevelName(settings.level)
    for name, floor in LIBRARY_FLOORS.items():
        logging.getLogger(name).setLevel(max(floor, configured))
    if settings.level != "DEBUG":
        for noisy in ("apscheduler", "aiohttp.access"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
