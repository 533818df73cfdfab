"""Auditing a log from its raw contents: recompute everything, name every discrepancy.

`audit_log` re-derives, from the stored leaves, records and salts alone: every leaf hash,
every complete-subtree node, every checkpoint root, every record's canonical bytes and
commitment, every record id, every case's chain of links, and every checkpoint's seal leaf
with its case index. It compares each with what the log stores and reports each mismatch
as a named `Discrepancy` — it does not stop at the first. A shredded record (its tombstone,
no text, no salt, no id) is listed, not reported; any other absence is a discrepancy, so a
shredding cannot be faked to hide an edit. The chain side (anchored checkpoints, writer and
agency authorisation) is `anchor/ethereum/audit.py`, which feeds on the roots this module
recomputes.

Receipts (`check_receipts`): the log alone cannot show that it lost acknowledged records — a
log that lost its tail and took new records at the same indices is consistent in itself. The
receipts the node handed out (record id, index, leaf hash) can: each must still name its
record's leaf at its index. Agencies keep their receipts; the audit takes them as a file.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import rfc8785

from evanchor.anchor.errors import EvanchorError
from evanchor.anchor.log.audit_state import AuditState
from evanchor.anchor.log.store import LogStore, Receipt, Tombstone, receipt_from_json
from evanchor.anchor.protocol import merkle
from evanchor.anchor.protocol.errors import InputError
from evanchor.anchor.protocol.records import parse_record, record_agency, record_case_key
from evanchor.anchor.protocol.seal_leaf import SEAL_KIND, CaseEntry, SealLeaf
from evanchor.anchor.protocol.signing import SignatureInvalid, recover_signer

SignatureProblem = str | tuple[str, str]
"""A detail (reported as "signature invalid"), or (kind, detail) to name the problem."""
SignatureCheck = Callable[[int, bytes, bytes | None], SignatureProblem | None]
"""(leaf index, commitment, signature or None) -> a problem, or None when it checks out."""

_COMMITMENT_TAG = b"evanchor/v1/commitment\x00"
_RECORD_ID_TAG = b"evanchor/v1/record-id\x00"


@dataclass(frozen=True)
class Discrepancy:
    kind: str
    where: str
    detail: str

    def __str__(self) -> str:
        return f"{self.where}: {self.kind}: {self.detail}"

    def as_json(self) -> dict[str, str]:
        return {"kind": self.kind, "where": self.where, "detail": self.detail}


@dataclass(frozen=True)
class ShreddedRecord:
    """A complete shredding found by the audit: the leaf, and its tombstone's time and reason
    (the node's claims, not checked: the text they would be checked against is gone)."""

    leaf: int
    shredded_at: str
    reason: str

    def as_json(self) -> dict[str, int | str]:
        return {"leaf": self.leaf, "shredded_at": self.shredded_at, "reason": self.reason}


@dataclass(frozen=True)
class Resumed:
    """What an incremental audit trusted from its state file (audit_state.py) and what it
    re-read: `checked_leaves` (first, end) and `checked_checkpoints` (first, last) are None
    when the log no longer reaches the audited checkpoint (nothing after it was checked),
    and `checked_checkpoints` alone when no checkpoint was sealed since."""

    state_sha256: str
    audited_at: str
    audited_checkpoint: int
    audited_leaves: int
    checked_leaves: tuple[int, int] | None
    checked_checkpoints: tuple[int, int] | None

    def as_json(self) -> dict[str, object]:
        return {
            "state_sha256": self.state_sha256,
            "audited_at": self.audited_at,
            "audited_checkpoint": self.audited_checkpoint,
            "audited_leaves": self.audited_leaves,
            "checked_leaves": None if self.checked_leaves is None else list(self.checked_leaves),
            "checked_checkpoints": (
                None if self.checked_checkpoints is None else list(self.checked_checkpoints)
            ),
        }


@dataclass
class AuditReport:
    counts: dict[str, int] = field(default_factory=dict)
    discrepancies: list[Discrepancy] = field(default_factory=list)
    roots: dict[int, bytes] = field(default_factory=dict)
    """Recomputed root at every checkpoint size (for the chain side of the audit)."""
    leaf_hashes: list[bytes] = field(default_factory=list, repr=False)
    """Every leaf hash recomputed from the stored leaf (32 zero bytes where it is gone)."""
    shredded: list[ShreddedRecord] = field(default_factory=list)
    """Every complete shredding (the node's claims); not discrepancies, listed so an auditor
    sees what was erased and why."""
    resumed: Resumed | None = None
    """For an incremental audit (parallel_audit.py): what it trusted from the state file
    and which leaves it re-read; None for a full audit."""
    next_state: AuditState | None = field(default=None, repr=False)
    """The log's audited state at its last checkpoint, for the next incremental audit
    (`audit_log_parallel(keep_state=True)`); None if not asked for, or the audit failed."""

    @property
    def ok(self) -> bool:
        return not self.discrepancies

    def add(self, kind: str, where: str, detail: str) -> None:
        self.discrepancies.append(Discrepancy(kind, where, detail))

    def count(self, name: str, by: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + by

    def root_at(self, size: int) -> bytes:
        """The root of the first `size` recomputed leaves. Requires 0 <= size <= leaves."""
        if size in self.roots:
            return self.roots[size]
        if self.resumed is not None:
            raise ValueError(f"size {size} is no checkpoint's: an incremental audit cannot tell")
        if not 0 <= size <= len(self.leaf_hashes):
            raise ValueError(f"size {size} is beyond the {len(self.leaf_hashes)} leaves audited")
        return merkle.root_hash(self.leaf_hashes[:size])

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "counts": dict(sorted(self.counts.items())),
            "discrepancies": [d.as_json() for d in self.discrepancies],
            "shredded": [s.as_json() for s in self.shredded],
            **({} if self.resumed is None else {"resumed": self.resumed.as_json()}),
        }


def _check_record(
    report: AuditReport, index: int, leaf: dict[str, Any], canonical: bytes, salt: bytes | None
) -> None:
    where = f"leaf {index}"
    try:
        obj = json.loads(canonical)
        record = parse_record(obj)
    except (ValueError, EvanchorError) as error:
        report.add("record altered", where, f"stored record is not a valid record ({error})")
        return
    if rfc8785.dumps(obj) != canonical:
        report.add("record altered", where, "stored record bytes are not canonical")
    if salt is not None:
        computed = sha256(_COMMITMENT_TAG + salt + canonical).hexdigest()
        if computed != leaf.get("commitment"):
            report.add(
                "record altered",
                where,
                f"record and salt commit to {computed}, the leaf to {leaf.get('commitment')}",
            )
    for name, value in (
        ("kind", record.kind),
        ("agency", record_agency(record)),
        ("case", record_case_key(record)),
    ):
        if leaf.get(name) != value:
            report.add("record altered", where, f"leaf {name} {leaf.get(name)!r}, record {value!r}")


def signed_commitment(leaf: dict[str, Any]) -> bytes | None:
    """The commitment a record's signature is over, or None when the leaf's commitment is
    not 64 hex digits (the record check has named that, and no signature can be checked)."""
    value = leaf.get("commitment")
    try:
        return bytes.fromhex(value) if isinstance(value, str) and len(value) == 64 else None
    except ValueError:
        return None


def add_signature_problem(
    report: AuditReport, index: int, problem: SignatureProblem | None
) -> None:
    """Count one checked signature of leaf `index` and name its problem, if any."""
    report.count("signatures checked")
    if isinstance(problem, str):
        report.add("signature invalid", f"leaf {index}", problem)
    elif problem is not None:
        report.add(problem[0], f"leaf {index}", problem[1])


def _check_signature(
    report: AuditReport,
    index: int,
    leaf: dict[str, Any],
    signature: bytes | None,
    signature_check: SignatureCheck,
) -> None:
    """The agency signature over the leaf's commitment, as `signature_check` judges it."""
    commitment = signed_commitment(leaf)
    if commitment is None:
        return
    add_signature_problem(report, index, signature_check(index, commitment, signature))


Recovered = str | tuple[str, str]
"""A recovered signer's checksummed address, or (kind, detail) saying why there is none."""


def recover(domain_separator: bytes, commitment: bytes, signature: bytes | None) -> Recovered:
    """The signer of `commitment` under the signing domain, or why none can be recovered:
    the costly half of a `RecoveringSignatureCheck`, which needs nothing but data and so
    runs in worker processes (parallel_audit.py)."""
    if signature is None:
        return ("signature missing", "the record carries no agency signature")
    try:
        return recover_signer(domain_separator, commitment, signature)
    except SignatureInvalid as error:
        return ("signature invalid", str(error))


@runtime_checkable
class RecoveringSignatureCheck(Protocol):
    """A `SignatureCheck` in two halves: `recover` under `domain_separator` (pure, for any
    process), then `judge` of the recovered signer (the registry, in the auditing process).
    Calling it must equal `judge(index, recover(domain_separator, commitment, signature))`.
    """

    @property
    def domain_separator(self) -> bytes: ...

    def judge(self, index: int, recovered: Recovered) -> SignatureProblem | None: ...

    def __call__(
        self, index: int, commitment: bytes, signature: bytes | None
    ) -> SignatureProblem | None: ...


class _CaseIndex:
    """The case index recomputed as the audit walks the log, plainly and in memory: the
    complete-subtree hashes of an RFC 9162 tree over one entry per case, in the order the
    cases first appear; changed entries are rehashed at each seal leaf, O(log cases) each.
    Independent of the store's versioned index on purpose: it is what that one is held to.
    """

    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}
        self.levels: list[list[bytes]] = [[]]
        self.heads: dict[str, tuple[int, int]] = {}
        self._changed: set[str] = set()

    def add_record(self, case: str, index: int) -> None:
        self.numbers.setdefault(case, len(self.numbers))
        self.heads[case] = (index, self.heads.get(case, (0, 0))[1] + 1)
        self._changed.add(case)

    def mark_all_changed(self) -> None:
        """Every case to be (re)hashed at the next seal: how a case index restored from its
        entries (an incremental audit's state) rebuilds its tree."""
        self._changed = set(self.numbers)

    def seal(self) -> bytes:
        """Fold the changes since the last seal in; the index's root."""
        for case in sorted(self._changed, key=self.numbers.__getitem__):
            head, count = self.heads[case]
            self._set(self.numbers[case], merkle.leaf_hash(CaseEntry(case, head, count).to_bytes()))
        self._changed.clear()
        return merkle.root_from_nodes(lambda level, i: self.levels[level][i], len(self.levels[0]))

    def _set(self, position: int, value: bytes) -> None:
        level = 0
        while True:
            nodes = self.levels[level]
            if position == len(nodes):
                nodes.append(value)
            else:
                nodes[position] = value
            left = position & ~1
            if left + 1 >= len(nodes):  # no right sibling yet: the parent is not complete
                return
            value = merkle.node_hash(nodes[left], nodes[left + 1])
            position >>= 1
            level += 1
            if level == len(self.levels):
                self.levels.append([])


