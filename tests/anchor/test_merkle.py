"""RFC 9162 tree hashing, proofs and their verification."""

from __future__ import annotations

import importlib.util
import sys
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evanchor.anchor.errors import ProofError, RootMismatch
from evanchor.anchor.protocol import merkle
from evanchor.anchor.verify import proofs as verify

from merkle_reference import (
    RFC6962_TEST_LEAVES,
    RFC6962_TEST_ROOTS,
    consistency_holds,
    inclusion_holds,
    mth,
    path,
    proof,
)
from vectorfiles import VECTORS, load


@pytest.mark.parametrize("size", range(9))
def test_rfc6962_test_tree_roots(size: int) -> None:
    assert merkle.root_of_leaves(RFC6962_TEST_LEAVES[:size]).hex() == RFC6962_TEST_ROOTS[size]


def test_empty_tree_is_sha256_of_nothing() -> None:
    assert merkle.EMPTY_ROOT.hex() == RFC6962_TEST_ROOTS[0]
    assert merkle.root_hash([]) == merkle.EMPTY_ROOT


def test_transparency_dev_consistency_vector() -> None:
    # testdata/consistency/3/happy-path.json of transparency-dev/merkle: sizes 2 -> 5.
    leaf_hashes = [merkle.leaf_hash(leaf) for leaf in RFC6962_TEST_LEAVES[:5]]
    assert [p.hex() for p in merkle.consistency_proof(leaf_hashes, 2)] == [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ]


def _bytes(vector: dict[str, Any], key: str) -> bytes:
    return bytes.fromhex(vector[key])


def _outcome(check: Any) -> str | None:
    try:
        check()
    except ProofError as error:
        return type(error).__name__
    return None


@pytest.mark.parametrize(("name", "vector"), load("inclusion"), ids=lambda v: str(v)[:60])
def test_inclusion_vectors(name: str, vector: dict[str, Any]) -> None:
    outcome = _outcome(
        lambda: verify.verify_inclusion(
            _bytes(vector, "leaf_hash"),
            vector["leaf_index"],
            vector["tree_size"],
            [bytes.fromhex(p) for p in vector["proof"]],
            _bytes(vector, "root"),
        )
    )
    if vector["valid"]:
        assert outcome is None, name
    else:
        assert outcome is not None, name
        assert outcome == vector.get("error", outcome), name


@pytest.mark.parametrize(("name", "vector"), load("consistency"), ids=lambda v: str(v)[:60])
def test_consistency_vectors(name: str, vector: dict[str, Any]) -> None:
    outcome = _outcome(
        lambda: verify.verify_consistency(
            vector["old_size"],
            vector["new_size"],
            _bytes(vector, "old_root"),
            _bytes(vector, "new_root"),
            [bytes.fromhex(p) for p in vector["proof"]],
        )
    )
    if vector["valid"]:
        assert outcome is None, name
    else:
        assert outcome is not None, name
        assert outcome == vector.get("error", outcome), name


