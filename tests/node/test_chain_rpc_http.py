"""web3.py and raw HTTP against a running node (a real subprocess on 127.0.0.1)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import rlp
from eth_hash.auto import keccak
from web3 import Web3
from web3.exceptions import Web3RPCError

from evanchor.node.chain.datadir import init_data_dir

from chain_helpers import (
    CHAIN_ID,
    REVERT_RUNTIME,
    STORE_AND_LOG_INIT,
    Actors,
    NodeProcess,
    address_of,
    init_code_for,
    make_actors,
    make_genesis,
    rpc,
    signed_tx,
    start_node,
    verify_trie_proof,
    wait_for_receipt,
    web3_for,
)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    actors = make_actors()
    data_dir = tmp_path_factory.mktemp("rpc") / "node"
    init_data_dir(data_dir, make_genesis(actors, timestamp=int(time.time()) - 60), actors.sealer)
    running = start_node(data_dir)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def w3(node: NodeProcess) -> Web3:
    return web3_for(node.url)


@pytest.fixture(scope="module")
def store_contract(w3: Web3, node: NodeProcess) -> str:
    actors = make_actors()
    nonce = w3.eth.get_transaction_count(actors.operator.address, "pending")
    raw = signed_tx(actors.operator, nonce, to=None, data=STORE_AND_LOG_INIT, gas=100_000, value=0)
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(raw), timeout=30, poll_latency=0.02
    )
    assert receipt["status"] == 1
    return str(receipt["contractAddress"])


def test_identity_and_status(w3: Web3, node: NodeProcess) -> None:
    assert w3.is_connected()
    assert w3.eth.chain_id == CHAIN_ID
    assert w3.net.version == str(CHAIN_ID)
    assert w3.client_version.startswith("evanchor/")
    assert w3.eth.syncing is False
    assert w3.eth.gas_price > w3.eth.max_priority_fee > 0
    assert rpc(node.url, "web3_sha3", "0x68656c6c6f") == "0x" + keccak(b"hello").hex()


def test_transfer_round_trip(w3: Web3) -> None:
    actors = make_actors()
    sender = actors.writer
    nonce = w3.eth.get_transaction_count(sender.address, "pending")
    tx = {
        "to": "0x000000000000000000000000000000000000dEaD",
        "value": 12345,
        "nonce": nonce,
        "chainId": w3.eth.chain_id,
        "gas": 21_000,
        "maxFeePerGas": 2 * w3.eth.gas_price,
        "maxPriorityFeePerGas": w3.eth.max_priority_fee,
    }
    tx_hash = w3.eth.send_raw_transaction(sender.sign_transaction(tx).raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.02)
    assert receipt["status"] == 1
    assert receipt["from"] == sender.address
    block = w3.eth.get_block(receipt["blockNumber"], full_transactions=True)
    assert block["hash"] == receipt["blockHash"]
    assert block["transactions"][receipt["transactionIndex"]]["hash"] == tx_hash
    assert w3.eth.get_block(block["hash"])["number"] == block["number"]
    fetched = w3.eth.get_transaction(tx_hash)
    assert fetched["value"] == 12345
    assert fetched["from"] == sender.address
    assert (
        w3.eth.get_transaction_by_block(block["number"], receipt["transactionIndex"])["hash"]
        == tx_hash
    )
    assert w3.eth.get_block_transaction_count(block["number"]) == len(block["transactions"])
    assert w3.eth.get_balance("0x000000000000000000000000000000000000dEaD") >= 12345
    history = w3.eth.fee_history(4, "latest", [25, 75])
    assert len(history["baseFeePerGas"]) == len(history["gasUsedRatio"]) + 1
    assert len(history["reward"]) == len(history["gasUsedRatio"])


def test_non_allowlisted_sender_is_rejected(w3: Web3) -> None:
    actors = make_actors()
    with pytest.raises(Web3RPCError) as refused:
        w3.eth.send_raw_transaction(signed_tx(actors.outsider, 0))
    assert refused.value.rpc_response is not None
    assert refused.value.rpc_response["error"]["code"] == -32003


def test_contract_call_estimate_storage_logs_and_filters(
    w3: Web3, node: NodeProcess, store_contract: str
) -> None:
    actors = make_actors()
    log_filter = w3.eth.filter({"address": store_contract, "fromBlock": "latest"})
    word = (0xBEEF).to_bytes(32, "big")
    estimate = w3.eth.estimate_gas(
        {"from": actors.writer.address, "to": store_contract, "data": word}
    )
    assert estimate > 21_000
    nonce = w3.eth.get_transaction_count(actors.writer.address, "pending")
    raw = signed_tx(
        actors.writer, nonce, to=bytes.fromhex(store_contract[2:]), data=word, gas=estimate, value=0
    )
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(raw), timeout=30, poll_latency=0.02
    )
    assert receipt["status"] == 1
    assert w3.eth.get_storage_at(store_contract, 0) == word
    assert w3.eth.get_code(store_contract).hex() == "600035806000556000523360206000a100"
    writer_topic = "0x" + address_of(actors.writer).rjust(32, b"\0").hex()
    logs = w3.eth.get_logs(
        {"fromBlock": 0, "toBlock": "latest", "address": store_contract, "topics": [writer_topic]}
    )
    assert any(bytes(entry["data"]) == word for entry in logs)
    assert (
        w3.eth.get_logs({"fromBlock": 0, "address": store_contract, "topics": ["0x" + "00" * 32]})
        == []
    )
    by_hash = w3.eth.get_logs({"blockHash": receipt["blockHash"]})
    assert [entry["transactionHash"] for entry in by_hash] == [receipt["transactionHash"]]
    changes = log_filter.get_new_entries()
    assert [bytes(entry["data"]) for entry in changes] == [word]
    assert log_filter.get_new_entries() == []
    assert w3.eth.uninstall_filter(log_filter.filter_id)


def test_get_proof_checks_against_the_state_root(w3: Web3, store_contract: str) -> None:
    block = w3.eth.get_block("latest")
    proof = w3.eth.get_proof(store_contract, [0, 1], block["number"])
    account_rlp = verify_trie_proof(
        bytes(block["stateRoot"]),
        bytes.fromhex(store_contract[2:]),
        [bytes(n) for n in proof["accountProof"]],
    )
    nonce, balance, storage_root, code_hash = rlp.decode(account_rlp)
    assert int.from_bytes(nonce, "big") == proof["nonce"] == 1
    assert int.from_bytes(balance, "big") == proof["balance"]
    assert storage_root == bytes(proof["storageHash"])
    assert code_hash == bytes(proof["codeHash"]) == keccak(bytes(w3.eth.get_code(store_contract)))
    stored = w3.eth.get_storage_at(store_contract, 0, block["number"])
    slot0, slot1 = proof["storageProof"]
    value = verify_trie_proof(
        storage_root, (0).to_bytes(32, "big"), [bytes(n) for n in slot0["proof"]]
    )
    assert int.from_bytes(rlp.decode(value), "big") == int.from_bytes(stored, "big")
    assert (
        verify_trie_proof(storage_root, (1).to_bytes(32, "big"), [bytes(n) for n in slot1["proof"]])
        == b""
    )
    assert int.from_bytes(slot0["value"], "big") == 0xBEEF
    assert int.from_bytes(slot1["value"], "big") == 0
    absent = w3.eth.get_proof(Web3.to_checksum_address("0x" + "ab" * 20), [], block["number"])
    assert (
        verify_trie_proof(
            bytes(block["stateRoot"]), b"\xab" * 20, [bytes(n) for n in absent["accountProof"]]
        )
        == b""
    )
    assert absent["balance"] == 0


def test_revert_is_error_code_3_with_data(node: NodeProcess) -> None:
    actors = make_actors()
    nonce = int(rpc(node.url, "eth_getTransactionCount", actors.operator.address, "pending"), 16)
    raw = signed_tx(
        actors.operator, nonce, to=None, data=init_code_for(REVERT_RUNTIME), gas=200_000, value=0
    )
    receipt = wait_for_receipt(node.url, rpc(node.url, "eth_sendRawTransaction", "0x" + raw.hex()))
    body = requests.post(
        node.url,
        json={
            "jsonrpc": "2.0",
            "id": 1,
            "method": "eth_call",
            "params": [{"to": receipt["contractAddress"]}, "latest"],
        },
        timeout=30,
    ).json()
    assert body["error"]["code"] == 3
    assert body["error"]["message"] == "execution reverted: no"
    assert body["error"]["data"].startswith("0x08c379a0")


def test_http_edge_cases(node: NodeProcess) -> None:
    parse = requests.post(
        node.url, data=b"{not json", headers={"Content-Type": "application/json"}, timeout=30
    )
    assert parse.status_code == 200
    assert parse.json()["error"]["code"] == -32700
    batch = requests.post(
        node.url,
        json=[{"jsonrpc": "2.0", "id": i, "method": "eth_blockNumber"} for i in range(5)],
        timeout=30,
    ).json()
    assert [r["id"] for r in batch] == list(range(5))
    only_notifications = requests.post(
        node.url, json=[{"jsonrpc": "2.0", "method": "eth_chainId"}], timeout=30
    )
    assert only_notifications.status_code == 204
    assert requests.get(node.url, timeout=30).status_code == 405
    assert rpc(node.url, "eth_chainId") == hex(CHAIN_ID)  # still serving


def test_a_browser_page_of_any_origin_may_ask_the_chain(node: NodeProcess) -> None:
    """CORS (docs/CHAIN.md, Browsers): the preflight a browser sends before a JSON-RPC POST
    from a page opened from a file (origin "null") is answered, and so is the POST; a
    refusal carries the header too, so the page can read why."""
    preflight = requests.options(
        node.url,
        headers={
            "Origin": "null",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
            "Access-Control-Request-Private-Network": "true",
        },
        timeout=30,
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert preflight.headers["Access-Control-Allow-Headers"].lower() == "content-type"
    assert preflight.headers["Access-Control-Allow-Private-Network"] == "true"
    plain = requests.options(node.url, headers={"Origin": "null"}, timeout=30)
    assert "Access-Control-Allow-Private-Network" not in plain.headers
    answer = requests.post(
        node.url,
        json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
        headers={"Origin": "null"},
        timeout=30,
    )
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert answer.json()["result"] == hex(CHAIN_ID)
    refused = requests.post(
        node.url, data=b"{not json", headers={"Content-Type": "application/json"}, timeout=30
    )
    assert refused.headers["Access-Control-Allow-Origin"] == "*"
    assert refused.json()["error"]["code"] == -32700


def test_clique_reads_are_served(node: NodeProcess) -> None:
    actors: Actors = make_actors()
    assert rpc(node.url, "clique_getSigners", "latest") == ["0x" + actors.sealer_address.hex()]
    assert rpc(node.url, "clique_proposals") == {}


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("clique_propose", ["0x" + "77" * 20, True]),
        ("clique_discard", ["0x" + "77" * 20]),
        ("evm_mine", []),
    ],
)
def test_authority_and_sealing_control_is_not_on_the_public_endpoint(
    node: NodeProcess, method: str, params: list[object]
) -> None:
    actors = make_actors()
    head = int(rpc(node.url, "eth_blockNumber"), 16)
    body = requests.post(
        node.url,
        json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params},
        timeout=30,
    ).json()
    assert body["error"]["code"] == -32601
    assert body["error"]["message"] == f"the method {method} does not exist/is not available"
    assert int(rpc(node.url, "eth_blockNumber"), 16) == head  # nothing sealed
    nonce = int(rpc(node.url, "eth_getTransactionCount", actors.writer.address, "pending"), 16)
    tx_hash = rpc(node.url, "eth_sendRawTransaction", "0x" + signed_tx(actors.writer, nonce).hex())
    block = rpc(
        node.url, "eth_getBlockByNumber", wait_for_receipt(node.url, tx_hash)["blockNumber"], False
    )
    assert block["miner"] == "0x" + "00" * 20  # no vote cast
    assert rpc(node.url, "clique_getSigners", "latest") == ["0x" + actors.sealer_address.hex()]
    assert rpc(node.url, "clique_proposals") == {}


def test_node_log_has_no_tracebacks(node: NodeProcess) -> None:
    assert "Traceback" not in Path(node.log_path).read_text()


def _post_raw(node: NodeProcess, body: bytes) -> requests.Response:
    return requests.post(
        node.url, data=body, headers={"Content-Type": "application/json"}, timeout=30
    )


@pytest.mark.parametrize("depth", [1_001, 100_000])
def test_deeply_nested_body_is_refused_and_the_node_keeps_serving(
    node: NodeProcess, depth: int
) -> None:
    response = _post_raw(node, b"[" * depth + b"]" * depth)
    assert response.status_code == 200
    error = response.json()["error"]
    assert error["code"] == -32700
    assert "nesting deeper than 32" in error["message"]
    assert rpc(node.url, "eth_chainId") == hex(CHAIN_ID)


def test_deep_nesting_inside_params_is_refused(node: NodeProcess) -> None:
    params = "[" * 5_000 + "]" * 5_000
    body = f'{{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":{params}}}'
    error = _post_raw(node, body.encode()).json()["error"]
    assert error["code"] == -32700
    assert "nesting deeper than 32" in error["message"]


def test_oversized_body_is_refused_before_it_is_read_whole(node: NodeProcess) -> None:
    body = b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":["' + b"a" * (5 << 20) + b'"]}'
    response = _post_raw(node, body)
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == -32600
    assert "body too large" in error["message"]
    assert str(4 * 1024 * 1024) in error["message"]
    assert rpc(node.url, "eth_chainId") == hex(CHAIN_ID)


@pytest.mark.parametrize(
    ("body", "fault"),
    [
        (b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[NaN]}', "NaN"),
        (b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[Infinity]}', "Infinity"),
        (b'{"jsonrpc":"2.0","id":1,"id":2,"method":"eth_chainId"}', "duplicate key 'id'"),
        (b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId","x":"\xff"}', "not UTF-8"),
        (b'\xef\xbb\xbf{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}', "byte order mark"),
        (b'{"jsonrpc":"2.0","id":1', "line 1 column"),
    ],
)
def test_strict_json_faults_are_parse_errors_naming_the_fault(
    node: NodeProcess, body: bytes, fault: str
) -> None:
    response = _post_raw(node, body)
    assert response.status_code == 200
    error = response.json()["error"]
    assert error["code"] == -32700
    assert fault in error["message"]


def test_batch_over_the_limit_is_an_invalid_request_naming_both_numbers(
    node: NodeProcess,
) -> None:
    batch = [{"jsonrpc": "2.0", "id": i, "method": "eth_chainId"} for i in range(1_001)]
    body = requests.post(node.url, json=batch, timeout=30).json()
    assert body["error"]["code"] == -32600
    assert "batch too large" in body["error"]["message"]
    assert "1000" in body["error"]["message"]
    assert "1001" in body["error"]["message"]
