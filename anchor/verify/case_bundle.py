"""Checking a case bundle: every record of a case up to a checkpoint, none missing.

Steps (PROTOCOL.md §6.2):

    format        the case bundle's own members (bundle_format.CaseBundle); `records` is a
                  non-empty array of objects, each checked by its own steps below
    seal          the checkpoint's seal leaf is its last leaf (as for a proof bundle)
    case index    the case's entry {case, count, head} is entry `number` of the seal leaf's
                  case index (RFC 9162 inclusion in the tree of `cases` entries)
    record N      record N verifies as a proof bundle (or, shredded, as its leaf alone),
                  against the case bundle's own checkpoint and seal
    case chain    every record is the case's; the first links to nothing (`prev` null),
                  each next to the one before (`prev` = its leaf index)
    completeness  there are `count` records and the last is leaf `head`
    checkpoint note  the case bundle's signed checkpoint, bound to its checkpoint, and its
                  witnesses against the verifier's policy (as for a proof bundle)

The case index is committed by the checkpoint's root, so dropping the last records, or any
other, reordering them or inserting one fails here: the chain or the count no longer fits.
What it cannot show is whether the node built the case index honestly when it sealed: that
is the audit's check (`evanchor audit` recomputes every case index from the log).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from evanchor.anchor.errors import EvanchorError
from evanchor.anchor.protocol.bundle_format import (
    BUNDLE_VERSION,
    CASE_BUNDLE_FORMAT,
    NOTE_MEMBER,
    SHREDDED_RECORD_FORMAT,
    BundleMalformed,
    CaseBundle,
    ShreddedRecord,
    parse,
)
from evanchor.anchor.verify.bundle import (
    NOTE_SKIPPED,
    NOTE_STEP,
    BundleInvalid,
    Context,
    Facts,
    Witnessing,
    WitnessTrust,
    check_note_step,
    check_seal,
    leaf_hash_of,
    not_this_format,
    proven_of,
    walk,
    witness_sentence,
)
from evanchor.anchor.verify.proofs import verify_inclusion
from evanchor.anchor.verify.report import Assurance, CaseFindings, Outcome, Report, StepStatus

if TYPE_CHECKING:
    from web3 import Web3


@dataclass(frozen=True)
class _Member:
    """One record of the case as verified: its leaf's place and link, and its level."""

    index: int
    prev: int | None
    case: str
    shredded: bool
    facts: Facts | None
    assurance: Assurance


def _frame(raw: Any) -> CaseBundle:
    if not isinstance(raw, dict):
        raise BundleInvalid("format", "a case bundle is a JSON object")
    if raw.get("format") != CASE_BUNDLE_FORMAT:
        raise BundleInvalid("format", not_this_format(raw, CASE_BUNDLE_FORMAT, "a case bundle"))
    if raw.get("version") != BUNDLE_VERSION or type(raw.get("version")) is not int:
        raise BundleInvalid(
            "format",
            f"unsupported case bundle version {raw.get('version')!r}: this verifier reads"
            f" version {BUNDLE_VERSION}",
        )
    records = raw.get("records")
    if not isinstance(records, list) or not records:
        raise BundleInvalid("format", "records: expected a non-empty array")
    for position, entry in enumerate(records):
        if not isinstance(entry, dict):
            raise BundleInvalid("format", f"records[{position}]: expected an object")
        if entry.get(NOTE_MEMBER) is not None:
            raise BundleInvalid(
                "format",
                f"records[{position}].{NOTE_MEMBER}: a case bundle carries the checkpoint"
                " note once, at its top level",
            )
    try:
        return parse(CaseBundle, {**raw, "records": []})
    except BundleMalformed as error:
        raise BundleInvalid("format", str(error)) from None


def _case_index(frame: CaseBundle, raw_entry: Any) -> str:
    """`raw_entry` is the entry as the bundle gives it (its hash is taken from it)."""
    proof, seal = frame.case_index, frame.seal.leaf
    entry = proof.entry
    if entry.case != frame.case:
        raise BundleInvalid(
            "case index", f"the entry is case {entry.case!r}, the bundle is case {frame.case!r}"
        )
    try:
        verify_inclusion(
            leaf_hash_of(raw_entry),
            proof.number,
            seal.cases,
            [bytes.fromhex(h) for h in proof.inclusion_proof],
            bytes.fromhex(seal.cases_root),
        )
    except EvanchorError as error:
        raise BundleInvalid(
            "case index", f"the entry is not entry {proof.number} of the case index: {error}"
        ) from None
    return (
        f"the checkpoint's case index (entry {proof.number} of {seal.cases}) holds case"
        f" {entry.case} with {entry.count} record(s), the last at leaf {entry.head}"
    )


