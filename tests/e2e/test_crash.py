"""Crash tests: `kill -9` of the node daemon, then restart; nothing lost, nothing anchored twice.

(i) A checkpoint sealed while anchoring cannot proceed, the node killed, restarted while it
    still cannot, then let through: the checkpoint is anchored exactly once. Anchoring is
    held up honestly: on the embedded chain the contract's admin revokes the node's writer
    role (the anchorer's preflight is refused); on anvil the chain goes away (the relay
    between node and anvil is switched off, so every JSON-RPC connection is refused).
(ii) Many small checkpoints (`--seal-every 3`) while records keep arriving over HTTP from
    several concurrent submitters (so checking in the worker processes, group commits and
    anchoring transactions sent ahead are all in flight), the node killed at random moments
    (every other round, just after a checkpoint in flight was seen), several rounds; after a
    final restart every sealed checkpoint is on chain exactly once with its own (size,
    root), and every receipt the node gave before a kill is in the log at its index.

Both run on the embedded chain and on anvil. After each kill the test opens the log itself
(the dead node holds no lock) and checks the receipts so far.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from e2e_helpers import (
    CHAINS,
    COLLECTION_AGENCY,
    COLLECTION_FILE,
    Agency,
    MakeNode,
    Node,
    check_anchored_exactly_once,
    node_factory,
    read_jsonl,
    register_agency_directly,
    variant,
    wait_until,
)

from evanchor.anchor.ethereum import client as cc
from evanchor.anchor.log.store import LogStore

ROUNDS = int(os.environ.get("EVANCHOR_CRASH_ROUNDS", "4"))
"""Kill rounds per chain; the harness run for the closing note sets EVANCHOR_CRASH_ROUNDS."""
BATCH_MAX = 3
SUBMITTERS = 3


@pytest.fixture(params=CHAINS)
def make_node(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MakeNode]:
    with node_factory(request.param, tmp_path) as make:
        yield make


def submit(node: Node, submissions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    response = node.daemon.post("/v1/records", {"submissions": submissions})
    assert response.status_code == 201, response.text
    receipts: list[dict[str, Any]] = response.json()["receipts"]
    return receipts


class Pause:
    """Holds anchoring up without touching the node: writer role (embedded) or chain (anvil)."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.reason = (
            "cannot refresh the agency registry"
            if node.proxy is not None
            else "does not hold WRITER_ROLE"
        )
        """What the node logs while anchoring is held up this way."""

    def hold(self) -> None:
        if self.node.proxy is not None:
            self.node.proxy.down()
        else:
            cc.revoke_writer(self.node.contract(), self.node.account(), self.node.chain.writer)

    def release(self) -> None:
        if self.node.proxy is not None:
            self.node.proxy.up()
        else:
            cc.grant_writer(self.node.contract(), self.node.account(), self.node.chain.writer)


def check_receipts_in_log(node: Node, receipts: list[dict[str, Any]]) -> dict[str, int]:
    """With the node dead: every receipt is in the log at its index. Returns how many
    checkpoints were in each anchoring state when the node died."""
    states: dict[str, int] = {}
    with LogStore(node.home.log_path) as store:
        for receipt in receipts:
            assert store.index_of(bytes.fromhex(receipt["record_id"])) == receipt["index"]
        for checkpoint in store.checkpoints():
            state = store.anchor_state(checkpoint.seq)
            name = "none" if state is None else str(state["status"])
            states[name] = states.get(name, 0) + 1
    return states


def test_checkpoint_sealed_before_a_kill_is_anchored_once_after_restart(
    make_node: MakeNode, tmp_path: Path
) -> None:
    node = make_node("node", "--seal-every", "5", "--seal-after", "600", proxy=True)
    daemon = node.daemon
    pause = Pause(node)
    daemon.start()
    collector = register_agency_directly(node, COLLECTION_AGENCY)
    records = read_jsonl(COLLECTION_FILE)
    receipts = submit(node, [collector.sign(node, r) for r in records])
    wait_until(lambda: daemon.all_anchored(8), what="checkpoint 0 anchored")  # 7 + seal leaf

    pause.hold()
    held = submit(
        node, [collector.sign(node, variant(r, f"held-{i}")) for i, r in enumerate(records[:5])]
    )
    receipts += held
    assert [r["index"] for r in held] == [8, 9, 10, 11, 12]
    wait_until(
        lambda: len(daemon.get("/v1/checkpoints")) == 2, what="checkpoint 1 sealed by policy"
    )
    assert daemon.get(f"/v1/records/{held[0]['record_id']}")["status"] == "sealed"
    assert daemon.get("/v1/status")["anchoring"]["pending_checkpoints"] == [1]
    wait_until(
        lambda: pause.reason in daemon.log_path.read_text(),
        what=f"the node to say why anchoring is held up ({pause.reason!r})",
        diagnose=daemon.log_tail,
    )

    daemon.kill9()
    with LogStore(node.home.log_path) as store:
        assert store.checkpoint_count == 2
        state = store.anchor_state(1)
        assert state is None or state["status"] != "confirmed", state

    daemon.start()  # anchoring still held up
    assert daemon.get("/v1/status")["anchoring"]["pending_checkpoints"] == [1]
    assert daemon.get(f"/v1/records/{held[-1]['record_id']}")["status"] == "sealed"
    late = collector.sign(node, variant(records[5], "late"))
    if node.proxy is not None:
        # Restarted without its chain, the node has no agency registry yet: a submission is
        # refused with 503 (not a 500), nothing is written, and it is taken once the chain
        # is back.
        response = daemon.post("/v1/records", late)
        assert response.status_code == 503, response.text
        assert "agency registry could not be read" in response.json()["error"]["message"]
        assert daemon.get("/v1/status")["log"]["size"] == 14

    pause.release()
    receipts += submit(node, [late])
    assert receipts[-1]["index"] == 14
    wait_until(
        lambda: daemon.get("/v1/status")["anchoring"]["anchored_checkpoints"] == 2,
        what="checkpoint 1 anchored after the restart",
        diagnose=daemon.log_tail,
    )
    assert daemon.get(f"/v1/records/{held[0]['record_id']}")["status"] == "anchored"
    assert check_anchored_exactly_once(node, receipts) == 2
    # Held up, the node said why on one line per attempt, without tracebacks.
    assert "Traceback" not in daemon.log_path.read_text(), daemon.log_tail(60)


