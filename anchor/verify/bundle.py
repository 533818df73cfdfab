"""Checking a proof bundle, step by step (PROTOCOL.md §6).

Every hash is recomputed from the bundle's own bytes. This module restates the commitment
and leaf formulas instead of importing the code that built them, so a court's check does not
depend on the builder being right; the bundle's grammar is the protocol's
(`anchor/protocol/bundle_format.py`). Each step reports what it checked; the first failure
stops the walk and names the step, so a tampered byte fails at the step it breaks. A chain
check that cannot be made does not stop the walk: the offline checks of that step and the
later steps still run, and the outcome is CANNOT VERIFY unless one of them fails.

Steps: format, record, commitment, leaf, inclusion, seal, anchor, signature, checkpoint note.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from hashlib import sha256
from typing import TYPE_CHECKING, Any

import rfc8785

from evanchor.anchor.errors import EvanchorError
from evanchor.anchor.protocol.bundle_format import (
    BUNDLE_FORMAT,
    BUNDLE_VERSION,
    BundleMalformed,
    CheckpointModel,
    ProofBundle,
    SealLeafModel,
    SealProof,
    SignatureSection,
    parse,
)
from evanchor.anchor.protocol.records import (
    AuctionRecord,
    CollectionCheckpoint,
    parse_record,
    record_agency,
    record_case_key,
)
from evanchor.anchor.protocol.signing import SignatureInvalid, SigningDomain, recover_signer
from evanchor.anchor.verify.anchor_evidence import (
    AnchorFacts,
    agency_code_at,
    check_anchor_offline,
    check_anchor_with_rpc,
    read_anchor_section,
)
from evanchor.anchor.verify.checkpoint_note import STEP as NOTE_STEP
from evanchor.anchor.verify.checkpoint_note import WitnessTrust, check_checkpoint_note, ordinal
from evanchor.anchor.verify.errors import (
    AnchorEvidenceInvalid,
    CannotVerify,
    WitnessEvidenceInvalid,
)
from evanchor.anchor.verify.proofs import verify_inclusion
from evanchor.anchor.verify.report import (
    Assurance,
    CaseFindings,
    Outcome,
    Proven,
    Report,
    Step,
    StepStatus,
    WitnessCosignature,
    Witnessing,
)

if TYPE_CHECKING:
    from web3 import Web3

__all__ = [
    "BUNDLE_FORMAT",
    "NOTE_SKIPPED",
    "NOTE_STEP",
    "BundleInvalid",
    "CaseFindings",
    "Proven",
    "Report",
    "Step",
    "WitnessCosignature",
    "WitnessTrust",
    "Witnessing",
    "check_note_step",
    "check_seal",
    "leaf_hash_of",
    "verify_bundle",
]

_COMMITMENT_TAG = b"evanchor/v1/commitment\x00"
_RECORD_ID_TAG = b"evanchor/v1/record-id\x00"


class BundleInvalid(EvanchorError):
    """A bundle failed verification; `step` names the step that failed."""

    def __init__(self, step: str, reason: str) -> None:
        super().__init__(f"{step}: {reason}")
        self.step = step
        self.reason = reason


class _ChainUnanswered(EvanchorError):
    """A step's chain part could not be made; `detail` says what the offline part showed."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def leaf_hash_of(obj: dict[str, Any]) -> bytes:
    """RFC 9162 leaf hash of a leaf object: SHA-256(0x00 || JCS(leaf))."""
    return sha256(b"\x00" + rfc8785.dumps(obj)).digest()


AnchorCache = dict[str, tuple[AnchorFacts, CannotVerify | None]]
"""Verified anchor sections by their JSON, for case bundles whose records share one."""


@dataclass
class Context:
    """What the caller trusts, and what a case bundle's records share."""

    trusted_block_hash: bytes | None = None
    w3: Web3 | None = None
    anchors: AnchorCache = field(default_factory=dict)
    trust: WitnessTrust = field(default_factory=WitnessTrust)
    """The log's and the witnesses' keys and the witness policy (checkpoint note step)."""
    note_step: bool = True
    """False for a case bundle's records: the case bundle carries the note and checks it."""


