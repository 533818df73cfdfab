"""Stop/restart and kill -9 of a running node: the chain resumes at a complete block."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import requests

from evanchor.node.chain.datadir import open_chain
from evanchor.node.chain.embedded import EmbeddedChain
from evanchor.node.chain.export import export_blocks, replay

from chain_helpers import Actors, rpc, signed_tx, start_node, wait_for_receipt

KILL_ROUNDS = 3
TRANSACTIONS_PER_ROUND = 400


def test_stop_and_restart_keeps_the_chain(data_dir: Path, actors: Actors) -> None:
    node = start_node(data_dir)
    try:
        tx_hash = rpc(node.url, "eth_sendRawTransaction", "0x" + signed_tx(actors.writer, 0).hex())
        receipt = wait_for_receipt(node.url, tx_hash)
        head = rpc(node.url, "eth_getBlockByNumber", "latest", False)
    finally:
        node.stop()
    assert node.process.returncode == 0
    node = start_node(data_dir)
    try:
        assert rpc(node.url, "eth_getBlockByNumber", "latest", False) == head
        assert rpc(node.url, "eth_getTransactionReceipt", tx_hash) == receipt
        assert rpc(node.url, "eth_getTransactionCount", actors.writer.address, "latest") == "0x1"
    finally:
        node.stop()


def _flood(url: str, raws: list[bytes], stop: threading.Event) -> None:
    """Send `raws` until done or the node dies (connection errors end the flood)."""
    with requests.Session() as session:
        for raw in raws:
            if stop.is_set():
                return
            payload = {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "eth_sendRawTransaction",
                "params": ["0x" + raw.hex()],
            }
            try:
                session.post(url, json=payload, timeout=10)
            except requests.RequestException:
                return


def _check_complete(chain: EmbeddedChain, sender: bytes) -> int:
    """Every block to the head is whole; return how many of `sender`'s transactions it holds."""
    included = 0
    for number in range(1, chain.head.block_number + 1):
        header = chain.header_by_number(number)
        block = chain.block(header)
        receipts = chain.receipts(header)
        assert len(receipts) == len(block.transactions)
        for info in receipts:
            assert info.succeeded
            assert chain.transaction(info.transaction.hash) is not None
            included += info.sender == sender
    state = chain.state_at(chain.head)
    assert state.get_nonce(sender) == included  # type: ignore[arg-type]
    return included


def test_kill_9_during_sealing_resumes_at_a_complete_block(data_dir: Path, actors: Actors) -> None:
    sender = bytes.fromhex(actors.writer.address[2:])
    nonce = 0
    for round_number in range(KILL_ROUNDS):
        node = start_node(data_dir)
        raws = [signed_tx(actors.writer, nonce + i) for i in range(TRANSACTIONS_PER_ROUND)]
        stop = threading.Event()
        flood = threading.Thread(target=_flood, args=(node.url, raws, stop))
        flood.start()
        # Let blocks be sealed continuously, then kill the process in the middle of it.
        deadline = time.monotonic() + 30
        while (
            int(rpc(node.url, "eth_blockNumber"), 16) < 3 * (round_number + 1)
            and time.monotonic() < deadline
        ):
            time.sleep(0.01)
        node.kill()
        stop.set()
        flood.join()
        chain = open_chain(data_dir, load_sealer=True)
        try:
            nonce = _check_complete(chain, sender)
            assert chain.head.block_number >= 3 * (round_number + 1)
        finally:
            chain.close()
    # After the last kill the node serves and seals again, and the whole history replays.
    node = start_node(data_dir)
    try:
        tx_hash = rpc(
            node.url, "eth_sendRawTransaction", "0x" + signed_tx(actors.writer, nonce).hex()
        )
        assert wait_for_receipt(node.url, tx_hash)["status"] == "0x1"
    finally:
        node.stop()
    chain = open_chain(data_dir)
    try:
        exported = io.BytesIO()
        export_blocks(chain, exported)
        exported.seek(0)
        report = replay(exported, EmbeddedChain.in_memory(chain.genesis))
        assert report.head_hash == chain.head.hash
    finally:
        chain.close()
