"""Checking a bundle's anchor section: the checkpoint is in EvidenceAnchor's state at block B.

Offline, from the bundle's bytes alone (PROTOCOL.md §9.4 gives the steps):

1. format      every member present and well-formed; `anchor` agrees with `log`.
2. header      keccak256(header_rlp) is the block hash (and equals the trusted hash, if
               one is given); the header's number and timestamp are the anchor's.
3. account     the account proof leads from the header's state root to the contract's
               account, whose code is EvidenceAnchor's (so the contract's rules held:
               only a writer holding WRITER_ROLE can have stored the checkpoint).
4. storage     both storage proofs lead from the account's storage root to the two slots of
               checkpoint `checkpoint_index` of `writer`, recomputed here from the layout.
5. checkpoint  the two words decode to the bundle's (size, root), block number B and
               the block's timestamp.

With a chain (`verify_anchor_with_rpc`), also: the chain id, the canonical hash of block B,
the anchoring transaction's receipt and log, and that the writer held WRITER_ROLE at B
(`eth_call` at B). Without a trusted block hash or a chain, step 2 only shows the proofs fit
the bundle's own header: the result says so.

This module builds nothing and does not import the builder (`anchor_evidence.py`). The
Merkle-Patricia proof walk is written out below, strictly: every proof node must be on the
path, in order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

import rlp
from eth_utils.address import is_checksum_address, to_checksum_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes

from evanchor.anchor.verify.errors import (
    AnchorEvidenceInvalid,
    ChainDisagrees,
    EvidenceMalformed,
    HeaderMismatch,
    NotAuthorisedAt,
    StoredCheckpointMismatch,
    TrieProofInvalid,
)
from evanchor.contracts.artifacts import load_artifact
from evanchor.contracts.errors import StorageLayoutError
from evanchor.contracts.storage_layout import checkpoint_slots, decode_checkpoint_slots

if TYPE_CHECKING:
    from web3 import Web3

WRITER_ROLE = keccak(b"WRITER_ROLE")
_HEX = re.compile(r"(?:[0-9a-f]{2})*\Z")
_MAX_PROOF_NODES = 64
"""A path through a 256-bit-keyed trie has at most 64 nibbles, so at most 65 nodes; real
proofs have under 12. Longer lists are refused before any hashing."""
_HEADER_FIELDS = 16
"""A London header has 16 fields; later forks append fields, never remove any."""

NOT_TIED = (
    "checked against the bundle's own block hash; supply a trusted block hash or --rpc "
    "to tie it to a chain"
)


@dataclass(frozen=True)
class AnchorFacts:
    """What a verified anchor section establishes."""

    chain_id: int
    contract: str
    writer: str
    checkpoint_index: int
    size: int
    root: bytes
    block_number: int
    block_hash: bytes
    block_timestamp: int
    tx_hash: bytes
    log_index: int
    tied_to: str
    """"bundle" (its own header only), "trusted block hash", or "rpc"."""

    @property
    def anchored_at(self) -> str:
        """The anchoring block's timestamp, RFC 3339 UTC."""
        moment = datetime.fromtimestamp(self.block_timestamp, UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    def describe(self) -> str:
        how = {
            "bundle": NOT_TIED,
            "trusted block hash": "block hash matches the trusted one",
            "rpc": "block hash, receipt and writer role checked with the chain",
        }[self.tied_to]
        return (
            f"checkpoint (size {self.size}, root {self.root.hex()}) is index "
            f"{self.checkpoint_index} of writer {self.writer}'s log in contract {self.contract}"
            f" on chain {self.chain_id}, anchored in block {self.block_number} (hash "
            f"{self.block_hash.hex()}) at {self.anchored_at}; {how}"
        )


# -- reading the section -----------------------------------------------------------------


def _member(section: dict[str, Any], name: str) -> Any:
    if name not in section:
        raise EvidenceMalformed(f"anchor.{name}", "a member", "nothing")
    return section[name]


def _uint(section: dict[str, Any], name: str) -> int:
    value = _member(section, name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise EvidenceMalformed(f"anchor.{name}", "a non-negative integer", value)
    return value


def _hex(value: Any, where: str, size: int | None = None) -> bytes:
    if not isinstance(value, str) or not _HEX.match(value):
        raise EvidenceMalformed(where, "lower-case hex without 0x", value)
    raw = bytes.fromhex(value)
    if size is not None and len(raw) != size:
        raise EvidenceMalformed(where, f"{size} bytes", f"{len(raw)} bytes")
    return raw


def _address(value: Any, where: str) -> str:
    if not isinstance(value, str) or not is_checksum_address(value):
        raise EvidenceMalformed(where, "an EIP-55 checksummed address", value)
    return str(value)


def _nodes(value: Any, where: str) -> list[bytes]:
    if not isinstance(value, list) or not 0 < len(value) <= _MAX_PROOF_NODES:
        raise EvidenceMalformed(where, f"a list of 1 to {_MAX_PROOF_NODES} hex nodes", value)
    return [_hex(node, f"{where}[{i}]") for i, node in enumerate(value)]


@dataclass(frozen=True)
class _Section:
    chain_id: int
    contract: str
    writer: str
    checkpoint_index: int
    tx_hash: bytes
    block_number: int
    block_hash: bytes
    log_index: int
    block_timestamp: int
    header_rlp: bytes
    account_proof: list[bytes]
    storage: list[tuple[bytes, bytes, list[bytes]]]


def _read_section(bundle: dict[str, Any]) -> _Section:
    section = bundle.get("anchor")
    log = bundle.get("log")
    if not isinstance(section, dict):
        raise EvidenceMalformed("anchor", "an object", section)
    if not isinstance(log, dict):
        raise EvidenceMalformed("log", "an object {chain_id, contract, writer}", log)
    parsed = _Section(
        chain_id=_uint(section, "chain_id"),
        contract=_address(_member(section, "contract"), "anchor.contract"),
        writer=_address(_member(section, "writer"), "anchor.writer"),
        checkpoint_index=_uint(section, "checkpoint_index"),
        tx_hash=_hex(_member(section, "tx_hash"), "anchor.tx_hash", 32),
        block_number=_uint(section, "block_number"),
        block_hash=_hex(_member(section, "block_hash"), "anchor.block_hash", 32),
        log_index=_uint(section, "log_index"),
        block_timestamp=_uint(section, "block_timestamp"),
        header_rlp=_hex(_member(section, "header_rlp"), "anchor.header_rlp"),
        account_proof=_nodes(_member(section, "account_proof"), "anchor.account_proof"),
        storage=_read_storage(_member(section, "storage_proofs")),
    )
    for key in ("chain_id", "contract", "writer"):
        if log.get(key) != section[key]:
            raise EvidenceMalformed(f"log.{key}", f"anchor.{key} ({section[key]!r})", log.get(key))
    return parsed


def _read_storage(value: Any) -> list[tuple[bytes, bytes, list[bytes]]]:
    if not isinstance(value, list) or len(value) != 2:
        raise EvidenceMalformed("anchor.storage_proofs", "two entries (words 0 and 1)", value)
    entries = []
    for i, entry in enumerate(value):
        where = f"anchor.storage_proofs[{i}]"
        if not isinstance(entry, dict) or set(entry) != {"slot", "value", "proof"}:
            raise EvidenceMalformed(where, "an object {slot, value, proof}", entry)
        entries.append(
            (
                _hex(entry["slot"], f"{where}.slot", 32),
                _hex(entry["value"], f"{where}.value", 32),
                _nodes(entry["proof"], f"{where}.proof"),
            )
        )
    return entries


# -- Merkle-Patricia proofs --------------------------------------------------------------


def _nibbles(data: bytes) -> list[int]:
    return [half for byte in data for half in (byte >> 4, byte & 0x0F)]


def trie_get(root: bytes, key: bytes, proof: Sequence[bytes], what: str) -> bytes:
    """The value stored under `key` (already hashed: keccak of the address or slot) in the
    trie with `root`, proven by `proof`; b"" if the proof shows the key is absent.

    `proof` lists the RLP of every node referenced by hash on the path, root first, as
    EIP-1186 gives them; nodes shorter than 32 bytes are embedded in their parent. Raises
    TrieProofInvalid if a node does not hash to its reference, is malformed, or the list
    holds nodes not on the path.
    """
    path = _nibbles(key)
    reference: Any = root
    used = 0
    while True:
        if isinstance(reference, bytes):
            if reference == b"":
                value = b""  # an empty slot on the path: the key is absent
                break
            if len(reference) != 32:
                raise TrieProofInvalid(what, f"node {used}: a reference of {len(reference)} bytes")
            if used == len(proof):
                raise TrieProofInvalid(what, f"node {used} is missing (the path goes on)")
            if keccak(proof[used]) != reference:
                raise TrieProofInvalid(
                    what, f"node {used} does not hash to its reference 0x{reference.hex()}"
                )
            try:
                node = rlp.decode(proof[used])
            except rlp.exceptions.DecodingError as error:
                raise TrieProofInvalid(what, f"node {used} is not RLP ({error})") from None
            used += 1
        else:
            node = reference  # embedded in its parent
        if not isinstance(node, list):
            raise TrieProofInvalid(what, f"node {used - 1} is not a list")
        if len(node) == 17:
            if not path:
                value = node[16]
                break
            reference, path = node[path[0]], path[1:]
            continue
        if len(node) != 2 or not isinstance(node[0], bytes) or not node[0]:
            raise TrieProofInvalid(what, f"node {used - 1} is neither branch, extension nor leaf")
        encoded = _nibbles(node[0])
        flag = encoded[0]
        if flag > 3:
            raise TrieProofInvalid(what, f"node {used - 1} has path flag {flag}")
        segment = encoded[1:] if flag & 1 else encoded[2:]
        if path[: len(segment)] != segment:
            value = b""  # the path leaves the trie here: the key is absent
            break
        path = path[len(segment) :]
        if flag >= 2:  # leaf
            value = b"" if path else node[1]
            break
        reference = node[1]
    if used != len(proof):
        raise TrieProofInvalid(what, f"{len(proof) - used} node(s) after the end of the path")
    if not isinstance(value, bytes):
        raise TrieProofInvalid(what, "the value is not a byte string")
    return value


# -- the checks --------------------------------------------------------------------------


@cache
def known_code_hashes() -> frozenset[bytes]:
    """keccak256 of every EvidenceAnchor runtime code this version accepts: the committed
    build (the contract has no immutables, so every deployment has the same code)."""
    return frozenset({keccak(load_artifact().deployed_bytecode)})


def _check_header(section: _Section, trusted_block_hash: bytes | None) -> bytes:
    """Returns the state root after checking the header against the anchor."""
    computed = keccak(section.header_rlp)
    if computed != section.block_hash:
        raise HeaderMismatch(
            "keccak256(header_rlp)", "anchor.block_hash " + section.block_hash.hex(), computed.hex()
        )
    if trusted_block_hash is not None and trusted_block_hash != section.block_hash:
        raise ChainDisagrees(
            "block hash", section.block_hash.hex(), trusted_block_hash.hex() + " (trusted)"
        )
    try:
        fields = rlp.decode(section.header_rlp)
    except rlp.exceptions.DecodingError as error:
        raise HeaderMismatch("header_rlp", "an RLP list", f"undecodable ({error})") from None
    if (
        not isinstance(fields, list)
        or len(fields) < _HEADER_FIELDS
        or not all(isinstance(f, bytes) for f in fields)
    ):
        raise HeaderMismatch("header_rlp", f"a list of at least {_HEADER_FIELDS} fields", "other")
    state_root, number, timestamp = fields[3], fields[8], fields[11]
    if len(state_root) != 32:
        raise HeaderMismatch("state root", "32 bytes", f"{len(state_root)} bytes")
    for name, raw, expected in (
        ("block number", number, section.block_number),
        ("timestamp", timestamp, section.block_timestamp),
    ):
        found = int.from_bytes(raw, "big")
        if found != expected:
            raise HeaderMismatch(f"header {name}", f"{expected} (anchor)", str(found))
    return bytes(state_root)


def _check_account(section: _Section, state_root: bytes) -> bytes:
    """Returns the contract's storage root after checking its account and code."""
    contract = bytes.fromhex(section.contract[2:])
    encoded = trie_get(state_root, keccak(contract), section.account_proof, "account")
    if not encoded:
        raise TrieProofInvalid("account", f"the proof shows no account at {section.contract}")
    try:
        account = rlp.decode(encoded)
    except rlp.exceptions.DecodingError:
        account = None
    if not isinstance(account, list) or len(account) != 4:
        raise TrieProofInvalid("account", "the account is not [nonce, balance, storage, code]")
    storage_root, code_hash = bytes(account[2]), bytes(account[3])
    if code_hash not in known_code_hashes():
        raise AnchorEvidenceInvalid(
            "contract code",
            f"{section.contract} has code hash {code_hash.hex()}, which is not EvidenceAnchor's",
        )
    return storage_root


def _check_storage(section: _Section, storage_root: bytes) -> tuple[bytes, bytes]:
    """Returns the checkpoint's two words after checking both storage proofs."""
    try:
        expected_slots = checkpoint_slots(section.writer, section.checkpoint_index)
    except StorageLayoutError as error:
        raise EvidenceMalformed(
            "anchor.checkpoint_index", "an index below 2^64", str(error)
        ) from None
    words = []
    for i, (slot_int, (slot, claimed, proof)) in enumerate(
        zip(expected_slots, section.storage, strict=True)
    ):
        what = f"storage slot {i}"
        if int.from_bytes(slot, "big") != slot_int:
            raise TrieProofInvalid(
                what,
                f"proves slot {slot.hex()}, but word {i} of checkpoint "
                f"{section.checkpoint_index} of {section.writer} is {slot_int:064x}",
            )
        encoded = trie_get(storage_root, keccak(slot), proof, what)
        try:
            value = rlp.decode(encoded) if encoded else b""
        except rlp.exceptions.DecodingError:
            value = None
        if not isinstance(value, bytes) or len(value) > 32 or value[:1] == b"\x00":
            raise TrieProofInvalid(what, "the stored value is not a minimal RLP integer")
        word = value.rjust(32, b"\x00")
        if word != claimed:
            raise StoredCheckpointMismatch(f"word {i}", claimed.hex(), word.hex())
        words.append(word)
    return words[0], words[1]


def _check_checkpoint(
    bundle: dict[str, Any], section: _Section, words: tuple[bytes, bytes]
) -> None:
    try:
        stored = decode_checkpoint_slots(*words)
    except StorageLayoutError as error:
        raise StoredCheckpointMismatch("word 0", "a checkpoint", str(error)) from None
    checkpoint = bundle.get("checkpoint")
    if not isinstance(checkpoint, dict):
        raise EvidenceMalformed("checkpoint", "an object", checkpoint)
    size, root = checkpoint.get("size"), checkpoint.get("root")
    for name, expected, found in (
        ("size", size, stored.size),
        ("root", root, stored.root.hex()),
        ("block number", section.block_number, stored.block_number),
        ("timestamp", section.block_timestamp, stored.timestamp),
    ):
        if expected != found:
            raise StoredCheckpointMismatch(name, expected, found)


def verify_anchor_offline(
    bundle: dict[str, Any], trusted_block_hash: bytes | None = None
) -> AnchorFacts:
    """Checks the anchor section against the bundle's checkpoint, all hashing, no network.

    With `trusted_block_hash` (block B's hash, from a source the verifier trusts, such as a
    replayed chain export), the checkpoint is proven stored at B on that chain; without
    one, the section is only shown to be consistent with its own header (`tied_to`
    "bundle"). Raises an `AnchorEvidenceInvalid` naming the failed check.
    """
    section = _read_section(bundle)
    state_root = _check_header(section, trusted_block_hash)
    storage_root = _check_account(section, state_root)
    words = _check_storage(section, storage_root)
    _check_checkpoint(bundle, section, words)
    return _facts(bundle, section, "bundle" if trusted_block_hash is None else "trusted block hash")


def _facts(bundle: dict[str, Any], section: _Section, tied_to: str) -> AnchorFacts:
    checkpoint = bundle["checkpoint"]
    return AnchorFacts(
        chain_id=section.chain_id,
        contract=section.contract,
        writer=section.writer,
        checkpoint_index=section.checkpoint_index,
        size=int(checkpoint["size"]),
        root=bytes.fromhex(checkpoint["root"]),
        block_number=section.block_number,
        block_hash=section.block_hash,
        block_timestamp=section.block_timestamp,
        tx_hash=section.tx_hash,
        log_index=section.log_index,
        tied_to=tied_to,
    )


# -- with a chain ------------------------------------------------------------------------

_CHECKPOINT_ANCHORED = keccak(b"CheckpointAnchored(address,uint256,uint64,bytes32)")
_HAS_ROLE = keccak(b"hasRole(bytes32,address)")[:4]
_AGENCY_CREDIT_CODE = keccak(b"agencyCreditCode(address)")[:4]


def _rpc(what: str, call: Any) -> Any:
    try:
        return call()
    except Exception as error:  # the verifier reports, it does not crash
        raise ChainDisagrees(
            what, "an answer", f"an error ({' '.join(str(error).split())})"
        ) from None


def _eth_call(w3: Web3, contract: str, data: bytes, block: int, what: str) -> bytes:
    request: Any = {"to": contract, "data": "0x" + data.hex()}
    return bytes(_rpc(what, lambda: w3.eth.call(request, block)))


def has_role_at(w3: Web3, contract: str, role: bytes, account: str, block: int) -> bool:
    """`hasRole(role, account)` by `eth_call` at `block` (its post-state)."""
    data = _HAS_ROLE + role + bytes(12) + bytes.fromhex(account[2:])
    answer = _eth_call(w3, contract, data, block, "hasRole")
    return int.from_bytes(answer[:32], "big") == 1 if len(answer) >= 32 else False


def agency_code_at(w3: Web3, contract: str, agency: str, block: int) -> str | None:
    """`agencyCreditCode(agency)` by `eth_call` at `block`; None if not registered."""
    data = _AGENCY_CREDIT_CODE + bytes(12) + bytes.fromhex(agency[2:])
    answer = _eth_call(w3, contract, data, block, "agencyCreditCode")
    if len(answer) < 64:
        raise ChainDisagrees("agencyCreditCode", "an ABI string", answer.hex())
    length = int.from_bytes(answer[32:64], "big")
    if length == 0:
        return None
    return answer[64 : 64 + length].decode("utf-8", errors="replace")


def verify_anchor_with_rpc(bundle: dict[str, Any], w3: Web3) -> AnchorFacts:
    """The offline checks against the chain's own hash of block B, then the chain id, the
    anchoring receipt and its `CheckpointAnchored` log, and the writer's role at B."""
    section = _read_section(bundle)
    chain_id = int(_rpc("eth_chainId", lambda: w3.eth.chain_id))
    if chain_id != section.chain_id:
        raise ChainDisagrees("chain id", section.chain_id, chain_id)
    block = _rpc("eth_getBlockByNumber", lambda: w3.eth.get_block(section.block_number))
    canonical = bytes(block["hash"])
    offline = verify_anchor_offline(bundle, canonical)
    tx_hash = HexBytes(section.tx_hash)
    receipt = _rpc("eth_getTransactionReceipt", lambda: w3.eth.get_transaction_receipt(tx_hash))
    if (
        int(receipt["blockNumber"]) != section.block_number
        or bytes(receipt["blockHash"]) != canonical
    ):
        raise ChainDisagrees(
            "transaction block", f"{section.block_number}", f"{int(receipt['blockNumber'])}"
        )
    if int(receipt["status"]) != 1:
        raise ChainDisagrees("transaction status", 1, int(receipt["status"]))
    expected_topics = [
        _CHECKPOINT_ANCHORED,
        bytes(12) + bytes.fromhex(section.writer[2:]),
        section.checkpoint_index.to_bytes(32, "big"),
    ]
    found = [
        log
        for log in receipt["logs"]
        if int(log["logIndex"]) == section.log_index
        and to_checksum_address(log["address"]) == section.contract
        and [bytes(t) for t in log["topics"]] == expected_topics
    ]
    if not found:
        raise ChainDisagrees(
            "log",
            f"CheckpointAnchored of index {section.checkpoint_index} at log index "
            f"{section.log_index}",
            "no such log in the transaction",
        )
    checkpoint = bundle["checkpoint"]
    data = bytes(found[0]["data"])
    if data != int(checkpoint["size"]).to_bytes(32, "big") + bytes.fromhex(checkpoint["root"]):
        raise ChainDisagrees("log data", "the checkpoint's size and root", data.hex())
    if not has_role_at(w3, section.contract, WRITER_ROLE, section.writer, section.block_number):
        raise NotAuthorisedAt(
            "writer role",
            f"{section.writer} did not hold WRITER_ROLE at block {section.block_number}",
        )
    return AnchorFacts(**{**offline.__dict__, "tied_to": "rpc"})
