"""The web3 side of anchoring: connect, deploy EvidenceAnchor, roles and agencies, reads, sends.

Every function takes a `Web3` (or an `AnchorContract`, which holds one), so the same code runs
against the embedded chain, anvil or Besu over HTTP JSON-RPC, and against eth-tester's py-evm
in unit tests. Only standard `eth_*` methods are used (DESIGN decision 8). Transactions are
built here with an explicit nonce, gas limit and fee, signed locally with eth-account, and
sent with `eth_sendRawTransaction`: the node never holds a key.

Fees: EIP-1559 on a London chain (`maxFeePerGas` = twice the latest base fee + the node's
suggested tip, so a transaction stays includable while the base fee doubles); legacy
`gasPrice` if the latest block has no base fee.

Failures become `chain_errors` exceptions: a connection that fails is `ChainUnavailable`
(transient); a revert is `ContractReverted`, decoded from the contract's ABI into one line
such as `EvidenceAnchorSizeNotIncreasing(writer=0x…, lastSize=10, size=9)`. Revert data
reaches us in two shapes: over JSON-RPC web3 raises `ContractLogicError` with the data as
hex; eth-tester raises its own `TransactionFailed` whose message holds the data as a Python
bytes literal. Both are read here (eth-tester is never imported).
"""

from __future__ import annotations

import ast
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any, TypeVar, cast

import requests
from eth_abi import abi as eth_abi
from eth_account.signers.local import LocalAccount
from eth_account.types import TransactionDictType
from eth_utils.address import is_address, to_checksum_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import (
    ContractLogicError,
    ProviderConnectionError,
    RequestTimedOut,
    TooManyRequests,
    TransactionNotFound,
    Web3RPCError,
)
from web3.middleware import ExtraDataToPOAMiddleware
from web3.types import FilterParams, TxParams, Wei

from evanchor.anchor.errors import EvanchorError
from evanchor.anchor.ethereum.errors import (
    BroadcastRefused,
    ChainUnavailable,
    ContractNotDeployed,
    ContractReverted,
    InvalidCreditCode,
    ReceiptTimeout,
    RpcError,
    TransactionReverted,
)
from evanchor.anchor.protocol.uscc import uscc_problem
from evanchor.contracts.artifacts import load_artifact
from evanchor.contracts.storage_layout import StoredCheckpoint

WRITER_ROLE = keccak(b"WRITER_ROLE")
AGENCY_ROLE = keccak(b"AGENCY_ROLE")
DEFAULT_ADMIN_ROLE = bytes(32)
DEFAULT_ADMIN_DELAY = 3 * 24 * 3600
"""Seconds between starting and accepting a transfer of the contract's admin role."""

CHECKPOINT_ANCHORED_TOPIC = keccak(b"CheckpointAnchored(address,uint256,uint64,bytes32)")
AGENCY_REGISTERED_TOPIC = keccak(b"AgencyRegistered(address,string)")
AGENCY_REVOKED_TOPIC = keccak(b"AgencyRevoked(address)")

DEPLOY_GAS = 3_000_000
"""Deployment takes about 2.3 million gas (10 kB of code); the rest is headroom."""
ADMIN_GAS = 200_000
"""Role and registry changes take under 100,000 gas."""
ANCHOR_BASE_GAS = 120_000
ANCHOR_GAS_PER_PROOF_ELEMENT = 2_000
"""`anchor` costs at most about 94,100 gas plus 1,100 per proof element (docs/CONTRACT.md).
A fixed formula with headroom instead of `eth_estimateGas` saves a round trip and an
execution per anchor; unused gas is refunded."""

DEFAULT_RPC_TIMEOUT = 10.0

_T = TypeVar("_T")
BlockId = int | str
"""A block number, or a tag such as "latest" or "pending"."""


def web3_for(url: str, timeout: float = DEFAULT_RPC_TIMEOUT) -> Web3:
    """A `Web3` on an HTTP JSON-RPC endpoint, as the node and the CLI use it.

    `timeout` bounds every request (seconds). web3's own retries are off: callers retry with
    their own bounded policy (`anchorer.RetryPolicy`), so a failure is seen, not hidden.
    Proof-of-authority chains (the embedded Clique chain, Besu QBFT) put more than 32 bytes
    in a header's extra-data, which web3 refuses unless its POA middleware renames the field.
    """
    provider = Web3.HTTPProvider(
        url, request_kwargs={"timeout": timeout}, exception_retry_configuration=None
    )
    w3 = Web3(provider)
    w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    # web3's "validation" middleware asks eth_chainId before every eth_call and gas
    # estimate, to compare it with the call's `chainId` member when it has one: a round
    # trip on each of the anchorer's reads, which carry none. Transactions are signed here
    # for the chain id the anchor target names, and the anchorer reads the endpoint's
    # eth_chainId itself when it binds a log, refusing a chain other than the log's
    # (Anchorer._bind_target, AnchorTargetMismatch).
    w3.middleware_onion.remove("validation")
    return w3


