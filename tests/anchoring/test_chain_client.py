"""chain_client against real chains: py-evm through eth-tester, and anvil over HTTP JSON-RPC."""

from __future__ import annotations

import pytest
from anchoring_helpers import CODE, Chain, fund, keys, set_up
from eth.vm.forks import BerlinVM
from eth_account import Account
from eth_tester import EthereumTester, PyEVMBackend
from eth_utils.crypto import keccak
from web3 import Web3
from web3.providers.eth_tester import EthereumTesterProvider

from evanchor.anchor.errors import EvanchorError
from evanchor.anchor.ethereum import client as cc
from evanchor.anchor.ethereum.errors import (
    BroadcastRefused,
    ChainUnavailable,
    ContractNotDeployed,
    ContractReverted,
    InvalidCreditCode,
    ReceiptTimeout,
    TransactionReverted,
)
from evanchor.anchor.protocol import merkle
from evanchor.contracts.artifacts import load_artifact

LEAVES = [merkle.leaf_hash(f"leaf {i}".encode()) for i in range(64)]


def root(size: int) -> bytes:
    return merkle.root_hash(LEAVES[:size])


def proof(old: int, new: int) -> list[bytes]:
    return merkle.consistency_proof(LEAVES[:new], old)


@pytest.fixture(params=["tester", "anvil"])
def chain(request: pytest.FixtureRequest) -> Chain:
    """The same test on py-evm (eth-tester) and on anvil."""
    found: Chain = request.getfixturevalue(request.param)
    return found


def anchor_and_wait(c: Chain, size: int, old: int | None) -> cc.Receipt:
    sent = cc.send_anchor(
        c.anchor, c.writer, size, root(size), [] if old is None else proof(old, size)
    )
    receipt = cc.wait_for_receipt(c.w3, sent.tx_hash, timeout=10, poll_interval=0.01)
    assert receipt.status == 1
    return receipt


# Connecting and deploying


def test_deployment_is_the_committed_code(chain: Chain) -> None:
    code = bytes(chain.w3.eth.get_code(chain.anchor.address))
    assert code == load_artifact().deployed_bytecode
    assert keccak(code) == cc.deployed_code_hash()
    assert cc.has_role_at(chain.anchor, cc.DEFAULT_ADMIN_ROLE, chain.admin.address, "latest")
    assert cc.has_role_at(chain.anchor, cc.WRITER_ROLE, chain.writer.address, "latest")
    assert cc.chain_id(chain.w3) == chain.w3.eth.chain_id


def test_attach_refuses_an_address_without_code(tester: Chain) -> None:
    with pytest.raises(ContractNotDeployed, match=tester.outsider.address):
        cc.attach(tester.w3, tester.outsider.address)
    with pytest.raises(ContractNotDeployed):
        cc.attach(tester.w3, "0x1234")
    assert cc.attach(tester.w3, tester.anchor.address.lower()) == tester.anchor


def test_an_endpoint_that_does_not_answer_is_transient() -> None:
    w3 = cc.web3_for("http://127.0.0.1:9", timeout=1)
    with pytest.raises(ChainUnavailable) as caught:
        cc.chain_id(w3)
    assert caught.value.what == "eth_chainId"
    assert cc.is_transient(caught.value)
    assert not cc.is_transient(ContractReverted("f", None))


# Roles and agencies


def test_writer_role_history_is_readable_at_each_block(chain: Chain) -> None:
    c = chain
    granted = cc.grant_writer(c.anchor, c.admin, c.outsider.address, timeout=10)
    revoked = cc.revoke_writer(c.anchor, c.admin, c.outsider.address, timeout=10)
    role = cc.WRITER_ROLE
    assert not cc.has_role_at(c.anchor, role, c.outsider.address, granted.block_number - 1)
    assert cc.has_role_at(c.anchor, role, c.outsider.address, granted.block_number)
    assert not cc.has_role_at(c.anchor, role, c.outsider.address, revoked.block_number)


