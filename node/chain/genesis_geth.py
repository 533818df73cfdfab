"""The geth/Besu genesis format, read and written for a Clique chain (docs/CHAIN.md).

Operators who move the log to a permissioned network of an existing client (DESIGN
decision 8), or who keep one genesis file for both, can hand `evanchor` the file they give
geth or Besu. Its members map onto `Genesis` as follows:

| geth / Besu member | Genesis field |
|---|---|
| `config.chainId` | `chain_id` |
| `config.clique.period` (geth) or `.blockperiodseconds` (Besu) | `period` |
| `config.clique.epoch` (geth) or `.epochlength` (Besu) | `epoch` |
| `extraData`: 32-byte vanity, signers (20 bytes each), 65-byte zero seal | vanity, authorities |
| `gasLimit`, `timestamp`, `baseFeePerGas` (hex or decimal) | the same |
| `alloc` (`{"<address>": {"balance": "<hex or decimal>"}}`) | `alloc` |
| `evanchor.allowlist` | `allowlist` |

The allowlist has no place in either client's genesis (Besu keeps it in its permissions
file, geth has none), so it travels in an `evanchor` member, which both clients ignore: a
permissioned chain without one is refused rather than opened to every account. Only
Clique files under London rules can be read: the embedded chain runs London (see
`evm.py`), so a file enabling a later fork (`shanghaiTime`, …) or another consensus (QBFT,
IBFT 2.0, ethash) is refused with the member named.
"""

from __future__ import annotations

from typing import Any

from eth_utils.address import is_hex_address, to_canonical_address, to_checksum_address

from evanchor.node.chain.errors import GenesisError
from evanchor.node.chain.genesis import (
    DEFAULT_BASE_FEE,
    DEFAULT_GAS_LIMIT,
    FORMAT,
    VANITY_LENGTH,
    Genesis,
    validate_genesis,
)

SEAL_LENGTH = 65
"""A Clique header's extra-data ends with the sealer's 65-byte signature (zero in block 0)."""
LONDON_FORKS = (
    "homesteadBlock",
    "eip150Block",
    "eip155Block",
    "eip158Block",
    "byzantiumBlock",
    "constantinopleBlock",
    "petersburgBlock",
    "istanbulBlock",
    "berlinBlock",
    "londonBlock",
)
"""Forks up to London, each active from block 0 on an evanchor chain."""
LATER_FORKS = ("arrowGlacierBlock", "grayGlacierBlock", "mergeNetsplitBlock", "shanghaiTime",
               "cancunTime", "pragueTime", "osakaTime", "terminalTotalDifficulty")  # fmt: skip
OTHER_CONSENSUS = ("qbft", "ibft2", "ethash", "aura")


def is_geth_genesis(document: object) -> bool:
    """Whether a decoded genesis document is in the geth/Besu layout (it has `config`)."""
    return isinstance(document, dict) and "format" not in document and "config" in document


