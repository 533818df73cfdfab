"""Roots of trees larger than one ROOT_CHUNK: full chunks, carries between them, a last
partial chunk. The other Merkle tests use at most 70 leaves, below the first chunk."""

from __future__ import annotations

from hashlib import sha256

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evanchor.anchor.protocol import merkle

from merkle_reference import mth

CHUNK = merkle.ROOT_CHUNK


def leaves(count: int, seed: int = 0) -> list[bytes]:
    """Distinct leaves of varied lengths (0 to 40 bytes)."""
    return [
        sha256(b"%d/%d" % (seed, i)).digest()[: (i * 7 + seed) % 41] + i.to_bytes(4, "big")
        for i in range(count)
    ]


@pytest.mark.parametrize(
    "size",
    [
        CHUNK - 1,
        CHUNK,
        CHUNK + 1,
        2 * CHUNK - 1,
        2 * CHUNK,
        2 * CHUNK + 1,
        3 * CHUNK,
        3 * CHUNK + 5,
        4 * CHUNK,
        5 * CHUNK + CHUNK - 1,
        7 * CHUNK + 1,
        8 * CHUNK,
    ],
)
def test_roots_across_chunk_boundaries_match_reference(size: int) -> None:
    data = leaves(size)
    expected = mth(data)
    hashes = [merkle.leaf_hash(leaf) for leaf in data]
    assert merkle.root_of_leaves(data) == expected
    assert merkle.root_hash(hashes) == expected
    assert merkle.root_from_nodes(merkle.MemoryTree(hashes).node, size) == expected


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 6 * CHUNK + 3), st.integers(0, 2**16))
def test_root_of_any_size_matches_reference(size: int, seed: int) -> None:
    data = leaves(size, seed)
    assert merkle.root_of_leaves(data) == mth(data)


def test_root_hash_accepts_any_sequence() -> None:
    hashes = tuple(merkle.leaf_hash(leaf) for leaf in leaves(CHUNK + 3))
    assert merkle.root_hash(hashes) == merkle.root_hash(list(hashes))
