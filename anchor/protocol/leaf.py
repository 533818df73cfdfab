"""Log leaves: the canonical envelope that the Merkle tree commits to (docs/PROTOCOL.md §3).

A leaf is the RFC 8785 canonical JSON of

    {"v": 1, "commitment": hex, "kind": str, "agency": str, "case": str,
     "prev": int | null, "accepted_at": "YYYY-MM-DDTHH:MM:SS.mmmZ"}

where `prev` is the index of the previous leaf of the same case (null for a case's first
leaf), linking each case's history into a chain that a court can check for gaps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from evanchor.anchor.protocol.commitment import canonical_bytes

LEAF_VERSION = 1


@dataclass(frozen=True)
class LeafEnvelope:
    commitment: bytes
    kind: str
    agency: str
    case: str
    prev: int | None
    accepted_at: str

    def as_json(self) -> dict[str, Any]:
        return {
            "v": LEAF_VERSION,
            "commitment": self.commitment.hex(),
            "kind": self.kind,
            "agency": self.agency,
            "case": self.case,
            "prev": self.prev,
            "accepted_at": self.accepted_at,
        }

    def to_bytes(self) -> bytes:
        return canonical_bytes(self.as_json())


def leaf_from_json(obj: dict[str, Any]) -> LeafEnvelope:
    """Inverse of `LeafEnvelope.as_json` for stored leaves (trusted input)."""
    return LeafEnvelope(
        commitment=bytes.fromhex(obj["commitment"]),
        kind=obj["kind"],
        agency=obj["agency"],
        case=obj["case"],
        prev=obj["prev"],
        accepted_at=obj["accepted_at"],
    )


def utc_timestamp(moment: datetime | None = None) -> str:
    """RFC 3339 UTC with milliseconds, the one timestamp format the node writes."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
