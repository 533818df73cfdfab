"""Printing helpers shared by the commands."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

import click


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=True))


def write_atomically(path: Path, content: bytes) -> None:
    """All of `content` at `path`, or nothing: written beside it, synced, then renamed over
    it, so that a reader (or a crash) never sees half a file."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        with partial.open("wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        partial.replace(path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
