"""A real LevelDB log of given records, its case bundles, and what tests compare of reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evanchor.anchor.compliance.engine import Flag
from evanchor.anchor.log.bundle import build_case_bundle
from evanchor.anchor.log.ingest import prepare_record
from evanchor.anchor.log.store import LogStore, Receipt

NIGHT_CALL = {
    "kind": "collection_checkpoint",
    "case_id": "C-2026-000118",
    "agency": "91310115MA1K3TQ00E",
    "debtor_ref": "dbt:77ab01c3",
    "event": "call",
    "occurred_at": "2026-11-20T22:47:00+08:00",
    "channel": "phone",
    "operator_id": "op-0042",
}
"""A call at 22:47 in the debtor's local time: QH-1 of the default rule set."""


def build_log(path: Path, records: list[dict[str, Any]]) -> list[Receipt]:
    """A log at `path` holding `records` in order, sealed once at the end."""
    with LogStore(path, create=True) as store:
        receipts = store.append([prepare_record(record) for record in records])
        store.seal()
    return receipts


def write_case_bundles(
    log: Path, folder: Path, *, skip: frozenset[str] = frozenset()
) -> list[Path]:
    """One case bundle file per case of the log (except `skip`), against its latest seal."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with LogStore(log) as store:
        for case in sorted(store.cases()):
            if case in skip:
                continue
            path = folder / (case.replace("/", "_") + ".json")
            path.write_text(
                json.dumps(build_case_bundle(store, case).as_json(), ensure_ascii=False)
            )
            written.append(path)
    return written


def flag_keys(flags: list[Flag] | tuple[Flag, ...]) -> set[tuple[str, str]]:
    return {(flag.rule_id, flag.record.record_id) for flag in flags}


def without_evidence(document: dict[str, Any]) -> dict[str, Any]:
    """A JSON report's flags and agencies, less what may differ between sources (where each
    record is proven, where the records were read, when the report was made)."""
    return {
        "flags": [{k: v for k, v in flag.items() if k != "evidence"} for flag in document["flags"]],
        "agencies": document["agencies"],
        "undecided": document["undecided"],
        "rule_set": document["rule_set"],
    }
