"""Errors of talking to a chain and of anchoring.

All are `EvanchorError`s, so the CLI prints them as one line. Each carries the facts that
explain it (what was asked, of which transaction or block, what was expected and found).

Two families matter to a caller that retries:

- `ChainUnavailable` is transient: the endpoint did not answer (connection refused, timeout,
  an HTTP error from a proxy). Trying again later is right.
- everything else is an answer: the node refused a request (`RpcError`), the contract
  reverted (`ContractReverted`), a transaction was mined and failed
  (`TransactionReverted`). Trying the same thing again gives the same answer.

The anchorer adds `CheckpointRefused` and `LogDiverged`, which are permanent: a checkpoint
the chain will not take, or a chain whose log is not this log. They are raised again on
every step until an operator looks; a checkpoint is never silently skipped.
"""

from __future__ import annotations

from evanchor.anchor.errors import EvanchorError


class ChainClientError(EvanchorError):
    """Root of every failure while reading from or writing to a chain."""


class ChainUnavailable(ChainClientError):
    """The JSON-RPC endpoint did not answer `what` (transient: retry later)."""

    def __init__(self, what: str, reason: str) -> None:
        super().__init__(f"chain endpoint unavailable during {what}: {reason}")
        self.what = what
        self.reason = reason


class RpcError(ChainClientError):
    """The node answered `what` with an error that is not a contract revert."""

    def __init__(self, what: str, message: str, code: int | None = None) -> None:
        shown = f" (code {code})" if code is not None else ""
        super().__init__(f"{what} refused by the node{shown}: {message}")
        self.what = what
        self.message = message
        self.code = code


class BroadcastRefused(RpcError):
    """`eth_sendRawTransaction` of `tx_hash` was refused (nonce used, fee too low, funds…)."""

    def __init__(self, tx_hash: bytes, message: str, code: int | None = None) -> None:
        super().__init__(f"broadcast of transaction 0x{tx_hash.hex()}", message, code)
        self.tx_hash = tx_hash


class ContractReverted(ChainClientError):
    """A call or transaction to the contract reverted; the revert data decoded if possible.

    `error_name` and `arguments` are the contract's custom error (or `Error`/`Panic`);
    `data` is the raw revert data when the node returned it.
    """

    def __init__(
        self,
        function: str,
        error_name: str | None,
        arguments: tuple[tuple[str, object], ...] = (),
        data: bytes | None = None,
        reason: str | None = None,
    ) -> None:
        self.function = function
        self.error_name = error_name
        self.arguments = arguments
        self.data = data
        self.reason = reason
        super().__init__(f"{function} reverted: {self.description}")

    @property
    def description(self) -> str:
        """The error as one line: `Name(arg=value, ...)`, or what is known of it."""
        if self.error_name is not None:
            shown = ", ".join(f"{name}={_show(value)}" for name, value in self.arguments)
            return f"{self.error_name}({shown})"
        if self.data:
            return f"unknown error data 0x{self.data.hex()}"
        return self.reason or "no revert data"


class TransactionReverted(ChainClientError):
    """Transaction `tx_hash` was mined in `block_number` and failed (status 0)."""

    def __init__(
        self, tx_hash: bytes, block_number: int, reverted: ContractReverted | None
    ) -> None:
        why = reverted.description if reverted is not None else "reason unknown"
        super().__init__(f"transaction 0x{tx_hash.hex()} failed in block {block_number}: {why}")
        self.tx_hash = tx_hash
        self.block_number = block_number
        self.reverted = reverted


class ReceiptTimeout(ChainClientError):
    """No receipt for `tx_hash` after waiting `waited` seconds (it may still be mined)."""

    def __init__(self, tx_hash: bytes, waited: float) -> None:
        super().__init__(f"no receipt for transaction 0x{tx_hash.hex()} after {waited:.1f} s")
        self.tx_hash = tx_hash
        self.waited = waited


class ContractNotDeployed(ChainClientError):
    """There is no contract code at `address`."""

    def __init__(self, address: str) -> None:
        super().__init__(f"no contract code at {address}")
        self.address = address


class WrongChain(ChainClientError):
    """The endpoint serves another chain than the one expected."""

    def __init__(self, expected: int, found: int) -> None:
        super().__init__(f"the endpoint serves chain id {found}, expected {expected}")
        self.expected = expected
        self.found = found


class HeaderEncodingUnsupported(ChainClientError):
    """The header rebuilt from `eth_getBlockByNumber` does not hash to the block's hash.

    Happens if the chain's header has fields this client does not know (a later fork).
    """

    def __init__(self, block_number: int, expected: bytes, computed: bytes) -> None:
        super().__init__(
            f"block {block_number}: the header rebuilt from eth_getBlockByNumber hashes to "
            f"0x{computed.hex()}, the node says 0x{expected.hex()} (unknown header fields?)"
        )
        self.block_number = block_number
        self.expected = expected
        self.computed = computed


class InvalidCreditCode(EvanchorError):
    """A Unified Social Credit Code is malformed (checked before any transaction)."""

    def __init__(self, code: str, problem: str) -> None:
        super().__init__(f"credit code {code!r}: {problem}")
        self.code = code
        self.problem = problem


# -- anchoring ---------------------------------------------------------------------------


class AnchoringError(ChainClientError):
    """Anchoring a checkpoint cannot go on."""


class CheckpointRefused(AnchoringError):
    """Permanent: the contract refuses checkpoint `seq` (size, root) of this log.

    The anchorer stops at this checkpoint and raises this on every step: anchoring a later
    one instead would leave this one unanchored for ever.
    """

    def __init__(self, seq: int, size: int, root: bytes, reason: str) -> None:
        super().__init__(
            f"checkpoint {seq} (size {size}, root {root.hex()}) is refused by the contract: "
            f"{reason}"
        )
        self.seq = seq
        self.size = size
        self.root = root
        self.reason = reason


class LogDiverged(AnchoringError):
    """Permanent: the writer's log on chain holds a checkpoint this log does not have."""

    def __init__(self, index: int, size: int, chain_root: bytes, local_root: bytes | None) -> None:
        local = "beyond this log's size" if local_root is None else f"here {local_root.hex()}"
        super().__init__(
            f"the writer's checkpoint {index} on chain (size {size}, root {chain_root.hex()}) "
            f"is not this log's ({local}): the chain holds another log for this writer"
        )
        self.index = index
        self.size = size
        self.chain_root = chain_root
        self.local_root = local_root


class WriterNotAuthorised(AnchoringError):
    """The anchoring account does not hold the writer role (an admin must grant it)."""

    def __init__(self, writer: str, contract: str) -> None:
        super().__init__(f"{writer} does not hold WRITER_ROLE on {contract}")
        self.writer = writer
        self.contract = contract


class AnchorTargetMismatch(AnchoringError):
    """This log is anchored to another (chain id, contract, writer) than the one given."""

    def __init__(self, bound: dict[str, object], given: dict[str, object]) -> None:
        super().__init__(f"this log is anchored to {bound}, not {given}")
        self.bound = bound
        self.given = given


def _show(value: object) -> str:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    return str(value)
