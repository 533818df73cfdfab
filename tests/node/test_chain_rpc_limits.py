"""What one JSON-RPC request may cost: gas and time for EVM calls, log ranges and results,
a batch's work, and the execution threads; and that a request at its limit does not hold
up the sealer or other requests (a real endpoint on 127.0.0.1, in process)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from aiohttp import web

from evanchor.node.chain.embedded import EmbeddedChain
from evanchor.node.chain.rpc import RpcContext, RpcLimits, handle_payload
from evanchor.node.chain.rpc_http import EXECUTION_POOL, ExecutionPool, create_rpc_app

from chain_helpers import Actors, init_code_for, signed_tx

# Hand-written runtimes (no compiler):
# JUMPDEST PUSH1 0 JUMP: loops until the gas runs out (12 gas a turn).
INFINITE_LOOP = bytes.fromhex("5b600056")
# GAS PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN: returns the gas it was given, less 2.
GAS_LEFT = bytes.fromhex("5a60005260206000f3")
# PUSH1 0 DUP1 DUP1 DUP1 DUP1 ADDRESS GAS CALL STOP: calls itself as deep as gas allows.
SELF_CALL = bytes.fromhex("60008080808030" + "5af100")

HUGE_GAS = hex(2**63)


def deploy(chain: EmbeddedChain, actors: Actors, runtime: bytes) -> str:
    nonce = chain.nonce(bytes.fromhex(actors.operator.address[2:]), pending=True)
    raw = signed_tx(actors.operator, nonce, to=None, data=init_code_for(runtime), gas=200_000)
    tx_hash = chain.add_transaction(raw)
    assert chain.seal_block() is not None
    receipt = chain.receipt(tx_hash)
    assert receipt is not None
    assert receipt.succeeded
    assert receipt.contract_address is not None
    return "0x" + receipt.contract_address.hex()


def request(method: str, *params: Any, identifier: int = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": identifier, "method": method, "params": list(params)}


def answer(ctx: RpcContext, method: str, *params: Any) -> dict[str, Any]:
    response = handle_payload(ctx, request(method, *params))
    assert isinstance(response, dict)
    return response


# -- gas ---------------------------------------------------------------------------------


def test_call_gas_above_the_block_gas_limit_is_lowered_to_it(
    chain: EmbeddedChain, actors: Actors
) -> None:
    contract = deploy(chain, actors, GAS_LEFT)
    ctx = RpcContext(chain)
    given = answer(ctx, "eth_call", {"to": contract, "gas": HUGE_GAS}, "latest")["result"]
    limit = chain.head.gas_limit
    # The call got the block gas limit less the 21,000 intrinsic gas; GAS itself costs 2.
    assert int(given, 16) == limit - 21_000 - 2
    lower = answer(ctx, "eth_call", {"to": contract, "gas": hex(100_000)}, "latest")["result"]
    assert int(lower, 16) == 100_000 - 21_000 - 2


def test_an_infinite_loop_with_huge_gas_ends_with_a_time_limit_error(
    chain: EmbeddedChain, actors: Actors
) -> None:
    contract = deploy(chain, actors, INFINITE_LOOP)
    ctx = RpcContext(chain, limits=RpcLimits(call_seconds=0.2))
    for method in ("eth_call", "eth_estimateGas"):
        error = answer(ctx, method, {"to": contract, "gas": HUGE_GAS}, "latest")["error"]
        assert error["code"] == -32005, error
        assert error["message"] == "execution aborted: time limit of 0.2 s reached"


# -- logs and batches ------------------------------------------------------------------------


def grow(chain: EmbeddedChain, blocks: int) -> None:
    for _ in range(blocks):
        assert chain.seal_block(allow_empty=True) is not None


def test_a_log_query_over_the_block_range_limit_is_refused(chain: EmbeddedChain) -> None:
    grow(chain, 12)
    ctx = RpcContext(chain, limits=RpcLimits(max_log_blocks=10))
    error = answer(ctx, "eth_getLogs", {"fromBlock": "0x0", "toBlock": "latest"})["error"]
    assert error["code"] == -32005
    assert error["message"] == "log query too large: block range limit 10, asked for 13"
    assert answer(ctx, "eth_getLogs", {"fromBlock": "0x3", "toBlock": "0xc"})["result"] == []


def test_a_batch_of_a_thousand_full_range_log_queries_is_held_to_the_work_budget(
    chain: EmbeddedChain,
) -> None:
    grow(chain, 39)  # 40 blocks: each full-range query costs 40 units
    ctx = RpcContext(chain)
    budget = ctx.limits.body_work
    batch = [
        request("eth_getLogs", {"fromBlock": "earliest", "toBlock": "latest"}, identifier=i)
        for i in range(1000)
    ]
    responses = handle_payload(ctx, batch)
    assert isinstance(responses, list)
    assert [r["id"] for r in responses] == list(range(1000))
    answered = [r for r in responses if "result" in r]
    refused = [r for r in responses if "error" in r]
    assert len(answered) == budget // 40  # every unit charged before the work is done
    assert responses[: len(answered)] == answered
    assert {r["error"]["code"] for r in refused} == {-32005}
    assert refused[0]["error"]["message"] == (
        f"request work limit exceeded: a body may cost {budget} units; "
        f"this log query costs 40 with {budget - 40 * len(answered)} left"
    )


def test_every_request_of_a_batch_costs_at_least_one_unit(chain: EmbeddedChain) -> None:
    ctx = RpcContext(chain, limits=RpcLimits(body_work=3))
    responses = handle_payload(ctx, [request("eth_blockNumber", identifier=i) for i in range(5)])
    assert isinstance(responses, list)
    assert ["result" in r for r in responses] == [True, True, True, False, False]


def test_a_batch_of_calls_draws_on_the_same_budget(chain: EmbeddedChain, actors: Actors) -> None:
    contract = deploy(chain, actors, GAS_LEFT)
    ctx = RpcContext(chain, limits=RpcLimits(body_work=2_500, call_work=1_000))
    batch = [request("eth_call", {"to": contract}, "latest", identifier=i) for i in range(4)]
    responses = handle_payload(ctx, batch)
    assert isinstance(responses, list)
    assert ["result" in r for r in responses] == [True, True, False, False]


# -- a real endpoint: the event loop keeps serving while a call runs to its limit ------------


@dataclass(frozen=True)
class Served:
    url: str
    pool: ExecutionPool


@contextlib.contextmanager
def served(chain: EmbeddedChain, limits: RpcLimits) -> Iterator[Served]:
    """The chain's JSON-RPC (with the sealer) on a free 127.0.0.1 port, on a thread."""
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    ready = threading.Event()
    app = create_rpc_app(chain, limits=limits)
    url: list[str] = []

    async def main() -> None:
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        host, port = runner.addresses[0][:2]
        url.append(f"http://{host}:{port}")
        ready.set()
        await stop.wait()
        await runner.cleanup()

    thread = threading.Thread(target=lambda: loop.run_until_complete(main()), daemon=True)
    thread.start()
    assert ready.wait(30)
    try:
        yield Served(url[0], app[EXECUTION_POOL])
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(30)
        loop.close()


