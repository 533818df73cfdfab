"""Checking RFC 9162 inclusion and consistency proofs (§2.1.3.2 and §2.1.4.2).

This module does not import `merkle.py`: it restates the two hash functions so that a bug in
the code that builds proofs cannot hide itself in the code that checks them.

Every rejection is a `ProofError`: `ProofMalformed` when the proof's shape cannot fit the
claimed sizes (checked before any hashing, so truncated proofs and trailing elements are
named as such), `RootMismatch` when the hashes do not reproduce the root. Nothing else is
raised, whatever the input.
"""

from __future__ import annotations

from collections.abc import Sequence
from hashlib import sha256

from evanchor.anchor.errors import ProofMalformed, RootMismatch

HASH_SIZE = 32
MAX_TREE_SIZE = 1 << 64
"""Sizes and indices are uint64 on chain (the contract takes the same range)."""


def _node(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right).digest()


def _check_hash(value: object, what: str) -> bytes:
    if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
        size = len(value) if isinstance(value, bytes | bytearray) else type(value).__name__
        raise ProofMalformed(f"{what}: expected a {HASH_SIZE}-byte hash, got {size}")
    return bytes(value)


def _check_int(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < MAX_TREE_SIZE:
        raise ProofMalformed(f"{what}: expected an integer in [0, 2^64), got {value!r}")
    return value


def _check_proof(proof: object, expected_length: int, what: str) -> list[bytes]:
    if not isinstance(proof, list | tuple):
        raise ProofMalformed(f"{what}: expected a list of hashes, got {type(proof).__name__}")
    if len(proof) != expected_length:
        raise ProofMalformed(
            f"{what}: expected {expected_length} hashes, got {len(proof)}"
            + (" (trailing elements)" if len(proof) > expected_length else " (missing elements)")
        )
    return [_check_hash(p, f"{what}[{i}]") for i, p in enumerate(proof)]


def inclusion_proof_length(index: int, size: int) -> int:
    """How many hashes PATH(index, D[size]) has: the iterations of §2.1.3.2 until sn is 0."""
    fn, sn, length = index, size - 1, 0
    while sn:
        if fn == sn and not fn & 1:
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        fn, sn, length = fn >> 1, sn >> 1, length + 1
    return length


def root_from_inclusion_proof(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes:
    """The root that `proof` leads to from `leaf_hash` at `index` in a tree of `size`.

    Raises ProofMalformed for index >= size, size 0, a proof of the wrong length, or an
    element that is not a 32-byte hash.
    """
    index = _check_int(index, "leaf index")
    size = _check_int(size, "tree size")
    if size == 0:
        raise ProofMalformed("tree size 0: an empty tree includes no leaf")
    if index >= size:
        raise ProofMalformed(f"leaf index {index} is not below tree size {size}")
    leaf = _check_hash(leaf_hash, "leaf hash")
    path = _check_proof(list(proof), inclusion_proof_length(index, size), "inclusion proof")
    # RFC 9162 §2.1.3.2, step by step.
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:  # unreachable after the length check; kept as the RFC states it
            raise ProofMalformed("inclusion proof: trailing elements")
        if fn & 1 or fn == sn:
            r = _node(p, r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = _node(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofMalformed("inclusion proof: missing elements")
    return r


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Accept if `proof` shows `leaf_hash` at `index` in the tree of `size` with `root`."""
    expected = _check_hash(root, "root")
    computed = root_from_inclusion_proof(leaf_hash, index, size, proof)
    if computed != expected:
        raise RootMismatch("inclusion proof root", expected, computed)


def consistency_proof_length(old_size: int, new_size: int) -> int:
    """How many hashes PROOF(old_size, D[new_size]) has. Requires 0 < old_size < new_size."""
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    length = 0 if old_size & (old_size - 1) == 0 else 1
    while sn:
        if fn & 1 or fn == sn:
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        fn, sn, length = fn >> 1, sn >> 1, length + 1
    return length


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Accept if `proof` shows the tree (new_size, new_root) extends (old_size, old_root).

    Equal sizes need an empty proof and equal roots. Old size 0 is rejected: the empty tree is
    trivially a prefix of every tree, so a "proof" from it proves nothing and is refused as
    malformed rather than silently accepted.
    """
    old_size = _check_int(old_size, "old size")
    new_size = _check_int(new_size, "new size")
    first = _check_hash(old_root, "old root")
    second = _check_hash(new_root, "new root")
    if old_size == 0:
        raise ProofMalformed("old size 0: consistency is only checked from a non-empty tree")
    if new_size < old_size:
        raise ProofMalformed(f"new size {new_size} is smaller than old size {old_size}")
    if old_size == new_size:
        _check_proof(list(proof), 0, "consistency proof")
        if first != second:
            raise RootMismatch("equal sizes, roots", first, second)
        return
    path = _check_proof(
        list(proof), consistency_proof_length(old_size, new_size), "consistency proof"
    )
    # RFC 9162 §2.1.4.2, step by step.
    if old_size & (old_size - 1) == 0:
        path = [first, *path]
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:  # unreachable after the length check; kept as the RFC states it
            raise ProofMalformed("consistency proof: trailing elements")
        if fn & 1 or fn == sn:
            fr = _node(c, fr)
            sr = _node(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = _node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofMalformed("consistency proof: missing elements")
    if fr != first:
        raise RootMismatch("consistency proof old root", first, fr)
    if sr != second:
        raise RootMismatch("consistency proof new root", second, sr)
