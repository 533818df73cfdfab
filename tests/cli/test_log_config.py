"""Logging is configured in one place: human lines by default, JSON lines on request."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from evanchor.cli.log_config import LogFormat, configure_logging


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    evanchor_level = logging.getLogger("evanchor").level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("evanchor").setLevel(evanchor_level)


def test_text_lines_carry_time_level_logger_message_and_facts(restore_logging: None) -> None:
    stream = io.StringIO()
    configure_logging(LogFormat.TEXT, "INFO", stream)
    logging.getLogger("evanchor.test").info(
        "sealed checkpoint %d", 3, extra={"facts": {"event": "sealed", "size": 12}}
    )
    logging.getLogger("evanchor.test").debug("not shown at INFO")
    (line,) = stream.getvalue().splitlines()
    stamp, rest = line.split(" ", 1)
    assert stamp.endswith("Z")
    assert stamp[10] == "T"
    assert len(stamp) == len("2026-12-01T21:15:25.123Z")
    assert rest == "INFO    evanchor.test: sealed checkpoint 3 event=sealed size=12"


def test_json_lines_are_one_object_each_with_the_facts(restore_logging: None) -> None:
    stream = io.StringIO()
    configure_logging(LogFormat.JSON, "DEBUG", stream)
    logger = logging.getLogger("evanchor.test")
    logger.warning("anchoring: %s", "chain down", extra={"facts": {"stage": "anchoring"}})
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("step failed")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines() if line[0] == "{")
    assert first["level"] == "WARNING"
    assert first["logger"] == "evanchor.test"
    assert first["message"] == "anchoring: chain down"
    assert first["stage"] == "anchoring"
    assert "ValueError: boom" in second["exception"]


def test_configuring_twice_does_not_double_lines(restore_logging: None) -> None:
    stream = io.StringIO()
    configure_logging(LogFormat.TEXT, "INFO", io.StringIO())
    configure_logging(LogFormat.TEXT, "INFO", stream)
    logging.getLogger("evanchor.test").info("once")
    assert stream.getvalue().count("once") == 1


def test_library_chatter_stays_below_warning(restore_logging: None) -> None:
    stream = io.StringIO()
    configure_logging(LogFormat.TEXT, "DEBUG", stream)
    logging.getLogger("web3.providers").info("a request")
    logging.getLogger("urllib3.connectionpool").debug("a connection")
    assert stream.getvalue() == ""
