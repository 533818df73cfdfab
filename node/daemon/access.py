"""Who may read what through the node's HTTP API, and how a caller proves who it is.

Records and bundles hold record text and salts (personal data), so reading them needs one of:

- **the operator token**: `Authorization: Bearer <token>`. The token is 32 random bytes
  (URL-safe base64) in `<home>/keys/api-token`, mode 0600, made by `init` or the node's
  first start; the CLI on the node's machine reads it from there. It reads everything.
- **an agency-signed request**, for the submitting agency's own records and cases: the
  agency signs the request with the same key that signs its records, as EIP-712 typed data
  under the log's signing domain (`ApiRequest(string method,string path,uint64 timestamp)`,
  so any EIP-712 wallet or library can produce it), and sends
  `X-Evanchor-Timestamp: <unix seconds>` and `X-Evanchor-Signature: 0x<65 bytes>`. The
  node recovers the signer, asks the agency registry for its credit code, and serves only
  records whose leaf names that code (anything else is "not found": no oracle of other
  agencies' record ids). Chosen over agency tokens: nothing new for the agency to keep
  secret, nothing for the node to issue or revoke (revoking the key on chain revokes it
  here), and a captured request is worth one path for `MAX_REQUEST_AGE_SECONDS`.
- **the full record id** (64 hex digits), for a court that was given it: that record's
  status and bundle, nothing else. A shorter prefix needs a token or a signature: 8 hex
  digits are guessable, 64 are not.

Writes stay signature-gated (every submission carries the agency's signature); a log-only
node, which cannot check signatures, takes submissions only with the operator token.
Public: `/v1/health`, `/v1/status`, `/v1/checkpoints`, `/v1/checkpoint[/{size}]` (signed
notes), `/v1/anchors`, `/metrics`, `/v1/openapi.json`, `/verify` and `POST /v1/verify` (no
record text in any of them).
"""

from __future__ import annotations

import hmac
import re
import time
from dataclasses import dataclass
from enum import StrEnum

import coincurve

from evanchor.anchor.errors import EvanchorError
from evanchor.anchor.protocol.signing import SignatureInvalid, SigningDomain, keccak

TIMESTAMP_HEADER = "X-Evanchor-Timestamp"
SIGNATURE_HEADER = "X-Evanchor-Signature"
MAX_REQUEST_AGE_SECONDS = 300
"""How far a signed request's timestamp may be from the node's clock, either way: room for
clock skew between agency and node, and the most a captured request can be replayed."""

REQUEST_TYPE = "ApiRequest(string method,string path,uint64 timestamp)"
_REQUEST_TYPE_HASH = keccak(REQUEST_TYPE.encode())
_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_FULL_RECORD_ID = re.compile(r"[0-9a-fA-F]{64}")


class CallerKind(StrEnum):
    OPERATOR = "operator"
    AGENCY = "agency"
    ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class Caller:
    """Who sent a request: the operator, an agency (its credit code and key), or anyone."""

    kind: CallerKind
    agency: str | None = None
    address: str | None = None


OPERATOR = Caller(CallerKind.OPERATOR)
ANONYMOUS = Caller(CallerKind.ANONYMOUS)


class Unauthenticated(EvanchorError):
    """The request needs credentials it lacks, or carries ones that do not check out (401)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotTheCallers(EvanchorError):
    """An agency asked for a record or case that is not its own: answered as not found (404),
    exactly as for an id that is not in the log, so nothing is learnt about others'."""

    def __init__(self, what: str, agency: str) -> None:
        super().__init__(f"no {what} of agency {agency} in this log")
        self.what = what
        self.agency = agency


def is_full_record_id(text: str) -> bool:
    return _FULL_RECORD_ID.fullmatch(text) is not None


def token_matches(given: str, expected: str) -> bool:
    """Constant-time comparison of an operator token."""
    return hmac.compare_digest(given.encode(), expected.encode())


def request_digest(domain: SigningDomain, method: str, path: str, timestamp: int) -> bytes:
    """EIP-712: keccak256(0x19 0x01 || domainSeparator || hashStruct(ApiRequest)).

    `path` is the request target exactly as sent (percent-encoded, with its query string).
    """
    if not 0 <= timestamp < 2**64:
        raise SignatureInvalid(f"timestamp {timestamp} is not a uint64")
    struct_hash = keccak(
        _REQUEST_TYPE_HASH
        + keccak(method.upper().encode())
        + keccak(path.encode())
        + timestamp.to_bytes(32, "big")
    )
    return keccak(b"\x19\x01" + domain.separator + struct_hash)


def sign_request(
    private_key: bytes, domain: SigningDomain, method: str, path: str, timestamp: int
) -> bytes:
    """65-byte signature r || s || v (v = 27 or 28, low s) of a request."""
    digest = request_digest(domain, method, path, timestamp)
    recoverable = coincurve.PrivateKey(private_key).sign_recoverable(digest, hasher=None)
    return recoverable[:64] + bytes([recoverable[64] + 27])


def request_signer(
    domain: SigningDomain, method: str, path: str, timestamp: int, signature: bytes
) -> str:
    """The checksummed address that signed the request, or `SignatureInvalid`."""
    if len(signature) != 65 or signature[64] not in (27, 28):
        raise SignatureInvalid("expected 65 bytes r || s || v with v 27 or 28")
    if not 0 < int.from_bytes(signature[32:64], "big") <= _SECP256K1_N // 2:
        raise SignatureInvalid("signature s is zero or not in the lower half (EIP-2)")
    digest = request_digest(domain, method, path, timestamp)
    try:
        public = coincurve.PublicKey.from_signature_and_message(
            signature[:64] + bytes([signature[64] - 27]), digest, hasher=None
        )
    except ValueError as error:
        raise SignatureInvalid(f"signature does not recover a key ({error})") from None
    from eth_utils.address import to_checksum_address  # noqa: PLC0415 - only when signed

    return to_checksum_address(keccak(public.format(compressed=False)[1:])[-20:])


def signed_request_headers(
    private_key: bytes,
    domain: SigningDomain,
    method: str,
    path: str,
    *,
    now: float | None = None,
) -> dict[str, str]:
    """The two headers of an agency-signed request for `method path` (signed now)."""
    timestamp = int(time.time() if now is None else now)
    signature = sign_request(private_key, domain, method, path, timestamp)
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: "0x" + signature.hex()}


def agency_signer(
    domain: SigningDomain | None,
    method: str,
    path: str,
    timestamp_header: str,
    signature_header: str,
    *,
    now: float | None = None,
) -> str:
    """The address that signed a request's headers, after checking the timestamp's age.

    Raises `Unauthenticated` naming what is wrong (a log-only node has no signing domain,
    so it takes no signed requests).
    """
    if domain is None:
        raise Unauthenticated(
            "this node anchors nowhere, so it has no agency registry: use the operator token"
        )
    try:
        timestamp = int(timestamp_header)
    except ValueError:
        raise Unauthenticated(f"{TIMESTAMP_HEADER}: expected unix seconds") from None
    clock = time.time() if now is None else now
    if abs(clock - timestamp) > MAX_REQUEST_AGE_SECONDS:
        raise Unauthenticated(
            f"{TIMESTAMP_HEADER} {timestamp} is more than {MAX_REQUEST_AGE_SECONDS} s from the"
            f" node's clock ({int(clock)}): sign the request again"
        )
    try:
        signature = bytes.fromhex(signature_header.removeprefix("0x"))
        return request_signer(domain, method, path, timestamp, signature)
    except (ValueError, SignatureInvalid) as error:
        raise Unauthenticated(f"{SIGNATURE_HEADER}: {error}") from None