@dataclass
class Facts:
    """What earlier steps established, for later steps and the summary."""

    raw: dict[str, Any]
    bundle: ProofBundle | None = None
    record: CollectionCheckpoint | AuctionRecord | None = None
    canonical: bytes = b""
    commitment: bytes = b""
    leaf_hash: bytes = b""
    seal: SealLeafModel | None = None
    anchor: AnchorFacts | None = None
    anchor_unanswered: str | None = None
    signer: str | None = None
    registered_at: int | None = None
    witnessing: Witnessing = field(default_factory=Witnessing)

    @property
    def parsed(self) -> ProofBundle:
        assert self.bundle is not None, "the format step runs first"
        return self.bundle


# -- the steps ---------------------------------------------------------------------------


def not_this_format(raw: dict[str, Any], expected: str, what: str) -> str:
    """Why `raw` is not `what` (whose "format" is `expected`): the format it names instead,
    or that it names none, with the members it has (a record, a receipt, a status answer
    are told apart by them)."""
    if "format" not in raw:
        members = ", ".join(sorted(map(repr, raw))[:6]) or "none"
        more = ", ..." if len(raw) > 6 else ""
        return (
            f"not {what}: no 'format' member (a {what[2:]} has format {expected!r});"
            f" members found: {members}{more}"
        )
    return f"not {what}: its format is {raw['format']!r}, expected {expected!r}"


def _step_format(facts: Facts, _: Context) -> str:
    raw = facts.raw
    if raw.get("format") != BUNDLE_FORMAT:
        raise BundleInvalid("format", not_this_format(raw, BUNDLE_FORMAT, "a proof bundle"))
    if raw.get("version") != BUNDLE_VERSION or type(raw.get("version")) is not int:
        raise BundleInvalid(
            "format",
            f"unsupported bundle version {raw.get('version')!r}: this verifier reads version"
            f" {BUNDLE_VERSION} (version 1 bundles carry no seal leaf)",
        )
    for key in ("anchor", "signature"):
        if key not in raw:
            raise BundleInvalid("format", f"{key}: required member is missing")
        if raw[key] is not None and not isinstance(raw[key], dict):
            raise BundleInvalid("format", f"{key}: expected an object or null")
    try:
        # `anchor` and `signature` are read by their own steps.
        facts.bundle = parse(ProofBundle, {**raw, "anchor": None, "signature": None})
    except BundleMalformed as error:
        raise BundleInvalid("format", str(error)) from None
    return f"proof bundle version {BUNDLE_VERSION}; every member present, none unknown"


def _step_record(facts: Facts, _: Context) -> str:
    record = facts.raw["record"]  # as given: the format step checked it is an object
    try:
        facts.record = parse_record(record, where="record")
    except EvanchorError as error:
        raise BundleInvalid("record", str(error)) from None
    try:
        facts.canonical = rfc8785.dumps(record)
    except rfc8785.CanonicalizationError as error:
        raise BundleInvalid("record", f"cannot canonicalize: {error}") from None
    return f"{facts.record.kind} valid; {len(facts.canonical)} canonical bytes"


def _step_commitment(facts: Facts, _: Context) -> str:
    bundle = facts.parsed
    salt = bytes.fromhex(bundle.salt)
    claimed = bytes.fromhex(bundle.commitment)
    facts.commitment = sha256(_COMMITMENT_TAG + salt + facts.canonical).digest()
    if facts.commitment != claimed:
        raise BundleInvalid(
            "commitment",
            f"record and salt commit to {facts.commitment.hex()}, bundle says {claimed.hex()}",
        )
    return f"SHA-256(tag || salt || record) = {claimed.hex()}"


