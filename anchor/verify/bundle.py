"""Checking a proof bundle offline, step by step (PROTOCOL.md §6).

Every hash is recomputed from the bundle's own bytes. This module restates the commitment
and leaf formulas instead of importing the code that built them, so a court's check does not
depend on the builder being right. Each step reports what it checked; the first failure stops
the walk and names the step, so a tampered byte fails at the step it breaks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from hashlib import sha256
from typing import TYPE_CHECKING, Any

import rfc8785

from evanchor.anchor.errors import EvanchorError
from evanchor.anchor.protocol.records import parse_record, record_agency, record_case_key
from evanchor.anchor.protocol.signing import SignatureInvalid, SigningDomain, recover_signer
from evanchor.anchor.verify.anchor_evidence import (
    AnchorFacts,
    agency_code_at,
    verify_anchor_offline,
    verify_anchor_with_rpc,
)
from evanchor.anchor.verify.errors import AnchorEvidenceInvalid
from evanchor.anchor.verify.proofs import verify_inclusion

if TYPE_CHECKING:
    from web3 import Web3

BUNDLE_FORMAT = "evanchor/proof-bundle"
CASE_BUNDLE_FORMAT = "evanchor/case-bundle"
SUPPORTED_VERSIONS = (1,)
_COMMITMENT_TAG = b"evanchor/v1/commitment\x00"
_RECORD_ID_TAG = b"evanchor/v1/record-id\x00"


class BundleInvalid(EvanchorError):
    """A bundle failed verification; `step` names the step that failed."""

    def __init__(self, step: str, reason: str) -> None:
        super().__init__(f"{step}: {reason}")
        self.step = step
        self.reason = reason


@dataclass
class Step:
    name: str
    status: str  # "ok", "failed", "skipped"
    detail: str

    def as_json(self) -> dict[str, str]:
        return {"step": self.name, "status": self.status, "detail": self.detail}


@dataclass(frozen=True)
class WitnessCosignature:
    """An independent witness's cosignature of the bundle's checkpoint, once checked.

    A witness (DESIGN decision 10, C2SP tlog-cosignature) signs that it saw the checkpoint no
    later than `timestamp`; that time is vouched for by the witness, not by the node's
    operator. Bundle version 1 carries no cosignatures, so no verification step produces
    these yet: the witness step that checks them fills `Proven.witnesses`.
    """

    witness: str
    """The witness's key name, as its signed note names it."""
    timestamp: int
    """Seconds since the epoch, as cosigned."""

    def as_json(self) -> dict[str, Any]:
        return {"witness": self.witness, "timestamp": self.timestamp}


