"""The O(log n) request paths equal the full scans they replaced, on randomized logs.

Each reference below is the code the node ran before issue 12 (reading every checkpoint or
every anchored record), kept plain here; the fast paths (`progress`, `delay_histogram`,
`node_status`) must give the same answers, or for percentiles a bounded upper bound.
"""

from __future__ import annotations

import bisect
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evanchor.anchor.ethereum.anchor_state import (
    AnchorStatus,
    Confirmed,
    confirmed_state,
    state_json,
)
from evanchor.anchor.ethereum.delay_histogram import (
    BOUNDS,
    BUCKET_RATIO,
    CATCH_UP_LIMIT,
    HISTOGRAM_META,
    DelayHistogram,
    DelayHistogramCorrupt,
    delay_summary,
    histogram_from_json,
    stored_histogram,
    update_histogram,
)
from evanchor.anchor.ethereum.progress import (
    ANCHORING_CURSOR_META,
    anchored_frontier,
    covering_checkpoint,
    earliest_anchored,
    latest_anchored,
)
from evanchor.anchor.log.store import LogStore
from evanchor.anchor.protocol.checkpoint import Checkpoint
from evanchor.node.daemon.home import NodeConfig
from evanchor.node.daemon.status import PENDING_LISTED, node_status

from samples import prepared

START = datetime(2026, 11, 1, tzinfo=UTC)

# -- plain references: the full scans --------------------------------------------------------


def reference_covering(store: LogStore, index: int) -> Checkpoint | None:
    checkpoints = store.checkpoints()
    position = bisect.bisect_right([c.size for c in checkpoints], index)
    return checkpoints[position] if position < len(checkpoints) else None


def reference_earliest(store: LogStore, index: int) -> tuple[Checkpoint, Confirmed] | None:
    for checkpoint in store.checkpoints():
        if checkpoint.size <= index:
            continue
        state = confirmed_state(store, checkpoint.seq)
        if state is not None:
            return checkpoint, state
    return None


def reference_latest(store: LogStore) -> tuple[Checkpoint, Confirmed] | None:
    for checkpoint in reversed(store.checkpoints()):
        state = confirmed_state(store, checkpoint.seq)
        if state is not None:
            return checkpoint, state
    return None


def reference_delays(store: LogStore) -> list[float]:
    delays: list[float] = []
    previous = 0
    for checkpoint in store.checkpoints():
        state = confirmed_state(store, checkpoint.seq)
        if state is not None:
            anchored = float(state.block_timestamp) + 1.0
            for index in range(previous, checkpoint.size - 1):  # the last leaf is the seal
                stamp = store.record(index).envelope["accepted_at"]
                accepted = datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
                delays.append(anchored - accepted)
        previous = checkpoint.size
    return sorted(delays)


def exact_percentile(delays: list[float], fraction: float) -> float:
    return delays[min(len(delays) - 1, int(fraction * len(delays)))]


# -- building logs ---------------------------------------------------------------------------


def confirm(store: LogStore, seq: int, block_timestamp: int) -> None:
    """Writes the state the anchorer writes when checkpoint `seq` is confirmed."""
    checkpoint = store.checkpoint(seq)
    state = Confirmed(
        status=AnchorStatus.CONFIRMED,
        seq=seq,
        size=checkpoint.size,
        root=checkpoint.root,
        chain_id=1337,
        contract="0x" + "11" * 20,
        writer="0x" + "22" * 20,
        checkpoint_index=seq,
        tx_hash=bytes([seq % 256]) * 32,
        block_number=100 + seq,
        block_hash=bytes([(seq + 1) % 256]) * 32,
        block_timestamp=block_timestamp,
        log_index=0,
        confirmations=1,
    )
    store.put_anchor_state(seq, state_json(state))


def set_cursor(store: LogStore, next_seq: int) -> None:
    store.put_meta(ANCHORING_CURSOR_META, {"chain_id": 1337, "next_seq": next_seq})


@dataclass(frozen=True)
class Shape:
    batches: list[tuple[int, int, bool]]
    """(records, seconds after the previous batch, seal after it)"""
    confirmed_fraction: float
    cursor_fraction: float
    anchor_delays: list[int]


shapes = st.builds(
    Shape,
    batches=st.lists(
        st.tuples(st.integers(1, 4), st.integers(0, 5000), st.booleans()), min_size=1, max_size=14
    ),
    confirmed_fraction=st.floats(0, 1),
    cursor_fraction=st.floats(0, 1),
    anchor_delays=st.lists(st.integers(0, 400_000), min_size=14, max_size=14),
)


def build(store: LogStore, shape: Shape) -> int:
    """Appends and seals as `shape` says, confirms a prefix of the checkpoints (cursor
    somewhere in it); returns how many are confirmed."""
    now, n = START, 0
    for records, gap, seal in shape.batches:
        now += timedelta(seconds=gap)
        store.append([prepared(n + i) for i in range(records)], now=now)
        n += records
        if seal:
            store.seal(now=now)
    confirmed = int(shape.confirmed_fraction * store.checkpoint_count)
    for seq in range(confirmed):
        sealed = datetime.fromisoformat(store.checkpoint(seq).sealed_at.replace("Z", "+00:00"))
        confirm(store, seq, int(sealed.timestamp()) + shape.anchor_delays[seq])
    set_cursor(store, int(shape.cursor_fraction * confirmed))
    return confirmed


