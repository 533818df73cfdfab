"""Loading the shared RFC 9162 proof vectors (tests/vectors/{inclusion,consistency}/*.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

VECTORS = Path(__file__).resolve().parent / "vectors"


def load(kind: str) -> list[tuple[str, dict[str, Any]]]:
    """(file name, decoded vector) for every vector of `kind`, hex fields left as hex."""
    return [(p.name, json.loads(p.read_text())) for p in sorted((VECTORS / kind).glob("*.json"))]
