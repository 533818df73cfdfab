"""Regenerate the RFC 9162 proof vectors under tests/vectors/ from the plain reference.

Run from the repository root: `python tests/vectors/generate.py`. The files are committed;
`tests/anchor/test_vectors.py` checks that this script reproduces them byte for byte, and
both the Python and the Solidity tests read them.

Each file: a description, the inputs, `valid`, and for invalid ones the error class the Python
verifier must raise (`ProofMalformed` for a shape that cannot fit, `RootMismatch` otherwise).
"""

from __future__ import annotations

import json
import sys
from hashlib import sha256
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from merkle_reference import (
    RFC6962_TEST_LEAVES,
    consistency_holds,
    inclusion_holds,
    mth,
    path,
    proof,
)

HERE = Path(__file__).resolve().parent


def _deep_leaves(n: int) -> list[bytes]:
    return [i.to_bytes(4, "big") for i in range(n)]


def _flip(h: bytes, bit: int = 3) -> bytes:
    return bytes([h[0] ^ (1 << bit)]) + h[1:]


GARBAGE = sha256(b"garbage").digest()
CORRUPTED_CONSISTENCY = {(1, 1), (1, 8), (2, 5), (3, 7), (4, 8), (5, 5), (6, 8), (7, 8), (3, 4)}
"""The (old, new) pairs of the RFC 6962 tree that also get every named corrupt case."""


def inclusion_cases(
    tree: str, leaves: list[bytes], size: int, index: int, corrupt: bool
) -> list[tuple[str, dict[str, Any], bool, str | None]]:
    d = leaves[:size]
    base = {
        "leaf_index": index,
        "tree_size": size,
        "leaf_hash": sha256(b"\x00" + d[index]).digest(),
        "proof": path(index, d),
        "root": mth(d),
    }
    cases: list[tuple[str, dict[str, Any], bool, str | None]] = [("happy-path", base, True, None)]
    if not corrupt:
        return [(f"{tree}-{size}-{index}-{n}", c, v, e) for n, c, v, e in cases]
    p = base["proof"]
    wrong_leaf = sha256(b"\x00" + b"not the leaf").digest()
    cases += [
        ("wrong-leaf", {**base, "leaf_hash": wrong_leaf}, False, "RootMismatch"),
        ("wrong-root", {**base, "root": _flip(base["root"])}, False, "RootMismatch"),
        ("empty-tree-root", {**base, "root": mth([])}, False, "RootMismatch"),
        ("index-beyond-size", {**base, "leaf_index": size}, False, "ProofMalformed"),
        ("size-zero", {**base, "tree_size": 0}, False, "ProofMalformed"),
        ("trailing-element", {**base, "proof": [*p, GARBAGE]}, False, "ProofMalformed"),
        ("preceding-element", {**base, "proof": [GARBAGE, *p]}, False, "ProofMalformed"),
        ("truncated-proof", {**base, "proof": p[:-1]}, False, "ProofMalformed"),
    ]
    for i in range(len(p)):
        flipped = [*p[:i], _flip(p[i]), *p[i + 1 :]]
        cases.append((f"flipped-bit-proof-{i}", {**base, "proof": flipped}, False, "RootMismatch"))
    for name, delta in (("index-plus-1", 1), ("index-minus-1", -1)):
        j = index + delta
        if 0 <= j < size:
            valid = inclusion_holds(base["leaf_hash"], j, size, p, base["root"])
            cases.append((name, {**base, "leaf_index": j}, valid, None))
    for name, new_size in (("size-plus-1", size + 1), ("size-minus-1", size - 1)):
        if new_size > index:
            # A path does not bind the size: a neighbouring size with the same shape of
            # path rebuilds the same root, which is why checkpoints carry the size.
            valid = inclusion_holds(base["leaf_hash"], index, new_size, p, base["root"])
            cases.append((name, {**base, "tree_size": new_size}, valid, None))
    return [(f"{tree}-{size}-{index}-{n}", c, v, e) for n, c, v, e in cases]


