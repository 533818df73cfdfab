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
"""

from __future__ import annotations

from typing import Any, ClassVar, cast

from eth.abc import BlockHeaderAPI, ChainAPI
from eth.chains.base import Chain
from eth.consensus.clique.clique import CliqueApplier, CliqueConsensus, CliqueConsensusContext
from eth.consensus.clique.constants import NONCE_DROP
from eth.typing import AccountDetails
from eth.validation import validate_length_lte
from eth.vm.forks.london import LondonVM
from eth_typing import Address
from eth_utils.exceptions import ValidationError

from evanchor.node.chain.clique import ZERO_ADDRESS, extra_data, header_sealer
from evanchor.node.chain.genesis import Genesis


class EvanchorCliqueConsensus(CliqueConsensus):
    @classmethod
    def get_fee_recipient(cls, header: BlockHeaderAPI) -> Address:
        sealer = header_sealer(header)
        return Address(sealer) if sealer is not None else header.coinbase


class CliqueLondonVM(LondonVM):
    """London with EIP-225's timestamp rule; `clique_period` is set per chain."""

    clique_period: ClassVar[int] = 0

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