def in_flight(checkpoint: dict[str, Any]) -> bool:
    state = checkpoint["anchor"]
    return state is None or state["status"] != "confirmed"


def poll(predicate: Callable[[], bool], *, limit: float) -> bool:
    """Whether `predicate` came true within `limit` seconds (no failure if not)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


class Submitter(threading.Thread):
    """Posts signed records in small batches, as fast as the node answers, until stopped or
    the node goes away; keeps every receipt the node returned. Told to slow down (429), it
    waits the Retry-After seconds, as a client should."""

    def __init__(self, node: Node, agency: Agency, tag: str, rng: random.Random) -> None:
        super().__init__(daemon=True)
        self.node, self.agency, self.tag, self.rng = node, agency, tag, rng
        self.templates = read_jsonl(COLLECTION_FILE)
        self.receipts: list[dict[str, Any]] = []
        self.stopping = threading.Event()
        self.count = 0

    def run(self) -> None:
        while not self.stopping.is_set():
            batch = []
            for _ in range(self.rng.randint(1, BATCH_MAX)):
                template = self.templates[self.count % len(self.templates)]
                record = {**variant(template, f"{self.tag}-{self.count}")}
                record["case_id"] = f"C-E2E-{self.count % 5}"
                batch.append(self.agency.sign(self.node, record))
                self.count += 1
            try:
                response = self.node.daemon.post("/v1/records", {"submissions": batch})
            except requests.RequestException:
                return
            if response.status_code == 429:  # back-pressure: anchoring is behind; as told
                self.count -= len(batch)  # nothing was written: the same records again
                self.stopping.wait(float(response.headers["Retry-After"]))
                continue
            if response.status_code != 201:
                raise AssertionError(f"refused: {response.status_code} {response.text}")
            self.receipts += response.json()["receipts"]


def test_random_kills_while_anchoring_lose_nothing_and_anchor_once(
    make_node: MakeNode, tmp_path: Path
) -> None:
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    node = make_node("node", "--seal-every", "3", "--seal-after", "1")
    daemon = node.daemon
    daemon.start()
    collector = register_agency_directly(node, COLLECTION_AGENCY)
    receipts: list[dict[str, Any]] = []
    at_kill: list[dict[str, int]] = []
    for round_number in range(ROUNDS):
        if round_number:
            daemon.start()
        submitters = [
            Submitter(node, collector, f"r{round_number}s{k}", random.Random(rng.random()))
            for k in range(SUBMITTERS)
        ]
        for submitter in submitters:
            submitter.start()
        before = len(daemon.get("/v1/checkpoints"))
        # Let a few checkpoints be sealed (and anchoring start), then kill at a random moment.
        wait_until(
            lambda before=before: len(daemon.get("/v1/checkpoints")) >= before + 2,
            what="checkpoints sealed in this round",
            diagnose=daemon.log_tail,
        )
        if round_number % 2:
            # Aim at a checkpoint in flight (sealed, not confirmed), if one shows up soon.
            poll(lambda: any(in_flight(c) for c in daemon.get("/v1/checkpoints")), limit=3.0)
            threading.Event().wait(rng.uniform(0.0, 0.05))
        else:
            threading.Event().wait(rng.uniform(0.0, 0.6))
        daemon.kill9()
        for submitter in submitters:
            submitter.stopping.set()
        for submitter in submitters:
            submitter.join(60)
            assert not submitter.is_alive()
            receipts += submitter.receipts
        at_kill.append(check_receipts_in_log(node, receipts))

    daemon.start()
    wait_until(
        daemon.all_anchored,
        what=f"every checkpoint anchored after the last restart (seed {seed}, {at_kill})",
        diagnose=daemon.log_tail,
    )
    count = check_anchored_exactly_once(node, receipts)
    assert count >= 2 * ROUNDS
    assert len({r["index"] for r in receipts}) == len(receipts)
    # The ledger, for a harness run (`pytest -s`): every receipt was found at its index
    # after every kill and after the last restart, each checkpoint anchored once.
    print(
        f"\nkill -9 harness (seed {seed}): {ROUNDS} kills, {len(receipts)} acknowledged, "
        f"0 lost, 0 indices given twice, {count} checkpoints anchored exactly once"
    )
