"""JSON-RPC 2.0 dispatch for the embedded chain: the standard ``eth_*``, ``net_*`` and
``web3_*`` methods, plus the Clique reads ``clique_getSigners`` and ``clique_proposals``.

Nothing here changes who seals or what is sealed: the endpoint has no authentication, so
authority votes and manual sealing are operator actions on the stopped node's data
directory (`evanchor chain propose`, `discard`, `seal`), never methods (geth's
``clique_propose`` and anvil's ``evm_mine`` answer -32601 here).

Methods are plain functions of (context, params) registered by their RPC name. Nothing
here touches HTTP: `handle_payload` takes a decoded JSON document (one request or a
batch) and returns the response document, so any transport can carry it;
`handle_payload_async` is the same for an event loop, with the heavy part of a request run
off the loop.

What one request may cost is bounded (`RpcLimits`, each limit's reason in docs/CHAIN.md):
a body (one request or a batch) draws on a work budget and must be answered within a time
limit; EVM execution gets at most the block gas limit and a time limit of its own; log
queries are capped in blocks and results. Methods whose work can take long (EVM
execution, log scans, proofs, fee history) return an `Offload`: the part that reads
mutable state (the head, installed filters) runs at once, the rest where the transport
puts it — an execution thread for `handle_payload_async`.

Error codes: -32700 parse error, -32600 invalid request, -32601 method not found,
-32602 invalid params, -32603 internal error (EIP-1474 / JSON-RPC 2.0); -32000 for
refused transactions (nonce, fees, funds, as geth), -32003 transaction rejected (sender
not allowlisted), -32001 resource not found (unknown block for a state query),
-32005 limit exceeded (any of `RpcLimits`, and a busy server), 3 execution reverted (with
the revert data).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from importlib.metadata import version
from typing import Any

from eth.abc import BlockHeaderAPI
from eth.vm.forks.london.headers import calculate_expected_base_fee_per_gas
from eth_hash.auto import keccak

from evanchor.node.chain.embedded import CallRequest, EmbeddedChain, TimeLimit
from evanchor.node.chain.errors import (
    ChainError,
    ExecutionReverted,
    TimeLimitReached,
    TransactionRejected,
    UnknownBlock,
)
from evanchor.node.chain.logs import (
    MAX_BLOCK_RANGE,
    MAX_RESULTS,
    LogFilter,
    LogQueryTooLarge,
    check_range,
    logs_in,
    query_logs,
)
from evanchor.node.chain.proof import account_proof
from evanchor.node.chain.rpc_format import (
    Json,
    address,
    data,
    format_block,
    format_log,
    format_receipt,
    format_transaction,
    quantity,
    word,
)

log = logging.getLogger(__name__)

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
SERVER_ERROR = -32000
RESOURCE_NOT_FOUND = -32001
LIMIT_EXCEEDED = -32005
EXECUTION_REVERTED = 3

MAX_BATCH = 1000  # requests per batch, as geth's default
MAX_FEE_HISTORY_BLOCKS = 1024
MAX_FILTERS = 1000
SUGGESTED_TIP = 10**9  # 1 gwei: the tip suggested by eth_maxPriorityFeePerGas


@dataclass(frozen=True)
class RpcLimits:
    """What one request body may cost. The defaults are the node's; docs/CHAIN.md says why.

    - `max_batch`: requests in one batch.
    - `body_work`: the work budget of a body, in units: a request costs 1, an EVM execution
      (`eth_call`, `eth_estimateGas`) `call_work`, a log query or block filter poll one per
      block of its range, `eth_feeHistory` one per block, `eth_getProof` one per key plus
      one. Each is charged before its work; one the budget cannot pay is answered -32005.
    - `body_seconds`: a body's time limit. A request not yet started when it passes is
      answered -32005; work running then is abandoned.
    - `call_seconds`: one EVM execution's time limit (an estimate's runs share it). Gas is
      capped at the block gas limit besides (`EmbeddedChain.gas_cap`).
    - `max_log_blocks`, `max_log_results`: one log query's range and results.
    - `execution_threads`, `max_executions`: threads for offloaded work, and how many
      offloaded requests may be running or queued at once (more are answered -32005 busy).
    """

    max_batch: int = MAX_BATCH
    body_work: int = 10_000
    body_seconds: float = 10.0
    call_work: int = 1_000
    call_seconds: float = 2.0
    max_log_blocks: int = MAX_BLOCK_RANGE
    max_log_results: int = MAX_RESULTS
    execution_threads: int = 2
    max_executions: int = 8


class RpcError(Exception):
    """A JSON-RPC error response: code, message and optional data."""

    def __init__(self, code: int, message: str, data: Json = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


class FilterKind(StrEnum):
    """What an installed filter reports: new blocks' hashes, or matching logs."""

    LOGS = "logs"
    BLOCKS = "blocks"


