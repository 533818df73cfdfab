"""Plain helpers for the embedded-chain tests (imported by conftest and test modules)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_keys.datatypes import PrivateKey
from eth_utils.address import to_checksum_address

from evanchor.node.chain import EmbeddedChain
from evanchor.node.genesis import Genesis

CHAIN_ID = 4242
GWEI = 10**9

# Hand-written EVM code (no compiler): the runtime stores calldata word 0 in slot 0 and
# logs it with the caller as topic: PUSH1 0 CALLDATALOAD DUP1 PUSH1 0 SSTORE PUSH1 0 MSTORE
# CALLER PUSH1 32 PUSH1 0 LOG1 STOP.
STORE_AND_LOG_RUNTIME = bytes.fromhex("600035806000556000523360206000a100")
# Init code: CODECOPY the runtime that follows (17 bytes at offset 12) and RETURN it.
STORE_AND_LOG_INIT = bytes.fromhex("6011600c6000396011" + "6000f3") + STORE_AND_LOG_RUNTIME
# A runtime that always reverts with Error("no"): MSTOREs the ABI encoding and REVERTs.
REVERT_RUNTIME = bytes.fromhex(
    "7f08c379a000000000000000000000000000000000000000000000000000000000"
    "600052"  # mem[0:32] = selector word
    "7f0000000000000000000000000000000000000000000000000000000000000020"
    "600452"  # mem[4:36] = offset 32
    "7f0000000000000000000000000000000000000000000000000000000000000002"
    "602452"  # mem[36:68] = length 2
    "7f6e6f000000000000000000000000000000000000000000000000000000000000"
    "604452"  # mem[68:100] = "no"
    "60646000fd"  # REVERT(0, 100)
)


def init_code_for(runtime: bytes) -> bytes:
    """Init code returning `runtime` (requires len(runtime) < 256)."""
    n = len(runtime)
    return bytes([0x60, n, 0x60, 12, 0x60, 0, 0x39, 0x60, n, 0x60, 0, 0xF3]) + runtime


@dataclass(frozen=True)
class Actors:
    sealer: PrivateKey
    writer: LocalAccount
    operator: LocalAccount
    outsider: LocalAccount

    @property
    def sealer_address(self) -> bytes:
        return bytes(self.sealer.public_key.to_canonical_address())


def address_of(account: LocalAccount) -> bytes:
    return bytes.fromhex(account.address[2:])


def make_actors() -> Actors:
    return Actors(
        sealer=PrivateKey(b"\x11" * 32),
        writer=Account.from_key(b"\x22" * 32),
        operator=Account.from_key(b"\x33" * 32),
        outsider=Account.from_key(b"\x44" * 32),
    )


def make_genesis(actors: Actors, *, timestamp: int, **overrides: Any) -> Genesis:
    funded = (address_of(actors.writer), address_of(actors.operator), address_of(actors.outsider))
    fields: dict[str, Any] = {
        "chain_id": CHAIN_ID,
        "authorities": (actors.sealer_address,),
        "allowlist": (address_of(actors.writer), address_of(actors.operator)),
        "timestamp": timestamp,
        "alloc": tuple((a, 10**24) for a in funded),
    }
    fields.update(overrides)
    return Genesis(**fields)


def signed_tx(
    account: LocalAccount,
    nonce: int,
    *,
    to: bytes | None = b"\x99" * 20,
    value: int = 1,
    data: bytes = b"",
    gas: int = 21_000,
    chain_id: int = CHAIN_ID,
    max_fee: int = 100 * GWEI,
    tip: int = GWEI,
) -> bytes:
    tx: dict[str, Any] = {
        "type": 2,
        "chainId": chain_id,
        "nonce": nonce,
        "value": value,
        "data": data,
        "gas": gas,
        "maxFeePerGas": max_fee,
        "maxPriorityFeePerGas": tip,
    }
    if to is not None:
        tx["to"] = to_checksum_address(to)
    return bytes(account.sign_transaction(tx).raw_transaction)


def seal_transfers(chain: EmbeddedChain, account: LocalAccount, count: int) -> None:
    """Seal `count` blocks, one value transfer each, from `account`."""
    start = chain.nonce(address_of(account), pending=True)
    for i in range(count):
        chain.add_transaction(signed_tx(account, start + i))
        assert chain.seal_block() is not None
