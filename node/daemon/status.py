"""A node's status figures (log, chain, anchoring), computed from its log alone: the same
for the running node's `GET /v1/status` and for a command that reads a stopped node's
folder (reach.py). Light to import: no web3, no py-evm.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from evanchor.anchor.ethereum.delay_histogram import delay_summary
from evanchor.anchor.ethereum.progress import anchored_frontier
from evanchor.anchor.log.store import LogStore
from evanchor.node.daemon.home import NodeConfig

ANCHORING_ERROR_META = "anchoring_error"
"""Store metadata: the anchoring thread's last error ({"stage", "error", "at"}), kept across
restarts so that `node status` of a stopped node still says why anchoring was held up."""


class HealthStatus(StrEnum):
    """Whether the node's log store still acknowledges records (`health.status`)."""

    OK = "ok"
    FAILED = "failed"
    """A write failed: nothing more is acknowledged until a restart."""


class AnchoringStage(StrEnum):
    """Where the anchoring thread failed."""

    REGISTRY = "registry"
    """Reading the agency registry's events."""
    ANCHORING = "anchoring"
    """A step of the anchorer (or collecting a confirmed checkpoint's evidence)."""


@dataclass(frozen=True)
class AnchoringHeldUp:
    """The anchoring thread's last failure: where, its one line, and when (UTC, RFC 3339)."""

    stage: AnchoringStage
    error: str
    at: str

    def as_json(self) -> dict[str, str]:
        return {"stage": self.stage.value, "error": self.error, "at": self.at}


def keep_anchoring_error(store: LogStore, error: AnchoringHeldUp | None) -> None:
    """Persist the anchoring thread's last error; None: its last step succeeded."""
    store.put_meta(ANCHORING_ERROR_META, {} if error is None else error.as_json())


def last_anchoring_error(store: LogStore) -> AnchoringHeldUp | None:
    """The anchoring thread's last error, or None if its last step succeeded."""
    kept = store.meta(ANCHORING_ERROR_META)
    if not kept:
        return None
    return AnchoringHeldUp(AnchoringStage(kept["stage"]), str(kept["error"]), str(kept["at"]))


def node_status(store: LogStore, config: NodeConfig) -> dict[str, Any]:
    """Log, chain and anchoring figures of a node, running or not; `health` says whether
    its log store still acknowledges records (a failed write stops it until a restart).

    O(1) reads in the log's size (issue 12): anchored and pending checkpoints come from the
    anchorer's cursor (confirmed checkpoints are a prefix, `progress.anchored_frontier`),
    the anchor delay from the persisted histogram (`delay_histogram`).
    """
    failure = store.failure
    latest = store.latest_checkpoint()
    unsealed, oldest = store.unsealed()
    count = store.checkpoint_count
    frontier = anchored_frontier(store)
    last_error = last_anchoring_error(store)
    return {
        "health": {
            "status": HealthStatus.OK if failure is None else HealthStatus.FAILED,
            "reason": None if failure is None else str(failure),
        },
        "log": {
            "size": store.size,
            "records": store.record_count,
            "root": store.root().hex(),
            "checkpoints": count,
            "latest_checkpoint": None if latest is None else latest.as_json(),
            "unsealed": unsealed,
            "oldest_unsealed_at": None if oldest is None else oldest.isoformat(),
        },
        "chain": None if config.chain is None else config.chain.as_json(),
        "anchoring": {
            "anchored_checkpoints": frontier,
            "pending_count": count - frontier,
            "pending_checkpoints": list(range(frontier, min(count, frontier + PENDING_LISTED))),
            "anchor_delay_seconds": anchor_delay_summary(store),
            "last_error": None if last_error is None else last_error.as_json(),
        },
        "seal_policy": config.seal_policy.model_dump(mode="json"),
    }


PENDING_LISTED = 100
"""`pending_checkpoints` lists at most the first this many pending seq numbers;
`pending_count` counts them all."""


def anchor_delay_summary(store: LogStore) -> dict[str, Any] | None:
    """Acknowledged -> anchored, over every record of every anchored checkpoint: count, min
    and max exact, p50 and p99 bucket upper bounds (`delay_histogram`). O(1) reads in the
    log's size."""
    return delay_summary(store)
