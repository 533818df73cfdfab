"""Agency signatures: the direct EIP-712 digest equals eth-account's, and recovery is strict."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from hypothesis import given, settings
from hypothesis import strategies as st

from evanchor.anchor.protocol.signing import (
    MESSAGE_TYPES,
    PRIMARY_TYPE,
    SignatureInvalid,
    SigningDomain,
    address_of,
    recover_signer,
    sign_commitment,
    signing_digest,
)

KEY = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
DOMAIN = SigningDomain(chain_id=1337, contract="0x" + "ab" * 20)


def _eth_account_message(domain: SigningDomain, commitment: bytes) -> object:
    return encode_typed_data(
        full_message={
            "types": {
                "EIP712Domain": [
                    {"name": "name", "type": "string"},
                    {"name": "version", "type": "string"},
                    {"name": "chainId", "type": "uint256"},
                    {"name": "verifyingContract", "type": "address"},
                ],
                **MESSAGE_TYPES,
            },
            "primaryType": PRIMARY_TYPE,
            "domain": domain.as_json(),
            "message": {"commitment": commitment},
        }
    )


@settings(max_examples=30)
@given(
    commitment=st.binary(min_size=32, max_size=32),
    chain_id=st.integers(1, 2**64),
    contract=st.binary(min_size=20, max_size=20),
)
def test_signatures_match_eth_account_typed_data(
    commitment: bytes, chain_id: int, contract: bytes
) -> None:
    domain = SigningDomain(chain_id, "0x" + contract.hex())
    ours = sign_commitment(KEY, domain.separator, commitment)
    theirs = Account.sign_message(_eth_account_message(domain, commitment), KEY)
    assert ours == bytes(theirs.signature)
    assert recover_signer(domain.separator, commitment, ours) == Account.from_key(KEY).address


def test_address_of_matches_eth_account() -> None:
    assert address_of(KEY) == Account.from_key(KEY).address


def test_signature_does_not_transfer_to_another_domain_or_commitment() -> None:
    commitment = b"\x11" * 32
    signature = sign_commitment(KEY, DOMAIN.separator, commitment)
    other = SigningDomain(chain_id=1338, contract=DOMAIN.contract)
    assert recover_signer(other.separator, commitment, signature) != address_of(KEY)
    assert recover_signer(DOMAIN.separator, b"\x12" * 32, signature) != address_of(KEY)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda s: s[:64], "65 bytes"),
        (lambda s: s + b"\x00", "65 bytes"),
        (lambda s: s[:64] + b"\x05", "v must be"),
        (lambda s: s[:32] + bytes(32) + s[64:], "s is zero"),
        (lambda s: bytes(32) + s[32:], "does not recover"),
        (
            lambda s: (
                s[:32]
                + (
                    0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
                    - int.from_bytes(s[32:64], "big")
                ).to_bytes(32, "big")
                + s[64:]
            ),
            "lower half",
        ),
    ],
)
def test_malformed_signatures_are_rejected(mutate: object, message: str) -> None:
    signature = sign_commitment(KEY, DOMAIN.separator, b"\x22" * 32)
    with pytest.raises(SignatureInvalid, match=message):
        recover_signer(DOMAIN.separator, b"\x22" * 32, mutate(signature))  # type: ignore[operator]


def test_digest_requires_a_32_byte_commitment() -> None:
    with pytest.raises(SignatureInvalid, match="32 bytes"):
        signing_digest(DOMAIN.separator, b"short")
