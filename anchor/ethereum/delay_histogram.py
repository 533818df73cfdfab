"""The anchor-delay distribution of every anchored record, kept as a fixed-bucket histogram.

`/v1/status` reports count, p50, p99 and max of the time from each record's acceptance to
the end of the second its anchoring block is stamped with. Computing that from the records
read every anchored leaf on every call (58 s at 760k records, issue 12). Instead each
confirmed checkpoint's records are counted once into log-spaced buckets kept in the store
(meta "anchor_delay_histogram"); status reads that one document.

What is exact and what is a bound: `count`, `min` and `max` are exact; `p50` and `p99` are
the upper bound of the bucket holding that rank (capped at the exact max), so they are at
most `BUCKET_RATIO` (12.2 %) above the exact percentile, and never below it. The percentile
rank is the one the exact summary used: the value at position min(n-1, floor(q·n)) of the
sorted delays.

Idempotence: the document carries `through_seq`, the last checkpoint counted, and is
rewritten whole (one synced put) after each checkpoint, so a crash between two checkpoints
leaves either the old or the new document, never a checkpoint counted twice.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from evanchor.anchor.errors import EvanchorError
from evanchor.anchor.ethereum.anchor_state import confirmed_state
from evanchor.anchor.ethereum.progress import anchored_frontier
from evanchor.anchor.log.store import LogStore

HISTOGRAM_META = "anchor_delay_histogram"

BUCKETS_PER_DECADE = 20
LOWEST_BOUND = 0.1
"""Seconds: bucket 0 holds every delay at or below this (including any negative one from a
clock that ran ahead of the chain's)."""
DECADES = 7
"""Bounds run from 0.1 s to 10^6 s (11.6 days); one more bucket holds anything above."""
BUCKET_RATIO = 10 ** (1 / BUCKETS_PER_DECADE)
BOUNDS: tuple[float, ...] = tuple(
    LOWEST_BOUND * 10 ** (i / BUCKETS_PER_DECADE) for i in range(DECADES * BUCKETS_PER_DECADE + 1)
)
"""Upper bounds (inclusive) of buckets 0 .. len-1; bucket len(BOUNDS) is the overflow."""

CATCH_UP_LIMIT = 2
"""Status folds in at most this many confirmed checkpoints the persisted histogram has not
counted yet (the anchoring thread counts each right after confirming it); beyond that it
reports the persisted figures and says through which checkpoint they run."""


class DelayHistogramCorrupt(EvanchorError):
    def __init__(self, member: str, problem: str) -> None:
        super().__init__(f"the anchor-delay histogram is corrupt: {member}: {problem}")
        self.member = member
        self.problem = problem


def bucket_of(delay: float) -> int:
    """The bucket holding `delay`: the first whose upper bound is >= delay."""
    return bisect.bisect_left(BOUNDS, delay)


@dataclass(frozen=True)
class DelayHistogram:
    """Counts per bucket, exact count/min/max, and the last checkpoint counted (-1: none)."""

    through_seq: int
    counts: tuple[int, ...]
    count: int
    minimum: float
    maximum: float

    @staticmethod
    def empty() -> DelayHistogram:
        return DelayHistogram(-1, (0,) * (len(BOUNDS) + 1), 0, math.inf, -math.inf)

    def add(self, seq: int, delays: Iterable[float]) -> DelayHistogram:
        """This histogram with checkpoint `seq`'s delays counted; requires seq to be the
        next checkpoint (through_seq + 1), so no checkpoint is counted twice or skipped."""
        if seq != self.through_seq + 1:
            raise ValueError(f"expected checkpoint {self.through_seq + 1} next, got {seq}")
        counts = list(self.counts)
        count, low, high = self.count, self.minimum, self.maximum
        for delay in delays:
            counts[bucket_of(delay)] += 1
            count += 1
            low, high = min(low, delay), max(high, delay)
        return DelayHistogram(seq, tuple(counts), count, low, high)

    def percentile(self, fraction: float) -> float:
        """An upper bound of the value at rank min(n-1, floor(fraction·n)); requires count>0."""
        rank = min(self.count - 1, int(fraction * self.count))
        seen = 0
        for bucket, held in enumerate(self.counts):
            seen += held
            if seen > rank:
                return self.maximum if bucket == len(BOUNDS) else min(BOUNDS[bucket], self.maximum)
        raise AssertionError("the bucket counts do not add up to count")  # pragma: no cover

    def summary(self) -> dict[str, Any] | None:
        """The status figures, or None if no record is anchored yet."""
        if self.count == 0:
            return None
        return {
            "count": self.count,
            "min": self.minimum,
            "p50": self.percentile(0.5),
            "p99": self.percentile(0.99),
            "max": self.maximum,
            "percentiles": "bucket upper bounds",
            "bucket_ratio": round(BUCKET_RATIO, 4),
            "through_seq": self.through_seq,
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "through_seq": self.through_seq,
            "buckets_per_decade": BUCKETS_PER_DECADE,
            "lowest_bound": LOWEST_BOUND,
            # sparse: most buckets stay empty
            "counts": {str(i): n for i, n in enumerate(self.counts) if n},
            "count": self.count,
            "min": self.minimum if self.count else None,
            "max": self.maximum if self.count else None,
        }


def histogram_from_json(value: dict[str, Any]) -> DelayHistogram:
    """The histogram of a persisted document; DelayHistogramCorrupt names the member at
    fault (a document of other bucket bounds is refused rather than misread)."""
    if value.get("version") != 1:
        raise DelayHistogramCorrupt("version", f"expected 1, found {value.get('version')!r}")
    if (
        value.get("buckets_per_decade") != BUCKETS_PER_DECADE
        or value.get("lowest_bound") != LOWEST_BOUND
    ):
        raise DelayHistogramCorrupt("buckets_per_decade", "other bucket bounds than this code's")
    through = value.get("through_seq")
    if not isinstance(through, int) or through < -1:
        raise DelayHistogramCorrupt("through_seq", f"expected an integer >= -1, found {through!r}")
    raw = value.get("counts")
    if not isinstance(raw, dict):
        raise DelayHistogramCorrupt("counts", "expected an object")
    counts = [0] * (len(BOUNDS) + 1)
    for key, held in raw.items():
        if not (key.isdigit() and int(key) < len(counts)) or not isinstance(held, int) or held < 1:
            raise DelayHistogramCorrupt(f"counts.{key}", f"bad bucket or count {held!r}")
        counts[int(key)] = held
    count = value.get("count")
    if count != sum(counts):
        raise DelayHistogramCorrupt("count", f"expected {sum(counts)}, found {count!r}")
    low, high = value.get("min"), value.get("max")
    if count == 0:
        return DelayHistogram(through, tuple(counts), 0, math.inf, -math.inf)
    if not isinstance(low, int | float) or not isinstance(high, int | float) or low > high:
        raise DelayHistogramCorrupt("min", f"expected min <= max, found {low!r}, {high!r}")
    return DelayHistogram(through, tuple(counts), count, float(low), float(high))


def stored_histogram(store: LogStore) -> DelayHistogram:
    kept = store.meta(HISTOGRAM_META)
    return DelayHistogram.empty() if kept is None else histogram_from_json(kept)


def _accepted_seconds(store: LogStore, index: int) -> float:
    stamp = store.accepted_at(index)  # from the leaf: a shredded record keeps its time
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def checkpoint_delays(store: LogStore, seq: int) -> list[float]:
    """The anchor delay of every record checkpoint `seq` added (requires it confirmed):
    from acceptance to the end of the second its block is stamped with (timestamps are
    whole seconds: the block was sealed within [t, t + 1))."""
    state = confirmed_state(store, seq)
    if state is None:
        raise ValueError(f"checkpoint {seq} is not confirmed")
    anchored = float(state.block_timestamp) + 1.0
    first = 0 if seq == 0 else store.checkpoint(seq - 1).size
    last = store.checkpoint(seq).size - 1  # a checkpoint's last leaf is its seal leaf
    return [anchored - _accepted_seconds(store, index) for index in range(first, last)]


def _caught_up(store: LogStore, histogram: DelayHistogram, limit: int | None) -> DelayHistogram:
    frontier = anchored_frontier(store)
    stop = frontier if limit is None else min(frontier, histogram.through_seq + 1 + limit)
    for seq in range(histogram.through_seq + 1, stop):
        histogram = histogram.add(seq, checkpoint_delays(store, seq))
    return histogram


def update_histogram(store: LogStore) -> int:
    """Count every confirmed checkpoint not counted yet, persisting after each; returns how
    many were counted. Runs on the anchoring thread, once per confirmed checkpoint."""
    histogram = stored_histogram(store)
    frontier = anchored_frontier(store)
    counted = 0
    for seq in range(histogram.through_seq + 1, frontier):
        histogram = histogram.add(seq, checkpoint_delays(store, seq))
        store.put_meta(HISTOGRAM_META, histogram.as_json())
        counted += 1
    return counted


def delay_summary(store: LogStore) -> dict[str, Any] | None:
    """The status figures: the persisted histogram with at most CATCH_UP_LIMIT newly
    confirmed checkpoints folded in (not persisted); O(1) in the log's size."""
    return _caught_up(store, stored_histogram(store), CATCH_UP_LIMIT).summary()
