"""Sample records for tests: the committed sample files and generated distinct records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evanchor.anchor.log.ingest import prepare_record
from evanchor.anchor.log.store import PreparedRecord

DATA = Path(__file__).resolve().parent / "data"
SAMPLES = DATA / "records"


def sample_objects() -> list[dict[str, Any]]:
    """Every sample record (collection then auction), as parsed JSON objects."""
    out: list[dict[str, Any]] = []
    for name in ("sample_collection.jsonl", "sample_auction.jsonl"):
        out += [json.loads(line) for line in (SAMPLES / name).read_text().splitlines() if line]
    return out


def numbered_record(n: int, case: str = "C-1") -> dict[str, Any]:
    """A distinct valid collection record for any n (distinct operator id)."""
    return {
        "kind": "collection_checkpoint",
        "case_id": case,
        "agency": "91350100M000100Y43",
        "debtor_ref": "debtor-7f3a9c",
        "event": "call",
        "occurred_at": "2026-11-29T10:15:00+08:00",
        "channel": "phone",
        "operator_id": f"op-{n}",
    }


def prepared(n: int, case: str = "C-1") -> PreparedRecord:
    return prepare_record(numbered_record(n, case), salt=n.to_bytes(32, "big"))
