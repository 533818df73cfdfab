"""Proof bundles of anchored records, end to end: from the running node's API and from
`evanchor prove` (through the running node, then from the stopped node's folder), checked by
`evanchor verify` offline, against the chain (`--rpc`), against a re-executed export of the
embedded chain (`--chain-export`) or a trusted block hash (`--block-hash`), and by
`POST /v1/verify`, where tampered bundles fail at the step that names the change (the
verifier's own tests hold every step; these only show the node's bundles go through it).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from e2e_helpers import (
    CHAINS,
    COLLECTION_AGENCY,
    COLLECTION_FILE,
    MakeNode,
    Node,
    node_factory,
    read_jsonl,
    register_agency_directly,
    variant,
    wait_until,
)

from evanchor.anchor.ethereum import client as cc

CASE = "collection/C-2026-000117"


@pytest.fixture(params=CHAINS)
def make_node(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MakeNode]:
    with node_factory(request.param, tmp_path) as make:
        yield make


def verify_cli(node: Node, path: Path, *options: str) -> tuple[int, dict[str, Any]]:
    """`evanchor verify PATH --json [options]`: exit status and report."""
    done = node.cli.run("verify", path, "--json", *options, ok=False)
    assert done.returncode in (0, 1), done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return done.returncode, report


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {step["step"]: step["status"] for step in report["steps"]}


def failed_step(node: Node, bundle: dict[str, Any]) -> str | None:
    """The step `POST /v1/verify` fails the bundle at (None if it verifies)."""
    report = node.daemon.post("/v1/verify", bundle).json()
    failed = [step["step"] for step in report["steps"] if step["status"] == "failed"]
    assert report["valid"] is not failed, report
    return failed[0] if failed else None


def test_anchored_bundles_verify_offline_and_against_the_chain(
    make_node: MakeNode, tmp_path: Path
) -> None:
    node = make_node("node", "--seal-every", "5", "--seal-after", "600")
    daemon = node.daemon
    daemon.start()
    collector = register_agency_directly(node, COLLECTION_AGENCY)
    records = read_jsonl(COLLECTION_FILE)
    response = daemon.post(
        "/v1/records", {"submissions": [collector.sign(node, r) for r in records]}
    )
    assert response.status_code == 201, response.text
    receipts = response.json()["receipts"]
    wait_until(lambda: daemon.all_anchored(8), what="checkpoint 0 anchored")  # 7 + seal leaf
    checkpoint = daemon.get("/v1/checkpoints")[0]
    record_id = receipts[3]["record_id"]

    # -- the API's bundle: anchor evidence, the log's identity, the agency's signature ------
    bundle = daemon.get(f"/v1/records/{record_id}/bundle")
    assert bundle["leaf_index"] == 3
    assert bundle["checkpoint"] == {k: checkpoint[k] for k in ("seq", "size", "root", "sealed_at")}
    chain = node.chain
    assert {k: bundle["log"][k] for k in ("chain_id", "contract", "writer")} == {
        "chain_id": chain.chain_id,
        "contract": chain.contract,
        "writer": chain.writer,
    }
    genesis = cc.block_info(cc.web3_for(chain.rpc_url), 0).hash.hex()
    assert (
        bundle["log"]["genesis_hash"]
        == genesis
        == bundle["seal"]["leaf"]["anchored_to"]["genesis_hash"]
    )
    anchor = bundle["anchor"]
    assert anchor["tx_hash"] == checkpoint["anchor"]["tx_hash"]
    assert anchor["block_number"] == checkpoint["anchor"]["block_number"]
    assert anchor["checkpoint_index"] == 0
    assert bundle["signature"]["signer"] == collector.address

    # -- `evanchor prove` while the node runs goes through its API: the same bundle -----------
    path = tmp_path / "bundle.json"
    node.cli.run("prove", record_id[:12], "-o", path)
    assert json.loads(path.read_text()) == bundle

    code, report = verify_cli(node, path)
    assert (code, report["outcome"], report["assurance"]) == (0, "VERIFIED", "log-only"), report
    assert set(statuses(report).values()) == {"ok"}
    assert "--block-hash it would be tied to the chain" in report["summary"]
    code, report = verify_cli(node, path, "--rpc", chain.rpc_url)
    assert (code, report["outcome"]) == (0, "VERIFIED"), report
    assert report["assurance"] == "anchored+signed+registered"
    assert set(statuses(report).values()) == {"ok"}
    assert f"registered in that contract as agency {COLLECTION_AGENCY}" in report["summary"]
    assert "held the writer role" in report["summary"]

    # -- tampering, through POST /v1/verify and once through the command ----------------------
    assert failed_step(node, bundle) is None
    changed = copy.deepcopy(bundle)
    changed["record"]["operator_id"] = "op-9999"
    assert failed_step(node, changed) == "commitment"
    changed = copy.deepcopy(bundle)
    changed["inclusion_proof"][0] = "00" * 32
    assert failed_step(node, changed) == "inclusion"
    changed = copy.deepcopy(bundle)
    changed["checkpoint"]["root"] = "11" * 32
    assert failed_step(node, changed) == "inclusion"
    changed = copy.deepcopy(bundle)
    changed["anchor"]["block_hash"] = "22" * 32
    assert failed_step(node, changed) == "anchor"
    changed = copy.deepcopy(bundle)
    changed["anchor"]["storage_proofs"][1]["value"] = "33" * 32
    assert failed_step(node, changed) == "anchor"
    changed = copy.deepcopy(bundle)
    changed["leaf"]["accepted_at"] = "2020-01-01T00:00:00.000Z"
    assert failed_step(node, changed) == "leaf"

    # -- the case: every record, linked, against the anchored checkpoint ----------------------
    case_path = tmp_path / "case.json"
    node.cli.run("case", "prove", CASE, "-o", case_path)
    case_bundle = json.loads(case_path.read_text())
    assert case_bundle == daemon.get(f"/v1/cases/{CASE}/bundle")
    assert [b["leaf_index"] for b in case_bundle["records"]] == list(range(7))
    report = daemon.post("/v1/verify", case_bundle).json()
    assert (report["outcome"], report["valid"]) == ("VERIFIED", True), report
    assert (
        "none of the records the node committed to for the case there is missing"
        in report["summary"]
    )
    tail = {**case_bundle, "records": case_bundle["records"][:-1]}
    assert daemon.post("/v1/verify", tail).json()["steps"][-1] == {
        "step": "completeness",
        "status": "failed",
        "detail": "6 record(s) shown, the case index commits to 7",
    }
    dropped = {**case_bundle, "records": case_bundle["records"][:3] + case_bundle["records"][4:]}
    assert daemon.post("/v1/verify", dropped).json()["valid"] is False

    # A record not yet sealed has no bundle (409), and no case bundle includes it.
    late = collector.sign(node, variant(records[0], "late"))
    late_id = daemon.post("/v1/records", late).json()["receipts"][0]["record_id"]
    unanchored = requests.get(f"{daemon.api_url}/v1/records/{late_id}/bundle", timeout=30)
    assert unanchored.status_code == 409
    assert "not anchored" in unanchored.json()["error"]["message"]
    assert len(daemon.get(f"/v1/cases/{CASE}/bundle")["records"]) == 7

    # -- the node stopped: `prove` reads the folder; the evidence was kept with the log -------
    daemon.stop()
    offline = tmp_path / "offline.json"
    node.cli.run("prove", record_id, "-o", offline)
    assert json.loads(offline.read_text()) == bundle
    if node.proxy is None and chain.mode == "embedded":
        # A court's route without trusting the operator's endpoint: re-execute the chain's
        # export from its genesis and check the anchor against that.
        export = tmp_path / "chain.rlp"
        node.cli.run("chain", "export", export)
        genesis = node.home.chain_path / "genesis.json"
        code, report = verify_cli(
            node, offline, "--chain-export", str(export), "--genesis", str(genesis)
        )
    else:
        # anvil still runs: a block hash read from it is the trusted one.
        block = cc.block_info(cc.web3_for(chain.rpc_url), anchor["block_number"])
        code, report = verify_cli(node, offline, "--block-hash", block.hash.hex())
    assert (code, report["valid"]) == (0, True), report
    assert set(statuses(report).values()) == {"ok"}
