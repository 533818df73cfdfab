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

import json
import secrets
from hashlib import sha256
from typing import Any

import rfc8785

from evanchor.anchor.protocol.jsonin import MAX_SAFE_INTEGER

COMMITMENT_TAG = b"evanchor/v1/commitment\x00"
RECORD_ID_TAG = b"evanchor/v1/record-id\x00"
SALT_SIZE = 32

_SORTED_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def canonical_bytes(obj: Any) -> bytes:
    """RFC 8785 canonical JSON of a value already checked by the strict input layer.

    The bytes are always `rfc8785.dumps(obj)`'s, and so are the errors. Values made only of
    the types `_encodes_alike` admits take a faster road through the standard library's C
    encoder, about four times faster than rfc8785's pure-Python serializer; anything else
    (floats above all) goes to rfc8785 itself. tests/anchor/test_canonical_bytes.py holds
    the two to the same bytes on every value the strict parser can produce.
    """
    if _encodes_alike(obj):
        try:
            return _SORTED_COMPACT.encode(obj).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: rfc8785 refuses it in its own words
            pass
    return rfc8785.dumps(obj)


def canonical_record_bytes(record: dict[str, Any]) -> bytes:
    """`canonical_bytes` of a record object that `parse_record` (or `check_record`) accepted.

    Requires that acceptance. The record schema admits only values `_encodes_alike` admits
    (field names as keys, strings without lone surrogates, integers within ±(2**53 - 1),
    never a float: see records.py), so the walk that checks for them is left out and the
    standard library's encoder writes the RFC 8785 bytes directly. tests/perf_equivalence
    holds this to `canonical_bytes` and rfc8785 on generated valid records.
    """
    return _SORTED_COMPACT.encode(record).encode("utf-8")


def _encodes_alike(value: Any) -> bool:
    r"""Whether `json` with sorted keys and no spaces writes `value` exactly as RFC 8785 does.

    It does for dict, list, str, bool, None and int (exact types), given that:

    - integers are within ±(2**53 - 1), where RFC 8785's ECMAScript number form of an
      integer is its plain decimal digits, as `int.__repr__` writes them (beyond it rfc8785
      raises, and must still);
    - every key is a str without characters beyond U+FFFF: RFC 8785 orders keys by UTF-16
      code units, Python by code points, and the two orders differ only when such a
      character (a surrogate pair in UTF-16) meets one in U+E000-U+FFFF;
    - strings escape alike: both write \\ \" \b \f \n \r \t, the other controls below
      U+0020 as \u00xx in lowercase hex, and every other character as itself, in UTF-8.

    Floats are not admitted: ECMAScript formats them unlike `float.__repr__` (`1e+21`, `1`).
    """
    kind = type(value)
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or not (key.isascii() or max(key) <= "\uffff"):
                return False
            if not _encodes_alike(item):
                return False
        return True
    if kind is list:
        return all(map(_encodes_alike, value))
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        in_range: bool = -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER
        return in_range
    return False


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
