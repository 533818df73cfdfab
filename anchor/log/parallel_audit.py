"""The log audit on every core: the per-leaf work in worker processes, the walk in order.

`audit_log` (audit.py) walks the log leaf by leaf in one process. Most of a leaf's cost
needs nothing but the leaf's own bytes: hashing it, parsing and canonical checks of the leaf
and of its record, the record's commitment and id, a shredding's completeness, and, with
an agency-signature check, recovering the signer (secp256k1, the costliest step). That part
(`audit.check_record_locally`, `audit.recover`) runs here in worker processes over chunks of
consecutive leaves. What depends on the leaves before it stays in this process, in leaf
order, through the same `audit._Walk` the one-process audit uses: the record-id index lookup
(LevelDB is held by this process alone), the case links and acceptance order, the seal
leaves with the case index, the registry's judgement of each recovered signer, then the tree
and the checkpoints.

The report is `audit_log`'s, exactly: the same discrepancies in the same order, the same
counts, shreddings, roots and leaf hashes (tests/audit/test_parallel_audit.py holds the two
to that, tampered logs included). This process reads each chunk with five range scans
(`LogStore.raw_entries`) while the workers check the chunks before it; a few chunks per
worker are in flight, so memory stays bounded whatever the log's size.

Progress: `progress(leaves_done, leaves)` is called as each chunk is walked; a caller (the
CLI) can show it, and long audits (a 10 M-leaf log takes many minutes) need it.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from evanchor.anchor.log.audit import (
    AuditReport,
    Discrepancy,
    Recovered,
    RecoveringSignatureCheck,
    SignatureCheck,
    _add_signature_problem,
    _audit_tree,
    _check_id_index,
    _parsed_leaf,
    _Walk,
    check_receipts,
    check_record_locally,
    recover,
    signed_commitment,
)
from evanchor.anchor.log.parallel_ingest import start_pool
from evanchor.anchor.log.store import LogStore, Receipt, tombstone_from_json
from evanchor.anchor.protocol import merkle
from evanchor.anchor.protocol.seal_leaf import SEAL_KIND

CHUNK_LEAVES = 2048
"""Leaves per task: ~0.2 s of work for a worker, ~1 MiB of entries; large enough that a
task's pickling round trip is noise, small enough that the chunks in flight stay small."""

CHUNKS_IN_FLIGHT_PER_WORKER = 3
"""Tasks queued per worker, so that no worker waits while this process reads and walks."""

ProgressCallback = Callable[[int, int], None]
"""(leaves walked so far, leaves in the log)."""

_StoredEntry = tuple[bytes | None, bytes | None, bytes | None, bytes | None, bytes | None]

# What a worker says of each leaf, by code.
_GONE = 0  # the leaf is gone; no payload
_UNREADABLE = 1  # the leaf is not canonical JSON; no payload
_SEAL = 2  # where a checkpoint ends; payload: the parsed leaf
_STRAY_SEAL = 3  # a seal leaf where no checkpoint ends; no payload
_RECORD = 4  # payload: (what check_links reads, record id or None, signature step)

_LINK_MEMBERS = ("case", "prev", "accepted_at")
"""The leaf members `_Walk.check_links` reads (copied only if present, so `.get` defaults
behave as on the whole leaf)."""

_LeafOutcome = tuple[bytes, int, Any, list[Discrepancy], list[dict[str, Any]]]
"""(leaf hash, code, payload, discrepancies found locally, shreddings listed)."""


def _signature_step(
    leaf: dict[str, Any], signature: bytes | None, separator: bytes | None, carry: bool
) -> tuple[Any, ...] | None:
    """The signature's part of a record leaf's payload: ("recovered", Recovered) when the
    worker recovered the signer, ("raw", commitment, signature) when the auditing process
    must call the check itself, None when there is nothing to check."""
    if separator is None and not carry:
        return None
    commitment = signed_commitment(leaf)
    if commitment is None:
        return None
    if separator is not None:
        return ("recovered", recover(separator, commitment, signature))
    return ("raw", commitment, signature)


def _check_chunk(
    first: int,
    entries: Sequence[_StoredEntry],
    seal_positions: frozenset[int],
    separator: bytes | None,
    carry_signatures: bool,
) -> tuple[list[_LeafOutcome], dict[str, int]]:
    """In a worker: each leaf of the chunk starting at `first`, as far as it shows alone."""
    report = AuditReport()
    outcomes: list[_LeafOutcome] = []
    for offset, (raw_leaf, canonical, salt, signature, raw_tombstone) in enumerate(entries):
        index = first + offset
        marks = len(report.discrepancies), len(report.shredded)
        code: int
        payload: Any = None
        leaf_hash = b"\x00" * 32
        if raw_leaf is None:
            report.add("record missing", f"leaf {index}", "the leaf is gone from the store")
            code = _GONE
        else:
            leaf_hash = merkle.leaf_hash(raw_leaf)
            leaf = _parsed_leaf(report, index, raw_leaf)
            if leaf is None:
                code = _UNREADABLE
            elif index in seal_positions:
                code, payload = _SEAL, leaf
            elif leaf.get("kind") == SEAL_KIND:
                report.add("leaf altered", f"leaf {index}", "a seal leaf where no checkpoint ends")
                code = _STRAY_SEAL
            else:
                tombstone = (
                    None
                    if raw_tombstone is None
                    else tombstone_from_json(json.loads(raw_tombstone))
                )
                found_id = check_record_locally(
                    report, index, leaf, (raw_leaf, canonical, salt, signature), tombstone
                )
                links = {name: leaf[name] for name in _LINK_MEMBERS if name in leaf}
                step = _signature_step(leaf, signature, separator, carry_signatures)
                code, payload = _RECORD, (links, found_id, step)
        outcomes.append(
            (
                leaf_hash,
                code,
                payload,
                report.discrepancies[marks[0] :],
                report.shredded[marks[1] :],
            )
        )
    return outcomes, report.counts