@dataclass
class LeafWalk:
    """What the audit carries from leaf to leaf."""

    store: LogStore
    report: AuditReport
    signature_check: SignatureCheck | None
    cases: _CaseIndex = field(default_factory=_CaseIndex)
    last_accepted: str = ""
    present_records: int = 0

    def record_leaf(self, index: int, leaf: dict[str, Any], entry: _RawEntry) -> None:
        found_id = check_record_locally(
            self.report, index, leaf, entry, self.store.tombstone(index)
        )
        if found_id is not None:
            self.check_record_id(index, self.store.index_of(found_id))
        self.check_links(index, leaf)
        if self.signature_check is not None:
            _check_signature(self.report, index, leaf, entry[3], self.signature_check)

    def check_record_id(self, index: int, found: int | None) -> None:
        """The record id index, looked up for the record at `index`, points back at it."""
        if found is None:
            self.report.add(
                "index altered",
                f"leaf {index}",
                "the record id of its stored text is not in the record-id index (which"
                " should point it at this leaf): the record cannot be found by its id",
            )
        elif found != index:
            self.report.add(
                "index altered",
                f"leaf {index}",
                f"its record id points at leaf {found} in the record-id index, not at this leaf",
            )
        else:
            self.present_records += 1

    def check_links(self, index: int, leaf: dict[str, Any]) -> None:
        report, where = self.report, f"leaf {index}"
        case = leaf.get("case")
        expected_prev = None
        if isinstance(case, str) and case in self.cases.heads:
            expected_prev = self.cases.heads[case][0]
        if leaf.get("prev") != expected_prev:
            report.add(
                "case chain broken",
                where,
                f"links to {leaf.get('prev')!r} but the previous leaf of case {case!r} is"
                f" {expected_prev!r} (a record was dropped, inserted or reordered)",
            )
        if isinstance(case, str):
            self.cases.add_record(case, index)
        accepted = str(leaf.get("accepted_at", ""))
        if accepted < self.last_accepted:
            report.add(
                "order broken",
                where,
                f"accepted at {accepted}, before an earlier leaf ({self.last_accepted})",
            )
        self.last_accepted = max(self.last_accepted, accepted)

    def seal_leaf(self, index: int, leaf: dict[str, Any], position: int, checkpoint: Any) -> None:
        """The checkpoint's last leaf, against the seal leaf recomputed from the log."""
        report = self.report
        report.count("seal leaves")
        target = self.store.anchor_target
        expected = SealLeaf(
            seq=position,
            size=index + 1,
            sealed_at=checkpoint.sealed_at,
            cases=len(self.cases.numbers),
            cases_root=self.cases.seal(),
            anchored_to=target,
            signed=target is not None,
        ).as_json()
        where = f"checkpoint {checkpoint.seq} (leaf {index})"
        for key in sorted(set(expected) | set(leaf)):
            found, want = leaf.get(key, "(missing)"), expected.get(key, "(no such member)")
            if found != want:
                kind = "case index forged" if key in ("cases", "cases_root") else "seal leaf forged"
                report.add(kind, where, f"seal leaf {key} is {found!r}, the log gives {want!r}")


