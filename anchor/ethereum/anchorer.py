"""Exactly-once anchoring of one log's sealed checkpoints, in order, through EvidenceAnchor.

One `Anchorer` serves one log and one writer account. It anchors every sealed checkpoint in
`seq` order, each with the RFC 9162 consistency proof from the last checkpoint the chain
holds for the writer, and records its progress per checkpoint in the log store
(`LogStore.put_anchor_state`, synced), so that no crash, restart, lost receipt or RPC
failure loses a checkpoint or anchors one twice.

States of checkpoint `seq` (`anchor_state.py` reads and writes them; absent = not started):

    sending     a transaction is signed and persisted: nonce, hash, raw bytes, gas, fees.
                Written BEFORE it is broadcast, so whatever happens next, the one
                transaction that may be on its way is known.
    sent        the node accepted the broadcast (`sent_at`).
    confirmed   anchored: tx hash, block number, hash and timestamp, log index, the
                checkpoint's index on chain, and the confirmations seen. Final.
    reverted    the transaction was mined and failed; the next step starts a new attempt,
                whose preflight shows whether the refusal is permanent.
    superseded  the transaction's nonce was used by another transaction; a new attempt
                follows.
    refused     permanent: the contract will not take this checkpoint (the chain holds a
                larger or inconsistent one). `CheckpointRefused` on every step from here.

A step on a checkpoint whose transaction was sent asks first for the receipts of that
transaction's attempts (one `eth_getTransactionReceipt` each, usually one): a successful
receipt holding the contract's `CheckpointAnchored(writer, index, size, root)` for it
settles the checkpoint, no receipt means the transaction is pending (or forgotten), and
only a failed receipt goes on to the questions below. The checkpoint after one so confirmed
is signed from it at once (the next nonce, the proof from its size), as a transaction sent
ahead is: the chain's answers are known, since it holds that checkpoint last. Every other
step first asks the chain
(`isAnchored(writer, size, root)`, then the checkpoint's index, stored block and
`CheckpointAnchored` event). A checkpoint found there is settled from what the chain says,
whatever the local state: a crash between broadcast and persisting, a receipt that never
arrived, or a restart cannot lead to a second anchor. A new transaction is signed only when
the chain does not hold the checkpoint and no earlier transaction for it can still be
mined (none was sent, it failed, or its nonce was used), which only those steps decide.
Even then the contract refuses an equal size, so a duplicate could only fail, never anchor.

A sent transaction that stays pending longer than `replace_after` seconds is replaced: the
same nonce, signed again with fees raised by a quarter (nodes require at least +10 %). Only
one transaction per nonce can be mined, so replacing never anchors twice. A transaction the
node forgot (dropped from its pool) is broadcast again, byte for byte.

Pipelining (issue 12): checkpoints may be sealed faster than one transaction per block
confirms. Once the first unconfirmed checkpoint's transaction is broadcast ("sent"), each
step also sends ahead the checkpoints sealed after it, up to `max_in_flight` transactions
in all: checkpoint `s + 1` signed with the nonce after `s`'s and the consistency proof from
`s`'s size, so that when the transactions are mined in nonce order each extends the one
before it on chain, and a block holds many. Every sealed checkpoint still gets its own
transaction and is anchored with its own (size, root), in `seq` order (the contract refuses
anything else): pipelining changes when a transaction is sent, not what it says. What is
settled stays sequential: only the first unconfirmed checkpoint is ever settled, replaced,
or started again; a transaction sent ahead is followed by the same rules once its turn
comes. If the one before it fails, a transaction sent ahead fails too (its proof starts
from a size the chain does not hold) and, at its turn, is signed again from what the chain
holds. Sending ahead is an optimisation only: a step that cannot send ahead (an RPC error,
a broadcast refused) leaves the checkpoint for its turn.

RPC failures (`ChainUnavailable`) are retried within a step with exponential
backoff, a bounded number of times; then the step raises, and the caller's loop tries again
later. A checkpoint the chain refuses is never skipped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import ParamSpec, TypeVar

from eth_account.signers.local import LocalAccount
from web3.types import TxParams

from evanchor.anchor.ethereum import client as cc
from evanchor.anchor.ethereum.anchor_state import (
    AnchorStatus,
    Confirmed,
    InFlight,
    Refused,
    confirmed_state,
    state_json,
    stored_state,
)
from evanchor.anchor.ethereum.errors import (
    AnchorTargetMismatch,
    BroadcastRefused,
    ChainUnavailable,
    CheckpointRefused,
    ContractReverted,
    LogDiverged,
    RpcError,
    WriterNotAuthorised,
)
from evanchor.anchor.ethereum.progress import ANCHORING_CURSOR_META
from evanchor.anchor.log.store import LogStore
from evanchor.anchor.protocol.checkpoint import Checkpoint
from evanchor.anchor.protocol.log_identity import LogIdentity
from evanchor.contracts.storage_layout import StoredCheckpoint

_T = TypeVar("_T")
_P = ParamSpec("_P")

TARGET_META = ANCHORING_CURSOR_META
"""Store metadata binding the log to one (chain id, contract, writer), plus a cursor."""

_PERMANENT_ERRORS = frozenset(
    {
        "EvidenceAnchorEmptyCheckpoint",
        "EvidenceAnchorUnexpectedProof",
        "EvidenceAnchorSizeNotIncreasing",
        "EvidenceAnchorInconsistentCheckpoint",
    }
)
"""Refusals that depend only on the writer's log on chain, which only grows: final."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often one RPC call is tried within a step, and how long to wait in between.

    Delays grow from `initial_delay` by `multiplier` up to `max_delay`; with the defaults a
    call is given up after about 6 s (0.2 + 0.4 + 0.8 + 1.6 + 3.2), short enough that the
    daemon's loop stays responsive and long enough to ride out a node restart.
    """

    attempts: int = 6
    initial_delay: float = 0.2
    multiplier: float = 2.0
    max_delay: float = 5.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("RetryPolicy.attempts must be at least 1")
        if self.initial_delay < 0 or self.max_delay < 0 or self.multiplier < 1:
            raise ValueError("RetryPolicy: delays must be >= 0 and multiplier >= 1")

    def delays(self) -> list[float]:
        """The waits between the attempts (one fewer than attempts)."""
        waits, delay = [], self.initial_delay
        for _ in range(self.attempts - 1):
            waits.append(min(delay, self.max_delay))
            delay *= self.multiplier
        return waits


class StepKind(StrEnum):
    IDLE = "idle"
    """Every sealed checkpoint is confirmed."""
    PREPARED = "prepared"
    """A transaction was signed and persisted as "sending"."""
    SENT = "sent"
    """The persisted transaction was broadcast."""
    REBROADCAST = "rebroadcast"
    """The node had forgotten the transaction; it was broadcast again, unchanged."""
    REPLACED = "replaced"
    """Pending too long: signed again with the same nonce and higher fees."""
    WAITING = "waiting"
    """Pending in the pool, or included and waiting for confirmations."""
    CONFIRMED = "confirmed"
    """The checkpoint is anchored with enough confirmations."""
    REVERTED = "reverted"
    """The transaction was mined and failed; a new attempt follows."""
    SUPERSEDED = "superseded"
    """Another transaction used the nonce; a new attempt follows."""


@dataclass(frozen=True)
class StepResult:
    kind: StepKind
    seq: int | None = None
    detail: str = ""
    tx_hash: bytes | None = None


@dataclass(frozen=True)
class _OnChain:
    """Where the chain holds a checkpoint of the writer's log."""

    index: int
    event: cc.AnchorEvent | None
    """None while the node does not return the log yet (it lags its own state)."""


