"""Printing helpers shared by the commands."""

from __future__ import annotations

import json
from typing import Any

import click


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=True))
