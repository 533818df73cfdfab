"""The compliance engine over a node's log: every record for a report, and the flags of a
submission from its cases' recent records.

Reading the log is here, not in `anchor.compliance`, which stays pure (records in, flags
out) so that a report from bundles runs the very same engine. A record whose salt is
deleted (crypto-shredded) is not counted: its text is under a deletion request and no
bundle can prove it.

Beside a running node the records come from its API a page at a time (`records_page`,
`GET /v1/compliance/records`, as JSON: `logged_json`, `logged_from_json`), so that no
request reads the whole log; the report is then built where the command runs, by the same
engine over the same records.
"""

from __future__ import annotations

import bisect
import json
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from evanchor.anchor.compliance.engine import Anchoring, Flag, LoggedRecord, evaluate
from evanchor.anchor.compliance.feedback import HISTORY_LIMIT
from evanchor.anchor.compliance.report import NotCounted
from evanchor.anchor.compliance.rules import RuleSet, default_rule_set, load_rule_set
from evanchor.anchor.ethereum.anchor_state import confirmed_state
from evanchor.anchor.ethereum.progress import anchored_frontier, covering_seq
from evanchor.anchor.log.store import LogStore, Receipt
from evanchor.anchor.protocol.commitment import record_id
from evanchor.anchor.protocol.errors import InputError
from evanchor.anchor.protocol.records import check_record

NODE_RULES_FILE = "compliance-rules.toml"
"""A node folder's own rule set for submission feedback; absent: the default rule set."""


def node_rule_set(home_path: Path) -> RuleSet:
    """The rule set a node gives feedback with: `<home>/compliance-rules.toml`, else the
    default. Raises RuleSetInvalid for a file that is not a valid rule set."""
    path = home_path / NODE_RULES_FILE
    return load_rule_set(path) if path.exists() else default_rule_set()


def anchoring_lookup(store: LogStore) -> Callable[[int], Anchoring | None]:
    """For each leaf index, its earliest anchored checkpoint (block and time, as the node
    recorded them), else its first checkpoint, else None (not sealed yet)."""
    checkpoints = store.checkpoints()
    sizes = [checkpoint.size for checkpoint in checkpoints]
    anchored: list[Anchoring | None] = [None] * (len(checkpoints) + 1)
    for position in range(len(checkpoints) - 1, -1, -1):
        state = confirmed_state(store, checkpoints[position].seq)
        if state is not None:
            anchored[position] = Anchoring(
                checkpoint_seq=checkpoints[position].seq,
                block_number=state.block_number,
                block_timestamp=state.block_timestamp,
                proven_by="log",
            )
        else:
            anchored[position] = anchored[position + 1]

    def lookup(index: int) -> Anchoring | None:
        position = bisect.bisect_right(sizes, index)
        if position == len(checkpoints):
            return None
        return anchored[position] or Anchoring(checkpoint_seq=checkpoints[position].seq)

    return lookup


def logged_record(
    store: LogStore, index: int, anchoring: Anchoring | None = None
) -> LoggedRecord | NotCounted:
    """Leaf `index` as the engine reads it, or why it is not counted."""
    leaf, canonical, salt, _ = store.raw_entry(index)
    where = f"leaf {index}"
    tombstone = store.tombstone(index)
    if tombstone is not None:
        return NotCounted(where, f"shredded at {tombstone.shredded_at}: its text is deleted")
    if leaf is None or canonical is None:
        return NotCounted(where, "the record is missing from the store")
    if salt is None:
        return NotCounted(where, "its salt is missing: no bundle can prove it (run the audit)")
    try:
        # check_record: the engine reads the record and never commits it, so the copy of
        # the submitted object that parse_record keeps for committing is not needed.
        record = check_record(json.loads(canonical), where=where)
    except InputError as error:
        return NotCounted(where, str(error))
    envelope = json.loads(leaf)
    return LoggedRecord(
        record=record,
        record_id=record_id(bytes(canonical)).hex(),
        leaf_index=index,
        prev=envelope["prev"],
        accepted_at=envelope["accepted_at"],
        anchoring=anchoring,
    )


def records_from_log(store: LogStore) -> tuple[list[LoggedRecord], list[NotCounted]]:
    """Every record of the log (one read per leaf: a report is a full pass by nature)."""
    return _leaf_records(store, 0, store.size, anchoring_lookup(store))


def _leaf_records(
    store: LogStore, low: int, high: int, anchoring: Callable[[int], Anchoring | None]
) -> tuple[list[LoggedRecord], list[NotCounted]]:
    """The record leaves low <= i < high as the engine reads them, and those not counted."""
    records: list[LoggedRecord] = []
    not_counted: list[NotCounted] = []
    for index in range(low, high):
        if not store.is_record_leaf(index):
            continue  # a checkpoint's seal leaf (docs/PROTOCOL.md §3)
        entry = logged_record(store, index, anchoring(index))
        if isinstance(entry, LoggedRecord):
            records.append(entry)
        else:
            not_counted.append(entry)
    return records, not_counted


RECORDS_PAGE_MAX = 1000
"""The most leaves one page of `records_page` reads: a page costs O(limit) reads (and
O(log n) to place them in their checkpoints), whatever the log's size."""


