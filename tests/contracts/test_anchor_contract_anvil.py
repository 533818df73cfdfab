"""The same deployment and anchoring against anvil, over plain Ethereum JSON-RPC.

anvil (from the locked npm package) runs the London fork on a free 127.0.0.1 port, started
once per session by the `anvil_url` fixture and stopped after. The writer is a fresh key that
signs its own transactions locally, as the node's anchoring client does, so only standard
`eth_*` methods are used on the writer's side.
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD

from evanchor.contracts.artifacts import load_artifact
from evanchor.contracts.storage_layout import (
    checkpoint_count_slot,
    checkpoint_slots,
    decode_checkpoint_slots,
)

from evm_harness import GAS, WRITER_ROLE, Tree, checkpoint_tuple, deploy_anchor, revert_of, send


class AnvilLog:
    def __init__(self, w3: Web3, contract: Contract, admin: str, writer: LocalAccount) -> None:
        self.w3, self.contract, self.admin, self.writer = w3, contract, admin, writer

    def signed(self, call: Any, expect_success: bool = True) -> Any:
        """Signs `call` with the writer's key, sends it raw and returns the receipt."""
        transaction = call.build_transaction(
            {
                "from": self.writer.address,
                "gas": GAS,
                "nonce": self.w3.eth.get_transaction_count(self.writer.address),
            }
        )
        signed = self.writer.sign_transaction(transaction)
        receipt = self.w3.eth.wait_for_transaction_receipt(
            self.w3.eth.send_raw_transaction(signed.raw_transaction), timeout=10
        )
        assert receipt["status"] == (1 if expect_success else 0), receipt
        return receipt


@pytest.fixture
def anvil_log(anvil_url: str) -> AnvilLog:
    w3 = Web3(Web3.HTTPProvider(anvil_url, request_kwargs={"timeout": 10}))
    admin, funder = w3.eth.accounts[:2]
    contract = deploy_anchor(w3, admin)
    writer: LocalAccount = Account.create()
    send_value = {"from": funder, "to": writer.address, "value": Web3.to_wei(1, "ether")}
    assert w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction(send_value))["status"] == 1
    send(contract.functions.grantRole(WRITER_ROLE, writer.address), admin)
    return AnvilLog(w3, contract, admin, writer)


def test_anvil_runs_london(anvil_log: AnvilLog) -> None:
    block = anvil_log.w3.eth.get_block("latest")
    assert "baseFeePerGas" in block  # London
    assert "withdrawalsRoot" not in block  # not Shanghai
    code = anvil_log.w3.eth.get_code(anvil_log.contract.address)
    assert code == load_artifact().deployed_bytecode


def test_anchor_and_extend_on_anvil(anvil_log: AnvilLog) -> None:
    log, writer = anvil_log, anvil_log.writer.address
    functions = log.contract.functions
    tree = Tree(b"anvil", 1000)
    previous = None
    for index, size in enumerate([1, 500, 999, 1000]):
        proof = [] if previous is None else tree.consistency(previous, size)
        receipt = log.signed(functions.anchor(size, tree.root(size), proof))
        (event,) = log.contract.events.CheckpointAnchored().process_receipt(receipt, errors=DISCARD)
        assert event["args"] == {
            "writer": writer,
            "index": index,
            "size": size,
            "root": tree.root(size),
        }
        block = log.w3.eth.get_block(receipt["blockNumber"])
        assert checkpoint_tuple(log.contract, writer, index) == (
            size,
            block["number"],
            block["timestamp"],
            tree.root(size),
        )
        previous = size
    assert functions.checkpointCount(writer).call() == 4
    assert functions.isAnchored(writer, 999, tree.root(999)).call()
    assert not functions.isAnchored(writer, 998, tree.root(998)).call()
    leaf = tree.leaf_hashes[777]
    assert functions.verifyInclusion(
        leaf, 777, 1000, tree.inclusion(777, 1000), tree.root(1000)
    ).call()
    assert functions.verifyConsistency(
        500, 1000, tree.root(500), tree.root(1000), tree.consistency(500, 1000)
    ).call()


