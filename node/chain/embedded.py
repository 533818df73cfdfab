"""`EmbeddedChain`: the node's own permissioned chain — py-evm, Clique, LevelDB.

One object owns the database, the transaction pool and the sealer key. Everything it
does happens on the caller's thread, and it is not thread-safe, with one exception the
JSON-RPC server relies on to run heavy reads off its event loop: the reads of data that
never changes once written — `call` and `estimate_gas` on a given header, `receipts` and
`block` of a sealed header, `header_by_number` up to a head already seen, `header_by_hash`
— may run on other threads while the owner seals. They read trie nodes, code, headers and
bodies by hash (content-addressed, never rewritten; there are no forks) through the
database's thread-safe reads, and the receipt cache is locked.

Writes are one atomic batch per block (`StagedAtomicDB.block_write`): a block is either
fully on disk — header, body, receipts, state, lookups, canonical head — or not at all.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import rlp
from eth.abc import (
    BlockAPI,
    BlockHeaderAPI,
    ComputationAPI,
    ReceiptAPI,
    SignedTransactionAPI,
    StateAPI,
)
from eth.chains.base import Chain
from eth.consensus.clique.clique import CliqueConsensus, CliqueConsensusContext
from eth.consensus.clique.constants import NONCE_DROP
from eth.exceptions import (
    CanonicalHeadNotFound,
    HeaderNotFound,
    Revert,
    TransactionNotFound,
    UnrecognizedTransactionType,
)
from eth.vm.forks.london.headers import calculate_expected_base_fee_per_gas
from eth.vm.spoof import SpoofTransaction
from eth_keys.datatypes import PrivateKey
from eth_keys.exceptions import BadSignature
from eth_typing import Address, BlockNumber, Hash32
from eth_utils.crypto import keccak
from eth_utils.exceptions import ValidationError

from evanchor.node.chain import clique
from evanchor.node.chain.allowlist import Allowlist
from evanchor.node.chain.errors import (
    BlockRejected,
    ExecutionReverted,
    FeeTooLow,
    GenesisMismatch,
    InsufficientFunds,
    InvalidTransaction,
    NoSealerKey,
    SealerNotAuthority,
    UnknownBlock,
)
from evanchor.node.chain.evm import chain_class_for, create_genesis, execution_deadline
from evanchor.node.chain.genesis import Genesis
from evanchor.node.chain.kvstore import MemoryKV, StagedAtomicDB
from evanchor.node.chain.txpool import PooledTransaction, TransactionPool, fee_cap, tip_cap

RECEIPT_CACHE_BLOCKS = 256


def created_address(sender: bytes, nonce: int) -> bytes:
    """The address of a contract created by `sender`'s transaction with `nonce` (Yellow Paper
    eq. 85: the last 20 bytes of keccak256(rlp([sender, nonce])))."""
    return keccak(rlp.encode([sender, nonce]))[12:]


@dataclass(frozen=True)
class TransactionLocation:
    """A sealed transaction and where it sits."""

    transaction: SignedTransactionAPI
    header: BlockHeaderAPI
    index: int


@dataclass(frozen=True)
class ReceiptInfo:
    """A receipt with the per-transaction facts a client wants, derived once."""

    transaction: SignedTransactionAPI
    sender: bytes
    header: BlockHeaderAPI
    index: int
    receipt: ReceiptAPI
    gas_used: int
    effective_gas_price: int
    first_log_index: int
    contract_address: bytes | None

    @property
    def succeeded(self) -> bool:
        return self.receipt.state_root == b"\x01"


@dataclass(frozen=True)
class CallRequest:
    """An unsigned message for `call` and `estimate_gas` (the eth_call object)."""

    sender: bytes = bytes(20)
    to: bytes | None = None
    gas: int | None = None
    max_fee_per_gas: int | None = None
    max_priority_fee_per_gas: int | None = None
    value: int = 0
    data: bytes = b""


@dataclass(frozen=True)
class TimeLimit:
    """When work asked of the chain must stop (a call, an estimate, a log scan): `deadline`
    on the `time.monotonic()` clock (None: never), `seconds` the limit it stands for (what
    `TimeLimitReached` reports)."""

    deadline: float | None = None
    seconds: float = 0.0


NO_TIME_LIMIT = TimeLimit()


@dataclass(frozen=True)
class CallResult:
    output: bytes
    gas_used: int


class EmbeddedChain:
    """The embedded chain. Open a data directory with `evanchor.node.chain.datadir.open_chain`,
    or build one over any `StagedAtomicDB` (e.g. `MemoryKV`) with the constructor; the
    database is initialised from `genesis` when empty, and refused when it holds another.

    `sealer_key` may be None for a read-only or import-only chain (replay); sealing then
    raises `NoSealerKey`. `clock` returns Unix time in seconds (injectable for tests).
    """

    def __init__(
        self,
        genesis: Genesis,
        db: StagedAtomicDB,
        sealer_key: PrivateKey | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.genesis = genesis
        self.allowlist = Allowlist(genesis.allowlisted)
        self._db = db
        self._sealer_key = sealer_key
        self._clock = clock
        self._chain_class = chain_class_for(genesis)
        self._pool = TransactionPool()
        self._proposals: list[clique.Proposal] = []
        self._listeners: list[Callable[[], None]] = []
        self._receipt_cache: OrderedDict[bytes, tuple[ReceiptInfo, ...]] = OrderedDict()
        self._receipt_cache_lock = threading.Lock()
        expected = expected_genesis_hash(genesis)
        try:
            stored = bytes(self._chain_class(db).chaindb.get_canonical_block_hash(BlockNumber(0)))
        except (CanonicalHeadNotFound, HeaderNotFound):
            with db.block_write():
                create_genesis(self._chain_class, db, genesis)
            stored = expected
        if stored != expected:
            raise GenesisMismatch(expected, stored)
        self._chain: Chain = self._chain_class(db)
        # The head and a read-only view of its state are asked for on every request and
        # change only when this object persists a block (`_after_new_head`).
        self._head: BlockHeaderAPI = self._chain.get_canonical_head()
        self._head_state: StateAPI | None = None

    @classmethod
    def in_memory(cls, genesis: Genesis, sealer_key: PrivateKey | None = None) -> EmbeddedChain:
        return cls(genesis, MemoryKV(), sealer_key)

    def close(self) -> None:
        self._db.close()

    # -- identity ---------------------------------------------------------------------

    @property
    def chain_id(self) -> int:
        return self.genesis.chain_id

    @property
    def sealer(self) -> bytes | None:
        if self._sealer_key is None:
            return None
        return bytes(self._sealer_key.public_key.to_canonical_address())

    def add_listener(self, callback: Callable[[], None]) -> None:
        """Call `callback()` after a transaction enters the pool (to wake a sealer)."""
        self._listeners.append(callback)

    # -- blocks and headers -----------------------------------------------------------

    @property
    def head(self) -> BlockHeaderAPI:
        return self._head

    def header_by_number(self, number: int) -> BlockHeaderAPI:
        try:
            return self._chain.get_canonical_block_header_by_number(BlockNumber(number))
        except HeaderNotFound:
            raise UnknownBlock(f"number {number}") from None

    def header_by_hash(self, block_hash: bytes) -> BlockHeaderAPI:
        try:
            header = self._chain.get_block_header_by_hash(Hash32(block_hash))
        except (HeaderNotFound, ValidationError):
            raise UnknownBlock(f"hash 0x{block_hash.hex()}") from None
        canonical = self._chain.chaindb.get_canonical_block_hash(header.block_number)
        if canonical != header.hash:
            raise UnknownBlock(f"hash 0x{block_hash.hex()} (not canonical)")
        return header

    def total_difficulty(self, header: BlockHeaderAPI) -> int:
        return self._chain.get_score(header.hash)

    def block(self, header: BlockHeaderAPI) -> BlockAPI:
        return self._chain.get_block_by_header(header)

    def block_rlp(self, header: BlockHeaderAPI) -> bytes:
        encoded: bytes = rlp.encode(self.block(header))
        return encoded

    def decode_block(self, encoded: bytes) -> BlockAPI:
        """Decode one RLP block of this chain's fork (raises `rlp.DecodingError`)."""
        block_class = self._chain.get_vm_class_for_block_number(BlockNumber(0)).get_block_class()
        block: BlockAPI = rlp.decode(encoded, sedes=block_class)
        return block

    # -- state ------------------------------------------------------------------------

    def state_at(self, header: BlockHeaderAPI) -> StateAPI:
        """The state after block `header`, for reading only (the head's view is shared)."""
        if header.hash != self._head.hash:
            return self._chain.get_vm(header).state
        if self._head_state is None:
            self._head_state = self._chain.get_vm(header).state
        return self._head_state

    def next_base_fee(self) -> int:
        return calculate_expected_base_fee_per_gas(self.head)

    def state_root_db(self) -> StagedAtomicDB:
        """The raw node store (for Merkle proofs over state and storage tries)."""
        return self._db

    # -- authorities ------------------------------------------------------------------

    def authorities(self, header: BlockHeaderAPI | None = None) -> tuple[bytes, ...]:
        """Sorted Clique signers after block `header` (default: the head)."""
        at = self.head if header is None else header
        snapshot = self._consensus().get_snapshot(at)
        return tuple(bytes(a) for a in snapshot.get_sorted_signers())

    def _consensus(self) -> CliqueConsensus:
        context = self._chain.consensus_context
        assert isinstance(context, CliqueConsensusContext)
        return CliqueConsensus(context)

    @property
    def proposals(self) -> tuple[clique.Proposal, ...]:
        return tuple(self._proposals)

    def propose(self, subject: bytes, authorize: bool) -> None:
        """Have this node's sealer vote to add (`authorize`) or drop `subject`.

        The vote rides in every block this node seals while it would change something;
        it takes effect when more than half of the authorities have cast it (EIP-225).
        Proposals live in memory, like geth's `clique.propose`.
        """
        self.discard(subject)
        self._proposals.append(clique.Proposal(subject, authorize))

    def discard(self, subject: bytes) -> None:
        self._proposals = [p for p in self._proposals if p.subject != subject]

    # -- transactions -----------------------------------------------------------------

    def decode_transaction(self, raw: bytes) -> tuple[SignedTransactionAPI, bytes]:
        """Decode and check a signed transaction; return it with its sender."""
        builder = self._chain.get_vm_class_for_block_number(
            BlockNumber(self.head.block_number + 1)
        ).get_transaction_builder()
        try:
            tx = builder.decode(raw)
            tx.check_signature_validity()
            sender = bytes(tx.sender)
        except (
            rlp.DecodingError,
            rlp.DeserializationError,
            ValidationError,
            BadSignature,
            UnrecognizedTransactionType,
        ) as error:
            raise InvalidTransaction(f"invalid transaction: {error}") from None
        except (ValueError, TypeError, IndexError) as error:
            raise InvalidTransaction(f"invalid transaction encoding: {error}") from None
        if tx.chain_id != self.chain_id:
            raise InvalidTransaction(
                f"invalid chain id: expected {self.chain_id}, found {tx.chain_id} "
                "(transactions must be EIP-155 or typed)"
            )
        return tx, sender

    def add_transaction(self, raw: bytes) -> bytes:
        """Admit a raw signed transaction into the pool; return its hash.

        Checks, in order: encoding and signature, chain id, allowlist, intrinsic gas and
        block gas limit, nonce, fee cap against the next base fee, balance.
        """
        tx, sender = self.decode_transaction(raw)
        self.allowlist.check(sender)
        if tx.gas < tx.intrinsic_gas:
            raise InvalidTransaction(
                f"intrinsic gas too low: needs {tx.intrinsic_gas}, gas {tx.gas}"
            )
        if tx.gas > self.head.gas_limit:
            raise InvalidTransaction(f"exceeds block gas limit: {tx.gas} > {self.head.gas_limit}")
        if tip_cap(tx) > fee_cap(tx):
            raise InvalidTransaction("max priority fee per gas higher than max fee per gas")
        base_fee = self.next_base_fee()
        if fee_cap(tx) < base_fee:
            raise FeeTooLow(base_fee, fee_cap(tx), "max fee per gas less than block base fee")
        state = self.state_at(self.head)
        cost = tx.gas * fee_cap(tx) + tx.value
        balance = state.get_balance(Address(sender))
        if balance < cost:
            raise InsufficientFunds(sender, cost, balance)
        self._pool.add(tx, sender, state.get_nonce(Address(sender)))
        for listener in self._listeners:
            listener()
        return bytes(tx.hash)

    @property
    def pending_count(self) -> int:
        return len(self._pool)

    def pending_transactions(self) -> list[tuple[SignedTransactionAPI, bytes]]:
        return [(p.transaction, p.sender) for p in self._pool.all()]

    def pending_transaction(self, tx_hash: bytes) -> tuple[SignedTransactionAPI, bytes] | None:
        pooled = self._pool.get(tx_hash)
        return None if pooled is None else (pooled.transaction, pooled.sender)

    def nonce(
        self, address: bytes, header: BlockHeaderAPI | None = None, *, pending: bool = False
    ) -> int:
        state_nonce = self.state_at(self.head if header is None else header).get_nonce(
            Address(address)
        )
        return self._pool.pending_nonce(address, state_nonce) if pending else state_nonce

    def transaction(self, tx_hash: bytes) -> TransactionLocation | None:
        try:
            number, index = self._chain.chaindb.get_transaction_index(Hash32(tx_hash))
        except TransactionNotFound:
            return None
        header = self.header_by_number(number)
        return TransactionLocation(self.block(header).transactions[index], header, index)

    def receipts(self, header: BlockHeaderAPI) -> tuple[ReceiptInfo, ...]:
        """Receipts of a sealed block, with gas used per transaction and log offsets."""
        with self._receipt_cache_lock:
            cached = self._receipt_cache.get(header.hash)
            if cached is not None:
                self._receipt_cache.move_to_end(header.hash)
                return cached
        vm_class = self._chain.get_vm_class(header)
        block = self.block(header)
        raw = self._chain.chaindb.get_receipts(header, vm_class.get_receipt_builder())
        infos: list[ReceiptInfo] = []
        previous_cumulative = 0
        log_index = 0
        base_fee = header.base_fee_per_gas or 0
        for index, (tx, receipt) in enumerate(zip(block.transactions, raw, strict=True)):
            sender = bytes(tx.sender)
            price = min(fee_cap(tx), base_fee + tip_cap(tx))
            created = None if tx.to else created_address(sender, tx.nonce)
            infos.append(
                ReceiptInfo(
                    tx,
                    sender,
                    header,
                    index,
                    receipt,
                    receipt.gas_used - previous_cumulative,
                    price,
                    log_index,
                    created,
                )
            )
            previous_cumulative = receipt.gas_used
            log_index += len(receipt.logs)
        result = tuple(infos)
        with self._receipt_cache_lock:
            self._receipt_cache[header.hash] = result
            if len(self._receipt_cache) > RECEIPT_CACHE_BLOCKS:
                self._receipt_cache.popitem(last=False)
        return result

    def receipt(self, tx_hash: bytes) -> ReceiptInfo | None:
        location = self.transaction(tx_hash)
        if location is None:
            return None
        return self.receipts(location.header)[location.index]

    # -- execution without a transaction ----------------------------------------------

    def _spoof(
        self, request: CallRequest, header: BlockHeaderAPI, gas: int
    ) -> SignedTransactionAPI:
        vm = self._chain.get_vm(header)
        nonce = vm.state.get_nonce(Address(request.sender))
        unsigned = vm.get_transaction_builder().new_unsigned_dynamic_fee_transaction(  # type: ignore[attr-defined]
            chain_id=self.chain_id,
            nonce=nonce,
            max_priority_fee_per_gas=request.max_priority_fee_per_gas or 0,
            max_fee_per_gas=request.max_fee_per_gas or 0,
            gas=gas,
            to=request.to or b"",
            value=request.value,
            data=request.data,
            access_list=(),
        )
        spoofed: SignedTransactionAPI = SpoofTransaction(unsigned, from_=Address(request.sender))  # type: ignore[assignment]
        return spoofed

    def _execute(
        self, request: CallRequest, header: BlockHeaderAPI, gas: int, limit: TimeLimit
    ) -> ComputationAPI:
        tx = self._spoof(request, header, gas)
        with (
            execution_deadline(limit.deadline, limit.seconds),
            self._chain.get_vm(header).in_costless_state() as state,
        ):
            try:
                computation: ComputationAPI = state.apply_transaction(tx)
            except ValidationError as error:
                raise ExecutionReverted(str(error), b"") from None
        return computation

    def _succeeds_with(
        self, request: CallRequest, header: BlockHeaderAPI, gas: int, limit: TimeLimit
    ) -> bool:
        try:
            return not self._execute(request, header, gas, limit).is_error
        except ExecutionReverted:
            return False

    @staticmethod
    def gas_cap(request: CallRequest, header: BlockHeaderAPI) -> int:
        """The gas a call or estimate runs with: what it asks for, at most the block gas
        limit (no transaction could use more; geth lowers to its RPC gas cap likewise)."""
        if request.gas is None:
            return header.gas_limit
        return min(request.gas, header.gas_limit)

    def call(
        self,
        request: CallRequest,
        header: BlockHeaderAPI | None = None,
        limit: TimeLimit = NO_TIME_LIMIT,
    ) -> CallResult:
        """Run `request` on the state after `header` (default head) without sealing.

        Gas is `gas_cap`. Raises `ExecutionReverted`, or `TimeLimitReached` past `limit`.
        """
        at = self.head if header is None else header
        computation = self._execute(request, at, self.gas_cap(request, at), limit)
        _raise_if_failed(computation)
        return CallResult(bytes(computation.output), computation.get_gas_used())

    def estimate_gas(
        self,
        request: CallRequest,
        header: BlockHeaderAPI | None = None,
        limit: TimeLimit = NO_TIME_LIMIT,
    ) -> int:
        """Least gas limit with which `request` succeeds (bisection after one full run).

        The full run at the cap (`gas_cap`) tells whether the call can succeed at all (else
        its revert is raised) and how much it spent; the limit it needs lies between that
        spend (before refunds) and the cap, 63/64ths reserves included. Every run shares
        `limit`: past it, `TimeLimitReached`. Not py-evm's `binary_gas_search`: that one
        bisects from the intrinsic gas with no time limit (a hostile call could hold the
        RPC for every run); the test holds the two answers equal.
        """
        at = self.head if header is None else header
        cap = self.gas_cap(request, at)
        first = self._execute(request, at, cap, limit)
        _raise_if_failed(first)
        intrinsic = self._spoof(request, at, cap).intrinsic_gas
        spent = intrinsic + first.get_gas_used()
        low, high = spent - 1, cap
        if self._succeeds_with(request, at, spent, limit):
            return spent
        while high - low > 1:
            middle = (low + high) // 2
            if self._succeeds_with(request, at, middle, limit):
                high = middle
            else:
                low = middle
        return high

    # -- sealing ----------------------------------------------------------------------

    def next_seal_time(self) -> int:
        """Earliest Unix second the next block may carry (parent + Clique period)."""
        return self.head.timestamp + self.genesis.period

    def seal_block(
        self, *, allow_empty: bool = False, max_transactions: int | None = None
    ) -> BlockAPI | None:
        """Seal the executable pooled transactions into the next block; return it.

        At most `max_transactions` go in (default: as many as the gas limit allows); the
        rest wait for the next block. Returns None when there is nothing to seal (and
        `allow_empty` is false) or the period since the parent has not yet passed (see
        `next_seal_time`). Raises `NoSealerKey` or `SealerNotAuthority` when this node
        may not seal.
        """
        key = self._require_key()
        sealer = bytes(key.public_key.to_canonical_address())
        parent = self.head
        signers = self.authorities(parent)
        if sealer not in signers:
            raise SealerNotAuthority(sealer, signers)
        now = int(self._clock())
        if now < self.next_seal_time():
            return None
        candidates = self._pool.executable(lambda address: self.nonce(address, parent))
        if max_transactions is not None:
            candidates = candidates[:max_transactions]
        if not candidates and not allow_empty:
            return None
        number = parent.block_number + 1
        if clique.is_checkpoint(number, self.genesis.epoch):
            coinbase, vote = clique.ZERO_ADDRESS, NONCE_DROP
            extra = clique.extra_data(self.genesis.extra_vanity, signers)
        else:
            coinbase, vote = clique.choose_vote(self._proposals, signers, sealer)
            extra = clique.extra_data(self.genesis.extra_vanity)
        vm_class = self._chain.get_vm_class_for_block_number(BlockNumber(number))
        template = vm_class.create_header_from_parent(
            parent,
            timestamp=max(now, self.next_seal_time()),
            difficulty=clique.sealing_difficulty(number, sealer, signers),
            coinbase=coinbase,
            nonce=vote,
            gas_limit=parent.gas_limit,
            extra_data=extra,
        )
        dropped: list[bytes] = []
        try:
            with self._db.block_write():
                block = self._fill_and_persist(template, key, candidates, dropped, allow_empty)
        except _NothingToSeal:
            block = None
        for tx_hash in dropped:
            self._pool.remove(tx_hash)
        if block is not None:
            self._after_new_head(block)
        return block

    def _fill_and_persist(
        self,
        template: BlockHeaderAPI,
        key: PrivateKey,
        candidates: list[PooledTransaction],
        dropped: list[bytes],
        allow_empty: bool,
    ) -> BlockAPI:
        """Run `candidates` under `template`, sign, validate and persist the block.

        Requires: an open `block_write()` scope (an exception drops every write).
        Transactions that fail validation are appended to `dropped`; a sender whose
        transaction cannot go in this block (gas left, fee cap) keeps the rest of its
        run for a later block.
        """
        # py-evm pays fees to the address recovered from the seal, so the header the
        # transactions run under must already carry our signature; the final header is
        # signed again once its roots are known.
        header = clique.sign_header(template, key)
        vm = self._chain.get_vm(header)
        included: list[SignedTransactionAPI] = []
        receipts: list[ReceiptAPI] = []
        blocked: set[bytes] = set()
        base_fee = header.base_fee_per_gas or 0
        for pooled in candidates:
            tx = pooled.transaction
            if pooled.sender in blocked:
                continue
            if tx.gas > header.gas_limit - header.gas_used or fee_cap(tx) < base_fee:
                blocked.add(pooled.sender)
                continue
            snapshot = vm.state.snapshot()
            try:
                receipt, _ = vm.apply_transaction(header, tx)
            except ValidationError:
                vm.state.revert(snapshot)
                blocked.add(pooled.sender)
                dropped.append(bytes(tx.hash))
                continue
            header = vm.add_receipt_to_header(header, receipt)
            included.append(tx)
            receipts.append(receipt)
        if not included and not allow_empty:
            raise _NothingToSeal
        filled = vm.set_block_transactions_and_withdrawals(
            vm.get_block(), header, included, receipts
        )
        block = vm.finalize_block(filled).block
        block = block.copy(header=clique.sign_header(block.header, key))
        self._chain.validate_block(block)
        self._chain.chaindb.persist_block(block)
        return block

    def _after_new_head(self, block: BlockAPI) -> None:
        self._head = block.header
        self._head_state = None
        for tx in block.transactions:
            self._pool.remove(bytes(tx.hash))
        head = block.header
        self._pool.drop_stale(lambda address: self.nonce(address, head))

    def _require_key(self) -> PrivateKey:
        if self._sealer_key is None:
            raise NoSealerKey()
        return self._sealer_key

    # -- import -----------------------------------------------------------------------

    def import_block(self, block: BlockAPI) -> BlockAPI:
        """Check and execute a block sealed elsewhere on top of the head; persist it.

        Checks, in order, each failure a `BlockRejected` naming the field: parent hash,
        header rules (number, timestamp, gas limit, base fee), the seal (signer among the
        authorities, in-turn difficulty, Clique header layout and vote), the allowlist of
        every sender, execution, then the transaction root, gas used, bloom, receipt
        root, state root and finally the whole header hash against the re-executed block.
        Only linear extension of the head is supported (no forks on a single-sealer chain).
        """
        parent = self.head
        # Seal checks may store Clique snapshots: they go in the block's write scope too,
        # so a rejected block leaves nothing behind.
        with self._db.block_write():
            self._check_before_execution(block, parent)
            self._execute_and_persist(block, parent)
        self._after_new_head(block)
        return block

    def _check_before_execution(self, block: BlockAPI, parent: BlockHeaderAPI) -> None:
        header = block.header
        number = header.block_number
        if header.parent_hash != parent.hash:
            raise _rejected(number, "parent_hash", parent.hash, header.parent_hash)
        vm_class = self._chain.get_vm_class_for_block_number(BlockNumber(number))
        try:
            vm_class.validate_header(header, parent)
        except ValidationError as error:
            raise _rejected(
                number, "header", "a header valid against its parent", str(error)
            ) from None
        signers = self.authorities(parent)
        signer = clique.header_sealer(header)
        if signer is None or signer not in signers:
            among = "a signer among " + ", ".join(_show(s) for s in signers)
            raise _rejected(number, "seal", among, signer)
        difficulty = clique.sealing_difficulty(number, signer, signers)
        if header.difficulty != difficulty:
            raise _rejected(number, "difficulty", difficulty, header.difficulty)
        consensus = self._consensus()
        try:
            consensus.validate_seal(header)
            consensus.validate_seal_extension(header, ())
        except (ValidationError, ValueError) as error:
            # ValueError: py-evm's tally cannot apply a passing self-removal vote.
            raise _rejected(number, "seal", "a valid Clique seal", str(error)) from None
        for index, tx in enumerate(block.transactions):
            try:
                sender = bytes(tx.sender)
            except (ValidationError, BadSignature, ValueError) as error:
                expected = f"a valid signature on transaction {index}"
                raise _rejected(number, "transaction", expected, str(error)) from None
            if sender not in self.allowlist:
                expected = f"an allowlisted sender of transaction {index}"
                raise _rejected(number, "sender", expected, sender)
            if tx.chain_id != self.chain_id:
                expected = f"chain id {self.chain_id} on transaction {index}"
                raise _rejected(number, "transaction", expected, f"chain id {tx.chain_id}")

    def _execute_and_persist(self, block: BlockAPI, parent: BlockHeaderAPI) -> None:
        """Re-execute `block` on `parent`, compare what it commits to, persist it.

        Requires: an open `block_write()` scope.
        """
        header = block.header
        number = header.block_number
        base = self._chain.create_header_from_parent(
            parent, timestamp=header.timestamp, difficulty=header.difficulty
        )
        vm = self._chain.get_vm(base)
        try:
            executed = vm.import_block(block).block
        except ValidationError as error:
            raise _rejected(number, "transaction", "executable transactions", str(error)) from None
        for field in ("transaction_root", "gas_used", "bloom", "receipt_root", "state_root"):
            expected, found = getattr(executed.header, field), getattr(header, field)
            if expected != found:
                raise _rejected(number, field, expected, found)
        if executed.header.hash != header.hash:
            raise _rejected(number, "hash", executed.header.hash, header.hash)
        self._chain.chaindb.persist_block(block)


