"""EIP-1186 Merkle proofs of accounts and storage slots against a block's state root.

A proof is the list of RLP-encoded trie nodes on the path from the root to the key,
root first — every node referenced by hash. Nodes shorter than 32 bytes are embedded in
their parent and so appear only inside it, as in geth. The state trie and the storage
tries are "secure" tries: the key of an account is keccak(address), of a slot
keccak(slot as 32 bytes).

Building proofs lives here; checking them does not (see the tests' own verifier): a
verifier must not import the code it checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import rlp
from eth.constants import BLANK_ROOT_HASH, EMPTY_SHA3
from eth.rlp.accounts import Account
from eth_hash.auto import keccak
from trie.exceptions import MissingTrieNode
from trie.hexary import HexaryTrie


@dataclass(frozen=True)
class StorageProof:
    slot: int
    value: int
    nodes: tuple[bytes, ...]


@dataclass(frozen=True)
class AccountProof:
    address: bytes
    nonce: int
    balance: int
    code_hash: bytes
    storage_root: bytes
    nodes: tuple[bytes, ...]
    storage: tuple[StorageProof, ...]


def trie_path(db: Mapping[bytes, bytes], root: bytes, key: bytes) -> tuple[list[bytes], bytes]:
    """Nodes from `root` towards `key` (a raw trie key), and the value found (b"" if absent).

    The walk is py-trie's (`HexaryTrie.get_proof`); it lists every node it passes, embedded
    ones too, so those shorter than 32 bytes below the root are dropped: they are inside
    their parent already, and geth's `eth_getProof` (which verifiers expect) omits them.

    Requires: every hash-referenced node on the path is in `db` (nodes are stored under
    their keccak hash, as py-evm stores them); a missing one raises KeyError.
    """
    if root == BLANK_ROOT_HASH:
        return [], b""
    trie = HexaryTrie(db, root)
    try:
        walked = [rlp.encode(node) for node in trie.get_proof(key)]  # type: ignore[no-untyped-call]
        value = bytes(trie.get(key))
    except MissingTrieNode as missing:
        raise KeyError(missing.missing_node_hash) from None
    return [walked[0], *(node for node in walked[1:] if len(node) >= 32)], value


def account_proof(
    db: Mapping[bytes, bytes], state_root: bytes, address: bytes, slots: list[int]
) -> AccountProof:
    """Proof of `address` (and of each storage slot in `slots`) in the state `state_root`.

    An absent account proves as nonce 0, balance 0, empty code and empty storage, with
    the nodes that show its absence.
    """
    nodes, encoded = trie_path(db, state_root, keccak(address))
    if encoded:
        account = rlp.decode(encoded, sedes=Account)
        nonce, balance = account.nonce, account.balance
        storage_root, code_hash = account.storage_root, account.code_hash
    else:
        nonce, balance, storage_root, code_hash = 0, 0, BLANK_ROOT_HASH, EMPTY_SHA3
    storage = []
    for slot in slots:
        slot_nodes, slot_encoded = trie_path(db, storage_root, keccak(slot.to_bytes(32, "big")))
        value = int.from_bytes(rlp.decode(slot_encoded), "big") if slot_encoded else 0
        storage.append(StorageProof(slot, value, tuple(slot_nodes)))
    return AccountProof(
        address, nonce, balance, bytes(code_hash), bytes(storage_root), tuple(nodes), tuple(storage)
    )