_RawEntry = tuple[bytes | None, bytes | None, bytes | None, bytes | None]


def check_record_locally(
    report: AuditReport,
    index: int,
    leaf: dict[str, Any],
    entry: _RawEntry,
    tombstone: Tombstone | None,
) -> bytes | None:
    """What a record leaf shows on its own: a complete shredding (listed) or an incomplete
    one, a missing record, and the record against its leaf (`_check_record`). Returns the
    record id of the text stored, for the caller to look up in the id index; None when no
    text is stored. Needs nothing of the leaves around it (parallel_audit.py runs it in
    worker processes).
    """
    where = f"leaf {index}"
    _, canonical, salt, _ = entry
    if tombstone is not None:
        if canonical is not None or salt is not None:
            kept = " and ".join(
                name for name, value in (("text", canonical), ("salt", salt)) if value
            )
            report.add(
                "shredding incomplete",
                where,
                f"a tombstone says the record was shredded at {tombstone.shredded_at}, but"
                f" its {kept} is still stored",
            )
        else:
            report.count("records shredded")
            report.shredded.append(ShreddedRecord(index, tombstone.shredded_at, tombstone.reason))
    if canonical is None:
        if tombstone is None:
            report.add(
                "record missing",
                where,
                "the record is gone; only its leaf remains, and no tombstone says it was shredded",
            )
        return None
    report.count("records checked")
    if salt is None and tombstone is None:
        report.add(
            "record altered",
            where,
            "its salt is gone but its text is still stored, and no tombstone says it"
            " was shredded (a shredding deletes both): the text cannot be shown to be"
            " the committed one",
        )
    _check_record(report, index, leaf, canonical, salt)
    return sha256(_RECORD_ID_TAG + canonical).digest()