def test_vector_files_are_reproduced_by_the_generator() -> None:
    spec = importlib.util.spec_from_file_location("generate", VECTORS / "generate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["generate_vectors"] = module
    spec.loader.exec_module(module)
    expected = module.all_vectors()
    on_disk = {
        f"{p.parent.name}/{p.name}": p.read_text()
        for kind in ("inclusion", "consistency")
        for p in (VECTORS / kind).glob("*.json")
    }
    assert on_disk == expected


leaf_lists = st.lists(st.binary(max_size=8), min_size=1, max_size=70)


@given(leaf_lists)
def test_root_matches_reference(leaves: list[bytes]) -> None:
    assert merkle.root_of_leaves(leaves) == mth(leaves)


@given(leaf_lists, st.data())
def test_inclusion_proof_matches_reference_and_verifies(leaves: list[bytes], data: Any) -> None:
    index = data.draw(st.integers(0, len(leaves) - 1))
    hashes = [merkle.leaf_hash(leaf) for leaf in leaves]
    built = merkle.inclusion_proof(hashes, index)
    assert built == path(index, leaves)
    verify.verify_inclusion(hashes[index], index, len(leaves), built, mth(leaves))


@given(leaf_lists, st.data())
def test_consistency_proof_matches_reference_and_verifies(leaves: list[bytes], data: Any) -> None:
    old = data.draw(st.integers(1, len(leaves)))
    hashes = [merkle.leaf_hash(leaf) for leaf in leaves]
    built = merkle.consistency_proof(hashes, old)
    assert built == proof(old, leaves)
    verify.verify_consistency(old, len(leaves), mth(leaves[:old]), mth(leaves), built)


@given(leaf_lists, st.data())
def test_any_single_bit_flip_in_an_inclusion_proof_is_rejected(
    leaves: list[bytes], data: Any
) -> None:
    index = data.draw(st.integers(0, len(leaves) - 1))
    hashes = [merkle.leaf_hash(leaf) for leaf in leaves]
    built = merkle.inclusion_proof(hashes, index)
    if not built:
        return
    element = data.draw(st.integers(0, len(built) - 1))
    bit = data.draw(st.integers(0, 255))
    tampered = bytearray(built[element])
    tampered[bit // 8] ^= 1 << (bit % 8)
    built[element] = bytes(tampered)
    with pytest.raises(RootMismatch):
        verify.verify_inclusion(hashes[index], index, len(leaves), built, mth(leaves))


def _accepts(check: Any) -> bool:
    try:
        check()
    except ProofError:
        return False
    return True


@given(leaf_lists, st.data())
def test_inclusion_verdict_agrees_with_reference_for_other_index_and_size(
    leaves: list[bytes], data: Any
) -> None:
    n = len(leaves)
    index = data.draw(st.integers(0, n - 1))
    hashes = [merkle.leaf_hash(leaf) for leaf in leaves]
    built = merkle.inclusion_proof(hashes, index)
    claimed_index = data.draw(st.integers(0, n + 2))
    claimed_size = data.draw(st.integers(0, n + 4))
    root = mth(leaves)
    expected = inclusion_holds(hashes[index], claimed_index, claimed_size, built, root)
    got = _accepts(
        lambda: verify.verify_inclusion(hashes[index], claimed_index, claimed_size, built, root)
    )
    assert got == expected


@given(leaf_lists, st.data())
def test_consistency_verdict_agrees_with_reference_for_other_sizes_and_proofs(
    leaves: list[bytes], data: Any
) -> None:
    n = len(leaves)
    old = data.draw(st.integers(1, n))
    hashes = [merkle.leaf_hash(leaf) for leaf in leaves]
    built = merkle.consistency_proof(hashes, old)
    claimed_old = data.draw(st.integers(0, n + 1))
    claimed_new = data.draw(st.integers(0, n + 3))
    if built and data.draw(st.booleans()):
        built = built[: data.draw(st.integers(0, len(built) - 1))]
    old_root, new_root = mth(leaves[:old]), mth(leaves)
    expected = consistency_holds(claimed_old, claimed_new, old_root, new_root, built)
    got = _accepts(
        lambda: verify.verify_consistency(claimed_old, claimed_new, old_root, new_root, built)
    )
    assert got == expected


junk = st.one_of(
    st.none(),
    st.integers(-(2**70), 2**70),
    st.booleans(),
    st.text(max_size=3),
    st.binary(max_size=40),
    st.lists(st.binary(max_size=40), max_size=4),
)


@given(junk, junk, junk, junk, junk)
def test_verify_inclusion_raises_only_proof_errors(a: Any, b: Any, c: Any, d: Any, e: Any) -> None:
    with pytest.raises(ProofError):
        verify.verify_inclusion(a, b, c, d if isinstance(d, list) else [], e)


@given(junk, junk, junk, junk, junk)
def test_verify_consistency_raises_only_proof_errors(
    a: Any, b: Any, c: Any, d: Any, e: Any
) -> None:
    try:
        verify.verify_consistency(a, b, c, d, e if isinstance(e, list) else [])
    except ProofError:
        return
    # Only a genuinely valid input may pass: equal sizes with equal 32-byte roots.
    assert (a, c) == (b, d)
    assert isinstance(c, bytes)
    assert len(c) == 32


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13, 64, 100])
def test_proof_lengths_match_generated_proofs(size: int) -> None:
    hashes = [merkle.leaf_hash(i.to_bytes(2, "big")) for i in range(size)]
    for index in range(size):
        assert verify.inclusion_proof_length(index, size) == len(
            merkle.inclusion_proof(hashes, index)
        )
    for old in range(1, size):
        assert verify.consistency_proof_length(old, size) == len(
            merkle.consistency_proof(hashes, old)
        )


def test_building_a_proof_outside_the_tree_is_a_programming_error() -> None:
    hashes = [merkle.leaf_hash(b"x")]
    with pytest.raises(ValueError, match="index"):
        merkle.inclusion_proof(hashes, 1)
    with pytest.raises(ValueError, match="old_size"):
        merkle.consistency_proof(hashes, 0)