def consistency_cases(
    tree: str, leaves: list[bytes], old: int, new: int, corrupt: bool
) -> list[tuple[str, dict[str, Any], bool, str | None]]:
    base = {
        "old_size": old,
        "new_size": new,
        "old_root": mth(leaves[:old]),
        "new_root": mth(leaves[:new]),
        "proof": proof(old, leaves[:new]),
    }
    cases: list[tuple[str, dict[str, Any], bool, str | None]] = [("happy-path", base, True, None)]
    if not corrupt:
        return [(f"{tree}-{old}-{new}-{n}", c, v, e) for n, c, v, e in cases]
    p = base["proof"]
    swapped = {**base, "old_root": base["new_root"], "new_root": base["old_root"]}
    cases += [
        ("wrong-old-root", {**base, "old_root": _flip(base["old_root"])}, False, "RootMismatch"),
        ("wrong-new-root", {**base, "new_root": _flip(base["new_root"])}, False, "RootMismatch"),
        ("old-size-zero", {**base, "old_size": 0}, False, "ProofMalformed"),
        ("trailing-element", {**base, "proof": [*p, GARBAGE]}, False, "ProofMalformed"),
        ("preceding-element", {**base, "proof": [GARBAGE, *p]}, False, "ProofMalformed"),
    ]
    if old != new:
        cases += [
            ("swapped-roots", swapped, False, "RootMismatch"),
            ("sizes-swapped", {**base, "old_size": new, "new_size": old}, False, "ProofMalformed"),
            ("empty-proof", {**base, "proof": []}, False, "ProofMalformed"),
            ("truncated-proof", {**base, "proof": p[:-1]}, False, "ProofMalformed"),
        ]
        for i in range(len(p)):
            flipped = [*p[:i], _flip(p[i]), *p[i + 1 :]]
            cases.append(
                (f"flipped-bit-proof-{i}", {**base, "proof": flipped}, False, "RootMismatch")
            )
        for name, o, n in (
            ("old-size-plus-1", old + 1, new),
            ("old-size-minus-1", old - 1, new),
            ("new-size-plus-1", old, new + 1),
            ("new-size-minus-1", old, new - 1),
        ):
            if 0 < o <= n:
                valid = consistency_holds(o, n, base["old_root"], base["new_root"], p)
                cases.append((name, {**base, "old_size": o, "new_size": n}, valid, None))
    return [(f"{tree}-{old}-{new}-{n}", c, v, e) for n, c, v, e in cases]


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list):
        return [_encode(v) for v in value]
    return value


def render(name: str, fields: dict[str, Any], valid: bool, error: str | None) -> str:
    description = name.replace("-", " ")
    if valid and "happy" not in name:
        description += " (still valid: a proof does not bind the tree size; checkpoints do)"
    body: dict[str, Any] = {"description": description}
    body.update({k: _encode(v) for k, v in fields.items()})
    body["valid"] = valid
    if not valid and error is not None:
        body["error"] = error
    return json.dumps(body, indent=2) + "\n"


def all_vectors() -> dict[str, str]:
    """Relative path -> file text, for every vector."""
    out: dict[str, str] = {}
    rfc = RFC6962_TEST_LEAVES
    deep = _deep_leaves(1000)
    inclusion = [("rfc6962", rfc, s, i) for s in range(1, 9) for i in range(s)]
    inclusion += [("deep", deep, 1000, 517), ("deep", deep, 1000, 999), ("deep", deep, 1024, 0)]
    for tree, leaves, size, index in inclusion:
        leaves_needed = leaves if size <= len(leaves) else _deep_leaves(size)
        corrupt = tree == "deep" or (size > 1 and index in (0, size // 2, size - 1))
        cases = inclusion_cases(tree, leaves_needed, size, index, corrupt)
        for name, fields, valid, error in cases:
            out[f"inclusion/{name}.json"] = render(name, fields, valid, error)
    consistency = [("rfc6962", rfc, o, n) for n in range(1, 9) for o in range(1, n + 1)]
    consistency += [("deep", deep, 300, 1000), ("deep", deep, 512, 1000), ("deep", deep, 1, 999)]
    for tree, leaves, old, new in consistency:
        corrupt = tree == "deep" or (old, new) in CORRUPTED_CONSISTENCY
        for name, fields, valid, error in consistency_cases(tree, leaves, old, new, corrupt):
            out[f"consistency/{name}.json"] = render(name, fields, valid, error)
    return out


def main() -> None:
    vectors = all_vectors()
    for kind in ("inclusion", "consistency"):
        folder = HERE / kind
        folder.mkdir(exist_ok=True)
        for stale in folder.glob("*.json"):
            if f"{kind}/{stale.name}" not in vectors:
                stale.unlink()
    for rel, text in vectors.items():
        (HERE / rel).write_text(text)
    print(f"wrote {len(vectors)} vector files under {HERE}")


if __name__ == "__main__":
    main()
