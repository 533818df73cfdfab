"""The contract's RFC 9162 verifiers agree with the Python ones, input for input.

Both sides see the same inputs: the shared vector files of tests/vectors, and hypothesis'
random trees with proofs built by `evanchor.anchor.protocol.merkle` and then corrupted (a
flipped bit, an element dropped, added or swapped, an index or size off by one, roots
swapped). Whatever `evanchor.anchor.verify.proofs` accepts the contract accepts, whatever it
rejects the contract rejects; and `anchor` itself accepts an extension exactly when
`verify_consistency` does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from web3.contract import Contract

from evanchor.anchor.errors import ProofError
from evanchor.anchor.protocol import merkle
from evanchor.anchor.verify import proofs as verify

from evm_harness import (
    GAS,
    Tree,
    deploy_anchor,
    london_web3,
    new_deployment,
    revert_of,
    send,
)
from vectorfiles import load

UINT64 = range(1 << 64)
MAX_SIZE = 160
DIFFERENTIAL = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def verifier() -> Contract:
    """One deployment serves every example: the verifiers are pure."""
    w3 = london_web3()
    return deploy_anchor(w3, w3.eth.accounts[0])


def python_accepts(check: Callable[[], None]) -> bool:
    try:
        check()
    except ProofError:
        return False
    return True


def encodable(*sizes: int) -> bool:
    """Whether the ABI (uint64) can carry the values at all."""
    return all(size in UINT64 for size in sizes)


@dataclass(frozen=True)
class ConsistencyClaim:
    old_size: int
    new_size: int
    old_root: bytes
    new_root: bytes
    proof: list[bytes]


@dataclass(frozen=True)
class InclusionClaim:
    leaf_hash: bytes
    index: int
    size: int
    proof: list[bytes]
    root: bytes


def agree_on_consistency(verifier: Contract, claim: ConsistencyClaim) -> bool:
    """Python's verdict on `claim`, after checking that the contract's is the same."""
    c = claim
    expected = python_accepts(
        lambda: verify.verify_consistency(c.old_size, c.new_size, c.old_root, c.new_root, c.proof)
    )
    if not encodable(c.old_size, c.new_size):
        assert not expected, "Python accepted sizes that do not fit in uint64"
        return expected
    call = verifier.functions.verifyConsistency(
        c.old_size, c.new_size, c.old_root, c.new_root, c.proof
    )
    assert call.call({"gas": GAS}) is expected, claim
    return expected


def agree_on_inclusion(verifier: Contract, claim: InclusionClaim) -> bool:
    """Python's verdict on `claim`, after checking that the contract's is the same."""
    c = claim
    expected = python_accepts(
        lambda: verify.verify_inclusion(c.leaf_hash, c.index, c.size, c.proof, c.root)
    )
    if not encodable(c.index, c.size):
        assert not expected, "Python accepted an index or size that does not fit in uint64"
        return expected
    call = verifier.functions.verifyInclusion(c.leaf_hash, c.index, c.size, c.proof, c.root)
    assert call.call({"gas": GAS}) is expected, claim
    return expected


# The shared vector files


def _hashes(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(value) for value in values]


@pytest.mark.parametrize(("name", "vector"), load("consistency"), ids=lambda v: str(v)[:60])
def test_consistency_vectors(verifier: Contract, name: str, vector: dict[str, Any]) -> None:
    claim = ConsistencyClaim(
        vector["old_size"],
        vector["new_size"],
        bytes.fromhex(vector["old_root"]),
        bytes.fromhex(vector["new_root"]),
        _hashes(vector["proof"]),
    )
    accepted = agree_on_consistency(verifier, claim)
    assert accepted is vector["valid"], name


@pytest.mark.parametrize(("name", "vector"), load("inclusion"), ids=lambda v: str(v)[:60])
def test_inclusion_vectors(verifier: Contract, name: str, vector: dict[str, Any]) -> None:
    claim = InclusionClaim(
        bytes.fromhex(vector["leaf_hash"]),
        vector["leaf_index"],
        vector["tree_size"],
        _hashes(vector["proof"]),
        bytes.fromhex(vector["root"]),
    )
    accepted = agree_on_inclusion(verifier, claim)
    assert accepted is vector["valid"], name


def test_vectors_cover_valid_and_invalid_cases() -> None:
    for kind in ("consistency", "inclusion"):
        outcomes = {vector["valid"] for _, vector in load(kind)}
        assert outcomes == {True, False}, kind


# Random trees and corruptions

Corruption = tuple[str, int, int]


@st.composite
def corruptions(draw: st.DrawFn) -> Corruption:
    """(what, position, bit): what to change; position and bit pick the element and bit."""
    what = draw(
        st.sampled_from(
            [
                "none",
                "none",
                "flip-bit",
                "drop",
                "add",
                "duplicate",
                "swap-adjacent",
                "first-minus-1",
                "first-plus-1",
                "second-minus-1",
                "second-plus-1",
                "swap-roots",
                "wrong-first",
                "wrong-second",
            ]
        )
    )
    return what, draw(st.integers(0, 1 << 16)), draw(st.integers(0, 255))


def corrupt_proof(proof: list[bytes], what: str, position: int, bit: int) -> list[bytes]:
    proof = list(proof)
    if what == "flip-bit" and proof:
        i = position % len(proof)
        word = bytearray(proof[i])
        word[bit // 8] ^= 0x80 >> (bit % 8)
        proof[i] = bytes(word)
    elif what == "drop" and proof:
        del proof[position % len(proof)]
    elif what == "add":
        proof.insert(position % (len(proof) + 1), merkle.leaf_hash(position.to_bytes(4, "big")))
    elif what == "duplicate" and proof:
        i = position % len(proof)
        proof.insert(i, proof[i])
    elif what == "swap-adjacent" and len(proof) > 1:
        i = position % (len(proof) - 1)
        proof[i], proof[i + 1] = proof[i + 1], proof[i]
    return proof


@st.composite
def consistency_cases(draw: st.DrawFn) -> tuple[Tree, int, int]:
    # Mostly old < new, where proofs are not empty; equal sizes one time in eight (the
    # vector files cover them by name too).
    new = draw(st.integers(2, MAX_SIZE))
    old = new if draw(st.integers(0, 7)) == 7 else draw(st.integers(1, new - 1))
    return Tree(draw(st.binary(max_size=4)), new), old, new


@DIFFERENTIAL
@given(case=consistency_cases(), corruption=corruptions())
def test_random_consistency_proofs(
    verifier: Contract, case: tuple[Tree, int, int], corruption: Corruption
) -> None:
    tree, old, new = case
    what, position, bit = corruption
    proof = corrupt_proof(tree.consistency(old, new), what, position, bit)
    old_root, new_root = tree.root(old), tree.root(new)
    old_size = old + {"first-minus-1": -1, "first-plus-1": 1}.get(what, 0)
    new_size = new + {"second-minus-1": -1, "second-plus-1": 1}.get(what, 0)
    if what == "swap-roots":
        old_root, new_root = new_root, old_root
    elif what == "wrong-first":
        old_root = tree.root(old - 1)
    elif what == "wrong-second":
        new_root = tree.root(new - 1)
    claim = ConsistencyClaim(old_size, new_size, old_root, new_root, proof)
    accepted = agree_on_consistency(verifier, claim)
    event(f"{what}: {'accepted' if accepted else 'rejected'}")
    if what == "none":
        assert accepted


@st.composite
def inclusion_cases(draw: st.DrawFn) -> tuple[Tree, int, int]:
    # Size 1 (an empty path) one time in eight.
    size = 1 if draw(st.integers(0, 7)) == 7 else draw(st.integers(2, MAX_SIZE))
    index = draw(st.integers(0, size - 1))
    return Tree(draw(st.binary(max_size=4)), size), index, size


@DIFFERENTIAL
@given(case=inclusion_cases(), corruption=corruptions())
def test_random_inclusion_proofs(
    verifier: Contract, case: tuple[Tree, int, int], corruption: Corruption
) -> None:
    tree, index, size = case
    what, position, bit = corruption
    proof = corrupt_proof(tree.inclusion(index, size), what, position, bit)
    leaf, root = tree.leaf_hashes[index], tree.root(size)
    # For inclusion, "first" is the leaf index and "second" the tree size.
    claimed_index = index + {"first-minus-1": -1, "first-plus-1": 1}.get(what, 0)
    claimed_size = size + {"second-minus-1": -1, "second-plus-1": 1}.get(what, 0)
    if what == "swap-roots":
        leaf, root = root, leaf
    elif what == "wrong-first":
        leaf = tree.leaf_hashes[(index + 1) % size] if size > 1 else merkle.leaf_hash(b"x")
    elif what == "wrong-second":
        root = tree.root(size - 1)
    claim = InclusionClaim(leaf, claimed_index, claimed_size, proof, root)
    accepted = agree_on_inclusion(verifier, claim)
    event(f"{what}: {'accepted' if accepted else 'rejected'}")
    if what == "none":
        assert accepted


@settings(DIFFERENTIAL, max_examples=60)
@given(
    size=st.integers(1, MAX_SIZE),
    data=st.data(),
    proof=st.lists(st.binary(min_size=32, max_size=32), max_size=20),
)
def test_arbitrary_proofs_on_real_roots(
    verifier: Contract, size: int, data: st.DataObject, proof: list[bytes]
) -> None:
    # Random hashes as proof elements: both sides reject them (all but surely), and for the
    # proof lengths alone, which the contract never checks up front, they must still agree.
    tree = Tree(b"arbitrary", size)
    old = data.draw(st.integers(1, size))
    index = data.draw(st.integers(0, size - 1))
    claim = ConsistencyClaim(old, size, tree.root(old), tree.root(size), proof)
    accepted = agree_on_consistency(verifier, claim)
    assert not accepted or (old == size and not proof)
    agree_on_inclusion(
        verifier, InclusionClaim(tree.leaf_hashes[index], index, size, proof, tree.root(size))
    )


# The anchor function itself


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=consistency_cases(), corruption=corruptions())
def test_anchor_accepts_exactly_the_consistent_extensions(
    case: tuple[Tree, int, int], corruption: Corruption
) -> None:
    tree, old, new = case
    what, position, bit = corruption
    d = new_deployment()
    send(d.contract.functions.anchor(old, tree.root(old), []), d.writer)
    proof = corrupt_proof(tree.consistency(old, new), what, position, bit)
    new_size = new + {"second-minus-1": -1, "second-plus-1": 1}.get(what, 0)
    new_root = tree.root(new - 1) if what == "wrong-second" else tree.root(new)
    call = d.contract.functions.anchor(new_size, new_root, proof)
    expected = python_accepts(
        lambda: verify.verify_consistency(old, new_size, tree.root(old), new_root, proof)
    )
    if expected and new_size > old:
        assert call.call({"from": d.writer, "gas": GAS}) == 1
        send(call, d.writer)
        assert d.contract.functions.isAnchored(d.writer, new_size, new_root).call()
    else:
        name, _ = revert_of(call, d.writer)
        if new_size <= old:
            assert name == "EvidenceAnchorSizeNotIncreasing"
        else:
            assert name == "EvidenceAnchorInconsistentCheckpoint"
