"""Auditing the log's signed checkpoints and the witnesses' cosignatures it keeps.

The node keeps, per checkpoint, its signed note (`sn:<seq>`) and every witness cosignature it
received (`cs:<seq><name>`), and hands them out in bundles (PROTOCOL.md §5.4, §10). The audit
re-checks them from the store alone: each note must be the checkpoint's (origin, size and the
root recomputed from the leaves) signed by the log's key, and each kept cosignature must be
one of that witness's configured key over that note's text. A mismatch is a named
discrepancy: someone changed the store after the fact (or the node kept a line it should not
have), and a bundle built from it would fail the verifier's checkpoint note step.

    checkpoint note altered   the note does not parse, is of another checkpoint or origin,
                              or carries no valid signature of the log's key
    cosignature altered       a kept line is not a valid cosignature/v1 of its witness's key
                              over the note (or is kept under another witness's name)
    cosignature without note  a cosignature kept for a checkpoint the log never signed

A cosignature of a witness that is no longer configured cannot be checked: it is counted
(`cosignatures unchecked`), not reported.
"""

from __future__ import annotations

from collections.abc import Sequence

from evanchor.anchor.log.audit import AuditReport
from evanchor.anchor.log.store import LogStore
from evanchor.anchor.protocol.checkpoint import Checkpoint
from evanchor.anchor.protocol.errors import NoteError
from evanchor.anchor.protocol.note import (
    COSIGNATURE_V1,
    VerifierKey,
    parse_note,
    parse_signature_line,
)
from evanchor.anchor.protocol.tlog_checkpoint import parse_checkpoint_body

NOTE_ALTERED = "checkpoint note altered"
COSIGNATURE_ALTERED = "cosignature altered"
COSIGNATURE_WITHOUT_NOTE = "cosignature without note"


def check_cosignatures(
    report: AuditReport,
    store: LogStore,
    *,
    log_key: VerifierKey | None,
    origin: str | None,
    witness_keys: Sequence[VerifierKey],
) -> None:
    """Re-check every kept note and cosignature; add a discrepancy for each mismatch.

    `log_key` and `origin` are the node's (None for a folder without a log key: then only
    the checkpoint the note names is checked); `witness_keys` the configured witnesses'.
    Uses `report.roots` (the roots `audit_log` recomputed) when it has the checkpoint's size.
    O(checkpoints + cosignatures) reads.
    """
    witnesses = {key.name: key for key in witness_keys if key.signature_type == COSIGNATURE_V1}
    for seq in range(store.checkpoint_count):
        where = f"checkpoint {seq}"
        checkpoint = store.checkpoint(seq)
        raw = store.signed_checkpoint(seq)
        lines = store.cosignatures(seq)
        if raw is None:
            for name in sorted(lines):
                report.add(
                    COSIGNATURE_WITHOUT_NOTE,
                    where,
                    f"a cosignature of {name} is kept, but the log never signed this checkpoint",
                )
            continue
        report.count("signed checkpoints")
        text = _checked_note(
            report, where, raw, size=checkpoint.size, root=_root(report, checkpoint), origin=origin
        )
        if text is None:
            continue
        if log_key is not None and not _log_signed(raw, log_key, text):
            report.add(NOTE_ALTERED, where, f"no valid signature of the log's key {log_key.key}")
            continue
        for name in sorted(lines):
            _check_line(report, where, name, lines[name], key=witnesses.get(name), text=text)


def _root(report: AuditReport, checkpoint: Checkpoint) -> bytes:
    """The root the audit recomputed for the checkpoint's size, else the stored one."""
    return report.roots.get(checkpoint.size, checkpoint.root)


def _checked_note(
    report: AuditReport, where: str, raw: bytes, *, size: int, root: bytes, origin: str | None
) -> str | None:
    """The note's text when it is this checkpoint's; otherwise a discrepancy and None."""
    try:
        text = parse_note(raw).text
        body = parse_checkpoint_body(text)
    except NoteError as error:
        report.add(NOTE_ALTERED, where, f"the kept note is malformed: {error}")
        return None
    for field, want, found in (
        ("origin", origin, body.origin),
        ("size", size, body.size),
        ("root", root.hex(), body.root.hex()),
    ):
        if want is not None and want != found:
            report.add(NOTE_ALTERED, where, f"the note's {field} is {found}, expected {want}")
            return None
    if body.extensions:
        report.add(NOTE_ALTERED, where, f"the note carries extension line {body.extensions[0]!r}")
        return None
    return text


def _log_signed(raw: bytes, key: VerifierKey, text: str) -> bool:
    signatures = [s for s in parse_note(raw).signatures if key.matches(s)]
    return bool(signatures) and all(key.verify(text, s) for s in signatures)


def _check_line(
    report: AuditReport, where: str, name: str, line: str, *, key: VerifierKey | None, text: str
) -> None:
    if key is None:
        report.count("cosignatures unchecked")
        return
    try:
        signature = parse_signature_line(line.rstrip("\n"), f"cosignature of {name}")
    except NoteError as error:
        report.add(COSIGNATURE_ALTERED, where, f"witness {name}: {error}")
        return
    if not line.endswith("\n") or line.count("\n") != 1:
        report.add(COSIGNATURE_ALTERED, where, f"witness {name}: not one signature line")
        return
    if not key.matches(signature):
        report.add(
            COSIGNATURE_ALTERED,
            where,
            f"witness {name}: the line is of key {signature.key}, the witness's key is {key.key}",
        )
        return
    try:
        valid = key.verify(text, signature) and signature.cosignature_timestamp() > 0
    except NoteError:
        valid = False
    if not valid:
        report.add(
            COSIGNATURE_ALTERED,
            where,
            f"witness {name}: the cosignature does not verify over the checkpoint's note with"
            f" key {key.key}",
        )
        return
    report.count("cosignatures checked")
