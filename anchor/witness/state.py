"""The witness's durable state: the latest cosigned checkpoint of each log (LevelDB).

Key layout (origins are named by SHA-256(origin), as the monitoring URL names them):

    m:format                      b"evanchor-witness/1"
    l:<sha256(origin):32>         the latest cosigned checkpoint (JSON, `LatestCheckpoint`)
    e:<sha256(origin):32><n:8>    a refused, validly signed checkpoint (JSON): evidence that
                                  the log showed someone an inconsistent view. The first
                                  MAX_EVIDENCE per log are kept; after that only counted.
    c:<sha256(origin):32>         how many refusals were recorded for the log (8 bytes)

Every write is synced before it returns: a cosignature is answered only after the state
that it reports is on disk, so a witness killed with -9 never forgets a size it cosigned.
"""

from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import plyvel

from evanchor.anchor.witness.errors import WitnessBusy, WitnessConfigInvalid

_FORMAT = b"m:format"
_FORMAT_VERSION = b"evanchor-witness/1"
_U64 = struct.Struct(">Q")
MAX_EVIDENCE = 1000
"""Refused checkpoints kept per log: a misbehaving log could send many; the first ones are
the evidence, the count says how many followed."""


def origin_hash(origin: str) -> bytes:
    """SHA-256 of the origin line (without its newline), as tlog-witness's monitoring URL."""
    return hashlib.sha256(origin.encode()).digest()


@dataclass(frozen=True)
class LatestCheckpoint:
    """What the witness last cosigned for a log.

    `note` is the checkpoint as the witness verified it: its text, the log's verified
    signatures and the witness's own cosignature (the monitoring URL serves it).
    """

    origin: str
    size: int
    root: bytes
    timestamp: int
    note: str

    def as_json(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "size": self.size,
            "root": self.root.hex(),
            "timestamp": self.timestamp,
            "note": self.note,
        }


def _latest_from_json(obj: dict[str, Any]) -> LatestCheckpoint:
    return LatestCheckpoint(
        origin=str(obj["origin"]),
        size=int(obj["size"]),
        root=bytes.fromhex(obj["root"]),
        timestamp=int(obj["timestamp"]),
        note=str(obj["note"]),
    )


class WitnessState:
    """The state folder, owned by one process; callers serialise check-and-update."""

    def __init__(self, path: Path, *, create: bool = False) -> None:
        self.path = Path(path)
        if not create and not (self.path / "CURRENT").exists():
            raise WitnessConfigInvalid(str(self.path), "no witness state (run `witness init`)")
        try:
            self._db = plyvel.DB(str(self.path), create_if_missing=create)
        except plyvel.IOError as error:
            if "lock" in str(error).lower():
                raise WitnessBusy(
                    f"the witness state at {self.path} is open in another process"
                    " (is `evanchor witness serve` running?)"
                ) from error
            raise WitnessConfigInvalid(str(self.path), f"cannot open ({error})") from error
        stored = self._db.get(_FORMAT)
        if stored is None:
            self._db.put(_FORMAT, _FORMAT_VERSION, sync=True)
        elif stored != _FORMAT_VERSION:
            raise WitnessConfigInvalid(str(self.path), f"unsupported state format {stored!r}")

    def close(self) -> None:
        if not self._db.closed:
            self._db.close()

    def __enter__(self) -> WitnessState:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def latest(self, origin: str) -> LatestCheckpoint | None:
        raw = self._db.get(b"l:" + origin_hash(origin))
        return None if raw is None else _latest_from_json(json.loads(raw))

    def latest_by_hash(self, digest: bytes) -> LatestCheckpoint | None:
        raw = self._db.get(b"l:" + digest)
        return None if raw is None else _latest_from_json(json.loads(raw))

    def put_latest(self, latest: LatestCheckpoint) -> None:
        """Durably record `latest` (synced before returning)."""
        value = json.dumps(latest.as_json(), sort_keys=True).encode()
        self._db.put(b"l:" + origin_hash(latest.origin), value, sync=True)

    def refusals(self, origin: str) -> int:
        raw = self._db.get(b"c:" + origin_hash(origin))
        return 0 if raw is None else int(_U64.unpack(raw)[0])

    def record_refusal(self, origin: str, evidence: dict[str, Any]) -> None:
        """Keep a refused but validly signed checkpoint (the first MAX_EVIDENCE), synced."""
        digest = origin_hash(origin)
        count = self.refusals(origin)
        with self._db.write_batch(transaction=True, sync=True) as batch:
            if count < MAX_EVIDENCE:
                value = json.dumps(evidence, sort_keys=True).encode()
                batch.put(b"e:" + digest + _U64.pack(count), value)
            batch.put(b"c:" + digest, _U64.pack(count + 1))

    def evidence(self, origin: str) -> list[dict[str, Any]]:
        """The refused checkpoints kept for `origin`, oldest first."""
        return [
            json.loads(value) for _, value in self._db.iterator(prefix=b"e:" + origin_hash(origin))
        ]