def _rejected(number: int, field: str, expected: object, found: object) -> BlockRejected:
    return BlockRejected(number, field, _show(expected), _show(found))


class _NothingToSeal(Exception):
    """Internal: abandon a block under construction (its staged writes are dropped)."""


def _show(value: object) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if value is None:
        return "none"
    return str(value)


def _raise_if_failed(computation: ComputationAPI) -> None:
    if not computation.is_error:
        return
    error = computation.error
    if isinstance(error, Revert):
        data = bytes(computation.output)
        raise ExecutionReverted(_revert_reason(data), data)
    raise ExecutionReverted(type(error).__name__ + (f": {error}" if str(error) else ""), b"")


ERROR_STRING_SELECTOR = bytes.fromhex("08c379a0")  # Error(string)


def _revert_reason(data: bytes) -> str:
    if data[:4] != ERROR_STRING_SELECTOR or len(data) < 68:
        return ""
    length = int.from_bytes(data[36:68], "big")
    text = data[68 : 68 + length]
    return text.decode("utf-8", errors="replace")


def expected_genesis_hash(genesis: Genesis) -> bytes:
    """Block 0's hash for `genesis`, computed in memory."""
    chain = create_genesis(chain_class_for(genesis), MemoryKV(), genesis)
    return bytes(chain.get_canonical_head().hash)
