"""The anchorer on py-evm (eth-tester): order, exactly-once recovery, refusals, retries, delays.

Crashes are simulated at the points where a process can die: between two persisted states
(a fresh `Anchorer` on the same store is a restarted process), and between an action and
persisting its result (the test performs the action itself, as the dead process did).
"""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from anchoring_helpers import Chain, fund, seal_records, set_up
from eth_account import Account
from web3.middleware.base import Web3Middleware

from evanchor.anchor.ethereum import client as cc
from evanchor.anchor.ethereum.anchorer import (
    TARGET_META,
    Anchorer,
    RetryPolicy,
    StepKind,
    _anchored_by,
    anchor_delays,
)
from evanchor.anchor.ethereum.errors import (
    AnchorTargetMismatch,
    ChainUnavailable,
    CheckpointRefused,
    LogDiverged,
    RpcError,
    WriterNotAuthorised,
)
from evanchor.anchor.log.store import LogStore
from evanchor.anchor.protocol.checkpoint import Checkpoint

FAST = RetryPolicy(attempts=3, initial_delay=0.0, max_delay=0.0)


def anchorer(chain: Chain, store: LogStore, **options: Any) -> Anchorer:
    """One transaction at a time unless a test asks for more (the daemon sends ahead:
    the pipelining tests below)."""
    options.setdefault("retry", FAST)
    options.setdefault("poll_interval", 0.01)
    options.setdefault("max_in_flight", 1)
    return Anchorer(store, chain.anchor, chain.writer, **options)


def kinds(results: list[Any]) -> list[StepKind]:
    return [r.kind for r in results]


def run(a: Anchorer, seconds: float = 10.0) -> list[StepKind]:
    return kinds(a.run_until_idle(time.monotonic() + seconds))


def on_chain(chain: Chain) -> list[tuple[int, bytes]]:
    writer = chain.writer.address
    count = cc.checkpoint_count(chain.anchor, writer)
    return [
        (stored.size, stored.root)
        for stored in (cc.checkpoint_at(chain.anchor, writer, i) for i in range(count))
    ]


def local(store: LogStore) -> list[tuple[int, bytes]]:
    return [(c.size, c.root) for c in store.checkpoints()]


# The normal course


def test_every_sealed_checkpoint_is_anchored_in_order(tester: Chain, store: LogStore) -> None:
    for count in (1, 4, 7):
        seal_records(store, count)
    a = anchorer(tester, store)
    assert run(a) == [StepKind.PREPARED, StepKind.SENT, StepKind.CONFIRMED] * 3 + [StepKind.IDLE]
    assert on_chain(tester) == local(store)
    events = cc.anchor_events(tester.anchor, writer=tester.writer.address)
    chain_id = cc.chain_id(tester.w3)
    for seq, event in enumerate(events):
        state = store.anchor_state(seq)
        assert state is not None
        block = cc.block_info(tester.w3, event.block_number)
        assert state == {
            "status": "confirmed",
            "seq": seq,
            "size": event.size,
            "root": event.root.hex(),
            "chain_id": chain_id,
            "contract": tester.anchor.address,
            "writer": tester.writer.address,
            "checkpoint_index": seq,
            "tx_hash": event.tx_hash.hex(),
            "block_number": event.block_number,
            "block_hash": event.block_hash.hex(),
            "block_timestamp": block.timestamp,
            "log_index": event.log_index,
            "confirmations": 1,
            "attempts": [event.tx_hash.hex()],
        }
    assert store.meta(TARGET_META) == {
        "chain_id": chain_id,
        "contract": tester.anchor.address,
        "writer": tester.writer.address,
        "next_seq": 3,
    }
    # One transaction per checkpoint, nothing else.
    assert cc.account_nonce(tester.w3, tester.writer.address) == 3