def _step_leaf(facts: Facts, _: Context) -> str:
    bundle, record = facts.parsed, facts.record
    assert record is not None
    leaf = bundle.leaf
    expected = {
        "commitment": facts.commitment.hex(),
        "kind": record.kind,
        "agency": record_agency(record),
        "case": record_case_key(record),
    }
    for key, want in expected.items():
        found = getattr(leaf, key)
        if found != want:
            raise BundleInvalid("leaf", f"leaf.{key} is {found!r}, the record gives {want!r}")
    if leaf.prev is not None and leaf.prev >= bundle.leaf_index:
        raise BundleInvalid(
            "leaf", f"leaf.prev {leaf.prev} is not before leaf index {bundle.leaf_index}"
        )
    facts.leaf_hash = leaf_hash_of(facts.raw["leaf"])  # the bundle's own bytes, as given
    claimed = bytes.fromhex(bundle.leaf_hash)
    if claimed != facts.leaf_hash:
        raise BundleInvalid(
            "leaf", f"leaf hashes to {facts.leaf_hash.hex()}, bundle says {claimed.hex()}"
        )
    follows = "the case's first" if leaf.prev is None else f"after leaf {leaf.prev} of its case"
    return (
        f"leaf {bundle.leaf_index} = {facts.leaf_hash.hex()} ({follows}); the node says it"
        f" accepted the record at {leaf.accepted_at} by its own clock"
    )


def _step_inclusion(facts: Facts, _: Context) -> str:
    bundle = facts.parsed
    checkpoint = bundle.checkpoint
    try:
        verify_inclusion(
            facts.leaf_hash,
            bundle.leaf_index,
            checkpoint.size,
            [bytes.fromhex(h) for h in bundle.inclusion_proof],
            bytes.fromhex(checkpoint.root),
        )
    except EvanchorError as error:
        raise BundleInvalid("inclusion", str(error)) from None
    return (
        f"leaf {bundle.leaf_index} is in the tree of size {checkpoint.size} with root"
        f" {checkpoint.root}"
    )


def check_seal(checkpoint: CheckpointModel, seal: SealProof, raw_leaf: Any) -> str:
    """The seal leaf is the checkpoint's last leaf and says what the checkpoint says.

    `raw_leaf` is the seal leaf as the bundle gives it (parsed JSON, which `seal.leaf` was
    validated from): its hash is taken from it, never from a re-rendering. Raises
    BundleInvalid("seal", ...). Shared with case bundles.
    """
    leaf = seal.leaf
    for name in ("seq", "size", "sealed_at"):
        found, want = getattr(leaf, name), getattr(checkpoint, name)
        if found != want:
            raise BundleInvalid(
                "seal", f"seal.leaf.{name} is {found!r}, checkpoint.{name} is {want!r}"
            )
    try:
        verify_inclusion(
            leaf_hash_of(raw_leaf),
            checkpoint.size - 1,
            checkpoint.size,
            [bytes.fromhex(h) for h in seal.inclusion_proof],
            bytes.fromhex(checkpoint.root),
        )
    except EvanchorError as error:
        raise BundleInvalid(
            "seal", f"the seal leaf is not the checkpoint's last leaf: {error}"
        ) from None
    target = leaf.anchored_to
    anchored = (
        "anchoring nowhere"
        if target is None
        else f"anchoring on chain {target.chain_id} (genesis {target.genesis_hash}), contract"
        f" {target.contract}, writer {target.writer}"
    )
    signed = "every record signed" if leaf.signed else "unsigned records"
    return (
        f"leaf {checkpoint.size - 1}, the checkpoint's last, is its seal leaf, in which the"
        f" node commits to: {anchored}; {signed};"
        f" {leaf.cases} case(s) in the case index; checkpoint number {leaf.seq}, sealed at"
        f" {leaf.sealed_at} by its own clock"
    )


def _step_seal(facts: Facts, _: Context) -> str:
    bundle = facts.parsed
    detail = check_seal(bundle.checkpoint, bundle.seal, facts.raw["seal"]["leaf"])
    facts.seal = seal = bundle.seal.leaf
    if bundle.leaf_index == bundle.checkpoint.size - 1:
        raise BundleInvalid("seal", f"leaf {bundle.leaf_index} is the seal leaf's place")
    if bundle.log is not None and bundle.log != seal.anchored_to:
        committed = "no target" if seal.anchored_to is None else seal.anchored_to.as_json()
        raise BundleInvalid(
            "seal", f"log is {bundle.log.as_json()}, but the checkpoint commits to {committed}"
        )
    if seal.anchored_to is None and facts.raw["anchor"] is not None:
        raise BundleInvalid(
            "seal",
            "the checkpoint commits to a log that anchors nowhere, but the bundle carries"
            " anchor evidence",
        )
    return detail