@dataclass
class _Filter:
    kind: FilterKind
    log_filter: LogFilter
    first: int
    last: int | None
    next_block: int


@dataclass
class RpcContext:
    """What the methods act on: the chain, the limits and the server's installed filters."""

    chain: EmbeddedChain
    limits: RpcLimits = field(default_factory=RpcLimits)
    client_version: str = field(
        default_factory=lambda: f"evanchor/{version('evanchor')}/py-evm-{version('py-evm')}"
    )
    filters: OrderedDict[str, _Filter] = field(default_factory=OrderedDict)
    filter_counter: int = 0


class Budget:
    """The work units and the deadline one request body has left (see `RpcLimits`)."""

    def __init__(self, limits: RpcLimits) -> None:
        self.limits = limits
        self.units_left = limits.body_work
        self.deadline = time.monotonic() + limits.body_seconds

    def charge(self, units: int, what: str) -> None:
        """Take `units` for `what` before doing it; -32005 if they are not left."""
        if units > self.units_left:
            raise RpcError(
                LIMIT_EXCEEDED,
                f"request work limit exceeded: a body may cost {self.limits.body_work} units;"
                f" this {what} costs {units} with {self.units_left} left",
            )
        self.units_left -= units

    def time_limit(self, seconds: float | None = None) -> TimeLimit:
        """The earlier of the body's deadline and `seconds` from now, with the limit that
        binds (what a `TimeLimitReached` will report)."""
        if seconds is not None and time.monotonic() + seconds < self.deadline:
            return TimeLimit(time.monotonic() + seconds, seconds)
        return TimeLimit(self.deadline, self.limits.body_seconds)


@dataclass(frozen=True)
class Offload:
    """What a method leaves to run where the transport says (an execution thread).

    `run(limit)` may read only what `EmbeddedChain` allows off its owner's thread (data
    that never changes once written); the method has already read the head, resolved the
    blocks and charged the budget. `seconds` is the work's own time limit (None: only the
    body's).
    """

    run: Callable[[TimeLimit], Json]
    seconds: float | None = None


Method = Callable[[RpcContext, "Params"], "Json | Offload"]
METHODS: dict[str, Method] = {}
PRICED: set[str] = set()
"""Methods that charge the budget themselves; every other request costs one unit."""


def method(name: str, *, priced: bool = False) -> Callable[[Method], Method]:
    def register(function: Method) -> Method:
        METHODS[name] = function
        if priced:
            PRICED.add(name)
        return function

    return register


# -- parameter parsing ------------------------------------------------------------------


def _invalid(message: str) -> RpcError:
    return RpcError(INVALID_PARAMS, message)


def parse_quantity(value: object, what: str = "quantity") -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value[:2] in ("0x", "0X") and len(value) > 2:
        try:
            return int(value[2:], 16)
        except ValueError:
            pass
    raise _invalid(f"invalid {what}: expected 0x-prefixed hex, found {value!r}")


def parse_data(value: object, what: str = "data") -> bytes:
    if isinstance(value, str) and value[:2] in ("0x", "0X"):
        digits = value[2:]
        if len(digits) % 2:
            digits = "0" + digits
        try:
            return bytes.fromhex(digits)
        except ValueError:
            pass
    raise _invalid(f"invalid {what}: expected 0x-prefixed hex bytes, found {value!r}")


def parse_address(value: object) -> bytes:
    raw = parse_data(value, "address")
    if len(raw) != 20:
        raise _invalid(f"invalid address: expected 20 bytes, found {len(raw)}")
    return raw


def parse_hash(value: object) -> bytes:
    raw = parse_data(value, "hash")
    if len(raw) != 32:
        raise _invalid(f"invalid hash: expected 32 bytes, found {len(raw)}")
    return raw


def parse_word(value: object) -> int:
    raw = parse_data(value, "storage key")
    if len(raw) > 32:
        raise _invalid(f"invalid storage key: expected at most 32 bytes, found {len(raw)}")
    return int.from_bytes(raw, "big")


class Params:
    """Positional parameters of one call, with typed accessors that raise -32602, and the
    budget of the body it came in (which a priced method charges)."""

    def __init__(self, values: list[Json], budget: Budget) -> None:
        self.values = values
        self.budget = budget

    def count_at_most(self, maximum: int) -> None:
        if len(self.values) > maximum:
            raise _invalid(
                f"too many parameters: expected at most {maximum}, found {len(self.values)}"
            )

    def get(self, index: int, default: Json = None) -> Json:
        return self.values[index] if index < len(self.values) else default

    def require(self, index: int, name: str) -> Json:
        if index >= len(self.values) or self.values[index] is None:
            raise _invalid(f"missing parameter {index}: {name}")
        return self.values[index]


