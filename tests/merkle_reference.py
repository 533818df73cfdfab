"""A plain RFC 9162 §2.1 reference, written straight from the RFC's recursive definitions.

Slow on purpose and kept apart from `evanchor.anchor.protocol.merkle`: the property tests
hold the fast code to this, and the vector generator derives the shared test vectors from
it.
"""

from __future__ import annotations

from hashlib import sha256


def mth(leaves: list[bytes]) -> bytes:
    n = len(leaves)
    if n == 0:
        return sha256(b"").digest()
    if n == 1:
        return sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


def path(m: int, leaves: list[bytes]) -> list[bytes]:
    n = len(leaves)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*path(m, leaves[:k]), mth(leaves[k:])]
    return [*path(m - k, leaves[k:]), mth(leaves[:k])]


def _subproof(m: int, leaves: list[bytes], complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [mth(leaves)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*_subproof(m, leaves[:k], complete), mth(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), mth(leaves[:k])]


def proof(m: int, leaves: list[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) for 0 < m <= n."""
    return _subproof(m, leaves, True)


RFC6962_TEST_LEAVES: list[bytes] = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes(range(0x50, 0x58)),
    bytes(range(0x60, 0x70)),
]
"""The leaves of the test tree used by RFC 6962 implementations (certificate-transparency)."""

RFC6962_TEST_ROOTS: list[str] = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
"""Known-answer roots of the RFC 6962 test tree for sizes 0 to 8."""


def _node(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def _root_from_path(leaf_hash: bytes, m: int, n: int, p: list[bytes]) -> bytes | None:
    if n == 1:
        return leaf_hash if not p else None
    if not p:
        return None
    k = _split(n)
    if m < k:
        left = _root_from_path(leaf_hash, m, k, p[:-1])
        return None if left is None else _node(left, p[-1])
    right = _root_from_path(leaf_hash, m - k, n - k, p[:-1])
    return None if right is None else _node(p[-1], right)


def inclusion_holds(leaf_hash: bytes, m: int, n: int, p: list[bytes], root: bytes) -> bool:
    """Reference verdict: does PATH's recursive structure rebuild `root`?"""
    if not 0 <= m < n:
        return False
    return _root_from_path(leaf_hash, m, n, p) == root


def _roots_from_subproof(
    m: int, n: int, complete: bool, p: list[bytes], old_root: bytes
) -> tuple[bytes, bytes] | None:
    if m == n:
        if complete:
            return (old_root, old_root) if not p else None
        return (p[0], p[0]) if len(p) == 1 else None
    if not p:
        return None
    k = _split(n)
    if m <= k:
        inner = _roots_from_subproof(m, k, complete, p[:-1], old_root)
        return None if inner is None else (inner[0], _node(inner[1], p[-1]))
    inner = _roots_from_subproof(m - k, n - k, False, p[:-1], old_root)
    return None if inner is None else (_node(p[-1], inner[0]), _node(p[-1], inner[1]))


def consistency_holds(m: int, n: int, old_root: bytes, new_root: bytes, p: list[bytes]) -> bool:
    """Reference verdict: does PROOF's recursive structure rebuild both roots?"""
    if not 0 < m <= n:
        return False
    roots = _roots_from_subproof(m, n, True, p, old_root)
    return roots == (old_root, new_root)
