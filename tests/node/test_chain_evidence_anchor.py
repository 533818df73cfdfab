"""EvidenceAnchor on the embedded chain over JSON-RPC: web3.py and foundry's `cast`.

Deploy, grant a writer, anchor with RFC 9162 consistency proofs, read the events, and
check the anchored checkpoint against the block's state root with eth_getProof.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import rlp
from eth_account.signers.local import LocalAccount
from eth_hash.auto import keccak
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError

from evanchor.anchor.protocol.merkle import consistency_proof, leaf_hash, root_hash
from evanchor.contracts.artifacts import load_artifact
from evanchor.node.chain.datadir import init_data_dir

from chain_helpers import (
    NodeProcess,
    make_actors,
    make_genesis,
    start_node,
    verify_trie_proof,
    web3_for,
)

REPO = Path(__file__).resolve().parents[2]
# ERC-7201 namespace of EvidenceAnchor's storage (contracts/src/EvidenceAnchor.sol).
STORAGE_LOCATION = 0x5C1B90890156B11427B217BE7FB4DF04B5FBF2790CAB9B9284DD6F82EC7FF700
LEAVES = [leaf_hash(f"record-{i}".encode()) for i in range(8)]


def cast_binary() -> str:
    found = shutil.which("cast") or str(REPO / "contracts" / "node_modules" / ".bin" / "cast")
    assert os.access(found, os.X_OK), (
        "cast missing: run `npm ci` in contracts/ (scripts/bootstrap.sh)"
    )
    return found


def cast(*args: str) -> str:
    result = subprocess.run(
        [cast_binary(), *args], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    actors = make_actors()
    data_dir = tmp_path_factory.mktemp("anchor") / "node"
    init_data_dir(data_dir, make_genesis(actors, timestamp=int(time.time()) - 60), actors.sealer)
    running = start_node(data_dir)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def w3(node: NodeProcess) -> Web3:
    return web3_for(node.url)


def transact(w3: Web3, account: LocalAccount, call: Any) -> Any:
    """Build (estimate gas, fees from the node), sign locally, send raw, wait."""
    tx = call.build_transaction(
        {"from": account.address, "nonce": w3.eth.get_transaction_count(account.address, "pending")}
    )
    tx_hash = w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
    return w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.02)


@pytest.fixture(scope="module")
def anchor(w3: Web3) -> Contract:
    actors = make_actors()
    artifact = load_artifact("EvidenceAnchor")
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    receipt = transact(w3, actors.operator, factory.constructor(0, actors.operator.address))
    assert receipt["status"] == 1
    contract = w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi)
    assert bytes(w3.eth.get_code(contract.address)) == artifact.deployed_bytecode
    role = contract.functions.WRITER_ROLE().call()
    granted = transact(
        w3, actors.operator, contract.functions.grantRole(role, actors.writer.address)
    )
    assert granted["status"] == 1
    return contract


def log_length_slot(writer: str) -> int:
    return int.from_bytes(
        keccak(bytes(12) + bytes.fromhex(writer[2:]) + STORAGE_LOCATION.to_bytes(32, "big")), "big"
    )


def test_anchor_events_and_proof_against_the_state_root(w3: Web3, anchor: Contract) -> None:
    writer = make_actors().writer
    first = transact(w3, writer, anchor.functions.anchor(2, root_hash(LEAVES[:2]), []))
    assert first["status"] == 1
    proof = consistency_proof(LEAVES[:5], 2)
    second = transact(w3, writer, anchor.functions.anchor(5, root_hash(LEAVES[:5]), proof))
    assert second["status"] == 1
    assert anchor.functions.checkpointCount(writer.address).call() == 2
    latest = anchor.functions.latestCheckpoint(writer.address).call()
    assert latest[0] == 5
    assert latest[1] == second["blockNumber"]
    assert latest[3] == root_hash(LEAVES[:5])

    events = anchor.events.CheckpointAnchored().get_logs(
        from_block=0, argument_filters={"writer": writer.address}
    )
    assert [(e["args"]["index"], e["args"]["size"], e["args"]["root"]) for e in events] == [
        (0, 2, root_hash(LEAVES[:2])),
        (1, 5, root_hash(LEAVES[:5])),
    ]
    assert events[1]["transactionHash"] == second["transactionHash"]

    # A verifier holding only the block header checks the anchored root.
    block = w3.eth.get_block(second["blockNumber"])
    length_slot = log_length_slot(writer.address)
    root_slot = int.from_bytes(keccak(length_slot.to_bytes(32, "big")), "big") + 2 * 1 + 1
    answer = w3.eth.get_proof(anchor.address, [length_slot, root_slot], block["number"])
    account = verify_trie_proof(
        bytes(block["stateRoot"]),
        bytes.fromhex(anchor.address[2:]),
        [bytes(n) for n in answer["accountProof"]],
    )
    storage_root = rlp.decode(account)[2]
    count_proof, root_proof = answer["storageProof"]
    count = verify_trie_proof(
        storage_root, length_slot.to_bytes(32, "big"), [bytes(n) for n in count_proof["proof"]]
    )
    assert int.from_bytes(rlp.decode(count), "big") == 2
    anchored = verify_trie_proof(
        storage_root, root_slot.to_bytes(32, "big"), [bytes(n) for n in root_proof["proof"]]
    )
    assert rlp.decode(anchored) == root_hash(LEAVES[:5])


def test_inconsistent_or_unauthorised_anchor_reverts_with_the_custom_error(
    w3: Web3, anchor: Contract
) -> None:
    outsider_of_role = make_actors().operator  # allowlisted, but no writer role
    with pytest.raises(ContractCustomError):
        anchor.functions.anchor(1, root_hash(LEAVES[:1]), []).call(
            {"from": outsider_of_role.address}
        )
    writer = make_actors().writer
    with pytest.raises(ContractCustomError):
        anchor.functions.anchor(9, b"\x01" * 32, []).call({"from": writer.address})


def test_cast_reads_sends_and_proves(node: NodeProcess, w3: Web3, anchor: Contract) -> None:
    url = node.url
    writer = make_actors().writer
    assert cast("chain-id", "--rpc-url", url) == str(w3.eth.chain_id)
    assert int(cast("block-number", "--rpc-url", url)) == w3.eth.block_number
    count_before = int(
        cast(
            "call",
            "--rpc-url",
            url,
            anchor.address,
            "checkpointCount(address)(uint256)",
            writer.address,
        )
    )
    assert count_before == anchor.functions.checkpointCount(writer.address).call()
    last_size = anchor.functions.latestCheckpoint(writer.address).call()[0]
    new_size = last_size + 3
    proof = consistency_proof(LEAVES[:new_size], last_size)
    proof_arg = "[" + ",".join("0x" + p.hex() for p in proof) + "]"
    sent = json.loads(
        cast(
            "send", "--json", "--rpc-url", url, "--private-key", "0x" + bytes(writer.key).hex(),
            anchor.address, "anchor(uint64,bytes32,bytes32[])",
            str(new_size), "0x" + root_hash(LEAVES[:new_size]).hex(), proof_arg,
        )
    )  # fmt: skip
    assert sent["status"] == "0x1"
    receipt = json.loads(cast("receipt", "--json", "--rpc-url", url, sent["transactionHash"]))
    assert receipt["blockHash"] == sent["blockHash"]
    assert (
        int(
            cast(
                "call",
                "--rpc-url",
                url,
                anchor.address,
                "checkpointCount(address)(uint256)",
                writer.address,
            )
        )
        == count_before + 1
    )
    logs = json.loads(
        cast(
            "logs", "--json", "--rpc-url", url, "--from-block", "0", "--address", anchor.address,
            "CheckpointAnchored(address indexed,uint256 indexed,uint64,bytes32)",
        )
    )  # fmt: skip
    assert logs[-1]["transactionHash"] == sent["transactionHash"]
    block = json.loads(cast("block", "--json", "--rpc-url", url, str(int(sent["blockNumber"], 16))))
    assert block["hash"] == sent["blockHash"]
    proved = json.loads(
        cast("proof", "--rpc-url", url, anchor.address, hex(log_length_slot(writer.address)))
    )
    assert int(proved["storageProof"][0]["value"], 16) == count_before + 1
    assert cast("balance", "--rpc-url", url, writer.address).isdigit()
