"""The embedded chain is re-executed from its genesis file: a tampered chain database or
genesis file stops the replay at a named block, and the rest of the audit reads only the
blocks replayed before it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import rlp
from audit_helpers import Built, anchored_copy, audit_json, leveldb, named, u64
from eth.vm.forks.london.blocks import LondonBlockHeader

from evanchor.node.daemon.home import NodeHome


@pytest.fixture
def built(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Built:
    return anchored_copy(tmp_path_factory, tmp_path)


def _anchoring_block(built: Built, seq: int) -> int:
    with leveldb(built.home / "log") as db:
        block: int = json.loads(db.get(b"a:" + u64(seq)))["block_number"]
        return block


def test_a_rewritten_block_header_in_the_chain_database_is_named(built: Built) -> None:
    """A state root changed in a stored header (as a rogue operator might, to hide a state)."""
    number = _anchoring_block(built, 0)
    with leveldb(NodeHome(built.home).chain_path / "chaindata") as db:
        block_hash = rlp.decode(db.get(f"block-number-to-hash:{number}".encode()))
        header = rlp.decode(db.get(block_hash), sedes=LondonBlockHeader)
        db.put(block_hash, rlp.encode(header.copy(state_root=b"\x5a" * 32)))

    code, report = audit_json(built.home)
    assert code == 1
    first = report["discrepancies"][0]
    assert (first["kind"], first["where"]) == ("chain replay mismatch", f"block {number}")
    assert report["chain"]["replayed_to_block"] == number - 1
    assert report["chain"]["replay_verdict"].startswith(f"stopped: block {number}: ")
    # The replayed chain ends before either anchor: the node's receipts are not on it.
    assert named(report)["anchor receipt not on chain"] == ["checkpoint 0", "checkpoint 1"]
    assert report["counts"]["anchors on chain"] == 0


def test_a_genesis_file_with_another_allowlist_is_named(built: Built) -> None:
    """The genesis file is the replay's root of trust: with the node's account taken off
    the allowlist, the block that deployed the contract no longer replays."""
    genesis_file = NodeHome(built.home).chain_path / "genesis.json"
    genesis = json.loads(genesis_file.read_text())
    genesis["allowlist"] = ["0x" + "11" * 20]
    genesis_file.write_text(json.dumps(genesis))

    code, report = audit_json(built.home)
    assert code == 1
    found = named(report)
    assert report["discrepancies"][0]["kind"] == "chain replay mismatch"
    assert found["chain replay mismatch"] == ["block 1"]
    assert "sender" in report["discrepancies"][0]["detail"]
    assert found["contract code mismatch"] == [f"contract {report['log']['contract']}"]
