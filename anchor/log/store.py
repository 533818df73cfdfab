"""The LevelDB log store: leaves, complete-subtree hashes, records, cases and checkpoints.

Durability: `append` writes everything a batch of records adds (records, salts, leaves, the
new complete-subtree nodes, case links and the new size) in one LevelDB write batch with
`sync=True`, and returns only after it; LevelDB applies a batch atomically, so after a crash
the log has either all of a batch or none of it, and every acknowledged record is kept.
`seal` likewise writes the seal leaf, its tree nodes, the case index's changes and the
checkpoint in one synced batch.

Failed writes: the store fails closed. LevelDB appends each batch to its write-ahead log; a
write that fails part-way (a full disk, an I/O error) leaves a torn record there, yet the
handle stays usable and later writes may "succeed" behind the tear, only to be dropped when
the log is next opened (recovery stops at the tear). So after the first failed write every
write is refused (`LogStoreFailed`) until the log is reopened — by a new process or a new
`LogStore` — and a reopen returns every acknowledged record at its index (plus, at most, the
failed batch itself, which was never acknowledged, if its bytes did reach the disk). Opening
checks the store's invariants (`_check_on_open`) before anything is written.

Files: the store makes the process's umask private (`restrict_umask`) before LevelDB creates
anything, and narrows existing files and folders to 0600/0700 (with a warning): records and
salts are personal data, and LevelDB creates its files 0644 for as long as the log is open.

Reads: every complete subtree's hash is stored at append time, so the root at any size and
any inclusion or consistency proof take O(log n) reads (see merkle.py), never a rehash.

Leaves are of two kinds (docs/PROTOCOL.md §3): record leaves, and the seal leaf that `seal`
appends as the last leaf of every checkpoint (seal_leaf.py). The seal leaf commits to the
case index: an RFC 9162 tree over one entry (case, head, count) per case, in the order the
cases first appear. The store keeps every version of that tree's complete-subtree nodes and
entries, keyed by the checkpoint that wrote them, so a case's proof at any checkpoint takes
O(log cases) reads, and a seal writes O(changed cases · log cases) nodes.

Key layout (all integers 8-byte big-endian so that keys sort by number):

    m:size                      log size (leaves of both kinds)
    m:checkpoints               number of checkpoints
    m:cases                     number of cases (the case index's size after the next seal)
    m:format                    store format ("evanchor-log/2")
    n:<level:1><index:8>        hash of complete subtree (level, index); level 0 = leaf hash
    l:<index>                   leaf bytes (canonical envelope, or a seal leaf)
    r:<index>                   record canonical bytes (deleted by `shred`)
    s:<index>                   record salt (deleted by `shred`)
    i:<record id:32>            index of the record with that id (deleted by `shred`)
    t:<index>                   tombstone of a shredded record (JSON: shredded_at, reason)
    c:<len:2><case><index>      one key per leaf of a case (range scan = the case's leaves)
    h:<len:2><case>             the case's head leaf, record count and case number (3 x 8 bytes)
    y:<len:2><case>             the case changed since the last seal (deleted by `seal`); the
                                last prefix in key order on purpose: a reverse seek (the
                                case-index reads) steps over every deleted key before it, and
                                these markers are deleted by the thousand
    e:<number:8><seq:8>         the case's index entry (JCS) as of checkpoint <seq>
    q:<level:1><index:8><seq:8> case-index node (level, index) as of checkpoint <seq>
    k:<seq>                     checkpoint JSON
    x:<name>                    node metadata (JSON); x:log is the anchor target
    g:<index>                   agency signature (65 bytes) over the record's commitment
    a:<seq>                     anchoring state of checkpoint <seq> (JSON, see anchorer.py)
    sn:<seq>                    checkpoint <seq> as a C2SP signed note (PROTOCOL.md §10)
    cs:<seq><witness name>      a witness's cosignature/v1 line over checkpoint <seq>
    sn:<seq>                    checkpoint <seq> as a C2SP signed note (PROTOCOL.md §10)
    cs:<seq><witness name>      a witness's cosignature/v1 line over checkpoint <seq>
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import resource
import stat
import struct
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import plyvel

from evanchor.anchor.errors import EvanchorError
from evanchor.anchor.log.leveldb_tables import table_first_keys
from evanchor.anchor.protocol import merkle
from evanchor.anchor.protocol.checkpoint import Checkpoint, checkpoint_from_json
from evanchor.anchor.protocol.commitment import record_id
from evanchor.anchor.protocol.jsonin import MAX_SAFE_INTEGER
from evanchor.anchor.protocol.leaf import LEAF_VERSION, LeafEnvelope, utc_timestamp
from evanchor.anchor.protocol.seal_leaf import (
    SEAL_KIND,
    AnchorTarget,
    CaseEntry,
    SealLeaf,
    anchor_target_from_json,
    seal_leaf_from_json,
)

log = logging.getLogger(__name__)

_U64 = struct.Struct(">Q")
_CASE_STATE = struct.Struct(">QQQ")
"""An `h:` value: the case's head leaf index, its record count, and its case number."""
_SIZE = b"m:size"
_CHECKPOINTS = b"m:checkpoints"
_CASES = b"m:cases"
_FORMAT = b"m:format"
_FORMAT_VERSION = b"evanchor-log/2"
"""Version 2 adds the seal leaf and the case index; a version 1 log has neither and is
refused rather than sealed in a mixed form."""
_CHANGED = b"y:"
"""Prefix of the cases changed since the last seal (see the key layout for why it is last)."""
_TARGET_META = "log"
_LAST_VERSION = 2**64 - 2
"""A checkpoint number above any real one: "the latest version" of a case-index node."""
_NODE_LEVEL = [b"n:" + bytes([level]) for level in range(64)]
"""Key prefix of the tree nodes at each level (a 64-bit index has at most 64 levels)."""

WRITE_BUFFER_BYTES = 32 * 1024 * 1024
"""LevelDB memtable size (LevelDB's default is 4 MiB). A synced batch of APPEND_BATCH
records is ~9 MiB, so a 4 MiB memtable is flushed into a new level-0 table two or three
times per batch, and every flush soon costs a compaction: appends spent more time there than
in evanchor's own code (benchmarks/README.md, ingest.py). 32 MiB holds a few batches; the
price is memory (two memtables at most) and replaying up to 32 MiB of log when a log is
opened after a crash or a close."""

MAX_OPEN_FILES = 8192
"""LevelDB's table cache (its default is 1,000 open tables). A table is ~2 MiB, and a log
stores ~0.5 KiB per record (compressed), so at ~4 M records the log has more tables than
1,000: past that, a read of a table not in the cache reopens it and rereads its index and
Bloom filter, and every lookup, proof and bundle grows with the log (benchmarks/
year_scale.py). 8,192 tables cover ~30 M records; capped at half the process's file limit
(`_open_files_allowed`). Each open table keeps its index block and Bloom filter in memory:
~16 bytes a record (148 MiB for the 2,401 tables of a 10 M-record log), paid at start since
`open_tables`, and otherwise as requests reach the tables."""

