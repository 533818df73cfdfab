"""The log audit on every core: the per-leaf work in worker processes, the walk in order.

`audit_log` (audit.py) walks the log leaf by leaf in one process. Most of a leaf's cost
needs nothing but the leaf's own bytes: hashing it, parsing and canonical checks of the leaf
and of its record, the record's commitment and id, a shredding's completeness, and, with
an agency-signature check, recovering the signer (secp256k1, the costliest step). That part
(`audit.check_record_locally`, `audit.recover`) runs here in worker processes over chunks of
consecutive leaves. What depends on the leaves before it stays in this process, in leaf
order, through the same `audit.LeafWalk` the one-process audit uses: the record-id index lookup
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
from datetime import UTC, datetime
from typing import Any

from evanchor.anchor.log.audit import (
    TREE_READ_CHUNK,
    AuditReport,
    Discrepancy,
    LeafWalk,
    Recovered,
    RecoveringSignatureCheck,
    Resumed,
    ShreddedRecord,
    SignatureCheck,
    add_signature_problem,
    audit_tree,
    check_checkpoints,
    check_id_index,
    check_receipts,
    check_record_locally,
    check_tree_node,
    parse_stored_leaf,
    recover,
    signed_commitment,
)
from evanchor.anchor.log.audit_state import AuditState, LoadedState
from evanchor.anchor.log.parallel_ingest import start_pool
from evanchor.anchor.log.store import LogStore, Receipt, tombstone_from_json
from evanchor.anchor.protocol import merkle
from evanchor.anchor.protocol.checkpoint import Checkpoint
from evanchor.anchor.protocol.leaf import utc_timestamp
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
"""The leaf members `LeafWalk.check_links` reads (copied only if present, so `.get` defaults
behave as on the whole leaf)."""

_LeafOutcome = tuple[bytes, int, Any, list[Discrepancy], list[ShreddedRecord]]
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
            leaf = parse_stored_leaf(report, index, raw_leaf)
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
    """The walk in this process: each chunk's outcomes folded in, in leaf order; with
    `resume`, carried on from the audited state (its case index and acceptance time)."""

    def __init__(
        self,
        store: LogStore,
        report: AuditReport,
        signature_check: SignatureCheck | None,
        checkpoints: list[Checkpoint],
        resume: AuditState | None,
    ) -> None:
        self.store = store
        self.report = report
        self.walk = LeafWalk(store, report, signature_check)
        self.signature_check = signature_check
        self.seals = {c.size - 1: (position, c) for position, c in enumerate(checkpoints)}
        self.leaf_hashes: list[bytes] = []
        self.last_seal = checkpoints[-1].size - 1 if checkpoints else -1
        self.at_last_seal: tuple[tuple[tuple[str, int, int], ...], str, int] | None = None
        """(cases, last acceptance time, records present) as of the last checkpoint."""
        if resume is not None:
            cases = self.walk.cases
            for number, (case, head, count) in enumerate(resume.cases):
                cases.numbers[case] = number
                cases.heads[case] = (head, count)
            cases.mark_all_changed()
            cases.seal()
            self.walk.last_accepted = resume.last_accepted

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
                if index == self.last_seal:
                    self._keep_last_seal()
            elif code == _RECORD:
                links, found_id, step = payload
                if found_id is not None:
                    walk.check_record_id(index, found[found_id])
                walk.check_links(index, links)
                if step is not None:
                    self._signature(index, step)

    def _keep_last_seal(self) -> None:
        cases = self.walk.cases
        self.at_last_seal = (
            tuple((case, *cases.heads[case]) for case in cases.numbers),
            self.walk.last_accepted,
            self.walk.present_records,
        )

    def _signature(self, index: int, step: tuple[Any, ...]) -> None:
        check = self.signature_check
        assert check is not None
        if step[0] == "recovered":
            assert isinstance(check, RecoveringSignatureCheck)
            recovered: Recovered = step[1]
            add_signature_problem(self.report, index, check.judge(index, recovered))
        else:
            add_signature_problem(self.report, index, check(index, step[1], step[2]))


def audit_log_parallel(
    store: LogStore,
    *,
    workers: int,
    signature_check: SignatureCheck | None = None,
    receipts: Iterable[Receipt] = (),
    progress: ProgressCallback | None = None,
    pool: ProcessPoolExecutor | None = None,
    chunk_leaves: int = CHUNK_LEAVES,
    resume: LoadedState | None = None,
    keep_state: bool = False,
) -> AuditReport:
    """`audit_log(store, signature_check=..., receipts=...)`, its report exactly, with the
    per-leaf work on `workers` processes (`pool` if given, else one started and stopped
    here; `workers` = 1 does it all in this process).

    A `RecoveringSignatureCheck` has its signers recovered in the workers and judged here;
    any other `SignatureCheck` is called here for every record. Requires chunk_leaves >= 1.

    `resume`: an incremental audit from the state an earlier audit left (audit_state.py):
    only the leaves after its checkpoint are walked, and `report.resumed` says what was
    trusted. Receipts need a full audit (they may name any leaf). `keep_state`: the report
    carries the state at the log's last checkpoint (`report.next_state`) if the audit
    found nothing.
    """
    if workers < 1 or chunk_leaves < 1:
        raise ValueError("workers and chunk_leaves must be at least 1")
    receipts = list(receipts)
    if resume is not None and receipts:
        raise ValueError("receipts are checked by a full audit, not an incremental one")
    report = AuditReport()
    checkpoints = store.checkpoints()
    state = None if resume is None else resume.state
    first = 0
    if resume is not None and not _resumable(store, report, checkpoints, resume):
        report.resumed = _resumed(resume, None, None)
        return report
    if state is not None:
        first = state.size
    merge = _Merge(store, report, signature_check, checkpoints, state)
    _walk_leaves(store, merge, first, workers, pool, chunk_leaves, signature_check, progress)
    size = store.size
    report.count("leaves", size - first)
    report.count("cases", len(merge.walk.cases.numbers))
    present_before = 0
    frontier: list[bytes] = []
    if state is None:
        check_id_index(store, report, merge.walk.present_records)
        report.leaf_hashes = merge.leaf_hashes
        levels = audit_tree(store, report, merge.leaf_hashes)
        check_receipts(report, store, receipts)
        if report.ok:  # then the last checkpoint lies within the recomputed tree
            frontier = [levels[lv][ix] for lv, ix in merkle.complete_subtrees(merge.last_seal + 1)]
    else:
        assert resume is not None
        present_before = state.present_records - _check_old_shreddings(store, report, state)
        check_id_index(store, report, present_before + merge.walk.present_records)
        frontier = _audit_tree_resumed(store, report, state, checkpoints, merge.leaf_hashes)
        new = (state.seq + 1, len(checkpoints) - 1) if len(checkpoints) > state.seq + 1 else None
        report.resumed = _resumed(resume, (state.size, size), new)
    if keep_state and report.ok and checkpoints and merge.at_last_seal is not None:
        report.next_state = _next_state(store, report, checkpoints, frontier, merge, present_before)
    return report


def _walk_leaves(  # noqa: PLR0917 - one call site, each argument named there
    store: LogStore,
    merge: _Merge,
    first_leaf: int,
    workers: int,
    pool: ProcessPoolExecutor | None,
    chunk_leaves: int,
    signature_check: SignatureCheck | None,
    progress: ProgressCallback | None,
) -> None:
    """Leaves first_leaf .. size - 1 through `_check_chunk` (here or in the pool), folded
    into `merge` in leaf order."""
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
            progress(min(size, first + chunk_leaves) - first_leaf, size - first_leaf)

    if workers == 1 and pool is None:
        for start in range(first_leaf, size, chunk_leaves):
            first, entries, mine = task(start)
            walked(first, *_check_chunk(first, entries, mine, separator, carry))
        return
    executor = start_pool(workers) if pool is None else pool
    try:
        in_flight: deque[tuple[int, Future[tuple[list[_LeafOutcome], dict[str, int]]]]]
        in_flight = deque()
        for start in range(first_leaf, size, chunk_leaves):
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
        if pool is None:
            executor.shutdown(cancel_futures=True)


# -- resuming --------------------------------------------------------------------------


def _resumed(
    resume: LoadedState, leaves: tuple[int, int] | None, checkpoints: tuple[int, int] | None
) -> Resumed:
    """What an incremental audit trusted and what it re-read (None: nothing, the log no
    longer reaches the audited checkpoint)."""
    return Resumed(
        state_sha256=resume.sha256,
        audited_at=resume.state.audited_at,
        audited_checkpoint=resume.state.seq,
        audited_leaves=resume.state.size,
        checked_leaves=leaves,
        checked_checkpoints=checkpoints,
    )


def _resumable(
    store: LogStore, report: AuditReport, checkpoints: list[Checkpoint], resume: LoadedState
) -> bool:
    """The stored past against the audited state: every audited checkpoint still stored with
    its audited size and root, and the stored tree's complete subtrees at the audited size
    the audited ones. Each difference is a discrepancy; False if the log no longer reaches
    the audited checkpoint (nothing after it can then be resumed)."""
    state = resume.state
    audited = f"audited at {state.audited_at} (state file sha256 {resume.sha256})"
    for position, (size, root) in enumerate(state.checkpoints):
        if position >= len(checkpoints):
            report.add(
                "log shorter than audited",
                f"checkpoint {position}",
                f"{audited} with size {size}; the log now holds {len(checkpoints)} checkpoints",
            )
            return False
        stored = checkpoints[position]
        if (stored.size, stored.root) != (size, root):
            report.add(
                "checkpoint forged",
                f"checkpoint {position}",
                f"{audited} with size {size} and root {root.hex()}; the log now says size"
                f" {stored.size}, root {stored.root.hex()}",
            )
    if store.size < state.size:
        report.add(
            "log shorter than audited",
            "log",
            f"{audited} at {state.size} leaves; the log now holds {store.size}",
        )
        return False
    for (level, index), audited_hash in zip(
        merkle.complete_subtrees(state.size), state.frontier, strict=True
    ):
        stored_node = store.nodes(level, index, index + 1).get(index, b"")
        if stored_node != audited_hash:
            what = "leaf" if level == 0 else f"tree node ({level}, {index})"
            report.add(
                "tree altered",
                what if level else f"leaf {index}",
                f"{audited} as {audited_hash.hex()}, stored now as {stored_node.hex() or 'missing'}"
                " (proofs of the audited leaves no longer reach the audited root)",
            )
    for size, root in state.checkpoints:
        report.roots[size] = root
    return True


def _check_old_shreddings(store: LogStore, report: AuditReport, state: AuditState) -> int:
    """Shreddings of records below the audited size since the state was written: each must
    be complete (text and salt gone) and is listed; a tombstone the audit saw and that is
    gone is a discrepancy. Returns the shreddings that removed an id entry since."""
    now = store.tombstones(0, state.size)
    before = set(state.shredded)
    for index in sorted(before - set(now)):
        report.add(
            "shredding undone",
            f"leaf {index}",
            f"audited at {state.audited_at} as shredded; its tombstone is gone",
        )
    new = 0
    for index in sorted(set(now) - before):
        entry = store.raw_entry(index)
        leaf = json.loads(entry[0]) if entry[0] is not None else {}
        check_record_locally(report, index, leaf, entry, now[index])
        new += 1
    return new


def _audit_tree_resumed(
    store: LogStore,
    report: AuditReport,
    state: AuditState,
    checkpoints: list[Checkpoint],
    leaf_hashes: list[bytes],
) -> list[bytes]:
    """The new leaves folded onto the audited frontier: every complete subtree they finish
    against the stored node, and the new checkpoints' roots against the recomputation (so
    each new root extends the audited one). Returns the frontier at the last checkpoint."""
    frontier: list[tuple[int, bytes]] = list(
        zip(
            (level for level, _ in merkle.complete_subtrees(state.size)),
            state.frontier,
            strict=True,
        )
    )
    sizes = {c.size for c in checkpoints[state.seq + 1 :]}
    last = checkpoints[-1].size if checkpoints else 0
    roots: dict[int, bytes] = {}
    at_last: list[bytes] = [h for _, h in frontier]
    for low in range(0, len(leaf_hashes), TREE_READ_CHUNK):
        high = min(len(leaf_hashes), low + TREE_READ_CHUNK)
        stored_leaves = store.nodes(0, state.size + low, state.size + high)
        for offset in range(low, high):
            index = state.size + offset
            current = leaf_hashes[offset]
            check_tree_node(report, 0, index, stored_leaves.get(index, b""), current)
            level, position = 0, index
            while position & 1:
                current = merkle.node_hash(frontier.pop()[1], current)
                level += 1
                position >>= 1
                stored = store.nodes(level, position, position + 1).get(position, b"")
                check_tree_node(report, level, position, stored, current)
            frontier.append((level, current))
            if index + 1 in sizes:
                roots[index + 1] = _fold([h for _, h in frontier])
            if index + 1 == last:
                at_last = [h for _, h in frontier]
    check_checkpoints(
        report,
        list(enumerate(checkpoints))[state.seq + 1 :],
        store.size,
        roots.__getitem__,
        previous_size=state.size,
    )
    return at_last


def _fold(frontier: list[bytes]) -> bytes:
    if not frontier:
        return merkle.EMPTY_ROOT
    folded = frontier[-1]
    for node in reversed(frontier[:-1]):
        folded = merkle.node_hash(node, folded)
    return folded


def _next_state(  # noqa: PLR0917 - one call site
    store: LogStore,
    report: AuditReport,
    checkpoints: list[Checkpoint],
    frontier: list[bytes],
    merge: _Merge,
    present_before: int,
) -> AuditState:
    """The state at the last checkpoint; `present_before` counts the records present below
    the resumed-from size (0 for a full audit)."""
    assert merge.at_last_seal is not None
    cases, last_accepted, present = merge.at_last_seal
    last = checkpoints[-1]
    shredded = tuple(sorted(store.tombstones(0, last.size)))
    return AuditState(
        audited_at=utc_timestamp(datetime.now(UTC)),
        seq=last.seq,
        size=last.size,
        root=report.roots[last.size],
        checkpoints=tuple((c.size, report.roots[c.size]) for c in checkpoints),
        frontier=tuple(frontier),
        cases=cases,
        last_accepted=last_accepted,
        present_records=present_before + present,
        shredded=shredded,
    )