# -- blocks by tag, number or hash ------------------------------------------------------


def resolve_block(ctx: RpcContext, value: Json, *, default: str = "latest") -> BlockHeaderAPI:
    """A block parameter: tag, number, or EIP-1898 object. Raises `UnknownBlock`."""
    chain = ctx.chain
    if value is None:
        value = default
    if isinstance(value, dict):
        if "blockHash" in value:
            return chain.header_by_hash(parse_hash(value["blockHash"]))
        if "blockNumber" in value:
            value = value["blockNumber"]
        else:
            raise _invalid("block object needs blockHash or blockNumber")
    if value in ("latest", "pending", "safe", "finalized"):
        return chain.head
    if value == "earliest":
        return chain.header_by_number(0)
    if isinstance(value, str) and len(value) == 66:
        return chain.header_by_hash(parse_hash(value))
    return chain.header_by_number(parse_quantity(value, "block number"))


def state_header(ctx: RpcContext, value: Json) -> BlockHeaderAPI:
    try:
        return resolve_block(ctx, value)
    except UnknownBlock as error:
        raise RpcError(RESOURCE_NOT_FOUND, f"header not found: {error.identifier}") from None


def block_number_of(ctx: RpcContext, value: Json, default: str) -> int:
    if value is None:
        value = default
    if value in ("latest", "pending", "safe", "finalized"):
        return ctx.chain.head.block_number
    if value == "earliest":
        return 0
    return parse_quantity(value, "block number")


# -- web3_, net_ ------------------------------------------------------------------------


@method("web3_clientVersion")
def web3_client_version(ctx: RpcContext, params: Params) -> Json:
    return ctx.client_version


@method("web3_sha3")
def web3_sha3(ctx: RpcContext, params: Params) -> Json:
    return data(keccak(parse_data(params.require(0, "data"))))


@method("net_version")
def net_version(ctx: RpcContext, params: Params) -> Json:
    return str(ctx.chain.chain_id)


@method("net_listening")
def net_listening(ctx: RpcContext, params: Params) -> Json:
    return True


@method("net_peerCount")
def net_peer_count(ctx: RpcContext, params: Params) -> Json:
    return quantity(0)


# -- chain identity and status ------------------------------------------------------------


@method("eth_chainId")
def eth_chain_id(ctx: RpcContext, params: Params) -> Json:
    return quantity(ctx.chain.chain_id)


@method("eth_blockNumber")
def eth_block_number(ctx: RpcContext, params: Params) -> Json:
    return quantity(ctx.chain.head.block_number)


@method("eth_syncing")
def eth_syncing(ctx: RpcContext, params: Params) -> Json:
    return False


@method("eth_mining")
def eth_mining(ctx: RpcContext, params: Params) -> Json:
    return ctx.chain.sealer is not None


@method("eth_hashrate")
def eth_hashrate(ctx: RpcContext, params: Params) -> Json:
    return quantity(0)


@method("eth_coinbase")
def eth_coinbase(ctx: RpcContext, params: Params) -> Json:
    sealer = ctx.chain.sealer
    if sealer is None:
        raise RpcError(SERVER_ERROR, "this node has no sealer key")
    return address(sealer)


@method("eth_accounts")
def eth_accounts(ctx: RpcContext, params: Params) -> Json:
    return []  # the node holds no user keys: clients sign locally


@method("eth_protocolVersion")
def eth_protocol_version(ctx: RpcContext, params: Params) -> Json:
    return quantity(68)


# -- fees --------------------------------------------------------------------------------


@method("eth_gasPrice")
def eth_gas_price(ctx: RpcContext, params: Params) -> Json:
    return quantity(ctx.chain.next_base_fee() + SUGGESTED_TIP)


@method("eth_maxPriorityFeePerGas")
def eth_max_priority_fee_per_gas(ctx: RpcContext, params: Params) -> Json:
    return quantity(SUGGESTED_TIP)


def _reward_percentiles(
    ctx: RpcContext, header: BlockHeaderAPI, percentiles: list[float]
) -> list[str]:
    """Effective tips at the given gas-weighted percentiles of one block (geth's method)."""
    infos = ctx.chain.receipts(header)
    if not infos:
        return [quantity(0) for _ in percentiles]
    base_fee = header.base_fee_per_gas or 0
    tips = sorted((info.effective_gas_price - base_fee, info.gas_used) for info in infos)
    total = sum(gas for _, gas in tips)
    out = []
    for percentile in percentiles:
        threshold = total * percentile / 100
        cumulative = 0
        chosen = tips[-1][0]
        for tip, gas in tips:
            cumulative += gas
            if cumulative >= threshold:
                chosen = tip
                break
        out.append(quantity(chosen))
    return out