def parse_stored_leaf(report: AuditReport, index: int, raw_leaf: bytes) -> dict[str, Any] | None:
    """Leaf `index` as stored, parsed; None (and a "leaf altered" discrepancy) when it is
    not canonical JSON of an object."""
    try:
        leaf = json.loads(raw_leaf)
        if not isinstance(leaf, dict):
            raise ValueError("not a JSON object")
        if rfc8785.dumps(leaf) != raw_leaf:
            raise ValueError("not canonical")
    except ValueError as error:
        report.add("leaf altered", f"leaf {index}", f"stored leaf is not canonical JSON ({error})")
        return None
    return leaf


AuditProgress = Callable[[int, int], None]
"""Told `(leaves_done, leaves)` as the log check walks the log (a progress display)."""
PROGRESS_EVERY_LEAVES = 4096


def audit_log(
    store: LogStore,
    *,
    signature_check: SignatureCheck | None = None,
    receipts: Iterable[Receipt] = (),
    progress: AuditProgress | None = None,
) -> AuditReport:
    """Recompute the whole log from its leaves and records; report every discrepancy,
    including every one of `receipts` that the log no longer honours (`check_receipts`).

    Record leaves: the record, its salt, commitment, id and case link, or a complete
    shredding (tombstone, no text, no salt). Seal leaves, at every checkpoint's last index:
    seq, size, time, anchor target and the case index, recomputed. Then the tree and the
    checkpoints' roots. Memory: one hash per leaf and per case. `progress`, if given, is
    told the leaves walked every `PROGRESS_EVERY_LEAVES` leaves and at the end.
    """
    report = AuditReport()
    size = store.size
    leaf_hashes: list[bytes] = []
    walk = LeafWalk(store, report, signature_check)
    seals = {c.size - 1: (position, c) for position, c in enumerate(store.checkpoints())}
    for index in range(size):
        if progress is not None and index % PROGRESS_EVERY_LEAVES == 0:
            progress(index, size)
        entry = store.raw_entry(index)
        raw_leaf = entry[0]
        if raw_leaf is None:
            report.add("record missing", f"leaf {index}", "the leaf is gone from the store")
            leaf_hashes.append(b"\x00" * 32)
            continue
        leaf_hashes.append(merkle.leaf_hash(raw_leaf))
        leaf = parse_stored_leaf(report, index, raw_leaf)
        if leaf is None:
            continue
        if index in seals:
            if leaf.get("kind") != SEAL_KIND:
                report.add(
                    "seal leaf missing",
                    f"checkpoint {seals[index][1].seq} (leaf {index})",
                    "the checkpoint's last leaf is not a seal leaf",
                )
            walk.seal_leaf(index, leaf, *seals[index])
        elif leaf.get("kind") == SEAL_KIND:
            report.add("leaf altered", f"leaf {index}", "a seal leaf where no checkpoint ends")
        else:
            walk.record_leaf(index, leaf, entry)
    if progress is not None:
        progress(size, size)
    check_id_index(store, report, walk.present_records)
    report.count("leaves", size)
    report.count("cases", len(walk.cases.numbers))
    report.leaf_hashes = leaf_hashes
    audit_tree(store, report, leaf_hashes)
    check_receipts(report, store, receipts)
    return report