@dataclass(frozen=True)
class _Artifact:
    abi: list[dict[str, Any]]
    bytecode: bytes
    deployed_bytecode: bytes


@cache
def _artifact() -> _Artifact:
    """EvidenceAnchor's committed artifact (`evanchor.contracts.artifacts.load_artifact`)."""
    loaded = load_artifact()
    return _Artifact(loaded.abi, loaded.bytecode, loaded.deployed_bytecode)


def deployed_code_hash() -> bytes:
    """keccak256 of EvidenceAnchor's runtime code: the `codeHash` of every deployment."""
    return keccak(_artifact().deployed_bytecode)


# -- errors ------------------------------------------------------------------------------

_TRANSIENT: tuple[type[BaseException], ...] = (
    requests.exceptions.RequestException,
    ProviderConnectionError,
    TooManyRequests,
    RequestTimedOut,
    TimeoutError,
    ConnectionError,
)


def is_transient(error: BaseException) -> bool:
    """Whether `error` means "no answer" (retry later) rather than an answer."""
    return isinstance(error, (*_TRANSIENT, ChainUnavailable))


@contextmanager
def _translated(what: str) -> Iterator[None]:
    """Turns web3, requests and eth-tester exceptions into `chain_errors` ones.

    Exceptions not recognised as a connection failure, a revert or a node's refusal
    propagate unchanged: they are bugs, not answers.
    """
    try:
        yield
    except EvanchorError:
        raise
    except Exception as error:
        if is_transient(error):
            raise ChainUnavailable(what, _one_line(error)) from error
        revert = revert_of(error)
        if revert is not None:
            data, reason = revert
            raise decode_revert(what, data, reason) from None
        if isinstance(error, Web3RPCError):
            code, message = _rpc_error_fields(error)
            raise RpcError(what, message, code) from None
        if _from_eth_tester(error):
            # eth-tester reports a node's refusal (bad nonce, funds) as a validation error.
            raise RpcError(what, _one_line(error)) from None
        raise


def _call(what: str, thunk: Callable[[], _T]) -> _T:
    with _translated(what):
        return thunk()


