"""Building proof bundles: one record with everything needed to check it (PROTOCOL.md §5).

A bundle is self-contained, versioned JSON. Version 1:

    format, version        "evanchor/proof-bundle", 1
    record                 the record object, as committed
    salt, commitment       hex
    leaf                   the leaf envelope object (its RFC 8785 bytes are the leaf)
    leaf_index, leaf_hash  position in the log, SHA-256(0x00 || leaf bytes)
    inclusion_proof        RFC 9162 PATH(leaf_index, D[checkpoint.size]), hex, leaf to root
    checkpoint             {seq, size, root, sealed_at}
    case_link              {case, prev, prev_leaf_hash}: the previous leaf of the same case
    log                    {chain_id, contract, writer} once the log is anchored, else null
    anchor                 the anchoring transaction and its chain evidence, else null
    signature              the agency's signature over the commitment, else null
"""

from __future__ import annotations

import json
from typing import Any

from evanchor.anchor.log.store import LogStore, StoreError
from evanchor.anchor.protocol.checkpoint import Checkpoint
from evanchor.anchor.protocol.signing import SigningDomain, recover_signer

BUNDLE_FORMAT = "evanchor/proof-bundle"
CASE_BUNDLE_FORMAT = "evanchor/case-bundle"
BUNDLE_VERSION = 1


class NotYetSealed(StoreError):
    def __init__(self, index: int, sealed_size: int) -> None:
        super().__init__(
            f"record at index {index} is not in a checkpoint yet (sealed size {sealed_size});"
            " run `evanchor seal` or wait for the seal policy"
        )


def _checkpoint_covering(store: LogStore, index: int, checkpoint: Checkpoint | None) -> Checkpoint:
    chosen = checkpoint or store.latest_checkpoint()
    sealed = 0 if chosen is None else chosen.size
    if chosen is None or index >= chosen.size:
        raise NotYetSealed(index, sealed)
    return chosen


def build_bundle(
    store: LogStore,
    index: int,
    *,
    checkpoint: Checkpoint | None = None,
    anchor: dict[str, Any] | None = None,
    log: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The v1 bundle of the record at `index`, proven against `checkpoint` (default: latest).

    `anchor` and `log` come from the anchorer's confirmed state of that checkpoint
    (`anchor_evidence.build_anchor_evidence`, `anchor_evidence.log_section`); with `log`,
    a record stored with its agency signature gets the `signature` member.
    """
    chosen = _checkpoint_covering(store, index, checkpoint)
    stored = store.record(index)
    if stored.salt is None:
        raise StoreError(f"record at index {index} was crypto-shredded: its salt is deleted")
    envelope = stored.envelope
    prev = envelope["prev"]
    return {
        "format": BUNDLE_FORMAT,
        "version": BUNDLE_VERSION,
        "record": json.loads(stored.canonical),
        "salt": stored.salt.hex(),
        "commitment": envelope["commitment"],
        "leaf": envelope,
        "leaf_index": index,
        "leaf_hash": stored.leaf_hash.hex(),
        "inclusion_proof": [h.hex() for h in store.inclusion_proof(index, chosen.size)],
        "checkpoint": chosen.as_json(),
        "case_link": {
            "case": envelope["case"],
            "prev": prev,
            "prev_leaf_hash": None if prev is None else store.leaf_hash(prev).hex(),
        },
        "log": log,
        "anchor": anchor,
        "signature": _signature_section(stored.signature, envelope["commitment"], log),
    }


# -- anchoring and signature sections (PROTOCOL.md §9) ---------------------------------------


def _signature_section(
    signature: bytes | None, commitment_hex: str, log: dict[str, Any] | None
) -> dict[str, Any] | None:
    """{"signature": hex of 65 bytes, "signer": EIP-55 address} under the log's EIP-712
    domain (chain id, contract), or None if the record is unsigned or the log not given."""
    if signature is None or log is None:
        return None
    domain = SigningDomain(int(log["chain_id"]), str(log["contract"]))
    signer = recover_signer(domain.separator, bytes.fromhex(commitment_hex), signature)
    return {"signature": signature.hex(), "signer": signer}


def build_case_bundle(store: LogStore, case: str) -> dict[str, Any]:
    """Every sealed record of `case` with its proof against the latest checkpoint, in order.

    A court checks that each bundle's `prev` is the index of the bundle before it, and the
    first's is null: then no record of the case is missing up to that checkpoint.
    """
    latest = store.latest_checkpoint()
    indices = [i for i in store.case_indices(case) if latest is not None and i < latest.size]
    if not indices:
        raise StoreError(f"no sealed records for case {case!r}")
    assert latest is not None
    return {
        "format": CASE_BUNDLE_FORMAT,
        "version": BUNDLE_VERSION,
        "case": case,
        "checkpoint": latest.as_json(),
        "records": [build_bundle(store, i, checkpoint=latest) for i in indices],
    }
