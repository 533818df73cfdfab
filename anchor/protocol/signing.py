"""Agency signatures: EIP-712 typed data over a record's commitment (PROTOCOL.md §8).

    domain  = EIP712Domain(name "evanchor", version "1", chainId, verifyingContract)
    message = EvidenceCommitment(bytes32 commitment)
    digest  = keccak256(0x19 0x01 || domainSeparator || keccak256(typeHash || commitment))

The domain binds a signature to one chain and one deployment of the anchor contract, so a
signature cannot be replayed into another network's log. The commitment binds the record
(its agency code included) and the salt. The digest is computed directly from these fixed
types (tests hold it equal to eth-account's general EIP-712 encoder), and recovery goes
straight to libsecp256k1 through coincurve: this is the per-record cost of every submission.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import coincurve
from eth_utils.address import to_checksum_address
from sha3 import keccak_256  # type: ignore[import-untyped]  # safe-pysha3 ships no hints

from evanchor.anchor.errors import EvanchorError

DOMAIN_NAME = "evanchor"
DOMAIN_VERSION = "1"
PRIMARY_TYPE = "EvidenceCommitment"
MESSAGE_TYPES = {PRIMARY_TYPE: [{"name": "commitment", "type": "bytes32"}]}


def keccak(data: bytes) -> bytes:
    """Keccak-256 through pysha3 (safe-pysha3, a direct dependency) itself.

    eth-hash's automatic backend is pycryptodome when that is installed (web3 brings it),
    at about 9 us a call on 32-96 bytes against about 1 us here; recovering a signer hashes
    three times (four when its checksum is not cached yet). tests/perf_equivalence holds
    the two to the same digests.
    """
    digest: bytes = keccak_256(data).digest()
    return digest


_DOMAIN_TYPE_HASH = keccak(
    b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)
_MESSAGE_TYPE_HASH = keccak(b"EvidenceCommitment(bytes32 commitment)")
_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


class SignatureInvalid(EvanchorError):
    """A signature is malformed, does not recover, or recovers to the wrong signer."""


@dataclass(frozen=True)
class SigningDomain:
    """The EIP-712 domain of one anchor contract on one chain."""

    chain_id: int
    contract: str

    @property
    def separator(self) -> bytes:
        return keccak(
            _DOMAIN_TYPE_HASH
            + keccak(DOMAIN_NAME.encode())
            + keccak(DOMAIN_VERSION.encode())
            + self.chain_id.to_bytes(32, "big")
            + bytes(12)
            + bytes.fromhex(self.contract.removeprefix("0x"))
        )

    def as_json(self) -> dict[str, object]:
        return {
            "name": DOMAIN_NAME,
            "version": DOMAIN_VERSION,
            "chainId": self.chain_id,
            "verifyingContract": to_checksum_address(self.contract),
        }


def signing_digest(domain_separator: bytes, commitment: bytes) -> bytes:
    """The 32 bytes an agency signs for `commitment` under a domain."""
    if len(commitment) != 32:
        raise SignatureInvalid(f"commitment must be 32 bytes, got {len(commitment)}")
    return keccak(b"\x19\x01" + domain_separator + keccak(_MESSAGE_TYPE_HASH + commitment))


def sign_commitment(private_key: bytes, domain_separator: bytes, commitment: bytes) -> bytes:
    """65-byte signature r || s || v (v = 27 or 28), low-s, as eth-account produces."""
    digest = signing_digest(domain_separator, commitment)
    recoverable = coincurve.PrivateKey(private_key).sign_recoverable(digest, hasher=None)
    return recoverable[:64] + bytes([recoverable[64] + 27])


def recover_signer(domain_separator: bytes, commitment: bytes, signature: bytes) -> str:
    """The checksummed address that signed `commitment`, or SignatureInvalid."""
    if len(signature) != 65:
        raise SignatureInvalid(f"signature must be 65 bytes, got {len(signature)}")
    v = signature[64]
    if v not in (27, 28):
        raise SignatureInvalid(f"signature v must be 27 or 28, got {v}")
    s = int.from_bytes(signature[32:64], "big")
    if not 0 < s <= _SECP256K1_N // 2:
        raise SignatureInvalid("signature s is zero or not in the lower half (EIP-2)")
    digest = signing_digest(domain_separator, commitment)
    try:
        public = coincurve.PublicKey.from_signature_and_message(
            signature[:64] + bytes([v - 27]), digest, hasher=None
        )
    except ValueError as error:
        raise SignatureInvalid(f"signature does not recover a key ({error})") from None
    return _checksummed(keccak(public.format(compressed=False)[1:])[-20:])


@functools.lru_cache(maxsize=4096)
def _checksummed(address: bytes) -> str:
    """EIP-55 form of a 20-byte address, cached: a log's signatures come from a handful of
    agency keys, and eth-utils takes ~30 us per address."""
    return to_checksum_address(address)


def address_of(private_key: bytes) -> str:
    public = coincurve.PrivateKey(private_key).public_key.format(compressed=False)[1:]
    return to_checksum_address(keccak(public)[-20:])