def test_later_checkpoints_extend_the_log_with_consistency_proofs(
    tester: Chain, store: LogStore
) -> None:
    seal_records(store, 3)
    a = anchorer(tester, store)
    run(a)
    assert a.step().kind is StepKind.IDLE
    seal_records(store, 5)
    seal_records(store, 1)
    prepared = a.step()
    assert prepared.kind is StepKind.PREPARED
    state = store.anchor_state(1)
    assert state is not None
    # Each checkpoint ends with its seal leaf: 3 + 1, then 5 + 1 more.
    assert (state["status"], state["proof_from"], state["size"]) == ("sending", 4, 10)
    run(a)
    assert on_chain(tester) == local(store)


def test_an_empty_log_is_idle(tester: Chain, store: LogStore) -> None:
    assert anchorer(tester, store).step().kind is StepKind.IDLE


def test_confirmations_are_waited_for(tester: Chain, store: LogStore) -> None:
    seal_records(store, 2)
    a = anchorer(tester, store, confirmations=3)
    assert kinds([a.step(), a.step()]) == [StepKind.PREPARED, StepKind.SENT]
    waiting = a.step()
    assert (waiting.kind, waiting.detail.endswith("1/3 confirmations")) == (StepKind.WAITING, True)
    tester.w3.provider.ethereum_tester.mine_blocks(1)  # type: ignore[attr-defined]
    assert a.step().detail.endswith("2/3 confirmations")
    tester.w3.provider.ethereum_tester.mine_blocks(1)  # type: ignore[attr-defined]
    assert a.step().kind is StepKind.CONFIRMED
    state = store.anchor_state(0)
    assert state is not None
    assert state["confirmations"] == 3


def test_a_sent_transaction_is_settled_from_its_receipt(tester: Chain, store: LogStore) -> None:
    """The step that confirms a sent transaction asks for its receipt and the blocks, and
    reads no contract state: no `eth_call` per checkpoint while anchoring keeps pace."""
    asked: list[str] = []

    class Asked(Web3Middleware):
        def request_processor(self, method: Any, params: Any) -> Any:
            asked.append(str(method))
            return method, params

    seal_records(store, 2)
    a = anchorer(tester, store)
    assert kinds([a.step(), a.step()]) == [StepKind.PREPARED, StepKind.SENT]
    tester.w3.middleware_onion.add(Asked, name="asked")
    try:
        assert a.step().kind is StepKind.CONFIRMED
    finally:
        tester.w3.middleware_onion.remove("asked")
    assert "eth_call" not in asked
    assert "eth_getLogs" not in asked
    assert "eth_getTransactionReceipt" in asked
    event = cc.anchor_events(tester.anchor, writer=tester.writer.address)[0]
    state = store.anchor_state(0)
    assert state is not None
    assert (state["checkpoint_index"], state["tx_hash"], state["log_index"]) == (
        event.index,
        event.tx_hash.hex(),
        event.log_index,
    )


def test_the_next_checkpoint_continues_from_the_one_just_confirmed(
    tester: Chain, store: LogStore
) -> None:
    """Signed with the next nonce and the proof from the confirmed one's size, without
    asking the chain: no contract read, no fee or nonce question, on its way to the chain."""
    asked: list[str] = []

    class Asked(Web3Middleware):
        def request_processor(self, method: Any, params: Any) -> Any:
            asked.append(str(method))
            return method, params

    first = seal_records(store, 2)
    a = anchorer(tester, store)
    assert run(a) == [StepKind.PREPARED, StepKind.SENT, StepKind.CONFIRMED, StepKind.IDLE]
    seal_records(store, 3)
    tester.w3.middleware_onion.add(Asked, name="asked")
    try:
        assert a.step().kind is StepKind.PREPARED
        sending = store.anchor_state(1)
        assert sending is not None
        assert (sending["nonce"], sending["proof_from"]) == (1, first.size)
        assert run(a) == [StepKind.SENT, StepKind.CONFIRMED, StepKind.IDLE]
    finally:
        tester.w3.middleware_onion.remove("asked")
    assert "eth_call" not in asked
    assert "eth_estimateGas" not in asked
    assert "eth_getTransactionCount" not in asked
    state = store.anchor_state(1)
    assert state is not None
    assert state["status"] == "confirmed"
    assert on_chain(tester) == local(store)
    assert cc.account_nonce(tester.w3, tester.writer.address) == 2


