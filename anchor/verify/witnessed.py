"""Checking a signed, cosigned checkpoint against trusted keys and a k-of-n witness policy.

What a court runs (PROTOCOL.md §10.5): given the checkpoint note, the log's verifier key(s),
the verifier keys of the witnesses it trusts and a quorum k, this says whether the log
signed the checkpoint, which trusted witnesses cosigned it and when, and the time that the
policy vouches for: the k-th earliest cosignature timestamp. That time holds if any one of
those k witnesses is honest: each of them states that no later than its timestamp it had
seen this checkpoint and that it was consistent with every earlier checkpoint of the log it
had seen. It says nothing about whether the records in the log are true.

Signatures from keys not given are ignored; a signature that names a given key and fails
rejects the whole note (c2sp.org/signed-note).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from evanchor.anchor.protocol.errors import (
    CheckpointBodyMalformed,
    NoteError,
    NoteKeyInvalid,
    NoteSignatureInvalid,
    NoteUnverified,
)
from evanchor.anchor.protocol.note import COSIGNATURE_V1, ED25519, VerifierKey, open_note
from evanchor.anchor.protocol.tlog_checkpoint import CheckpointBody, parse_checkpoint_body
from evanchor.anchor.verify.errors import (
    CheckpointMismatch,
    WitnessEvidenceInvalid,
    WitnessPolicyUnmet,
)

MAX_CLOCK_SKEW_SECONDS = 300
"""A cosignature stamped more than this after the verifier's `now` is rejected: a witness's
clock that far ahead would let it vouch for times that have not come yet."""


@dataclass(frozen=True)
class Cosignature:
    """A valid cosignature of a trusted witness: its key name, `name+id`, and timestamp."""

    witness: str
    key: str
    timestamp: int


@dataclass(frozen=True)
class WitnessedCheckpoint:
    """The outcome: the checkpoint, the log key that signed it, and the valid cosignatures
    of trusted witnesses, earliest first (one per witness key)."""

    checkpoint: CheckpointBody
    log_key: str
    cosignatures: tuple[Cosignature, ...]
    quorum: int

    @property
    def policy_met(self) -> bool:
        return len(self.cosignatures) >= self.quorum

    @property
    def witnessed_at(self) -> int | None:
        """The k-th earliest cosignature time (k = quorum >= 1), None if the policy is unmet
        or asks for no witness."""
        if self.quorum == 0 or not self.policy_met:
            return None
        return self.cosignatures[self.quorum - 1].timestamp

    def require_policy(self) -> int | None:
        """`witnessed_at`, or WitnessPolicyUnmet if too few trusted witnesses cosigned."""
        if not self.policy_met:
            raise WitnessPolicyUnmet(self.quorum, tuple(c.witness for c in self.cosignatures))
        return self.witnessed_at


def _shown(value: object) -> object:
    return value.hex() if isinstance(value, bytes) else value


def _check_keys(keys: Sequence[VerifierKey], signature_type: int, role: str) -> None:
    for key in keys:
        if key.signature_type != signature_type:
            raise NoteKeyInvalid(
                "verifier",
                "type",
                f"{role} key {key.key} has type 0x{key.signature_type:02x},"
                f" expected 0x{signature_type:02x}",
            )


def verify_witnessed_checkpoint(
    note: bytes,
    *,
    log_keys: Sequence[VerifierKey],
    witness_keys: Sequence[VerifierKey],
    quorum: int,
    origin: str | None = None,
    size: int | None = None,
    root: bytes | None = None,
    now: int | None = None,
) -> WitnessedCheckpoint:
    """Verify `note` (a signed checkpoint with cosignatures) as the module docstring says.

    Requires 0 <= quorum <= len(witness_keys); log keys of type 0x01 and witness keys of type
    0x04. `origin`, `size`, `root`, when given, must be the checkpoint's (CheckpointMismatch
    otherwise); `now` (POSIX seconds), when given, bounds the timestamps. Raises
    WitnessEvidenceInvalid when the log did not sign the note, a signature of a given key
    fails, or the text is not a checkpoint; an unmet policy is reported, not raised (see
    `require_policy`).
    """
    _check_keys(log_keys, ED25519, "log")
    _check_keys(witness_keys, COSIGNATURE_V1, "witness")
    if not 0 <= quorum <= len(witness_keys):
        raise ValueError(f"quorum {quorum} is not within 0..{len(witness_keys)} witnesses")
    try:
        opened = open_note(note, [*log_keys, *witness_keys])
    except NoteSignatureInvalid as error:
        failed = f"{error.name}+{error.key_id:08x}"
        role = "cosignature" if any(k.key == failed for k in witness_keys) else "log signature"
        raise WitnessEvidenceInvalid(role, str(error)) from None
    except NoteUnverified as error:
        raise WitnessEvidenceInvalid("log signature", str(error)) from None
    except NoteError as error:
        raise WitnessEvidenceInvalid("note", str(error)) from None
    log_signed = [key for key, _ in opened.verified if key.signature_type == ED25519]
    if not log_signed:
        raise WitnessEvidenceInvalid(
            "log signature", "the note carries no signature of the log's key"
        )
    try:
        checkpoint = parse_checkpoint_body(opened.text)
    except CheckpointBodyMalformed as error:
        raise WitnessEvidenceInvalid("checkpoint", str(error)) from None
    for field, expected, found in (
        ("origin", origin, checkpoint.origin),
        ("size", size, checkpoint.size),
        ("root", root, checkpoint.root),
    ):
        if expected is not None and expected != found:
            raise CheckpointMismatch(field, _shown(expected), _shown(found))
    cosignatures = []
    for key, signature in opened.verified:
        if key.signature_type != COSIGNATURE_V1:
            continue
        timestamp = signature.cosignature_timestamp()
        if timestamp == 0:
            raise WitnessEvidenceInvalid("cosignature", f"{key.key} carries no timestamp")
        if now is not None and timestamp > now + MAX_CLOCK_SKEW_SECONDS:
            raise WitnessEvidenceInvalid(
                "cosignature", f"{key.key} is stamped {timestamp}, after the time now ({now})"
            )
        cosignatures.append(Cosignature(key.name, key.key, timestamp))
    cosignatures.sort(key=lambda c: (c.timestamp, c.key))
    return WitnessedCheckpoint(checkpoint, log_signed[0].key, tuple(cosignatures), quorum)
