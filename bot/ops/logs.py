"""Logs: plain text lines or one JSON object per line, with the fields a turn logs as keys."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
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
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
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


class Redact(logging.Filter):
    """Takes the bot token and invite tokens out of every record: its message, its arguments and its
    traceback (an exception's text may hold a URL). On the handler, so it sees every logger's records."""

    def __init__(self, secrets: list[str] | None = None) -> None:
        super().__init__()
        self.exact = [s for s in secrets or [] if s]

    def redact(self, text: str) -> str:
        for secret in self.exact:
            text = text.replace(secret, REDACTED)
        for pattern in _SECRETS:
            text = pattern.sub(REDACTED, text)
        return text

    def _arg(self, value: Any) -> Any:
        if value is None or isinstance(value, int | float | bool):
            return value
        shown = str(value)
        clean = self.redact(shown)
        return value if clean == shown else clean

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = self.redact(record.msg)
        elif record.msg is not None:
            record.msg = self.redact(str(record.msg))
        if isinstance(record.args, tuple):
            record.args = tuple(self._arg(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: self._arg(v) for k, v in record.args.items()}
        for key, value in list(record.__dict__.items()):  # a record's `extra` fields (the JSON lines')
            if key not in _RECORD_FIELDS and isinstance(value, str):
                setattr(record, key, self.redact(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


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
