"""Deploying and driving EvidenceAnchor through web3, on py-evm (eth-tester) or on anvil.

Shared by the tests in this folder (pytest puts the folder on sys.path). Nothing here fakes a
chain: eth-tester runs the real py-evm London VM, anvil is the real binary from the locked
npm package.
"""

from __future__ import annotations

import ast
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import requests
from eth.vm.forks import LondonVM
from eth_abi import abi as eth_abi
from eth_tester import EthereumTester, PyEVMBackend
from eth_tester.exceptions import TransactionFailed
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError
from web3.providers.eth_tester import EthereumTesterProvider

from evanchor.anchor.protocol import merkle
from evanchor.contracts.artifacts import ContractArtifact, load_artifact

REPO_ROOT = Path(__file__).resolve().parents[2]
CONTRACTS_DIR = REPO_ROOT / "contracts"
NODE_BIN = CONTRACTS_DIR / "node_modules" / ".bin"
ANVIL = NODE_BIN / "anvil"
CAST = NODE_BIN / "cast"

WRITER_ROLE = keccak(b"WRITER_ROLE")
DEFAULT_ADMIN_ROLE = b"\x00" * 32
ADMIN_DELAY = 3 * 24 * 3600
GAS = 1_000_000
"""Gas for every test transaction: explicit, so that py-evm does not binary-search an estimate
(a dozen executions per transaction) and so that failing transactions are mined, not refused."""
DEPLOY_GAS = 3_000_000


def require_tool(path: Path) -> Path:
    """Tools come from `npm ci` in contracts/ (scripts/bootstrap.sh); missing is a failure."""
    if not path.is_file():
        raise AssertionError(
            f"{path} is missing: run `npm ci` in contracts/ (scripts/bootstrap.sh)"
        )
    return path


def london_web3() -> Web3:
    """A fresh in-memory py-evm chain on the London fork, as the embedded chain runs."""
    backend = PyEVMBackend(vm_configuration=((0, LondonVM),))
    return Web3(EthereumTesterProvider(EthereumTester(backend)))


def deploy_anchor(w3: Web3, admin: str, delay: int = ADMIN_DELAY) -> Contract:
    artifact = load_artifact()
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    receipt = w3.eth.wait_for_transaction_receipt(
        factory.constructor(delay, admin).transact({"from": admin, "gas": DEPLOY_GAS})
    )
    assert receipt["status"] == 1
    return w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi)


def deploy(w3: Web3, artifact: ContractArtifact, sender: str, *args: Any) -> Contract:
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    receipt = w3.eth.wait_for_transaction_receipt(
        factory.constructor(*args).transact({"from": sender, "gas": DEPLOY_GAS})
    )
    assert receipt["status"] == 1
    return w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi)


def send(call: Any, sender: str) -> Any:
    """Sends a transaction that must succeed; returns its receipt."""
    w3 = call.w3
    receipt = w3.eth.wait_for_transaction_receipt(call.transact({"from": sender, "gas": GAS}))
    assert receipt["status"] == 1, receipt
    return receipt


def send_failing(call: Any, sender: str) -> Any:
    """Mines a transaction that must revert on chain; returns its receipt (status 0)."""
    w3 = call.w3
    receipt = w3.eth.wait_for_transaction_receipt(call.transact({"from": sender, "gas": GAS}))
    assert receipt["status"] == 0, receipt
    return receipt


def revert_data(error: Exception) -> bytes:
    """The raw revert data of a failed call, from web3 (JSON-RPC) or from eth-tester.

    eth-tester puts a non-string revert payload into its message as a Python bytes literal
    ("execution reverted: b'...'"); anything else is a harness failure, never a pass.
    """
    if isinstance(error, ContractLogicError) and isinstance(error.data, str):
        return bytes.fromhex(error.data.removeprefix("0x"))
    if isinstance(error, TransactionFailed):
        message = str(error)
        prefix = "execution reverted: "
        assert message.startswith(prefix), message
        payload = ast.literal_eval(message[len(prefix) :])
        assert isinstance(payload, bytes), message
        return payload
    raise AssertionError(f"not a revert: {error!r}")