@method("eth_feeHistory", priced=True)
def eth_fee_history(ctx: RpcContext, params: Params) -> Json | Offload:
    count = min(
        parse_quantity(params.require(0, "blockCount"), "blockCount"), MAX_FEE_HISTORY_BLOCKS
    )
    newest = state_header(ctx, params.require(1, "newestBlock"))
    percentiles_raw = params.get(2) or []
    if not isinstance(percentiles_raw, list) or not all(
        isinstance(p, int | float) and 0 <= p <= 100 for p in percentiles_raw
    ):
        raise _invalid("rewardPercentiles: expected a list of numbers in 0..100")
    if list(percentiles_raw) != sorted(percentiles_raw):
        raise _invalid("rewardPercentiles: expected ascending values")
    if count == 0:
        params.budget.charge(1, "fee history")
        return {
            "oldestBlock": quantity(newest.block_number),
            "baseFeePerGas": [],
            "gasUsedRatio": [],
        }
    oldest = max(0, newest.block_number - count + 1)
    params.budget.charge(max(1, newest.block_number - oldest + 1), "fee history")
    percentiles = list(percentiles_raw)

    def history(limit: TimeLimit) -> Json:
        headers = [ctx.chain.header_by_number(n) for n in range(oldest, newest.block_number + 1)]
        result: dict[str, Json] = {
            "oldestBlock": quantity(oldest),
            "baseFeePerGas": [quantity(h.base_fee_per_gas or 0) for h in headers]
            + [quantity(calculate_expected_base_fee_per_gas(newest))],
            "gasUsedRatio": [h.gas_used / h.gas_limit for h in headers],
        }
        if percentiles:
            result["reward"] = [_reward_percentiles(ctx, h, percentiles) for h in headers]
        return result

    return Offload(history)


# -- blocks --------------------------------------------------------------------------------


def _block_or_none(ctx: RpcContext, value: Json, full: Json) -> Json:
    try:
        header = resolve_block(ctx, value)
    except UnknownBlock:
        return None
    return format_block(ctx.chain, ctx.chain.block(header), bool(full))


@method("eth_getBlockByNumber")
def eth_get_block_by_number(ctx: RpcContext, params: Params) -> Json:
    return _block_or_none(ctx, params.require(0, "block"), params.get(1, False))


@method("eth_getBlockByHash")
def eth_get_block_by_hash(ctx: RpcContext, params: Params) -> Json:
    block_hash = parse_hash(params.require(0, "blockHash"))
    return _block_or_none(ctx, {"blockHash": data(block_hash)}, params.get(1, False))


def _transaction_count(ctx: RpcContext, value: Json) -> Json:
    try:
        header = resolve_block(ctx, value)
    except UnknownBlock:
        return None
    return quantity(len(ctx.chain.block(header).transactions))


@method("eth_getBlockTransactionCountByNumber")
def eth_get_block_transaction_count_by_number(ctx: RpcContext, params: Params) -> Json:
    return _transaction_count(ctx, params.require(0, "block"))


@method("eth_getBlockTransactionCountByHash")
def eth_get_block_transaction_count_by_hash(ctx: RpcContext, params: Params) -> Json:
    return _transaction_count(ctx, {"blockHash": data(parse_hash(params.require(0, "blockHash")))})


@method("eth_getUncleCountByBlockNumber")
def eth_get_uncle_count_by_block_number(ctx: RpcContext, params: Params) -> Json:
    return quantity(0)


@method("eth_getUncleCountByBlockHash")
def eth_get_uncle_count_by_block_hash(ctx: RpcContext, params: Params) -> Json:
    return quantity(0)


@method("eth_getBlockReceipts")
def eth_get_block_receipts(ctx: RpcContext, params: Params) -> Json:
    try:
        header = resolve_block(ctx, params.require(0, "block"))
    except UnknownBlock:
        return None
    return [format_receipt(info) for info in ctx.chain.receipts(header)]


# -- transactions and receipts --------------------------------------------------------------


@method("eth_getTransactionByHash")
def eth_get_transaction_by_hash(ctx: RpcContext, params: Params) -> Json:
    tx_hash = parse_hash(params.require(0, "transactionHash"))
    location = ctx.chain.transaction(tx_hash)
    if location is not None:
        sender = bytes(location.transaction.sender)
        return format_transaction(location.transaction, sender, location.header, location.index)
    pending = ctx.chain.pending_transaction(tx_hash)
    if pending is not None:
        return format_transaction(pending[0], pending[1], None, None)
    return None


