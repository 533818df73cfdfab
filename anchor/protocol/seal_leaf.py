"""The seal leaf: the last leaf of every checkpoint, and the case index it commits to.

Backward `prev` links show that nothing is missing *between* two records of a case, never
that nothing follows the last one shown (DESIGN decision 9). So when the node seals a
checkpoint it appends one more leaf, the **seal leaf**, as that checkpoint's last leaf
(index `size - 1`), before computing the root:

    {"anchored_to": <AnchorTarget> | null, "cases": <n>, "cases_root": "<hex>",
     "kind": "seal", "sealed_at": "<YYYY-MM-DDTHH:MM:SS.mmmZ>", "seq": <checkpoint seq>,
     "signed": <bool>, "size": <checkpoint size>, "v": 1}

Its bytes are RFC 8785 (JCS) like every leaf's. Covered by the checkpoint's root, and so
by the anchor, it binds what a bundle would otherwise only claim: the checkpoint's `seq` and
`sealed_at` (the node's clock), the chain the log anchors to (with the chain's genesis hash),
whether every record of the log carries an agency signature, and the **case index**.

The case index is an RFC 9162 Merkle tree (the same hashing as the log) over one entry per
case that has a record in the checkpoint, in the order in which the cases first appear in
the log (case number 0 is the case of leaf 0). Each entry is the JCS of

    {"case": "<case key>", "count": <records of the case in the checkpoint>,
     "head": <leaf index of the case's last record in the checkpoint>}

Creation order, not sorted order, keeps sealing incremental: a new case goes at the end and
an updated case changes one entry, so a seal costs O(changed cases · log cases) hashes. A
sorted tree would move every entry after a new case. (Neither order lets one entry's proof
show that its case has no second entry; the audit recomputes every case index from the log
and names any that differs, duplicates included.)

Nothing here reads storage: these are the bytes, built by the store and checked by the
verifier and the audit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from evanchor.anchor.protocol.commitment import canonical_bytes
from evanchor.anchor.protocol.log_identity import LogIdentity

SEAL_KIND = "seal"
SEAL_LEAF_VERSION = 1


@dataclass(frozen=True)
class AnchorTarget(LogIdentity):
    """Where a log anchors its checkpoints: its identity (chain id, contract, writer) and
    `genesis_hash`, which tells that chain from another with the same id.

    Requires EIP-55 checksummed addresses and a 32-byte genesis hash.
    """

    genesis_hash: bytes

    @property
    def identity(self) -> LogIdentity:
        """The (chain id, contract, writer) alone, without the genesis hash."""
        return LogIdentity(self.chain_id, self.contract, self.writer)

    def as_json(self) -> dict[str, int | str]:
        return {
            "chain_id": self.chain_id,
            "contract": self.contract,
            "genesis_hash": self.genesis_hash.hex(),
            "writer": self.writer,
        }


def anchor_target_from_json(obj: dict[str, Any]) -> AnchorTarget:
    """Inverse of `AnchorTarget.as_json` for stored values (trusted input)."""
    return AnchorTarget(
        chain_id=int(obj["chain_id"]),
        contract=str(obj["contract"]),
        writer=str(obj["writer"]),
        genesis_hash=bytes.fromhex(obj["genesis_hash"]),
    )


@dataclass(frozen=True)
class CaseEntry:
    """One case in a checkpoint's case index: its last record (`head`) and how many it has."""

    case: str
    head: int
    count: int

    def as_json(self) -> dict[str, Any]:
        return {"case": self.case, "count": self.count, "head": self.head}

    def to_bytes(self) -> bytes:
        return canonical_bytes(self.as_json())


@dataclass(frozen=True)
class SealLeaf:
    """The seal leaf of checkpoint `seq`, which is leaf `size - 1` of that checkpoint.

    `cases` entries hash to `cases_root` (RFC 9162, creation order). `signed` says that every
    record leaf of the log carries its agency's signature; a log that anchors requires it.
    """

    seq: int
    size: int
    sealed_at: str
    cases: int
    cases_root: bytes
    anchored_to: AnchorTarget | None
    signed: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "anchored_to": None if self.anchored_to is None else self.anchored_to.as_json(),
            "cases": self.cases,
            "cases_root": self.cases_root.hex(),
            "kind": SEAL_KIND,
            "sealed_at": self.sealed_at,
            "seq": self.seq,
            "signed": self.signed,
            "size": self.size,
            "v": SEAL_LEAF_VERSION,
        }

    def to_bytes(self) -> bytes:
        return canonical_bytes(self.as_json())


def seal_leaf_from_json(obj: dict[str, Any]) -> SealLeaf:
    """Inverse of `SealLeaf.as_json` for stored leaves (trusted input)."""
    target = obj["anchored_to"]
    return SealLeaf(
        seq=int(obj["seq"]),
        size=int(obj["size"]),
        sealed_at=str(obj["sealed_at"]),
        cases=int(obj["cases"]),
        cases_root=bytes.fromhex(obj["cases_root"]),
        anchored_to=None if target is None else anchor_target_from_json(target),
        signed=bool(obj["signed"]),
    )
