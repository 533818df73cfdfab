"""Building a bundle's anchor section: the anchoring transaction and the chain evidence for it.

The section lets a verifier check, without trusting any RPC endpoint, that the bundle's
checkpoint is stored in EvidenceAnchor's state at block B: given only a trusted hash of
block B, it hashes the block header, reads the state root from it, and follows two
Merkle-Patricia proofs from `eth_getProof` — the contract's account, then the two storage
slots of the checkpoint (docs/CONTRACT.md, Storage layout). `chain_verify.py` checks it and
does not import this module.

    chain_id, contract, writer   the log's identity (contract and writer EIP-55 addresses)
    checkpoint_index             the checkpoint's position in the writer's log on chain
    tx_hash, block_number, block_hash, log_index, block_timestamp
    header_rlp                   the block header, RLP, hex
    account_proof                eth_getProof's accountProof (RLP nodes, root first), hex
    storage_proofs               [{"slot", "value", "proof"}] for word 0 and word 1 of the
                                 checkpoint: slot and value as 32-byte hex words

Hex is lower case without 0x, as everywhere in a bundle. Only standard methods are used:
the header is rebuilt from `eth_getBlockByNumber`'s fields (London; later forks' fields in
order when present) and checked to hash to the block's hash before it is used.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import rlp
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from evanchor.anchor.ethereum.anchor_state import Confirmed
from evanchor.anchor.ethereum.errors import HeaderEncodingUnsupported
from evanchor.anchor.ethereum.progress import earliest_anchored
from evanchor.anchor.log.bundle import build_bundle
from evanchor.anchor.log.store import LogStore, StoreError
from evanchor.anchor.protocol.bundle_format import AnchorSection, ProofBundle, parse
from evanchor.anchor.protocol.checkpoint import Checkpoint
from evanchor.contracts.storage_layout import checkpoint_slots

if TYPE_CHECKING:
    from evanchor.anchor.ethereum import client as cc

# web3 (through `client`) is imported where the chain is asked: a bundle built from kept
# evidence (`evanchor prove` on a stopped node) asks nothing and should not pay for it.

# (field, fixed width in bytes or 0 for an integer or free-length bytes)
_LONDON_FIELDS: tuple[tuple[str, int], ...] = (
    ("parentHash", 32),
    ("sha3Uncles", 32),
    ("miner", 20),
    ("stateRoot", 32),
    ("transactionsRoot", 32),
    ("receiptsRoot", 32),
    ("logsBloom", 256),
    ("difficulty", 0),
    ("number", 0),
    ("gasLimit", 0),
    ("gasUsed", 0),
    ("timestamp", 0),
    ("extraData", -1),
    ("mixHash", 32),
    ("nonce", 8),
    ("baseFeePerGas", 0),
)
_LATER_FIELDS: tuple[tuple[str, int], ...] = (
    ("withdrawalsRoot", 32),  # Shanghai
    ("blobGasUsed", 0),  # Cancun
    ("excessBlobGas", 0),
    ("parentBeaconBlockRoot", 32),
    ("requestsHash", 32),  # Prague
)
"""Appended in this order when the block has them; a header has a prefix of these."""


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str):
        return bytes.fromhex(value.removeprefix("0x"))
    raise TypeError(f"expected bytes or hex, got {value!r}")


def _word(value: Any) -> bytes:
    """A storage value as its 32-byte word (web3 gives an int or minimal bytes)."""
    if isinstance(value, int):
        return value.to_bytes(32, "big")
    return _as_bytes(value).rjust(32, b"\x00")


def _field(block: Mapping[str, Any], name: str, width: int) -> bytes | int:
    value = block[name]
    if name == "extraData" and value is None:
        value = b""
    if width == 0:
        return int(value) if not isinstance(value, str) else int(value, 16)
    raw = _as_bytes(value)
    if width > 0:
        # Some clients (eth-tester) format fixed-width fields as numbers, dropping zeros.
        raw = raw.rjust(width, b"\x00")
    return raw


def header_fields(block: Mapping[str, Any]) -> list[bytes | int]:
    """The header's fields in RLP order, from an `eth_getBlockByNumber` result.

    web3's proof-of-authority middleware renames `extraData` to `proofOfAuthorityData`
    (Clique and QBFT put more than 32 bytes there); both spellings are read.
    """
    fields = dict(block)
    if "extraData" not in fields and "proofOfAuthorityData" in fields:
        fields["extraData"] = fields["proofOfAuthorityData"]
    values = [_field(fields, name, width) for name, width in _LONDON_FIELDS]
    for name, width in _LATER_FIELDS:
        if fields.get(name) is None:
            break
        values.append(_field(fields, name, width))
    return values


def header_rlp(block: Mapping[str, Any]) -> bytes:
    """The RLP of the block header rebuilt from its JSON-RPC fields (not yet checked)."""
    return bytes(rlp.encode(header_fields(block)))


def block_header_rlp(anchor: cc.AnchorContract, block_number: int) -> tuple[bytes, Any]:
    """(header RLP, block) of `block_number`; the RLP is checked to hash to the block hash.

    Raises HeaderEncodingUnsupported if it does not (a header with fields this code does
    not know).
    """
    from evanchor.anchor.ethereum import client as cc  # noqa: PLC0415 - see the imports

    block = cc.get_block(anchor.w3, block_number)
    encoded = header_rlp(block)
    expected = bytes(block["hash"])
    if keccak(encoded) != expected:
        raise HeaderEncodingUnsupported(block_number, expected, keccak(encoded))
    return encoded, block


def log_section(state: Confirmed) -> dict[str, Any]:
    """The bundle's `log` member: the identity of the log a confirmed state belongs to."""
    return {
        "chain_id": state.chain_id,
        "contract": to_checksum_address(state.contract),
        "writer": to_checksum_address(state.writer),
    }