BLOCK_CACHE_BYTES = 64 * 1024 * 1024
"""LevelDB's cache of uncompressed data blocks (its default is 8 MiB): the upper tree
nodes every proof reads, the latest checkpoints and case heads stay in it."""

BLOOM_FILTER_BITS = 10
"""Bits per key of the tables' Bloom filters (~1% false positives). Every new record's id is
looked up before it is appended and is almost never there; without a filter each miss reads
a data block of every level-0 table and one per deeper level."""


class StoreError(EvanchorError):
    """The log store cannot be opened or is not in the state an operation needs."""


class StoreBusy(StoreError):
    """Another process has the log open (LevelDB allows one process at a time)."""


class LogStoreFailed(StoreError):
    """A write to the log failed, so this handle acknowledges nothing more.

    Raised by the failed write and by every write after it (see the module docstring for
    why the handle cannot be trusted again). `reason` is LevelDB's own line, for example
    "IO error: <path>/000003.log: No space left on device". The cure is to free the space
    (or fix the device) and reopen the log: restart the node, or rerun the command.
    """

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"log store failed: {reason}; restart the node after freeing space")
        self.path = path
        self.reason = reason


class StoreCorrupt(StoreError):
    """The log broke one of its invariants when it was opened; nothing was written to it.

    `check` names the invariant, `expected` and `found` the facts. Run `evanchor audit`
    (which opens the log without this check) to see every discrepancy.
    """

    def __init__(self, path: Path, check: str, expected: str, found: str) -> None:
        super().__init__(
            f"the log at {path} fails its open-time check ({check}): expected {expected},"
            f" found {found}; the node will not write to it: run `evanchor audit`"
        )
        self.path = path
        self.check = check
        self.expected = expected
        self.found = found


class RecordNotFound(StoreError):
    def __init__(self, what: str) -> None:
        super().__init__(f"no record {what} in this log")
        self.what = what


class NotARecord(StoreError):
    """The leaf at `index` is a checkpoint's seal leaf, not a record's."""

    def __init__(self, index: int) -> None:
        super().__init__(
            f"leaf {index} is a seal leaf (the last leaf of a checkpoint), not a record"
        )
        self.index = index


class RecordShredded(StoreError):
    """The record at `index` was shredded: its text, salt and id are gone, its leaf remains."""

    def __init__(self, index: int, shredded_at: str) -> None:
        super().__init__(
            f"the record at index {index} was shredded at {shredded_at}: its text and salt are"
            " deleted, only its leaf remains"
        )
        self.index = index
        self.shredded_at = shredded_at


class UnsignedRecordRefused(StoreError):
    """A log bound to an anchor target keeps only records that carry an agency signature."""

    def __init__(self, target: AnchorTarget) -> None:
        super().__init__(
            f"this log anchors to chain {target.chain_id} (contract {target.contract}) and"
            " takes only records signed by their agency; nothing was written"
        )
        self.target = target


OPEN_CHECK_LEAVES = 10_000
"""How many of the newest leaves opening a log re-derives in full (leaf hashes, tree nodes,
record ids). A crash or a failed write can only touch the newest batches: older ones have
long left the write-ahead log for sorted tables. 10,000 is one CLI batch (`APPEND_BATCH`)
and covers many group commits of the node; checking them costs about 0.1 s on a loaded
2-core machine, paid by every command that opens the log. Everything older gets the
O(log n) checks of `_check_on_open`; the audit checks all of it."""

PRIVATE_UMASK = 0o077


def restrict_umask() -> None:
    """Make every file this process creates from now on private to its user (0600/0700).

    Process-wide on purpose: LevelDB creates files for as long as a log is open (a new
    write-ahead log, tables at each compaction, on its background thread), so a umask set
    only around the open would miss them. Existing bits of the umask are kept.
    """
    current = os.umask(PRIVATE_UMASK)
    os.umask(current | PRIVATE_UMASK)


def make_private(folder: Path) -> list[Path]:
    """Narrow `folder` and everything under it to the owner (folders 0700, files 0600).

    Returns what had group or other bits; symbolic links are not followed. For folders made
    before evanchor restricted its umask, or copied in with permissive modes.
    """
    widened: list[Path] = []
    for path in [folder, *folder.rglob("*")]:
        try:
            info = path.lstat()
        except FileNotFoundError:  # LevelDB removed an obsolete file meanwhile
            continue
        if stat.S_ISLNK(info.st_mode) or not info.st_mode & PRIVATE_UMASK:
            continue
        path.chmod(stat.S_IMODE(info.st_mode) & ~PRIVATE_UMASK)
        widened.append(path)
    return widened


def _open_files_allowed() -> int:
    """MAX_OPEN_FILES, or half the process's soft limit on open files if that is lower (the
    rest is the node's: sockets, the chain's own LevelDB, the log's write-ahead log)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return MAX_OPEN_FILES
    return max(64, min(MAX_OPEN_FILES, soft // 2))


def _reason(error: BaseException) -> str:
    """LevelDB's message as text (plyvel passes it as bytes)."""
    first = error.args[0] if error.args else type(error).__name__
    text = first.decode(errors="replace") if isinstance(first, bytes) else str(first)
    return text or type(error).__name__


def _u64(value: int) -> bytes:
    return _U64.pack(value)


def _hex(value: bytes | None) -> str:
    return "none" if value is None else value.hex()


def _fold_frontier(frontier: Sequence[tuple[int, bytes]]) -> bytes:
    """The root of a tree from its complete subtrees, largest (leftmost) first."""
    if not frontier:
        return merkle.EMPTY_ROOT
    folded = frontier[-1][1]
    for _, left in reversed(frontier[:-1]):
        folded = merkle.node_hash(left, folded)
    return folded


def _case_key(case: str) -> bytes:
    raw = case.encode()
    return struct.pack(">H", len(raw)) + raw


def _map_key(level: int, index: int) -> bytes:
    """Key prefix of case-index node (level, index); the checkpoint number follows."""
    return b"q:" + bytes([level]) + _U64.pack(index)


_SEAL_LEAF_START = b'{"anchored_to":'
"""How every seal leaf's JCS bytes begin (its first key in RFC 8785 order); a record leaf
begins with '{"accepted_at":'."""


def _is_seal_leaf(leaf: bytes) -> bool:
    if not leaf.startswith(_SEAL_LEAF_START):
        return False
    try:
        return bool(json.loads(leaf).get("kind") == SEAL_KIND)
    except ValueError:
        return False


# Characters RFC 8785 does not write as themselves (quote, backslash, controls) and lone
# surrogates, which have no UTF-8 form: a leaf string holding one takes the general encoder.
_ESCAPED = re.compile(r'[\x00-\x1f"\\\ud800-\udfff]')


@dataclass(frozen=True)
class PreparedRecord:
    """A validated record, canonicalized and committed, ready to append.

    `signature` is the agency's signature over `commitment` when the node requires one
    (it has been checked before the record gets here).
    """

    record_id: bytes
    canonical: bytes
    salt: bytes
    commitment: bytes
    kind: str
    agency: str
    case: str
    signature: bytes | None = None


