"""Regenerate the protocol vectors (commitments, leaves). Run from the repository root:
`python tests/vectors/generate_protocol.py`. The bundle vectors, valid and tampered, are
`generate_bundles.py`'s.

The outputs are deterministic (fixed salts and acceptance times) and committed; the tests
check that the implementation still produces exactly these bytes.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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


def main() -> None:
    (HERE / "protocol" / "records.json").write_text(
        json.dumps(protocol_vectors(), indent=2, ensure_ascii=False) + "\n"
    )
    print("wrote protocol vectors", file=sys.stderr)


if __name__ == "__main__":
    main()
