"""Proof bundles of an anchoring node: the anchor evidence is collected once and kept.

The anchor section of a bundle (block header, account and storage proofs of the stored
checkpoint) is the same for every record of a checkpoint, and needs the chain's state at
the anchoring block. The anchoring thread collects it right after confirmation
(`collect_evidence`) and keeps it with the log (`LogStore.put_meta`), so bundles are built
without asking the chain again — also years later, when the node serving that block's state
may be gone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from evanchor.anchor.errors import EvanchorError
from evanchor.anchor.ethereum.anchor_state import Confirmed, confirmed_state
from evanchor.anchor.ethereum.evidence import build_anchor_evidence, earliest_anchored_checkpoint
from evanchor.anchor.ethereum.progress import anchored_frontier, latest_anchored
from evanchor.anchor.log.bundle import build_bundle, build_case_bundle
from evanchor.anchor.log.store import LogStore
from evanchor.anchor.protocol.bundle_format import AnchorSection, CaseBundle, ProofBundle, parse
from evanchor.anchor.protocol.checkpoint import Checkpoint

if TYPE_CHECKING:
    from evanchor.anchor.ethereum import client as cc

EvidenceSource = Callable[[Checkpoint, Confirmed], AnchorSection]
"""Collects the anchor evidence of a confirmed checkpoint from the chain."""


class NotAnchoredYet(EvanchorError):
    def __init__(self, what: str, status: str) -> None:
        super().__init__(f"{what} is {status}, not anchored yet; try again later")
        self.status = status


class EvidenceNotCollected(NotAnchoredYet):
    """The checkpoint is anchored but its anchor evidence is not kept yet: the anchoring
    thread collects it, or a command beside a stopped node reads it from the chain."""

    def __init__(self, seq: int) -> None:
        super().__init__(f"checkpoint {seq}", "anchored, evidence being collected")
        self.seq = seq


def _evidence_key(seq: int) -> str:
    return f"evidence/{seq}"


def stored_evidence(store: LogStore, seq: int) -> AnchorSection | None:
    """The anchor evidence kept for checkpoint `seq`, or None (`BundleMalformed` naming the
    member if what is kept is not an anchor section)."""
    kept = store.meta(_evidence_key(seq))
    return None if kept is None else parse(AnchorSection, kept, at=("anchor",))


EVIDENCE_CURSOR_META = "evidence_cursor"
"""Store metadata: `next_seq`, the first confirmed checkpoint whose evidence has not been
collected, so that each call looks only at checkpoints confirmed since the last."""


def collect_evidence(store: LogStore, anchor: cc.AnchorContract) -> int:
    """Collect and keep the evidence of every confirmed checkpoint that has none yet.

    Looks only at the checkpoints confirmed since the last call (a cursor in store meta,
    advanced after each one kept), so an idle call costs O(1) reads, not one per checkpoint.
    """
    kept = store.meta(EVIDENCE_CURSOR_META)
    seq = int(kept["next_seq"]) if kept is not None else 0
    frontier = anchored_frontier(store)
    collected = 0
    while seq < frontier:
        if stored_evidence(store, seq) is None:
            state = confirmed_state(store, seq)
            assert state is not None, f"checkpoint {seq} is below the anchored frontier"
            store.put_meta(_evidence_key(seq), build_anchor_evidence(anchor, state).as_json())
            collected += 1
        seq += 1
        store.put_meta(EVIDENCE_CURSOR_META, {"next_seq": seq})
    return collected


def chain_evidence(anchor: cc.AnchorContract, store: LogStore) -> EvidenceSource:
    """An evidence source that asks the chain and keeps what it got."""

    def source(checkpoint: Checkpoint, state: Confirmed) -> AnchorSection:
        evidence = build_anchor_evidence(anchor, state)
        store.put_meta(_evidence_key(checkpoint.seq), evidence.as_json())
        return evidence

    return source


def _evidence(
    store: LogStore, checkpoint: Checkpoint, state: Confirmed, source: EvidenceSource | None
) -> AnchorSection:
    kept = stored_evidence(store, checkpoint.seq)
    if kept is not None:
        return kept
    if source is None:
        raise EvidenceNotCollected(checkpoint.seq)
    return source(checkpoint, state)


def anchored_bundle(
    store: LogStore, index: int, source: EvidenceSource | None = None
) -> ProofBundle:
    """The bundle of leaf `index` against the earliest anchored checkpoint covering it."""
    found = earliest_anchored_checkpoint(store, index)
    if found is None:
        raise NotAnchoredYet(f"record at index {index}", "not anchored")
    checkpoint, state = found
    return build_bundle(
        store, index, checkpoint=checkpoint, anchor=_evidence(store, checkpoint, state, source)
    )


def anchored_case_bundle(
    store: LogStore, case: str, source: EvidenceSource | None = None
) -> CaseBundle:
    """Every record of `case` up to the latest anchored checkpoint, each proven against it,
    with the case's entry in that checkpoint's case index."""
    found = latest_anchored(store)
    if found is None:
        raise NotAnchoredYet(f"case {case}", "not anchored")
    checkpoint, state = found
    evidence = _evidence(store, checkpoint, state, source)
    return build_case_bundle(store, case, checkpoint=checkpoint, anchor=evidence)
