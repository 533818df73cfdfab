"""Checking a bundle's anchor section: the checkpoint is in EvidenceAnchor's state at block B.

Offline, from the bundle's bytes alone (PROTOCOL.md §9.4 gives the steps):

1. format      every member present and well-formed, no other (bundle_format.py);
               `anchor` agrees with `log`.
2. header      keccak256(header_rlp) is the block hash (and equals the trusted hash, if
               one is given); the header's number and timestamp are the anchor's.
3. account     the account proof leads from the header's state root to the contract's
               account, whose code is EvidenceAnchor's (so the contract's rules held:
               only a writer holding WRITER_ROLE can have stored the checkpoint).
4. storage     both storage proofs lead from the account's storage root to the two slots of
               checkpoint `checkpoint_index` of `writer`, recomputed here from the layout.
5. checkpoint  the two words decode to the bundle's (size, root), block number B and
               the block's timestamp.

With a chain (`check_anchor_with_rpc`), also: the chain id and genesis hash (another chain is
CANNOT VERIFY, not a verdict), the canonical hash of block B,
the anchoring transaction's receipt and log, and that the writer held WRITER_ROLE at B
(`eth_call` at B). Without a trusted block hash or a chain, step 2 only shows the proofs fit
the bundle's own header: the result says so.

This module builds nothing and does not import the builder (`ethereum/evidence.py`). The
Merkle-Patricia proof walk is written out below, strictly: every proof node must be on the
path, in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

import rlp
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes

from evanchor.anchor.protocol.bundle_format import (
    AnchorSection,
    AnchorTargetModel,
    BundleMalformed,
    CheckpointModel,
    parse,
)
from evanchor.anchor.verify.errors import (
    AnchorEvidenceInvalid,
    CannotVerify,
    CannotVerifyCause,
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
_HEADER_FIELDS = 16
"""A London header has 16 fields; later forks append fields, never remove any."""

NOT_TIED = (
    "checked against the bundle's own block hash only; supply a trusted block hash or --rpc "
    "to tie it to a chain"
)


def utc_seconds(seconds: int) -> str:
    """Seconds since the epoch as RFC 3339 UTC; the number itself if no calendar holds it."""
    try:
        return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return f"{seconds} seconds after 1970-01-01T00:00:00Z"


@dataclass(frozen=True)
class AnchorFacts:
    """What a verified anchor section establishes, and against what (`tied_to`)."""

    chain_id: int
    contract: str
    writer: str
    genesis_hash: bytes
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
    def tied(self) -> bool:
        """Whether the block hash was checked against something outside the bundle."""
        return self.tied_to != "bundle"

    @property
    def anchored_at(self) -> str:
        """The anchoring block's timestamp, RFC 3339 UTC."""
        return utc_seconds(self.block_timestamp)

    def describe(self) -> str:
        """The step's detail: what the checks established, and how far that reaches."""
        where = (
            f"index {self.checkpoint_index} of writer {self.writer}'s checkpoints in contract"
            f" {self.contract}, chain {self.chain_id}, block {self.block_number} (hash"
            f" {self.block_hash.hex()}, time {self.anchored_at})"
        )
        if self.tied_to == "bundle":
            return (
                f"the header and the account and storage proofs agree with each other and hold"
                f" the checkpoint (size {self.size}) as {where}; {NOT_TIED}"
            )
        how = {
            "trusted block hash": "the block hash is the trusted one",
            "rpc": "the chain confirms the block, the transaction, its log and the writer's role",
        }[self.tied_to]
        return (
            f"the checkpoint (size {self.size}, root {self.root.hex()}) is stored as {where}; {how}"
        )


# -- reading the section -----------------------------------------------------------------


@dataclass(frozen=True)
class _Section:
    """The anchor section with its hex decoded (the shape is AnchorSection's)."""

    chain_id: int
    contract: str
    writer: str
    genesis_hash: bytes
    checkpoint_index: int
    tx_hash: bytes
    block_number: int
    block_hash: bytes
    log_index: int
    block_timestamp: int
    header_rlp: bytes
    account_proof: list[bytes]
    storage: list[tuple[bytes, bytes, list[bytes]]]
    size: int
    root: bytes