def _shredded(raw: dict[str, Any], frame: CaseBundle) -> _Member:
    try:
        entry = parse(ShreddedRecord, raw)
    except BundleMalformed as error:
        raise BundleInvalid("format", str(error)) from None
    if entry.checkpoint != frame.checkpoint or entry.seal != frame.seal:
        raise BundleInvalid("inclusion", "proven against another checkpoint than the case bundle's")
    claimed = leaf_hash_of(raw["leaf"])
    if claimed.hex() != entry.leaf_hash:
        raise BundleInvalid(
            "leaf", f"leaf hashes to {claimed.hex()}, bundle says {entry.leaf_hash}"
        )
    try:
        verify_inclusion(
            claimed,
            entry.leaf_index,
            frame.checkpoint.size,
            [bytes.fromhex(h) for h in entry.inclusion_proof],
            bytes.fromhex(frame.checkpoint.root),
        )
    except EvanchorError as error:
        raise BundleInvalid("inclusion", str(error)) from None
    if entry.leaf_index == frame.checkpoint.size - 1:
        raise BundleInvalid("inclusion", f"leaf {entry.leaf_index} is the seal leaf's place")
    return _Member(
        entry.leaf_index, entry.leaf.prev, entry.leaf.case, True, None, Assurance.LOG_ONLY
    )


def _record(raw: dict[str, Any], frame: CaseBundle, context: Context) -> tuple[_Member, Report]:
    report, facts = walk(raw, context)
    failed = report.failed_step
    if failed is not None:
        raise BundleInvalid(failed.name, failed.detail)
    bundle = facts.parsed
    if bundle.checkpoint != frame.checkpoint or bundle.seal != frame.seal:
        raise BundleInvalid("inclusion", "proven against another checkpoint than the case bundle's")
    member = _Member(
        bundle.leaf_index, bundle.leaf.prev, bundle.leaf.case, False, facts, report.assurance
    )
    return member, report


def _chain(members: list[_Member], case: str) -> str:
    previous: int | None = None
    for position, member in enumerate(members):
        if member.case != case:
            raise BundleInvalid(
                "case chain", f"record {position} (leaf {member.index}) is case {member.case!r}"
            )
        if member.prev != previous:
            want = "no earlier record" if previous is None else f"leaf {previous}"
            raise BundleInvalid(
                "case chain",
                f"record {position} (leaf {member.index}) links to {member.prev!r}, expected"
                f" {want}: a record is missing, inserted or out of order",
            )
        previous = member.index
    return f"{len(members)} record(s), each linked to the one before, the first to none"


def _completeness(members: list[_Member], frame: CaseBundle) -> str:
    entry = frame.case_index.entry
    if len(members) != entry.count:
        raise BundleInvalid(
            "completeness",
            f"{len(members)} record(s) shown, the case index commits to {entry.count}",
        )
    if members[-1].index != entry.head:
        raise BundleInvalid(
            "completeness",
            f"the last record shown is leaf {members[-1].index}, the case index commits to"
            f" leaf {entry.head}: the case's later records are missing",
        )
    return f"all {entry.count} record(s) of the case index's entry, the last at leaf {entry.head}"


