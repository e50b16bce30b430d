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


def configure_logging(settings: LogSettings) -> None:
    """Log to stderr (journald keeps it under systemd) in the configured format and level."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if settings.format == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.level)
    # httpx logs every request's URL, and a Bot API URL holds the token: never below WARNING
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if settings.level != "DEBUG":
        for noisy in ("apscheduler", "aiohttp.access"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
