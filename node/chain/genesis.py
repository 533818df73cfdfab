"""The genesis file: what a chain is, before its first block.

The file is JSON, written by ``evanchor chain init`` and read by every node and replayer
of the chain. Its block-0 header and state follow from it deterministically, so two
parties holding the same file derive the same genesis hash.

Format (``"format": "evanchor-genesis/1"``)::

    {
      "format": "evanchor-genesis/1",
      "chainId": 1337,
      "clique": {"period": 0, "epoch": 30000},
      "authorities": ["0x…"],          # initial Clique sealers, at least one
      "allowlist": ["0x…"],            # accounts whose transactions are accepted
      "gasLimit": 30000000,            # every block's gas limit
      "baseFeePerGas": 1000000000,     # London base fee of block 0, in wei
      "timestamp": 1700000000,         # block 0 timestamp, Unix seconds
      "extraVanity": "0x…",            # 32 bytes, free text in every header
      "alloc": {"0x…": {"balance": "0x…"}}   # funded accounts (balances in hex wei)
    }

Integers that may exceed 2**53 (balances) are hex strings, the rest JSON numbers.

A genesis file in geth's or Besu's layout (a Clique chain under London rules, with the
allowlist in an `evanchor` member) is read too: see `genesis_geth.py`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_utils.address import is_hex_address, to_canonical_address, to_checksum_address

from evanchor.node.chain.chain_ids import MAX_CHAIN_ID
from evanchor.node.chain.errors import GenesisError

FORMAT = "evanchor-genesis/1"
DEFAULT_EPOCH = 30000  # EIP-225's suggested epoch: checkpoint blocks list the signers
DEFAULT_GAS_LIMIT = 30_000_000
DEFAULT_BASE_FEE = 10**9  # py-evm's London genesis default (1 gwei)
VANITY_LENGTH = 32
# Funding for allowlisted accounts made by `chain init`: ample for any permissioned use
# (a billion ether), far below 2**256.
DEFAULT_FUNDING = 10**27
# A block gas limit below the cost of one plain transfer makes an unusable chain; above
# 2**63-1 is outside every client's header encoding.
MIN_GAS_LIMIT = 21_000
MAX_GAS_LIMIT = 2**63 - 1


@dataclass(frozen=True)
class Genesis:
    """A parsed, validated genesis. Addresses are 20-byte canonical `bytes`."""

    chain_id: int
    authorities: tuple[bytes, ...]
    allowlist: tuple[bytes, ...]
    timestamp: int
    gas_limit: int = DEFAULT_GAS_LIMIT
    period: int = 0
    epoch: int = DEFAULT_EPOCH
    base_fee_per_gas: int = DEFAULT_BASE_FEE
    extra_vanity: bytes = bytes(VANITY_LENGTH)
    alloc: tuple[tuple[bytes, int], ...] = field(default=())

    def __post_init__(self) -> None:
        validate_genesis(self, "genesis")

    @property
    def allowlisted(self) -> frozenset[bytes]:
        return frozenset(self.allowlist)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "chainId": self.chain_id,
            "clique": {"period": self.period, "epoch": self.epoch},
            "authorities": [to_checksum_address(a) for a in self.authorities],
            "allowlist": [to_checksum_address(a) for a in self.allowlist],
            "gasLimit": self.gas_limit,
            "baseFeePerGas": self.base_fee_per_gas,
            "timestamp": self.timestamp,
            "extraVanity": "0x" + self.extra_vanity.hex(),
            "alloc": {to_checksum_address(a): {"balance": hex(b)} for a, b in self.alloc},
        }


def validate_genesis(genesis: Genesis, source: str) -> None:
    """Check the invariants a chain relies on; raise `GenesisError` naming the field."""

    def fail(name: str, reason: str) -> GenesisError:
        return GenesisError(source, name, reason)

    if not 1 <= genesis.chain_id <= MAX_CHAIN_ID:
        raise fail("chainId", f"expected 1 <= chainId <= {MAX_CHAIN_ID}, found {genesis.chain_id}")
    if not genesis.authorities:
        raise fail("authorities", "expected at least one authority, found none")
    if len(set(genesis.authorities)) != len(genesis.authorities):
        raise fail("authorities", "expected distinct addresses, found a repeat")
    if len(set(genesis.allowlist)) != len(genesis.allowlist):
        raise fail("allowlist", "expected distinct addresses, found a repeat")
    for name, addresses in (("authorities", genesis.authorities), ("allowlist", genesis.allowlist)):
        for address in addresses:
            if len(address) != 20:
                raise fail(name, f"expected 20-byte addresses, found {len(address)} bytes")
    if not MIN_GAS_LIMIT <= genesis.gas_limit <= MAX_GAS_LIMIT:
        raise fail(
            "gasLimit", f"expected {MIN_GAS_LIMIT}..{MAX_GAS_LIMIT}, found {genesis.gas_limit}"
        )
    if genesis.period < 0:
        raise fail("clique.period", f"expected >= 0 seconds, found {genesis.period}")
    if genesis.epoch < 1:
        raise fail("clique.epoch", f"expected >= 1 block, found {genesis.epoch}")
    if genesis.base_fee_per_gas < 0:
        raise fail("baseFeePerGas", f"expected >= 0, found {genesis.base_fee_per_gas}")
    if genesis.timestamp < 0:
        raise fail("timestamp", f"expected >= 0, found {genesis.timestamp}")
    if len(genesis.extra_vanity) != VANITY_LENGTH:
        raise fail(
            "extraVanity", f"expected {VANITY_LENGTH} bytes, found {len(genesis.extra_vanity)}"
        )
    seen: set[bytes] = set()
    for address, balance in genesis.alloc:
        if len(address) != 20 or address in seen:
            raise fail("alloc", f"expected distinct 20-byte addresses, found 0x{address.hex()}")
        seen.add(address)
        if not 0 <= balance < 2**256:
            raise fail("alloc", f"expected 0 <= balance < 2**256 for 0x{address.hex()}")


def genesis_from_json(document: object, source: str) -> Genesis:
    """Parse a genesis document (already JSON-decoded); `source` names it in errors."""
    if not isinstance(document, dict):
        raise GenesisError(source, "(document)", "expected a JSON object")
    from evanchor.node.chain import genesis_geth  # noqa: PLC0415 - it builds on this module

    if genesis_geth.is_geth_genesis(document):
        return genesis_geth.genesis_from_geth(document, source)
    if document.get("format") != FORMAT:
        raise GenesisError(
            source, "format", f"expected {FORMAT!r}, found {document.get('format')!r}"
        )

    def integer(name: str, value: object) -> int:
        if isinstance(value, bool):
            raise GenesisError(source, name, f"expected an integer, found {value!r}")
        if isinstance(value, int):
            return value
        if isinstance(value, str):
            try:
                return int(value, 16) if value.startswith("0x") else int(value, 10)
            except ValueError:
                pass
        raise GenesisError(source, name, f"expected an integer, found {value!r}")

    def address(name: str, value: object) -> bytes:
        if not isinstance(value, str) or not is_hex_address(value):
            raise GenesisError(source, name, f"expected a 0x-prefixed address, found {value!r}")
        return bytes(to_canonical_address(value))

    def address_list(name: str) -> tuple[bytes, ...]:
        values = document.get(name, [])
        if not isinstance(values, list):
            raise GenesisError(source, name, "expected a list of addresses")
        return tuple(address(name, v) for v in values)

    clique = document.get("clique", {})
    if not isinstance(clique, dict):
        raise GenesisError(source, "clique", "expected an object with period and epoch")
    alloc_doc = document.get("alloc", {})
    if not isinstance(alloc_doc, dict):
        raise GenesisError(source, "alloc", "expected an object keyed by address")
    alloc: list[tuple[bytes, int]] = []
    for key, entry in alloc_doc.items():
        if not isinstance(entry, dict):
            raise GenesisError(source, f"alloc.{key}", "expected an object with a balance")
        alloc.append(
            (address("alloc", key), integer(f"alloc.{key}.balance", entry.get("balance", 0)))
        )
    vanity_text = document.get("extraVanity", "0x" + "00" * VANITY_LENGTH)
    if not isinstance(vanity_text, str) or not vanity_text.startswith("0x"):
        raise GenesisError(source, "extraVanity", "expected 0x-prefixed hex")
    try:
        vanity = bytes.fromhex(vanity_text[2:])
    except ValueError as error:
        raise GenesisError(source, "extraVanity", f"expected hex: {error}") from None
    for required in ("chainId", "timestamp"):
        if required not in document:
            raise GenesisError(source, required, "missing")
    try:
        return _validated(
            source,
            chain_id=integer("chainId", document["chainId"]),
            authorities=address_list("authorities"),
            allowlist=address_list("allowlist"),
            timestamp=integer("timestamp", document["timestamp"]),
            gas_limit=integer("gasLimit", document.get("gasLimit", DEFAULT_GAS_LIMIT)),
            period=integer("clique.period", clique.get("period", 0)),
            epoch=integer("clique.epoch", clique.get("epoch", DEFAULT_EPOCH)),
            base_fee_per_gas=integer(
                "baseFeePerGas", document.get("baseFeePerGas", DEFAULT_BASE_FEE)
            ),
            extra_vanity=vanity,
            alloc=tuple(alloc),
        )
    except GenesisError as error:
        raise GenesisError(source, error.field, error.reason) from None


def _validated(source: str, **fields: Any) -> Genesis:
    genesis = Genesis(**fields)
    validate_genesis(genesis, source)
    return genesis


def read_genesis(path: Path) -> Genesis:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise GenesisError(str(path), "(file)", f"cannot read: {error.strerror}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise GenesisError(
            str(path), "(file)", f"not JSON: line {error.lineno}: {error.msg}"
        ) from None
    return genesis_from_json(document, str(path))


def write_genesis(path: Path, genesis: Genesis) -> None:
    path.write_text(json.dumps(genesis.to_json(), indent=2) + "\n", encoding="utf-8")
