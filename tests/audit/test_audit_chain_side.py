"""The chain side: an anchored root that is not the log's, and records signed by agencies
the registry did not hold when their checkpoint was anchored."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest
from audit_helpers import (
    AUCTIONEER_CODE,
    COLLECTOR_CODE,
    Built,
    anchored_copy,
    audit_json,
    leveldb,
    named,
    ok,
    u64,
)

from evanchor.anchor.ethereum import client as cc
from evanchor.anchor.ethereum.audit import RoleChange, authorised_before, read_chain
from evanchor.anchor.log.ingest import prepare_record
from evanchor.anchor.log.store import LogStore
from evanchor.anchor.protocol import merkle
from evanchor.anchor.protocol.signing import SigningDomain, sign_commitment
from evanchor.node.chain.keys import generate_key, load_key
from evanchor.node.daemon.chain_access import chain_endpoint
from evanchor.node.daemon.compose import node_account
from evanchor.node.daemon.home import NodeHome
from evanchor.node.daemon.passwords import password_from_file


@pytest.fixture
def built(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Built:
    return anchored_copy(tmp_path_factory, tmp_path)


def test_an_anchored_root_that_is_not_the_logs_is_named(built: Built) -> None:
    """The node's own key anchors a forged third checkpoint: it extends the anchored second
    one (so the contract takes it), but with leaves this log does not hold."""
    home = NodeHome(built.home)
    _, second, third = built.sizes
    with home.open_log() as store:
        real = [store.leaf_hash(index) for index in range(second)]
    forged_leaves = real + [os.urandom(32) for _ in range(third - second)]
    forged_root = merkle.root_hash(forged_leaves)
    proof = merkle.consistency_proof(forged_leaves, second)
    chain = home.config().chain
    assert chain is not None
    with chain_endpoint(home) as url:
        anchor = cc.attach(cc.web3_for(url), chain.contract)
        admin = node_account(home, password_from_file(home.generated_password))
        sent = cc.send_anchor(
            anchor,
            admin,
            third,
            forged_root,
            proof,
        )
        receipt = cc.wait_for_receipt(anchor.w3, sent.tx_hash, timeout=30)
    assert receipt.status == 1

    code, report = audit_json(built.home)
    assert code == 1
    assert named(report) == {
        "anchored root mismatch": [f"anchored checkpoint 2 (block {receipt.block_number})"]
    }
    assert forged_root.hex() in report["discrepancies"][0]["detail"]
    assert report["counts"]["anchors on chain"] == 3


def _append_signed(
    home: Path, record: dict[str, object], key: bytes | None, signature: bytes | None = None
) -> int:
    """Append `record` directly to the log (no node, no registry check); its leaf index.

    With neither `key` nor `signature`, the record is appended with a placeholder signature
    that is then deleted in LevelDB: the store itself refuses unsigned records once bound.
    """
    node = NodeHome(home)
    chain = node.config().chain
    assert chain is not None
    prepared = prepare_record(record)
    if key is not None:
        separator = SigningDomain(chain.chain_id, chain.contract).separator
        signature = sign_commitment(key, separator, prepared.commitment)
    with LogStore(node.log_path) as store:
        (receipt,) = store.append([replace(prepared, signature=signature or bytes(65))])
    if signature is None:
        with leveldb(node.log_path) as db:
            db.delete(b"g:" + u64(receipt.index))
    return receipt.index


def _record(agency: str, n: int) -> dict[str, object]:
    return {
        "kind": "collection_checkpoint",
        "case_id": f"C-2026-0009{n:02d}",
        "agency": agency,
        "debtor_ref": "dbt:77aa01c3e9",
        "event": "visit",
        "occurred_at": "2026-11-21T14:00:00+08:00",
        "channel": "in_person",
        "operator_id": f"op-77{n:02d}",
    }


def test_signatures_the_registry_did_not_hold_are_named(built: Built) -> None:
    home = built.home
    ok(home, "agency", "revoke", built.auctioneer.address)
    auctioneer = load_key(built.auctioneer.keystore, built.password).to_bytes()
    collector = load_key(built.collector.keystore, built.password).to_bytes()

    never = _append_signed(home, _record(COLLECTOR_CODE, 1), generate_key().to_bytes())
    revoked = _append_signed(home, _record(AUCTIONEER_CODE, 2), auctioneer)
    other = _append_signed(home, _record(AUCTIONEER_CODE, 3), collector)
    unsigned = _append_signed(home, _record(COLLECTOR_CODE, 4), None)
    malformed = _append_signed(home, _record(COLLECTOR_CODE, 5), None, signature=bytes(65))

    code, report = audit_json(home)
    assert code == 1
    assert named(report) == {
        "agency not registered": [f"leaf {never}", f"leaf {revoked}"],
        "agency mismatch": [f"leaf {other}"],
        "signature missing": [f"leaf {unsigned}"],
        "signature invalid": [f"leaf {malformed}"],
    }
    details = {d["where"]: d["detail"] for d in report["discrepancies"]}
    assert "it was never registered" in details[f"leaf {never}"]
    assert "not anchored yet" in details[f"leaf {revoked}"]
    assert "revoked in block" in details[f"leaf {revoked}"]
    assert f"registered for agency {COLLECTOR_CODE}" in details[f"leaf {other}"]
    # Every signature was checked; the auction house's records anchored before its
    # revocation (leaves 7-15) are not among the discrepancies above.
    assert report["counts"]["signatures checked"] == built.sizes[2] - 3 + 5  # 3 seal leaves


def test_the_writers_role_history_decides_whether_it_was_authorised(built: Built) -> None:
    """The contract refuses anchors from a writer without the role, so a real chain cannot
    show one; the audit's reading of the role history is checked on the real one instead."""
    home = NodeHome(built.home)
    chain = home.config().chain
    assert chain is not None
    with chain_endpoint(home) as url:
        view = read_chain(cc.web3_for(url), chain.identity, deploy_block=chain.deploy_block)
    (grant,) = view.writer_roles
    assert grant.granted
    assert grant.block_number == chain.deploy_block + 1  # provisioning grants after deploying
    assert [authorised_before(view.writer_roles, event) for event in view.events] == [True, True]

    first = view.events[0]
    revoked_before = RoleChange(False, first.block_number, first.log_index - 1)
    assert not authorised_before([grant, revoked_before], first)
    revoked_after = RoleChange(False, first.block_number, first.log_index + 1)
    assert authorised_before([grant, revoked_after], first)
    granted_in_the_same_block_after = RoleChange(True, first.block_number, first.log_index + 1)
    assert not authorised_before([granted_in_the_same_block_after], first)
