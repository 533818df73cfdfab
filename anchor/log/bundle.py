"""Building proof bundles and case bundles from the log (docs/PROTOCOL.md §5).

A bundle is self-contained, versioned JSON, built here as the typed models of
`anchor/protocol/bundle_format.py`. Version 2:

    format, version        "evanchor/proof-bundle", 2
    record                 the record object, as committed
    salt, commitment       hex
    leaf                   the leaf envelope object (its RFC 8785 bytes are the leaf)
    leaf_index, leaf_hash  position in the log, SHA-256(0x00 || leaf bytes)
    inclusion_proof        RFC 9162 PATH(leaf_index, D[checkpoint.size]), hex, leaf to root
    checkpoint             {seq, size, root, sealed_at}
    seal                   the checkpoint's seal leaf and its PATH(size - 1, D[size])
    log                    the log's anchor target once anchored, else null
    anchor                 the anchoring transaction and its chain evidence, else null
    signature              the agency's signature over the commitment, else null
    checkpoint_note        the checkpoint's signed note with every cosignature kept, once
                           the node signed it (absent otherwise)

A case bundle adds the case's entry in the seal leaf's case index, with its proof, to the
bundles of every record of the case up to the checkpoint; a shredded record appears as its
leaf alone.
"""

from __future__ import annotations

import json

from evanchor.anchor.log.store import LogStore, StoreError
from evanchor.anchor.protocol.bundle_format import (
    BUNDLE_FORMAT,
    BUNDLE_VERSION,
    CASE_BUNDLE_FORMAT,
    SHREDDED_RECORD_FORMAT,
    AnchorSection,
    AnchorTargetModel,
    CaseBundle,
    CaseIndexProofModel,
    CheckpointModel,
    ProofBundle,
    RecordLeafModel,
    SealProof,
    ShreddedRecord,
    SignatureSection,
    parse,
)
from evanchor.anchor.protocol.checkpoint import Checkpoint
from evanchor.anchor.protocol.errors import NoteError
from evanchor.anchor.protocol.note import parse_note
from evanchor.anchor.protocol.seal_leaf import AnchorTarget
from evanchor.anchor.protocol.signing import SigningDomain, recover_signer
from evanchor.anchor.protocol.tlog_checkpoint import (
    LOG_ONLY_PREFIX,
    anchored_log_origin,
    parse_checkpoint_body,
)

__all__ = [
    "BUNDLE_FORMAT",
    "BUNDLE_VERSION",
    "CASE_BUNDLE_FORMAT",
    "NotYetSealed",
    "build_bundle",
    "build_case_bundle",
]


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


def _hexes(hashes: list[bytes]) -> list[str]:
    return [h.hex() for h in hashes]


def _target_model(target: AnchorTarget) -> AnchorTargetModel:
    return parse(AnchorTargetModel, target.as_json(), at=("log",))


def _seal_proof(store: LogStore, checkpoint: Checkpoint) -> SealProof:
    seal = store.seal_leaf(checkpoint.seq)
    return parse(
        SealProof,
        {
            "leaf": seal.as_json(),
            "inclusion_proof": _hexes(store.inclusion_proof(checkpoint.size - 1, checkpoint.size)),
        },
        at=("seal",),
    )


def _anchor_and_log(
    store: LogStore, section: AnchorSection | None
) -> tuple[AnchorSection | None, AnchorTargetModel | None]:
    """The bundle's `anchor` (from the anchorer's evidence) and `log` (the store's target,
    whenever the log is bound to one, anchored yet or not: its seal leaves commit to it, and
    it is the domain of the agency signatures).

    Requires, when `section` is given, a log bound to the target the anchor is on: a
    verifier holds the two equal.
    """
    target = store.anchor_target
    if section is None:
        return None, None if target is None else _target_model(target)
    if target is None:
        raise StoreError(
            "this log's seal leaves commit to no anchor target (it was never bound to a"
            " chain), so its anchored checkpoints cannot be shown in a bundle"
        )
    found = (section.chain_id, section.contract, section.writer)
    if found != (target.chain_id, target.contract, target.writer):
        raise StoreError(
            f"the anchor is on chain {section.chain_id}, contract {section.contract}, writer"
            f" {section.writer}; the log anchors to chain {target.chain_id}, contract"
            f" {target.contract}, writer {target.writer}"
        )
    return section, _target_model(target)


def checkpoint_note(store: LogStore, checkpoint: Checkpoint) -> str | None:
    """The signed note of `checkpoint` with every cosignature kept for it (§5.4), or None
    while the node has not signed it.

    A note whose origin is not the one the checkpoint's seal leaf commits to (a log bound to
    a chain after it signed with its log-only origin) is left out: a verifier would refuse
    it, and a bundle without a note says its witnessing was not checked. A note of another
    size or root than the checkpoint's means the store is corrupt: StoreError.
    """
    raw = store.cosigned_checkpoint(checkpoint.seq)
    if raw is None:
        return None
    try:
        body = parse_checkpoint_body(parse_note(raw).text)
    except NoteError as error:
        raise StoreError(
            f"the signed note of checkpoint {checkpoint.seq} is corrupt: {error}"
        ) from None
    if (body.size, body.root) != (checkpoint.size, checkpoint.root):
        raise StoreError(
            f"the signed note of checkpoint {checkpoint.seq} is of size {body.size}, root"
            f" {body.root.hex()}; the checkpoint is of size {checkpoint.size}, root"
            f" {checkpoint.root.hex()} (run `evanchor audit`)"
        )
    target = store.seal_leaf(checkpoint.seq).anchored_to
    if target is not None and body.origin != anchored_log_origin(
        target.chain_id, target.contract, target.writer
    ):
        return None
    if target is None and not body.origin.startswith(LOG_ONLY_PREFIX):
        return None
    return raw.decode()