def _transaction_at(ctx: RpcContext, block: Json, index_value: Json) -> Json:
    try:
        header = resolve_block(ctx, block)
    except UnknownBlock:
        return None
    index = parse_quantity(index_value, "index")
    transactions = ctx.chain.block(header).transactions
    if index >= len(transactions):
        return None
    tx = transactions[index]
    return format_transaction(tx, bytes(tx.sender), header, index)


@method("eth_getTransactionByBlockNumberAndIndex")
def eth_get_transaction_by_block_number_and_index(ctx: RpcContext, params: Params) -> Json:
    return _transaction_at(ctx, params.require(0, "block"), params.require(1, "index"))


@method("eth_getTransactionByBlockHashAndIndex")
def eth_get_transaction_by_block_hash_and_index(ctx: RpcContext, params: Params) -> Json:
    block = {"blockHash": data(parse_hash(params.require(0, "blockHash")))}
    return _transaction_at(ctx, block, params.require(1, "index"))


@method("eth_getTransactionReceipt")
def eth_get_transaction_receipt(ctx: RpcContext, params: Params) -> Json:
    info = ctx.chain.receipt(parse_hash(params.require(0, "transactionHash")))
    return None if info is None else format_receipt(info)


@method("eth_sendRawTransaction")
def eth_send_raw_transaction(ctx: RpcContext, params: Params) -> Json:
    raw = parse_data(params.require(0, "signedTransaction"))
    return data(ctx.chain.add_transaction(raw))


@method("eth_sendTransaction")
def eth_send_transaction(ctx: RpcContext, params: Params) -> Json:
    raise RpcError(
        METHOD_NOT_FOUND,
        "eth_sendTransaction is not supported: the node holds no account keys; "
        "sign locally and use eth_sendRawTransaction",
    )


# -- state ---------------------------------------------------------------------------------


@method("eth_getTransactionCount")
def eth_get_transaction_count(ctx: RpcContext, params: Params) -> Json:
    account = parse_address(params.require(0, "address"))
    tag = params.get(1, "latest")
    if tag == "pending":
        return quantity(ctx.chain.nonce(account, pending=True))
    return quantity(ctx.chain.nonce(account, state_header(ctx, tag)))


@method("eth_getBalance")
def eth_get_balance(ctx: RpcContext, params: Params) -> Json:
    account = parse_address(params.require(0, "address"))
    state = ctx.chain.state_at(state_header(ctx, params.get(1)))
    return quantity(state.get_balance(account))  # type: ignore[arg-type]


@method("eth_getCode")
def eth_get_code(ctx: RpcContext, params: Params) -> Json:
    account = parse_address(params.require(0, "address"))
    state = ctx.chain.state_at(state_header(ctx, params.get(1)))
    return data(bytes(state.get_code(account)))  # type: ignore[arg-type]


@method("eth_getStorageAt")
def eth_get_storage_at(ctx: RpcContext, params: Params) -> Json:
    account = parse_address(params.require(0, "address"))
    slot = parse_word(params.require(1, "position"))
    state = ctx.chain.state_at(state_header(ctx, params.get(2)))
    return word(state.get_storage(account, slot))  # type: ignore[arg-type]


@method("eth_getProof", priced=True)
def eth_get_proof(ctx: RpcContext, params: Params) -> Json | Offload:
    account = parse_address(params.require(0, "address"))
    keys = params.get(1) or []
    if not isinstance(keys, list):
        raise _invalid("storageKeys: expected a list")
    slots = [parse_word(key) for key in keys]
    header = state_header(ctx, params.get(2))
    params.budget.charge(1 + len(slots), "proof")
    return Offload(lambda limit: _proof(ctx, header, account, keys, slots))


def _proof(
    ctx: RpcContext, header: BlockHeaderAPI, account: bytes, keys: list[Json], slots: list[int]
) -> Json:
    proof = account_proof(ctx.chain.state_root_db(), header.state_root, account, slots)
    return {
        "address": address(account),
        "accountProof": [data(node) for node in proof.nodes],
        "balance": quantity(proof.balance),
        "codeHash": data(proof.code_hash),
        "nonce": quantity(proof.nonce),
        "storageHash": data(proof.storage_root),
        "storageProof": [
            {
                "key": key if isinstance(key, str) else word(item.slot),
                "value": quantity(item.value),
                "proof": [data(node) for node in item.nodes],
            }
            for key, item in zip(keys, proof.storage, strict=True)
        ],
    }


def parse_call(value: Json) -> CallRequest:
    if not isinstance(value, dict):
        raise _invalid("transaction call object: expected an object")

    def optional(name: str) -> int | None:
        return None if value.get(name) is None else parse_quantity(value[name], name)

    payload = value.get("input", value.get("data"))
    to_value = value.get("to")
    gas_price = optional("gasPrice")
    return CallRequest(
        sender=parse_address(value["from"]) if value.get("from") else bytes(20),
        to=parse_address(to_value) if to_value else None,
        gas=optional("gas"),
        max_fee_per_gas=optional("maxFeePerGas") if gas_price is None else gas_price,
        max_priority_fee_per_gas=optional("maxPriorityFeePerGas")
        if gas_price is None
        else gas_price,
        value=optional("value") or 0,
        data=parse_data(payload, "input") if payload else b"",
    )


