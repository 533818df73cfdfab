"""Plain helpers for the embedded-chain tests (imported by conftest and test modules)."""

from __future__ import annotations

import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import rlp
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_hash.auto import keccak
from eth_keys.datatypes import PrivateKey
from eth_utils.address import to_checksum_address
from web3 import Web3
from web3.middleware import ExtraDataToPOAMiddleware

from evanchor.node.chain.embedded import EmbeddedChain
from evanchor.node.chain.genesis import Genesis

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


# -- a node in a subprocess -------------------------------------------------------------

READY_PREFIX = "JSON-RPC listening on "
NODE_START_TIMEOUT = 60.0


@dataclass
class NodeProcess:
    """`python -m evanchor.cli.chain_commands run` on a free port; stop() or kill() it."""

    process: subprocess.Popen[str]
    url: str
    log_path: Path

    def stop(self) -> None:
        self._end(signal.SIGTERM)

    def kill(self) -> None:
        self._end(signal.SIGKILL)

    def _end(self, signum: int) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signum)
            self.process.wait(timeout=30)
        if self.process.stdout is not None:
            self.process.stdout.close()


def start_node(data_dir: Path, *extra: str) -> NodeProcess:
    log_path = data_dir.parent / f"{data_dir.name}.stderr.log"
    command = [
        sys.executable, "-m", "evanchor.cli.chain_commands", "--data-dir", str(data_dir),
        "run", "--port", "0", *extra,
    ]  # fmt: skip
    with log_path.open("a") as stderr:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True)
    assert process.stdout is not None
    deadline = time.monotonic() + NODE_START_TIMEOUT
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.5)
        if ready:
            line = process.stdout.readline()
            if line.startswith(READY_PREFIX):
                url = line[len(READY_PREFIX) :].split()[0]
                return NodeProcess(process, url, log_path)
            if not line and process.poll() is not None:
                break
    process.kill()
    process.wait()
    process.stdout.close()
    raise AssertionError(f"node did not start: {log_path.read_text()[-2000:]}")


def rpc(url: str, method: str, *params: Any) -> Any:
    """One JSON-RPC call; returns the result or raises AssertionError with the error."""
    body = requests.post(
        url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}, timeout=30
    ).json()
    assert "error" not in body, body
    return body["result"]


def wait_for_receipt(url: str, tx_hash: str, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        receipt = rpc(url, "eth_getTransactionReceipt", tx_hash)
        if receipt is not None:
            return dict(receipt)
        time.sleep(0.02)
    raise AssertionError(f"no receipt for {tx_hash}")


def web3_for(url: str) -> Web3:
    """web3.py over HTTP; Clique headers carry 97 bytes of extra-data, so (as for any
    proof-of-authority chain) the extra-data middleware goes in first."""
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30}))
    w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    return w3


def verify_trie_proof(root: bytes, key: bytes, proof: list[bytes]) -> bytes:
    """A plain reference verifier (not the node's code): walk `proof` from `root` along
    keccak(key), checking each referenced node's hash; return the value (b"" if absent)."""
    path = []
    for byte in keccak(key):
        path += [byte >> 4, byte & 15]
    by_hash = {keccak(node): node for node in proof}
    reference: Any = root
    while True:
        if isinstance(reference, bytes):
            if reference == b"":
                return b""
            assert reference in by_hash, "proof is missing a node"
            node = rlp.decode(by_hash[reference])
        else:
            node = reference
        if len(node) == 17:
            if not path:
                return bytes(node[16])
            reference, path = node[path[0]], path[1:]
            continue
        nibbles = []
        for byte in node[0]:
            nibbles += [byte >> 4, byte & 15]
        segment = nibbles[1:] if nibbles[0] % 2 else nibbles[2:]
        if path[: len(segment)] != segment:
            return b""
        path = path[len(segment) :]
        if nibbles[0] >= 2:
            return bytes(node[1]) if not path else b""
        reference = node[1]