def _anchor_facts(facts: Facts, context: Context) -> tuple[AnchorFacts, CannotVerify | None]:
    """The anchor section checked (with the chain if given); CannotVerify alongside the
    offline result when the chain could not answer."""
    bundle = facts.parsed
    section = read_anchor_section(facts.raw["anchor"], bundle.log, bundle.checkpoint)
    if context.w3 is None:
        return check_anchor_offline(section, context.trusted_block_hash), None
    try:
        return check_anchor_with_rpc(section, context.w3), None
    except CannotVerify as unanswered:
        return check_anchor_offline(section, context.trusted_block_hash), unanswered


def _step_anchor(facts: Facts, context: Context) -> str | None:
    """The checkpoint is stored in the contract at block B (anchor_evidence.py)."""
    if facts.raw["anchor"] is None:
        return None
    key = json.dumps(
        [facts.raw["anchor"], facts.raw.get("log"), facts.raw.get("checkpoint")], sort_keys=True
    )
    try:
        if key not in context.anchors:
            context.anchors[key] = _anchor_facts(facts, context)
        facts.anchor, unanswered = context.anchors[key]
    except AnchorEvidenceInvalid as error:
        raise BundleInvalid("anchor", f"{error.check}: {error.reason}") from None
    if unanswered is not None:
        facts.anchor_unanswered = str(unanswered)
        raise _ChainUnanswered(f"{unanswered}; offline, {facts.anchor.describe()}")
    return facts.anchor.describe()


def _step_signature(facts: Facts, context: Context) -> str | None:
    """EIP-712 recovery under the log's domain; with a chain, the signer's registration."""
    raw = facts.raw["signature"]
    if raw is None:
        return None
    try:
        section = parse(SignatureSection, raw, at=("signature",))
    except BundleMalformed as error:
        raise BundleInvalid("signature", str(error)) from None
    log = facts.parsed.log
    if log is None:
        raise BundleInvalid(
            "signature", "a signature needs the log's chain id and contract; log is null"
        )
    try:
        domain = SigningDomain(log.chain_id, log.contract)
        signer = recover_signer(
            domain.separator, facts.commitment, bytes.fromhex(section.signature)
        )
    except (SignatureInvalid, ValueError) as error:
        raise BundleInvalid("signature", str(error)) from None
    if signer != section.signer:
        raise BundleInvalid(
            "signature", f"the signature recovers to {signer}, the bundle names {section.signer}"
        )
    facts.signer = signer
    assert facts.record is not None
    agency = record_agency(facts.record)
    signed = (
        f"signed by {signer} under the log's domain (chain {log.chain_id}, contract {log.contract})"
    )
    anchor = facts.anchor
    if context.w3 is None or anchor is None:
        why = "--rpc" if anchor is not None else "an anchored bundle and --rpc"
        return f"{signed}; whether {signer} was registered as agency {agency} needs {why}"
    if facts.anchor_unanswered is not None:
        raise _ChainUnanswered(
            f"{signed}; whether it was registered as agency {agency} is unknown: the chain"
            " could not answer"
        )
    block = anchor.block_number
    try:
        registered = agency_code_at(context.w3, anchor.contract, signer, block)
    except CannotVerify as error:
        raise _ChainUnanswered(f"{signed}; its registration could not be read: {error}") from None
    except AnchorEvidenceInvalid as error:
        raise BundleInvalid("signature", f"{error.check}: {error.reason}") from None
    if registered != agency:
        found = "not registered" if registered is None else f"registered as {registered}"
        raise BundleInvalid(
            "signature", f"signer {signer} was {found} at block {block}, not as {agency}"
        )
    facts.registered_at = block
    return f"{signed}, registered as agency {agency} at block {block}"


