"""The node's Prometheus metrics, served at GET /metrics in the Prometheus text format.

One `NodeMetrics` per node, on its own `CollectorRegistry` rather than the process-global
one, so that several nodes in one process (tests, the benchmark) never share a counter.
Every figure is kept current as events happen or read in O(1) at scrape time: a scrape
never walks the log.

- `evanchor_records_accepted_total` (counter): records appended and acknowledged.
- `evanchor_checkpoints_sealed_total` (counter): checkpoints sealed by this process.
- `evanchor_checkpoints_anchored_total` (counter): checkpoints confirmed on chain by it.
- `evanchor_anchor_delay_seconds` (histogram): per anchored checkpoint, its first record's
  acceptance to the end of the anchoring block's second (the longest wait in it).
- `evanchor_anchor_backlog_checkpoints` (gauge): sealed checkpoints not yet confirmed.
- `evanchor_log_size_records` (gauge): records in the log (its leaves less the one seal
  leaf of each checkpoint).
- `evanchor_unsealed_records` (gauge): records not yet in a checkpoint.
- `evanchor_chain_errors_total{stage}` (counter): failed anchoring steps (`anchoring`) and
  agency-registry reads (`registry`).
- `evanchor_witness_cosignatures_total{witness}` (counter): cosignatures received and kept.
- `evanchor_witness_refusals_total{witness,kind}` (counter): refusals by witnesses; the kinds
  `inconsistent` and `ahead` mean a split view (node/daemon/witnessing.py).
- `evanchor_witness_unreachable_total{witness}` (counter): attempts a witness did not answer.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from evanchor.anchor.log.store import LogStore

CONTENT_TYPE = CONTENT_TYPE_LATEST
ANCHOR_DELAY_BUCKETS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)
"""Seconds: anchoring is meant to take a few seconds past the seal interval (60 s by
default); the tail buckets show a chain that is falling behind."""


class NodeMetrics:
    """The counters, gauges and histogram of one node."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.records_accepted = Counter(
            "evanchor_records_accepted", "Records appended and acknowledged.", registry=r
        )
        self.checkpoints_sealed = Counter(
            "evanchor_checkpoints_sealed", "Checkpoints sealed by this process.", registry=r
        )
        self.checkpoints_anchored = Counter(
            "evanchor_checkpoints_anchored",
            "Checkpoints confirmed on chain by this process.",
            registry=r,
        )
        self.anchor_delay = Histogram(
            "evanchor_anchor_delay_seconds",
            "Per anchored checkpoint: first record accepted -> end of its block's second.",
            buckets=ANCHOR_DELAY_BUCKETS,
            registry=r,
        )
        self.chain_errors = Counter(
            "evanchor_chain_errors",
            "Failed anchoring steps and agency-registry reads, by stage.",
            ["stage"],
            registry=r,
        )
        self.witness_cosignatures = Counter(
            "evanchor_witness_cosignatures",
            "Witness cosignatures received and kept, by witness.",
            ["witness"],
            registry=r,
        )
        self.witness_refusals = Counter(
            "evanchor_witness_refusals",
            "Checkpoints a witness refused, by witness and kind (inconsistent, ahead: split view).",
            ["witness", "kind"],
            registry=r,
        )
        self.witness_unreachable = Counter(
            "evanchor_witness_unreachable",
            "add-checkpoint attempts a witness did not answer, by witness.",
            ["witness"],
            registry=r,
        )
        self._backlog = Gauge(
            "evanchor_anchor_backlog_checkpoints",
            "Sealed checkpoints not yet confirmed on chain.",
            registry=r,
        )
        self._size = Gauge(
            "evanchor_log_size_records",
            "Records in the log (leaves less the checkpoints' seal leaves).",
            registry=r,
        )
        self._unsealed = Gauge(
            "evanchor_unsealed_records", "Records not yet in a checkpoint.", registry=r
        )

    def follow_store(self, store: LogStore) -> None:
        """Read the log's size and unsealed count from `store` at every scrape (O(1))."""
        self._size.set_function(lambda: float(store.record_count))
        self._unsealed.set_function(lambda: float(store.unsealed()[0]))

    def follow_backlog(self, backlog: Callable[[], int]) -> None:
        """Read the anchoring backlog from `backlog` at every scrape; it must be O(1)."""
        self._backlog.set_function(lambda: float(backlog()))

    def exposition(self) -> bytes:
        """The text exposition of every metric, as GET /metrics answers it."""
        exposition: bytes = generate_latest(self.registry)
        return exposition