def check_id_index(store: LogStore, report: AuditReport, present: int) -> None:
    """Every record id entry belongs to a record in the log: each present record was found
    through its own id (so `present` entries are accounted for), and no other remains (a
    stale entry would make a record id look present: one a shredding should have
    deleted, or one pointing at a record whose text was replaced)."""
    entries = store.record_id_count()
    if entries != present:
        report.add(
            "index altered",
            "record id index",
            f"{entries} record id entries, {present} records found through their own id:"
            f" {entries - present} entries point at no record of theirs",
        )


def check_receipts(report: AuditReport, store: LogStore, receipts: Iterable[Receipt]) -> None:
    """Each receipt against the log: its record's leaf is still at its index.

    Requires `report.leaf_hashes` to be the recomputed leaf hashes (`audit_log` fills them),
    so a receipt is held against the leaves as stored, not against the stored tree. A
    duplicate receipt names the original index, and is checked the same way.
    """
    leaf_hashes = report.leaf_hashes
    for receipt in receipts:
        report.count("receipts checked")
        where = f"receipt of record {receipt.record_id.hex()}"
        promised = f"acknowledged at leaf {receipt.index} with leaf hash {receipt.leaf_hash.hex()}"
        found = store.index_of(receipt.record_id)
        now = "the record is not in the log" if found is None else f"the record is at leaf {found}"
        if receipt.index >= len(leaf_hashes):
            report.add(
                "receipt broken",
                where,
                f"{promised}, but the log has {len(leaf_hashes)} leaves; {now}",
            )
        elif leaf_hashes[receipt.index] != receipt.leaf_hash:
            report.add(
                "receipt broken",
                where,
                f"{promised}, but leaf {receipt.index} hashes to"
                f" {leaf_hashes[receipt.index].hex()}{_holder(store, receipt.index)}; {now}",
            )
        elif found is None and store.tombstone(receipt.index) is not None:
            report.count("receipts of shredded records")  # the leaf kept, the id deleted
        elif found != receipt.index:
            report.add("receipt broken", where, f"{promised}, but {now}")


def _holder(store: LogStore, index: int) -> str:
    """ " (record <id>)" for the record stored at `index`, if its bytes are there."""
    _, canonical, _, _ = store.raw_entry(index)
    if canonical is None:
        return ""
    return f" (record {sha256(_RECORD_ID_TAG + canonical).hexdigest()})"


