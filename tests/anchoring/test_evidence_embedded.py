"""The same client, anchorer and evidence on the node's own chain (py-evm under Clique),
started as `evanchor chain run` and reached over its standard JSON-RPC endpoint.

Clique headers carry 97 bytes of extra-data (vanity and the sealer's signature), which web3
renames under its proof-of-authority middleware: the header is still rebuilt from standard
fields and checked against the block hash, and eth_getProof comes from the node.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import rlp
from anchoring_helpers import CODE, Chain, bind, domain_of, seal_records
from eth_account import Account

from evanchor.anchor.ethereum import client as cc
from evanchor.anchor.ethereum.anchorer import Anchorer, RetryPolicy, StepKind
from evanchor.anchor.ethereum.evidence import block_header_rlp, build_anchored_bundle
from evanchor.anchor.log.store import LogStore
from evanchor.anchor.verify.bundle import verify_bundle
from evanchor.node.chain.datadir import init_data_dir

# The node tests' helpers start the node; put their folder on sys.path for runs of this one.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "node"))
from chain_helpers import NodeProcess, make_actors, make_genesis, start_node


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    actors = make_actors()
    data_dir = tmp_path_factory.mktemp("embedded") / "node"
    init_data_dir(data_dir, make_genesis(actors, timestamp=int(time.time()) - 60), actors.sealer)
    running = start_node(data_dir)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def embedded(node: NodeProcess) -> Chain:
    actors = make_actors()
    w3 = cc.web3_for(node.url)
    admin, writer = actors.operator, actors.writer  # allowlisted and funded in the genesis
    deployment = cc.deploy_anchor(w3, admin, timeout=30)
    anchor = cc.attach(w3, deployment.address)
    cc.grant_writer(anchor, admin, writer.address, timeout=30)
    agency = Account.from_key(b"\x55" * 32)  # registered only: it never sends a transaction
    cc.register_agency(anchor, admin, agency.address, CODE, timeout=30)
    return Chain(w3, anchor, deployment.block_number, admin, writer, agency, actors.outsider)


def test_clique_headers_are_rebuilt_from_standard_fields(embedded: Chain) -> None:
    encoded, block = block_header_rlp(embedded.anchor, embedded.deployed_at)
    fields = rlp.decode(encoded)
    assert len(fields[12]) == 97  # vanity + sealer signature
    assert bytes(block["proofOfAuthorityData"]) == fields[12]


def test_anchor_and_verify_on_the_embedded_chain(embedded: Chain, tmp_path: Path) -> None:
    c = embedded
    retry = RetryPolicy(attempts=3, initial_delay=0.05)
    with LogStore(tmp_path / "log", create=True) as store:
        bind(store, c)
        for count in (2, 5):
            seal_records(store, count, signed_by=c.agency, domain=domain_of(c))
        # A crash after the first transaction was signed and persisted, before broadcast.
        assert Anchorer(store, c.anchor, c.writer, retry=retry).step().kind is StepKind.PREPARED
        restarted = Anchorer(store, c.anchor, c.writer, retry=retry, poll_interval=0.05)
        results = restarted.run_until_idle(time.monotonic() + 60)
        assert results[0].kind is StepKind.SENT
        assert results[-1].kind is StepKind.IDLE
        assert [r.kind for r in results].count(StepKind.CONFIRMED) == 2
        assert cc.checkpoint_count(c.anchor, c.writer.address) == 2
        for index in (0, 3, 7):  # leaves 2 and 8 are the checkpoints' seal leaves
            bundle = build_anchored_bundle(store, c.anchor, index).as_json()
            offline = verify_bundle(bundle)
            assert offline.ok, offline.as_json()
            online = verify_bundle(bundle, w3=c.w3)
            assert online.ok, online.as_json()
            assert online.assurance == "anchored+signed+registered"
            signature = next(s for s in online.steps if s.name == "signature")
            assert signature.detail.endswith(
                f"registered as agency {CODE} at block {bundle['anchor']['block_number']}"
            )


def test_checkpoints_sent_ahead_on_the_embedded_chain_all_verify(
    embedded: Chain, tmp_path: Path
) -> None:
    """Pipelined anchoring on the node's own chain: every sealed checkpoint is anchored with
    its own (size, root), and a bundle of a record of each verifies offline."""
    # A contract of its own: the module's chain already holds the other test's log.
    deployment = cc.deploy_anchor(embedded.w3, embedded.admin, timeout=30)
    anchor = cc.attach(embedded.w3, deployment.address)
    cc.grant_writer(anchor, embedded.admin, embedded.writer.address, timeout=30)
    cc.register_agency(anchor, embedded.admin, embedded.agency.address, CODE, timeout=30)
    c = dataclasses.replace(embedded, anchor=anchor, deployed_at=deployment.block_number)
    retry = RetryPolicy(attempts=3, initial_delay=0.05)
    with LogStore(tmp_path / "log", create=True) as store:
        bind(store, c)
        for count in (1, 2, 3, 1, 2, 3, 1, 2):
            seal_records(store, count, signed_by=c.agency, domain=domain_of(c))
        a = Anchorer(store, c.anchor, c.writer, retry=retry, poll_interval=0.05, max_in_flight=16)
        assert [a.step().kind, a.step().kind] == [StepKind.PREPARED, StepKind.SENT]
        assert all(
            (store.anchor_state(seq) or {}).get("status") in ("sent", "confirmed")
            for seq in range(store.checkpoint_count)
        )
        results = a.run_until_idle(time.monotonic() + 60)
        assert results[-1].kind is StepKind.IDLE
        assert cc.checkpoint_count(c.anchor, c.writer.address) == store.checkpoint_count
        for checkpoint in store.checkpoints():
            stored = cc.checkpoint_at(c.anchor, c.writer.address, checkpoint.seq)
            assert (stored.size, stored.root) == (checkpoint.size, checkpoint.root)
            index = 0 if checkpoint.seq == 0 else store.checkpoint(checkpoint.seq - 1).size
            bundle = build_anchored_bundle(store, c.anchor, index).as_json()
            assert bundle["anchor"]["checkpoint_index"] == checkpoint.seq
            report = verify_bundle(bundle)
            assert report.ok, report.as_json()
