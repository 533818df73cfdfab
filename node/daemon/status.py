"""A node's status figures (log, chain, anchoring), computed from its log alone: the same
for the running node's `GET /v1/status` and for a command that reads a stopped node's
folder (reach.py). Light to import: no web3, no py-evm.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import JsonValue

from evanchor.anchor.ethereum.delay_histogram import delay_summary
from evanchor.anchor.ethereum.progress import anchored_frontier
from evanchor.anchor.log.store import LogStore
from evanchor.anchor.protocol.checkpoint import Checkpoint
from evanchor.node.daemon.home import ChainConfig, NodeConfig, SealPolicyConfig

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

    def as_json(self) -> dict[str, JsonValue]:
        # The members in the order the store keeps them (sorted), as the status always gave.
        return {"at": self.at, "error": self.error, "stage": self.stage.value}


def keep_anchoring_error(store: LogStore, error: AnchoringHeldUp | None) -> None:
    """Persist the anchoring thread's last error; None: its last step succeeded."""
    store.put_meta(ANCHORING_ERROR_META, {} if error is None else error.as_json())


def last_anchoring_error(store: LogStore) -> AnchoringHeldUp | None:
    """The anchoring thread's last error, or None if its last step succeeded."""
    kept = store.meta(ANCHORING_ERROR_META)
    if not kept:
        return None
    return AnchoringHeldUp(AnchoringStage(kept["stage"]), str(kept["error"]), str(kept["at"]))


@dataclass(frozen=True)
class LogFigures:
    """The log's size (leaves, seal leaves included), records, root and checkpoints."""

    size: int
    records: int
    root: bytes
    checkpoints: int
    latest_checkpoint: Checkpoint | None
    unsealed: int
    oldest_unsealed_at: datetime | None

    def as_json(self) -> dict[str, JsonValue]:
        latest, oldest = self.latest_checkpoint, self.oldest_unsealed_at
        return {
            "size": self.size,
            "records": self.records,
            "root": self.root.hex(),
            "checkpoints": self.checkpoints,
            "latest_checkpoint": None if latest is None else latest.as_json(),
            "unsealed": self.unsealed,
            "oldest_unsealed_at": None if oldest is None else oldest.isoformat(),
        }


@dataclass(frozen=True)
class AnchoringFigures:
    """How far anchoring has come: confirmed checkpoints are a prefix of the log's
    (`anchored_checkpoints` of them); the rest are pending."""

    anchored_checkpoints: int
    checkpoints: int
    anchor_delay_seconds: dict[str, JsonValue] | None
    """`delay_histogram.delay_summary`: count, min, max, p50, p99 (None: nothing anchored)."""
    last_error: AnchoringHeldUp | None

    @property
    def pending_count(self) -> int:
        return self.checkpoints - self.anchored_checkpoints

    def as_json(self) -> dict[str, JsonValue]:
        frontier = self.anchored_checkpoints
        listed = min(self.checkpoints, frontier + PENDING_LISTED)
        return {
            "anchored_checkpoints": frontier,
            "pending_count": self.pending_count,
            "pending_checkpoints": list(range(frontier, listed)),
            "anchor_delay_seconds": self.anchor_delay_seconds,
            "last_error": None if self.last_error is None else self.last_error.as_json(),
        }


@dataclass(frozen=True)
class NodeFigures:
    """A node's status figures but witnessing (`witnessing.witnessing_status`)."""

    failure: str | None
    """Why the log store no longer acknowledges records; None while it does."""
    log: LogFigures
    chain: ChainConfig | None
    anchoring: AnchoringFigures
    seal_policy: SealPolicyConfig

    @property
    def health(self) -> HealthStatus:
        return HealthStatus.OK if self.failure is None else HealthStatus.FAILED

    def as_json(self) -> dict[str, JsonValue]:
        return {
            "health": {"status": self.health.value, "reason": self.failure},
            "log": self.log.as_json(),
            "chain": None if self.chain is None else self.chain.as_json(),
            "anchoring": self.anchoring.as_json(),
            "seal_policy": self.seal_policy.model_dump(mode="json"),
        }


def node_figures(store: LogStore, config: NodeConfig) -> NodeFigures:
    """Log, chain and anchoring figures of a node, running or not; `health` says whether
    its log store still acknowledges records (a failed write stops it until a restart).

    O(1) reads in the log's size (issue 12): anchored and pending checkpoints come from the
    anchorer's cursor (confirmed checkpoints are a prefix, `progress.anchored_frontier`),
    the anchor delay from the persisted histogram (`delay_histogram`).
    """
    failure = store.failure
    unsealed, oldest = store.unsealed()
    count = store.checkpoint_count
    log = LogFigures(
        size=store.size,
        records=store.record_count,
        root=store.root(),
        checkpoints=count,
        latest_checkpoint=store.latest_checkpoint(),
        unsealed=unsealed,
        oldest_unsealed_at=oldest,
    )
    anchoring = AnchoringFigures(
        anchored_checkpoints=anchored_frontier(store),
        checkpoints=count,
        anchor_delay_seconds=delay_summary(store),
        last_error=last_anchoring_error(store),
    )
    return NodeFigures(
        failure=None if failure is None else str(failure),
        log=log,
        chain=config.chain,
        anchoring=anchoring,
        seal_policy=config.seal_policy,
    )


def node_status(store: LogStore, config: NodeConfig) -> dict[str, JsonValue]:
    """`node_figures` as `GET /v1/status` serves them (and reach.py for a stopped node)."""
    return node_figures(store, config).as_json()


PENDING_LISTED = 100
"""`pending_checkpoints` lists at most the first this many pending seq numbers;
`pending_count` counts them all."""
