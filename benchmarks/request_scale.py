"""Request latencies against the size of the log: 10k records against 1M (issue 12).

Set-up (timed and shown, not a target): for each size N, a fresh `LogStore` filled through
`LogStore.append` in batches of 1,000 records (one per second of simulated time), sealed
after every batch, so N/1,000 checkpoints. Every checkpoint but the last `--pending` (1) gets the
confirmed anchoring state the anchorer writes (the typed `Confirmed` model, block stamped 5
s after the seal), the anchorer's cursor is set, and the anchor-delay histogram is counted
(`update_histogram`, as the anchoring thread does once per confirmed checkpoint). No chain is
needed: what is measured is the node's reads, not the chain's.

What is timed at each size, `--repeat` rounds of `--queries` random queries each (the same
seeded leaf indices at both sizes, scaled to the size):

- status: `node_status` (the whole `/v1/status` body except witnessing);
- lookup (full id): `index_of` of a 64-hex record id (one keyed read, as the service does);
- lookup (prefix): `find_record_id` of a 16-hex prefix (a prefix scan), then `index_of`;
- covering checkpoint: `progress.covering_checkpoint` of a leaf;
- earliest anchored: `progress.earliest_anchored` (what an anchored bundle starts from), for
  anchored leaves;
- bundle: an unanchored `build_bundle` against the covering checkpoint (inclusion proof,
  record, envelope);
- anchoring idle step: `anchored_frontier` + `update_histogram` with nothing new (what the
  anchoring thread does after every idle or confirmed step, besides the chain calls).

Each round's figure is the mean latency over its queries; the sizes are measured
interleaved, round by round (after one warm-up round each), so the machine's load weighs on
both alike. The table gives min, median and max over rounds, and the median over rounds of
the per-round ratio large/small (its min-max in brackets).
Target: every ratio at most 1.5x (growth no faster than log n would give 1.5x at most for
the proof path: 20 against 13.3 levels).

    python benchmarks/request_scale.py                 # 10k and 1M (building 1M takes minutes)
    python benchmarks/request_scale.py --large 200000  # a smaller large size
    python benchmarks/request_scale.py --keep /tmp/rs  # keep (and reuse) the built stores
    python benchmarks/request_scale.py --quick         # 2k and 20k, a smoke run
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from proofs import cheap_records

from evanchor.anchor.ethereum.anchor_state import AnchorStatus, Confirmed, state_json
from evanchor.anchor.ethereum.delay_histogram import update_histogram
from evanchor.anchor.ethereum.progress import (
    ANCHORING_CURSOR_META,
    anchored_frontier,
    covering_checkpoint,
    earliest_anchored,
)
from evanchor.anchor.log.bundle import build_bundle
from evanchor.anchor.log.store import LogStore
from evanchor.node.daemon.home import NodeConfig
from evanchor.node.daemon.status import node_status

from benchkit import machine_facts, print_table, report_targets, timed

TARGET_RATIO = 1.5
BATCH = 1_000
START = datetime(2026, 1, 1, tzinfo=UTC)


def confirmed(store: LogStore, seq: int) -> Confirmed:
    checkpoint = store.checkpoint(seq)
    sealed = datetime.fromisoformat(checkpoint.sealed_at.replace("Z", "+00:00"))
    return Confirmed(
        status=AnchorStatus.CONFIRMED,
        seq=seq,
        size=checkpoint.size,
        root=checkpoint.root,
        chain_id=1337,
        contract="0x" + "11" * 20,
        writer="0x" + "22" * 20,
        checkpoint_index=seq,
        tx_hash=seq.to_bytes(32, "big"),
        block_number=100 + seq,
        block_hash=(seq + 1).to_bytes(32, "big"),
        block_timestamp=int(sealed.timestamp()) + 5,
        log_index=0,
        confirmations=1,
    )


def build(path: Path, n: int, pending: int) -> dict[str, float]:
    """Fill, seal, confirm and count a store of n records; seconds per phase."""
    phases = {"append+seal": 0.0, "confirm": 0.0, "histogram": 0.0}
    with LogStore(path, create=True) as store:
        for start in range(0, n, BATCH):
            records = cheap_records(start, min(BATCH, n - start))
            moment = START + timedelta(seconds=start // BATCH)
            seconds, _ = timed(
                lambda r=records, m=moment: (store.append(r, now=m), store.seal(now=m))
            )
            phases["append+seal"] += seconds

        def confirm_all() -> None:
            last = max(0, store.checkpoint_count - pending)
            for seq in range(last):
                store.put_anchor_state(seq, state_json(confirmed(store, seq)))
            store.put_meta(ANCHORING_CURSOR_META, {"chain_id": 1337, "next_seq": last})

        phases["confirm"], _ = timed(confirm_all)
        phases["histogram"], _ = timed(lambda: update_histogram(store))
    return phases


@dataclass(frozen=True)
class Operation:
    name: str
    run: Callable[[LogStore, int], object]
    """Called with the store and a leaf index."""
    anchored_only: bool = False
    """Its indices are drawn from the anchored records only (else from every record)."""


def _lookup_full(store: LogStore, index: int) -> object:
    """As `NodeService._index` answers a full 64-hex id: one keyed read."""
    full = cheap_records(index, 1)[0].record_id
    return store.index_of(full)


def _lookup_prefix(store: LogStore, index: int) -> object:
    full = cheap_records(index, 1)[0].record_id
    return store.index_of(store.find_record_id(full.hex()[:16]))


def _bundle(store: LogStore, index: int) -> object:
    return build_bundle(store, index, checkpoint=covering_checkpoint(store, index))


def _idle_step(store: LogStore, index: int) -> object:
    return anchored_frontier(store), update_histogram(store)


OPERATIONS = (
    Operation("status", lambda store, index: node_status(store, NodeConfig())),
    Operation("lookup (full id)", _lookup_full),
    Operation("lookup (16-hex prefix)", _lookup_prefix),
    Operation("covering checkpoint", covering_checkpoint),
    Operation("earliest anchored", earliest_anchored, anchored_only=True),
    Operation("bundle (unanchored)", _bundle),
    Operation("anchoring idle step", _idle_step),
)


def _indices(store: LogStore, op: Operation, n: int, fractions: list[float]) -> list[int]:
    frontier = anchored_frontier(store)
    anchored = 0 if frontier == 0 else store.checkpoint(frontier - 1).size
    top = anchored if op.anchored_only else n
    return [min(top - 1, int(f * top)) for f in fractions]


def measure(
    paths: dict[int, Path], fractions: list[list[float]]
) -> dict[str, dict[int, list[float]]]:
    """Mean seconds per query of each operation at each size, one figure per round.

    The sizes are measured interleaved (round r of every operation at every size, then round
    r + 1), so a change in the machine's load mid-run weighs on both sizes alike; a first
    round at each size warms the caches and is not counted.
    """
    rounds: dict[str, dict[int, list[float]]] = {
        op.name: {n: [] for n in paths} for op in OPERATIONS
    }
    stores = {n: LogStore(path) for n, path in paths.items()}
    try:
        for n, store in stores.items():
            sealed = store.latest_checkpoint()
            assert sealed is not None
            assert sealed.size == n
        for number, round_fractions in enumerate([fractions[0], *fractions]):
            for op in OPERATIONS:
                for n, store in stores.items():
                    indices = _indices(store, op, n, round_fractions)
                    seconds, _ = timed(lambda o=op, s=store, q=indices: [o.run(s, i) for i in q])
                    if number > 0:
                        rounds[op.name][n].append(seconds / len(indices))
    finally:
        for store in stores.values():
            store.close()
    return rounds


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--pending", type=int, default=1, help="checkpoints left unconfirmed")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--keep", type=Path, help="build the stores here, or reuse them")
    parser.add_argument("--quick", action="store_true", help="2k and 20k records")
    args = parser.parse_args()
    if args.quick:
        args.small, args.large, args.repeat, args.queries = 2_000, 20_000, 3, 50
    for line in machine_facts():
        print(line)
    rng = random.Random(args.seed)
    fractions = [[rng.random() for _ in range(args.queries)] for _ in range(args.repeat)]
    temporary = None
    if args.keep is None:
        temporary = tempfile.TemporaryDirectory()
        folder = Path(temporary.name)
    else:
        folder = args.keep
        folder.mkdir(parents=True, exist_ok=True)
    paths: dict[int, Path] = {}
    for n in (args.small, args.large):
        path = paths[n] = folder / f"log-{n}"
        if not path.exists():
            phases = build(path, n, args.pending)
            shown = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in phases.items())
            print(f"built {n:,} records ({n // BATCH:,} checkpoints): {shown}")
        else:
            print(f"reusing {path} ({n:,} records)")
    results = measure(paths, fractions)
    print()
    print(
        f"mean ms per query, min - median - max over {args.repeat} rounds of"
        f" {args.queries} queries (interleaved); ratio = median over rounds of large / small"
        f" (min-max)"
    )
    rows, targets = [], []
    for op in OPERATIONS:
        small, large = results[op.name][args.small], results[op.name][args.large]
        ratios = [b / a for a, b in zip(small, large, strict=True)]
        ratio = statistics.median(ratios)
        rows.append(
            [
                op.name,
                " - ".join(_ms(x) for x in (min(small), statistics.median(small), max(small))),
                " - ".join(_ms(x) for x in (min(large), statistics.median(large), max(large))),
                f"{1 / statistics.median(large):,.0f}/s",
                f"{ratio:.2f}x ({min(ratios):.2f}-{max(ratios):.2f})",
            ]
        )
        targets.append(
            (
                ratio <= TARGET_RATIO,
                f"{op.name}: {ratio:.2f}x from {args.small:,} to {args.large:,}",
            )
        )
    print_table(
        ["operation", f"{args.small:,} (ms)", f"{args.large:,} (ms)", "rate at large", "ratio"],
        rows,
    )
    print()
    passed = report_targets(targets)
    if temporary is not None:
        temporary.cleanup()
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
