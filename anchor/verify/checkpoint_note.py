"""The checkpoint note step of a bundle: its signed, cosigned checkpoint (PROTOCOL.md §10.8).

A bundle may carry its checkpoint as a C2SP signed note with the log's signature and the
cosignatures of witnesses (`checkpoint_note`, §5.4). The note is first bound to the bundle:
its checkpoint text must be exactly the one the verifier builds from the bundle's own
members (origin from the seal leaf's anchor target, size and root from `checkpoint`), so a
note of another checkpoint or another log cannot be passed off. Then, with the keys the
verifier trusts, the log's signature and each trusted witness's cosignature are checked,
and the witness policy k: the witnessed time is the k-th earliest cosignature timestamp,
which holds if any one of those k witnesses is honest.

Without keys nothing about witnessing is claimed: the step says the note is the bundle's
checkpoint and that its signatures (or its witnessing) were not checked.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass

from evanchor.anchor.errors import EvanchorError
from evanchor.anchor.protocol.bundle_format import AnchorTargetModel, CheckpointModel
from evanchor.anchor.protocol.errors import (
    AmbiguousNoteKey,
    NoteError,
    NoteMalformed,
    NoteSignatureInvalid,
)
from evanchor.anchor.protocol.note import (
    COSIGNATURE_V1,
    ED25519,
    VerifierKey,
    open_note,
    parse_note,
)
from evanchor.anchor.protocol.tlog_checkpoint import (
    LOG_ONLY_PREFIX,
    anchored_log_origin,
    log_only_origin,
)
from evanchor.anchor.verify.errors import WitnessEvidenceInvalid
from evanchor.anchor.verify.report import WitnessCosignature, Witnessing
from evanchor.anchor.verify.witnessed import MAX_CLOCK_SKEW_SECONDS

STEP = "checkpoint note"
_LOG_ONLY_ORIGIN = re.compile(re.escape(LOG_ONLY_PREFIX) + r"[0-9a-f]{32}")


class WitnessTrustInvalid(EvanchorError):
    """The keys or policy a verifier was given cannot be used: `what` names the option."""

    def __init__(self, what: str, reason: str) -> None:
        super().__init__(f"{what}: {reason}")
        self.what = what
        self.reason = reason


@dataclass(frozen=True)
class WitnessTrust:
    """What the verifier trusts: the log's note key(s), the witnesses' keys, the policy k
    (None: all the witness keys), and its clock (POSIX seconds; None: timestamps unbounded).

    Built by `witness_trust`, which checks the keys' types and the policy's range.
    """

    log_keys: tuple[VerifierKey, ...] = ()
    witness_keys: tuple[VerifierKey, ...] = ()
    policy: int | None = None
    now: int | None = None

    @property
    def quorum(self) -> int:
        return len(self.witness_keys) if self.policy is None else self.policy


def witness_trust(
    log_keys: Sequence[VerifierKey],
    witness_keys: Sequence[VerifierKey],
    policy: int | None = None,
    now: int | None = None,
) -> WitnessTrust:
    """The trust a verifier runs with; WitnessTrustInvalid naming the option at fault."""
    for key in log_keys:
        if key.signature_type != ED25519:
            raise WitnessTrustInvalid(
                "--log-key",
                f"{key.key} is of type 0x{key.signature_type:02x}; a log's note key is 0x01",
            )
    for key in witness_keys:
        if key.signature_type != COSIGNATURE_V1:
            raise WitnessTrustInvalid(
                "--witness-key",
                f"{key.key} is of type 0x{key.signature_type:02x}; a witness's cosignature"
                " key is 0x04 (cosignature/v1)",
            )
    names = [key.key for key in (*log_keys, *witness_keys)]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise WitnessTrustInvalid("--witness-key", f"key {repeated[0]} given twice")
    if witness_keys and not log_keys:
        raise WitnessTrustInvalid(
            "--witness-key",
            "witness keys need the log's key (--log-key): a cosignature counts only over a"
            " checkpoint the log signed",
        )
    if policy is not None and not 1 <= policy <= len(witness_keys):
        raise WitnessTrustInvalid(
            "--witness-policy",
            f"{policy} is not within 1..{len(witness_keys)} (the witness keys given)",
        )
    return WitnessTrust(tuple(log_keys), tuple(witness_keys), policy, now)


def expected_origin(anchored_to: AnchorTargetModel | None) -> str | None:
    """The origin the note must name, from the seal leaf's anchor target; None for a log
    that anchors nowhere (its origin is named by its key: checked once a key verifies)."""
    if anchored_to is None:
        return None
    return anchored_log_origin(anchored_to.chain_id, anchored_to.contract, anchored_to.writer)


def _bind(text: str, checkpoint: CheckpointModel, origin: str | None) -> None:
    """The note's checkpoint text is the bundle's, line by line (§5.4)."""
    lines = text[:-1].split("\n")
    root = base64.b64encode(bytes.fromhex(checkpoint.root)).decode()
    found = [*lines, "(missing)", "(missing)", "(missing)"]
    if origin is None:
        if _LOG_ONLY_ORIGIN.fullmatch(found[0]) is None:
            raise WitnessEvidenceInvalid(
                "origin",
                f"expected {LOG_ONLY_PREFIX}<32 hex> (the checkpoint commits to a log that"
                f" anchors nowhere), found {found[0]}",
            )
    elif found[0] != origin:
        raise WitnessEvidenceInvalid("origin", f"expected {origin}, found {found[0]}")
    for check, want, got in (("size", str(checkpoint.size), found[1]), ("root", root, found[2])):
        if got != want:
            raise WitnessEvidenceInvalid(check, f"expected {want}, found {got}")
    if len(lines) > 3:
        raise WitnessEvidenceInvalid(
            "checkpoint text", "extension line 4 (evanchor writes none; the bundle binds none)"
        )


def _open(
    note: str, trust: WitnessTrust
) -> tuple[VerifierKey, list[tuple[VerifierKey, int]], list[str]]:
    """The log key that signed, the trusted cosignatures (key, timestamp) and the keys of
    the lines that were ignored."""
    try:
        opened = open_note(note.encode(), [*trust.log_keys, *trust.witness_keys])
    except NoteSignatureInvalid as error:
        witness = next(
            (k for k in trust.witness_keys if (k.name, k.key_id) == (error.name, error.key_id)),
            None,
        )
        if witness is not None:
            raise WitnessEvidenceInvalid(
                "cosignature", f"{witness.name}: does not verify"
            ) from None
        raise WitnessEvidenceInvalid(
            "log signature", f"{error.name}+{error.key_id:08x} does not verify"
        ) from None
    except NoteError as error:
        # NoteUnverified: no line of any given key.
        if isinstance(error, AmbiguousNoteKey):
            raise WitnessEvidenceInvalid("note", str(error)) from None
        opened = None
    log_key = (
        None
        if opened is None
        else next((key for key, _ in opened.verified if key.signature_type == ED25519), None)
    )
    if opened is None or log_key is None:
        wanted = ", ".join(key.key for key in trust.log_keys)
        raise WitnessEvidenceInvalid("log signature", f"the note has no signature of {wanted}")
    cosigned: list[tuple[VerifierKey, int]] = []
    for key, signature in opened.verified:
        if key.signature_type != COSIGNATURE_V1:
            continue
        timestamp = signature.cosignature_timestamp()
        if timestamp == 0:
            raise WitnessEvidenceInvalid("cosignature", f"{key.name}: timestamp 0")
        if trust.now is not None and timestamp > trust.now + MAX_CLOCK_SKEW_SECONDS:
            raise WitnessEvidenceInvalid(
                "cosignature",
                f"{key.name}: timestamp {timestamp} is in the future (the verifier's clock"
                f" says {trust.now})",
            )
        cosigned.append((key, timestamp))
    return log_key, cosigned, [signature.key for signature in opened.unverified]


def check_checkpoint_note(
    note: str,
    checkpoint: CheckpointModel,
    anchored_to: AnchorTargetModel | None,
    trust: WitnessTrust,
) -> tuple[str, Witnessing]:
    """The step's detail and what it established, for a bundle carrying `note`.

    `checkpoint` and `anchored_to` are the bundle's (validated by its format and seal steps).
    Raises WitnessEvidenceInvalid whose `check` is the one of §10.8 that failed (note,
    origin, size, root, checkpoint text, log signature, cosignature, witness policy).
    """
    try:
        text = parse_note(note.encode()).text
    except NoteMalformed as error:
        raise WitnessEvidenceInvalid("note", f"{error.where}: {error.reason}") from None
    origin = expected_origin(anchored_to)
    _bind(text, checkpoint, origin)
    bound = f"the note is this checkpoint (size {checkpoint.size}) of log {text.split(chr(10))[0]}"
    if not trust.log_keys:
        return (
            f"{bound}; its signatures and its witnessing were not checked (no log key or"
            " witness keys given)",
            Witnessing(note_present=True),
        )
    log_key, cosigned, ignored = _open(note, trust)
    if origin is None and text.split("\n")[0] != log_only_origin(log_key.public_key):
        raise WitnessEvidenceInvalid(
            "origin",
            f"expected {log_only_origin(log_key.public_key)} (the origin of key"
            f" {log_key.key}), found {text.split(chr(10))[0]}",
        )
    signed = f"{bound}, signed by the log's key {log_key.key}"
    if not trust.witness_keys:
        return (
            f"{signed}; its witnessing was not checked (no witness keys given)",
            Witnessing(note_present=True, log_key=log_key.key),
        )
    cosigned.sort(key=lambda pair: (pair[1], pair[0].key))
    k, n = trust.quorum, len(trust.witness_keys)
    names = {key.key for key, _ in cosigned}
    if len(cosigned) < k:
        by = ", ".join(key.name for key, _ in cosigned) or "none"
        missing = ", ".join(key.name for key in trust.witness_keys if key.key not in names)
        raise WitnessEvidenceInvalid(
            "witness policy",
            f"{k} of {n} trusted witnesses required, cosigned by {by}; no cosignature from"
            f" {missing}",
        )
    cosignatures = tuple(WitnessCosignature(key.name, ts, key.key) for key, ts in cosigned)
    witnessed_at = cosigned[k - 1][1]
    shown = ", ".join(f"by {c.witness} at {c.utc}" for c in cosignatures)
    detail = (
        f"{signed}; witnessed {shown}; policy {k} of {n} met: the {ordinal(k)} earliest"
        f" cosignature, {WitnessCosignature.utc_of(witnessed_at)}, is the witnessed time"
    )
    if ignored:
        detail += f" (ignored, keys not trusted: {', '.join(ignored)})"
    return detail, Witnessing(
        note_present=True,
        log_key=log_key.key,
        policy=k,
        trusted=tuple(key.name for key in trust.witness_keys),
        cosignatures=cosignatures,
        witnessed_at=witnessed_at,
    )


def ordinal(k: int) -> str:
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"