def _integer(source: str, member: str, value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return int(value, 16) if value[:2] in ("0x", "0X") else int(value, 10)
        except ValueError:
            pass
    raise GenesisError(source, member, f"expected an integer (hex or decimal), found {value!r}")


def _address(source: str, member: str, value: object) -> bytes:
    if isinstance(value, str) and not value.startswith("0x"):
        value = "0x" + value
    if not isinstance(value, str) or not is_hex_address(value):
        raise GenesisError(source, member, f"expected an address, found {value!r}")
    return bytes(to_canonical_address(value))


def _clique_config(source: str, config: object) -> tuple[int, int, int]:
    """(chain id, period, epoch) of a London-rules Clique `config` member."""
    if not isinstance(config, dict):
        raise GenesisError(source, "config", "expected an object")
    for name in OTHER_CONSENSUS:
        if name in config:
            raise GenesisError(source, f"config.{name}", "only Clique genesis files can be read")
    for name in LATER_FORKS:
        if name in config:
            raise GenesisError(
                source, f"config.{name}", "the embedded chain runs London rules; remove it"
            )
    for name in LONDON_FORKS:
        if name in config and _integer(source, f"config.{name}", config[name]) != 0:
            raise GenesisError(
                source, f"config.{name}", "expected 0: every fork up to London is active at once"
            )
    if "chainId" not in config:
        raise GenesisError(source, "config.chainId", "missing")
    clique = config.get("clique")
    if not isinstance(clique, dict):
        raise GenesisError(source, "config.clique", "missing: expected {period, epoch}")
    return (
        _integer(source, "config.chainId", config["chainId"]),
        _integer(
            source,
            "config.clique.period",
            clique.get("period", clique.get("blockperiodseconds", 0)),
        ),
        _integer(
            source, "config.clique.epoch", clique.get("epoch", clique.get("epochlength", 30000))
        ),
    )


def _signers(source: str, extra_text: object) -> tuple[bytes, tuple[bytes, ...]]:
    """(vanity, signers) of block 0's extra-data."""
    if not isinstance(extra_text, str) or extra_text[:2] not in ("0x", "0X"):
        raise GenesisError(source, "extraData", "expected 0x-prefixed hex: vanity, signers, seal")
    try:
        extra = bytes.fromhex(extra_text[2:])
    except ValueError:
        raise GenesisError(source, "extraData", "expected hex digits") from None
    signers_length = len(extra) - VANITY_LENGTH - SEAL_LENGTH
    if signers_length <= 0 or signers_length % 20:
        raise GenesisError(
            source,
            "extraData",
            f"expected 32 + 20·n + 65 bytes with n >= 1 signers, found {len(extra)} bytes",
        )
    if any(extra[-SEAL_LENGTH:]):
        raise GenesisError(source, "extraData", "the genesis seal (last 65 bytes) must be zero")
    signers = extra[VANITY_LENGTH:-SEAL_LENGTH]
    return extra[:VANITY_LENGTH], tuple(signers[i : i + 20] for i in range(0, len(signers), 20))


def _alloc(source: str, alloc_doc: object) -> tuple[tuple[bytes, int], ...]:
    if not isinstance(alloc_doc, dict):
        raise GenesisError(source, "alloc", "expected an object keyed by address")
    alloc = []
    for key, entry in alloc_doc.items():
        if not isinstance(entry, dict):
            raise GenesisError(source, f"alloc.{key}", "expected an object with a balance")
        if entry.get("code") or entry.get("storage"):
            raise GenesisError(
                source, f"alloc.{key}", "accounts with code or storage are not supported"
            )
        balance = _integer(source, f"alloc.{key}.balance", entry.get("balance", 0))
        alloc.append((_address(source, "alloc", key), balance))
    return tuple(alloc)


def genesis_from_geth(document: dict[str, Any], source: str) -> Genesis:
    """Parse a geth/Besu genesis document; GenesisError names the member at fault."""
    chain_id, period, epoch = _clique_config(source, document["config"])
    vanity, authorities = _signers(source, document.get("extraData"))
    ours = document.get("evanchor")
    if not isinstance(ours, dict) or not isinstance(ours.get("allowlist"), list):
        raise GenesisError(
            source,
            "evanchor.allowlist",
            "missing: a permissioned chain lists the accounts whose transactions it accepts",
        )
    if "timestamp" not in document:
        raise GenesisError(source, "timestamp", "missing")
    genesis = Genesis(
        chain_id=chain_id,
        authorities=authorities,
        allowlist=tuple(_address(source, "evanchor.allowlist", a) for a in ours["allowlist"]),
        timestamp=_integer(source, "timestamp", document["timestamp"]),
        gas_limit=_integer(source, "gasLimit", document.get("gasLimit", DEFAULT_GAS_LIMIT)),
        period=period,
        epoch=epoch,
        base_fee_per_gas=_integer(
            source, "baseFeePerGas", document.get("baseFeePerGas", DEFAULT_BASE_FEE)
        ),
        extra_vanity=vanity,
        alloc=_alloc(source, document.get("alloc", {})),
    )
    validate_genesis(genesis, source)
    return genesis


def geth_genesis_json(genesis: Genesis) -> dict[str, Any]:
    """`genesis` in the geth layout (Besu reads the same members, with its own clique key
    names accepted on the way in). The signers are listed sorted, as EIP-225 has them."""
    extra = genesis.extra_vanity + b"".join(sorted(genesis.authorities)) + bytes(SEAL_LENGTH)
    return {
        "config": {
            "chainId": genesis.chain_id,
            **dict.fromkeys(LONDON_FORKS, 0),
            "clique": {"period": genesis.period, "epoch": genesis.epoch},
        },
        "nonce": "0x0",
        "timestamp": hex(genesis.timestamp),
        "extraData": "0x" + extra.hex(),
        "gasLimit": hex(genesis.gas_limit),
        "difficulty": "0x1",
        "mixHash": "0x" + "00" * 32,
        "coinbase": "0x" + "00" * 20,
        "baseFeePerGas": hex(genesis.base_fee_per_gas),
        "alloc": {to_checksum_address(a): {"balance": hex(b)} for a, b in genesis.alloc},
        "evanchor": {
            "format": FORMAT,
            "allowlist": [to_checksum_address(a) for a in genesis.allowlist],
        },
    }