def read_anchor_section(
    raw_anchor: Any, log: AnchorTargetModel | None, checkpoint: CheckpointModel
) -> _Section:
    """The `anchor` member, checked against the bundle format (check "anchor format"): every
    member present, no other, hex lower case of its length, addresses EIP-55, integers in
    range, exactly two storage proofs; and `log` present, with the same chain id, contract
    and writer."""
    try:
        section = parse(AnchorSection, raw_anchor, at=("anchor",))
    except BundleMalformed as error:
        raise EvidenceMalformed(error.path, error.reason) from None
    if log is None:
        raise EvidenceMalformed("log", "expected the log's anchor target, found null")
    for key in ("chain_id", "contract", "writer"):
        if getattr(log, key) != getattr(section, key):
            raise EvidenceMalformed(
                f"log.{key}",
                f"expected anchor.{key} ({getattr(section, key)!r}), found {getattr(log, key)!r}",
            )
    return _Section(
        chain_id=section.chain_id,
        contract=section.contract,
        writer=section.writer,
        genesis_hash=bytes.fromhex(log.genesis_hash),
        checkpoint_index=section.checkpoint_index,
        tx_hash=bytes.fromhex(section.tx_hash),
        block_number=section.block_number,
        block_hash=bytes.fromhex(section.block_hash),
        log_index=section.log_index,
        block_timestamp=section.block_timestamp,
        header_rlp=bytes.fromhex(section.header_rlp),
        account_proof=[bytes.fromhex(node) for node in section.account_proof],
        storage=[
            (bytes.fromhex(e.slot), bytes.fromhex(e.value), [bytes.fromhex(n) for n in e.proof])
            for e in section.storage_proofs
        ],
        size=checkpoint.size,
        root=bytes.fromhex(checkpoint.root),
    )


def _from_bundle(bundle: Any) -> _Section:
    """The anchor section of a bundle given as parsed JSON (for callers without a typed
    bundle): `log` and `checkpoint` are read with their models first."""
    if not isinstance(bundle, dict):
        raise EvidenceMalformed("(top level)", "expected a bundle object")
    try:
        log = (
            None
            if bundle.get("log") is None
            else parse(AnchorTargetModel, bundle["log"], at=("log",))
        )
        checkpoint = parse(CheckpointModel, bundle.get("checkpoint"), at=("checkpoint",))
    except BundleMalformed as error:
        raise EvidenceMalformed(error.path, error.reason) from None
    return read_anchor_section(bundle.get("anchor"), log, checkpoint)


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
            "anchor.checkpoint_index", f"expected an index below 2^64 ({error})"
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


def _check_checkpoint(section: _Section, words: tuple[bytes, bytes]) -> None:
    try:
        stored = decode_checkpoint_slots(*words)
    except StorageLayoutError as error:
        raise StoredCheckpointMismatch("word 0", "a checkpoint", str(error)) from None
    for name, expected, found in (
        ("size", section.size, stored.size),
        ("root", section.root.hex(), stored.root.hex()),
        ("block number", section.block_number, stored.block_number),
        ("timestamp", section.block_timestamp, stored.timestamp),
    ):
        if expected != found:
            raise StoredCheckpointMismatch(name, expected, found)


def check_anchor_offline(section: _Section, trusted_block_hash: bytes | None = None) -> AnchorFacts:
    """Checks the anchor section against the bundle's checkpoint, all hashing, no network.

    With `trusted_block_hash` (block B's hash, from a source the verifier trusts, such as a
    replayed chain export), the checkpoint is proven stored at B on that chain; without
    one, the section is only shown to be consistent with its own header (`tied_to`
    "bundle"). Raises an `AnchorEvidenceInvalid` naming the failed check.
    """
    state_root = _check_header(section, trusted_block_hash)
    storage_root = _check_account(section, state_root)
    words = _check_storage(section, storage_root)
    _check_checkpoint(section, words)
    return _facts(section, "bundle" if trusted_block_hash is None else "trusted block hash")


def verify_anchor_offline(bundle: Any, trusted_block_hash: bytes | None = None) -> AnchorFacts:
    """`check_anchor_offline` of a bundle given as parsed JSON."""
    return check_anchor_offline(_from_bundle(bundle), trusted_block_hash)


