"""The py-evm chain class of an evanchor genesis: London rules under Clique.

London is the newest fork whose blocks carry a proof-of-work style difficulty, which
Clique needs (difficulty 2 in turn, 1 out of turn); Shanghai and later refuse a non-zero
difficulty. Two adjustments to py-evm, both narrow:

* Timestamps follow EIP-225 — a block is at least `period` seconds after its parent —
  instead of py-evm's "strictly later than the parent". With period 0 several blocks may
  share a second, so a busy chain is not held to one block per second.
* The fee recipient of a header whose seal cannot be recovered (the genesis header, whose
  seal is all zeros) is its coinbase; py-evm lets the recovery error escape, which makes
  block 0's state unreadable.

And one addition: execution can be given a deadline (`execution_deadline`), which is what
bounds the time of an `eth_call` or gas estimate. Gas alone does not: py-evm runs a cheap
opcode loop at roughly 4 M gas a second, so the 30 M gas of a block is 8 s or more of one
core. The deadline is checked in the gas meter, which every opcode goes through, and only
while one is set on the executing thread; blocks are sealed and imported without one, so
their execution stays deterministic.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ClassVar, cast

from eth.abc import BlockHeaderAPI, ChainAPI
from eth.chains.base import Chain
from eth.consensus.clique.clique import CliqueApplier, CliqueConsensus, CliqueConsensusContext
from eth.consensus.clique.constants import NONCE_DROP
from eth.typing import AccountDetails
from eth.validation import validate_length_lte
from eth.vm.forks.london import LondonVM
from eth.vm.forks.london.computation import LondonComputation
from eth.vm.forks.london.state import LondonState
from eth.vm.gas_meter import GasMeter
from eth_typing import Address
from eth_utils.exceptions import ValidationError

from evanchor.node.chain.clique import ZERO_ADDRESS, extra_data, header_sealer
from evanchor.node.chain.errors import TimeLimitReached
from evanchor.node.chain.genesis import Genesis

DEADLINE_CHECK_OPCODES = 1024
"""Opcodes between two looks at the clock: ~0.3 ms of execution, so a deadline is overrun by
at most that, while the check itself costs a counter decrement per opcode."""


class _Deadline:
    """A monotonic-clock deadline, shared by every call frame of one execution."""

    __slots__ = ("at", "countdown", "limit_seconds")

    def __init__(self, at: float, limit_seconds: float) -> None:
        self.at = at
        self.limit_seconds = limit_seconds
        self.countdown = DEADLINE_CHECK_OPCODES

    def check(self) -> None:
        self.countdown = DEADLINE_CHECK_OPCODES
        if time.monotonic() >= self.at:
            raise TimeLimitReached("execution", self.limit_seconds)


_DEADLINE: ContextVar[_Deadline | None] = ContextVar("evanchor_execution_deadline", default=None)


@contextmanager
def execution_deadline(at: float | None, limit_seconds: float) -> Iterator[None]:
    """Within the block, EVM execution on this thread raises `TimeLimitReached` once
    `time.monotonic()` passes `at` (None: no deadline). `limit_seconds` is what the error
    reports. The exception is not an EVM error, so it unwinds every call frame and the
    transaction with them: use it only on a state that is thrown away (calls, estimates).
    """
    token = _DEADLINE.set(None if at is None else _Deadline(at, limit_seconds))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


class _DeadlineGasMeter(GasMeter):
    def __init__(self, start_gas: int, deadline: _Deadline) -> None:
        super().__init__(start_gas)
        self._deadline = deadline

    def consume_gas(self, amount: int, reason: str) -> None:
        deadline = self._deadline
        deadline.countdown -= 1
        if not deadline.countdown:
            deadline.check()
        super().consume_gas(amount, reason)


class EvanchorLondonComputation(LondonComputation):
    """London's computation, metering against the thread's deadline when one is set."""

    def _configure_gas_meter(self) -> GasMeter:
        deadline = _DEADLINE.get()
        if deadline is None:
            return super()._configure_gas_meter()
        return _DeadlineGasMeter(self.msg.gas, deadline)


EvanchorLondonState = LondonState.configure(
    __name__="EvanchorLondonState", computation_class=EvanchorLondonComputation
)


class EvanchorCliqueConsensus(CliqueConsensus):
    @classmethod
    def get_fee_recipient(cls, header: BlockHeaderAPI) -> Address:
        sealer = header_sealer(header)
        return Address(sealer) if sealer is not None else header.coinbase


class CliqueLondonVM(LondonVM):
    """London with EIP-225's timestamp rule; `clique_period` is set per chain."""

    clique_period: ClassVar[int] = 0
    _state_class = EvanchorLondonState

    @classmethod
    def validate_header(cls, header: BlockHeaderAPI, parent_header: BlockHeaderAPI) -> None:
        if parent_header is None:
            raise ValidationError("must have the parent header to validate a header")
        validate_length_lte(header.extra_data, cls.extra_data_max_bytes, title="extra_data")
        cls.validate_gas(header, parent_header)
        if header.block_number != parent_header.block_number + 1:
            raise ValidationError(
                f"block number expected {parent_header.block_number + 1}, "
                f"found {header.block_number}"
            )
        earliest = parent_header.timestamp + cls.clique_period
        if header.timestamp < earliest:
            raise ValidationError(
                f"timestamp expected >= parent + period = {earliest}, found {header.timestamp}"
            )


def chain_class_for(genesis: Genesis) -> type[Chain]:
    """A py-evm `Chain` class for this genesis: chain id, Clique epoch and period."""
    vm_class = CliqueLondonVM.configure(
        __name__="EvanchorCliqueLondonVM", clique_period=genesis.period
    )
    ((_, clique_vm),) = CliqueApplier().amend_vm_configuration(((0, vm_class),))
    clique_vm = clique_vm.configure(consensus_class=EvanchorCliqueConsensus)
    context_class = type(
        "EvanchorCliqueContext", (CliqueConsensusContext,), {"epoch_length": genesis.epoch}
    )
    return Chain.configure(
        __name__="EvanchorChain",
        vm_configuration=((0, clique_vm),),
        consensus_context_class=context_class,
        chain_id=genesis.chain_id,
    )


def genesis_header_params(genesis: Genesis) -> dict[str, Any]:
    """Block 0's header fields. Its extra-data lists the authorities (a checkpoint)."""
    return {
        "difficulty": 1,
        "gas_limit": genesis.gas_limit,
        "timestamp": genesis.timestamp,
        "extra_data": extra_data(genesis.extra_vanity, sorted(genesis.authorities)),
        "nonce": NONCE_DROP,
        "coinbase": ZERO_ADDRESS,
        "base_fee_per_gas": genesis.base_fee_per_gas,
    }


def genesis_state(genesis: Genesis) -> dict[Address, AccountDetails]:
    return {
        Address(address): AccountDetails(balance=balance, nonce=0, code=b"", storage={})
        for address, balance in genesis.alloc
    }


def create_genesis(chain_class: type[Chain], db: Any, genesis: Genesis) -> ChainAPI:
    """Write block 0 and its state into `db`; return the chain over it."""
    chain = chain_class.from_genesis(db, genesis_header_params(genesis), genesis_state(genesis))
    return cast(ChainAPI, chain)
