"""JSON-RPC dispatch without HTTP: request shapes, batches and error codes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evanchor.node.chain.embedded import EmbeddedChain
from evanchor.node.chain.rpc import RpcContext, handle_payload, supported_methods

from chain_helpers import Actors, signed_tx


@pytest.fixture
def ctx(chain: EmbeddedChain) -> RpcContext:
    return RpcContext(chain)


def call(ctx: RpcContext, method: str, *params: Any) -> dict[str, Any]:
    response = handle_payload(
        ctx, {"jsonrpc": "2.0", "id": 7, "method": method, "params": list(params)}
    )
    assert isinstance(response, dict)
    assert response["id"] == 7
    return response


def test_result_and_error_shapes(ctx: RpcContext) -> None:
    assert call(ctx, "eth_chainId")["result"] == hex(ctx.chain.chain_id)
    missing = call(ctx, "eth_noSuchThing")
    assert missing["error"]["code"] == -32601
    bad = call(ctx, "eth_getBalance", "0x1234")
    assert bad["error"]["code"] == -32602
    assert "address" in bad["error"]["message"]
    unknown = call(ctx, "eth_getBalance", "0x" + "00" * 20, "0x99")
    assert unknown["error"]["code"] == -32001
    assert call(ctx, "eth_getBlockByNumber", "0x99", False)["result"] is None


@pytest.mark.parametrize(
    "request_body",
    [
        42,
        {"jsonrpc": "1.0", "id": 1, "method": "eth_chainId"},
        {"jsonrpc": "2.0", "id": 1},
        {"jsonrpc": "2.0", "id": [1], "method": "eth_chainId"},
    ],
)
def test_invalid_requests(ctx: RpcContext, request_body: Any) -> None:
    response = handle_payload(ctx, request_body)
    assert isinstance(response, dict)
    assert response["error"]["code"] == -32600


def test_params_by_name_are_refused(ctx: RpcContext) -> None:
    response = handle_payload(
        ctx, {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": {}}
    )
    assert isinstance(response, dict)
    assert response["error"]["code"] == -32602


def test_batches_and_notifications(ctx: RpcContext) -> None:
    batch = [
        {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber"},
        {"jsonrpc": "2.0", "method": "eth_blockNumber"},  # notification: no response
        {"jsonrpc": "2.0", "id": 2, "method": "nope"},
        "garbage",
    ]
    responses = handle_payload(ctx, batch)
    assert isinstance(responses, list)
    assert [r.get("id") for r in responses] == [1, 2, None]
    assert responses[0]["result"] == "0x0"
    assert responses[1]["error"]["code"] == -32601
    assert responses[2]["error"]["code"] == -32600
    assert handle_payload(ctx, [])["error"]["code"] == -32600
    assert handle_payload(ctx, {"jsonrpc": "2.0", "method": "eth_chainId"}) is None


def test_transaction_errors_carry_codes(ctx: RpcContext, actors: Actors) -> None:
    outsider = call(ctx, "eth_sendRawTransaction", "0x" + signed_tx(actors.outsider, 0).hex())
    assert outsider["error"]["code"] == -32003
    assert "allowlist" in outsider["error"]["message"]
    garbage = call(ctx, "eth_sendRawTransaction", "0x02c0")
    assert garbage["error"]["code"] == -32602
    sent = call(ctx, "eth_sendRawTransaction", "0x" + signed_tx(actors.writer, 0).hex())
    tx_hash = sent["result"]
    pending = call(ctx, "eth_getTransactionByHash", tx_hash)["result"]
    assert pending["blockNumber"] is None
    assert call(ctx, "eth_getTransactionCount", actors.writer.address, "pending")["result"] == "0x1"
    assert call(ctx, "eth_getTransactionCount", actors.writer.address, "latest")["result"] == "0x0"
    assert call(ctx, "eth_getTransactionReceipt", tx_hash)["result"] is None
    assert ctx.chain.seal_block() is not None
    receipt = call(ctx, "eth_getTransactionReceipt", tx_hash)["result"]
    assert receipt["status"] == "0x1"
    assert receipt["blockNumber"] == "0x1"
    stale = call(ctx, "eth_sendRawTransaction", "0x" + signed_tx(actors.writer, 0).hex())
    assert stale["error"]["code"] == -32000
    assert "nonce too low" in stale["error"]["message"]


def test_supported_methods_cover_the_standard_set() -> None:
    wanted = {
        "eth_chainId", "eth_blockNumber", "eth_getBlockByNumber", "eth_getBlockByHash",
        "eth_getTransactionByHash", "eth_getTransactionReceipt", "eth_getTransactionCount",
        "eth_getBalance", "eth_getCode", "eth_getStorageAt", "eth_call", "eth_estimateGas",
        "eth_gasPrice", "eth_feeHistory", "eth_maxPriorityFeePerGas", "eth_sendRawTransaction",
        "eth_getLogs", "eth_getProof", "eth_syncing", "net_version", "web3_clientVersion",
    }  # fmt: skip
    assert wanted <= set(supported_methods())


SPECIAL_STRINGS = ["0x", "0x0", "0x1", "latest", "pending", "earliest", "0x" + "ab" * 20]
CALL_KEYS = ["from", "to", "data", "input", "gas", "value", "gasPrice", "maxFeePerGas"]
FILTER_KEYS = ["address", "topics", "fromBlock", "toBlock", "blockHash", "blockNumber"]
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.text(max_size=70)
    | st.sampled_from([*SPECIAL_STRINGS, "0x" + "cd" * 32])
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(CALL_KEYS + FILTER_KEYS), children, max_size=4)
    ),
    max_leaves=8,
)
ALLOWED_CODES = {-32700, -32600, -32601, -32602, -32000, -32001, -32003, -32005, 3}


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    method=st.sampled_from(sorted(supported_methods())), params=st.lists(JSON_VALUES, max_size=4)
)
def test_any_parameters_get_a_json_rpc_answer_not_a_crash(
    ctx: RpcContext, method: str, params: list[Any]
) -> None:
    response = handle_payload(ctx, {"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
    assert isinstance(response, dict)
    assert ("result" in response) != ("error" in response)
    if "error" in response:
        assert response["error"]["code"] in ALLOWED_CODES, response
    json.dumps(response)


@pytest.mark.parametrize("raw", ["0x0", "0X00", "0x7f", "0x05c0"])
def test_an_unknown_transaction_type_is_an_invalid_transaction(ctx: RpcContext, raw: str) -> None:
    """Found by the property test above: a one-byte typed envelope of an unknown type was
    an internal error (-32603) instead of a refusal of the transaction."""
    answer = call(ctx, "eth_sendRawTransaction", raw)
    assert answer["error"]["code"] != -32603, answer
    assert "invalid transaction" in answer["error"]["message"]


def test_block_and_log_filters_report_their_own_kind(ctx: RpcContext, actors: Actors) -> None:
    """A block filter reports new blocks' hashes; a log filter logs, and only a log filter
    answers eth_getFilterLogs."""
    blocks = call(ctx, "eth_newBlockFilter")["result"]
    logs = call(ctx, "eth_newFilter", {"fromBlock": "latest"})["result"]
    assert call(ctx, "eth_getFilterChanges", blocks)["result"] == []
    ctx.chain.add_transaction(signed_tx(actors.writer, 0))
    assert ctx.chain.seal_block() is not None
    head = call(ctx, "eth_getBlockByNumber", "latest", False)["result"]["hash"]
    assert call(ctx, "eth_getFilterChanges", blocks)["result"] == [head]
    assert call(ctx, "eth_getFilterChanges", logs)["result"] == []  # a transfer logs nothing
    assert call(ctx, "eth_getFilterLogs", logs)["result"] == []
    refused = call(ctx, "eth_getFilterLogs", blocks)
    assert refused["error"]["code"] == -32000
    assert refused["error"]["message"] == "filter is not a log filter"
