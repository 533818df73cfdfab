"""The anchorer against anvil over JSON-RPC, where the test decides when blocks are mined.

With automine off (`evm_setAutomine`, a test-only control method; the library itself uses
only standard `eth_*` methods), a transaction stays pending until `evm_mine`: the receipt
that does not come, a transaction dropped from the pool (`anvil_dropTransaction`), a
replacement with higher fees, and confirmations counted block by block.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator

import pytest
import requests
from anchoring_helpers import Chain, running_anvil, seal_records, set_up

from evanchor.anchor.ethereum import client as cc
from evanchor.anchor.ethereum.anchorer import Anchorer, RetryPolicy, StepKind
from evanchor.anchor.ethereum.errors import ReceiptTimeout
from evanchor.anchor.log.store import LogStore

FAST = RetryPolicy(attempts=3, initial_delay=0.0, max_delay=0.0)
_tags = itertools.count(0x60)


def control(url: str, method: str, *params: object) -> object:
    """A test-only anvil method (never used by the library)."""
    reply = requests.post(
        url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}, timeout=10
    ).json()
    assert "error" not in reply, reply
    return reply["result"]


@pytest.fixture(scope="module")
def manual_url() -> Iterator[str]:
    """An anvil of this module's own, whose mining the tests switch off and on."""
    with running_anvil() as url:
        yield url


@pytest.fixture
def manual(manual_url: str) -> Iterator[tuple[Chain, str]]:
    chain = set_up(cc.web3_for(manual_url), next(_tags))
    control(manual_url, "evm_setAutomine", False)
    yield chain, manual_url
    control(manual_url, "evm_setAutomine", True)


def mine(url: str, blocks: int = 1) -> None:
    for _ in range(blocks):
        control(url, "evm_mine")


def test_a_receipt_that_does_not_come_survives_a_restart(
    manual: tuple[Chain, str], store: LogStore
) -> None:
    chain, url = manual
    seal_records(store, 4)
    a = Anchorer(store, chain.anchor, chain.writer, retry=FAST, replace_after=None)
    assert [a.step().kind for _ in range(2)] == [StepKind.PREPARED, StepKind.SENT]
    state = store.anchor_state(0)
    assert state is not None
    tx_hash = bytes.fromhex(state["tx_hash"])
    for _ in range(3):
        pending = a.step()
        assert (pending.kind, pending.tx_hash) == (StepKind.WAITING, tx_hash)
        assert pending.detail.startswith("pending for")
    with pytest.raises(ReceiptTimeout):
        cc.wait_for_receipt(chain.w3, tx_hash, timeout=0.3, poll_interval=0.05)
    restarted = Anchorer(store, chain.anchor, chain.writer, retry=FAST, replace_after=None)
    assert restarted.step().kind is StepKind.WAITING
    mine(url)
    confirmed = restarted.step()
    assert (confirmed.kind, confirmed.tx_hash) == (StepKind.CONFIRMED, tx_hash)
    assert cc.checkpoint_count(chain.anchor, chain.writer.address) == 1


def test_a_transaction_dropped_from_the_pool_is_broadcast_again(
    manual: tuple[Chain, str], store: LogStore
) -> None:
    chain, url = manual
    seal_records(store, 2)
    a = Anchorer(store, chain.anchor, chain.writer, retry=FAST, replace_after=None)
    a.step()
    a.step()
    state = store.anchor_state(0)
    assert state is not None
    control(url, "anvil_dropTransaction", "0x" + state["tx_hash"])
    assert not cc.transaction_known(chain.w3, bytes.fromhex(state["tx_hash"]))
    again = a.step()
    assert (again.kind, again.tx_hash.hex() if again.tx_hash else None) == (
        StepKind.REBROADCAST,
        state["tx_hash"],
    )
    assert cc.transaction_known(chain.w3, bytes.fromhex(state["tx_hash"]))
    mine(url)
    assert a.step().kind is StepKind.CONFIRMED


def test_a_transaction_pending_too_long_is_replaced_with_higher_fees(
    manual: tuple[Chain, str], store: LogStore
) -> None:
    chain, url = manual
    seal_records(store, 3)
    a = Anchorer(store, chain.anchor, chain.writer, retry=FAST, replace_after=0.0)
    a.step()
    a.step()
    first = store.anchor_state(0)
    assert first is not None
    replaced = a.step()
    assert replaced.kind is StepKind.REPLACED
    second = store.anchor_state(0)
    assert second is not None
    assert second["status"] == "sending"
    assert second["nonce"] == first["nonce"]
    assert second["fees"]["max_fee_per_gas"] >= first["fees"]["max_fee_per_gas"] * 1.1
    assert second["fees"]["max_priority_fee_per_gas"] >= (
        first["fees"]["max_priority_fee_per_gas"] * 1.1
    )
    assert second["attempts"] == [first["tx_hash"], second["tx_hash"]]
    assert second["nonce_attempts"] == second["attempts"]
    assert a.step().kind is StepKind.SENT  # the node takes the replacement
    mine(url)
    confirmed = a.step()
    assert (confirmed.kind, confirmed.tx_hash) == (
        StepKind.CONFIRMED,
        bytes.fromhex(second["tx_hash"]),
    )
    assert cc.get_receipt(chain.w3, bytes.fromhex(first["tx_hash"])) is None
    final = store.anchor_state(0)
    assert final is not None
    assert final["attempts"] == second["attempts"]
    assert cc.checkpoint_count(chain.anchor, chain.writer.address) == 1


