"""Regenerate the protocol vectors (commitments, leaves) and the sample bundle with its named
tamper cases. Run from the repository root: `python tests/vectors/generate_protocol.py`.

The outputs are deterministic (fixed salts and acceptance times) and committed; the tests
check that the implementation still produces exactly these bytes.
"""

from __future__ import annotations

import json
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evanchor.anchor.log.bundle import build_bundle
from evanchor.anchor.log.ingest import prepare_record
from evanchor.anchor.log.store import LogStore
from evanchor.anchor.protocol.commitment import canonical_bytes, commitment, record_id
from evanchor.anchor.protocol.leaf import LeafEnvelope, utc_timestamp
from evanchor.anchor.protocol.merkle import leaf_hash
from evanchor.anchor.protocol.records import parse_record, record_agency, record_case_key

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ACCEPTED = datetime(2026, 11, 29, 2, 15, 30, 125000, tzinfo=UTC)


def _salt(n: int) -> bytes:
    return bytes([n]) * 32


def _examples() -> list[dict[str, Any]]:
    return [
        json.loads((ROOT / "examples" / "records" / name).read_text())
        for name in ("collection_checkpoint.json", "auction_record.json")
    ]


def protocol_vectors() -> list[dict[str, Any]]:
    out = []
    for n, obj in enumerate(_examples(), start=1):
        record = parse_record(obj)
        canonical = canonical_bytes(obj)
        salt = _salt(n)
        envelope = LeafEnvelope(
            commitment=commitment(salt, canonical),
            kind=record.kind,
            agency=record_agency(record),
            case=record_case_key(record),
            prev=None if n == 1 else 0,
            accepted_at=utc_timestamp(ACCEPTED),
        )
        leaf = envelope.to_bytes()
        out.append(
            {
                "description": f"{record.kind} from examples/records, salt {n:02x}*32",
                "record": obj,
                "salt": salt.hex(),
                "canonical": canonical.decode(),
                "commitment": envelope.commitment.hex(),
                "record_id": record_id(canonical).hex(),
                "leaf": envelope.as_json(),
                "leaf_bytes": leaf.decode(),
                "leaf_hash": leaf_hash(leaf).hex(),
            }
        )
    return out


def sample_bundle() -> dict[str, Any]:
    samples = ROOT / "tests" / "data" / "records" / "sample_collection.jsonl"
    objects = [json.loads(line) for line in samples.read_text().splitlines() if line]
    with tempfile.TemporaryDirectory() as folder, LogStore(Path(folder), create=True) as store:
        records = [prepare_record(o, salt=_salt(i + 1)) for i, o in enumerate(objects)]
        store.append(records, now=ACCEPTED)
        store.seal(now=ACCEPTED)
        return build_bundle(store, 3)


TAMPER_CASES: list[tuple[str, str, Any, str]] = [
    ("unsupported version", "/version", 2, "format"),
    ("not a bundle", "/format", "something/else", "format"),
    ("unknown record field", "/record/extra", "x", "record"),
    ("record field altered", "/record/operator_id", "op-9999", "commitment"),
    ("salt altered", "/salt", "00" * 32, "commitment"),
    ("commitment altered", "/commitment", "11" * 32, "commitment"),
    ("leaf commitment altered", "/leaf/commitment", "22" * 32, "leaf"),
    ("leaf time altered", "/leaf/accepted_at", "2026-01-01T00:00:00.000Z", "leaf"),
    ("leaf prev altered", "/leaf/prev", 0, "leaf"),
    ("leaf case altered", "/leaf/case", "collection/OTHER", "leaf"),
    ("leaf hash altered", "/leaf_hash", "33" * 32, "leaf"),
    ("leaf index plus one", "/leaf_index", 4, "inclusion"),
    ("leaf index minus one (now not after its case's previous leaf)", "/leaf_index", 2, "leaf"),
    ("leaf index moved", "/leaf_index", 10, "inclusion"),
    ("proof element flipped", "/inclusion_proof/0", "flip", "inclusion"),
    ("proof truncated", "/inclusion_proof", "truncate", "inclusion"),
    ("proof trailing element", "/inclusion_proof", "append", "inclusion"),
    ("checkpoint root altered", "/checkpoint/root", "44" * 32, "inclusion"),
    ("checkpoint size altered", "/checkpoint/size", 100, "inclusion"),
    ("case link prev altered", "/case_link/prev", 1, "case link"),
]
"""(description, JSON pointer, new value or edit, the step that must fail)."""


def main() -> None:
    (HERE / "protocol" / "records.json").write_text(
        json.dumps(protocol_vectors(), indent=2, ensure_ascii=False) + "\n"
    )
    bundle = sample_bundle()
    (HERE / "bundles" / "valid.json").write_text(
        json.dumps(bundle, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )
    cases = [
        {"description": d, "pointer": p, "value": v, "fails_at": s} for d, p, v, s in TAMPER_CASES
    ]
    (HERE / "bundles" / "tampered.json").write_text(json.dumps(cases, indent=2) + "\n")
    print("wrote protocol and bundle vectors", file=sys.stderr)


if __name__ == "__main__":
    main()