def post(url: str, body: Any) -> Any:
    return requests.post(url, json=body, timeout=60).json()


def test_while_a_call_runs_to_its_time_limit_the_node_answers_and_seals(
    chain: EmbeddedChain, actors: Actors
) -> None:
    contract = deploy(chain, actors, INFINITE_LOOP)
    # A limit far above what the other requests need, so their order is not a race.
    with served(chain, RpcLimits(call_seconds=5.0)) as node:
        url = node.url
        outcome: list[Any] = []
        caller = threading.Thread(
            target=lambda: outcome.append(
                post(url, request("eth_call", {"to": contract, "gas": HUGE_GAS}))
            )
        )
        caller.start()
        while node.pool.in_flight == 0 and not outcome:
            time.sleep(0.001)  # until the call is running on an execution thread
        assert not outcome
        head = int(post(url, request("eth_blockNumber"))["result"], 16)
        raw = signed_tx(actors.writer, 0)
        tx_hash = post(url, request("eth_sendRawTransaction", "0x" + raw.hex()))["result"]
        receipt = None
        while receipt is None and not outcome:
            receipt = post(url, request("eth_getTransactionReceipt", tx_hash))["result"]
        assert not outcome, "the call ended before the other requests were served"
        assert receipt is not None
        assert int(receipt["blockNumber"], 16) == head + 1
        caller.join(60)
    error = outcome[0]["error"]
    assert error["code"] == -32005
    assert error["message"] == "execution aborted: time limit of 5.0 s reached"


def test_calls_beyond_the_execution_threads_and_queue_are_refused_at_once(
    chain: EmbeddedChain, actors: Actors
) -> None:
    contract = deploy(chain, actors, INFINITE_LOOP)
    limits = RpcLimits(call_seconds=5.0, execution_threads=1, max_executions=1)
    with served(chain, limits) as node:
        url = node.url
        outcomes: list[Any] = []
        callers = [
            threading.Thread(
                target=lambda: outcomes.append(post(url, request("eth_call", {"to": contract})))
            )
            for _ in range(2)
        ]
        for caller in callers:
            caller.start()
        for caller in callers:
            caller.join(60)
    messages = sorted(outcome["error"]["message"] for outcome in outcomes)
    assert messages == [
        "execution aborted: time limit of 5.0 s reached",
        "server busy: 1 heavy requests (calls, log queries, proofs) running or queued,"
        " the limit; retry later",
    ]
    assert {outcome["error"]["code"] for outcome in outcomes} == {-32005}


def test_deep_self_calls_run_off_the_loop_without_harm(
    chain: EmbeddedChain, actors: Actors
) -> None:
    contract = deploy(chain, actors, SELF_CALL)
    with served(chain, RpcLimits()) as node:
        body = post(node.url, request("eth_call", {"to": contract, "gas": HUGE_GAS}))
        assert body["result"] == "0x"
        assert post(node.url, request("eth_chainId"))["result"] == hex(chain.chain_id)


@pytest.mark.parametrize("method", ["eth_call", "eth_estimateGas"])
def test_deep_self_calls_estimate_and_call_on_the_dispatch_path(
    chain: EmbeddedChain, actors: Actors, method: str
) -> None:
    contract = deploy(chain, actors, SELF_CALL)
    response = answer(RpcContext(chain), method, {"to": contract}, "latest")
    assert "result" in response, response
