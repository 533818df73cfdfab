"""The embedded chain in process: sealing, admission, queries, persistence, import."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from eth.estimators.gas import binary_gas_search
from eth_keys.datatypes import PrivateKey
from eth_typing import Address

from evanchor.node.chain import clique
from evanchor.node.chain.datadir import open_chain
from evanchor.node.chain.embedded import CallRequest, EmbeddedChain
from evanchor.node.chain.errors import (
    BlockRejected,
    ExecutionReverted,
    FeeTooLow,
    GenesisMismatch,
    InsufficientFunds,
    InvalidTransaction,
    NonceTooLow,
    NoSealerKey,
    SenderNotAllowlisted,
    UnknownBlock,
)
from evanchor.node.chain.genesis import Genesis, write_genesis
from evanchor.node.chain.kvstore import MemoryKV

from chain_helpers import (
    CHAIN_ID,
    REVERT_RUNTIME,
    STORE_AND_LOG_INIT,
    Actors,
    address_of,
    init_code_for,
    make_genesis,
    seal_transfers,
    signed_tx,
)


def test_genesis_lists_the_authorities_and_funds_accounts(
    chain: EmbeddedChain, actors: Actors
) -> None:
    head = chain.head
    assert head.block_number == 0
    assert chain.authorities() == (actors.sealer_address,)
    state = chain.state_at(head)
    assert state.get_balance(Address(address_of(actors.writer))) == 10**24


def test_seal_pays_the_sealer_and_moves_value(chain: EmbeddedChain, actors: Actors) -> None:
    tx_hash = chain.add_transaction(signed_tx(actors.writer, 0, value=5))
    assert chain.pending_count == 1
    block = chain.seal_block()
    assert block is not None
    assert block.number == 1
    assert [tx.hash for tx in block.transactions] == [tx_hash]
    assert clique.header_sealer(block.header) == actors.sealer_address
    assert block.header.difficulty == clique.DIFFICULTY_IN_TURN
    assert chain.pending_count == 0
    receipt = chain.receipt(tx_hash)
    assert receipt is not None
    assert receipt.succeeded
    assert receipt.gas_used == 21_000
    state = chain.state_at(chain.head)
    assert state.get_balance(Address(b"\x99" * 20)) == 5
    tip = receipt.effective_gas_price - (block.header.base_fee_per_gas or 0)
    assert tip == 10**9
    assert state.get_balance(Address(actors.sealer_address)) == 21_000 * tip


def test_no_empty_blocks_unless_asked(chain: EmbeddedChain) -> None:
    assert chain.seal_block() is None
    assert chain.head.block_number == 0
    block = chain.seal_block(allow_empty=True)
    assert block is not None
    assert block.transactions == ()


def test_many_transactions_share_one_block(chain: EmbeddedChain, actors: Actors) -> None:
    for nonce in range(20):
        chain.add_transaction(signed_tx(actors.writer, nonce))
    block = chain.seal_block()
    assert block is not None
    assert len(block.transactions) == 20
    assert chain.nonce(address_of(actors.writer)) == 20


def test_a_block_takes_at_most_max_transactions(chain: EmbeddedChain, actors: Actors) -> None:
    for nonce in range(5):
        chain.add_transaction(signed_tx(actors.writer, nonce))
    first = chain.seal_block(max_transactions=3)
    assert first is not None
    assert [tx.nonce for tx in first.transactions] == [0, 1, 2]
    rest = chain.seal_block(max_transactions=3)
    assert rest is not None
    assert [tx.nonce for tx in rest.transactions] == [3, 4]


def test_out_of_order_nonces_wait_for_the_gap(chain: EmbeddedChain, actors: Actors) -> None:
    chain.add_transaction(signed_tx(actors.writer, 1))
    assert chain.seal_block() is None
    chain.add_transaction(signed_tx(actors.writer, 0))
    assert chain.nonce(address_of(actors.writer), pending=True) == 2
    block = chain.seal_block()
    assert block is not None
    assert [tx.nonce for tx in block.transactions] == [0, 1]


def test_admission_refusals(chain: EmbeddedChain, actors: Actors) -> None:
    with pytest.raises(SenderNotAllowlisted) as refused:
        chain.add_transaction(signed_tx(actors.outsider, 0))
    assert refused.value.sender == address_of(actors.outsider)
    with pytest.raises(InvalidTransaction, match="chain id"):
        chain.add_transaction(signed_tx(actors.writer, 0, chain_id=CHAIN_ID + 1))
    with pytest.raises(InvalidTransaction, match="invalid transaction"):
        chain.add_transaction(b"\x02\xc0")
    with pytest.raises(InvalidTransaction, match="intrinsic gas"):
        chain.add_transaction(signed_tx(actors.writer, 0, gas=20_000))
    with pytest.raises(FeeTooLow, match="base fee"):
        chain.add_transaction(signed_tx(actors.writer, 0, max_fee=1, tip=1))
    with pytest.raises(InsufficientFunds):
        chain.add_transaction(signed_tx(actors.writer, 0, value=10**25))
    seal_transfers(chain, actors.writer, 1)
    with pytest.raises(NonceTooLow) as low:
        chain.add_transaction(signed_tx(actors.writer, 0))
    assert (low.value.expected, low.value.found) == (1, 0)
    assert chain.pending_count == 0


def _py_evm_estimate(chain: EmbeddedChain, request: CallRequest) -> int:
    """py-evm's own estimator (`binary_gas_search`, tolerance 1) on the same spoofed call in
    the same costless state: the reference `estimate_gas` is held equal to."""
    at = chain.head
    spoofed = chain._spoof(request, at, chain.gas_cap(request, at))
    with chain._chain.get_vm(at).in_costless_state() as state:
        estimated: int = binary_gas_search(state, spoofed, tolerance=1)
    return estimated


def test_the_gas_estimate_is_py_evms_least_gas(chain: EmbeddedChain, actors: Actors) -> None:
    """`estimate_gas` bisects from one full run's spend (fewer runs than py-evm's search
    from the intrinsic gas, and under the RPC's time limit); it must find the same least
    gas: for a transfer, a contract creation and a storage write."""
    transfer = CallRequest(sender=address_of(actors.writer), to=address_of(actors.operator))
    create = CallRequest(sender=address_of(actors.operator), data=STORE_AND_LOG_INIT)
    assert chain.estimate_gas(transfer) == _py_evm_estimate(chain, transfer) == 21_000
    assert chain.estimate_gas(create) == _py_evm_estimate(chain, create)
    deploy = chain.add_transaction(
        signed_tx(actors.operator, 0, to=None, data=STORE_AND_LOG_INIT, gas=100_000, value=0)
    )
    chain.seal_block()
    created = chain.receipt(deploy)
    assert created is not None
    assert created.contract_address is not None
    write = CallRequest(
        sender=address_of(actors.writer),
        to=created.contract_address,
        data=(0xABC).to_bytes(32, "big"),
    )
    assert chain.estimate_gas(write) == _py_evm_estimate(chain, write)


def test_contract_storage_logs_call_and_estimate(chain: EmbeddedChain, actors: Actors) -> None:
    deploy = chain.add_transaction(
        signed_tx(actors.operator, 0, to=None, data=STORE_AND_LOG_INIT, gas=100_000, value=0)
    )
    chain.seal_block()
    created = chain.receipt(deploy)
    assert created is not None
    assert created.succeeded
    assert created.contract_address is not None
    contract = created.contract_address
    word = (0xABC).to_bytes(32, "big")
    request = CallRequest(sender=address_of(actors.writer), to=contract, data=word)
    estimate = chain.estimate_gas(request)
    store = chain.add_transaction(
        signed_tx(actors.writer, 0, to=contract, data=word, gas=estimate, value=0)
    )
    chain.seal_block()
    stored = chain.receipt(store)
    assert stored is not None
    assert stored.succeeded, "the estimate must be enough gas"
    assert stored.gas_used <= estimate
    state = chain.state_at(chain.head)
    assert state.get_storage(Address(contract), 0) == 0xABC
    assert state.get_code(Address(contract)).hex() == "600035806000556000523360206000a100"
    (log,) = stored.receipt.logs
    assert log.address == contract
    assert log.topics == (int.from_bytes(address_of(actors.writer), "big"),)
    assert log.data == word
    # eth_call against the identity precompile returns its input
    echo = chain.call(CallRequest(to=b"\x00" * 19 + b"\x04", data=b"hello"))
    assert echo.output == b"hello"


def test_call_reports_revert_reason(chain: EmbeddedChain, actors: Actors) -> None:
    deploy = chain.add_transaction(
        signed_tx(
            actors.operator, 0, to=None, data=init_code_for(REVERT_RUNTIME), gas=200_000, value=0
        )
    )
    chain.seal_block()
    receipt = chain.receipt(deploy)
    assert receipt is not None
    assert receipt.contract_address is not None
    with pytest.raises(ExecutionReverted) as reverted:
        chain.call(CallRequest(to=receipt.contract_address))
    assert reverted.value.reason == "no"
    assert reverted.value.data[:4] == bytes.fromhex("08c379a0")
    with pytest.raises(ExecutionReverted):
        chain.estimate_gas(CallRequest(to=receipt.contract_address))


def test_unknown_blocks(chain: EmbeddedChain) -> None:
    with pytest.raises(UnknownBlock):
        chain.header_by_number(5)
    with pytest.raises(UnknownBlock):
        chain.header_by_hash(b"\x01" * 32)
    assert chain.transaction(b"\x01" * 32) is None


def test_restart_continues_from_the_last_block(data_dir: Path, actors: Actors) -> None:
    chain = open_chain(data_dir, load_sealer=True)
    seal_transfers(chain, actors.writer, 3)
    head = chain.head
    chain.close()
    reopened = open_chain(data_dir, load_sealer=True)
    try:
        assert reopened.head == head
        assert reopened.nonce(address_of(actors.writer)) == 3
        assert reopened.receipts(head)[0].succeeded
        seal_transfers(reopened, actors.writer, 2)
        assert reopened.head.block_number == 5
    finally:
        reopened.close()


def test_a_changed_genesis_is_refused(data_dir: Path, actors: Actors, genesis: Genesis) -> None:
    open_chain(data_dir).close()
    changed = make_genesis(actors, timestamp=genesis.timestamp + 1)
    write_genesis(data_dir / "genesis.json", changed)
    with pytest.raises(GenesisMismatch):
        open_chain(data_dir)


def test_chain_without_key_cannot_seal(genesis: Genesis) -> None:
    with pytest.raises(NoSealerKey):
        EmbeddedChain.in_memory(genesis).seal_block()


def test_import_reproduces_the_sealed_chain(
    chain: EmbeddedChain, genesis: Genesis, actors: Actors
) -> None:
    seal_transfers(chain, actors.writer, 3)
    follower = EmbeddedChain.in_memory(genesis)
    for number in range(1, 4):
        follower.import_block(chain.block(chain.header_by_number(number)))
    assert follower.head == chain.head


def test_import_rejects_a_block_sealed_by_a_non_authority(
    chain: EmbeddedChain, genesis: Genesis, actors: Actors
) -> None:
    block = chain.seal_block(allow_empty=True)
    assert block is not None
    rogue = actors.outsider.key
    forged = block.copy(header=clique.sign_header(block.header, PrivateKey(bytes(rogue))))
    follower = EmbeddedChain.in_memory(genesis)
    with pytest.raises(BlockRejected) as rejected:
        follower.import_block(forged)
    assert rejected.value.block_number == 1
    assert rejected.value.field == "seal"
    assert rejected.value.found == actors.outsider.address.lower()
    follower.import_block(block)  # the genuine block still goes in
    assert follower.head == block.header


def test_import_rejects_a_non_allowlisted_sender(chain: EmbeddedChain, actors: Actors) -> None:
    """An authority that includes an outsider's transaction gets its block refused."""
    permissive = make_genesis(
        actors,
        timestamp=chain.genesis.timestamp,
        allowlist=(
            address_of(actors.writer),
            address_of(actors.operator),
            address_of(actors.outsider),
        ),
    )
    lax = EmbeddedChain.in_memory(permissive, actors.sealer)
    lax.add_transaction(signed_tx(actors.writer, 0))
    lax.add_transaction(signed_tx(actors.outsider, 0))
    block = lax.seal_block()
    assert block is not None
    assert len(block.transactions) == 2
    strict = EmbeddedChain.in_memory(
        make_genesis(actors, timestamp=chain.genesis.timestamp, alloc=permissive.alloc)
    )
    # Different allowlists make different genesis files, but the same block 0 header
    # (the allowlist is a node rule, not state), so the block links.
    assert strict.head == lax.header_by_number(0)
    with pytest.raises(BlockRejected) as rejected:
        strict.import_block(block)
    assert rejected.value.field == "sender"
    assert rejected.value.found == actors.outsider.address.lower()


