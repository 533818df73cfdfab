"""Transactions accepted but not yet sealed.

Kept per sender by nonce. A transaction may wait behind a nonce gap of at most
`MAX_NONCE_GAP` (clients that pipeline transactions can deliver them out of order); only
gap-free runs starting at the sender's state nonce are offered for sealing, in order of
arrival of each sender's first executable transaction.

The pool lives in memory only: on restart, unsealed transactions are gone and clients
resend them (as with geth's non-journaled pool).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from eth.abc import SignedTransactionAPI

from evanchor.node.chain.errors import FeeTooLow, NonceTooHigh, NonceTooLow

# How far ahead of the sender's next nonce a transaction may wait.
MAX_NONCE_GAP = 1024
# A replacement (same sender and nonce) must raise both fee caps by at least this percent.
REPLACEMENT_BUMP_PERCENT = 10


def fee_cap(tx: SignedTransactionAPI) -> int:
    """Max fee per gas: `max_fee_per_gas` for EIP-1559, `gas_price` for older types."""
    cap: int = tx.max_fee_per_gas
    return cap


def tip_cap(tx: SignedTransactionAPI) -> int:
    cap: int = tx.max_priority_fee_per_gas
    return cap


@dataclass(frozen=True)
class PooledTransaction:
    transaction: SignedTransactionAPI
    sender: bytes
    arrival: int


class TransactionPool:
    def __init__(self) -> None:
        self._by_sender: dict[bytes, dict[int, PooledTransaction]] = {}
        self._by_hash: dict[bytes, PooledTransaction] = {}
        self._arrivals = 0

    def __len__(self) -> int:
        return len(self._by_hash)

    def get(self, tx_hash: bytes) -> PooledTransaction | None:
        return self._by_hash.get(tx_hash)

    def all(self) -> list[PooledTransaction]:
        return sorted(self._by_hash.values(), key=lambda p: p.arrival)

    def pending_nonce(self, sender: bytes, state_nonce: int) -> int:
        """The next nonce after the sender's gap-free run in the pool."""
        nonces = self._by_sender.get(sender, {})
        nonce = state_nonce
        while nonce in nonces:
            nonce += 1
        return nonce

    def add(self, tx: SignedTransactionAPI, sender: bytes, state_nonce: int) -> None:
        """Admit `tx`; raise on a stale nonce, too large a gap or an underpriced replacement.

        Requires: `tx` is signed by `sender` and passed the chain's other admission checks.
        """
        if tx.hash in self._by_hash:
            return
        if tx.nonce < state_nonce:
            raise NonceTooLow(sender, state_nonce, tx.nonce)
        limit = self.pending_nonce(sender, state_nonce) + MAX_NONCE_GAP
        if tx.nonce > limit:
            raise NonceTooHigh(sender, limit, tx.nonce)
        nonces = self._by_sender.setdefault(sender, {})
        existing = nonces.get(tx.nonce)
        if existing is not None:
            for cap in (fee_cap, tip_cap):
                old, new = cap(existing.transaction), cap(tx)
                wanted = old + old * REPLACEMENT_BUMP_PERCENT // 100
                if new < wanted:
                    raise FeeTooLow(wanted, new, "replacement transaction underpriced")
            del self._by_hash[existing.transaction.hash]
        self._arrivals += 1
        pooled = PooledTransaction(tx, sender, self._arrivals)
        nonces[tx.nonce] = pooled
        self._by_hash[tx.hash] = pooled

    def executable(self, state_nonce: Callable[[bytes], int]) -> list[PooledTransaction]:
        """Gap-free runs from each sender's state nonce, senders by first arrival."""
        runs: list[list[PooledTransaction]] = []
        for sender, nonces in self._by_sender.items():
            nonce = state_nonce(sender)
            run = []
            while nonce in nonces:
                run.append(nonces[nonce])
                nonce += 1
            if run:
                runs.append(run)
        runs.sort(key=lambda run: run[0].arrival)
        return [pooled for run in runs for pooled in run]

    def remove(self, tx_hash: bytes) -> None:
        pooled = self._by_hash.pop(tx_hash, None)
        if pooled is None:
            return
        nonces = self._by_sender[pooled.sender]
        if nonces.get(pooled.transaction.nonce) is pooled:
            del nonces[pooled.transaction.nonce]
        if not nonces:
            del self._by_sender[pooled.sender]

    def drop_stale(self, state_nonce: Callable[[bytes], int]) -> None:
        """Forget transactions whose nonce the chain has already used."""
        for sender in list(self._by_sender):
            current = state_nonce(sender)
            for nonce, pooled in list(self._by_sender[sender].items()):
                if nonce < current:
                    self.remove(pooled.transaction.hash)