def build_anchor_evidence(anchor: cc.AnchorContract, state: Confirmed) -> AnchorSection:
    """The bundle's `anchor` member for a checkpoint the anchorer confirmed.

    Requires `state` to be of `anchor`'s chain and contract, and the node to still serve
    the state of its block (`eth_getProof` at that block).
    """
    if to_checksum_address(state.contract) != anchor.address:
        raise StoreError(f"checkpoint {state.seq} is anchored through {state.contract}")
    writer = to_checksum_address(state.writer)
    index = state.checkpoint_index
    block_number = state.block_number
    encoded, block = block_header_rlp(anchor, block_number)
    if bytes(block["hash"]) != state.block_hash:
        raise StoreError(
            f"block {block_number} is now 0x{bytes(block['hash']).hex()}, the anchor was in "
            f"0x{state.block_hash.hex()}: the chain was reorganised after confirmation"
        )
    slots = checkpoint_slots(writer, index)
    from evanchor.anchor.ethereum import client as cc  # noqa: PLC0415 - see the imports

    proof = cc.get_proof(anchor.w3, anchor.address, list(slots), block_number)
    storage = []
    for slot, entry in zip(slots, proof["storageProof"], strict=True):
        storage.append(
            {
                "slot": slot.to_bytes(32, "big").hex(),
                "value": _word(entry["value"]).hex(),
                "proof": [_as_bytes(node).hex() for node in entry["proof"]],
            }
        )
    section = {
        **log_section(state),
        "checkpoint_index": index,
        "tx_hash": state.tx_hash.hex(),
        "block_number": block_number,
        "block_hash": state.block_hash.hex(),
        "log_index": state.log_index,
        "block_timestamp": int(block["timestamp"]),
        "header_rlp": encoded.hex(),
        "account_proof": [_as_bytes(node).hex() for node in proof["accountProof"]],
        "storage_proofs": storage,
    }
    return parse(AnchorSection, section, at=("anchor",))


def earliest_anchored_checkpoint(
    store: LogStore, index: int
) -> tuple[Checkpoint, Confirmed] | None:
    """The first confirmed checkpoint that covers leaf `index`, with its anchoring state.

    The earliest one gives a court the earliest time the record provably existed.
    O(log n) reads (`progress.earliest_anchored`: confirmed checkpoints are a prefix).
    """
    return earliest_anchored(store, index)


def build_anchored_bundle(store: LogStore, anchor: cc.AnchorContract, index: int) -> ProofBundle:
    """The proof bundle of leaf `index` against its earliest anchored checkpoint, with the
    anchor evidence, the log's anchor target and (if the record was signed) the signature."""
    found = earliest_anchored_checkpoint(store, index)
    if found is None:
        raise StoreError(f"no anchored checkpoint covers record {index} yet")
    checkpoint, state = found
    return build_bundle(
        store, index, checkpoint=checkpoint, anchor=build_anchor_evidence(anchor, state)
    )
