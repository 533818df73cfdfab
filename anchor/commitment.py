"""Canonical record bytes, salts, salted commitments and record ids (docs/PROTOCOL.md §2).

    canonical  = RFC 8785 (JCS) bytes of the record object, exactly as submitted
    commitment = SHA-256("evanchor/v1/commitment" || 0x00 || salt[32] || canonical)
    record id  = SHA-256("evanchor/v1/record-id"  || 0x00 || canonical)

The salt is 32 fresh random bytes per record, so a commitment reveals nothing guessable about
its record, and deleting the salt (crypto-shredding) leaves the commitment unlinkable. The
record id is unsalted on purpose: it makes resubmission idempotent (the same record from the
same agency, whose code is inside the record, maps to the same id). It is as sensitive as the
record itself and is only ever shown alongside it (receipts, bundles), never in a proof of
another record.
"""

from __future__ import annotations

import secrets
from hashlib import sha256
from typing import Any

import rfc8785

COMMITMENT_TAG = b"evanchor/v1/commitment\x00"
RECORD_ID_TAG = b"evanchor/v1/record-id\x00"
SALT_SIZE = 32


def canonical_bytes(obj: Any) -> bytes:
    """RFC 8785 canonical JSON of a value already checked by the strict input layer."""
    return rfc8785.dumps(obj)


def new_salt() -> bytes:
    """32 bytes from the operating system's CSPRNG."""
    return secrets.token_bytes(SALT_SIZE)


def commitment(salt: bytes, canonical: bytes) -> bytes:
    """The salted, domain-separated commitment to a record's canonical bytes."""
    if len(salt) != SALT_SIZE:
        raise ValueError(f"salt must be {SALT_SIZE} bytes, got {len(salt)}")
    return sha256(COMMITMENT_TAG + salt + canonical).digest()


def record_id(canonical: bytes) -> bytes:
    """The unsalted identity of a record, used for idempotent submission."""
    return sha256(RECORD_ID_TAG + canonical).digest()
