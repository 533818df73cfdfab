"""Logging for evanchor's long-running commands, configured in this one place.

`node start` (and any other daemon-like command) calls `configure_logging` once, before its
parts start. Two formats:

- `text` (default): one human line per event, `2026-12-01T21:15:25.123Z INFO  evanchor.x: …`.
- `json`: one JSON object per line (`ts`, `level`, `logger`, `message`, and the event's
  facts given as `extra={"facts": {...}}`), for a log collector.

Times are UTC with milliseconds, like the log's own `accepted_at`. Library loggers (web3,
urllib3, aiohttp's access log) are held at WARNING so the node's own events stay readable.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TextIO

_QUIET_LIBRARIES = ("web3", "urllib3", "aiohttp.access", "asyncio", "eth", "trie")


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def _timestamp(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class TextFormatter(logging.Formatter):
    """`<time> <LEVEL> <logger>: <message>`, then `key=value` facts, one line per event."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{_timestamp(record)} {record.levelname:<7} {record.name}: {record.getMessage()}"
        facts = getattr(record, "facts", None)
        if isinstance(facts, dict) and facts:
            line += " " + " ".join(f"{key}={value}" for key, value in facts.items())
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per event; an exception's traceback goes in `exception`."""

    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {
            "ts": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        facts = getattr(record, "facts", None)
        if isinstance(facts, dict):
            event.update({key: value for key, value in facts.items() if key not in event})
        if record.exc_info:
            event["exception"] = self.formatException(record.exc_info)
        return json.dumps(event, ensure_ascii=False, default=str)


def configure_logging(
    log_format: LogFormat = LogFormat.TEXT, level: str = "INFO", stream: TextIO | None = None
) -> logging.Handler:
    """Send evanchor's log events to `stream` (stderr) in `log_format`; returns the handler.

    Replaces any handler an earlier call installed, so calling it twice does not double
    every line.
    """
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format is LogFormat.JSON else TextFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_evanchor", False)]:
        root.removeHandler(old)
    handler._evanchor = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("evanchor").setLevel(level.upper())
    for name in _QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler
