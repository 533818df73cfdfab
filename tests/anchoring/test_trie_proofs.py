"""chain_verify.trie_get held to the `trie` package (py-evm's own Merkle-Patricia trie).

The reference builds random tries and their proofs; the verifier must return exactly what
the trie holds (or b"" for an absent key), and refuse any proof with a changed byte, a
missing node, or a node too many.
"""

from __future__ import annotations

import pytest
import rlp
from eth_utils.crypto import keccak
from hypothesis import given, settings
from hypothesis import strategies as st
from trie import HexaryTrie

from evanchor.anchor.verify.anchor_evidence import trie_get
from evanchor.anchor.verify.errors import TrieProofInvalid

KEYS = st.binary(min_size=32, max_size=32)
VALUES = st.binary(min_size=1, max_size=80)


def eip1186_proof(trie: HexaryTrie, key: bytes) -> list[bytes]:
    """The proof as eth_getProof gives it: the hash-referenced nodes on the path, root
    first (a node under 32 bytes is embedded in its parent, not listed)."""
    nodes = [rlp.encode(node) for node in trie.get_proof(key)]
    return [node for i, node in enumerate(nodes) if i == 0 or len(node) >= 32]


@settings(max_examples=200, deadline=None)
@given(
    entries=st.dictionaries(KEYS, VALUES, min_size=1, max_size=40),
    absent=KEYS,
    data=st.data(),
)
def test_proofs_of_present_and_absent_keys(
    entries: dict[bytes, bytes], absent: bytes, data: st.DataObject
) -> None:
    trie = HexaryTrie(db={})
    for key, value in entries.items():
        trie.set(key, value)
    key = data.draw(st.sampled_from(sorted(entries)))
    proof = eip1186_proof(trie, key)
    assert trie_get(trie.root_hash, key, proof, "t") == entries[key]
    assert HexaryTrie.get_from_proof(trie.root_hash, key, trie.get_proof(key)) == entries[key]
    if absent not in entries:
        assert trie_get(trie.root_hash, absent, eip1186_proof(trie, absent), "t") == b""
    # Any changed byte, a missing node or an extra one is refused.
    node = data.draw(st.integers(0, len(proof) - 1))
    position = data.draw(st.integers(0, len(proof[node]) - 1))
    changed = list(proof)
    changed[node] = (
        changed[node][:position]
        + bytes([changed[node][position] ^ 0x80])
        + (changed[node][position + 1 :])
    )
    with pytest.raises(TrieProofInvalid):
        trie_get(trie.root_hash, key, changed, "t")
    with pytest.raises(TrieProofInvalid):
        trie_get(trie.root_hash, key, [*proof, proof[-1]], "t")
    if len(proof) > 1:
        with pytest.raises(TrieProofInvalid, match="missing"):
            trie_get(trie.root_hash, key, proof[:-1], "t")


def test_a_proof_for_another_root_is_refused() -> None:
    trie = HexaryTrie(db={})
    trie.set(b"\x01" * 32, b"one")
    proof = eip1186_proof(trie, b"\x01" * 32)
    with pytest.raises(TrieProofInvalid, match="node 0 does not hash to its reference"):
        trie_get(keccak(b"another root"), b"\x01" * 32, proof, "account")


def test_a_node_that_is_not_rlp_is_refused() -> None:
    junk = b"\xff" * 40
    with pytest.raises(TrieProofInvalid, match="not RLP"):
        trie_get(keccak(junk), b"\x00" * 32, [junk], "t")


def test_a_node_of_the_wrong_shape_is_refused() -> None:
    odd = rlp.encode([b"a", b"b", b"c"])
    with pytest.raises(TrieProofInvalid, match="neither branch"):
        trie_get(keccak(odd), b"\x00" * 32, [odd], "t")