def test_agency_registration_history(chain: Chain) -> None:
    c = chain
    new_key = keys(0xEE)[0].address
    rotated = cc.register_agency(c.anchor, c.admin, new_key, CODE, timeout=10)
    revoked = cc.revoke_agency(c.anchor, c.admin, c.agency.address, timeout=10)
    at = cc.agency_code_at
    assert at(c.anchor, c.agency.address, c.deployed_at) is None
    assert at(c.anchor, c.agency.address, rotated.block_number) == CODE
    assert at(c.anchor, new_key, rotated.block_number) == CODE
    assert at(c.anchor, c.agency.address, revoked.block_number) is None
    assert at(c.anchor, new_key, "latest") == CODE
    history = [(e.agency, e.credit_code) for e in cc.agency_events(c.anchor)]
    assert history == [(c.agency.address, CODE), (new_key, CODE), (c.agency.address, None)]
    assert [e.registered for e in cc.agency_events(c.anchor, agency=new_key)] == [True]
    later = cc.agency_events(c.anchor, from_block=revoked.block_number)
    assert [(e.agency, e.registered, e.block_number) for e in later] == [
        (c.agency.address, False, revoked.block_number)
    ]


def test_a_malformed_credit_code_sends_nothing(tester: Chain) -> None:
    c = tester
    nonce = cc.account_nonce(c.w3, c.admin.address)
    bad = CODE[:-1] + ("0" if CODE[-1] != "0" else "1")  # wrong check character
    with pytest.raises(InvalidCreditCode, match="check"):
        cc.register_agency(c.anchor, c.admin, c.outsider.address, bad)
    with pytest.raises(InvalidCreditCode):
        cc.register_agency(c.anchor, c.admin, c.outsider.address, CODE[:17])
    assert cc.account_nonce(c.w3, c.admin.address) == nonce


def test_admin_calls_from_others_are_refused_before_sending(chain: Chain) -> None:
    c = chain
    nonce = cc.account_nonce(c.w3, c.outsider.address)
    with pytest.raises(ContractReverted) as caught:
        cc.register_agency(c.anchor, c.outsider, c.outsider.address, CODE, timeout=10)
    assert str(caught.value) == (
        "EvidenceAnchor.registerAgency reverted: AccessControlUnauthorizedAccount("
        f"account={c.outsider.address}, neededRole=0x{'00' * 32})"
    )
    with pytest.raises(ContractReverted, match="EvidenceAnchorAgencyNotRegistered"):
        cc.revoke_agency(c.anchor, c.admin, c.outsider.address, timeout=10)
    assert cc.account_nonce(c.w3, c.outsider.address) == nonce


# Reading checkpoints and events


def test_anchors_are_read_back_by_view_and_by_event(chain: Chain) -> None:
    c = chain
    writer = c.writer.address
    sizes = [3, 7, 8, 20]
    receipts = [
        anchor_and_wait(c, size, old) for size, old in zip(sizes, [None, *sizes], strict=False)
    ]
    assert cc.checkpoint_count(c.anchor, writer) == 4
    assert cc.checkpoint_count(c.anchor, writer, receipts[1].block_number) == 2
    for index, (size, receipt) in enumerate(zip(sizes, receipts, strict=True)):
        stored = cc.checkpoint_at(c.anchor, writer, index)
        block = cc.block_info(c.w3, receipt.block_number)
        assert stored == (size, receipt.block_number, block.timestamp, root(size))
        assert block.hash == receipt.block_hash
        assert cc.is_anchored(c.anchor, writer, size, root(size))
    assert not cc.is_anchored(c.anchor, writer, 7, root(8))
    events = cc.anchor_events(c.anchor, writer=writer)
    assert [(e.index, e.size, e.root, e.tx_hash) for e in events] == [
        (i, s, root(s), r.tx_hash) for i, (s, r) in enumerate(zip(sizes, receipts, strict=True))
    ]
    (third,) = cc.anchor_events(c.anchor, writer=writer, index=2)
    assert (third.block_number, third.block_hash) == (
        receipts[2].block_number,
        receipts[2].block_hash,
    )
    assert third.log_index == 0
    window = cc.anchor_events(
        c.anchor, from_block=receipts[1].block_number, to_block=receipts[2].block_number
    )
    assert [e.index for e in window] == [1, 2]
    assert cc.anchor_events(c.anchor, writer=c.outsider.address) == []


