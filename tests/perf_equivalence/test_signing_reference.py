"""`signing` with pysha3 and a cached checksum gives what eth-hash and eth-utils give.

The reference is the plain form of PROTOCOL.md §8 written with eth-hash's own keccak and
eth-utils' EIP-55 checksum on every call, as signing.py computed it before: the same
digests, the same recovered (checksummed) signer, and the same refusals.
"""

from __future__ import annotations

import coincurve
import pytest
from eth_hash.auto import keccak as eth_keccak
from eth_utils.address import to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from evanchor.anchor.protocol.signing import (
    SignatureInvalid,
    SigningDomain,
    address_of,
    keccak,
    recover_signer,
    sign_commitment,
    signing_digest,
)

N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
private_keys = st.integers(1, N - 1).map(lambda k: k.to_bytes(32, "big"))
domains = st.builds(
    SigningDomain,
    chain_id=st.integers(1, 2**63 - 1),
    contract=st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex()),
)


def reference_separator(domain: SigningDomain) -> bytes:
    return eth_keccak(
        eth_keccak(
            b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
        )
        + eth_keccak(b"evanchor")
        + eth_keccak(b"1")
        + domain.chain_id.to_bytes(32, "big")
        + bytes(12)
        + bytes.fromhex(domain.contract.removeprefix("0x"))
    )


def reference_digest(separator: bytes, commitment: bytes) -> bytes:
    type_hash = eth_keccak(b"EvidenceCommitment(bytes32 commitment)")
    return eth_keccak(b"\x19\x01" + separator + eth_keccak(type_hash + commitment))


def reference_signer(separator: bytes, commitment: bytes, signature: bytes) -> str:
    public = coincurve.PublicKey.from_signature_and_message(
        signature[:64] + bytes([signature[64] - 27]),
        reference_digest(separator, commitment),
        hasher=None,
    )
    return to_checksum_address(eth_keccak(public.format(compressed=False)[1:])[-20:])


@given(st.binary(max_size=200))
def test_keccak_is_eth_hash_keccak(data: bytes) -> None:
    assert keccak(data) == eth_keccak(data)


@settings(max_examples=60)
@given(key=private_keys, domain=domains, commitment=st.binary(min_size=32, max_size=32))
def test_sign_and_recover_match_the_reference(
    key: bytes, domain: SigningDomain, commitment: bytes
) -> None:
    separator = domain.separator
    assert separator == reference_separator(domain)
    assert signing_digest(separator, commitment) == reference_digest(separator, commitment)
    signature = sign_commitment(key, separator, commitment)
    signer = recover_signer(separator, commitment, signature)
    assert signer == reference_signer(separator, commitment, signature)
    assert signer == address_of(key)
    # Again, now from the cache: the same answer.
    assert recover_signer(separator, commitment, signature) == signer


@settings(max_examples=60)
@given(
    key=private_keys,
    commitment=st.binary(min_size=32, max_size=32),
    other=st.binary(min_size=32, max_size=32),
)
def test_a_signature_over_another_commitment_recovers_someone_else(
    key: bytes, commitment: bytes, other: bytes
) -> None:
    separator = SigningDomain(1337, "0x" + "11" * 20).separator
    signature = sign_commitment(key, separator, commitment)
    try:
        expected: str | type[Exception] = reference_signer(separator, other, signature)
    except ValueError:
        expected = SignatureInvalid
    try:
        found: str | type[Exception] = recover_signer(separator, other, signature)
    except SignatureInvalid:
        found = SignatureInvalid
    assert found == expected
    if commitment != other:
        assert found != address_of(key)


@pytest.mark.parametrize(
    ("signature", "fragment"),
    [
        (bytes(64), "65 bytes"),
        (bytes(64) + b"\x1d", "v must be 27 or 28"),
        (bytes(32) + N.to_bytes(32, "big") + b"\x1b", "lower half"),
        (bytes(65)[:64] + b"\x1b", "lower half"),
        (b"\xff" * 32 + (1).to_bytes(32, "big") + b"\x1b", "does not recover"),
    ],
)
def test_malformed_signatures_are_refused(signature: bytes, fragment: str) -> None:
    with pytest.raises(SignatureInvalid, match=fragment):
        recover_signer(bytes(32), bytes(32), signature)
