"""Where `EvidenceAnchor` keeps its checkpoints in storage, for `eth_getProof` storage proofs.

The contract's own state is one ERC-7201 namespaced struct, so its slots do not depend on
OpenZeppelin's layout (which may change between releases):

    struct EvidenceAnchorStorage { mapping(address writer => Checkpoint[]) logs; }
    struct Checkpoint { uint64 size; uint64 blockNumber; uint64 timestamp; bytes32 root; }

With Solidity's rules for mappings and dynamic arrays (`‖` is concatenation, each part
32 bytes, addresses left-padded with zeros, arithmetic modulo 2^256):

    base        = keccak256(uint256(keccak256("evanchor.storage.EvidenceAnchor")) - 1) & ~0xff
    count slot  = keccak256(writer ‖ base)                  (the array length)
    word 0 of checkpoint i = keccak256(count slot) + 2·i    size | blockNumber<<64 | timestamp<<128
    word 1 of checkpoint i = word 0 + 1                     root

docs/CONTRACT.md states the same; a test reads the slots of a deployed contract and compares
them with `checkpointAt`.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from evanchor.contracts.errors import StorageLayoutError

NAMESPACE_ID = "evanchor.storage.EvidenceAnchor"
WORD_SIZE = 32
_SLOT_MODULUS = 1 << 256
_UINT64_MASK = (1 << 64) - 1
MAX_CHECKPOINT_INDEX = (1 << 64) - 1
"""Solidity caps a storage array's length below 2^64, so no checkpoint has a larger index."""

_HEX_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}\Z")


def erc7201_slot(namespace_id: str) -> int:
    """ERC-7201: keccak256(abi.encode(uint256(keccak256(id)) - 1)) & ~bytes32(uint256(0xff))."""
    inner = int.from_bytes(keccak(namespace_id.encode("utf-8")), "big") - 1
    return int.from_bytes(keccak(inner.to_bytes(WORD_SIZE, "big")), "big") & ~0xFF


NAMESPACE_SLOT = erc7201_slot(NAMESPACE_ID)
"""Slot of `EvidenceAnchorStorage`; `logs` is its first member, so also the mapping's slot."""


class StoredCheckpoint(NamedTuple):
    """One checkpoint as decoded from its two storage words."""

    size: int
    block_number: int
    timestamp: int
    root: bytes


def checkpoint_count_slot(writer: str) -> int:
    """The slot holding how many checkpoints `writer` has anchored (its array's length)."""
    padded = _address_bytes(writer).rjust(WORD_SIZE, b"\x00")
    return int.from_bytes(keccak(padded + NAMESPACE_SLOT.to_bytes(WORD_SIZE, "big")), "big")


def checkpoint_slots(writer: str, index: int) -> tuple[int, int]:
    """The two slots of checkpoint `index` of `writer`: (size/block/timestamp word, root word).

    Requires `writer` to be a 0x-prefixed 20-byte hex address (mixed case only with a valid
    EIP-55 checksum) and 0 <= index < 2^64. Says nothing about whether that checkpoint exists:
    compare `index` with the word at `checkpoint_count_slot(writer)`.
    """
    if (
        not isinstance(index, int)
        or isinstance(index, bool)
        or not 0 <= index <= MAX_CHECKPOINT_INDEX
    ):
        raise StorageLayoutError("checkpoint index", "an integer in [0, 2^64)", repr(index))
    count_slot = checkpoint_count_slot(writer)
    elements = int.from_bytes(keccak(count_slot.to_bytes(WORD_SIZE, "big")), "big")
    word0 = (elements + 2 * index) % _SLOT_MODULUS
    return word0, (word0 + 1) % _SLOT_MODULUS


def decode_checkpoint_slots(word0: bytes, word1: bytes) -> StoredCheckpoint:
    """Decodes the two 32-byte storage words of a checkpoint (as `eth_getStorageAt` returns).

    Raises StorageLayoutError if a word is not 32 bytes or word 0 has bits set above bit 191,
    which the contract never writes: such words are not a checkpoint.
    """
    for what, word in (("checkpoint word 0", word0), ("checkpoint word 1", word1)):
        if not isinstance(word, bytes | bytearray) or len(word) != WORD_SIZE:
            found = f"{len(word)} bytes" if isinstance(word, bytes | bytearray) else repr(word)
            raise StorageLayoutError(what, f"{WORD_SIZE} bytes", found)
    packed = int.from_bytes(word0, "big")
    if packed >> 192:
        raise StorageLayoutError(
            "checkpoint word 0", "bits 192-255 clear", f"0x{bytes(word0).hex()}"
        )
    return StoredCheckpoint(
        size=packed & _UINT64_MASK,
        block_number=packed >> 64 & _UINT64_MASK,
        timestamp=packed >> 128 & _UINT64_MASK,
        root=bytes(word1),
    )


def _address_bytes(writer: str) -> bytes:
    if not isinstance(writer, str) or not _HEX_ADDRESS.match(writer):
        raise StorageLayoutError("writer address", "0x and 40 hex digits", repr(writer))
    digits = writer[2:]
    mixed_case = digits != digits.lower() and digits != digits.upper()
    if mixed_case and to_checksum_address(writer) != writer:
        raise StorageLayoutError("writer address", "a valid EIP-55 checksum", writer)
    return bytes.fromhex(digits)
