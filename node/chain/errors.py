"""Errors of the embedded chain.

Every class carries the facts of its failure as attributes, and its message says what was
expected and what was found, so the CLI can print one line and a test can assert on fields.
"""

from __future__ import annotations

from pathlib import Path

from evanchor.anchor.errors import EvanchorError


class ChainError(EvanchorError):
    """Root of the embedded chain's errors."""


class GenesisError(ChainError):
    """The genesis file is unreadable or one of its fields is invalid."""

    def __init__(self, source: str, field: str, reason: str) -> None:
        super().__init__(f"{source}: genesis field {field!r}: {reason}")
        self.source = source
        self.field = field
        self.reason = reason


class GenesisMismatch(ChainError):
    """The database was created from another genesis than the one given now."""

    def __init__(self, expected_hash: bytes, found_hash: bytes) -> None:
        super().__init__(
            "the chain database was built from another genesis: "
            f"genesis block hash expected 0x{expected_hash.hex()}, found 0x{found_hash.hex()}"
        )
        self.expected_hash = expected_hash
        self.found_hash = found_hash


class DataDirError(ChainError):
    """The data directory is missing, incomplete, or held by another process."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class DatabaseInUse(DataDirError):
    """The chain database is held by another process (`holder`: its pid), in practice the
    running node: LevelDB admits one process, and commands that change a chain's data
    directory (votes, manual sealing) work on a stopped node."""

    def __init__(self, path: Path, holder: int) -> None:
        super().__init__(
            path, f"the chain database is in use by process {holder} (the node?): stop the node"
        )
        self.holder = holder


class DatabaseLocked(DataDirError):
    """The chain database's LOCK is held and /proc/locks names no other process: this
    process holds it already, or there is no /proc/locks to say who (not Linux)."""


class KeyFileError(ChainError):
    """A sealer key file or keystore cannot be read or decrypted."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class TransactionRejected(ChainError):
    """A transaction was refused at admission; nothing about it was stored.

    `rpc_code` is the JSON-RPC error code the endpoint answers with (EIP-1474: -32003
    "transaction rejected"; -32000 for the geth-style nonce and fee refusals).
    """

    rpc_code = -32000

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidTransaction(TransactionRejected):
    """The raw bytes are not a valid signed transaction for this chain."""

    rpc_code = -32602


class SenderNotAllowlisted(TransactionRejected):
    """The sender is not on the chain's allowlist (genesis `allowlist`)."""

    rpc_code = -32003

    def __init__(self, sender: bytes) -> None:
        super().__init__(f"sender 0x{sender.hex()} is not on the chain's allowlist")
        self.sender = sender


class NonceTooLow(TransactionRejected):
    def __init__(self, sender: bytes, expected: int, found: int) -> None:
        super().__init__(f"nonce too low: account 0x{sender.hex()} expects {expected}, got {found}")
        self.sender = sender
        self.expected = expected
        self.found = found


class NonceTooHigh(TransactionRejected):
    def __init__(self, sender: bytes, expected_at_most: int, found: int) -> None:
        super().__init__(
            f"nonce too high: account 0x{sender.hex()} accepts at most {expected_at_most}, "
            f"got {found}"
        )
        self.sender = sender
        self.expected_at_most = expected_at_most
        self.found = found


class InsufficientFunds(TransactionRejected):
    def __init__(self, sender: bytes, needed: int, balance: int) -> None:
        super().__init__(
            f"insufficient funds for gas * price + value: account 0x{sender.hex()} "
            f"needs {needed}, has {balance}"
        )
        self.sender = sender
        self.needed = needed
        self.balance = balance


class FeeTooLow(TransactionRejected):
    def __init__(self, expected_at_least: int, found: int, what: str) -> None:
        super().__init__(f"{what}: expected at least {expected_at_least}, got {found}")
        self.expected_at_least = expected_at_least
        self.found = found


class RpcRequestRefused(ChainError):
    """A JSON-RPC request body refused before any of it is dispatched."""


class MalformedRequest(RpcRequestRefused):
    """The body is not strict JSON (see `rpc_json`): answered with -32700."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"parse error: {reason}")
        self.reason = reason


class RequestTooLarge(RpcRequestRefused):
    """The body is over the size limit: answered with HTTP 413 and -32600."""

    def __init__(self, limit: int, found: int | None) -> None:
        size = "more" if found is None else f"{found} bytes"
        super().__init__(f"invalid request: body too large: limit {limit} bytes, found {size}")
        self.limit = limit
        self.found = found


class ExecutionReverted(ChainError):
    """An `eth_call` or gas estimate ended in REVERT (or another EVM error)."""

    def __init__(self, reason: str, data: bytes) -> None:
        super().__init__(f"execution reverted: {reason}" if reason else "execution reverted")
        self.reason = reason
        self.data = data


class TimeLimitReached(ChainError):
    """Work asked over JSON-RPC ran to its time limit and was abandoned.

    `what` is "execution" (an `eth_call` or gas estimate) or "log query"; `limit_seconds` the
    limit it ran into. Nothing was written: calls run on a throw-away state.
    """

    def __init__(self, what: str, limit_seconds: float) -> None:
        super().__init__(f"{what} aborted: time limit of {limit_seconds} s reached")
        self.what = what
        self.limit_seconds = limit_seconds


class UnknownBlock(ChainError):
    """A block asked for by number, hash or tag is not on the canonical chain."""

    def __init__(self, identifier: str) -> None:
        super().__init__(f"unknown block {identifier}")
        self.identifier = identifier


class SealerNotAuthority(ChainError):
    """The node's sealing key is not among the authorities at the chain head."""

    def __init__(self, sealer: bytes, authorities: tuple[bytes, ...]) -> None:
        names = ", ".join("0x" + a.hex() for a in authorities)
        super().__init__(f"sealer 0x{sealer.hex()} is not an authority; authorities: {names}")
        self.sealer = sealer
        self.authorities = authorities


class NoSealerKey(ChainError):
    """Sealing was asked of a chain opened without a sealer key."""

    def __init__(self) -> None:
        super().__init__("this chain was opened without a sealer key; it cannot seal blocks")


class BlockRejected(ChainError):
    """A block offered for import broke a rule; nothing of it was stored.

    `field` names the rule or header field at fault: ``parent_hash``, ``header``,
    ``seal``, ``sender`` (allowlist), ``transaction``, ``transaction_root``, ``gas_used``,
    ``bloom``, ``receipt_root``, ``state_root``, ``hash``, ``rlp``, ``genesis_hash``.
    """

    def __init__(self, block_number: int, field: str, expected: str, found: str) -> None:
        super().__init__(
            f"block {block_number}: {field} mismatch: expected {expected}, found {found}"
        )
        self.block_number = block_number
        self.field = field
        self.expected = expected
        self.found = found


class ReplayMismatch(BlockRejected):
    """Replaying an export stopped at the first block that does not check out."""


class ExportFormatError(ChainError):
    """An export file is not a sequence of RLP-encoded blocks."""

    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(f"export file, byte offset {offset}: {reason}")
        self.offset = offset
        self.reason = reason