def test_a_continuation_whose_nonce_was_taken_is_anchored_afresh(
    tester: Chain, store: LogStore
) -> None:
    seal_records(store, 2)
    a = anchorer(tester, store)
    run(a)
    seal_records(store, 2)
    assert a.step().kind is StepKind.PREPARED  # the continuation, nonce 1, not broadcast
    taken = cc.sign_transaction(
        tester.writer,
        chain=cc.chain_id(tester.w3),
        to=tester.outsider.address,
        data=b"",
        nonce=1,
        gas=21_000,
        fees=cc.suggest_fees(tester.w3),
        value=1,
    )
    cc.broadcast(tester.w3, taken.raw)
    assert run(a) == [
        StepKind.SUPERSEDED,
        StepKind.PREPARED,
        StepKind.SENT,
        StepKind.CONFIRMED,
        StepKind.IDLE,
    ]
    assert on_chain(tester) == local(store)


def test_a_continuation_after_the_writer_lost_its_role_is_told_at_the_next_attempt(
    tester: Chain, store: LogStore
) -> None:
    seal_records(store, 2)
    a = anchorer(tester, store)
    run(a)
    cc.revoke_writer(tester.anchor, tester.admin, tester.writer.address)
    seal_records(store, 2)
    assert kinds([a.step(), a.step()]) == [StepKind.PREPARED, StepKind.SENT]
    assert a.step().kind is StepKind.REVERTED  # mined and failed: no preflight was asked
    with pytest.raises(WriterNotAuthorised, match=tester.writer.address):
        a.step()  # the next attempt asks the chain in full
    cc.grant_writer(tester.anchor, tester.admin, tester.writer.address)
    assert run(a)[-2:] == [StepKind.CONFIRMED, StepKind.IDLE]
    assert on_chain(tester) == local(store)


def _mined(status: int, *events: cc.AnchorEvent) -> tuple[bytes, Any]:
    receipt = cc.TransactionReceipt(b"\x01" * 32, status, 5, b"\x02" * 32, 50_000, None)
    return b"\x01" * 32, (receipt, list(events))