def check_note_step(
    note: str | None,
    checkpoint: CheckpointModel,
    seal: SealLeafModel,
    trust: WitnessTrust,
) -> tuple[str | None, Witnessing]:
    """The checkpoint note step (PROTOCOL.md §10.8) for a bundle's note, checkpoint and seal
    leaf: its detail (None: skipped, the bundle has no note) and what it established. Raises
    BundleInvalid("checkpoint note", "<check>: <detail>"). Shared with case bundles.

    With witness keys, a bundle without a note cannot meet the policy: that is a failure.
    """
    if note is None:
        if trust.witness_keys:
            n = len(trust.witness_keys)
            raise BundleInvalid(
                NOTE_STEP,
                f"witness policy: {trust.quorum} of {n} trusted witnesses required; the bundle"
                " carries no checkpoint note (no log signature, no cosignature)",
            )
        return None, Witnessing()
    try:
        return check_checkpoint_note(note, checkpoint, seal.anchored_to, trust)
    except WitnessEvidenceInvalid as error:
        raise BundleInvalid(NOTE_STEP, f"{error.check}: {error.reason}") from None


def _step_checkpoint_note(facts: Facts, context: Context) -> str | None:
    """The bundle's signed checkpoint, bound to it, and its witnesses (checkpoint_note.py)."""
    assert facts.seal is not None
    bundle = facts.parsed
    detail, facts.witnessing = check_note_step(
        bundle.checkpoint_note, bundle.checkpoint, facts.seal, context.trust
    )
    return detail


_Check = Callable[[Facts, Context], str | None]
_STEPS: list[tuple[str, _Check]] = [
    ("format", _step_format),
    ("record", _step_record),
    ("commitment", _step_commitment),
    ("leaf", _step_leaf),
    ("inclusion", _step_inclusion),
    ("seal", _step_seal),
    ("anchor", _step_anchor),
    ("signature", _step_signature),
    (NOTE_STEP, _step_checkpoint_note),
]

NOTE_SKIPPED = "the bundle carries no signed checkpoint note: its witnessing was not checked"


def _skipped(name: str, facts: Facts) -> tuple[str, str | None]:
    """The detail of a skipped step, and the note it adds when the bundle is weaker than
    its log says (the seal leaf commits to where the log anchors and to signed records)."""
    seal = facts.seal
    assert seal is not None
    if name == NOTE_STEP:
        return NOTE_SKIPPED, None
    if name == "anchor":
        target = seal.anchored_to
        if target is None:
            return "not anchored: the checkpoint commits to a log that anchors nowhere", None
        note = (
            f"The checkpoint commits to a log anchored on chain {target.chain_id} (contract"
            f" {target.contract}), but this bundle carries no anchor evidence: its claim is"
            " weaker than the log's. Ask the node for the anchored bundle."
        )
        return "no anchor evidence in this bundle", note
    if seal.signed:
        note = (
            "Every record of this log carries its agency's signature (the checkpoint commits"
            " to it), but this bundle carries none: its claim is weaker than the log's."
        )
        return "no agency signature in this bundle", note
    return "no agency signature in this bundle (the log does not take signatures)", None


def walk(raw: Any, context: Context) -> tuple[Report, Facts]:
    """Every step of one proof bundle; never raises for any input."""
    report = Report()
    facts = Facts(raw=raw if isinstance(raw, dict) else {})
    if not isinstance(raw, dict):
        report.add("format", StepStatus.FAILED, "a bundle is a JSON object")
        report.summary = "NOT VERIFIED: the format step failed: this is not a proof bundle."
        return report, facts
    for name, check in _STEPS:
        if name == NOTE_STEP and not context.note_step:
            continue
        try:
            detail = check(facts, context)
        except BundleInvalid as error:
            report.add(error.step, StepStatus.FAILED, error.reason)
            report.summary = f"NOT VERIFIED: the {error.step} step failed: {error.reason}"
            return report, facts
        except _ChainUnanswered as unanswered:
            report.add(name, StepStatus.CANNOT_VERIFY, unanswered.detail)
            continue
        if detail is None:
            skipped, note = _skipped(name, facts)
            report.add(name, StepStatus.SKIPPED, skipped)
            if note is not None:
                report.notes.append(note)
        else:
            report.add(name, StepStatus.OK, detail)
    report.assurance = assurance_of(facts)
    report.witnessing = facts.witnessing
    report.summary = summary_of(report, facts)
    if report.ok:
        report.proven = (proven_of(facts, report.assurance),)
    return report, facts