@dataclass
class Anchorer:
    """Anchors the sealed checkpoints of `store` as `signer` through `anchor`.

    `confirmations` >= 1: blocks (the anchoring one included) before a checkpoint counts as
    anchored. `replace_after`: seconds a broadcast transaction may stay pending before it is
    replaced with higher fees (None: never). `max_in_flight` >= 1: transactions broadcast
    and not yet settled at once, the first unconfirmed checkpoint's included (1: strictly
    one at a time). `clock` and `sleep` are `time.time` and
    `time.sleep` unless a test gives others.
    """

    store: LogStore
    anchor: cc.AnchorContract
    signer: LocalAccount
    confirmations: int = 1
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    replace_after: float | None = 180.0
    poll_interval: float = 0.5
    max_in_flight: int = 32
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    _chain_id: int | None = field(default=None, init=False, repr=False)
    _cursor: int = field(default=0, init=False, repr=False)
    _after: InFlight | None = field(default=None, init=False, repr=False)
    """The transaction this process last saw mined for a checkpoint and confirmed from its
    receipt: the next checkpoint, if it has no state yet, continues from it."""
    _continued: int | None = field(default=None, init=False, repr=False)
    """The checkpoint this process signed as a continuation and has not broadcast yet."""

    def __post_init__(self) -> None:
        if self.confirmations < 1:
            raise ValueError("confirmations must be at least 1")
        if self.max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")

    @property
    def writer(self) -> str:
        return self.signer.address

    def backlog(self) -> int:
        """Sealed checkpoints not yet confirmed, as of the last step (O(1): the cursor is the
        first unconfirmed checkpoint)."""
        return max(0, self.store.checkpoint_count - self._cursor)

    # -- the loop ----------------------------------------------------------------------

    def step(self) -> StepResult:
        """One bounded unit of work on the first checkpoint not yet confirmed.

        Raises `CheckpointRefused` or `LogDiverged` (permanent), `WriterNotAuthorised`,
        `ChainUnavailable` after the retries, or another `ChainClientError` the node
        answered with; the persisted state is consistent after any of them.
        """
        self._bind_target()
        seq = self._next_unconfirmed()
        if seq is None:
            return StepResult(StepKind.IDLE, detail="every sealed checkpoint is anchored")
        result = self._step_first(seq)
        if result.kind is not StepKind.CONFIRMED and self.max_in_flight > 1:
            self._send_ahead(seq)
        return result

    def _step_first(self, seq: int) -> StepResult:
        """The step of the sequential anchorer, on the first unconfirmed checkpoint."""
        checkpoint = self.store.checkpoint(seq)
        state = self._state(seq)
        after, self._after = self._after, None
        if state is None and after is not None and after.seq == seq - 1:
            return self._continue(checkpoint, after)
        continued, self._continued = self._continued, None
        sending = isinstance(state, InFlight) and state.status is AnchorStatus.SENDING
        if continued == seq and sending:
            assert isinstance(state, InFlight)
            return self._broadcast(checkpoint, state)
        if isinstance(state, InFlight) and state.status is AnchorStatus.SENT:
            mined = self._mined(state)
            anchored = _anchored_by(mined, checkpoint, self.writer)
            if anchored is not None:
                settled = self._settle(checkpoint, state, anchored)
                if settled.kind is StepKind.CONFIRMED:
                    self._after = state
                return settled
            if not mined:
                return self._unmined(checkpoint, state)
            # mined and failed (or, never seen, succeeded without anchoring it): the chain
            # is asked below, as after a crash
        found = self._find_on_chain(checkpoint)
        if found is not None:
            return self._settle(checkpoint, state, found)
        if isinstance(state, Refused):
            raise CheckpointRefused(seq, checkpoint.size, checkpoint.root, state.reason)
        if state is None or state.status in (AnchorStatus.REVERTED, AnchorStatus.SUPERSEDED):
            return self._prepare(checkpoint, state)
        assert isinstance(state, InFlight), f"checkpoint {seq}: {state.status} yet not on chain"
        if state.status is AnchorStatus.SENDING:
            return self._broadcast(checkpoint, state)
        return self._follow(checkpoint, state)

    def _continue(self, checkpoint: Checkpoint, after: InFlight) -> StepResult:
        """Signs (and persists as "sending") the checkpoint after the one whose transaction
        `after` this process just saw mined: with the next nonce and the proof from its size,
        as a transaction sent ahead is, without asking the chain. What the chain would have
        said is known: it holds `after`'s checkpoint last (its receipt said so), which this
        process's previous step confirmed. If anything changed since (another transaction
        with the writer's key, a revoked role), this transaction fails or its nonce is used,
        and the checkpoint's next attempt asks the chain in full."""
        state = self._prepare_after(checkpoint, after)
        self._continued = checkpoint.seq
        return StepResult(
            StepKind.PREPARED,
            checkpoint.seq,
            f"signed with nonce {state.nonce}, proof from size {state.proof_from}",
            state.tx_hash,
        )

    def _send_ahead(self, first: int) -> None:
        """Broadcast transactions for the checkpoints after `first` while the one before
        each is broadcast and may still be mined, up to `max_in_flight` in all.

        Each is signed with the nonce after its predecessor's and the consistency proof from
        its predecessor's size, persisted as "sending" before it is broadcast (as every
        transaction is), then "sent". A checkpoint with any other state, one sent ahead of an
        earlier attempt (its nonce does not follow), or one whose broadcast fails, ends the
        run: it is handled at its turn by `step`. No preflight: the call
        only succeeds once the transactions before it are mined, which is the point.
        """
        previous = self._state(first)
        end = min(self.store.checkpoint_count, first + self.max_in_flight)
        for seq in range(first + 1, end):
            if not (
                isinstance(previous, InFlight)
                and previous.status is AnchorStatus.SENT
                and previous.may_still_be_mined
            ):
                return
            state = self._state(seq)
            if isinstance(state, InFlight) and state.nonce != previous.nonce + 1:
                return  # sent ahead of an earlier attempt: not in this run of nonces
            try:
                if state is None:
                    state = self._prepare_after(self.store.checkpoint(seq), previous)
                if isinstance(state, InFlight) and state.status is AnchorStatus.SENDING:
                    state = self._broadcast_ahead(state)
            except (ChainUnavailable, RpcError):
                return  # left for its turn, which retries and decides
            previous = state

    def _prepare_after(self, checkpoint: Checkpoint, previous: InFlight) -> InFlight:
        """Signs and persists ("sending") the anchoring of `checkpoint` to follow the
        transaction `previous` on chain: its nonce + 1, the proof from its size, its fees."""
        proof = self.store.consistency_proof(previous.size, checkpoint.size)
        signed = cc.prepare_anchor(
            self.anchor,
            self.signer,
            checkpoint.size,
            checkpoint.root,
            proof,
            chain=self.target().chain_id,
            nonce=previous.nonce + 1,
            fees=cc.fees_from_json(previous.fees),
        )
        self._persist_sending(checkpoint, signed, previous.size, None)
        state = self._state(checkpoint.seq)
        assert isinstance(state, InFlight)
        return state

    def _broadcast_ahead(self, state: InFlight) -> InFlight:
        """Broadcasts a transaction sent ahead and records it as "sent". A refusal from a
        node that already knows it counts as sent; any other propagates (`BroadcastRefused`)."""
        w3 = self.anchor.w3
        try:
            cc.broadcast(w3, state.raw_tx)
        except BroadcastRefused:
            if not cc.transaction_known(w3, state.tx_hash):
                raise
        sent = state.model_copy(update={"status": AnchorStatus.SENT, "sent_at": self.clock()})
        self._put(sent)
        return sent

    def _state(self, seq: int) -> InFlight | Confirmed | Refused | None:
        return stored_state(self.store, seq)

    def _put(self, state: InFlight | Confirmed | Refused) -> None:
        self.store.put_anchor_state(state.seq, state_json(state))

    def run_until_idle(self, deadline: float) -> list[StepResult]:
        """Steps until every sealed checkpoint is confirmed or `deadline` (a `time.monotonic`
        value) passes; waits `poll_interval` after a step that only waited. Returns the
        steps taken; errors propagate as from `step`."""
        results: list[StepResult] = []
        while True:
            result = self.step()
            results.append(result)
            if result.kind is StepKind.IDLE or time.monotonic() >= deadline:
                return results
            if result.kind is StepKind.WAITING:
                self.sleep(min(self.poll_interval, max(0.0, deadline - time.monotonic())))

    # -- binding and cursor ------------------------------------------------------------

    def target(self) -> LogIdentity:
        """The log's identity on chain: (chain id, contract, writer)."""
        chain = self._chain_id
        if chain is None:
            chain = self._retried(lambda: cc.chain_id(self.anchor.w3))
            self._chain_id = chain
        return LogIdentity(chain, self.anchor.address, self.writer)

    def _bind_target(self) -> None:
        if self._chain_id is not None:
            return
        given: dict[str, object] = {**self.target().as_json()}
        bound = self.store.meta(TARGET_META)
        if bound is None:
            self.store.put_meta(TARGET_META, {**given, "next_seq": 0})
            return
        identity = {key: bound.get(key) for key in given}
        if identity != given:
            self._chain_id = None
            raise AnchorTargetMismatch(identity, given)
        self._cursor = int(bound.get("next_seq", 0))

    def _next_unconfirmed(self) -> int | None:
        """The first checkpoint not confirmed, from the cursor (a hint: states are truth)."""
        seq = self._cursor
        while seq < self.store.checkpoint_count:
            if not isinstance(self._state(seq), Confirmed):
                break
            seq += 1
        if seq != self._cursor:
            self._cursor = seq
            self.store.put_meta(TARGET_META, {**self.target().as_json(), "next_seq": seq})
        return seq if seq < self.store.checkpoint_count else None

    # -- asking the chain --------------------------------------------------------------

    def _retried(self, call: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        """`call(*args, **kwargs)`, tried again after `ChainUnavailable` as the retry policy
        says; the last attempt's error propagates."""
        for delay in self.retry.delays():
            try:
                return call(*args, **kwargs)
            except ChainUnavailable:
                self.sleep(delay)
        return call(*args, **kwargs)

    def _find_on_chain(self, checkpoint: Checkpoint) -> _OnChain | None:
        anchor, writer = self.anchor, self.writer
        if not self._retried(
            lambda: cc.is_anchored(anchor, writer, checkpoint.size, checkpoint.root)
        ):
            return None
        index, stored = self._index_on_chain(checkpoint.size)
        events = self._retried(
            lambda: cc.anchor_events(
                anchor,
                writer=writer,
                index=index,
                from_block=stored.block_number,
                to_block=stored.block_number,
            )
        )
        return _OnChain(index, events[0] if events else None)

    def _index_on_chain(self, size: int) -> tuple[int, StoredCheckpoint]:
        """The index of the writer's anchored checkpoint of `size` and what the chain stores
        there (sizes strictly increase, so a binary search over `checkpointAt` finds it; the
        usual case is the last one, found with one read)."""
        anchor, writer = self.anchor, self.writer
        count = self._retried(lambda: cc.checkpoint_count(anchor, writer))
        low, high = 0, count
        guess = count - 1
        while low < high:
            at = self._retried(cc.checkpoint_at, anchor, writer, guess)
            if at.size == size:
                return guess, at
            if at.size < size:
                low = guess + 1
            else:
                high = guess
            guess = (low + high) // 2
        raise AssertionError(f"isAnchored found size {size}, checkpointAt does not")

    def _chain_last(self) -> tuple[int, int, bytes] | None:
        """(index, size, root) of the writer's last checkpoint on chain, None if none."""
        anchor, writer = self.anchor, self.writer
        count = self._retried(lambda: cc.checkpoint_count(anchor, writer))
        if count == 0:
            return None
        last = self._retried(lambda: cc.checkpoint_at(anchor, writer, count - 1))
        return count - 1, last.size, last.root

    # -- transitions -------------------------------------------------------------------

    def _settle(
        self, checkpoint: Checkpoint, state: _AnyState | None, found: _OnChain
    ) -> StepResult:
        seq = checkpoint.seq
        event = found.event
        if event is None:
            return StepResult(
                StepKind.WAITING, seq, f"anchored at index {found.index}; its log is not visible"
            )
        w3 = self.anchor.w3
        latest = self._retried(lambda: cc.block_info(w3, "latest"))
        block = self._retried(lambda: cc.block_info(w3, event.block_number))
        if block.hash != event.block_hash:  # reorganised since the log was read
            return StepResult(StepKind.WAITING, seq, f"block {event.block_number} changed")
        seen = latest.number - event.block_number + 1
        if seen < self.confirmations:
            return StepResult(
                StepKind.WAITING,
                seq,
                f"in block {event.block_number}, {seen}/{self.confirmations} confirmations",
                event.tx_hash,
            )
        target = self.target()
        self._put(
            Confirmed(
                status=AnchorStatus.CONFIRMED,
                seq=seq,
                size=checkpoint.size,
                root=checkpoint.root,
                chain_id=target.chain_id,
                contract=target.contract,
                writer=target.writer,
                checkpoint_index=found.index,
                tx_hash=event.tx_hash,
                block_number=event.block_number,
                block_hash=event.block_hash,
                block_timestamp=block.timestamp,
                log_index=event.log_index,
                confirmations=seen,
                attempts=_attempt_hashes(state),
            )
        )
        return StepResult(
            StepKind.CONFIRMED,
            seq,
            f"index {found.index} in block {event.block_number} ({seen} confirmations)",
            event.tx_hash,
        )

    def _refuse(self, checkpoint: Checkpoint, state: _AnyState | None, reason: str) -> None:
        self._put(
            Refused(
                status=AnchorStatus.REFUSED,
                seq=checkpoint.seq,
                size=checkpoint.size,
                root=checkpoint.root,
                reason=reason,
                attempts=_attempt_hashes(state),
            )
        )
        raise CheckpointRefused(checkpoint.seq, checkpoint.size, checkpoint.root, reason)

    def _prepare(self, checkpoint: Checkpoint, state: _AnyState | None) -> StepResult:
        """Signs a new anchoring transaction and persists it as "sending" (no broadcast)."""
        store, anchor, w3 = self.store, self.anchor, self.anchor.w3
        last = self._chain_last()
        if last is None:
            proof: list[bytes] = []
            proof_from = 0
        else:
            index, size, root = last
            local = store.root(size) if size <= store.size else None
            if local != root:
                raise LogDiverged(index, size, root, local)
            if size >= checkpoint.size:
                self._refuse(
                    checkpoint,
                    state,
                    f"the chain already holds the larger checkpoint {index} (size {size})",
                )
            proof = store.consistency_proof(size, checkpoint.size)
            proof_from = size
        fees = self._retried(lambda: cc.suggest_fees(w3))
        try:
            self._retried(
                lambda: cc.preflight_anchor(
                    anchor, self.writer, checkpoint.size, checkpoint.root, proof, fees=fees
                )
            )
        except ContractReverted as refusal:
            if refusal.error_name == "AccessControlUnauthorizedAccount":
                raise WriterNotAuthorised(self.writer, anchor.address) from None
            if refusal.error_name in _PERMANENT_ERRORS:
                self._refuse(checkpoint, state, refusal.description)
            raise
        chain = self.target().chain_id
        nonce = self._retried(lambda: cc.account_nonce(w3, self.writer, "pending"))
        signed = cc.prepare_anchor(
            anchor,
            self.signer,
            checkpoint.size,
            checkpoint.root,
            proof,
            chain=chain,
            nonce=nonce,
            fees=fees,
        )
        self._persist_sending(checkpoint, signed, proof_from, state)
        return StepResult(
            StepKind.PREPARED,
            checkpoint.seq,
            f"signed with nonce {nonce}, proof from size {proof_from}",
            signed.tx_hash,
        )

    def _persist_sending(
        self,
        checkpoint: Checkpoint,
        signed: cc.SignedTx,
        proof_from: int,
        earlier: _AnyState | None,
    ) -> None:
        """Records `signed` as the checkpoint's transaction. `attempts` lists every hash
        ever signed for it; `nonce_attempts` those with this nonce, one of which may still
        be mined (a replacement keeps the nonce, a new attempt starts a new list)."""
        same_nonce = (
            isinstance(earlier, InFlight)
            and earlier.may_still_be_mined
            and earlier.nonce == signed.nonce
        )
        nonce_attempts = (
            earlier.nonce_attempts if isinstance(earlier, InFlight) and same_nonce else ()
        )
        self._put(
            InFlight(
                status=AnchorStatus.SENDING,
                seq=checkpoint.seq,
                size=checkpoint.size,
                root=checkpoint.root,
                proof_from=proof_from,
                nonce=signed.nonce,
                tx_hash=signed.tx_hash,
                raw_tx=signed.raw,
                gas=signed.gas,
                fees={k: v for k, v in signed.fees.as_json().items() if v is not None},
                prepared_at=self.clock(),
                attempts=(*_attempt_hashes(earlier), signed.tx_hash.hex()),
                nonce_attempts=(*nonce_attempts, signed.tx_hash.hex()),
            )
        )

    def _broadcast(self, checkpoint: Checkpoint, state: InFlight) -> StepResult:
        """Broadcasts the persisted transaction, then records it as "sent"."""
        w3 = self.anchor.w3
        tx_hash = state.tx_hash
        try:
            self._retried(lambda: cc.broadcast(w3, state.raw_tx))
        except BroadcastRefused:
            # Already known or mined (a crash after an earlier broadcast), or its nonce is
            # used, or the node will not take it (funds, fees): ask before deciding.
            if not self._retried(lambda: cc.transaction_known(w3, tx_hash)):
                if self._nonce_used(state):
                    return self._supersede(checkpoint, state)
                raise
        self._put(state.model_copy(update={"status": AnchorStatus.SENT, "sent_at": self.clock()}))
        return StepResult(StepKind.SENT, checkpoint.seq, f"nonce {state.nonce}", tx_hash)

    def _nonce_used(self, state: InFlight) -> bool:
        w3, writer = self.anchor.w3, self.writer
        mined = self._retried(lambda: cc.account_nonce(w3, writer, "latest"))
        return bool(mined > state.nonce)

    def _supersede(self, checkpoint: Checkpoint, state: InFlight) -> StepResult:
        self._put(state.model_copy(update={"status": AnchorStatus.SUPERSEDED}))
        return StepResult(
            StepKind.SUPERSEDED,
            checkpoint.seq,
            f"nonce {state.nonce} was used by another transaction",
            state.tx_hash,
        )

    def _follow(self, checkpoint: Checkpoint, state: InFlight) -> StepResult:
        """A sent transaction the chain does not show as anchored yet: mined and failed,
        pending, pending too long, or forgotten by the node."""
        seq = checkpoint.seq
        for tx_hash, (receipt, _events) in self._mined(state):
            if receipt.status == 1:
                # Mined after this step asked isAnchored: the next step settles it.
                return StepResult(StepKind.WAITING, seq, "just mined", tx_hash)
            reason = self._failure_reason(checkpoint, state, receipt)
            self._put(
                state.model_copy(
                    update={
                        "status": AnchorStatus.REVERTED,
                        "reverted_tx_hash": tx_hash,
                        "reverted_in_block": receipt.block_number,
                        "reason": reason,
                    }
                )
            )
            return StepResult(StepKind.REVERTED, seq, reason, tx_hash)
        return self._unmined(checkpoint, state)

    def _mined(self, state: InFlight) -> list[tuple[bytes, _Mined]]:
        """The receipts of the transactions sent for this checkpoint with its current
        nonce (newest first; at most one of them can be mined), with their anchor logs."""
        found = []
        for attempt in reversed(state.nonce_attempts or (state.tx_hash.hex(),)):
            tx_hash = bytes.fromhex(attempt)
            mined = self._retried(cc.get_anchor_receipt, self.anchor, tx_hash)
            if mined is not None:
                found.append((tx_hash, mined))
        return found

    def _unmined(self, checkpoint: Checkpoint, state: InFlight) -> StepResult:
        """A sent transaction none of whose attempts is mined: pending (replaced when
        pending too long), superseded (its nonce used), or forgotten (broadcast again)."""
        w3 = self.anchor.w3
        seq = checkpoint.seq
        tx_hash = state.tx_hash
        if self._retried(lambda: cc.transaction_known(w3, tx_hash)):
            sent_at = self.clock() if state.sent_at is None else state.sent_at
            pending_for = self.clock() - sent_at
            if self.replace_after is not None and pending_for >= self.replace_after:
                return self._replace(checkpoint, state)
            return StepResult(StepKind.WAITING, seq, f"pending for {pending_for:.0f} s", tx_hash)
        if self._nonce_used(state):
            return self._supersede(checkpoint, state)
        try:
            self._retried(lambda: cc.broadcast(w3, state.raw_tx))
        except BroadcastRefused:
            if not self._retried(lambda: cc.transaction_known(w3, tx_hash)):
                raise
        self._put(state.model_copy(update={"sent_at": self.clock()}))
        return StepResult(StepKind.REBROADCAST, seq, "the node had dropped it", tx_hash)

    def _failure_reason(
        self, checkpoint: Checkpoint, state: InFlight, receipt: cc.TransactionReceipt
    ) -> str:
        anchor = self.anchor
        proof_from = state.proof_from
        proof = [] if proof_from == 0 else self.store.consistency_proof(proof_from, checkpoint.size)
        call: TxParams = {
            "from": self.writer,
            "to": anchor.address,
            "data": cc.anchor_calldata(anchor, checkpoint.size, checkpoint.root, proof),
        }
        replayed = cc.replay_revert(anchor.w3, call, receipt, "EvidenceAnchor.anchor")
        if replayed is not None:
            return replayed.description
        return f"failed in block {receipt.block_number} (out of gas, or the state changed)"

    def _replace(self, checkpoint: Checkpoint, state: InFlight) -> StepResult:
        """Signs the same call again with the same nonce and higher fees ("sending")."""
        proof_from = state.proof_from
        proof = [] if proof_from == 0 else self.store.consistency_proof(proof_from, checkpoint.size)
        current = cc.fees_from_json(state.fees)
        suggested = self._retried(lambda: cc.suggest_fees(self.anchor.w3))
        fees = _higher(current.bumped(), suggested)
        signed = cc.prepare_anchor(
            self.anchor,
            self.signer,
            checkpoint.size,
            checkpoint.root,
            proof,
            chain=self.target().chain_id,
            nonce=state.nonce,
            fees=fees,
            gas=state.gas,
        )
        self._persist_sending(checkpoint, signed, proof_from, state)
        return StepResult(
            StepKind.REPLACED,
            checkpoint.seq,
            f"pending too long; nonce {signed.nonce} signed again with higher fees",
            signed.tx_hash,
        )


_AnyState = InFlight | Confirmed | Refused
_Mined = tuple[cc.TransactionReceipt, list[cc.AnchorEvent]]


def _anchored_by(
    mined: list[tuple[bytes, _Mined]], checkpoint: Checkpoint, writer: str
) -> _OnChain | None:
    """Where one of `mined` anchored `checkpoint` for `writer`: its receipt succeeded and
    holds the contract's `CheckpointAnchored(writer, index, size, root)` for it."""
    for _tx_hash, (receipt, events) in mined:
        if receipt.status != 1:
            continue
        for event in events:
            if (event.writer, event.size, event.root) == (writer, checkpoint.size, checkpoint.root):
                return _OnChain(event.index, event)
    return None


def _attempt_hashes(state: _AnyState | None) -> tuple[str, ...]:
    return () if state is None else state.attempts


def _higher(bumped: cc.Fees, suggested: cc.Fees) -> cc.Fees:
    """The bumped fees, or the node's suggestion where it is higher (same kind only)."""
    if bumped.gas_price is not None:
        return cc.Fees(gas_price=max(bumped.gas_price, suggested.gas_price or 0))
    assert bumped.max_fee_per_gas is not None
    assert bumped.max_priority_fee_per_gas is not None
    return cc.Fees(
        max(bumped.max_fee_per_gas, suggested.max_fee_per_gas or 0),
        max(bumped.max_priority_fee_per_gas, suggested.max_priority_fee_per_gas or 0),
    )


# -- anchor delay --------------------------------------------------------------------------


@dataclass(frozen=True)
class AnchorDelay:
    """How long the first record of checkpoint `seq` waited to be anchored.

    From that record's `accepted_at` (the node's clock, when it acknowledged the record) to
    the anchoring block's timestamp (the chain's clock): the longest wait of any record in
    the checkpoint, seal interval included.
    """

    seq: int
    first_index: int
    accepted_at: str
    block_timestamp: int
    seconds: float


def checkpoint_anchor_delay(store: LogStore, seq: int) -> float | None:
    """Seconds from the first record of checkpoint `seq` being accepted to the end of the
    second its anchoring block is stamped with; None while it is not confirmed. O(1) reads."""
    state = confirmed_state(store, seq)
    if state is None:
        return None
    first = 0 if seq == 0 else store.checkpoint(seq - 1).size
    accepted_at = store.accepted_at(first)
    accepted = datetime.fromisoformat(accepted_at.replace("Z", "+00:00")).timestamp()
    return state.block_timestamp + 1.0 - accepted


def anchor_delays(store: LogStore) -> list[AnchorDelay]:
    """The anchor delay of every confirmed checkpoint, in `seq` order."""
    delays = []
    previous_size = 0
    for checkpoint in store.checkpoints():
        state = confirmed_state(store, checkpoint.seq)
        if state is not None:
            accepted_at = store.accepted_at(previous_size)  # a checkpoint starts with a record
            accepted = datetime.fromisoformat(accepted_at.replace("Z", "+00:00")).timestamp()
            timestamp = state.block_timestamp
            delays.append(
                AnchorDelay(
                    seq=checkpoint.seq,
                    first_index=previous_size,
                    accepted_at=accepted_at,
                    block_timestamp=timestamp,
                    seconds=timestamp - accepted,
                )
            )
        previous_size = checkpoint.size
    return delays