def test_rejections_on_anvil(anvil_log: AnvilLog) -> None:
    log, writer = anvil_log, anvil_log.writer.address
    functions = log.contract.functions
    tree = Tree(b"anvil-reject", 20)
    log.signed(functions.anchor(10, tree.root(10), []))
    wrong = functions.anchor(20, tree.root(19), tree.consistency(10, 20))
    assert revert_of(wrong, writer) == (
        "EvidenceAnchorInconsistentCheckpoint",
        (writer, 10, tree.root(10), 20, tree.root(19)),
    )
    log.signed(wrong, expect_success=False)
    assert revert_of(functions.anchor(9, tree.root(9), []), writer) == (
        "EvidenceAnchorSizeNotIncreasing",
        (writer, 10, 9),
    )
    assert revert_of(functions.anchor(20, tree.root(20), []), log.admin) == (
        "AccessControlUnauthorizedAccount",
        (log.admin, WRITER_ROLE),
    )
    send(functions.revokeRole(WRITER_ROLE, writer), log.admin)
    log.signed(functions.anchor(20, tree.root(20), tree.consistency(10, 20)), expect_success=False)
    assert functions.checkpointCount(writer).call() == 1


def test_storage_slots_and_proofs_on_anvil(anvil_log: AnvilLog) -> None:
    # eth_getProof is how later work will attach a stored checkpoint to a court bundle.
    log, writer = anvil_log, anvil_log.writer.address
    tree = Tree(b"anvil-slots", 8)
    log.signed(log.contract.functions.anchor(3, tree.root(3), []))
    log.signed(log.contract.functions.anchor(8, tree.root(8), tree.consistency(3, 8)))
    slots = [checkpoint_count_slot(writer), *checkpoint_slots(writer, 1)]
    # As 32-byte hex: web3 sends an int as minimal hex, and anvil refuses an odd digit count
    # (one slot in sixteen starts with a zero nibble).
    keys = ["0x" + slot.to_bytes(32, "big").hex() for slot in slots]
    proof = log.w3.eth.get_proof(log.contract.address, keys, "latest")
    values = [int.from_bytes(entry["value"], "big") for entry in proof["storageProof"]]
    assert [int(key.hex(), 16) for key in (e["key"] for e in proof["storageProof"])] == slots
    assert values[0] == 2
    word0, word1 = (v.to_bytes(32, "big") for v in values[1:])
    assert tuple(decode_checkpoint_slots(word0, word1)) == checkpoint_tuple(log.contract, writer, 1)


def test_agency_registry_on_anvil(anvil_log: AnvilLog) -> None:
    # Registered, re-registered with the same code under a new key, revoked: each state is
    # readable at its block through eth_call, which is how a verifier asks about block B.
    log = anvil_log
    functions = log.contract.functions
    agency_role = functions.AGENCY_ROLE().call()
    old_key, new_key = Account.create().address, Account.create().address
    code = "91310115MA1K3TQ00E"
    first = send(functions.registerAgency(old_key, code), log.admin)
    rotated = send(functions.registerAgency(new_key, code), log.admin)
    revoked = send(functions.revokeAgency(old_key), log.admin)
    (registered_event,) = log.contract.events.AgencyRegistered().process_receipt(
        first, errors=DISCARD
    )
    assert registered_event["args"] == {"agency": old_key, "creditCode": code}
    (revoked_event,) = log.contract.events.AgencyRevoked().process_receipt(revoked, errors=DISCARD)
    assert revoked_event["args"] == {"agency": old_key}
    history = [
        (
            functions.agencyCreditCode(key).call(block_identifier=receipt["blockNumber"]),
            functions.hasRole(agency_role, key).call(block_identifier=receipt["blockNumber"]),
        )
        for receipt in (first, rotated, revoked)
        for key in (old_key, new_key)
    ]
    assert history == [
        (code, True),
        ("", False),
        (code, True),
        (code, True),
        ("", False),
        (code, True),
    ]
    assert revert_of(functions.registerAgency(new_key, code[:-1]), log.admin) == (
        "EvidenceAnchorInvalidCreditCode",
        (17,),
    )
    assert revert_of(functions.grantRole(agency_role, old_key), log.admin) == (
        "EvidenceAnchorAgencyRequiresRegistration",
        (),
    )