def test_only_a_successful_receipt_with_the_checkpoints_own_event_settles_it() -> None:
    checkpoint = Checkpoint(seq=0, size=3, root=b"\x07" * 32, sealed_at="2026-12-03T00:00:00Z")
    writer = Account.from_key(b"\x05" * 32).address
    other = Account.from_key(b"\x06" * 32).address

    def event(who: str, size: int, root: bytes, index: int = 4) -> cc.AnchorEvent:
        return cc.AnchorEvent(who, index, size, root, b"\x01" * 32, 5, b"\x02" * 32, 0)

    own = event(writer, 3, b"\x07" * 32)
    found = _anchored_by([_mined(1, own)], checkpoint, writer)
    assert found is not None
    assert (found.index, found.event) == (4, own)
    for name, mined in {
        "failed receipt": [_mined(0, own)],
        "no event": [_mined(1)],
        "another writer's": [_mined(1, event(other, 3, b"\x07" * 32))],
        "another size": [_mined(1, event(writer, 4, b"\x07" * 32))],
        "another root": [_mined(1, event(writer, 3, b"\x08" * 32))],
        "no receipt": [],
    }.items():
        assert _anchored_by(mined, checkpoint, writer) is None, name


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="confirmations"):
        Anchorer(None, None, None, confirmations=0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_in_flight"):
        Anchorer(None, None, None, max_in_flight=0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="attempts"):
        RetryPolicy(attempts=0)
    assert RetryPolicy(attempts=5, initial_delay=1, multiplier=3, max_delay=5).delays() == [
        1,
        3,
        5,
        5,
    ]


# Pipelining: several transactions in flight with consecutive nonces


def test_checkpoints_are_sent_ahead_with_consecutive_nonces_up_to_the_bound(
    tester: Chain, store: LogStore
) -> None:
    for count in range(1, 8):
        seal_records(store, count)
    a = anchorer(tester, store, max_in_flight=4)
    assert kinds([a.step(), a.step()]) == [StepKind.PREPARED, StepKind.SENT]
    states = [store.anchor_state(seq) for seq in range(7)]
    sizes = [c.size for c in store.checkpoints()]
    # The first and three sent ahead, each with the next nonce and the proof from the size
    # of the one before it; the rest wait for room.
    assert [s["status"] if s else None for s in states] == ["sent"] * 4 + [None] * 3
    assert [s["nonce"] for s in states[:4] if s] == [0, 1, 2, 3]
    assert [s["proof_from"] for s in states[:4] if s] == [0, *sizes[:3]]
    assert run(a)[-1] is StepKind.IDLE
    assert on_chain(tester) == local(store)
    # One transaction per checkpoint: none was sent twice.
    assert cc.account_nonce(tester.w3, tester.writer.address) == 7
    assert [e.index for e in cc.anchor_events(tester.anchor, writer=tester.writer.address)] == list(
        range(7)
    )


def test_a_restart_with_transactions_sent_ahead_anchors_each_once(
    tester: Chain, store: LogStore
) -> None:
    for count in (2, 3, 4):
        seal_records(store, count)
    a = anchorer(tester, store, max_in_flight=8)
    a.step()
    a.step()  # the first sent, the other two sent ahead
    restarted = anchorer(tester, store, max_in_flight=8)
    assert run(restarted).count(StepKind.CONFIRMED) == 3
    assert on_chain(tester) == local(store)
    assert cc.account_nonce(tester.w3, tester.writer.address) == 3


# Crashes and restarts


def test_crash_after_persisting_sending_before_broadcast(tester: Chain, store: LogStore) -> None:
    seal_records(store, 3)
    assert anchorer(tester, store).step().kind is StepKind.PREPARED
    persisted = store.anchor_state(0)
    assert persisted is not None
    assert persisted["status"] == "sending"
    assert not cc.transaction_known(tester.w3, bytes.fromhex(persisted["tx_hash"]))
    # The process died here. A new one broadcasts the very transaction it had signed.
    restarted = anchorer(tester, store)
    sent = restarted.step()
    assert (sent.kind, sent.tx_hash) == (StepKind.SENT, bytes.fromhex(persisted["tx_hash"]))
    assert restarted.step().kind is StepKind.CONFIRMED
    assert on_chain(tester) == local(store)
    assert cc.account_nonce(tester.w3, tester.writer.address) == 1


def test_crash_after_broadcast_before_persisting_sent(tester: Chain, store: LogStore) -> None:
    seal_records(store, 3)
    anchorer(tester, store).step()
    persisted = store.anchor_state(0)
    assert persisted is not None
    cc.broadcast(tester.w3, bytes.fromhex(persisted["raw_tx"]))  # what the dead process did
    restarted = anchorer(tester, store)
    confirmed = restarted.step()  # the chain is asked first: no second transaction
    assert (confirmed.kind, confirmed.tx_hash) == (
        StepKind.CONFIRMED,
        bytes.fromhex(persisted["tx_hash"]),
    )
    assert restarted.step().kind is StepKind.IDLE
    assert on_chain(tester) == local(store)
    assert cc.account_nonce(tester.w3, tester.writer.address) == 1


def test_crash_with_every_state_persisted_never_double_anchors(
    tester: Chain, store: LogStore
) -> None:
    # A new process after every single step: each one reconciles with the chain first.
    for count in (2, 3, 5):
        seal_records(store, count)
    steps = []
    for _ in range(20):
        result = anchorer(tester, store).step()
        steps.append(result.kind)
        if result.kind is StepKind.IDLE:
            break
    assert steps == [StepKind.PREPARED, StepKind.SENT, StepKind.CONFIRMED] * 3 + [StepKind.IDLE]
    assert on_chain(tester) == local(store)
    assert cc.account_nonce(tester.w3, tester.writer.address) == 3


def test_the_store_is_reopened_after_a_crash(tester: Chain, tmp_path: Path) -> None:
    path = tmp_path / "log"
    with LogStore(path, create=True) as store:
        seal_records(store, 4)
        anchorer(tester, store).step()
    with LogStore(path) as reopened:
        state = reopened.anchor_state(0)
        assert state is not None
        assert state["status"] == "sending"
        assert run(anchorer(tester, reopened)) == [
            StepKind.SENT,
            StepKind.CONFIRMED,
            StepKind.IDLE,
        ]


def test_a_transaction_the_node_never_got_is_broadcast_again(
    tester: Chain, store: LogStore
) -> None:
    # State "sent", yet the node does not know the transaction (dropped from its pool):
    # the same signed bytes go out again.
    seal_records(store, 3)
    anchorer(tester, store).step()
    persisted = store.anchor_state(0)
    assert persisted is not None
    store.put_anchor_state(0, {**persisted, "status": "sent", "sent_at": 0.0})
    a = anchorer(tester, store)
    again = a.step()
    assert (again.kind, again.tx_hash) == (
        StepKind.REBROADCAST,
        bytes.fromhex(persisted["tx_hash"]),
    )
    assert a.step().kind is StepKind.CONFIRMED
    assert cc.account_nonce(tester.w3, tester.writer.address) == 1


def test_a_nonce_used_by_another_transaction_starts_a_new_attempt(
    tester: Chain, store: LogStore
) -> None:
    seal_records(store, 3)
    anchorer(tester, store).step()
    persisted = store.anchor_state(0)
    assert persisted is not None
    # Meanwhile the writer's key sent something else with that nonce.
    other = cc.sign_transaction(
        tester.writer,
        chain=cc.chain_id(tester.w3),
        to=tester.outsider.address,
        data=b"",
        nonce=persisted["nonce"],
        gas=21_000,
        fees=cc.suggest_fees(tester.w3),
        value=1,
    )
    cc.broadcast(tester.w3, other.raw)
    a = anchorer(tester, store)
    assert run(a) == [
        StepKind.SUPERSEDED,
        StepKind.PREPARED,
        StepKind.SENT,
        StepKind.CONFIRMED,
        StepKind.IDLE,
    ]
    state = store.anchor_state(0)
    assert state is not None
    assert state["attempts"] == [persisted["tx_hash"], state["tx_hash"]]
    assert on_chain(tester) == local(store)


def test_a_failed_transaction_is_retried_once_the_cause_is_gone(
    tester: Chain, store: LogStore
) -> None:
    seal_records(store, 3)
    a = anchorer(tester, store)
    assert a.step().kind is StepKind.PREPARED
    cc.revoke_writer(tester.anchor, tester.admin, tester.writer.address)
    assert a.step().kind is StepKind.SENT  # eth-tester mines it at once: status 0
    reverted = a.step()
    assert reverted.kind is StepKind.REVERTED
    assert reverted.detail.startswith("AccessControlUnauthorizedAccount(account=")
    with pytest.raises(WriterNotAuthorised, match=tester.writer.address):
        a.step()  # the preflight refuses before anything is signed
    cc.grant_writer(tester.anchor, tester.admin, tester.writer.address)
    assert run(a) == [StepKind.PREPARED, StepKind.SENT, StepKind.CONFIRMED, StepKind.IDLE]
    assert on_chain(tester) == local(store)


def admin_transaction(chain: Chain, function: str, *args: object) -> bytes:
    """Signs and broadcasts an admin call without waiting for it to be mined."""
    data = bytes.fromhex(chain.anchor.contract.encode_abi(function, args=list(args))[2:])
    signed = cc.sign_transaction(
        chain.admin,
        chain=cc.chain_id(chain.w3),
        to=chain.anchor.address,
        data=data,
        nonce=cc.account_nonce(chain.w3, chain.admin.address, "pending"),
        gas=cc.ADMIN_GAS,
        fees=cc.suggest_fees(chain.w3),
    )
    return cc.broadcast(chain.w3, signed.raw)


def test_an_earlier_failed_attempt_does_not_shadow_a_pending_one(
    tester: Chain, store: LogStore
) -> None:
    ethereum_tester = tester.w3.provider.ethereum_tester  # type: ignore[attr-defined]
    ethereum_tester.disable_auto_mine_transactions()
    seal_records(store, 3)
    a = anchorer(tester, store)
    assert a.step().kind is StepKind.PREPARED
    admin_transaction(tester, "revokeRole", cc.WRITER_ROLE, tester.writer.address)
    assert a.step().kind is StepKind.SENT
    ethereum_tester.mine_blocks(1)  # the revocation runs first, the anchor fails
    assert a.step().kind is StepKind.REVERTED
    admin_transaction(tester, "grantRole", cc.WRITER_ROLE, tester.writer.address)
    ethereum_tester.mine_blocks(1)
    assert kinds([a.step(), a.step()]) == [StepKind.PREPARED, StepKind.SENT]
    state = store.anchor_state(0)
    assert state is not None
    assert len(state["attempts"]) == 2
    assert state["nonce_attempts"] == [state["tx_hash"]]
    assert a.step().kind is StepKind.WAITING  # pending, not "reverted" again
    ethereum_tester.mine_blocks(1)
    assert a.step().kind is StepKind.CONFIRMED
    assert on_chain(tester) == local(store)


# Refusals that never go away


def test_a_foreign_checkpoint_on_chain_stops_the_log(tester: Chain, store: LogStore) -> None:
    # The writer's key anchored something that is not this log: nothing can follow it.
    seal_records(store, 3)
    cc.send_anchor(tester.anchor, tester.writer, 2, b"\x07" * 32, [])
    a = anchorer(tester, store)
    for _ in range(2):
        with pytest.raises(LogDiverged) as caught:
            a.step()
        assert (caught.value.index, caught.value.size) == (0, 2)
        assert caught.value.chain_root == b"\x07" * 32
    assert store.anchor_state(0) is None
    assert cc.checkpoint_count(tester.anchor, tester.writer.address) == 1


def test_a_checkpoint_the_chain_has_passed_is_refused_for_good(
    tester: Chain, store: LogStore
) -> None:
    first = seal_records(store, 3)
    second = seal_records(store, 3)
    # The writer's key anchored the second checkpoint directly: the first can never be.
    cc.send_anchor(tester.anchor, tester.writer, second.size, second.root, [])
    a = anchorer(tester, store)
    with pytest.raises(CheckpointRefused) as caught:
        a.step()
    assert (caught.value.seq, caught.value.size) == (0, first.size)
    state = store.anchor_state(0)
    assert state is not None
    assert state["status"] == "refused"
    # Not skipped: every later step, in this process or another, says so again.
    with pytest.raises(CheckpointRefused):
        a.step()
    with pytest.raises(CheckpointRefused, match="checkpoint 0"):
        anchorer(tester, store).step()
    assert store.anchor_state(1) is None


def test_the_log_is_bound_to_one_chain_contract_and_writer(tester: Chain, store: LogStore) -> None:
    seal_records(store, 2)
    run(anchorer(tester, store))
    other = set_up(tester.w3, 0x44)
    with pytest.raises(AnchorTargetMismatch):
        anchorer(other, store).step()
    with pytest.raises(AnchorTargetMismatch):
        Anchorer(store, tester.anchor, other.writer, retry=FAST).step()


# RPC failures


def test_an_unreachable_endpoint_is_retried_with_backoff_then_reported(
    tester: Chain, store: LogStore
) -> None:
    seal_records(store, 1)
    waits: list[float] = []
    dead = cc.contract_at(cc.web3_for("http://127.0.0.1:9", timeout=0.5), tester.anchor.address)
    policy = RetryPolicy(attempts=4, initial_delay=0.01, multiplier=3, max_delay=0.05)
    a = Anchorer(store, dead, tester.writer, retry=policy, sleep=waits.append)
    with pytest.raises(ChainUnavailable, match="eth_chainId"):
        a.step()
    assert waits == pytest.approx([0.01, 0.03, 0.05])
    assert store.anchor_state(0) is None


class FlakyProxy:
    """A JSON-RPC forwarder that answers HTTP 503 to the first `failures` requests.

    Real network failures in front of a real chain: every other request reaches it.
    """

    def __init__(self, target: str, failures: int) -> None:
        self.failures = failures
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if proxy.failures > 0:
                    proxy.failures -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                reply = requests.post(
                    target, data=body, headers={"Content-Type": "application/json"}, timeout=10
                )
                self.send_response(reply.status_code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply.content)))
                self.end_headers()
                self.wfile.write(reply.content)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def flaky(anvil_url: str) -> Iterator[FlakyProxy]:
    proxy = FlakyProxy(anvil_url, failures=0)
    yield proxy
    proxy.close()