def _one_line(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return " ".join(text.split())


def _from_eth_tester(error: BaseException) -> bool:
    module = type(error).__module__
    return module.startswith(("eth_tester", "eth_utils", "eth.")) or module == "eth"


def _rpc_error_fields(error: Web3RPCError) -> tuple[int | None, str]:
    response = getattr(error, "rpc_response", None)
    if isinstance(response, dict) and isinstance(response.get("error"), dict):
        body = response["error"]
        code = body.get("code")
        return (code if isinstance(code, int) else None), str(body.get("message", ""))
    return None, _one_line(error)


def revert_of(error: BaseException) -> tuple[bytes | None, str | None] | None:
    """(revert data, reason text) if `error` is a revert, else None.

    web3 over JSON-RPC: `ContractLogicError` (and subclasses) with `data` as 0x-hex.
    eth-tester: `TransactionFailed("execution reverted: b'...'")` (data as a bytes literal)
    or with a decoded reason string.
    """
    if isinstance(error, ContractLogicError):
        data = error.data
        if isinstance(data, str) and data.startswith("0x"):
            try:
                return bytes.fromhex(data[2:]), None
            except ValueError:
                pass
        return None, error.message or _one_line(error)
    if type(error).__name__ == "TransactionFailed" and _from_eth_tester(error):
        message = str(error)
        payload = message.removeprefix("execution reverted: ")
        if payload.startswith(("b'", 'b"')):
            # eth-tester keeps no structured revert data, only str() of py-evm's Revert(bytes);
            # literal_eval reads a bytes literal strictly and runs nothing.
            try:
                literal = ast.literal_eval(payload)
            except (ValueError, SyntaxError):
                literal = None
            if isinstance(literal, bytes):
                return literal, None
        return None, payload
    return None


@cache
def _error_table() -> dict[bytes, tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """selector -> (name, argument names, argument types) for the contract's errors."""
    table: dict[bytes, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
        keccak(b"Error(string)")[:4]: ("Error", ("message",), ("string",)),
        keccak(b"Panic(uint256)")[:4]: ("Panic", ("code",), ("uint256",)),
    }
    for entry in _artifact().abi:
        if entry.get("type") == "error":
            types = tuple(str(item["type"]) for item in entry["inputs"])
            names = tuple(str(item["name"]) for item in entry["inputs"])
            selector = keccak(f"{entry['name']}({','.join(types)})".encode())[:4]
            table[selector] = (str(entry["name"]), names, types)
    return table


def decode_revert(function: str, data: bytes | None, reason: str | None = None) -> ContractReverted:
    """The `ContractReverted` for revert `data` of `function`, decoded with the contract's ABI."""
    if data is None or len(data) < 4:
        return ContractReverted(function, None, (), data, reason)
    known = _error_table().get(data[:4])
    if known is None:
        return ContractReverted(function, None, (), data, reason)
    name, names, types = known
    try:
        values = eth_abi.decode(list(types), data[4:])
    except Exception:  # malformed data is reported as undecodable, never raised
        return ContractReverted(function, None, (), data, reason)
    shown = tuple(
        (arg, to_checksum_address(value) if kind == "address" else value)
        for arg, kind, value in zip(names, types, values, strict=True)
    )
    return ContractReverted(function, name, shown, data, reason)


# -- the contract ------------------------------------------------------------------------


@dataclass(frozen=True)
class AnchorContract:
    """A deployed EvidenceAnchor reached through `w3`."""

    w3: Web3 = field(compare=False, repr=False)
    address: str
    contract: Contract = field(compare=False, repr=False)


def attach(w3: Web3, address: str) -> AnchorContract:
    """The contract at `address`; ContractNotDeployed if no code is there."""
    if not isinstance(address, str) or not is_address(address):
        raise ContractNotDeployed(str(address))
    checksummed = to_checksum_address(address)
    code = _call("eth_getCode", lambda: w3.eth.get_code(checksummed))
    if not code:
        raise ContractNotDeployed(checksummed)
    return contract_at(w3, checksummed)


def contract_at(w3: Web3, address: str) -> AnchorContract:
    """The contract at `address`, without asking the chain (see `attach`)."""
    contract = w3.eth.contract(address=to_checksum_address(address), abi=_artifact().abi)
    return AnchorContract(w3, contract.address, contract)


def chain_id(w3: Web3) -> int:
    return int(_call("eth_chainId", lambda: w3.eth.chain_id))


# -- transactions ------------------------------------------------------------------------


@dataclass(frozen=True)
class Fees:
    """EIP-1559 fee caps, or a legacy gas price (exactly one of the two kinds is set)."""

    max_fee_per_gas: int | None = None
    max_priority_fee_per_gas: int | None = None
    gas_price: int | None = None

    def __post_init__(self) -> None:
        dynamic = self.max_fee_per_gas is not None and self.max_priority_fee_per_gas is not None
        if dynamic == (self.gas_price is not None):
            raise ValueError("Fees: give either both EIP-1559 caps or a gas price")

    def transaction_fields(self) -> dict[str, int]:
        if self.gas_price is not None:
            return {"gasPrice": self.gas_price}
        assert self.max_fee_per_gas is not None
        assert self.max_priority_fee_per_gas is not None
        return {
            "maxFeePerGas": self.max_fee_per_gas,
            "maxPriorityFeePerGas": self.max_priority_fee_per_gas,
            "type": 2,
        }

    def bumped(self, percent: int = 25) -> Fees:
        """Fees for a replacement transaction (nodes want at least +10 % on every field)."""

        def up(value: int) -> int:
            return value + max(1, value * percent // 100)

        if self.gas_price is not None:
            return Fees(gas_price=up(self.gas_price))
        assert self.max_fee_per_gas is not None
        assert self.max_priority_fee_per_gas is not None
        return Fees(up(self.max_fee_per_gas), up(self.max_priority_fee_per_gas))

    def as_json(self) -> dict[str, int | None]:
        return {
            "max_fee_per_gas": self.max_fee_per_gas,
            "max_priority_fee_per_gas": self.max_priority_fee_per_gas,
            "gas_price": self.gas_price,
        }


def fees_from_json(obj: Mapping[str, int | None]) -> Fees:
    return Fees(
        obj.get("max_fee_per_gas"), obj.get("max_priority_fee_per_gas"), obj.get("gas_price")
    )


def suggest_fees(w3: Web3) -> Fees:
    """EIP-1559 caps from the latest base fee and the node's tip; legacy if no base fee."""
    block = block_info(w3, "latest")
    if block.base_fee is None:
        return Fees(gas_price=int(_call("eth_gasPrice", lambda: w3.eth.gas_price)))
    tip = int(_call("eth_maxPriorityFeePerGas", lambda: w3.eth.max_priority_fee))
    return Fees(max_fee_per_gas=2 * block.base_fee + tip, max_priority_fee_per_gas=tip)


@dataclass(frozen=True)
class SignedTx:
    """A signed transaction, ready to broadcast (and to broadcast again, unchanged)."""

    tx_hash: bytes
    raw: bytes
    sender: str
    nonce: int
    gas: int
    fees: Fees


def sign_transaction(
    signer: LocalAccount,
    *,
    chain: int,
    to: str | None,
    data: bytes,
    nonce: int,
    gas: int,
    fees: Fees,
    value: int = 0,
) -> SignedTx:
    """Builds and signs one transaction; nothing is sent. `to` None deploys `data`."""
    transaction: TransactionDictType = {
        "chainId": chain,
        "nonce": nonce,
        "gas": gas,
        "value": value,
        "data": data,
        **fees.transaction_fields(),
    }
    if to is not None:
        transaction["to"] = to_checksum_address(to)
    signed = signer.sign_transaction(transaction)
    return SignedTx(
        tx_hash=bytes(signed.hash),
        raw=bytes(signed.raw_transaction),
        sender=signer.address,
        nonce=nonce,
        gas=gas,
        fees=fees,
    )


def broadcast(w3: Web3, raw: bytes) -> bytes:
    """Sends a signed transaction with `eth_sendRawTransaction`; returns its hash.

    A refusal (nonce already used, transaction already known, fee too low, no funds) is
    `BroadcastRefused`; the caller decides what it means by asking the chain.
    """
    tx_hash = keccak(raw)
    try:
        with _translated(f"broadcast of transaction 0x{tx_hash.hex()}"):
            sent = bytes(w3.eth.send_raw_transaction(raw))
    except RpcError as error:
        raise BroadcastRefused(tx_hash, error.message, error.code) from None
    except ContractReverted as error:  # eth-tester executes at once when it automines
        raise BroadcastRefused(tx_hash, error.description) from None
    if sent != tx_hash:
        raise BroadcastRefused(tx_hash, f"the node reports hash 0x{sent.hex()}")
    return tx_hash


def account_nonce(w3: Web3, address: str, block: BlockId = "latest") -> int:
    """Transactions `address` has sent as of `block` ("pending" counts the pool too)."""
    return int(
        _call(
            "eth_getTransactionCount",
            lambda: w3.eth.get_transaction_count(to_checksum_address(address), cast(Any, block)),
        )
    )


def transaction_known(w3: Web3, tx_hash: bytes) -> bool:
    """Whether the node knows `tx_hash`, pending or mined (`eth_getTransactionByHash`)."""

    def lookup() -> bool:
        try:
            return w3.eth.get_transaction(HexBytes(tx_hash)) is not None
        except TransactionNotFound:
            return False

    return _call("eth_getTransactionByHash", lookup)


@dataclass(frozen=True)
class TransactionReceipt:
    tx_hash: bytes
    status: int
    block_number: int
    block_hash: bytes
    gas_used: int
    contract_address: str | None


def _raw_receipt(w3: Web3, tx_hash: bytes) -> Any:
    """web3's receipt of a mined transaction; None while it is pending or unknown."""

    def lookup() -> Any:
        try:
            return w3.eth.get_transaction_receipt(HexBytes(tx_hash))
        except TransactionNotFound:
            return None

    found = _call("eth_getTransactionReceipt", lookup)
    if found is None or found.get("blockNumber") is None:
        return None
    return found


def get_receipt(w3: Web3, tx_hash: bytes) -> TransactionReceipt | None:
    """The receipt of a mined transaction, None while it is pending or unknown."""
    found = _raw_receipt(w3, tx_hash)
    return None if found is None else _receipt_of(found)


def get_anchor_receipt(
    anchor: AnchorContract, tx_hash: bytes
) -> tuple[TransactionReceipt, list[AnchorEvent]] | None:
    """The receipt of a mined transaction and the `CheckpointAnchored` logs the anchor
    contract emitted in it (none for a failed one); None while it is pending or unknown.
    One `eth_getTransactionReceipt`: what the anchorer asks of a transaction it sent."""
    found = _raw_receipt(anchor.w3, tx_hash)
    if found is None:
        return None
    contract = to_checksum_address(anchor.address)
    events = [
        _anchor_event(log)
        for log in found.get("logs", ())
        if not log.get("removed")
        and to_checksum_address(log["address"]) == contract
        and log["topics"]
        and bytes(log["topics"][0]) == CHECKPOINT_ANCHORED_TOPIC
    ]
    return _receipt_of(found), events


def _receipt_of(found: Any) -> TransactionReceipt:
    address = found.get("contractAddress")
    return TransactionReceipt(
        tx_hash=bytes(found["transactionHash"]),
        status=int(found["status"]),
        block_number=int(found["blockNumber"]),
        block_hash=bytes(found["blockHash"]),
        gas_used=int(found["gasUsed"]),
        contract_address=None if address is None else to_checksum_address(address),
    )


def wait_for_receipt(
    w3: Web3, tx_hash: bytes, timeout: float, poll_interval: float = 0.1
) -> TransactionReceipt:
    """Polls for the receipt of `tx_hash` until `timeout` seconds pass (ReceiptTimeout)."""
    start = time.monotonic()
    while True:
        receipt = get_receipt(w3, tx_hash)
        if receipt is not None:
            return receipt
        waited = time.monotonic() - start
        if waited >= timeout:
            raise ReceiptTimeout(tx_hash, waited)
        time.sleep(min(poll_interval, max(0.0, timeout - waited)))


def transact(
    w3: Web3,
    signer: LocalAccount,
    *,
    to: str | None,
    data: bytes,
    gas: int,
    function: str,
    timeout: float = 60.0,
) -> TransactionReceipt:
    """Checks with `eth_call`, signs, sends and waits for one transaction that must succeed.

    The preflight call raises the contract's revert as `ContractReverted` before any gas is
    spent; a transaction mined with status 0 anyway (the state changed in between) raises
    `TransactionReverted`, decoded by replaying it at its block's parent.
    """
    fees = suggest_fees(w3)
    call = _call_fields(signer.address, to, data, gas, fees)
    _call(function, lambda: w3.eth.call(call, "latest"))
    chain = chain_id(w3)
    nonce = account_nonce(w3, signer.address, "pending")
    signed = sign_transaction(
        signer, chain=chain, to=to, data=data, nonce=nonce, gas=gas, fees=fees
    )
    broadcast(w3, signed.raw)
    receipt = wait_for_receipt(w3, signed.tx_hash, timeout)
    if receipt.status != 1:
        raise TransactionReverted(
            signed.tx_hash, receipt.block_number, replay_revert(w3, call, receipt, function)
        )
    return receipt


def _call_fields(sender: str, to: str | None, data: bytes, gas: int, fees: Fees | None) -> TxParams:
    """The `eth_call` that runs what a transaction would: same sender, data, gas and fees."""
    call: TxParams = {"from": to_checksum_address(sender), "data": data, "gas": gas}
    if to is not None:
        call["to"] = to_checksum_address(to)
    if fees is not None and fees.gas_price is not None:
        call["gasPrice"] = Wei(fees.gas_price)
    elif fees is not None:
        assert fees.max_fee_per_gas is not None
        assert fees.max_priority_fee_per_gas is not None
        call["maxFeePerGas"] = Wei(fees.max_fee_per_gas)
        call["maxPriorityFeePerGas"] = Wei(fees.max_priority_fee_per_gas)
    return call


def replay_revert(
    w3: Web3, call: TxParams, receipt: TransactionReceipt, function: str
) -> ContractReverted | None:
    """Why a mined transaction failed: its call replayed on the state before its block."""
    try:
        _call(function, lambda: w3.eth.call(call, max(receipt.block_number - 1, 0)))
    except ContractReverted as reverted:
        return reverted
    except EvanchorError:
        return None
    return None


# -- deployment, roles, agencies ---------------------------------------------------------


@dataclass(frozen=True)
class Deployment:
    address: str
    block_number: int
    tx_hash: bytes


def deploy_anchor(
    w3: Web3, admin: LocalAccount, *, admin_delay: int = DEFAULT_ADMIN_DELAY, timeout: float = 60.0
) -> Deployment:
    """Deploys EvidenceAnchor with `admin` as its default admin; returns where and when."""
    artifact = _artifact()
    arguments = eth_abi.encode(["uint48", "address"], [admin_delay, admin.address])
    receipt = transact(
        w3,
        admin,
        to=None,
        data=artifact.bytecode + arguments,
        gas=DEPLOY_GAS,
        function="EvidenceAnchor deployment",
        timeout=timeout,
    )
    assert receipt.contract_address is not None
    return Deployment(receipt.contract_address, receipt.block_number, receipt.tx_hash)


def _admin_call(
    anchor: AnchorContract,
    admin: LocalAccount,
    function: str,
    arguments: Sequence[Any],
    timeout: float,
) -> TransactionReceipt:
    data = bytes.fromhex(anchor.contract.encode_abi(function, args=list(arguments))[2:])
    return transact(
        anchor.w3,
        admin,
        to=anchor.address,
        data=data,
        gas=ADMIN_GAS,
        function=f"EvidenceAnchor.{function}",
        timeout=timeout,
    )


def grant_writer(
    anchor: AnchorContract, admin: LocalAccount, writer: str, *, timeout: float = 60.0
) -> TransactionReceipt:
    """Gives `writer` the writer role (admin only)."""
    return _admin_call(
        anchor, admin, "grantRole", [WRITER_ROLE, to_checksum_address(writer)], timeout
    )


def revoke_writer(
    anchor: AnchorContract, admin: LocalAccount, writer: str, *, timeout: float = 60.0
) -> TransactionReceipt:
    """Takes the writer role from `writer` (admin only); its checkpoints stay."""
    return _admin_call(
        anchor, admin, "revokeRole", [WRITER_ROLE, to_checksum_address(writer)], timeout
    )


def register_agency(
    anchor: AnchorContract,
    admin: LocalAccount,
    agency: str,
    credit_code: str,
    *,
    timeout: float = 60.0,
) -> TransactionReceipt:
    """Registers `agency` for `credit_code` (admin only). The code's check character is
    verified here (GB 32100-2015); the contract checks only its length."""
    problem = uscc_problem(credit_code)
    if problem is not None:
        raise InvalidCreditCode(credit_code, problem)
    return _admin_call(
        anchor, admin, "registerAgency", [to_checksum_address(agency), credit_code], timeout
    )


def revoke_agency(
    anchor: AnchorContract, admin: LocalAccount, agency: str, *, timeout: float = 60.0
) -> TransactionReceipt:
    """Revokes the registration of `agency` (admin only)."""
    return _admin_call(anchor, admin, "revokeAgency", [to_checksum_address(agency)], timeout)


# -- reads -------------------------------------------------------------------------------


def _view(anchor: AnchorContract, function: str, arguments: Sequence[Any], block: BlockId) -> Any:
    bound = anchor.contract.get_function_by_name(function)(*arguments)
    return _call(
        f"EvidenceAnchor.{function}", lambda: bound.call(block_identifier=cast(Any, block))
    )


def checkpoint_count(anchor: AnchorContract, writer: str, block: BlockId = "latest") -> int:
    return int(_view(anchor, "checkpointCount", [to_checksum_address(writer)], block))


def checkpoint_at(
    anchor: AnchorContract, writer: str, index: int, block: BlockId = "latest"
) -> StoredCheckpoint:
    """Checkpoint `index` of `writer`'s log; ContractReverted (out of range) past the end."""
    size, block_number, timestamp, root = _view(
        anchor, "checkpointAt", [to_checksum_address(writer), index], block
    )
    return StoredCheckpoint(int(size), int(block_number), int(timestamp), bytes(root))


def is_anchored(
    anchor: AnchorContract, writer: str, size: int, root: bytes, block: BlockId = "latest"
) -> bool:
    return bool(_view(anchor, "isAnchored", [to_checksum_address(writer), size, root], block))


def has_role_at(anchor: AnchorContract, role: bytes, account: str, block_number: BlockId) -> bool:
    """Whether `account` held `role` in the state after block `block_number` (eth_call).

    Old blocks need a node that keeps their state (an archive node, anvil, the embedded
    chain); a pruning node answers with an `RpcError`.
    """
    return bool(_view(anchor, "hasRole", [role, to_checksum_address(account)], block_number))


def agency_code_at(anchor: AnchorContract, agency: str, block_number: BlockId) -> str | None:
    """The credit code `agency` was registered for after block `block_number`, else None."""
    code = str(_view(anchor, "agencyCreditCode", [to_checksum_address(agency)], block_number))
    return code or None


@dataclass(frozen=True)
class AnchorEvent:
    """A `CheckpointAnchored` log: where checkpoint `index` of `writer` was anchored."""

    writer: str
    index: int
    size: int
    root: bytes
    tx_hash: bytes
    block_number: int
    block_hash: bytes
    log_index: int


def _topic(value: bytes | int | str) -> str:
    if isinstance(value, str):
        value = bytes.fromhex(value.removeprefix("0x"))
    if isinstance(value, int):
        value = value.to_bytes(32, "big")
    return "0x" + value.rjust(32, b"\x00").hex()


LOG_WINDOW_BLOCKS = 1_000
"""Blocks per `eth_getLogs` query. Nodes cap the range of one query (Besu at 1,000 blocks by
default, `--rpc-max-logs-range`; the embedded chain at 10,000), so long ranges are read in
windows of this size."""


def _block_number(w3: Web3, block: BlockId) -> int:
    if isinstance(block, int):
        return block
    if block == "earliest":
        return 0
    return int(_call("eth_blockNumber", lambda: w3.eth.block_number))


def logs(
    anchor: AnchorContract,
    topics: list[Any],
    from_block: BlockId,
    to_block: BlockId,
) -> list[Any]:
    """The contract's logs matching `topics` in a block range, read in windows, in order."""
    while topics and topics[-1] is None:
        topics.pop()
    first = _block_number(anchor.w3, from_block)
    last = _block_number(anchor.w3, to_block)
    found: list[Any] = []
    for start in range(first, last + 1, LOG_WINDOW_BLOCKS):
        query: FilterParams = {
            "address": to_checksum_address(anchor.address),
            "fromBlock": start,
            "toBlock": min(last, start + LOG_WINDOW_BLOCKS - 1),
            "topics": topics,
        }
        found += _call("eth_getLogs", _get_logs(anchor.w3, query))
    return found


def _get_logs(w3: Web3, query: FilterParams) -> Callable[[], list[Any]]:
    return lambda: list(w3.eth.get_logs(query))


def block_number(w3: Web3) -> int:
    """The chain's head block number."""
    return _block_number(w3, "latest")


def anchor_events(
    anchor: AnchorContract,
    *,
    writer: str | None = None,
    index: int | None = None,
    from_block: BlockId = 0,
    to_block: BlockId = "latest",
) -> list[AnchorEvent]:
    """`CheckpointAnchored` logs in a block range, filtered by writer and index (topics)."""
    topics: list[Any] = [
        _topic(CHECKPOINT_ANCHORED_TOPIC),
        None if writer is None else _topic(to_checksum_address(writer)),
        None if index is None else _topic(index),
    ]
    return [
        _anchor_event(log)
        for log in logs(anchor, topics, from_block, to_block)
        if not log.get("removed")
    ]


def _anchor_event(log: Any) -> AnchorEvent:
    """A `CheckpointAnchored` log as web3 returns it (from `eth_getLogs` or a receipt)."""
    raw_topics = [bytes(t) for t in log["topics"]]
    size, root = eth_abi.decode(["uint64", "bytes32"], bytes(log["data"]))
    return AnchorEvent(
        writer=to_checksum_address(raw_topics[1][-20:]),
        index=int.from_bytes(raw_topics[2], "big"),
        size=int(size),
        root=bytes(root),
        tx_hash=bytes(log["transactionHash"]),
        block_number=int(log["blockNumber"]),
        block_hash=bytes(log["blockHash"]),
        log_index=int(log["logIndex"]),
    )


@dataclass(frozen=True)
class AgencyEvent:
    """An `AgencyRegistered` (credit_code set) or `AgencyRevoked` (credit_code None) log."""

    agency: str
    credit_code: str | None
    block_number: int
    log_index: int
    tx_hash: bytes

    @property
    def registered(self) -> bool:
        return self.credit_code is not None


def agency_events(
    anchor: AnchorContract,
    *,
    agency: str | None = None,
    from_block: BlockId = 0,
    to_block: BlockId = "latest",
) -> list[AgencyEvent]:
    """The registry's history, in chain order: registrations and revocations."""
    events = []
    who = None if agency is None else _topic(to_checksum_address(agency))
    for log in logs(
        anchor,
        [[_topic(AGENCY_REGISTERED_TOPIC), _topic(AGENCY_REVOKED_TOPIC)], who],
        from_block,
        to_block,
    ):
        if log.get("removed"):
            continue
        raw_topics = [bytes(t) for t in log["topics"]]
        code = None
        if raw_topics[0] == AGENCY_REGISTERED_TOPIC:
            (code,) = eth_abi.decode(["string"], bytes(log["data"]))
        events.append(
            AgencyEvent(
                agency=to_checksum_address(raw_topics[1][-20:]),
                credit_code=None if code is None else str(code),
                block_number=int(log["blockNumber"]),
                log_index=int(log["logIndex"]),
                tx_hash=bytes(log["transactionHash"]),
            )
        )
    events.sort(key=lambda e: (e.block_number, e.log_index))
    return events


# -- anchoring ---------------------------------------------------------------------------


def anchor_gas_limit(proof_length: int) -> int:
    """The gas limit given to an `anchor` transaction with a proof of `proof_length`."""
    return ANCHOR_BASE_GAS + ANCHOR_GAS_PER_PROOF_ELEMENT * proof_length


def anchor_calldata(
    anchor: AnchorContract, size: int, root: bytes, proof: Sequence[bytes]
) -> bytes:
    return bytes.fromhex(anchor.contract.encode_abi("anchor", args=[size, root, list(proof)])[2:])


def preflight_anchor(
    anchor: AnchorContract,
    writer: str,
    size: int,
    root: bytes,
    proof: Sequence[bytes],
    *,
    fees: Fees | None = None,
) -> int:
    """Runs `anchor` as an `eth_call` from `writer` on the latest state, with the gas limit
    (and the fees, if given) the transaction will have; returns the index the checkpoint
    would get, or raises the contract's refusal as `ContractReverted`."""
    data = anchor_calldata(anchor, size, root, proof)
    call = _call_fields(writer, anchor.address, data, anchor_gas_limit(len(proof)), fees)
    result = _call("EvidenceAnchor.anchor", lambda: anchor.w3.eth.call(call, "latest"))
    (index,) = eth_abi.decode(["uint256"], bytes(result))
    return int(index)


def prepare_anchor(
    anchor: AnchorContract,
    signer: LocalAccount,
    size: int,
    root: bytes,
    proof: Sequence[bytes],
    *,
    chain: int,
    nonce: int,
    fees: Fees,
    gas: int | None = None,
) -> SignedTx:
    """Signs `anchor(size, root, proof)` with an explicit nonce, gas and fees; sends nothing."""
    return sign_transaction(
        signer,
        chain=chain,
        to=anchor.address,
        data=anchor_calldata(anchor, size, root, proof),
        nonce=nonce,
        gas=anchor_gas_limit(len(proof)) if gas is None else gas,
        fees=fees,
    )


def send_anchor(
    anchor: AnchorContract,
    signer: LocalAccount,
    size: int,
    root: bytes,
    proof: Sequence[bytes],
    *,
    nonce: int | None = None,
    fees: Fees | None = None,
    gas: int | None = None,
) -> SignedTx:
    """Signs and broadcasts one `anchor` transaction; returns it (wait for its receipt with
    `wait_for_receipt`). The anchorer uses `prepare_anchor` and `broadcast` separately, so
    that it can persist the signed transaction before it leaves the process."""
    w3 = anchor.w3
    signed = prepare_anchor(
        anchor,
        signer,
        size,
        root,
        proof,
        chain=chain_id(w3),
        nonce=account_nonce(w3, signer.address, "pending") if nonce is None else nonce,
        fees=suggest_fees(w3) if fees is None else fees,
        gas=gas,
    )
    broadcast(w3, signed.raw)
    return signed


# -- blocks and proofs -------------------------------------------------------------------


@dataclass(frozen=True)
class BlockInfo:
    number: int
    hash: bytes
    timestamp: int
    base_fee: int | None


def get_block(w3: Web3, block: BlockId) -> Any:
    """`eth_getBlockByNumber` without transactions, as web3's AttributeDict."""
    found = _call("eth_getBlockByNumber", lambda: w3.eth.get_block(cast(Any, block)))
    if found is None:
        raise RpcError("eth_getBlockByNumber", f"no block {block}")
    return found


def block_info(w3: Web3, block: BlockId = "latest") -> BlockInfo:
    found = get_block(w3, block)
    base_fee = found.get("baseFeePerGas")
    return BlockInfo(
        number=int(found["number"]),
        hash=bytes(found["hash"]),
        timestamp=int(found["timestamp"]),
        base_fee=None if base_fee is None else int(base_fee),
    )


def get_proof(w3: Web3, address: str, slots: Sequence[int], block: int) -> Any:
    """`eth_getProof` of `slots` of `address` at `block`.

    Slots go as full 32-byte hex: web3 would send an int as minimal hex, and anvil refuses
    an odd number of digits.
    """
    keys = ["0x" + slot.to_bytes(32, "big").hex() for slot in slots]
    return _call(
        "eth_getProof",
        # web3's type for get_proof's arguments is wrong (a single tuple); the call is right.
        lambda: cast(Any, w3.eth).get_proof(to_checksum_address(address), keys, block),
    )