@cache
def _error_table(abi_key: str) -> dict[bytes, tuple[str, list[str]]]:
    table: dict[bytes, tuple[str, list[str]]] = {}
    for entry in load_artifact(abi_key).abi:
        if entry["type"] == "error":
            types = [item["type"] for item in entry["inputs"]]
            selector = keccak(f"{entry['name']}({','.join(types)})".encode())[:4]
            table[selector] = (entry["name"], types)
    return table


def decode_error(data: bytes) -> tuple[str, tuple[Any, ...]]:
    """(error name, decoded arguments) of EvidenceAnchor revert data."""
    name, types = _error_table("EvidenceAnchor")[data[:4]]
    values = eth_abi.decode(types, data[4:])
    return name, tuple(
        to_checksum_address(value) if kind == "address" else value
        for kind, value in zip(types, values, strict=True)
    )


def revert_of(call: Any, sender: str) -> tuple[str, tuple[Any, ...]]:
    """Runs `call` as eth_call from `sender`; it must revert. Returns the decoded error."""
    try:
        if hasattr(call, "call"):
            call.call({"from": sender})
        else:  # a constructor: run its creation code
            call.w3.eth.call(call.build_transaction({"from": sender, "gas": GAS}))
    except (ContractLogicError, TransactionFailed) as error:
        return decode_error(revert_data(error))
    raise AssertionError("expected a revert, the call succeeded")


@dataclass(frozen=True)
class Deployment:
    w3: Web3
    contract: Contract
    admin: str
    writer: str
    other_writer: str
    outsider: str


def new_deployment() -> Deployment:
    """EvidenceAnchor on a fresh London py-evm chain; two accounts hold the writer role."""
    w3 = london_web3()
    admin, writer, other_writer, outsider = w3.eth.accounts[:4]
    contract = deploy_anchor(w3, admin)
    send(contract.functions.grantRole(WRITER_ROLE, writer), admin)
    send(contract.functions.grantRole(WRITER_ROLE, other_writer), admin)
    return Deployment(w3, contract, admin, writer, other_writer, outsider)


class Tree:
    """A log's leaves with RFC 9162 roots and proofs, from the project's merkle module."""

    def __init__(self, tag: bytes, size: int) -> None:
        self.leaf_hashes = [merkle.leaf_hash(tag + i.to_bytes(4, "big")) for i in range(size)]

    def root(self, size: int) -> bytes:
        return merkle.root_hash(self.leaf_hashes[:size])

    def consistency(self, old_size: int, new_size: int) -> list[bytes]:
        return merkle.consistency_proof(self.leaf_hashes[:new_size], old_size)

    def inclusion(self, index: int, size: int) -> list[bytes]:
        return merkle.inclusion_proof(self.leaf_hashes[:size], index)


def checkpoint_tuple(contract: Contract, writer: str, index: int) -> tuple[int, int, int, bytes]:
    size, block_number, timestamp, root = contract.functions.checkpointAt(writer, index).call()
    return size, block_number, timestamp, bytes(root)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running_anvil(extra_args: Sequence[str] = ()) -> Iterator[str]:
    """Starts anvil on a free 127.0.0.1 port for the London fork; yields its URL; stops it."""
    anvil = require_tool(ANVIL)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [
            str(anvil),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--hardfork",
            "london",
            "--silent",
            *extra_args,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                stderr = process.stderr.read().decode() if process.stderr else ""
                raise AssertionError(f"anvil exited with {process.returncode}: {stderr}")
            try:
                reply = requests.post(
                    url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}, timeout=1
                )
                if reply.ok:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("anvil did not answer within 20 s")
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()