def proven_of(facts: Facts, assurance: Assurance) -> Proven:
    """What a walk that verified established. Requires no step to have failed."""
    bundle, record = facts.parsed, facts.record
    assert record is not None
    return Proven(
        record=facts.raw["record"],
        kind=record.kind,
        agency=record_agency(record),
        case=record_case_key(record),
        record_id=sha256(_RECORD_ID_TAG + facts.canonical).digest(),
        commitment=facts.commitment,
        leaf_index=bundle.leaf_index,
        leaf_hash=facts.leaf_hash,
        prev=bundle.leaf.prev,
        accepted_at=bundle.leaf.accepted_at,
        checkpoint_size=bundle.checkpoint.size,
        checkpoint_root=bytes.fromhex(bundle.checkpoint.root),
        checkpoint_seq=bundle.checkpoint.seq,
        sealed_at=bundle.checkpoint.sealed_at,
        anchor=facts.anchor,
        signer=facts.signer,
        agency_registered_at=facts.registered_at,
        assurance=assurance,
        witnesses=facts.witnessing.cosignatures,
        witnessing=facts.witnessing,
    )


def assurance_of(facts: Facts) -> Assurance:
    """The level the checks reached (the steps passed or were skipped; none failed)."""
    anchor = facts.anchor
    if anchor is None or not anchor.tied or facts.anchor_unanswered is not None:
        return Assurance.LOG_ONLY
    if facts.signer is None:
        return Assurance.ANCHORED
    if facts.registered_at is None:
        return Assurance.SIGNED
    return Assurance.REGISTERED


def _tie_note(facts: Facts) -> str | None:
    anchor = facts.anchor
    if anchor is None or anchor.tied:
        return None
    return (
        "The bundle carries anchor evidence, checked against its own block header only:"
        " with --rpc, --chain-export or --block-hash it would be tied to the chain."
    )


def witness_sentence(witnessing: Witnessing, *, anchored: bool) -> str:
    """Who vouches for which time, as far as the checkpoint note step established it; never
    worded as witnessed unless the trusted witnesses' cosignatures met the policy."""
    block = (
        " The block's time is vouched for by the chain's sealers: against the operator it"
        " counts only as far as they are independent of it (where the operator seals alone,"
        " as on the embedded chain, it is the operator's claim)."
        if anchored
        else ""
    )
    if not witnessing.checked:
        why = (
            "the bundle carries no signed checkpoint note"
            if not witnessing.note_present
            else "no witness keys were given (--log-key, --witness-key)"
        )
        return f"{block} The checkpoint's witnessing was not checked: {why}."
    assert witnessing.witnessed_at is not None
    shown = ", ".join(f"by {c.witness} at {c.utc}" for c in witnessing.cosignatures)
    k, n = witnessing.policy, len(witnessing.trusted)
    return (
        f"{block} The checkpoint was witnessed {shown}, each cosignature checked against the"
        f" witness's key. With a policy of {k} of {n} trusted witnesses, the record existed,"
        f" unaltered, no later than {WitnessCosignature.utc_of(witnessing.witnessed_at)}"
        f" (the {ordinal(k)} earliest cosignature), vouched for by the witnesses, not the operator:"
        f" it holds if any one of those {k} is honest. A cosignature shows that the witness saw"
        " this checkpoint consistent with the earlier ones it had cosigned at that time; it"
        " does not show that the records are true."
    )