def test_reverts_are_decoded_into_one_line(chain: Chain) -> None:
    c = chain
    writer = c.writer.address
    anchor_and_wait(c, 5, None)
    with pytest.raises(ContractReverted) as caught:
        cc.checkpoint_at(c.anchor, writer, 3)
    assert caught.value.error_name == "EvidenceAnchorCheckpointOutOfRange"
    assert caught.value.arguments == (("writer", writer), ("index", 3), ("count", 1))
    assert str(caught.value) == (
        f"EvidenceAnchor.checkpointAt reverted: EvidenceAnchorCheckpointOutOfRange(writer={writer}"
        ", index=3, count=1)"
    )
    with pytest.raises(ContractReverted) as caught:
        cc.preflight_anchor(c.anchor, writer, 9, root(9), proof(4, 9))
    assert caught.value.error_name == "EvidenceAnchorInconsistentCheckpoint"
    assert dict(caught.value.arguments)["lastRoot"] == root(5)
    assert f"lastRoot=0x{root(5).hex()}" in str(caught.value)
    assert "\n" not in str(caught.value)
    assert cc.preflight_anchor(c.anchor, writer, 9, root(9), proof(5, 9)) == 1


def test_a_mined_failure_is_decoded_by_replay(chain: Chain) -> None:
    c = chain
    anchor_and_wait(c, 5, None)
    signed = cc.prepare_anchor(
        c.anchor,
        c.writer,
        4,
        root(4),
        [],
        chain=cc.chain_id(c.w3),
        nonce=cc.account_nonce(c.w3, c.writer.address),
        fees=cc.suggest_fees(c.w3),
    )
    cc.broadcast(c.w3, signed.raw)
    receipt = cc.wait_for_receipt(c.w3, signed.tx_hash, timeout=10, poll_interval=0.01)
    assert receipt.status == 0
    call = {
        "from": c.writer.address,
        "to": c.anchor.address,
        "data": cc.anchor_calldata(c.anchor, 4, root(4), []),
    }
    replayed = cc.replay_revert(c.w3, call, receipt, "EvidenceAnchor.anchor")
    assert replayed is not None
    assert replayed.error_name == "EvidenceAnchorSizeNotIncreasing"
    failure = TransactionReverted(signed.tx_hash, receipt.block_number, replayed)
    assert "EvidenceAnchorSizeNotIncreasing(writer=" in str(failure)


# Transactions


def test_signed_raw_transactions_carry_explicit_nonce_gas_and_fees(chain: Chain) -> None:
    c = chain
    fees = cc.suggest_fees(c.w3)
    base_fee = cc.block_info(c.w3).base_fee
    assert base_fee is not None
    assert fees.gas_price is None
    assert fees.max_priority_fee_per_gas is not None
    assert fees.max_fee_per_gas == 2 * base_fee + fees.max_priority_fee_per_gas
    nonce = cc.account_nonce(c.w3, c.writer.address)
    signed = cc.prepare_anchor(
        c.anchor, c.writer, 2, root(2), [], chain=cc.chain_id(c.w3), nonce=nonce, fees=fees
    )
    assert signed.raw[0] == 2  # EIP-1559 envelope
    assert keccak(signed.raw) == signed.tx_hash
    assert (signed.nonce, signed.gas, signed.sender) == (
        nonce,
        cc.anchor_gas_limit(0),
        c.writer.address,
    )
    assert not cc.transaction_known(c.w3, signed.tx_hash)
    assert cc.get_receipt(c.w3, signed.tx_hash) is None
    assert cc.broadcast(c.w3, signed.raw) == signed.tx_hash
    assert cc.transaction_known(c.w3, signed.tx_hash)
    receipt = cc.wait_for_receipt(c.w3, signed.tx_hash, timeout=10, poll_interval=0.01)
    assert receipt.gas_used < signed.gas
    assert cc.account_nonce(c.w3, c.writer.address) == nonce + 1
    with pytest.raises(BroadcastRefused) as caught:
        cc.broadcast(c.w3, signed.raw)  # its nonce is used now
    assert caught.value.tx_hash == signed.tx_hash


