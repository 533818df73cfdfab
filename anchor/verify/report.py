"""A verification report: the steps walked, the outcome, the assurance level reached.

Three outcomes, never two (DESIGN decision 11):

    VERIFIED       every step passed                                      exit status 0
    NOT VERIFIED   the evidence is wrong: a step failed, and it is named   exit status 1
    CANNOT VERIFY  nothing failed, but a check needs a chain that could    exit status 3
                   not be reached, is another chain, or could not answer

(Exit status 2 is the command line's own: a usage error.) NOT VERIFIED wins over CANNOT
VERIFY: every check that needs no chain still runs when the chain is out of reach, and a
failure among them is a verdict.

The assurance level says how much a VERIFIED report proves, in this order:

    log-only                      the record is a leaf of the bundle's checkpoint; nothing
                                  ties that checkpoint to a chain (anyone holding the record
                                  could build such a bundle)
    anchored                      the checkpoint is stored in EvidenceAnchor on the log's
                                  chain at block B, checked against that chain (--rpc,
                                  --chain-export) or a trusted hash of block B
    anchored+signed               and the record's commitment is signed by the key named,
                                  under the log's EIP-712 domain
    anchored+signed+registered    and that key was registered in the contract as the
                                  record's agency at block B (needs a chain)

A level is what the checks established, never what the bundle says of itself: a bundle
whose `anchor` or `signature` was removed reaches a lower level, and the report says the
bundle's claim is weaker than its log's (the seal leaf commits to where the log anchors and
whether its records are signed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from evanchor.anchor.verify.anchor_evidence import AnchorFacts


class Outcome(StrEnum):
    VERIFIED = "VERIFIED"
    NOT_VERIFIED = "NOT VERIFIED"
    CANNOT_VERIFY = "CANNOT VERIFY"

    @property
    def exit_status(self) -> int:
        return {"VERIFIED": 0, "NOT VERIFIED": 1, "CANNOT VERIFY": 3}[self.value]


class Assurance(StrEnum):
    NONE = "none"
    LOG_ONLY = "log-only"
    ANCHORED = "anchored"
    SIGNED = "anchored+signed"
    REGISTERED = "anchored+signed+registered"

    @property
    def rank(self) -> int:
        return list(Assurance).index(self)


class StepStatus(StrEnum):
    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANNOT_VERIFY = "cannot verify"


@dataclass(frozen=True)
class Step:
    name: str
    status: StepStatus
    detail: str

    def as_json(self) -> dict[str, str]:
        return {"step": self.name, "status": self.status.value, "detail": self.detail}


@dataclass(frozen=True)
class WitnessCosignature:
    """An independent witness's cosignature of the bundle's checkpoint, once checked.

    A witness (DESIGN decision 10, C2SP tlog-cosignature) signs that it saw the checkpoint,
    consistent with every earlier one of the log it had cosigned, no later than `timestamp`;
    that time is vouched for by the witness, not by the node's operator. Filled by the
    checkpoint note step (verify/checkpoint_note.py) when the verifier trusts the witness.
    """

    witness: str
    """The witness's key name, as its signed note names it."""
    timestamp: int
    """Seconds since the epoch, as cosigned."""
    key: str = ""
    """`name+key ID` of the trusted key that verified it."""

    @staticmethod
    def utc_of(timestamp: int) -> str:
        return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    @property
    def utc(self) -> str:
        return self.utc_of(self.timestamp)

    def as_json(self) -> dict[str, Any]:
        return {"witness": self.witness, "key": self.key, "timestamp": self.timestamp}


@dataclass(frozen=True)
class Witnessing:
    """What the checkpoint note step established (PROTOCOL.md §10.8).

    `note_present` False: the bundle carries no note. `log_key` None: the note is bound to
    the checkpoint but its signatures were not checked (no log key given). `policy` 0: no
    witness keys were given, so the checkpoint's witnessing was not checked, which must never
    be worded as if it had been. Otherwise the trusted witnesses' valid cosignatures, earliest
    first, met the policy, and `witnessed_at` is the k-th earliest timestamp.
    """

    note_present: bool = False
    log_key: str | None = None
    policy: int = 0
    trusted: tuple[str, ...] = ()
    """The names of the witness keys the verifier trusted."""
    cosignatures: tuple[WitnessCosignature, ...] = ()
    witnessed_at: int | None = None

    @property
    def checked(self) -> bool:
        """Whether the checkpoint's witnessing was checked (and, since the step passed, met)."""
        return self.policy > 0 and self.witnessed_at is not None

    def as_json(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "note": self.note_present,
            "log_key": self.log_key,
            "policy": self.policy,
            "trusted": list(self.trusted),
            "cosignatures": [c.as_json() for c in self.cosignatures],
            "witnessed_at": self.witnessed_at,
        }