def summary_of(report: Report, facts: Facts) -> str:
    """The report's one statement, no fuller than its assurance level. Requires a walk in
    which no step failed."""
    bundle, record, seal = facts.parsed, facts.record, facts.seal
    assert record is not None
    assert seal is not None
    level = report.assurance
    what = (
        f"this {record.kind} record (naming agency {record_agency(record)}, case"
        f" {record_case_key(record)})"
    )
    checkpoint = f"checkpoint (size {bundle.checkpoint.size}, root {bundle.checkpoint.root})"
    anchor = facts.anchor
    if (level is Assurance.LOG_ONLY or anchor is None) and facts.witnessing.checked:
        text = (
            f"Assurance {level}: {what[0].upper()}{what[1:]} is leaf {bundle.leaf_index} of"
            f" {checkpoint}. Nothing in this report ties that checkpoint to a chain: when it"
            " existed rests on the witnesses' cosignatures below, and who submitted the record"
            " is not shown by the chain."
        )
    elif level is Assurance.LOG_ONLY or anchor is None:
        text = (
            f"Assurance {level}: {what[0].upper()}{what[1:]} is leaf {bundle.leaf_index} of"
            f" {checkpoint}. Nothing in this report ties that checkpoint to a chain, so it"
            " shows that the bundle is consistent, not when the record existed or who"
            " submitted it: anyone holding the record could build such a bundle."
        )
    else:
        how = (
            "checked with the chain, where the writer held the writer role at that block"
            if anchor.tied_to == "rpc"
            else "the block's hash is the trusted one; only a writer-role holder can store a"
            " checkpoint in that contract"
        )
        text = (
            f"Assurance {level}: {what[0].upper()}{what[1:]} existed, unaltered, no later than"
            f" {anchor.anchored_at}, the chain's time of block {anchor.block_number} of chain"
            f" {anchor.chain_id} (genesis {anchor.genesis_hash.hex()}): it is leaf"
            f" {bundle.leaf_index} of {checkpoint}, which writer {anchor.writer} stored as its"
            f" checkpoint {anchor.checkpoint_index} in EvidenceAnchor contract"
            f" {anchor.contract} in that block ({how})."
        )
        if facts.signer is not None:
            text += f" Its commitment is signed by {facts.signer} under the log's domain."
            agency = record_agency(record)
            if facts.registered_at is not None:
                text += (
                    f" {facts.signer} was registered in that contract as agency {agency} at"
                    f" block {facts.registered_at}."
                )
            else:
                text += (
                    f" Whether {facts.signer} was registered as agency {agency} was not checked."
                )
    text += (
        f" The node numbers the checkpoint {seal.seq} and says it sealed it at {seal.sealed_at}"
        " by its own clock (the node's claims, committed in the checkpoint)."
    )
    text += witness_sentence(facts.witnessing, anchored=anchor is not None)
    tie = _tie_note(facts)
    if tie is not None:
        report.notes.append(tie)
    if facts.signer is not None and level.rank < Assurance.SIGNED.rank:
        report.notes.append(
            f"The commitment is signed by {facts.signer}; at this level that says nothing about"
            " when, or whether the key was a registered agency's."
        )
    prefix = report.outcome.value
    if report.outcome is Outcome.CANNOT_VERIFY:
        step = next(s for s in report.steps if s.status is StepStatus.CANNOT_VERIFY)
        reason = facts.anchor_unanswered or step.detail
        prefix += f" (the {step.name} step needs the chain: {reason})"
    return " ".join([f"{prefix}. {text}", *report.notes])


def verify_bundle(
    bundle: Any,
    *,
    trusted_block_hash: bytes | None = None,
    w3: Web3 | None = None,
    trust: WitnessTrust | None = None,
) -> Report:
    """Walk every step of a proof bundle; never raises for any input.

    The anchor step checks the chain evidence offline; `trusted_block_hash` (the hash of the
    anchoring block from a source the caller trusts) or `w3` (a chain to ask) tie it to a
    chain, and `w3` also checks the writer's and the agency's registration at that block.
    `trust` (checkpoint_note.witness_trust) holds the log's and witnesses' keys and the
    policy the checkpoint note step checks the bundle's signed checkpoint with.
    """
    context = Context(trusted_block_hash=trusted_block_hash, w3=w3, trust=trust or WitnessTrust())
    return walk(bundle, context)[0]
