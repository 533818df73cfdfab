"""Signed submissions: what an agency sends and what the node checks before it appends.

A submission is the JSON object

    {"record": {...}, "salt": "<64 hex>", "signature": "<130 hex>"}

The agency picks the salt, computes the commitment (PROTOCOL.md §2) and signs it with EIP-712
(`signing.py`), so the signature covers exactly what will be committed. The node recomputes
the commitment, recovers the signer, and accepts only a signer registered as the agency the
record names. Every refusal is an `InputError` naming the member at fault.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from evanchor.anchor.log.ingest import prepare_record
from evanchor.anchor.log.store import PreparedRecord
from evanchor.anchor.protocol.commitment import SALT_SIZE, new_salt
from evanchor.anchor.protocol.errors import InputError, RecordInvalid
from evanchor.anchor.protocol.signing import SignatureInvalid, recover_signer, sign_commitment

SUBMISSION_MEMBERS = frozenset({"record", "salt", "signature"})

AgencyLookup = Callable[[str], str | None]
"""Maps a checksummed signer address to the credit code it is registered for, or None."""


@dataclass(frozen=True)
class Revocation:
    """A signer's registration as it ended: the credit code it was registered for and the
    block whose `AgencyRevoked` event ended it."""

    credit_code: str
    block_number: int


RevocationLookup = Callable[[str], Revocation | None]
"""Maps a signer no longer registered to how its registration ended, or None (never
registered). Asked only for a refusal's wording."""


class SubmissionInvalid(InputError):
    """A submission's envelope, salt or signature is wrong; `member` names which."""

    def __init__(self, member: str, reason: str) -> None:
        super().__init__()
        self.member = member
        self.reason = reason

    def detail(self) -> str:
        return f"{self.member}: {self.reason}"


class AgencyNotRegistered(SubmissionInvalid):
    def __init__(self, signer: str) -> None:
        super().__init__("signature", f"signer {signer} is not a registered agency")
        self.signer = signer


class AgencyRevoked(AgencyNotRegistered):
    """The signer was registered, and its registration was revoked on chain."""

    def __init__(self, signer: str, revocation: Revocation) -> None:
        super().__init__(signer)
        self.revocation = revocation
        self.reason = (
            f"signer {signer} was the key of agency {revocation.credit_code} until its"
            f" registration was revoked in block {revocation.block_number}: it signs for no"
            " agency now"
        )


class AgencyMismatch(SubmissionInvalid):
    def __init__(self, signer: str, registered: str, claimed: str) -> None:
        super().__init__(
            "record.agency",
            f"signer {signer} is registered as {registered}, but the record names {claimed}",
        )


@dataclass(frozen=True)
class Submission:
    record: dict[str, Any]
    salt: bytes
    signature: bytes


def _hex_member(obj: dict[str, Any], name: str, size: int) -> bytes:
    value = obj.get(name)
    if not isinstance(value, str):
        raise SubmissionInvalid(name, f"expected {2 * size} hex digits")
    digits = value.removeprefix("0x")
    if len(digits) != 2 * size:
        raise SubmissionInvalid(name, f"expected {2 * size} hex digits, got {len(digits)}")
    try:
        return bytes.fromhex(digits)
    except ValueError:
        raise SubmissionInvalid(name, "not hexadecimal") from None


def is_submission(obj: dict[str, Any]) -> bool:
    """Whether an input object is a signed envelope rather than a bare record."""
    return "signature" in obj and "record" in obj


def parse_submission(obj: dict[str, Any]) -> Submission:
    unknown = sorted(set(obj) - SUBMISSION_MEMBERS)
    if unknown:
        raise SubmissionInvalid(unknown[0], "unknown member of a submission")
    record = obj.get("record")
    if not isinstance(record, dict):
        raise SubmissionInvalid("record", "expected a record object")
    return Submission(
        record=record,
        salt=_hex_member(obj, "salt", SALT_SIZE),
        signature=_hex_member(obj, "signature", 65),
    )


def check_submission(
    submission: Submission,
    domain_separator: bytes,
    agency_of: AgencyLookup,
    revoked_of: RevocationLookup | None = None,
) -> PreparedRecord:
    """Validate, commit and authenticate a submission; the result carries its signature."""
    try:
        prepared = prepare_record(submission.record, salt=submission.salt)
    except RecordInvalid as error:
        error.field_path = f"record.{error.field_path}"
        raise
    signer = submission_signer(domain_separator, prepared.commitment, submission.signature)
    return authorised(
        replace(prepared, signature=submission.signature), signer, agency_of, revoked_of
    )


def submission_signer(domain_separator: bytes, commitment: bytes, signature: bytes) -> str:
    """The address that signed `commitment`; a bad signature is a `SubmissionInvalid`."""
    try:
        return recover_signer(domain_separator, commitment, signature)
    except SignatureInvalid as error:
        raise SubmissionInvalid("signature", str(error)) from None


def authorised(
    prepared: PreparedRecord,
    signer: str,
    agency_of: AgencyLookup,
    revoked_of: RevocationLookup | None = None,
) -> PreparedRecord:
    """`prepared` (which carries its signature) if `signer` is registered as the agency the
    record names; else `AgencyNotRegistered` (`AgencyRevoked` when `revoked_of` knows how
    its registration ended) or `AgencyMismatch`.

    The registry part of `check_submission`, kept apart so that the signer can be recovered
    where the registry is not at hand (the parallel reader's worker processes).
    """
    registered = agency_of(signer)
    if registered is None:
        revocation = None if revoked_of is None else revoked_of(signer)
        if revocation is not None:
            raise AgencyRevoked(signer, revocation)
        raise AgencyNotRegistered(signer)
    if registered != prepared.agency:
        raise AgencyMismatch(signer, registered, prepared.agency)
    return prepared


def sign_record(
    record: dict[str, Any], private_key: bytes, domain_separator: bytes, salt: bytes | None = None
) -> dict[str, Any]:
    """The submission an agency sends for `record` (fresh salt unless one is given)."""
    salt = new_salt() if salt is None else salt
    prepared = prepare_record(record, salt=salt)
    signature = sign_commitment(private_key, domain_separator, prepared.commitment)
    return {"record": record, "salt": salt.hex(), "signature": signature.hex()}
