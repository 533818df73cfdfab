"""RFC 9162 §2.1 Merkle Tree Hash over SHA-256: hashing and building proofs.

Checking proofs lives in `verify.py`, which does not import this module: a verifier must not
trust the code it checks.

The tree is described by its *complete subtrees*: node (level, index) is the hash of leaves
[index·2^level, (index+1)·2^level). Every subtree hash that RFC 9162's recursive definitions
need is either such a complete node or lies on the right edge of the tree, where it is the
fold of the complete subtrees that the binary decomposition of the size names. The functions
taking a `NodeReader` therefore need O(log n) node reads for a root or a proof, whether the
nodes come from memory or from the LevelDB store.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from hashlib import sha256

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
HASH_SIZE = 32
EMPTY_ROOT = sha256(b"").digest()

NodeReader = Callable[[int, int], bytes]
"""Returns the hash of complete subtree (level, index). Level 0 is the leaf hashes."""


def leaf_hash(leaf: bytes) -> bytes:
    """RFC 9162: MTH({d}) = SHA-256(0x00 || d)."""
    return sha256(LEAF_PREFIX + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162: interior node = SHA-256(0x01 || left || right)."""
    return sha256(NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n. Requires n >= 2."""
    return 1 << ((n - 1).bit_length() - 1)


def parent_level(level: Sequence[bytes]) -> list[bytes]:
    """Hash pairs of one level into the next; an odd last node has no parent yet."""
    prefix = NODE_PREFIX
    nodes = iter(level)
    # zip(nodes, nodes) pairs neighbours; not strict, so that an odd last node is dropped.
    return [
        sha256(prefix + left + right).digest() for left, right in zip(nodes, nodes, strict=False)
    ]


ROOT_CHUNK = 1024
"""Leaves that `root_hash` and `root_of_leaves` reduce at a time.

A power of two, so that every full chunk is a complete subtree. Small, so that each chunk's
hashes are freed, and their memory reused while still in the CPU cache, before the next
chunk is hashed: keeping all N leaf hashes and N/2 parents alive instead costs about 15% of
the time at N = 1,000,000 (benchmarks/merkle_root.py).
"""


def _level_root(level: list[bytes]) -> bytes:
    """MTH of a non-empty list of leaf hashes, pairing left to right level by level.

    Carrying an odd last node up unchanged gives exactly RFC 9162's split at the largest
    power of two: the left part is always complete.
    """
    while len(level) > 1:
        carry = level[-1] if len(level) % 2 else None
        level = parent_level(level)
        if carry is not None:
            level.append(carry)
    return level[0]


def _root_by_chunks(size: int, chunk_hashes: Callable[[int, int], list[bytes]]) -> bytes:
    """MTH of `size` leaves whose hashes `chunk_hashes(lo, hi)` gives for leaves [lo, hi).

    Each full chunk is a complete subtree; they are merged as a binary counter carries, which
    leaves the complete subtrees of the chunks so far, left first (as LogStore.append does
    leaf by leaf). A last partial chunk's MTH is the fold of the tree's lowest complete
    subtrees, so folding everything from the right gives RFC 9162's root.
    """
    if size == 0:
        return EMPTY_ROOT
    subtrees: list[bytes] = []
    full = size - size % ROOT_CHUNK
    for chunk, lo in enumerate(range(0, full, ROOT_CHUNK)):
        subtree = _level_root(chunk_hashes(lo, lo + ROOT_CHUNK))
        carries = chunk  # one merge per trailing 1 bit of the chunk's number
        while carries & 1:
            subtree = node_hash(subtrees.pop(), subtree)
            carries >>= 1
        subtrees.append(subtree)
    if full < size:
        subtrees.append(_level_root(chunk_hashes(full, size)))
    folded = subtrees.pop()
    while subtrees:
        folded = node_hash(subtrees.pop(), folded)
    return folded


def root_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH of a list of leaf hashes."""
    return _root_by_chunks(len(leaf_hashes), lambda lo, hi: list(leaf_hashes[lo:hi]))


def root_of_leaves(leaves: Sequence[bytes]) -> bytes:
    """MTH of a list of leaf byte strings (hashes each leaf first)."""
    prefix = LEAF_PREFIX
    return _root_by_chunks(
        len(leaves), lambda lo, hi: [sha256(prefix + leaf).digest() for leaf in leaves[lo:hi]]
    )


def complete_subtrees(size: int) -> list[tuple[int, int]]:
    """The (level, index) of the complete subtrees that make up a tree of `size`, left first."""
    nodes: list[tuple[int, int]] = []
    start = 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            nodes.append((level, start >> level))
            start += 1 << level
    return nodes


class _RangeHasher:
    """MTH(D[lo:hi]) for the subtrees RFC 9162's recursions visit, with each node read once.

    Such a range is either a complete subtree, or ends at the tree's right edge and starts at a
    multiple of its largest complete part; both are folds of aligned complete subtrees.
    """

    def __init__(self, read_node: NodeReader) -> None:
        self._read = read_node
        self._cache: dict[tuple[int, int], bytes] = {}

    def node(self, level: int, index: int) -> bytes:
        key = (level, index)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._read(level, index)
        return found

    def range_hash(self, lo: int, hi: int) -> bytes:
        """Requires 0 <= lo < hi and that lo is aligned to the largest power of two <= hi-lo."""
        parts: list[bytes] = []
        start, width = lo, hi - lo
        for level in range(width.bit_length() - 1, -1, -1):
            if width >> level & 1:
                parts.append(self.node(level, start >> level))
                start += 1 << level
        folded = parts[-1]
        for part in reversed(parts[:-1]):
            folded = node_hash(part, folded)
        return folded


def root_from_nodes(read_node: NodeReader, size: int) -> bytes:
    """MTH of the first `size` leaves from complete-subtree hashes. Requires size >= 0."""
    if size == 0:
        return EMPTY_ROOT
    return _RangeHasher(read_node).range_hash(0, size)


def inclusion_proof_from_nodes(read_node: NodeReader, index: int, size: int) -> list[bytes]:
    """RFC 9162 §2.1.3.1 PATH(index, D[0:size]), leaf to root. Requires 0 <= index < size."""
    if not 0 <= index < size:
        raise ValueError(f"inclusion proof needs 0 <= index < size, got index {index}, size {size}")
    hasher = _RangeHasher(read_node)
    path: list[bytes] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            path.append(hasher.range_hash(lo + k, hi))
            hi = lo + k
        else:
            path.append(hasher.range_hash(lo, lo + k))
            lo = lo + k
    path.reverse()
    return path


def consistency_proof_from_nodes(
    read_node: NodeReader, old_size: int, new_size: int
) -> list[bytes]:
    """RFC 9162 §2.1.4.1 PROOF(old_size, D[0:new_size]). Requires 0 < old_size <= new_size."""
    if not 0 < old_size <= new_size:
        raise ValueError(
            f"consistency proof needs 0 < old_size <= new_size, got {old_size}, {new_size}"
        )
    hasher = _RangeHasher(read_node)
    proof: list[bytes] = []
    lo, hi, m, complete = 0, new_size, old_size, True
    # SUBPROOF(m, D[lo:hi], complete), unrolled; elements are produced root to leaf.
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            proof.append(hasher.range_hash(lo + k, hi))
            hi = lo + k
        else:
            proof.append(hasher.range_hash(lo, lo + k))
            lo, m, complete = lo + k, m - k, False
    if not complete:
        proof.append(hasher.range_hash(lo, hi))
    proof.reverse()
    return proof


class MemoryTree:
    """All complete-subtree hashes of a list of leaf hashes, for proofs in memory."""

    def __init__(self, leaf_hashes: Sequence[bytes]) -> None:
        self.size = len(leaf_hashes)
        self.levels: list[list[bytes]] = [list(leaf_hashes)]
        while len(self.levels[-1]) > 1:
            self.levels.append(parent_level(self.levels[-1]))

    def node(self, level: int, index: int) -> bytes:
        return self.levels[level][index]


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(index, D[n]) over a list of leaf hashes. Requires 0 <= index < len(leaf_hashes)."""
    return inclusion_proof_from_nodes(MemoryTree(leaf_hashes).node, index, len(leaf_hashes))


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """PROOF(old_size, D[n]) over a list of leaf hashes. Requires 0 < old_size <= n."""
    tree = MemoryTree(leaf_hashes)
    return consistency_proof_from_nodes(tree.node, old_size, len(leaf_hashes))
