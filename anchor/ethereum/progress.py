"""Where a log stands, in O(log n) reads: which checkpoint covers a leaf, how far anchoring got.

Request paths (status, record lookup, bundles) and the anchoring thread ask these questions
on every call; reading every checkpoint to answer them made each call grow with the log
(issue 12). Two facts make them cheap:

- checkpoint sizes strictly increase with `seq` (a seal happens only when the log grew), and
  a sealed checkpoint never changes, so the checkpoint covering a leaf is found by bisecting
  the sizes, kept in memory per store and extended by the checkpoints sealed since;
- anchoring is sequential: the anchorer works only on the first checkpoint not confirmed
  (`Anchorer.step`), so the confirmed checkpoints are a prefix 0 .. f-1 of the log. The
  anchorer persists a cursor into that prefix (store meta "anchoring", `next_seq`); it may
  lag the truth by the checkpoints confirmed since its last step, which a galloping search
  over the anchoring states from the cursor finds in O(log lag) reads.
"""

from __future__ import annotations

import bisect
import threading
import weakref

from evanchor.anchor.ethereum.anchor_state import Confirmed, confirmed_state
from evanchor.anchor.log.store import LogStore
from evanchor.anchor.protocol.checkpoint import Checkpoint

ANCHORING_CURSOR_META = "anchoring"
"""The anchorer's store metadata (its chain identity and `next_seq`, the first checkpoint it
has not seen confirmed); `anchorer.TARGET_META` names the same document."""


class _Sizes:
    """The sizes of a store's checkpoints, in seq order, read once each and kept.

    Checkpoints are immutable once sealed, so the list only grows: each call reads the
    checkpoints sealed since the last (none, normally) and bisects in memory. The first
    call on a store reads every checkpoint once (a year of the seed's load is about 12,000
    of them, 8 bytes each here); `NodeService` makes that call when it starts.
    """

    def __init__(self) -> None:
        self.sizes: list[int] = []
        self.lock = threading.Lock()

    def current(self, store: LogStore) -> list[int]:
        with self.lock:
            while len(self.sizes) < store.checkpoint_count:
                self.sizes.append(store.checkpoint(len(self.sizes)).size)
            return self.sizes


_SIZES: weakref.WeakKeyDictionary[LogStore, _Sizes] = weakref.WeakKeyDictionary()
_SIZES_LOCK = threading.Lock()


def checkpoint_sizes(store: LogStore) -> list[int]:
    """Every checkpoint's size, in seq order (strictly increasing); do not modify it."""
    with _SIZES_LOCK:
        sizes = _SIZES.get(store)
        if sizes is None:
            sizes = _SIZES[store] = _Sizes()
    return sizes.current(store)


def covering_seq(store: LogStore, index: int) -> int | None:
    """The first checkpoint whose tree includes leaf `index` (size > index), or None if no
    checkpoint does yet. A bisection of the kept sizes (`checkpoint_sizes`): no read once
    they are current; requires sizes to increase with seq, as `LogStore.seal` makes them."""
    sizes = checkpoint_sizes(store)
    position = bisect.bisect_right(sizes, index)
    return position if position < len(sizes) else None


def covering_checkpoint(store: LogStore, index: int) -> Checkpoint | None:
    """The first checkpoint that includes leaf `index` (see `covering_seq`)."""
    seq = covering_seq(store, index)
    return None if seq is None else store.checkpoint(seq)


def _cursor(store: LogStore) -> int:
    kept = store.meta(ANCHORING_CURSOR_META)
    value = None if kept is None else kept.get("next_seq")
    return value if isinstance(value, int) and value >= 0 else 0


def anchored_frontier(store: LogStore) -> int:
    """How many checkpoints are confirmed: f such that 0 .. f-1 are confirmed and f is not
    (f = checkpoint_count when all are).

    Starts from the anchorer's cursor (never past a confirmed prefix: it only advances over
    confirmed states) and gallops forward over the states: one read when the cursor is
    current, O(log lag) otherwise. Precondition: confirmed checkpoints form a prefix, as the
    sequential anchorer writes them.
    """
    count = store.checkpoint_count
    low = min(_cursor(store), count)
    if low == count or confirmed_state(store, low) is None:
        return low
    # low is confirmed; find the first unconfirmed above it
    step = 1
    high = low + step
    while high < count and confirmed_state(store, high) is not None:
        low = high
        step *= 2
        high = low + step
    high = min(high, count)
    # low confirmed, high unconfirmed (or the end): bisect between them
    while high - low > 1:
        middle = (low + high) // 2
        if confirmed_state(store, middle) is not None:
            low = middle
        else:
            high = middle
    return high


def earliest_anchored(store: LogStore, index: int) -> tuple[Checkpoint, Confirmed] | None:
    """The first confirmed checkpoint covering leaf `index`, with its state, or None.

    With confirmed checkpoints a prefix, that is the first covering checkpoint if it is
    confirmed, else none is. O(log checkpoints) reads.
    """
    seq = covering_seq(store, index)
    if seq is None or seq >= anchored_frontier(store):
        return None
    state = confirmed_state(store, seq)
    if state is None:  # pragma: no cover - the frontier says it is confirmed
        return None
    return store.checkpoint(seq), state


def latest_anchored(store: LogStore) -> tuple[Checkpoint, Confirmed] | None:
    """The last confirmed checkpoint and its state, or None if none is confirmed yet."""
    frontier = anchored_frontier(store)
    if frontier == 0:
        return None
    state = confirmed_state(store, frontier - 1)
    if state is None:  # pragma: no cover - the frontier says it is confirmed
        return None
    return store.checkpoint(frontier - 1), state