def verify_case_bundle(
    bundle: Any,
    *,
    trusted_block_hash: bytes | None = None,
    w3: Web3 | None = None,
    trust: WitnessTrust | None = None,
) -> Report:
    """Check every record of a case bundle and that none of the case's records in its
    checkpoint is missing; never raises for any input. `trusted_block_hash`, `w3` and
    `trust` are as for `verify_bundle`; the records' shared anchor section is checked once,
    the checkpoint note once for the case bundle."""
    report = Report()
    trust = trust or WitnessTrust()
    context = Context(trusted_block_hash=trusted_block_hash, w3=w3, trust=trust, note_step=False)
    witnessing = Witnessing()
    members: list[_Member] = []
    notes: list[str] = []
    try:
        frame = _frame(bundle)
        report.add("format", StepStatus.OK, f"case bundle of {len(bundle['records'])} record(s)")
        seal = check_seal(frame.checkpoint, frame.seal, bundle["seal"]["leaf"])
        report.add("seal", StepStatus.OK, seal)
        report.add("case index", StepStatus.OK, _case_index(frame, bundle["case_index"]["entry"]))
        for position, entry in enumerate(bundle["records"]):
            step = f"record {position}"
            try:
                if entry.get("format") == SHREDDED_RECORD_FORMAT:
                    member = _shredded(entry, frame)
                    detail = (
                        f"leaf {member.index}: its leaf is proven, its text is not in the"
                        " bundle (the node says it was shredded)"
                    )
                    status = StepStatus.OK
                else:
                    member, single = _record(entry, frame, context)
                    status = (
                        StepStatus.CANNOT_VERIFY
                        if single.outcome is Outcome.CANNOT_VERIFY
                        else StepStatus.OK
                    )
                    detail = f"leaf {member.index} verified ({single.assurance})"
                    notes += [n for n in single.notes if n not in notes]
            except BundleInvalid as error:
                raise BundleInvalid(step, f"{error.step}: {error.reason}") from None
            members.append(member)
            report.add(step, status, detail)
        report.add("case chain", StepStatus.OK, _chain(members, frame.case))
        report.add("completeness", StepStatus.OK, _completeness(members, frame))
        note, witnessing = check_note_step(
            frame.checkpoint_note, frame.checkpoint, frame.seal.leaf, trust
        )
        if note is None:
            report.add(NOTE_STEP, StepStatus.SKIPPED, NOTE_SKIPPED)
        else:
            report.add(NOTE_STEP, StepStatus.OK, note)
    except BundleInvalid as error:
        report.add(error.step, StepStatus.FAILED, error.reason)
        report.summary = f"NOT VERIFIED: the {error.step} step failed: {error.reason}"
        return report
    report.assurance = _level(members)
    report.notes = notes
    report.witnessing = witnessing
    report.summary = _summary(report, frame, members)
    if report.ok:
        entry = frame.case_index.entry
        report.proven = tuple(
            dataclasses.replace(
                proven_of(m.facts, m.assurance),
                witnesses=witnessing.cosignatures,
                witnessing=witnessing,
            )
            for m in members
            if m.facts is not None
        )
        report.case = CaseFindings(
            case=frame.case,
            checkpoint_size=frame.checkpoint.size,
            head_proven=True,
            count=entry.count,
            head=entry.head,
            shredded=tuple(m.index for m in members if m.shredded),
        )
    return report


def _level(members: list[_Member]) -> Assurance:
    """The lowest level of the records that are shown in full (a shredded record's leaf
    adds no level: it has no record, signature or anchor of its own)."""
    levels = [m.assurance for m in members if not m.shredded]
    return min(levels, key=lambda level: level.rank) if levels else Assurance.LOG_ONLY


def _summary(report: Report, frame: CaseBundle, members: list[_Member]) -> str:
    entry = frame.case_index.entry
    shredded = sum(1 for m in members if m.shredded)
    level = report.assurance
    checkpoint = f"checkpoint (size {frame.checkpoint.size}, root {frame.checkpoint.root})"
    if level.rank >= Assurance.ANCHORED.rank:
        anchor = next(m.facts.anchor for m in members if m.facts is not None and m.facts.anchor)
        basis = (
            f"as that checkpoint's case index commits; the checkpoint is anchored in block"
            f" {anchor.block_number} of chain {anchor.chain_id} at {anchor.anchored_at}"
        )
    else:
        basis = (
            "as that checkpoint's case index says; nothing here ties the checkpoint to a"
            " chain, so anyone could have built this bundle"
        )
    text = (
        f"Assurance {level}: case {frame.case} has exactly {entry.count} record(s) up to"
        f" {checkpoint}, shown here in order, the last at leaf {entry.head} ({basis}): none"
        " of the records the node committed to for the case there is missing, added or out"
        " of order."
    )
    if shredded:
        text += f" {shredded} of them appear as leaves only (the node says they were shredded)."
    text += (
        " Not shown: records of the case after that checkpoint, and that the node counted"
        " every record it had accepted for the case when it sealed (the audit recomputes"
        " the case index from the log)."
        f" The node numbers the checkpoint {frame.seal.leaf.seq} and says it sealed it at"
        f" {frame.seal.leaf.sealed_at} by its own clock (its claims, committed in the"
        " checkpoint)."
    )
    text += witness_sentence(report.witnessing, anchored=level.rank >= Assurance.ANCHORED.rank)
    prefix = report.outcome.value
    if report.outcome is Outcome.CANNOT_VERIFY:
        prefix += " (a record's chain checks could not be made: see its step)"
    return " ".join([f"{prefix}. {text}", *report.notes])
