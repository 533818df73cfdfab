"""Checkpoints (a sealed tree size and root) and the policy that decides when to seal."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Checkpoint:
    """The log's state at a seal: the first `size` leaves hash to `root`.

    `seq` numbers checkpoints from 0; sizes strictly increase with `seq`.
    """

    seq: int
    size: int
    root: bytes
    sealed_at: str

    def as_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "size": self.size,
            "root": self.root.hex(),
            "sealed_at": self.sealed_at,
        }

    def to_bytes(self) -> bytes:
        return json.dumps(self.as_json(), sort_keys=True).encode()


def checkpoint_from_json(obj: dict[str, Any]) -> Checkpoint:
    return Checkpoint(
        seq=int(obj["seq"]),
        size=int(obj["size"]),
        root=bytes.fromhex(obj["root"]),
        sealed_at=str(obj["sealed_at"]),
    )


@dataclass(frozen=True)
class SealPolicy:
    """Seal every `max_records` records or `max_seconds` after the oldest unsealed record,
    whichever comes first.

    The defaults keep anchoring transactions to about one a minute under light load while
    bounding how long an acknowledged record waits for a checkpoint.
    """

    max_records: int = 1000
    max_seconds: float = 60.0

    def __post_init__(self) -> None:
        if self.max_records < 1:
            raise ValueError("max_records must be at least 1")
        if self.max_seconds <= 0:
            raise ValueError("max_seconds must be positive")

    def due(self, unsealed: int, oldest_unsealed_at: datetime | None, now: datetime) -> bool:
        """Whether a seal is due now, given the unsealed records and the oldest one's time."""
        if unsealed == 0:
            return False
        if unsealed >= self.max_records:
            return True
        if oldest_unsealed_at is None:
            return False
        return (now - oldest_unsealed_at).total_seconds() >= self.max_seconds