def _leaf_bytes(record: PreparedRecord, prev: int | None, accepted_at: str) -> bytes:
    """The leaf of `record`: `LeafEnvelope(...).to_bytes()`, written out directly when no
    string needs escaping.

    The envelope's keys are fixed and already in RFC 8785 order, its only number is a leaf
    index (far below 2**53) or null, so with plain strings the canonical form is this one
    line; anything else takes the general encoder. tests/perf_equivalence holds the two to
    the same bytes.
    """
    kind, agency, case = record.kind, record.agency, record.case
    if _ESCAPED.search(accepted_at + agency + case + kind) is None and (
        prev is None or (type(prev) is int and 0 <= prev <= MAX_SAFE_INTEGER)
    ):
        prev_text = "null" if prev is None else str(prev)
        return (
            f'{{"accepted_at":"{accepted_at}","agency":"{agency}","case":"{case}",'
            f'"commitment":"{record.commitment.hex()}","kind":"{kind}","prev":{prev_text},'
            f'"v":{LEAF_VERSION}}}'
        ).encode()
    envelope = LeafEnvelope(record.commitment, kind, agency, case, prev, accepted_at)
    return envelope.to_bytes()


def _put_leaf_nodes(
    put: Callable[[bytes, bytes], None],
    frontier: list[tuple[int, bytes]],
    index: int,
    leaf_hash: bytes,
) -> None:
    """Put leaf `index`'s node and every complete subtree it completes; update `frontier`
    (the complete subtrees of the tree so far, largest first)."""
    put(b"n:\x00" + _U64.pack(index), leaf_hash)
    level, position, current = 0, index, leaf_hash
    while position & 1:
        current = merkle.node_hash(frontier.pop()[1], current)
        level += 1
        position >>= 1
        put(_NODE_LEVEL[level] + _U64.pack(position), current)
    frontier.append((level, current))


@dataclass(frozen=True)
class Receipt:
    """What the node acknowledges: the record is durably in the log at `index`."""

    record_id: bytes
    index: int
    leaf_hash: bytes
    accepted_at: str
    duplicate: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "record_id": self.record_id.hex(),
            "index": self.index,
            "leaf_hash": self.leaf_hash.hex(),
            "accepted_at": self.accepted_at,
            "duplicate": self.duplicate,
        }


def receipt_from_json(obj: dict[str, Any]) -> Receipt:
    return Receipt(
        record_id=bytes.fromhex(obj["record_id"]),
        index=int(obj["index"]),
        leaf_hash=bytes.fromhex(obj["leaf_hash"]),
        accepted_at=str(obj["accepted_at"]),
        duplicate=bool(obj["duplicate"]),
    )


@dataclass(frozen=True)
class Tombstone:
    """What `shred` leaves where a record was: when, and why (e.g. a deletion request's
    reference). It holds nothing of the record: not its text, salt or id."""

    shredded_at: str
    reason: str

    def as_json(self) -> dict[str, str]:
        return {"reason": self.reason, "shredded_at": self.shredded_at}


def tombstone_from_json(obj: dict[str, Any]) -> Tombstone:
    return Tombstone(shredded_at=str(obj["shredded_at"]), reason=str(obj["reason"]))


@dataclass(frozen=True)
class CaseIndexProof:
    """A case's entry in the case index of checkpoint `seq`, with its RFC 9162 inclusion
    proof: entry `number` of the `cases` entries whose root the seal leaf holds."""

    seq: int
    entry: CaseEntry
    number: int
    cases: int
    inclusion_proof: list[bytes]


@dataclass(frozen=True)
class StoredRecord:
    index: int
    record_id: bytes
    canonical: bytes
    salt: bytes | None
    leaf: bytes
    leaf_hash: bytes
    signature: bytes | None = None

    @property
    def envelope(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.leaf)
        return parsed