class _Merge:
    """The walk in this process: each chunk's outcomes folded in, in leaf order."""

    def __init__(
        self, store: LogStore, report: AuditReport, signature_check: SignatureCheck | None
    ) -> None:
        self.store = store
        self.report = report
        self.walk = _Walk(store, report, signature_check)
        self.signature_check = signature_check
        self.seals = {c.size - 1: (position, c) for position, c in enumerate(store.checkpoints())}
        self.leaf_hashes: list[bytes] = []

    def chunk(self, first: int, outcomes: list[_LeafOutcome], counts: dict[str, int]) -> None:
        report, walk = self.report, self.walk
        for name, value in counts.items():
            report.count(name, value)
        ids = sorted(
            {o[2][1] for o in outcomes if o[1] == _RECORD and o[2][1] is not None}
        )  # looked up in key order: neighbouring ids share table blocks
        found = {record_id: self.store.index_of(record_id) for record_id in ids}
        for offset, (leaf_hash, code, payload, local, shredded) in enumerate(outcomes):
            index = first + offset
            self.leaf_hashes.append(leaf_hash)
            report.discrepancies.extend(local)
            report.shredded.extend(shredded)
            if code == _SEAL:
                position, checkpoint = self.seals[index]
                if payload.get("kind") != SEAL_KIND:
                    report.add(
                        "seal leaf missing",
                        f"checkpoint {checkpoint.seq} (leaf {index})",
                        "the checkpoint's last leaf is not a seal leaf",
                    )
                walk.seal_leaf(index, payload, position, checkpoint)
            elif code == _RECORD:
                links, found_id, step = payload
                if found_id is not None:
                    walk.check_record_id(index, found[found_id])
                walk.check_links(index, links)
                if step is not None:
                    self._signature(index, step)

    def _signature(self, index: int, step: tuple[Any, ...]) -> None:
        check = self.signature_check
        assert check is not None
        if step[0] == "recovered":
            assert isinstance(check, RecoveringSignatureCheck)
            recovered: Recovered = step[1]
            _add_signature_problem(self.report, index, check.judge(index, recovered))
        else:
            _add_signature_problem(self.report, index, check(index, step[1], step[2]))


def audit_log_parallel(
    store: LogStore,
    *,
    workers: int,
    signature_check: SignatureCheck | None = None,
    receipts: Iterable[Receipt] = (),
    progress: ProgressCallback | None = None,
    pool: ProcessPoolExecutor | None = None,
    chunk_leaves: int = CHUNK_LEAVES,
) -> AuditReport:
    """`audit_log(store, signature_check=..., receipts=...)`, its report exactly, with the
    per-leaf work on `workers` processes (`pool` if given, else one started and stopped
    here; `workers` = 1 does it all in this process).

    A `RecoveringSignatureCheck` has its signers recovered in the workers and judged here;
    any other `SignatureCheck` is called here for every record. Requires chunk_leaves >= 1.
    """
    if workers < 1 or chunk_leaves < 1:
        raise ValueError("workers and chunk_leaves must be at least 1")
    report = AuditReport()
    merge = _Merge(store, report, signature_check)
    separator = (
        signature_check.domain_separator
        if isinstance(signature_check, RecoveringSignatureCheck)
        else None
    )
    carry = signature_check is not None and separator is None
    size = store.size
    seal_positions = frozenset(merge.seals)

    def task(first: int) -> tuple[int, Sequence[_StoredEntry], frozenset[int]]:
        last = min(size, first + chunk_leaves)
        mine = frozenset(i for i in range(first, last) if i in seal_positions)
        return first, store.raw_entries(first, last), mine

    def walked(first: int, outcomes: list[_LeafOutcome], counts: dict[str, int]) -> None:
        merge.chunk(first, outcomes, counts)
        if progress is not None:
            progress(min(size, first + chunk_leaves), size)

    if workers == 1 and pool is None:
        for start in range(0, size, chunk_leaves):
            first, entries, mine = task(start)
            walked(first, *_check_chunk(first, entries, mine, separator, carry))
    else:
        own = pool is None
        executor = start_pool(workers) if pool is None else pool
        try:
            in_flight: deque[tuple[int, Future[tuple[list[_LeafOutcome], dict[str, int]]]]]
            in_flight = deque()
            for start in range(0, size, chunk_leaves):
                first, entries, mine = task(start)
                in_flight.append(
                    (first, executor.submit(_check_chunk, first, entries, mine, separator, carry))
                )
                if len(in_flight) >= workers * CHUNKS_IN_FLIGHT_PER_WORKER:
                    done_first, future = in_flight.popleft()
                    walked(done_first, *future.result())
            while in_flight:
                done_first, future = in_flight.popleft()
                walked(done_first, *future.result())
        finally:
            if own:
                executor.shutdown(cancel_futures=True)
    _check_id_index(store, report, merge.walk.present_records)
    report.count("leaves", size)
    report.count("cases", len(merge.walk.cases.numbers))
    report.leaf_hashes = merge.leaf_hashes
    _audit_tree(store, report, merge.leaf_hashes)
    check_receipts(report, store, receipts)
    return report