def _facts(section: _Section, tied_to: str) -> AnchorFacts:
    return AnchorFacts(
        chain_id=section.chain_id,
        contract=section.contract,
        writer=section.writer,
        genesis_hash=section.genesis_hash,
        checkpoint_index=section.checkpoint_index,
        size=section.size,
        root=section.root,
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
    """One JSON-RPC read. A failure to get an answer is CannotVerify, never a verdict: the
    endpoint was not reached (UNREACHABLE) or answered with an error (NO_ANSWER, e.g. no
    state kept at an old block). A null answer (no such block or transaction) is an answer,
    and comes back as None for the caller to judge."""
    from web3.exceptions import BlockNotFound, TransactionNotFound  # noqa: PLC0415 - with a chain only

    try:
        return call()
    except (BlockNotFound, TransactionNotFound):
        return None
    except OSError as error:  # requests' errors derive from it: refused, reset, timed out
        raise CannotVerify(
            CannotVerifyCause.UNREACHABLE, f"{what}: {' '.join(str(error).split())[:300]}"
        ) from None
    except Exception as error:  # the verifier reports, it does not crash
        raise CannotVerify(
            CannotVerifyCause.NO_ANSWER,
            f"{what}: the endpoint answered with an error ({' '.join(str(error).split())[:300]})",
        ) from None


def _eth_call(w3: Web3, contract: str, data: bytes, block: int, what: str) -> bytes:
    request: Any = {"to": contract, "data": "0x" + data.hex()}
    answer = _rpc(what, lambda: w3.eth.call(request, block))
    if answer is None:
        raise CannotVerify(CannotVerifyCause.NO_ANSWER, f"{what}: no answer at block {block}")
    return bytes(answer)


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


def check_same_chain(section: _Section, w3: Web3) -> None:
    """The endpoint serves the bundle's chain, up to the anchoring block; CannotVerify
    naming the difference otherwise ("a different chain: genesis X, bundle expects Y")."""
    chain_id = _rpc("eth_chainId", lambda: w3.eth.chain_id)
    if chain_id is None or int(chain_id) != section.chain_id:
        raise CannotVerify(
            CannotVerifyCause.DIFFERENT_CHAIN,
            f"chain id {chain_id}, bundle expects {section.chain_id}",
        )
    genesis = _rpc("eth_getBlockByNumber(0)", lambda: w3.eth.get_block(0))
    found = None if genesis is None else bytes(genesis["hash"])
    if found != section.genesis_hash:
        shown = "none" if found is None else found.hex()
        raise CannotVerify(
            CannotVerifyCause.DIFFERENT_CHAIN,
            f"genesis {shown}, bundle expects {section.genesis_hash.hex()}",
        )
    head = int(_rpc("eth_blockNumber", lambda: w3.eth.block_number))
    if head < section.block_number:
        raise CannotVerify(
            CannotVerifyCause.NOT_SYNCED,
            f"the chain's head is block {head}, before the anchoring block"
            f" {section.block_number}: it is not synced that far (or block"
            f" {section.block_number} was never on it)",
        )


def check_anchor_with_rpc(section: _Section, w3: Web3) -> AnchorFacts:
    """The same chain (`check_same_chain`), the offline checks against the chain's own hash
    of block B, then the anchoring receipt and its `CheckpointAnchored` log, and the
    writer's role at B. CannotVerify when the chain cannot answer; AnchorEvidenceInvalid
    when its answer contradicts the bundle."""
    check_same_chain(section, w3)
    block = _rpc("eth_getBlockByNumber", lambda: w3.eth.get_block(section.block_number))
    if block is None:
        raise CannotVerify(
            CannotVerifyCause.NO_ANSWER, f"eth_getBlockByNumber: no block {section.block_number}"
        )
    canonical = bytes(block["hash"])
    offline = check_anchor_offline(section, canonical)
    tx_hash = HexBytes(section.tx_hash)
    receipt = _rpc("eth_getTransactionReceipt", lambda: w3.eth.get_transaction_receipt(tx_hash))
    if receipt is None:
        raise ChainDisagrees(
            "eth_getTransactionReceipt",
            f"transaction {section.tx_hash.hex()}",
            "no such transaction",
        )
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
    data = bytes(found[0]["data"])
    if data != section.size.to_bytes(32, "big") + section.root:
        raise ChainDisagrees("log data", "the checkpoint's size and root", data.hex())
    if not has_role_at(w3, section.contract, WRITER_ROLE, section.writer, section.block_number):
        raise NotAuthorisedAt(
            "writer role",
            f"{section.writer} did not hold WRITER_ROLE at block {section.block_number}",
        )
    return replace(offline, tied_to="rpc")


def verify_anchor_with_rpc(bundle: Any, w3: Web3) -> AnchorFacts:
    """`check_anchor_with_rpc` of a bundle given as parsed JSON."""
    return check_anchor_with_rpc(_from_bundle(bundle), w3)