class LogStore:
    """One evidence log in one LevelDB folder, owned by one process.

    Threads may share it: appends and seals are serialised by a lock, and readers see the
    size, frontier and checkpoint count change together. Tree nodes and leaves are written
    before the size that covers them, and never change, so proofs need no lock.
    """

    def __init__(self, path: Path, *, create: bool = False, check: bool = True) -> None:
        """Open (or with `create`, create) the log in `path`.

        With `check` (the default) the store's invariants are verified before the log is
        used (`StoreCorrupt` if one fails). Without, the log is opened read-only, as it is,
        for the audit to report everything it finds.
        """
        self.path = Path(path)
        self._failed_reason: str | None = None
        self._read_only = not check
        if not create and not (self.path / "CURRENT").exists():
            raise StoreError(f"no evidence log at {self.path} (run `evanchor init` first)")
        restrict_umask()
        if self.path.exists():
            widened = make_private(self.path)
            if widened:
                log.warning(
                    "%s: %d file(s) or folder(s) were readable by group or others; narrowed"
                    " to the owner (0600/0700)",
                    self.path,
                    len(widened),
                )
        try:
            self._db = plyvel.DB(
                str(self.path),
                create_if_missing=create,
                write_buffer_size=WRITE_BUFFER_BYTES,
                bloom_filter_bits=BLOOM_FILTER_BITS,
                max_open_files=_open_files_allowed(),
                lru_cache_size=BLOCK_CACHE_BYTES,
            )
        except plyvel.IOError as error:
            if "lock" in str(error).lower():
                raise StoreBusy(
                    f"the log at {self.path} is open in another process (is a node running?)"
                ) from error
            raise StoreError(f"cannot open the log at {self.path}: {error}") from error
        stored_format = self._db.get(_FORMAT)
        if stored_format is None:
            if self._db.get(_SIZE) is not None:
                raise StoreError(f"{self.path} holds a log without a format marker")
            self._write(lambda: self._db.put(_FORMAT, _FORMAT_VERSION, sync=True))
        elif stored_format != _FORMAT_VERSION:
            raise StoreError(f"{self.path}: unsupported log format {stored_format!r}")
        self._size = self._read_u64(_SIZE)
        self._checkpoint_count = self._read_u64(_CHECKPOINTS)
        self._case_count = self._read_u64(_CASES)
        stored_target = self.meta(_TARGET_META)
        self._target = (
            None
            if stored_target is None or stored_target.get("anchored_to") is None
            else anchor_target_from_json(stored_target["anchored_to"])
        )
        self._lock = threading.RLock()
        self._changed_cases: set[bytes] = {
            bytes(key[len(_CHANGED) :])
            for key in self._db.iterator(prefix=_CHANGED, include_value=False)
        }
        """The `y:` markers, read once here and then kept with each append and seal: a scan
        of `y:` at every seal steps over every marker deleted since LevelDB last compacted
        that range, and a year of one seal a minute deletes millions (benchmarks/year_scale.py:
        the scan grew to ~10 ms a seal within two days of the seed's load)."""
        self._frontier: list[tuple[int, bytes]] = []
        self._frontier_complete = False
        try:
            if check:
                self._check_on_open()
            self._frontier = [
                (level, self.node(level, index))
                for level, index in merkle.complete_subtrees(self._size)
            ]
            self._frontier_complete = True
        except StoreError:
            if check:
                self._db.close()
                raise
            # Read-only, for the audit: the missing node is the audit's to report.
        except BaseException:
            self._db.close()
            raise

    # -- lifecycle -------------------------------------------------------------------------

    def open_tables(self) -> int:
        """Open LevelDB's tables now, one keyed read of each table's first key
        (`leveldb_tables`), up to its table cache; return how many were read. A node calls
        it at start so that its first requests do not each open tables (in a 10 M-record log,
        ~0.1 ms a table; benchmarks/year_scale.py)."""
        raw = self._db.get_property(b"leveldb.sstables")
        keys = table_first_keys(raw or b"")[: _open_files_allowed()]
        for key in keys:
            self._db.get(key)
        return len(keys)

    def close(self) -> None:
        if not self._db.closed:
            self._db.close()

    def __enter__(self) -> LogStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _read_u64(self, key: bytes) -> int:
        raw = self._db.get(key)
        return 0 if raw is None else int(_U64.unpack(raw)[0])

    # -- failing closed --------------------------------------------------------------------

    @property
    def failure(self) -> LogStoreFailed | None:
        """Why this handle refuses writes (a write failed), or None while it is healthy."""
        if self._failed_reason is None:
            return None
        return LogStoreFailed(self.path, self._failed_reason)

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """Around one LevelDB write: refuse it if the store has failed; fail closed if it does.

        LevelDB reports every failed write as a `plyvel.Error` (IOError, CorruptionError):
        that is the failure watched for. Anything else raised inside (building a batch) wrote
        nothing and passes through. Callers change their in-memory state only after the
        block, so a failed write changes nothing they hold.
        """
        if self._read_only:
            raise StoreError(f"the log at {self.path} was opened read-only, without its check")
        failure = self.failure
        if failure is not None:
            raise failure
        try:
            yield
        except plyvel.Error as error:
            self._failed_reason = _reason(error)
            log.error("log store failed, refusing writes until reopened: %s", self._failed_reason)
            raise LogStoreFailed(self.path, self._failed_reason) from error

    def _write(self, write: Callable[[], object]) -> None:
        """One LevelDB put, under `_writing`."""
        with self._writing():
            write()

    def _check_on_open(self) -> None:
        """Verify the invariants a reopened log must hold before it takes a write.

        O(log n) over the whole log, plus a full re-derivation of its newest
        `OPEN_CHECK_LEAVES` leaves:

        - leaves and leaf hashes end exactly at the stored size (none missing at the end,
          none beyond it), and no level of the tree holds a node beyond the size;
        - each newest leaf is present, its stored hash is the hash of its bytes, and each
          tree node over the newest leaves is the hash of its children;
        - each newest record's id points back at its index, and the last leaf (if it is a
          record's) is the head of its case;
        - checkpoints end at the stored count, the latest covers no more than the log, its
          root is the root of the tree at its size, and its last leaf is its seal leaf.
        """
        size = self._size

        def fail(check: str, expected: object, found: object) -> None:
            raise StoreCorrupt(self.path, check, str(expected), str(found))

        for prefix, what in ((b"l:", "leaves"), (b"n:\x00", "leaf hashes")):
            last = self._last_u64(prefix)
            if last != (size - 1 if size else None):
                fail(f"{what} end at the stored size {size}", f"last index {size - 1}", last)
        for level in range(1, 64):
            last = self._last_u64(_NODE_LEVEL[level])
            complete = size >> level
            if last is not None and last >= complete:
                fail(f"tree level {level} within size {size}", f"< {complete} nodes", last + 1)
            if complete == 0 and last is None:
                break
        low = max(0, size - OPEN_CHECK_LEAVES)
        below = self._nodes_from(0, low, size)
        leaves = dict(self._range(b"l:", low, size))
        for index in range(low, size):
            leaf = leaves.get(index)
            if leaf is None:
                fail("every leaf present", f"leaf {index}", "none")
            elif below.get(index) != merkle.leaf_hash(leaf):
                fail(f"leaf hash {index}", merkle.leaf_hash(leaf).hex(), _hex(below.get(index)))
        for level in range(1, size.bit_length()):
            first = -(-low >> level)
            current = self._nodes_from(level, first, size)
            for index in range(first, size >> level):
                if index not in current:
                    fail("every tree node present", f"node ({level}, {index})", "none")
            for index, stored in current.items():
                left, right = below.get(2 * index), below.get(2 * index + 1)
                if left is None or right is None or stored != merkle.node_hash(left, right):
                    fail(f"tree node ({level}, {index})", "the hash of its children", stored.hex())
            below = current
        last_record = None
        for index, canonical in self._range(b"r:", low, size):
            found = self.index_of(record_id(canonical))
            if found != index:
                fail(f"record {index}'s id", f"index {index}", found)
            last_record = index
        if last_record is not None:
            # The newest record in the window is the head of its case (a sealed log ends on
            # a seal leaf, so this is the last record, not the last leaf).
            case = json.loads(leaves[last_record]).get("case")
            raw_head = self._db.get(b"h:" + _case_key(case)) if isinstance(case, str) else None
            head = (
                int(_CASE_STATE.unpack(raw_head)[0])
                if raw_head is not None and len(raw_head) == _CASE_STATE.size
                else None
            )
            if head != last_record:
                fail(f"head of case {case!r}", f"the last record's leaf {last_record}", head)
        self._check_checkpoints_on_open(fail)

    def _check_checkpoints_on_open(self, fail: Callable[[str, object, object], None]) -> None:
        """The checkpoint part of `_check_on_open`: they end at the stored count; the latest
        covers no more than the log, has the tree's root at its size, and ends with its seal
        leaf."""
        size, count = self._size, self._checkpoint_count
        last_seq = self._last_u64(b"k:")
        if last_seq != (count - 1 if count else None):
            fail(f"checkpoints end at the stored count {count}", f"seq {count - 1}", last_seq)
        latest = self.latest_checkpoint()
        if latest is None:
            return
        if latest.size > size:
            fail(f"checkpoint {latest.seq} within the log", f"size <= {size}", latest.size)
        root = merkle.root_from_nodes(self.node, latest.size)
        if root != latest.root:
            fail(f"checkpoint {latest.seq}'s root", latest.root.hex(), root.hex())
        last_leaf = self._db.get(b"l:" + _u64(latest.size - 1))
        if last_leaf is None or not _is_seal_leaf(bytes(last_leaf)):
            fail(f"checkpoint {latest.seq}'s last leaf", "its seal leaf", "another leaf")

    def _last_u64(self, prefix: bytes) -> int | None:
        """The largest 8-byte index stored under `prefix`, or None if there is none."""
        for key in self._db.iterator(prefix=prefix, reverse=True, include_value=False):
            return int(_U64.unpack(key[len(prefix) : len(prefix) + 8])[0])
        return None

    def _range(self, prefix: bytes, low: int, high: int) -> Iterator[tuple[int, bytes]]:
        """(index, value) of every key `prefix + u64(index)` with low <= index < high."""
        cut = len(prefix)
        for key, value in self._db.iterator(
            start=prefix + _U64.pack(low), stop=prefix + _U64.pack(high)
        ):
            yield int(_U64.unpack(key[cut:])[0]), bytes(value)

    def _nodes_from(self, level: int, first: int, size: int) -> dict[int, bytes]:
        """The stored nodes of `level` from index `first` up to the last complete one."""
        return dict(self._range(_NODE_LEVEL[level], max(first, 0), size >> level))

    # -- reading the tree ------------------------------------------------------------------

    @property
    def size(self) -> int:
        """Leaves in the log: records and seal leaves."""
        return self._size

    @property
    def record_count(self) -> int:
        """Record leaves in the log (shredded ones included): every leaf but the one seal
        leaf of each checkpoint."""
        with self._lock:
            return self._size - self._checkpoint_count

    def node(self, level: int, index: int) -> bytes:
        """Hash of complete subtree (level, index). Requires it to lie within the log."""
        raw = self._db.get(b"n:" + bytes([level]) + _u64(index))
        if raw is None:
            raise StoreError(f"missing tree node (level {level}, index {index})")
        return bytes(raw)

    def leaf_hash(self, index: int) -> bytes:
        return self.node(0, index)

    def nodes(self, level: int, low: int, high: int) -> dict[int, bytes]:
        """The stored nodes (level, i) for low <= i < high, by index; one range scan, for
        the audit (which reads every node), not for proofs."""
        return dict(self._range(_NODE_LEVEL[level], low, high))

    def root(self, size: int | None = None) -> bytes:
        """The root at `size` (default: the current size). Requires 0 <= size <= self.size."""
        with self._lock:
            current, frontier = self._size, self._frontier
        size = current if size is None else size
        if not 0 <= size <= current:
            raise StoreError(f"size {size} is beyond the log's size {current}")
        if size == current and self._frontier_complete:
            return _fold_frontier(frontier)
        return merkle.root_from_nodes(self.node, size)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """PATH(index, D[size]). Requires 0 <= index < size <= self.size."""
        if not 0 <= index < size <= self._size:
            raise StoreError(f"no inclusion proof for index {index} at size {size}")
        return merkle.inclusion_proof_from_nodes(self.node, index, size)

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """PROOF(old_size, D[new_size]). Requires 0 < old_size <= new_size <= self.size."""
        if not 0 < old_size <= new_size <= self._size:
            raise StoreError(f"no consistency proof from size {old_size} to {new_size}")
        return merkle.consistency_proof_from_nodes(self.node, old_size, new_size)

    # -- appending -------------------------------------------------------------------------

    def append(
        self, records: Sequence[PreparedRecord], *, now: datetime | None = None
    ) -> list[Receipt]:
        """Append records in order, durably and atomically; return one receipt per record.

        A record whose id is already in the log (or earlier in the same call) is not appended
        again: its receipt is the original one, marked `duplicate`. A log bound to an anchor
        target (`bind_anchor_target`) refuses the whole call if any record is unsigned: its
        seal leaves commit to every record carrying its agency's signature.
        """
        if self._target is not None and any(record.signature is None for record in records):
            raise UnsignedRecordRefused(self._target)
        with self._lock:
            return self._append_locked(records, now)

    def _append_locked(
        self, records: Sequence[PreparedRecord], now: datetime | None
    ) -> list[Receipt]:
        accepted_at = utc_timestamp(now or datetime.now(UTC))
        receipts: list[Receipt] = []
        batch_ids: dict[bytes, Receipt] = {}
        cases: dict[str, list[int]] = {}
        """Case -> [head, count, case number] of every case this call appends to."""
        frontier = list(self._frontier)
        size = self._size
        case_count = self._case_count
        case_keys = {case: _case_key(case) for case in {record.case for record in records}}
        stored_ids = self._get_in_key_order(b"i:" + record.record_id for record in records)
        stored_heads = self._get_in_key_order(b"h:" + key for key in case_keys.values())
        with self._writing(), self._db.write_batch(transaction=True, sync=True) as batch:
            put = batch.put
            for record in records:
                duplicate = self._duplicate(record.record_id, batch_ids, stored_ids)
                if duplicate is not None:
                    receipts.append(duplicate)
                    continue
                index = size
                case_key = case_keys[record.case]
                state = cases.get(record.case)
                if state is None:
                    state = cases[record.case] = self._case_state(
                        stored_heads.get(b"h:" + case_key)
                    )
                prev = None if state[0] < 0 else state[0]
                leaf = _leaf_bytes(record, prev, accepted_at)
                leaf_hash = merkle.leaf_hash(leaf)
                key = _U64.pack(index)
                put(b"l:" + key, leaf)
                put(b"r:" + key, record.canonical)
                put(b"s:" + key, record.salt)
                if record.signature is not None:
                    put(b"g:" + key, record.signature)
                put(b"i:" + record.record_id, key)
                put(b"c:" + case_key + key, b"")
                _put_leaf_nodes(put, frontier, index, leaf_hash)
                state[0] = index
                state[1] += 1
                size += 1
                receipt = Receipt(record.record_id, index, leaf_hash, accepted_at, duplicate=False)
                batch_ids[record.record_id] = receipt
                receipts.append(receipt)
            # Each case's state once, at its last leaf of the batch: the batch is applied
            # whole, so the intermediate heads would never be seen. `y:` marks the case for
            # the next seal's case index. New cases are numbered in the order their first
            # record arrived (`cases` keeps insertion order).
            for case, state in cases.items():
                if state[2] < 0:
                    state[2], case_count = case_count, case_count + 1
                put(b"h:" + case_keys[case], _CASE_STATE.pack(*state))
                put(_CHANGED + case_keys[case], b"")
            put(_SIZE, _U64.pack(size))
            put(_CASES, _U64.pack(case_count))
        self._size = size
        self._frontier = frontier
        self._case_count = case_count
        self._changed_cases.update(case_keys[case] for case in cases)
        return receipts

    @staticmethod
    def _case_state(raw_state: bytes | None) -> list[int]:
        """[head, count, case number] of a case as stored (`h:`); [-1, 0, -1] for a new
        case (no head yet; its number is given when the batch is written)."""
        if raw_state is None:
            return [-1, 0, -1]
        return list(_CASE_STATE.unpack(raw_state))

    def _duplicate(
        self, record_id: bytes, batch_ids: dict[bytes, Receipt], stored_ids: dict[bytes, bytes]
    ) -> Receipt | None:
        """The first receipt of `record_id`, marked duplicate, if the log (`stored_ids`, its
        `i:` entries) or the batch so far (`batch_ids`) has it; else None."""
        earlier = batch_ids.get(record_id)
        if earlier is not None:
            return Receipt(
                earlier.record_id, earlier.index, earlier.leaf_hash, earlier.accepted_at, True
            )
        raw_index = stored_ids.get(b"i:" + record_id)
        return None if raw_index is None else self._stored_receipt(record_id, raw_index)

    def _get_in_key_order(self, keys: Iterable[bytes]) -> dict[bytes, bytes]:
        """The value of each of `keys` that the log holds, read in key order.

        Record ids are hashes, so a batch's `i:` keys arrive in random order; read sorted,
        neighbouring keys are found in the table blocks LevelDB has just read, which makes
        a batch's lookups about twice as fast (benchmarks/ingest.py, append stage).
        """
        found: dict[bytes, bytes] = {}
        for key in sorted(set(keys)):
            raw = self._db.get(key)
            if raw is not None:
                found[key] = raw
        return found

    def _stored_receipt(self, record_id: bytes, raw_index: bytes) -> Receipt:
        """The receipt of a record already in the log at `raw_index`, marked duplicate."""
        index = int(_U64.unpack(raw_index)[0])
        envelope = json.loads(self._db.get(b"l:" + bytes(raw_index)))
        return Receipt(record_id, index, self.leaf_hash(index), envelope["accepted_at"], True)

    # -- records and cases -----------------------------------------------------------------

    def index_of(self, record_id: bytes) -> int | None:
        raw = self._db.get(b"i:" + record_id)
        return None if raw is None else int(_U64.unpack(raw)[0])

    def record_id_count(self) -> int:
        """How many record id entries (`i:`) the log holds: one per record not shredded.
        O(records), for the audit."""
        return sum(1 for _ in self._db.iterator(prefix=b"i:", include_value=False))

    def find_record_id(self, prefix_hex: str) -> bytes:
        """The full id of the one record whose hex id starts with `prefix_hex` (>= 8 chars)."""
        prefix_hex = prefix_hex.lower()
        if len(prefix_hex) < 8 or any(c not in "0123456789abcdef" for c in prefix_hex):
            raise RecordNotFound(f"{prefix_hex!r} (give at least 8 hex digits of a record id)")
        even = prefix_hex[: len(prefix_hex) // 2 * 2]
        matches = [
            key[2:]
            for key in self._db.iterator(prefix=b"i:" + bytes.fromhex(even), include_value=False)
            if key[2:].hex().startswith(prefix_hex)
        ]
        if not matches:
            raise RecordNotFound(prefix_hex)
        if len(matches) > 1:
            raise StoreError(f"record id prefix {prefix_hex} is ambiguous ({len(matches)} match)")
        return bytes(matches[0])

    def record(self, index: int) -> StoredRecord:
        """The record at leaf `index`. Raises NotARecord for a seal leaf, RecordShredded for
        a shredded record, RecordNotFound beyond the log."""
        if not 0 <= index < self._size:
            raise RecordNotFound(f"at index {index}")
        key = _u64(index)
        canonical = self._db.get(b"r:" + key)
        leaf = self._db.get(b"l:" + key)
        if canonical is None and leaf is not None:
            tombstone = self.tombstone(index)
            if tombstone is not None:
                raise RecordShredded(index, tombstone.shredded_at)
            if _is_seal_leaf(leaf):
                raise NotARecord(index)
        if canonical is None or leaf is None:
            raise StoreError(f"record at index {index} is missing from the store")
        return StoredRecord(
            index=index,
            record_id=record_id(bytes(canonical)),
            canonical=bytes(canonical),
            salt=self._db.get(b"s:" + key),
            leaf=bytes(leaf),
            leaf_hash=self.leaf_hash(index),
            signature=self._db.get(b"g:" + key),
        )

    def is_record_leaf(self, index: int) -> bool:
        """Whether leaf `index` is a record's (shredded or not) rather than a seal leaf.

        Requires 0 <= index < size. Seal leaves sit at `checkpoint.size - 1` of every
        checkpoint; code that walks the log's records skips them with this.
        """
        leaf = self._db.get(b"l:" + _u64(index))
        if leaf is None:
            raise StoreError(f"leaf {index} is missing from the store")
        return not _is_seal_leaf(leaf)

    def record_leaf(self, index: int) -> bytes:
        """The leaf bytes of the record at leaf `index`, in one read (a shredded record has
        one too): for what needs the leaf and not the record's text, as a record's status
        does. Raises NotARecord for a seal leaf, RecordNotFound beyond the log."""
        leaf = self._db.get(b"l:" + _u64(index)) if 0 <= index < self._size else None
        if leaf is None:
            raise RecordNotFound(f"at index {index}")
        if _is_seal_leaf(leaf):
            raise NotARecord(index)
        return bytes(leaf)

    def accepted_at(self, index: int) -> str:
        """The node's acceptance time of the record at leaf `index` (from its leaf, so a
        shredded record has one too). Raises NotARecord for a seal leaf."""
        return str(json.loads(self.record_leaf(index))["accepted_at"])

    def tombstones(self, low: int, high: int) -> dict[int, Tombstone]:
        """The tombstones of leaves low <= i < high, by index (one range scan)."""
        return {
            index: tombstone_from_json(json.loads(raw))
            for index, raw in self._range(b"t:", low, high)
        }

    def tombstone(self, index: int) -> Tombstone | None:
        """The tombstone `shred` left at leaf `index`, or None."""
        raw = self._db.get(b"t:" + _u64(index))
        return None if raw is None else tombstone_from_json(json.loads(raw))

    def shred(self, index: int, *, reason: str, now: datetime | None = None) -> Tombstone:
        """Crypto-shred the record at leaf `index`: delete its text, salt and id index, keep
        its leaf (so every proof stays valid) and leave a tombstone saying when and why.

        The tombstone is written in the same synced batch as the deletions, so the audit
        sees either the whole record or a complete shredding. The deleted keys' range is
        then compacted, so LevelDB rewrites the tables that still held the text (copies in
        backups, and memory, are beyond its reach). Requires a record leaf not yet shredded.
        """
        with self._lock:
            if not 0 <= index < self._size:
                raise RecordNotFound(f"at index {index}")
            stored = self.record(index)  # raises for a seal leaf or a shredded record
            tombstone = Tombstone(
                shredded_at=utc_timestamp(now or datetime.now(UTC)), reason=reason
            )
            key = _u64(index)
            id_key = b"i:" + stored.record_id
            with self._writing(), self._db.write_batch(transaction=True, sync=True) as batch:
                batch.delete(b"r:" + key)
                batch.delete(b"s:" + key)
                if self._db.get(id_key) == key:
                    batch.delete(id_key)
                batch.put(b"t:" + key, json.dumps(tombstone.as_json(), sort_keys=True).encode())
            with self._writing():
                for deleted in (b"r:" + key, b"s:" + key, id_key):
                    self._db.compact_range(start=deleted, stop=deleted + b"\x00")
            return tombstone

    def raw_entry(
        self, index: int
    ) -> tuple[bytes | None, bytes | None, bytes | None, bytes | None]:
        """(leaf, record, salt, signature) exactly as stored, each None if absent.

        For the audit, which must see the store as it is, not as `record` would assume.
        """
        key = _u64(index)
        return (
            self._db.get(b"l:" + key),
            self._db.get(b"r:" + key),
            self._db.get(b"s:" + key),
            self._db.get(b"g:" + key),
        )

    def raw_entries(
        self, low: int, high: int
    ) -> list[tuple[bytes | None, bytes | None, bytes | None, bytes | None, bytes | None]]:
        """(leaf, record, salt, signature, tombstone) of every index low <= i < high, exactly
        as stored (the tombstone as its JSON bytes), each None if absent: `raw_entry` and
        `tombstone` for a range, in five range scans instead of five reads per leaf."""
        found = [
            dict(self._range(prefix, low, high)) for prefix in (b"l:", b"r:", b"s:", b"g:", b"t:")
        ]
        return [
            (
                found[0].get(index),
                found[1].get(index),
                found[2].get(index),
                found[3].get(index),
                found[4].get(index),
            )
            for index in range(low, high)
        ]

    def case_indices(self, case: str) -> list[int]:
        prefix = b"c:" + _case_key(case)
        return [
            int(_U64.unpack(key[len(prefix) :])[0])
            for key in self._db.iterator(prefix=prefix, include_value=False)
        ]

    def case_tail(self, case: str, limit: int, *, below: int | None = None) -> list[int]:
        """The indices of the last `limit` leaves of `case` (those below index `below`, if
        given), in leaf order. One reverse range scan of at most `limit` keys: what a
        request may afford, whatever the case's length."""
        prefix = b"c:" + _case_key(case)
        stop = prefix + b"\xff" * 9 if below is None else prefix + _u64(below)
        found: list[int] = []
        for key in self._db.iterator(start=prefix, stop=stop, reverse=True, include_value=False):
            if len(found) >= limit:
                break
            found.append(int(_U64.unpack(key[len(prefix) :])[0]))
        found.reverse()
        return found

    def cases(self) -> Iterator[str]:
        for key in self._db.iterator(prefix=b"h:", include_value=False):
            (length,) = struct.unpack(">H", key[2:4])
            yield key[4 : 4 + length].decode()

    # -- checkpoints -----------------------------------------------------------------------

    @property
    def checkpoint_count(self) -> int:
        return self._checkpoint_count

    def checkpoint(self, seq: int) -> Checkpoint:
        raw = self._db.get(b"k:" + _u64(seq))
        if raw is None:
            raise StoreError(f"no checkpoint {seq} (the log has {self._checkpoint_count})")
        return checkpoint_from_json(json.loads(raw))

    def latest_checkpoint(self) -> Checkpoint | None:
        if self._checkpoint_count == 0:
            return None
        return self.checkpoint(self._checkpoint_count - 1)

    def checkpoints(self) -> list[Checkpoint]:
        """Every checkpoint, in seq order: O(checkpoints), for the audit and reports, not
        for a request (`checkpoint_range`)."""
        return [
            checkpoint_from_json(json.loads(value)) for _, value in self._db.iterator(prefix=b"k:")
        ]

    def checkpoint_range(self, low: int, high: int) -> list[Checkpoint]:
        """The checkpoints with low <= seq < high, in seq order: one range scan."""
        scan = self._range(b"k:", low, high)
        return [checkpoint_from_json(json.loads(value)) for _, value in scan]

    def unsealed(self) -> tuple[int, datetime | None]:
        """How many records no checkpoint covers yet, and when the oldest was accepted."""
        with self._lock:
            latest = self.latest_checkpoint()
            size = self._size
        sealed = 0 if latest is None else latest.size
        if sealed == size:
            return 0, None
        envelope = json.loads(self._db.get(b"l:" + _u64(sealed)))
        accepted = datetime.fromisoformat(envelope["accepted_at"].replace("Z", "+00:00"))
        return size - sealed, accepted

    def seal(self, *, now: datetime | None = None) -> Checkpoint | None:
        """Append the seal leaf and record a checkpoint of the new size and root; None if
        nothing is new since the last checkpoint.

        The seal leaf (seal_leaf.py) commits to this checkpoint's `seq`, `sealed_at`, the
        log's anchor target and the case index updated with every case that changed since
        the last seal; it is the checkpoint's last leaf, so the checkpoint's `size` counts
        it. One synced batch: after a crash the seal is either whole or absent.
        """
        with self._lock:
            latest = self.latest_checkpoint()
            if self._size == 0 or (latest is not None and latest.size == self._size):
                return None
            seq = self._checkpoint_count
            sealed_at = utc_timestamp(now or datetime.now(UTC))
            index = self._size
            frontier = list(self._frontier)
            with self._writing(), self._db.write_batch(transaction=True, sync=True) as batch:
                cases_root = self._seal_case_index(batch, seq)
                leaf = SealLeaf(
                    seq=seq,
                    size=index + 1,
                    sealed_at=sealed_at,
                    cases=self._case_count,
                    cases_root=cases_root,
                    anchored_to=self._target,
                    signed=self._target is not None,
                ).to_bytes()
                batch.put(b"l:" + _u64(index), leaf)
                _put_leaf_nodes(batch.put, frontier, index, merkle.leaf_hash(leaf))
                checkpoint = Checkpoint(
                    seq=seq, size=index + 1, root=_fold_frontier(frontier), sealed_at=sealed_at
                )
                batch.put(b"k:" + _u64(seq), checkpoint.to_bytes())
                batch.put(_CHECKPOINTS, _u64(seq + 1))
                batch.put(_SIZE, _u64(index + 1))
            self._size = index + 1
            self._frontier = frontier
            self._checkpoint_count += 1
            self._changed_cases.clear()
            return checkpoint

    # -- the case index --------------------------------------------------------------------

    def _seal_case_index(self, batch: Any, seq: int) -> bytes:
        """Write the entries of every case changed since the last seal, and the case-index
        nodes they change, as versions of checkpoint `seq`; return the index's new root.

        Cost: O(changed cases · log cases) hashes and writes. A node (level, index) is
        complete once its last leaf exists, ((index + 1) << level) <= cases; only complete
        nodes are stored, as in the log's own tree, and the right edge is folded on reading.
        """
        cases = self._case_count
        fresh: dict[tuple[int, int], bytes] = {}
        changed: set[int] = set()
        for case_key in sorted(self._changed_cases):
            raw_state = self._db.get(b"h:" + case_key)
            if raw_state is None:
                raise StoreError(f"case {case_key[2:].decode()!r} changed but has no head")
            head, count, number = _CASE_STATE.unpack(raw_state)
            entry = CaseEntry(case_key[2:].decode(), head, count).to_bytes()
            batch.put(b"e:" + _u64(number) + _u64(seq), entry)
            fresh[(0, number)] = merkle.leaf_hash(entry)
            changed.add(number)
            batch.delete(_CHANGED + case_key)
        level = 0
        while changed:
            for position in changed:
                batch.put(_map_key(level, position) + _u64(seq), fresh[(level, position)])
            parents = {p >> 1 for p in changed if ((p >> 1) + 1) << (level + 1) <= cases}
            for parent in parents:
                fresh[(level + 1, parent)] = merkle.node_hash(
                    fresh.get((level, 2 * parent)) or self._map_node(level, 2 * parent),
                    fresh.get((level, 2 * parent + 1)) or self._map_node(level, 2 * parent + 1),
                )
            level, changed = level + 1, parents

        def read(node_level: int, node_index: int) -> bytes:
            return fresh.get((node_level, node_index)) or self._map_node(node_level, node_index)

        return merkle.root_from_nodes(read, cases)

    def _map_node(self, level: int, index: int, seq: int = _LAST_VERSION) -> bytes:
        """Case-index node (level, index) as of checkpoint `seq`: its latest version <= seq."""
        prefix = _map_key(level, index)
        for value in self._db.iterator(
            start=prefix, stop=prefix + _u64(seq + 1), reverse=True, include_key=False
        ):
            return bytes(value)
        raise StoreError(f"missing case-index node (level {level}, index {index}) at {seq}")

    def seal_leaf(self, seq: int) -> SealLeaf:
        """The seal leaf of checkpoint `seq` (its leaf `size - 1`)."""
        checkpoint = self.checkpoint(seq)
        raw = self._db.get(b"l:" + _u64(checkpoint.size - 1))
        if raw is None or not _is_seal_leaf(raw):
            raise StoreError(f"checkpoint {seq} has no seal leaf at {checkpoint.size - 1}")
        return seal_leaf_from_json(json.loads(raw))

    def case_index_proof(self, case: str, seq: int) -> CaseIndexProof | None:
        """`case`'s entry in checkpoint `seq`'s case index with its inclusion proof; None if
        the case has no record in that checkpoint. O(log cases) reads."""
        seal = self.seal_leaf(seq)
        raw_state = self._db.get(b"h:" + _case_key(case))
        if raw_state is None:
            return None
        number = _CASE_STATE.unpack(raw_state)[2]
        if number >= seal.cases:
            return None
        prefix = b"e:" + _u64(number)
        entry = None
        for value in self._db.iterator(
            start=prefix, stop=prefix + _u64(seq + 1), reverse=True, include_key=False
        ):
            entry = json.loads(value)
            break
        if entry is None:
            raise StoreError(f"case {case!r} has no case-index entry at checkpoint {seq}")
        proof = merkle.inclusion_proof_from_nodes(
            lambda level, index: self._map_node(level, index, seq), number, seal.cases
        )
        return CaseIndexProof(
            seq=seq,
            entry=CaseEntry(str(entry["case"]), int(entry["head"]), int(entry["count"])),
            number=number,
            cases=seal.cases,
            inclusion_proof=proof,
        )

    # -- the log's anchor target -----------------------------------------------------------

    @property
    def anchor_target(self) -> AnchorTarget | None:
        """Where this log anchors (its seal leaves commit to it), or None for a log-only log."""
        return self._target

    def bind_anchor_target(self, target: AnchorTarget) -> None:
        """Record where this log anchors; every later seal leaf commits to it.

        Binding is done once, before the first seal (`evanchor init` does it): checkpoints
        sealed before would commit to no target. Binding the same target again is a no-op.
        """
        with self._lock:
            if self._target == target:
                return
            if self._target is not None or self._checkpoint_count > 0:
                bound = "no target" if self._target is None else f"chain {self._target.chain_id}"
                raise StoreError(
                    f"this log is already sealed with {bound}; it cannot be bound to"
                    f" chain {target.chain_id}, contract {target.contract} now"
                )
            self.put_meta(_TARGET_META, {"anchored_to": target.as_json()})
            self._target = target

    # -- anchoring state -------------------------------------------------------------------

    def anchor_state(self, seq: int) -> dict[str, Any] | None:
        """The persisted anchoring state of checkpoint `seq`, or None if never touched."""
        raw = self._db.get(b"a:" + _u64(seq))
        if raw is None:
            return None
        state: dict[str, Any] = json.loads(raw)
        return state

    def put_anchor_state(self, seq: int, state: dict[str, Any]) -> None:
        """Durably record the anchoring state of checkpoint `seq` (synced before returning)."""
        if not 0 <= seq < self._checkpoint_count:
            raise StoreError(f"no checkpoint {seq} to record an anchoring state for")
        value = json.dumps(state, sort_keys=True).encode()
        self._write(lambda: self._db.put(b"a:" + _u64(seq), value, sync=True))

    def meta(self, name: str) -> dict[str, Any] | None:
        """A small JSON document the node keeps with its log (e.g. the log's chain identity)."""
        raw = self._db.get(b"x:" + name.encode())
        if raw is None:
            return None
        value: dict[str, Any] = json.loads(raw)
        return value

    def put_meta(self, name: str, value: dict[str, Any]) -> None:
        raw = json.dumps(value, sort_keys=True).encode()
        self._write(lambda: self._db.put(b"x:" + name.encode(), raw, sync=True))

    # -- signed checkpoints and cosignatures (PROTOCOL.md §10) -----------------------------

    def signed_checkpoint(self, seq: int) -> bytes | None:
        """Checkpoint `seq` as the log signed it (a C2SP note), None until it is signed."""
        raw = self._db.get(b"sn:" + _u64(seq))
        return None if raw is None else bytes(raw)

    def put_signed_checkpoint(self, seq: int, note: bytes) -> None:
        """Durably keep the signed note of checkpoint `seq` (synced). Requires it sealed."""
        if not 0 <= seq < self._checkpoint_count:
            raise StoreError(f"no checkpoint {seq} to keep a signed note for")
        self._write(lambda: self._db.put(b"sn:" + _u64(seq), note, sync=True))

    def cosignatures(self, seq: int) -> dict[str, str]:
        """Witness name -> cosignature line, for every cosignature kept for checkpoint `seq`."""
        prefix = b"cs:" + _u64(seq)
        return {
            key[len(prefix) :].decode(): bytes(value).decode()
            for key, value in self._db.iterator(prefix=prefix)
        }

    def cosigned_checkpoint(self, seq: int) -> bytes | None:
        """Checkpoint `seq`'s signed note followed by every cosignature line kept for it (in
        witness-name order): the note a verifier opens with the log's and witnesses' keys.
        None until the checkpoint is signed."""
        note = self.signed_checkpoint(seq)
        if note is None:
            return None
        lines = self.cosignatures(seq)
        return note + "".join(lines[name] for name in sorted(lines)).encode()

    def put_cosignature(self, seq: int, witness: str, line: str) -> None:
        """Durably keep a witness's cosignature line over checkpoint `seq` (synced); a later
        one of the same witness (a re-cosigning) replaces it."""
        if not 0 <= seq < self._checkpoint_count:
            raise StoreError(f"no checkpoint {seq} to keep a cosignature for")
        key = b"cs:" + _u64(seq) + witness.encode()
        self._write(lambda: self._db.put(key, line.encode(), sync=True))