def build_bundle(
    store: LogStore,
    index: int,
    *,
    checkpoint: Checkpoint | None = None,
    anchor: AnchorSection | None = None,
    with_note: bool = True,
) -> ProofBundle:
    """The v2 bundle of the record at `index`, proven against `checkpoint` (default: latest).

    `anchor` is the anchor evidence of that checkpoint (`evidence.build_anchor_evidence`).
    A log bound to an anchor target gives the bundle its `log`, and then a record stored
    with its agency signature gets the `signature` member (without `anchor`, the bundle
    verifies at level log-only and says it is not the anchored one). The checkpoint's signed
    note comes with it once signed (`checkpoint_note`); a case bundle's records carry none
    (`with_note` False). Raises RecordShredded for a shredded record and NotARecord for a
    seal leaf.
    """
    chosen = _checkpoint_covering(store, index, checkpoint)
    stored = store.record(index)
    if stored.salt is None:
        raise StoreError(f"record at index {index} has no salt: it cannot be proven")
    section, log = _anchor_and_log(store, anchor)
    envelope = stored.envelope
    return ProofBundle(
        format=BUNDLE_FORMAT,
        version=BUNDLE_VERSION,
        record=json.loads(stored.canonical),
        salt=stored.salt.hex(),
        commitment=envelope["commitment"],
        leaf=parse(RecordLeafModel, envelope, at=("leaf",)),
        leaf_index=index,
        leaf_hash=stored.leaf_hash.hex(),
        inclusion_proof=_hexes(store.inclusion_proof(index, chosen.size)),
        checkpoint=parse(CheckpointModel, chosen.as_json(), at=("checkpoint",)),
        seal=_seal_proof(store, chosen),
        log=log,
        anchor=section,
        signature=_signature_section(stored.signature, envelope["commitment"], log),
        checkpoint_note=checkpoint_note(store, chosen) if with_note else None,
    )


def _signature_section(
    signature: bytes | None, commitment_hex: str, log: AnchorTargetModel | None
) -> SignatureSection | None:
    """The signature and the address it recovers to under the log's EIP-712 domain (chain
    id, contract), or None if the record is unsigned or the bundle has no `log`."""
    if signature is None or log is None:
        return None
    domain = SigningDomain(log.chain_id, log.contract)
    signer = recover_signer(domain.separator, bytes.fromhex(commitment_hex), signature)
    return SignatureSection(signature=signature.hex(), signer=signer)


def _shredded_record(store: LogStore, index: int, checkpoint: Checkpoint) -> ShreddedRecord:
    leaf = json.loads(store.raw_entry(index)[0] or b"null")
    return ShreddedRecord(
        format=SHREDDED_RECORD_FORMAT,
        version=BUNDLE_VERSION,
        leaf=parse(RecordLeafModel, leaf, at=("leaf",)),
        leaf_index=index,
        leaf_hash=store.leaf_hash(index).hex(),
        inclusion_proof=_hexes(store.inclusion_proof(index, checkpoint.size)),
        checkpoint=parse(CheckpointModel, checkpoint.as_json(), at=("checkpoint",)),
        seal=_seal_proof(store, checkpoint),
    )


def build_case_bundle(
    store: LogStore,
    case: str,
    *,
    checkpoint: Checkpoint | None = None,
    anchor: AnchorSection | None = None,
) -> CaseBundle:
    """Every record of `case` up to `checkpoint` (default: the latest), each proven against
    it, with the case's entry in that checkpoint's case index.

    A court checks that the records link (each `prev` is the one before's index, the first
    is null), that the last is the entry's `head` and that there are `count` of them: then
    none of the case's records in that checkpoint is missing. Shredded records appear as
    their leaves. O(records of the case · log n) reads.
    """
    chosen = checkpoint or store.latest_checkpoint()
    if chosen is None:
        raise StoreError(f"no sealed records for case {case!r}")
    found = store.case_index_proof(case, chosen.seq)
    if found is None:
        raise StoreError(f"no sealed records for case {case!r}")
    indices = [i for i in store.case_indices(case) if i < chosen.size]
    if len(indices) != found.entry.count or indices[-1] != found.entry.head:
        raise StoreError(
            f"case {case!r}: the case index of checkpoint {chosen.seq} says {found.entry.count}"
            f" records ending at leaf {found.entry.head}; the log holds {len(indices)} ending"
            f" at leaf {indices[-1] if indices else None} (run `evanchor audit`)"
        )
    records: list[ProofBundle | ShreddedRecord] = [
        _shredded_record(store, i, chosen)
        if store.tombstone(i) is not None
        else build_bundle(store, i, checkpoint=chosen, anchor=anchor, with_note=False)
        for i in indices
    ]
    return CaseBundle(
        format=CASE_BUNDLE_FORMAT,
        version=BUNDLE_VERSION,
        case=case,
        checkpoint=parse(CheckpointModel, chosen.as_json(), at=("checkpoint",)),
        seal=_seal_proof(store, chosen),
        case_index=parse(
            CaseIndexProofModel,
            {
                "entry": found.entry.as_json(),
                "number": found.number,
                "inclusion_proof": _hexes(found.inclusion_proof),
            },
            at=("case_index",),
        ),
        records=records,
        checkpoint_note=checkpoint_note(store, chosen),
    )