@dataclass(frozen=True)
class Proven:
    """What a verified proof bundle establishes about its record, for whoever presents it.

    Built only after every step passed, from values the steps recomputed or checked. The
    node's clock values (`accepted_at`, `sealed_at`) and `checkpoint_seq` are carried as the
    bundle states them: the leaf hash binds `accepted_at` but only the node vouches for it,
    and nothing binds `sealed_at` or `seq`. Whoever prints them must say so.
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
    checkpoint_seq: Any
    sealed_at: Any
    anchor: AnchorFacts | None
    signer: str | None
    agency_registered_at: int | None
    """The block at which the chain's registry listed `signer` as `agency` (checked with a
    chain only)."""
    witnesses: tuple[WitnessCosignature, ...] = ()

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
            "checkpoint": {"size": self.checkpoint_size, "root": self.checkpoint_root.hex()},
            "anchor": None
            if anchor is None
            else {
                "chain_id": anchor.chain_id,
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
            "witnesses": [w.as_json() for w in self.witnesses],
        }


@dataclass(frozen=True)
class CaseFindings:
    """What a verified case bundle establishes about its case as a whole."""

    case: str
    checkpoint_size: int
    head_proven: bool
    """True only if the bundle proves the case's head at the checkpoint, so that no record
    of the case can follow the last one shown (DESIGN decision 9). Bundle version 1 does not
    commit to case heads: links show that nothing is missing between the first record and
    the last one shown, never after it."""

    def as_json(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "checkpoint_size": self.checkpoint_size,
            "head_proven": self.head_proven,
        }


@dataclass
class Report:
    steps: list[Step] = field(default_factory=list)
    summary: str = ""
    proven: tuple[Proven, ...] = ()
    """Per record, what the bundle proves; empty unless every step passed."""
    case: CaseFindings | None = None
    """For a verified case bundle: what it proves about the case as a whole."""

    @property
    def ok(self) -> bool:
        return all(step.status != "failed" for step in self.steps)

    @property
    def failed_step(self) -> Step | None:
        return next((s for s in self.steps if s.status == "failed"), None)

    def as_json(self) -> dict[str, Any]:
        return {
            "valid": self.ok,
            "steps": [s.as_json() for s in self.steps],
            "summary": self.summary,
            "proven": [p.as_json() for p in self.proven],
            "case": None if self.case is None else self.case.as_json(),
        }


def _hex32(value: Any, what: str) -> bytes:
    if not isinstance(value, str) or len(value) != 64:
        raise BundleInvalid("format", f"{what}: expected 64 hex digits")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise BundleInvalid("format", f"{what}: not hex") from None


def _int(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise BundleInvalid("format", f"{what}: expected a non-negative integer, got {value!r}")
    return value


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BundleInvalid("format", f"{what}: expected an object")
    return value


@dataclass
class _Facts:
    """What earlier steps established, for later steps and the summary."""

    record: Any = None
    canonical: bytes = b""
    commitment: bytes = b""
    leaf_hash: bytes = b""
    index: int = 0
    checkpoint: dict[str, Any] = field(default_factory=dict)
    # Chain checks (PROTOCOL.md §9.4): what the caller trusts, and what was established.
    trusted_block_hash: bytes | None = None
    w3: Web3 | None = None
    anchor: AnchorFacts | None = None
    signer: str | None = None
    agency_checked_at: int | None = None


def _step_format(bundle: dict[str, Any], facts: _Facts) -> str:
    if bundle.get("format") != BUNDLE_FORMAT:
        raise BundleInvalid("format", f"not a proof bundle (format {bundle.get('format')!r})")
    if bundle.get("version") not in SUPPORTED_VERSIONS:
        raise BundleInvalid("format", f"unsupported bundle version {bundle.get('version')!r}")
    for key in ("record", "leaf", "checkpoint", "case_link"):
        _object(bundle.get(key), key)
    if not isinstance(bundle.get("inclusion_proof"), list):
        raise BundleInvalid("format", "inclusion_proof: expected a list")
    return f"proof bundle version {bundle['version']}"


def _step_record(bundle: dict[str, Any], facts: _Facts) -> str:
    try:
        facts.record = parse_record(bundle["record"], where="record")
    except EvanchorError as error:
        raise BundleInvalid("record", str(error)) from None
    try:
        facts.canonical = rfc8785.dumps(bundle["record"])
    except rfc8785.CanonicalizationError as error:
        raise BundleInvalid("record", f"cannot canonicalize: {error}") from None
    return f"{facts.record.kind} valid; {len(facts.canonical)} canonical bytes"


def _step_commitment(bundle: dict[str, Any], facts: _Facts) -> str:
    salt = _hex32(bundle.get("salt"), "salt")
    claimed = _hex32(bundle.get("commitment"), "commitment")
    facts.commitment = sha256(_COMMITMENT_TAG + salt + facts.canonical).digest()
    if facts.commitment != claimed:
        raise BundleInvalid(
            "commitment",
            f"record and salt commit to {facts.commitment.hex()}, bundle says {claimed.hex()}",
        )
    return f"SHA-256(tag || salt || record) = {claimed.hex()}"


def _step_leaf(bundle: dict[str, Any], facts: _Facts) -> str:
    leaf = bundle["leaf"]
    expected = {
        "v": 1,
        "commitment": facts.commitment.hex(),
        "kind": facts.record.kind,
        "agency": record_agency(facts.record),
        "case": record_case_key(facts.record),
    }
    for key, want in expected.items():
        if leaf.get(key) != want:
            raise BundleInvalid("leaf", f"leaf.{key} is {leaf.get(key)!r}, expected {want!r}")
    if set(leaf) != {*expected, "prev", "accepted_at"}:
        raise BundleInvalid("leaf", f"unexpected leaf fields {sorted(set(leaf) - set(expected))}")
    facts.index = _int(bundle.get("leaf_index"), "leaf_index")
    prev = leaf["prev"]
    if prev is not None and (_int(prev, "leaf.prev") >= facts.index):
        raise BundleInvalid("leaf", f"leaf.prev {prev} is not before leaf index {facts.index}")
    try:
        leaf_bytes = rfc8785.dumps(leaf)
    except rfc8785.CanonicalizationError as error:
        raise BundleInvalid("leaf", f"cannot canonicalize: {error}") from None
    facts.leaf_hash = sha256(b"\x00" + leaf_bytes).digest()
    claimed = _hex32(bundle.get("leaf_hash"), "leaf_hash")
    if claimed != facts.leaf_hash:
        raise BundleInvalid(
            "leaf", f"leaf hashes to {facts.leaf_hash.hex()}, bundle says {claimed.hex()}"
        )
    return f"leaf {facts.index} = {facts.leaf_hash.hex()}, accepted at {leaf['accepted_at']}"


def _step_inclusion(bundle: dict[str, Any], facts: _Facts) -> str:
    checkpoint = bundle["checkpoint"]
    size = _int(checkpoint.get("size"), "checkpoint.size")
    root = _hex32(checkpoint.get("root"), "checkpoint.root")
    proof = [_hex32(h, f"inclusion_proof[{i}]") for i, h in enumerate(bundle["inclusion_proof"])]
    try:
        verify_inclusion(facts.leaf_hash, facts.index, size, proof, root)
    except EvanchorError as error:
        raise BundleInvalid("inclusion", str(error)) from None
    facts.checkpoint = checkpoint
    return f"leaf {facts.index} is in the tree of size {size} with root {root.hex()}"


def _step_case_link(bundle: dict[str, Any], facts: _Facts) -> str:
    link = bundle["case_link"]
    leaf = bundle["leaf"]
    if link.get("case") != leaf["case"] or link.get("prev") != leaf["prev"]:
        raise BundleInvalid("case link", "case_link does not match the leaf's case and prev")
    if leaf["prev"] is None:
        if link.get("prev_leaf_hash") is not None:
            raise BundleInvalid("case link", "prev_leaf_hash given for a case's first record")
        return f"first record of case {leaf['case']}"
    _hex32(link.get("prev_leaf_hash"), "case_link.prev_leaf_hash")
    return f"follows leaf {leaf['prev']} of case {leaf['case']}"


def _step_anchor(bundle: dict[str, Any], facts: _Facts) -> str | None:
    """The checkpoint is stored in the contract at block B (chain_verify.py)."""
    if bundle.get("anchor") is None:
        return None
    try:
        if facts.w3 is not None:
            facts.anchor = verify_anchor_with_rpc(bundle, facts.w3)
        else:
            facts.anchor = verify_anchor_offline(bundle, facts.trusted_block_hash)
    except AnchorEvidenceInvalid as error:
        raise BundleInvalid("anchor", f"{error.check}: {error.reason}") from None
    return facts.anchor.describe()


def _step_signature(bundle: dict[str, Any], facts: _Facts) -> str | None:
    """EIP-712 recovery under the log's domain; with a chain, the signer's registration."""
    section = bundle.get("signature")
    if section is None:
        return None
    if not isinstance(section, dict) or set(section) != {"signature", "signer"}:
        raise BundleInvalid("signature", "expected an object {signature, signer}")
    raw, claimed = section["signature"], section["signer"]
    if not isinstance(raw, str) or len(raw) != 130:
        raise BundleInvalid("signature", "signature: expected 130 hex digits (65 bytes)")
    try:
        signature = bytes.fromhex(raw)
    except ValueError:
        raise BundleInvalid("signature", "signature: not hex") from None
    log = bundle.get("log")
    if not isinstance(log, dict):
        raise BundleInvalid("signature", "a signature needs the log's chain id and contract")
    chain_id, contract = log.get("chain_id"), log.get("contract")
    if not isinstance(chain_id, int) or not isinstance(contract, str) or len(contract) != 42:
        raise BundleInvalid("signature", "log.chain_id or log.contract is malformed")
    try:
        domain = SigningDomain(chain_id, contract)
        signer = recover_signer(domain.separator, facts.commitment, signature)
    except (SignatureInvalid, ValueError) as error:
        raise BundleInvalid("signature", str(error)) from None
    if signer != claimed:
        raise BundleInvalid(
            "signature", f"the signature recovers to {signer}, the bundle names {claimed!r}"
        )
    facts.signer = signer
    agency = record_agency(facts.record)
    if facts.w3 is None or facts.anchor is None:
        return (
            f"signed by {signer} for chain {chain_id}, contract {contract}; whether {signer} "
            "was registered as the record's agency needs --rpc"
        )
    block = facts.anchor.block_number
    try:
        registered = agency_code_at(facts.w3, facts.anchor.contract, signer, block)
    except AnchorEvidenceInvalid as error:
        raise BundleInvalid("signature", f"{error.check}: {error.reason}") from None
    if registered != agency:
        found = "not registered" if registered is None else f"registered as {registered}"
        raise BundleInvalid(
            "signature", f"signer {signer} was {found} at block {block}, not as {agency}"
        )
    facts.agency_checked_at = block
    return f"signed by {signer}, registered as agency {agency} at block {block}"


_STEPS: list[tuple[str, Callable[[dict[str, Any], _Facts], str | None], str]] = [
    ("format", _step_format, ""),
    ("record", _step_record, ""),
    ("commitment", _step_commitment, ""),
    ("leaf", _step_leaf, ""),
    ("inclusion", _step_inclusion, ""),
    ("case link", _step_case_link, ""),
    ("anchor", _step_anchor, "not anchored: no chain evidence in this bundle"),
    ("signature", _step_signature, "no agency signature in this bundle"),
]


def verify_bundle(
    bundle: Any, *, trusted_block_hash: bytes | None = None, w3: Web3 | None = None
) -> Report:
    """Walk every step; stop at the first failure. Never raises for any input.

    The anchor step checks the chain evidence offline; `trusted_block_hash` (the hash of the
    anchoring block from a source the caller trusts) or `w3` (a chain to ask) tie it to a
    chain, and `w3` also checks the writer's and the agency's registration at that block.
    """
    report = Report()
    facts = _Facts(trusted_block_hash=trusted_block_hash, w3=w3)
    if not isinstance(bundle, dict):
        report.steps.append(Step("format", "failed", "a bundle is a JSON object"))
        report.summary = "NOT VERIFIED: this is not a proof bundle."
        return report
    for name, check, skipped_detail in _STEPS:
        try:
            detail = check(bundle, facts)
        except BundleInvalid as error:
            report.steps.append(Step(error.step, "failed", error.reason))
            report.summary = f"NOT VERIFIED: the {error.step} step failed: {error.reason}"
            return report
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            report.steps.append(Step(name, "failed", f"malformed bundle ({error!r})"))
            report.summary = f"NOT VERIFIED: the {name} step failed on a malformed bundle"
            return report
        if detail is None:
            report.steps.append(Step(name, "skipped", skipped_detail))
        else:
            report.steps.append(Step(name, "ok", detail))
    report.proven = (_proven(bundle, facts),)
    record = facts.record
    report.summary = (
        f"This {record.kind} record of agency {record_agency(record)} (case "
        f"{record_case_key(record)}) existed, unaltered, as leaf {facts.index} of checkpoint "
        f"{facts.checkpoint.get('seq')} (size {facts.checkpoint.get('size')}, sealed "
        f"{facts.checkpoint.get('sealed_at')} by the node's clock)." + _anchored_summary(facts)
    )
    return report


def _proven(bundle: dict[str, Any], facts: _Facts) -> Proven:
    leaf = bundle["leaf"]
    return Proven(
        record=bundle["record"],
        kind=facts.record.kind,
        agency=record_agency(facts.record),
        case=record_case_key(facts.record),
        record_id=sha256(_RECORD_ID_TAG + facts.canonical).digest(),
        commitment=facts.commitment,
        leaf_index=facts.index,
        leaf_hash=facts.leaf_hash,
        prev=leaf["prev"],
        accepted_at=leaf["accepted_at"],
        checkpoint_size=facts.checkpoint["size"],
        checkpoint_root=bytes.fromhex(facts.checkpoint["root"]),
        checkpoint_seq=facts.checkpoint.get("seq"),
        sealed_at=facts.checkpoint.get("sealed_at"),
        anchor=facts.anchor,
        signer=facts.signer,
        agency_registered_at=facts.agency_checked_at,
    )


def _anchored_summary(facts: _Facts) -> str:
    anchor = facts.anchor
    if anchor is None:
        return (
            " It is not anchored on a chain in this bundle, so no time and no writer are"
            " proven independently of the node."
        )
    text = (
        f" The checkpoint was anchored in block {anchor.block_number} of chain"
        f" {anchor.chain_id} at {anchor.anchored_at} by writer {anchor.writer}"
    )
    if anchor.tied_to == "rpc":
        text += f", who held the writer role at block {anchor.block_number}"
    elif anchor.tied_to == "bundle":
        text += (
            " (shown against the bundle's own block header only: supply a trusted block hash"
            " or --rpc to tie it to the chain)"
        )
    text += "."
    if facts.signer is not None:
        text += f" The record is signed by {facts.signer}"
        if facts.agency_checked_at is not None:
            text += (
                f", registered as agency {record_agency(facts.record)} at block"
                f" {facts.agency_checked_at}"
            )
        text += "."
    return text


def verify_case_bundle(
    bundle: Any, *, trusted_block_hash: bytes | None = None, w3: Web3 | None = None
) -> Report:
    """Check every record bundle of a case and that their links leave no gap.

    Each record's `prev` must be the leaf index of the record before it, and the first
    record's must be null; every record must be proven against the same checkpoint. Then the
    case's history up to that checkpoint is complete: a dropped or reordered record breaks a
    link that its successor's leaf, covered by the checkpoint's root, commits to.
    `trusted_block_hash` and `w3` are passed to every record's `verify_bundle`.
    """
    report = Report()
    if not isinstance(bundle, dict) or bundle.get("format") != CASE_BUNDLE_FORMAT:
        report.steps.append(Step("format", "failed", "not a case bundle"))
        report.summary = "NOT VERIFIED: this is not a case bundle."
        return report
    records = bundle.get("records")
    checkpoint = bundle.get("checkpoint")
    case = bundle.get("case")
    if not isinstance(records, list) or not records or not isinstance(checkpoint, dict):
        report.steps.append(Step("format", "failed", "records or checkpoint missing"))
        report.summary = "NOT VERIFIED: malformed case bundle."
        return report
    report.steps.append(Step("format", "ok", f"case bundle of {len(records)} record(s)"))
    previous_index: int | None = None
    proven: list[Proven] = []
    for position, entry in enumerate(records):
        single = verify_bundle(entry, trusted_block_hash=trusted_block_hash, w3=w3)
        name = f"record {position}"
        if not single.ok:
            failed = single.failed_step
            detail = "invalid" if failed is None else f"{failed.name}: {failed.detail}"
            report.steps.append(Step(name, "failed", detail))
            report.summary = f"NOT VERIFIED: {name} of the case failed ({detail})"
            return report
        leaf = entry["leaf"]
        problem = None
        if leaf["case"] != case:
            problem = f"belongs to case {leaf['case']!r}, not {case!r}"
        elif entry["checkpoint"] != checkpoint:
            problem = "is proven against another checkpoint than the case bundle's"
        elif leaf["prev"] != previous_index:
            want = "no previous record" if previous_index is None else f"leaf {previous_index}"
            problem = f"links to {leaf['prev']!r}, expected {want}: the chain has a gap"
        if problem is not None:
            report.steps.append(Step(name, "failed", f"leaf {entry['leaf_index']} {problem}"))
            report.summary = f"NOT VERIFIED: {name} {problem}"
            return report
        report.steps.append(Step(name, "ok", f"leaf {entry['leaf_index']} verified and linked"))
        previous_index = entry["leaf_index"]
        proven += single.proven
    report.proven = tuple(proven)
    report.case = CaseFindings(
        case=proven[0].case, checkpoint_size=proven[0].checkpoint_size, head_proven=False
    )
    report.summary = (
        f"Case {case}: all {len(records)} record(s) up to checkpoint {checkpoint.get('seq')} "
        f"(size {checkpoint.get('size')}) are present, unaltered and in order; none is missing."
    )
    return report