class ReceiptsFileInvalid(InputError):
    """A receipts file holds something that is not a receipt."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason

    def detail(self) -> str:
        return self.reason


def read_receipts(path: Path) -> list[Receipt]:
    """The receipts in `path`: what `evanchor submit --json` prints or `POST /v1/records`
    answers (`{"receipts": [...]}`), a JSON array of receipts, or JSON Lines of either.

    Raises `ReceiptsFileInvalid` naming the line (JSON Lines) or item at fault.
    """
    text = path.read_text(encoding="utf-8")
    documents: Iterator[tuple[int | None, Any]]
    try:
        documents = iter([(None, json.loads(text))])
    except ValueError:
        documents = (
            (number, _parse_line(line, number, path.name))
            for number, line in enumerate(text.splitlines(), start=1)
            if line.strip()
        )
    receipts: list[Receipt] = []
    for line, document in documents:
        items = document.get("receipts") if isinstance(document, dict) else document
        if isinstance(document, dict) and items is None:
            items = [document]
        if not isinstance(items, list):
            raise ReceiptsFileInvalid("expected receipts").located(source=path.name, line=line)
        for position, item in enumerate(items, start=1):
            try:
                receipts.append(_receipt(item))
            except (KeyError, TypeError, ValueError) as error:
                raise ReceiptsFileInvalid(f"not a receipt ({error!r})").located(
                    source=path.name, line=line, item=position
                ) from None
    return receipts


def _parse_line(line: str, number: int, source: str) -> Any:
    try:
        return json.loads(line)
    except ValueError as error:
        raise ReceiptsFileInvalid(f"malformed JSON ({error})").located(
            source=source, line=number
        ) from None


def _receipt(item: Any) -> Receipt:
    receipt = receipt_from_json(item)
    if len(receipt.record_id) != 32 or len(receipt.leaf_hash) != 32 or receipt.index < 0:
        raise ValueError("record_id and leaf_hash must be 64 hex digits, index >= 0")
    return receipt


TREE_READ_CHUNK = 65_536
"""Stored tree nodes read per range scan: a scan is many times faster than one read per
node, and a chunk bounds what is held at once (2 MiB of hashes)."""


def check_tree_node(
    report: AuditReport, level: int, index: int, stored: bytes, expected: bytes
) -> None:
    """A stored tree node (level 0: a leaf hash) against its recomputed hash."""
    if stored != expected:
        what = "leaf" if level == 0 else f"tree node ({level}, {index})"
        report.add(
            "tree altered",
            what if level else f"leaf {index}",
            f"stored {what} hash {stored.hex() or 'missing'}, recomputed {expected.hex()}",
        )


def audit_tree(store: LogStore, report: AuditReport, leaf_hashes: list[bytes]) -> list[list[bytes]]:
    """Every stored complete-subtree node and checkpoint root against a recomputation;
    returns the recomputed tree's levels."""
    levels = merkle.MemoryTree(leaf_hashes).levels
    for level, hashes in enumerate(levels):
        for low in range(0, len(hashes), TREE_READ_CHUNK):
            stored_nodes = store.nodes(level, low, min(len(hashes), low + TREE_READ_CHUNK))
            for index in range(low, min(len(hashes), low + TREE_READ_CHUNK)):
                check_tree_node(report, level, index, stored_nodes.get(index, b""), hashes[index])
    check_checkpoints(
        report,
        list(enumerate(store.checkpoints())),
        len(leaf_hashes),
        lambda size: merkle.root_from_nodes(lambda lv, ix: levels[lv][ix], size),
    )
    return levels


def check_checkpoints(
    report: AuditReport,
    checkpoints: list[tuple[int, Any]],
    leaves: int,
    root_of: Callable[[int], bytes],
    previous_size: int = 0,
) -> None:
    """Each (position, checkpoint): numbered by its position, larger than the one before
    (`previous_size` for the first) and within the `leaves` walked, and its root the one
    `root_of(size)` recomputes (kept in `report.roots`)."""
    for position, checkpoint in checkpoints:
        where = f"checkpoint {checkpoint.seq}"
        report.count("checkpoints")
        if checkpoint.seq != position:
            report.add("checkpoint forged", where, f"stored at position {position}")
        if checkpoint.size > leaves:
            report.add(
                "checkpoint forged",
                where,
                f"the log holds {leaves} leaves but this checkpoint, sealed over"
                f" the first {checkpoint.size}, says it held more: the log was shortened or"
                " rolled back after the checkpoint was sealed (or the checkpoint was forged)",
            )
            continue
        if checkpoint.size <= previous_size:
            report.add(
                "checkpoint forged",
                where,
                f"its size {checkpoint.size} is not larger than the previous checkpoint's"
                f" ({previous_size}): each checkpoint seals more leaves than the one before",
            )
            continue
        computed = root_of(checkpoint.size)
        report.roots[checkpoint.size] = computed
        if computed != checkpoint.root:
            report.add(
                "checkpoint forged",
                where,
                f"root {checkpoint.root.hex()} but the log's first {checkpoint.size} leaves hash"
                f" to {computed.hex()}",
            )
        previous_size = checkpoint.size