@dataclass(frozen=True)
class Proven:
    """What a verified proof bundle establishes about its record, for whoever presents it.

    Built only when the outcome is VERIFIED, from values the steps recomputed or checked.
    `accepted_at` (bound by the leaf), `checkpoint_seq` and `sealed_at` (bound by the seal
    leaf) are committed, so a bundle cannot change them, but they are the node's clock and
    numbering: only the node vouches for them, and whoever prints them must say so.
    `anchor` is what the anchor step established and how far (`anchor.tied_to`: "bundle"
    means its own header only); `assurance` is the report's level for this record.
    """

    record: dict[str, Any]
    """The committed record object, exactly as in the bundle."""
    kind: str
    agency: str
    case: str
    record_id: bytes
    commitment: bytes
    leaf_index: int
    leaf_hash: bytes
    prev: int | None
    """The leaf index the leaf names as its case's previous record (None: the first)."""
    accepted_at: str
    checkpoint_size: int
    checkpoint_root: bytes
    checkpoint_seq: int
    sealed_at: str
    anchor: AnchorFacts | None
    signer: str | None
    agency_registered_at: int | None
    """The block at which the chain's registry listed `signer` as `agency` (checked with a
    chain only)."""
    assurance: Assurance = Assurance.LOG_ONLY
    witnesses: tuple[WitnessCosignature, ...] = ()
    """The trusted witnesses' cosignatures of the checkpoint, earliest first (checked)."""
    witnessing: Witnessing = field(default_factory=Witnessing)
    """What the checkpoint note step established; by default: no note, nothing checked."""

    def as_json(self) -> dict[str, Any]:
        anchor = self.anchor
        return {
            "record": self.record,
            "kind": self.kind,
            "agency": self.agency,
            "case": self.case,
            "record_id": self.record_id.hex(),
            "commitment": self.commitment.hex(),
            "leaf_index": self.leaf_index,
            "leaf_hash": self.leaf_hash.hex(),
            "prev": self.prev,
            "accepted_at": self.accepted_at,
            "checkpoint": {
                "size": self.checkpoint_size,
                "root": self.checkpoint_root.hex(),
                "seq": self.checkpoint_seq,
                "sealed_at": self.sealed_at,
            },
            "anchor": None
            if anchor is None
            else {
                "chain_id": anchor.chain_id,
                "genesis_hash": anchor.genesis_hash.hex(),
                "contract": anchor.contract,
                "writer": anchor.writer,
                "checkpoint_index": anchor.checkpoint_index,
                "block_number": anchor.block_number,
                "block_hash": anchor.block_hash.hex(),
                "block_timestamp": anchor.block_timestamp,
                "anchored_at": anchor.anchored_at,
                "tx_hash": anchor.tx_hash.hex(),
                "tied_to": anchor.tied_to,
            },
            "signer": self.signer,
            "agency_registered_at": self.agency_registered_at,
            "assurance": self.assurance.value,
            "witnesses": [w.as_json() for w in self.witnesses],
            "witnessing": self.witnessing.as_json(),
        }


@dataclass(frozen=True)
class CaseFindings:
    """What a verified case bundle establishes about its case as a whole."""

    case: str
    checkpoint_size: int
    head_proven: bool
    """True when the bundle proves the case's head at the checkpoint, so that no record of
    the case in that checkpoint can be missing after the last one shown (DESIGN decision 9):
    bundle version 2 does, through the seal leaf's case index."""
    count: int = 0
    """How many records the case index says the case has up to the checkpoint."""
    head: int | None = None
    """The leaf index of the case's last record up to the checkpoint."""
    shredded: tuple[int, ...] = ()
    """Leaves of the case shown without their record (the node says: shredded)."""

    def as_json(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "checkpoint_size": self.checkpoint_size,
            "head_proven": self.head_proven,
            "count": self.count,
            "head": self.head,
            "shredded": list(self.shredded),
        }


@dataclass
class Report:
    """The steps in the order walked; `summary` is the one statement the report makes,
    `notes` what limits it (each already part of the summary's text)."""

    steps: list[Step] = field(default_factory=list)
    summary: str = ""
    assurance: Assurance = Assurance.NONE
    notes: list[str] = field(default_factory=list)
    proven: tuple[Proven, ...] = ()
    """Per record shown in full, what the bundle proves; empty unless VERIFIED."""
    case: CaseFindings | None = None
    """For a verified case bundle: what it proves about the case as a whole."""
    witnessing: Witnessing = field(default_factory=Witnessing)
    """What the checkpoint note step established (PROTOCOL.md §10.8)."""

    @property
    def outcome(self) -> Outcome:
        statuses = {step.status for step in self.steps}
        if StepStatus.FAILED in statuses or not self.steps:
            return Outcome.NOT_VERIFIED
        if StepStatus.CANNOT_VERIFY in statuses:
            return Outcome.CANNOT_VERIFY
        return Outcome.VERIFIED

    @property
    def ok(self) -> bool:
        """VERIFIED (at whatever assurance level)."""
        return self.outcome is Outcome.VERIFIED

    @property
    def failed_step(self) -> Step | None:
        return next((s for s in self.steps if s.status is StepStatus.FAILED), None)

    def add(self, name: str, status: StepStatus, detail: str) -> None:
        self.steps.append(Step(name, status, detail))

    def as_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "valid": self.ok,
            "assurance": self.assurance.value,
            "steps": [s.as_json() for s in self.steps],
            "summary": self.summary,
            "notes": list(self.notes),
            "proven": [p.as_json() for p in self.proven],
            "case": None if self.case is None else self.case.as_json(),
            "witnessing": self.witnessing.as_json(),
        }
