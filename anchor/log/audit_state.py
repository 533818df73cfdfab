"""What an audit leaves behind for the next one: the audited log's state at its last checkpoint.

An incremental audit (`parallel_audit.audit_log_parallel(resume=...)`) re-reads only the
leaves after the last checkpoint audited before, so it must carry over what the walk knew
there: the recomputed tree's complete subtrees (its frontier), every checkpoint's audited
(size, root), every case's head and record count in the order the cases first appeared (the
case index), the latest acceptance time, and how many records were present and shredded.

Where it lives, and what that means: the state file is the auditor's, not the node's. It is
written wherever the auditor says (`evanchor audit --state FILE`), and an operator who can
rewrite it can make the next incremental audit start from a forged past. So the audit never
hides that it trusted one: its report names the file's SHA-256, when and up to which
checkpoint the earlier audit ran, and which leaves this run re-read; the previous run printed
the SHA-256 of the file it wrote, and an auditor who keeps that line (or the file, on a
medium the operator cannot write) can tell a replaced state. What the resumed audit does
check about the past: every stored checkpoint up to the audited one still has its audited
size and root, and the stored tree's complete subtrees at the audited size are the audited
ones, so every proof the log serves for an old leaf reaches an audited root; and the new
checkpoints' roots are recomputed from those subtrees and the new leaves, so each extends
the audited one (consistency by construction). What it does not re-read: the old records
themselves (an old record's text could have been replaced since without changing any leaf;
a full audit finds that).

Format: gzip-compressed JSON, `"format": "evanchor-audit-state/1"`; one `StateFileInvalid`
names the member at fault.
"""

from __future__ import annotations

import gzip
import json
import os
import zlib
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path
from typing import Any

from evanchor.anchor.protocol.errors import InputError

STATE_FORMAT = "evanchor-audit-state/1"


class StateFileInvalid(InputError):
    """An audit state file that is not one this version wrote."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason

    def detail(self) -> str:
        return self.reason


@dataclass(frozen=True)
class AuditState:
    """The audited log at checkpoint `seq` (its last leaf is `size - 1`).

    Requires len(checkpoints) == seq + 1 and checkpoints[seq] == (size, root); `frontier`
    holds the hashes of `merkle.complete_subtrees(size)`, left first; `cases` the (case,
    head, count) of every case in case-number order.
    """

    audited_at: str
    seq: int
    size: int
    root: bytes
    checkpoints: tuple[tuple[int, bytes], ...]
    frontier: tuple[bytes, ...]
    cases: tuple[tuple[str, int, int], ...]
    last_accepted: str
    present_records: int
    """Records at or below `size` whose id index entry points back at them."""
    shredded: tuple[int, ...]
    """The leaves at or below `size` with a tombstone (a complete shredding), ascending."""

    def as_json(self) -> dict[str, Any]:
        return {
            "format": STATE_FORMAT,
            "audited_at": self.audited_at,
            "checkpoint": {"seq": self.seq, "size": self.size, "root": self.root.hex()},
            "checkpoints": [[size, root.hex()] for size, root in self.checkpoints],
            "frontier": [node.hex() for node in self.frontier],
            "cases": [list(case) for case in self.cases],
            "last_accepted": self.last_accepted,
            "present_records": self.present_records,
            "shredded": list(self.shredded),
        }


def state_from_json(obj: Any) -> AuditState:
    """Raises `StateFileInvalid` naming what is wrong."""
    if not isinstance(obj, dict) or obj.get("format") != STATE_FORMAT:
        raise StateFileInvalid(f"not an audit state file (format {STATE_FORMAT!r} expected)")
    try:
        checkpoint = obj["checkpoint"]
        state = AuditState(
            audited_at=str(obj["audited_at"]),
            seq=int(checkpoint["seq"]),
            size=int(checkpoint["size"]),
            root=bytes.fromhex(checkpoint["root"]),
            checkpoints=tuple(
                (int(size), bytes.fromhex(root)) for size, root in obj["checkpoints"]
            ),
            frontier=tuple(bytes.fromhex(node) for node in obj["frontier"]),
            cases=tuple((str(case), int(head), int(count)) for case, head, count in obj["cases"]),
            last_accepted=str(obj["last_accepted"]),
            present_records=int(obj["present_records"]),
            shredded=tuple(int(index) for index in obj["shredded"]),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise StateFileInvalid(f"member missing or malformed ({error!r})") from None
    if len(state.checkpoints) != state.seq + 1 or state.checkpoints[-1] != (state.size, state.root):
        raise StateFileInvalid("checkpoint: not the last of its checkpoints")
    if len(state.frontier) != bin(state.size).count("1"):
        raise StateFileInvalid(f"frontier: {len(state.frontier)} nodes for size {state.size}")
    return state


@dataclass(frozen=True)
class LoadedState:
    state: AuditState
    sha256: str
    """Of the file's bytes, as read: what the report says was trusted."""


def read_state(path: Path) -> LoadedState:
    """The state in `path`, and its SHA-256. Raises `StateFileInvalid` (or OSError)."""
    raw = path.read_bytes()
    try:
        obj = json.loads(gzip.decompress(raw))
    except (OSError, EOFError, zlib.error, ValueError) as error:
        raise StateFileInvalid(f"not gzip-compressed JSON ({error})").located(
            source=path.name
        ) from None
    try:
        return LoadedState(state_from_json(obj), sha256(raw).hexdigest())
    except StateFileInvalid as error:
        raise error.located(source=path.name) from None


def write_state(path: Path, state: AuditState) -> str:
    """Write `state` to `path` atomically (a synced temporary file renamed over it); return
    the SHA-256 of the bytes written."""
    raw = gzip.compress(json.dumps(state.as_json(), separators=(",", ":")).encode(), mtime=0)
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("wb") as out:
        out.write(raw)
        out.flush()
        os.fsync(out.fileno())
    temporary.replace(path)
    return sha256(raw).hexdigest()