def records_page(
    store: LogStore, low: int, high: int
) -> tuple[list[LoggedRecord], list[NotCounted]]:
    """The records of leaves low <= i < high as `records_from_log` reads them, each with the
    same anchoring: its earliest confirmed checkpoint, else its first checkpoint. Bounded
    by the page: the confirmed checkpoints are a prefix of the log (`anchored_frontier`, as
    the sequential anchorer writes them), so a covering checkpoint is either confirmed
    itself or no later one is. Requires 0 <= low <= high <= size."""
    frontier = anchored_frontier(store)
    anchorings: dict[int, Anchoring] = {}

    def anchoring(index: int) -> Anchoring | None:
        seq = covering_seq(store, index)
        if seq is None:
            return None
        if seq not in anchorings:
            state = confirmed_state(store, seq) if seq < frontier else None
            anchorings[seq] = (
                Anchoring(checkpoint_seq=seq)
                if state is None
                else Anchoring(
                    checkpoint_seq=seq,
                    block_number=state.block_number,
                    block_timestamp=state.block_timestamp,
                    proven_by="log",
                )
            )
        return anchorings[seq]

    return _leaf_records(store, low, high, anchoring)


_ANCHORING_MEMBERS = ("checkpoint_seq", "block_number", "block_timestamp")
"""What a page says of a record's anchoring (its `proven_by` is "log": the node's own)."""


def logged_json(entry: LoggedRecord) -> dict[str, Any]:
    """`entry` as JSON (the record as committed); `logged_from_json` reads it back."""
    anchoring = entry.anchoring
    return {
        "record": entry.record.model_dump(mode="json", exclude_unset=True),
        "record_id": entry.record_id,
        "leaf_index": entry.leaf_index,
        "prev": entry.prev,
        "accepted_at": entry.accepted_at,
        "anchoring": None
        if anchoring is None
        else {name: getattr(anchoring, name) for name in _ANCHORING_MEMBERS},
    }


def logged_from_json(obj: dict[str, Any]) -> LoggedRecord:
    """A record of `logged_json`, its record checked again as the log's reader checks it."""
    where = f"leaf {obj['leaf_index']}"
    anchoring = obj["anchoring"]
    return LoggedRecord(
        record=check_record(obj["record"], where=where),
        record_id=str(obj["record_id"]),
        leaf_index=int(obj["leaf_index"]),
        prev=None if obj["prev"] is None else int(obj["prev"]),
        accepted_at=str(obj["accepted_at"]),
        anchoring=None
        if anchoring is None
        else Anchoring(
            checkpoint_seq=int(anchoring["checkpoint_seq"]),
            block_number=anchoring["block_number"],
            block_timestamp=anchoring["block_timestamp"],
            proven_by="log",
        ),
    )


RECENT_RECORDS = 20_000
"""How many recently read records a node keeps parsed for its submissions' flags."""


class RecentRecords:
    """The engine's reading of recently read record leaves, by leaf index, at most
    `capacity` (the least recently used go first), so that the flags of each submission do
    not read and validate again the case history the previous submission read.

    Safe because a record leaf's text never changes once appended: the only change is
    `LogStore.shred`, after which `forget` must be called (NodeService.shred does). Only
    records the engine counts are kept; a leaf it does not count is read again each time.
    Thread-safe: flags are computed on the event loop's worker threads.
    """

    def __init__(self, capacity: int = RECENT_RECORDS) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[int, LoggedRecord] = OrderedDict()
        self._forgotten = 0
        """How many times `forget` was called: a reading begun before a shredding is not
        kept, since it may be of the record the shredding removed."""
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def read(self, store: LogStore, index: int) -> LoggedRecord | NotCounted:
        """`logged_record(store, index)`, from memory when read recently."""
        with self._lock:
            kept = self._entries.get(index)
            if kept is not None:
                self._entries.move_to_end(index)
                return kept
            forgotten = self._forgotten
        entry = logged_record(store, index)
        if isinstance(entry, LoggedRecord):
            with self._lock:
                if self._forgotten == forgotten:
                    self._entries[index] = entry
                    while len(self._entries) > self.capacity:
                        self._entries.popitem(last=False)
        return entry

    def forget(self, index: int) -> None:
        """Drop leaf `index` (its record was shredded)."""
        with self._lock:
            self._entries.pop(index, None)
            self._forgotten += 1


def submission_flags(
    store: LogStore,
    receipts: Sequence[Receipt],
    rules: RuleSet,
    recent: RecentRecords | None = None,
) -> dict[int, list[Flag]]:
    """The flags of each receipt's record (by leaf index), from the records of its case up
    to it: at most HISTORY_LIMIT earlier ones per case, read with one range scan each.

    Each flag given here is also in a report over the whole log (the engine raises no flag
    on a subset that the whole would not); the report may find more: frequency caps across
    a debtor's other cases, completeness beyond the history read.
    """

    def read(index: int) -> LoggedRecord | NotCounted:
        return logged_record(store, index) if recent is None else recent.read(store, index)

    indices = sorted({receipt.index for receipt in receipts})
    cases: dict[str, list[int]] = defaultdict(list)
    history: dict[int, LoggedRecord] = {}
    for index in indices:
        entry = read(index)
        if isinstance(entry, LoggedRecord):
            history[index] = entry
            cases[entry.case].append(index)
    for case, own in cases.items():
        for index in store.case_tail(case, HISTORY_LIMIT + len(own), below=own[-1] + 1):
            if index not in history:
                earlier = read(index)
                if isinstance(earlier, LoggedRecord):
                    history[index] = earlier
    return evaluate(history.values(), rules).flags_of(indices)