def test_failing_requests_are_retried_until_anchored(
    anvil: Chain, flaky: FlakyProxy, store: LogStore
) -> None:
    seal_records(store, 5)
    through_proxy = cc.contract_at(cc.web3_for(flaky.url, timeout=5), anvil.anchor.address)
    waits: list[float] = []
    a = Anchorer(store, through_proxy, anvil.writer, retry=FAST, sleep=waits.append)
    flaky.failures = 2
    assert a.step().kind is StepKind.PREPARED
    assert len(waits) == 2
    flaky.failures = 2
    assert a.step().kind is StepKind.SENT
    flaky.failures = 3  # more than the policy allows in one call: the step fails...
    with pytest.raises(ChainUnavailable):
        a.step()
    flaky.failures = 0  # ...and the next one carries on
    assert run(a) == [StepKind.CONFIRMED, StepKind.IDLE]
    assert on_chain(anvil) == local(store)


def test_a_writer_without_funds_is_told_before_anything_is_signed(
    tester: Chain, store: LogStore
) -> None:
    # The preflight call carries the transaction's gas and fees, so the node checks that
    # the writer can pay; nothing is persisted until it can.
    seal_records(store, 2)
    poor = Account.create()
    cc.grant_writer(tester.anchor, tester.admin, poor.address)
    a = Anchorer(store, tester.anchor, poor, retry=FAST)
    with pytest.raises(RpcError, match="afford"):
        a.step()
    assert store.anchor_state(0) is None
    fund(tester.w3, [poor])
    assert run(a) == [StepKind.PREPARED, StepKind.SENT, StepKind.CONFIRMED, StepKind.IDLE]


# Anchor delay


def test_anchor_delay_runs_from_the_first_record_to_the_block(
    tester: Chain, store: LogStore
) -> None:
    accepted = [
        datetime(2026, 11, 29, 8, 0, 0, 250_000, tzinfo=UTC),
        datetime(2026, 11, 29, 8, 1, tzinfo=UTC),
    ]
    seal_records(store, 2, now=accepted[0])
    seal_records(store, 3, now=accepted[1])
    seal_records(store, 1)
    a = anchorer(tester, store)
    for _ in range(6):  # the first two checkpoints only
        a.step()
    delays = anchor_delays(store)
    assert [(d.seq, d.first_index) for d in delays] == [(0, 0), (1, 3)]  # 2 records, 1 seal
    for delay, moment in zip(delays, accepted, strict=True):
        state = store.anchor_state(delay.seq)
        assert state is not None
        assert delay.block_timestamp == state["block_timestamp"]
        assert delay.seconds == pytest.approx(state["block_timestamp"] - moment.timestamp())
    assert delays[0].accepted_at == "2026-11-29T08:00:00.250Z"