def test_legacy_gas_price_when_the_chain_has_no_base_fee() -> None:
    w3 = Web3(
        EthereumTesterProvider(EthereumTester(PyEVMBackend(vm_configuration=((0, BerlinVM),))))
    )
    assert cc.block_info(w3).base_fee is None
    fees = cc.suggest_fees(w3)
    assert fees.gas_price is not None
    assert fees.max_fee_per_gas is None
    c = set_up(w3, 0x31)
    sent = cc.send_anchor(c.anchor, c.writer, 1, root(1), [])
    assert sent.raw[0] >= 0xC0  # a legacy transaction is an RLP list
    assert cc.wait_for_receipt(w3, sent.tx_hash, timeout=5).status == 1


def test_fees_are_one_kind_and_bump_by_a_quarter() -> None:
    with pytest.raises(ValueError, match="either"):
        cc.Fees()
    with pytest.raises(ValueError, match="either"):
        cc.Fees(max_fee_per_gas=10, max_priority_fee_per_gas=1, gas_price=3)
    assert cc.Fees(100, 8).bumped() == cc.Fees(125, 10)
    assert cc.Fees(gas_price=3).bumped() == cc.Fees(gas_price=4)
    assert cc.fees_from_json(cc.Fees(7, 1).as_json()) == cc.Fees(7, 1)


def test_waiting_for_a_receipt_that_never_comes_times_out(tester: Chain) -> None:
    with pytest.raises(ReceiptTimeout) as caught:
        cc.wait_for_receipt(tester.w3, b"\x42" * 32, timeout=0.2, poll_interval=0.05)
    assert caught.value.waited >= 0.2
    assert caught.value.tx_hash == b"\x42" * 32


def test_an_unfunded_sender_is_refused_by_the_node(tester: Chain) -> None:
    c = tester
    poor = Account.create()
    cc.grant_writer(c.anchor, c.admin, poor.address)
    with pytest.raises(BroadcastRefused):
        cc.send_anchor(c.anchor, poor, 1, root(1), [])
    fund(c.w3, [poor])
    cc.send_anchor(c.anchor, poor, 1, root(1), [])


# Decoding revert data


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (None, "f reverted: no revert data"),
        (b"\x12\x34", "f reverted: unknown error data 0x1234"),
        (b"\xde\xad\xbe\xef" + bytes(32), "f reverted: unknown error data 0xdeadbeef" + "00" * 32),
        (keccak(b"EvidenceAnchorZeroAgency()")[:4], "f reverted: EvidenceAnchorZeroAgency()"),
        (
            keccak(b"EvidenceAnchorInvalidCreditCode(uint256)")[:4] + (17).to_bytes(32, "big"),
            "f reverted: EvidenceAnchorInvalidCreditCode(length=17)",
        ),
        (
            keccak(b"Panic(uint256)")[:4] + (0x11).to_bytes(32, "big"),
            "f reverted: Panic(code=17)",
        ),
    ],
)
def test_decode_revert(data: bytes | None, expected: str) -> None:
    assert str(cc.decode_revert("f", data)) == expected


def test_truncated_error_data_is_reported_not_raised() -> None:
    selector = keccak(b"EvidenceAnchorInvalidCreditCode(uint256)")[:4]
    decoded = cc.decode_revert("f", selector + b"\x00" * 5)
    assert decoded.error_name is None
    assert isinstance(decoded, EvanchorError)