def test_import_rejects_a_wrong_state_root_even_if_signed(
    chain: EmbeddedChain, genesis: Genesis, actors: Actors
) -> None:
    seal_transfers(chain, actors.writer, 1)
    block = chain.block(chain.head)
    lying = block.copy(
        header=clique.sign_header(block.header.copy(state_root=b"\x01" * 32), actors.sealer)
    )
    follower = EmbeddedChain.in_memory(genesis)
    with pytest.raises(BlockRejected) as rejected:
        follower.import_block(lying)
    assert (rejected.value.block_number, rejected.value.field) == (1, "state_root")
    assert follower.head.block_number == 0


def test_period_holds_blocks_apart(actors: Actors) -> None:
    now = [1_700_000_000.0]
    genesis = make_genesis(actors, timestamp=int(now[0]) - 100, period=5)
    chain = EmbeddedChain(
        genesis,
        MemoryKV(),
        actors.sealer,
        clock=lambda: now[0],
    )
    assert chain.seal_block(allow_empty=True) is not None
    first = chain.head.timestamp
    chain.add_transaction(signed_tx(actors.writer, 0))
    now[0] = first + 4
    assert chain.seal_block() is None
    now[0] = first + 5
    block = chain.seal_block()
    assert block is not None
    assert block.header.timestamp == first + 5


def test_blocks_may_share_a_second_with_period_zero(chain: EmbeddedChain, actors: Actors) -> None:
    seal_transfers(chain, actors.writer, 5)
    stamps = [chain.header_by_number(n).timestamp for n in range(1, 6)]
    assert stamps == sorted(stamps)
    assert stamps[-1] <= int(time.time())


def test_checkpoint_blocks_list_the_signers(actors: Actors) -> None:
    genesis = make_genesis(actors, timestamp=int(time.time()) - 60, epoch=3)
    chain = EmbeddedChain.in_memory(genesis, actors.sealer)
    seal_transfers(chain, actors.writer, 7)
    for number in (3, 6):
        header = chain.header_by_number(number)
        assert header.extra_data[32:-65] == actors.sealer_address
        assert header.coinbase == bytes(20)
    assert chain.header_by_number(4).extra_data[32:-65] == b""
    follower = EmbeddedChain.in_memory(genesis)
    for number in range(1, 8):
        follower.import_block(chain.block(chain.header_by_number(number)))
    assert follower.head == chain.head