def _reverted(error: ExecutionReverted) -> RpcError:
    if error.data:
        return RpcError(EXECUTION_REVERTED, str(error), data(error.data))
    return RpcError(SERVER_ERROR, str(error))


@method("eth_call", priced=True)
def eth_call(ctx: RpcContext, params: Params) -> Json | Offload:
    request = parse_call(params.require(0, "transaction"))
    header = state_header(ctx, params.get(1))
    params.budget.charge(ctx.limits.call_work, "EVM execution")
    return Offload(
        lambda limit: data(ctx.chain.call(request, header, limit).output),
        ctx.limits.call_seconds,
    )


@method("eth_estimateGas", priced=True)
def eth_estimate_gas(ctx: RpcContext, params: Params) -> Json | Offload:
    request = parse_call(params.require(0, "transaction"))
    header = state_header(ctx, params.get(1))
    params.budget.charge(ctx.limits.call_work, "EVM execution")
    return Offload(
        lambda limit: quantity(ctx.chain.estimate_gas(request, header, limit)),
        ctx.limits.call_seconds,
    )


# -- logs and filters ----------------------------------------------------------------------


def parse_log_filter(value: Json) -> LogFilter:
    if not isinstance(value, dict):
        raise _invalid("filter: expected an object")
    raw_address = value.get("address")
    if raw_address is None:
        addresses: tuple[bytes, ...] = ()
    elif isinstance(raw_address, list):
        addresses = tuple(parse_address(a) for a in raw_address)
    else:
        addresses = (parse_address(raw_address),)
    topics: list[tuple[int, ...] | None] = []
    raw_topics = value.get("topics") or []
    if not isinstance(raw_topics, list):
        raise _invalid("topics: expected a list")
    for entry in raw_topics:
        if entry is None:
            topics.append(None)
        elif isinstance(entry, list):
            topics.append(tuple(int.from_bytes(parse_hash(t), "big") for t in entry) or None)
        else:
            topics.append((int.from_bytes(parse_hash(entry), "big"),))
    return LogFilter(addresses, tuple(topics))


def _format_logs(found: list[Any]) -> list[Json]:
    return [format_log(info, log_entry, offset) for info, log_entry, offset in found]


def _log_query(
    ctx: RpcContext, params: Params, first: int, last: int, log_filter: LogFilter
) -> Offload:
    """Check and charge a query of blocks `first`..`last` (clamped to the head) now; scan
    them in the `Offload`."""
    last = min(last, ctx.chain.head.block_number)
    blocks = check_range(first, last, ctx.limits.max_log_blocks)
    params.budget.charge(max(1, blocks), "log query")
    limits = ctx.limits

    def scan(limit: TimeLimit) -> Json:
        found = query_logs(
            ctx.chain,
            first,
            last,
            log_filter,
            max_blocks=limits.max_log_blocks,
            max_results=limits.max_log_results,
            limit=limit,
        )
        return _format_logs(found)

    return Offload(scan)


@method("eth_getLogs", priced=True)
def eth_get_logs(ctx: RpcContext, params: Params) -> Json | Offload:
    criteria = params.require(0, "filter")
    log_filter = parse_log_filter(criteria)
    if criteria.get("blockHash") is not None:
        if criteria.get("fromBlock") is not None or criteria.get("toBlock") is not None:
            raise _invalid("blockHash excludes fromBlock and toBlock")
        header = state_header(ctx, {"blockHash": criteria["blockHash"]})
        params.budget.charge(1, "log query")
        return Offload(lambda limit: _format_logs(logs_in(ctx.chain, [header], log_filter)))
    first = block_number_of(ctx, criteria.get("fromBlock"), "latest")
    last = block_number_of(ctx, criteria.get("toBlock"), "latest")
    return _log_query(ctx, params, first, last, log_filter)


def _install(ctx: RpcContext, installed: _Filter) -> str:
    ctx.filter_counter += 1
    identifier = quantity(ctx.filter_counter)
    ctx.filters[identifier] = installed
    while len(ctx.filters) > MAX_FILTERS:
        ctx.filters.popitem(last=False)
    return identifier