def test_confirmations_are_counted_block_by_block(
    manual: tuple[Chain, str], store: LogStore
) -> None:
    chain, url = manual
    seal_records(store, 2)
    seal_records(store, 2)
    a = Anchorer(store, chain.anchor, chain.writer, retry=FAST, confirmations=3, max_in_flight=1)
    a.step()
    a.step()
    mine(url)
    assert a.step().detail.endswith("1/3 confirmations")
    mine(url)
    assert a.step().detail.endswith("2/3 confirmations")
    mine(url)
    assert a.step().kind is StepKind.CONFIRMED
    # One at a time: the next checkpoint is signed only now.
    assert a.step().kind is StepKind.PREPARED


def test_checkpoints_sent_ahead_are_anchored_in_one_block(
    manual: tuple[Chain, str], store: LogStore
) -> None:
    """Sealed faster than blocks confirm: the first transaction and those sent ahead of it
    wait in the pool together, with consecutive nonces, and one block anchors them all,
    each extending the one before it."""
    chain, url = manual
    for count in (2, 3, 1, 4, 2):
        seal_records(store, count)
    a = Anchorer(store, chain.anchor, chain.writer, retry=FAST, max_in_flight=8)
    assert [a.step().kind, a.step().kind] == [StepKind.PREPARED, StepKind.SENT]
    states = [store.anchor_state(seq) for seq in range(5)]
    assert all(state is not None and state["status"] == "sent" for state in states)
    mine(url)
    results = [a.step() for _ in range(6)]
    assert [r.kind for r in results] == [StepKind.CONFIRMED] * 5 + [StepKind.IDLE]
    events = cc.anchor_events(chain.anchor, writer=chain.writer.address)
    assert len({event.block_number for event in events}) == 1
    assert [(e.size, e.root) for e in events] == [(c.size, c.root) for c in store.checkpoints()]


def test_when_the_first_fails_those_sent_ahead_fail_too_and_are_anchored_again(
    manual: tuple[Chain, str], store: LogStore
) -> None:
    """The writer role is revoked in the block that holds the first transaction and those
    sent ahead of it (the admin's transaction ahead of them, with a higher tip): all fail.
    Once the role is back, each is signed again in turn from what the chain holds, and every
    checkpoint ends up anchored once, in order."""
    chain, url = manual
    for count in (2, 3, 4):
        seal_records(store, count)
    a = Anchorer(store, chain.anchor, chain.writer, retry=FAST, max_in_flight=8)
    assert [a.step().kind, a.step().kind] == [StepKind.PREPARED, StepKind.SENT]
    sent = [store.anchor_state(seq) for seq in range(3)]
    assert all(state is not None and state["status"] == "sent" for state in sent)
    fees = cc.suggest_fees(chain.w3).bumped(400)
    revoke = cc.sign_transaction(
        chain.admin,
        chain=cc.chain_id(chain.w3),
        to=chain.anchor.address,
        data=bytes.fromhex(
            chain.anchor.contract.encode_abi(
                "revokeRole", args=[cc.WRITER_ROLE, chain.writer.address]
            )[2:]
        ),
        nonce=cc.account_nonce(chain.w3, chain.admin.address, "pending"),
        gas=200_000,
        fees=fees,
    )
    cc.broadcast(chain.w3, revoke.raw)
    mine(url)
    assert cc.checkpoint_count(chain.anchor, chain.writer.address) == 0
    for state in sent:
        assert state is not None
        receipt = cc.get_receipt(chain.w3, bytes.fromhex(state["tx_hash"]))
        assert receipt is not None
        assert receipt.status == 0
    control(url, "evm_setAutomine", True)
    cc.grant_writer(chain.anchor, chain.admin, chain.writer.address, timeout=30)
    results = a.run_until_idle(time.monotonic() + 60)
    assert results[-1].kind is StepKind.IDLE
    assert [r.kind for r in results].count(StepKind.REVERTED) == 3
    events = cc.anchor_events(chain.anchor, writer=chain.writer.address)
    assert [(e.size, e.root) for e in events] == [(c.size, c.root) for c in store.checkpoints()]
