"""The documented storage slots of checkpoints, proven against a deployed EvidenceAnchor."""

from __future__ import annotations

import pytest
from eth_utils.crypto import keccak

from evanchor.anchor.errors import EvanchorError
from evanchor.contracts.errors import StorageLayoutError
from evanchor.contracts.storage_layout import (
    NAMESPACE_ID,
    NAMESPACE_SLOT,
    checkpoint_count_slot,
    checkpoint_slots,
    decode_checkpoint_slots,
    erc7201_slot,
)

from evm_harness import Deployment, Tree, checkpoint_tuple, send

WORD = 32


def storage_word(d: Deployment, slot: int) -> bytes:
    return bytes(d.w3.eth.get_storage_at(d.contract.address, slot))


def test_namespace_slot_follows_erc7201() -> None:
    # The value the contract hard-codes as _STORAGE_LOCATION.
    assert NAMESPACE_ID == "evanchor.storage.EvidenceAnchor"
    assert NAMESPACE_SLOT == 0x5C1B90890156B11427B217BE7FB4DF04B5FBF2790CAB9B9284DD6F82EC7FF700
    inner = int.from_bytes(keccak(NAMESPACE_ID.encode()), "big") - 1
    assert (
        erc7201_slot(NAMESPACE_ID)
        == int.from_bytes(keccak(inner.to_bytes(32, "big")), "big") & ~0xFF
    )
    assert NAMESPACE_SLOT & 0xFF == 0


def test_slots_hold_exactly_what_checkpoint_at_returns(deployment: Deployment) -> None:
    d = deployment
    trees = {d.writer: Tree(b"slots-a", 20), d.other_writer: Tree(b"slots-b", 20)}
    plans = {d.writer: [1, 2, 7, 20], d.other_writer: [3, 4, 5]}
    for writer, sizes in plans.items():
        tree, previous = trees[writer], None
        for size in sizes:
            proof = [] if previous is None else tree.consistency(previous, size)
            send(d.contract.functions.anchor(size, tree.root(size), proof), writer)
            previous = size
    for writer, sizes in plans.items():
        count = int.from_bytes(storage_word(d, checkpoint_count_slot(writer)), "big")
        assert count == d.contract.functions.checkpointCount(writer).call() == len(sizes)
        for index in range(len(sizes)):
            slot0, slot1 = checkpoint_slots(writer, index)
            assert slot1 == slot0 + 1
            stored = decode_checkpoint_slots(storage_word(d, slot0), storage_word(d, slot1))
            assert tuple(stored) == checkpoint_tuple(d.contract, writer, index)
            assert stored.size == sizes[index]
            # The same slots whatever case the address is written in.
            assert checkpoint_slots(writer.lower(), index) == (slot0, slot1)
        # The slots after the last checkpoint are empty.
        after = checkpoint_slots(writer, len(sizes))
        assert storage_word(d, after[0]) == storage_word(d, after[1]) == b"\x00" * WORD


def test_decode_packs_size_block_and_timestamp_low_bits_first() -> None:
    word0 = ((3 << 128) | (2 << 64) | 1).to_bytes(WORD, "big")
    root = bytes(range(WORD))
    assert decode_checkpoint_slots(word0, root) == (1, 2, 3, root)
    assert decode_checkpoint_slots(bytearray(word0), bytearray(root)).root == root


def test_slot_arithmetic_wraps_modulo_2_256() -> None:
    slot0, slot1 = checkpoint_slots("0x" + "11" * 20, (1 << 64) - 1)
    assert 0 <= slot0 < 1 << 256
    assert slot1 == (slot0 + 1) % (1 << 256)


@pytest.mark.parametrize(
    "writer",
    [
        "0x" + "11" * 19,
        "11" * 20,
        "0x" + "gg" * 20,
        "0x7E5F4552091A69125d5DfCb7b8C2659029395BDF",  # mixed case, bad checksum
        b"\x11" * 20,
    ],
)
def test_bad_writer_addresses_are_refused(writer: object) -> None:
    with pytest.raises(StorageLayoutError) as caught:
        checkpoint_slots(writer, 0)  # type: ignore[arg-type]
    assert caught.value.what == "writer address"
    assert isinstance(caught.value, EvanchorError)


@pytest.mark.parametrize("index", [-1, 1 << 64, True, 1.0, "0"])
def test_bad_indices_are_refused(index: object) -> None:
    with pytest.raises(StorageLayoutError, match="checkpoint index"):
        checkpoint_slots("0x" + "11" * 20, index)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("word0", "word1", "what"),
    [
        (b"\x00" * 31, b"\x00" * 32, "checkpoint word 0"),
        (b"\x00" * 32, b"\x00" * 33, "checkpoint word 1"),
        ("00" * 32, b"\x00" * 32, "checkpoint word 0"),
        (b"\x01" + b"\x00" * 31, b"\x00" * 32, "checkpoint word 0"),
        (b"\x00" * 7 + b"\x01" + b"\x00" * 24, b"\x00" * 32, "checkpoint word 0"),
    ],
)
def test_words_that_are_no_checkpoint_are_refused(word0: object, word1: object, what: str) -> None:
    with pytest.raises(StorageLayoutError) as caught:
        decode_checkpoint_slots(word0, word1)  # type: ignore[arg-type]
    assert caught.value.what == what