@method("eth_newFilter")
def eth_new_filter(ctx: RpcContext, params: Params) -> Json:
    criteria = params.require(0, "filter")
    log_filter = parse_log_filter(criteria)
    head = ctx.chain.head.block_number
    first = block_number_of(ctx, criteria.get("fromBlock"), "latest")
    to_block = criteria.get("toBlock")
    last = (
        None
        if to_block in (None, "latest", "pending")
        else block_number_of(ctx, to_block, "latest")
    )
    # As geth: changes start after the filter's creation; eth_getFilterLogs covers the range.
    return _install(ctx, _Filter(FilterKind.LOGS, log_filter, first, last, max(first, head + 1)))


@method("eth_newBlockFilter")
def eth_new_block_filter(ctx: RpcContext, params: Params) -> Json:
    head = ctx.chain.head.block_number
    return _install(ctx, _Filter(FilterKind.BLOCKS, LogFilter(), head + 1, None, head + 1))


def _filter(ctx: RpcContext, params: Params) -> _Filter:
    identifier = params.require(0, "filterId")
    installed = ctx.filters.get(str(identifier))
    if installed is None:
        raise RpcError(SERVER_ERROR, "filter not found")
    return installed


@method("eth_getFilterChanges", priced=True)
def eth_get_filter_changes(ctx: RpcContext, params: Params) -> Json | Offload:
    """New blocks or logs since the last poll, at most `max_log_blocks` blocks a poll (a
    filter left unpolled for longer catches up over several polls)."""
    installed = _filter(ctx, params)
    head = ctx.chain.head.block_number
    first = installed.next_block
    last = head if installed.last is None else min(head, installed.last)
    last = min(last, first + ctx.limits.max_log_blocks - 1)
    if first > last:
        params.budget.charge(1, "filter poll")
        return []
    if installed.kind is FilterKind.BLOCKS:
        params.budget.charge(last - first + 1, "filter poll")
        installed.next_block = last + 1
        return [data(ctx.chain.header_by_number(n).hash) for n in range(first, last + 1)]
    query = _log_query(ctx, params, first, last, installed.log_filter)
    installed.next_block = last + 1
    return query


@method("eth_getFilterLogs", priced=True)
def eth_get_filter_logs(ctx: RpcContext, params: Params) -> Json | Offload:
    installed = _filter(ctx, params)
    if installed.kind is not FilterKind.LOGS:
        raise RpcError(SERVER_ERROR, "filter is not a log filter")
    last = ctx.chain.head.block_number if installed.last is None else installed.last
    return _log_query(ctx, params, installed.first, last, installed.log_filter)


@method("eth_uninstallFilter")
def eth_uninstall_filter(ctx: RpcContext, params: Params) -> Json:
    return ctx.filters.pop(str(params.require(0, "filterId")), None) is not None


# -- Clique (reads only: votes are operator actions on the data directory) -----------------


@method("clique_getSigners")
def clique_get_signers(ctx: RpcContext, params: Params) -> Json:
    header = state_header(ctx, params.get(0))
    return [address(a) for a in ctx.chain.authorities(header)]


@method("clique_proposals")
def clique_proposals(ctx: RpcContext, params: Params) -> Json:
    return {address(p.subject): p.authorize for p in ctx.chain.proposals}


# -- dispatch ------------------------------------------------------------------------------


def _error(identifier: Json, code: int, message: str, error_data: Json = None) -> dict[str, Json]:
    body: dict[str, Json] = {"code": code, "message": message}
    if error_data is not None:
        body["data"] = error_data
    return {"jsonrpc": "2.0", "id": identifier, "error": body}


def _answer(identifier: Json, name: str, work: Callable[[], Json]) -> dict[str, Json]:
    """Run `work` and turn its result, or its failure, into a response object."""
    try:
        result = work()
    except RpcError as error:
        return _error(identifier, error.code, error.message, error.data)
    except ExecutionReverted as error:
        reverted = _reverted(error)
        return _error(identifier, reverted.code, reverted.message, reverted.data)
    except TransactionRejected as error:
        return _error(identifier, error.rpc_code, str(error))
    except UnknownBlock as error:
        return _error(identifier, RESOURCE_NOT_FOUND, str(error))
    except (TimeLimitReached, LogQueryTooLarge) as error:
        return _error(identifier, LIMIT_EXCEEDED, str(error))
    except ChainError as error:
        return _error(identifier, SERVER_ERROR, str(error))
    except Exception:
        log.exception("internal error in %s", name)
        return _error(identifier, INTERNAL_ERROR, f"internal error in {name}")
    return {"jsonrpc": "2.0", "id": identifier, "result": result}


@dataclass(frozen=True)
class _Pending:
    """A request whose method returned an `Offload`: what is left to run, and how long."""

    identifier: Json
    name: str
    notification: bool
    offload: Offload
    limit: TimeLimit

    def finish(self) -> dict[str, Json] | None:
        """Run the offloaded work (on any thread) into the response (None: notification)."""
        response = _answer(self.identifier, self.name, lambda: self.offload.run(self.limit))
        return None if self.notification else response


