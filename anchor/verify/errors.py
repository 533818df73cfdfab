"""Errors of verification: a bundle's anchor section does not prove what it claims.

Each names the check that failed (the step of PROTOCOL.md §9.4) and carries what was expected
and what was found. They are answers about the evidence, never about reaching a chain: a chain
that cannot be reached, or that is another chain, is `CannotVerify`, the CANNOT VERIFY
outcome, which says nothing about the evidence.
"""

from __future__ import annotations

from enum import StrEnum

from evanchor.anchor.errors import EvanchorError


class CannotVerifyCause(StrEnum):
    """Why a chain check could not be made."""

    UNREACHABLE = "chain unreachable"
    DIFFERENT_CHAIN = "a different chain"
    NOT_SYNCED = "chain not synced"
    NO_ANSWER = "no answer"


class CannotVerify(EvanchorError):
    """A check needs the chain, and the chain did not answer it: not reached, another chain
    (chain id or genesis), not synced to the anchoring block, or an error instead of an
    answer (e.g. no state kept at that block). Not a verdict on the evidence."""

    def __init__(self, cause: CannotVerifyCause, reason: str) -> None:
        super().__init__(f"{cause}: {reason}")
        self.cause = cause
        self.reason = reason


class AnchorEvidenceInvalid(EvanchorError):
    """A bundle's anchor section does not prove what it claims; `check` names the check."""

    def __init__(self, check: str, reason: str) -> None:
        super().__init__(f"{check}: {reason}")
        self.check = check
        self.reason = reason


class EvidenceMalformed(AnchorEvidenceInvalid):
    """A member of the anchor section (or the `log` it must agree with) is missing, unknown
    or has the wrong shape; `member` is its JSON path."""

    def __init__(self, member: str, reason: str) -> None:
        super().__init__("anchor format", f"{member}: {reason}")
        self.member = member


class HeaderMismatch(AnchorEvidenceInvalid):
    """The block header does not hash to the block hash, or disagrees with the anchor."""

    def __init__(self, what: str, expected: str, found: str) -> None:
        super().__init__("block header", f"{what}: expected {expected}, found {found}")
        self.what = what
        self.expected = expected
        self.found = found


class TrieProofInvalid(AnchorEvidenceInvalid):
    """A Merkle-Patricia proof (account or storage) does not lead from its root to its key."""

    def __init__(self, proof: str, reason: str) -> None:
        check = "account proof" if proof == "account" else "storage proof"
        super().__init__(check, f"{proof}: {reason}")
        self.proof = proof


class StoredCheckpointMismatch(AnchorEvidenceInvalid):
    """The checkpoint proven in storage is not the bundle's (size, root, block, time)."""

    def __init__(self, field: str, expected: object, found: object) -> None:
        super().__init__("stored checkpoint", f"{field}: bundle says {expected}, chain has {found}")
        self.field = field
        self.expected = expected
        self.found = found


class ChainDisagrees(AnchorEvidenceInvalid):
    """A trusted source (a block hash, or a chain over JSON-RPC) contradicts the bundle."""

    def __init__(self, what: str, bundle: object, chain: object) -> None:
        super().__init__("chain", f"{what}: bundle says {bundle}, chain says {chain}")
        self.what = what
        self.bundle = bundle
        self.chain = chain


class NotAuthorisedAt(AnchorEvidenceInvalid):
    """An account did not hold its role (writer, or agency with this code) at the block."""

    def __init__(self, check: str, reason: str) -> None:
        super().__init__(check, reason)


class WitnessEvidenceInvalid(EvanchorError):
    """A signed checkpoint or one of its cosignatures does not prove what it claims;
    `check` names the check (log signature, cosignature, checkpoint), as in PROTOCOL.md §10."""

    def __init__(self, check: str, reason: str) -> None:
        super().__init__(f"{check}: {reason}")
        self.check = check
        self.reason = reason


class CheckpointMismatch(WitnessEvidenceInvalid):
    """The signed checkpoint is not the one expected (another origin, size or root)."""

    def __init__(self, field: str, expected: object, found: object) -> None:
        super().__init__("checkpoint", f"{field}: expected {expected}, the note says {found}")
        self.field = field
        self.expected = expected
        self.found = found


class WitnessPolicyUnmet(EvanchorError):
    """Fewer valid cosignatures from the trusted witnesses than the policy asks for. Not
    evidence that anything is wrong: only that too few independent parties vouch for it."""

    def __init__(self, quorum: int, found: tuple[str, ...]) -> None:
        shown = ", ".join(found) if found else "none"
        super().__init__(
            f"witness policy: {quorum} cosignature(s) required, {len(found)} valid ({shown})"
        )
        self.quorum = quorum
        self.found = found