def log_store() -> Any:
    folder = tempfile.TemporaryDirectory()
    return folder, LogStore(Path(folder.name) / "log", create=True)


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(shapes)
def test_fast_paths_equal_the_full_scans(shape: Shape) -> None:
    folder, store = log_store()
    with folder, store:
        confirmed = build(store, shape)
        assert anchored_frontier(store) == confirmed
        for index in range(store.size + 2):
            assert covering_checkpoint(store, index) == reference_covering(store, index)
            assert earliest_anchored(store, index) == reference_earliest(store, index)
        assert latest_anchored(store) == reference_latest(store)

        anchoring = node_status(store, NodeConfig())["anchoring"]
        pending = [c.seq for c in store.checkpoints() if confirmed_state(store, c.seq) is None]
        assert anchoring["anchored_checkpoints"] == confirmed
        assert anchoring["pending_count"] == len(pending)
        assert anchoring["pending_checkpoints"] == pending[:PENDING_LISTED]


@SETTINGS
@given(shapes)
def test_the_histogram_counts_every_anchored_record_once(shape: Shape) -> None:
    folder, store = log_store()
    with folder, store:
        build(store, shape)
        update_histogram(store)
        assert update_histogram(store) == 0  # idempotent: nothing counted twice
        delays = reference_delays(store)
        summary = delay_summary(store)
        if not delays:
            assert summary is None
            return
        assert summary is not None
        assert (summary["count"], summary["min"], summary["max"]) == (
            len(delays),
            delays[0],
            delays[-1],
        )
        for name, fraction in (("p50", 0.5), ("p99", 0.99)):
            exact = exact_percentile(delays, fraction)
            assert exact <= summary[name] <= max(exact * BUCKET_RATIO, BOUNDS[0])
            assert summary[name] <= delays[-1]


def test_status_folds_in_a_bounded_lag_and_says_how_far_it_counted(tmp_path: Path) -> None:
    with LogStore(tmp_path / "log", create=True) as store:
        for seq in range(6):
            moment = START + timedelta(minutes=seq)
            store.append([prepared(2 * seq), prepared(2 * seq + 1)], now=moment)
            store.seal(now=moment)
        for seq in range(2):
            confirm(store, seq, int((START + timedelta(minutes=seq, seconds=30)).timestamp()))
        update_histogram(store)
        assert stored_histogram(store).through_seq == 1
        for seq in range(2, 6):
            confirm(store, seq, int((START + timedelta(minutes=seq, seconds=30)).timestamp()))
        set_cursor(store, 2)
        # four confirmed but uncounted: status folds in CATCH_UP_LIMIT of them, not all
        lagging = delay_summary(store)
        assert lagging is not None
        assert lagging["through_seq"] == 1 + CATCH_UP_LIMIT
        assert lagging["count"] == 2 * (2 + CATCH_UP_LIMIT)
        assert stored_histogram(store).through_seq == 1  # status does not write
        assert update_histogram(store) == 4
        caught_up = delay_summary(store)
        assert caught_up is not None
        assert (caught_up["through_seq"], caught_up["count"]) == (5, 12)
        assert caught_up["min"] == caught_up["max"] == 31.0


def test_a_crash_before_the_histogram_write_counts_the_checkpoint_once(tmp_path: Path) -> None:
    """The document is written whole with its through_seq: replaying an update over the
    document of before the crash counts the checkpoint exactly once."""
    with LogStore(tmp_path / "log", create=True) as store:
        for seq in range(3):
            store.append([prepared(seq)], now=START)
            store.seal(now=START)
            confirm(store, seq, int(START.timestamp()) + 9)
        update_histogram(store)
        full = stored_histogram(store)
        before = DelayHistogram.empty().add(0, [10.0])
        store.put_meta(HISTOGRAM_META, before.as_json())  # as if the crash lost 1 and 2
        assert update_histogram(store) == 2
        assert stored_histogram(store) == full
        assert full.count == 3


def test_delays_past_the_last_bound_report_the_exact_max() -> None:
    histogram = DelayHistogram.empty().add(0, [5.0, 2e6, 3e6])
    assert histogram.percentile(0.99) == 3e6
    assert histogram.percentile(0.0) == min(b for b in BOUNDS if b >= 5.0)


@pytest.mark.parametrize(
    ("member", "change"),
    [
        ("version", {"version": 2}),
        ("buckets_per_decade", {"buckets_per_decade": 10}),
        ("through_seq", {"through_seq": -2}),
        ("counts.999", {"counts": {"999": 1}}),
        ("count", {"count": 7}),
        ("min", {"min": 50.0, "max": 1.0}),
    ],
)
def test_a_corrupt_histogram_is_refused_naming_the_member(
    member: str, change: dict[str, Any]
) -> None:
    good = DelayHistogram.empty().add(0, [3.0, 4.0]).as_json()
    assert histogram_from_json(good) == DelayHistogram.empty().add(0, [3.0, 4.0])
    with pytest.raises(DelayHistogramCorrupt) as raised:
        histogram_from_json({**good, **change})
    assert raised.value.member == member


def test_a_histogram_accepts_only_the_next_checkpoint() -> None:
    with pytest.raises(ValueError, match="expected checkpoint 1"):
        DelayHistogram.empty().add(0, [1.0]).add(2, [1.0])