def _begin(ctx: RpcContext, request: Json, budget: Budget) -> dict[str, Json] | _Pending | None:
    """One request object → its response (None for a notification), or the `_Pending`
    rest of it when its method offloads work."""
    if not isinstance(request, dict):
        return _error(None, INVALID_REQUEST, "invalid request: expected an object")
    identifier = request.get("id")
    if not isinstance(identifier, str | int | float | type(None)) or isinstance(identifier, bool):
        return _error(None, INVALID_REQUEST, "invalid request: bad id")
    name = request.get("method")
    if request.get("jsonrpc") != "2.0" or not isinstance(name, str):
        return _error(identifier, INVALID_REQUEST, "invalid request: need jsonrpc 2.0 and a method")
    notification = "id" not in request
    raw_params = request.get("params", [])
    if raw_params is None:
        raw_params = []
    if not isinstance(raw_params, list):
        return _error(identifier, INVALID_PARAMS, "invalid params: expected a list (by position)")
    function = METHODS.get(name)
    if function is None:
        response = _error(
            identifier, METHOD_NOT_FOUND, f"the method {name} does not exist/is not available"
        )
        return None if notification else response
    if time.monotonic() >= budget.deadline:
        response = _error(
            identifier,
            LIMIT_EXCEEDED,
            f"request time limit exceeded: a body is answered within {budget.limits.body_seconds}"
            " s; this request was not started",
        )
        return None if notification else response
    params = Params(raw_params, budget)
    offloaded: list[Offload] = []

    def run() -> Json:
        if name not in PRICED:
            budget.charge(1, "request")
        result = function(ctx, params)
        if isinstance(result, Offload):
            offloaded.append(result)
            return None
        return result

    response = _answer(identifier, name, run)
    if offloaded:
        (offload,) = offloaded
        return _Pending(identifier, name, notification, offload, budget.time_limit(offload.seconds))
    return None if notification else response


def _entries(payload: Json) -> list[Json] | dict[str, Json]:
    """The requests of a body, or the error answering the body as a whole."""
    if not isinstance(payload, list):
        return [payload]
    if not payload:
        return _error(None, INVALID_REQUEST, "invalid request: empty batch")
    if len(payload) > MAX_BATCH:
        return _error(
            None,
            INVALID_REQUEST,
            f"invalid request: batch too large: limit {MAX_BATCH} requests, found {len(payload)}",
        )
    return payload


def _collect(payload: Json, responses: list[dict[str, Json] | None]) -> Json:
    kept = [r for r in responses if r is not None]
    if isinstance(payload, list):
        return kept or None
    return kept[0] if kept else None


def handle_payload(ctx: RpcContext, payload: Json) -> Json:
    """A decoded request document (object or batch) → the response document or None.

    Everything runs on the caller's thread, offloaded work included (tests, tools).
    """
    entries = _entries(payload)
    if isinstance(entries, dict):
        return entries
    budget = Budget(ctx.limits)
    responses: list[dict[str, Json] | None] = []
    for entry in entries:
        step = _begin(ctx, entry, budget)
        responses.append(step.finish() if isinstance(step, _Pending) else step)
    return _collect(payload, responses)


OffLoop = Callable[[Callable[[], "dict[str, Json] | None"]], Awaitable["dict[str, Json] | None"]]
"""Runs a request's offloaded rest somewhere other than the event loop and awaits it; raises
`RpcError` (busy) when it cannot take more."""


async def handle_payload_async(ctx: RpcContext, payload: Json, off_loop: OffLoop) -> Json:
    """`handle_payload` on an event loop: each request's offloaded work goes to `off_loop`,
    and the loop is yielded between the requests of a batch, so other requests and the
    sealer run meanwhile. The requests of a batch run one after another, in order."""
    entries = _entries(payload)
    if isinstance(entries, dict):
        return entries
    budget = Budget(ctx.limits)
    responses: list[dict[str, Json] | None] = []
    for position, entry in enumerate(entries):
        if position:
            await asyncio.sleep(0)
        step = _begin(ctx, entry, budget)
        if not isinstance(step, _Pending):
            responses.append(step)
            continue
        try:
            responses.append(await off_loop(step.finish))
        except RpcError as refused:
            error = _error(step.identifier, refused.code, refused.message, refused.data)
            responses.append(None if step.notification else error)
    return _collect(payload, responses)


def refusal(code: int, message: str) -> dict[str, Json]:
    """The response to a body refused before dispatch (id null, as JSON-RPC 2.0 says)."""
    return _error(None, code, message)


def supported_methods() -> list[str]:
    return sorted(METHODS)
