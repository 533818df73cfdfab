"""The main job end to end, through the real commands and the HTTP API of a running node.

One flow, run on the embedded chain and on anvil (`evanchor init --rpc`): init, node start,
two agencies (`agency new`, `agency grant` with the credit codes of the example files),
signed submissions from the command line, checkpoints sealed by policy and anchored, the
chain read back, then signed submissions over HTTP with their status going accepted ->
sealed -> anchored, and every kind of refusal with a 4xx naming the field.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from e2e_helpers import (
    AUCTION_FILE,
    AUCTION_HOUSE,
    CHAINS,
    COLLECTION_AGENCY,
    COLLECTION_FILE,
    Agency,
    MakeNode,
    Node,
    chain_checkpoints,
    new_agency,
    node_factory,
    read_jsonl,
    variant,
    wait_until,
)
from eth_account import Account

from evanchor.anchor.ethereum import client as cc
from evanchor.anchor.log.submission import sign_record
from evanchor.node.daemon.api import MAX_REQUEST_BYTES

STATUS_ORDER = ["accepted", "sealed", "anchored"]


@pytest.fixture(params=CHAINS)
def make_node(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MakeNode]:
    with node_factory(request.param, tmp_path) as make:
        yield make


def refusal(node: Node, body: Any) -> tuple[int, dict[str, Any]]:
    response = node.daemon.post("/v1/records", body)
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    error: dict[str, Any] = response.json()["error"]
    return response.status_code, error


def submit_file(node: Node, agency: Agency, path: Path) -> list[dict[str, Any]]:
    out = node.cli.json(
        "submit",
        path,
        "--key",
        agency.keystore,
        "--key-password-file",
        agency.password_file,
        "--json",
    )
    receipts: list[dict[str, Any]] = out["receipts"]
    return receipts


def test_agencies_submit_and_records_get_anchored(make_node: MakeNode, tmp_path: Path) -> None:
    node = make_node("node", "--seal-every", "5", "--seal-after", "600")
    daemon = node.daemon
    daemon.start()
    collector = new_agency(node, tmp_path, "collector", COLLECTION_AGENCY)
    auctioneer = new_agency(node, tmp_path, "auctioneer", AUCTION_HOUSE)

    # -- the command line: each file is one request, so each seals one checkpoint --------
    receipts = submit_file(node, collector, COLLECTION_FILE)
    receipts += submit_file(node, auctioneer, AUCTION_FILE)
    # The first file's checkpoint ends with its seal leaf, leaf 7.
    assert [r["index"] for r in receipts] == [*range(7), *range(8, 17)]
    assert not any(r["duplicate"] for r in receipts)
    wait_until(
        lambda: daemon.all_anchored(18), what="16 records anchored", diagnose=daemon.log_tail
    )
    checkpoints = daemon.get("/v1/checkpoints")
    assert [c["size"] for c in checkpoints] == [8, 18]  # each ends with its seal leaf
    anchor = node.contract()
    writer = node.chain.writer
    assert chain_checkpoints(anchor, writer) == [
        (c["size"], bytes.fromhex(c["root"])) for c in checkpoints
    ]
    events = cc.anchor_events(anchor, writer=writer, from_block=node.chain.deploy_block)
    assert [e.tx_hash.hex() for e in events] == [c["anchor"]["tx_hash"] for c in checkpoints]
    for checkpoint in checkpoints:
        assert checkpoint["anchor"]["status"] == "confirmed"
        assert checkpoint["anchor"]["checkpoint_index"] == checkpoint["seq"]

    status = node.cli.json("node", "status", "--json")
    assert status["running"] is True
    assert status["anchoring"]["anchored_checkpoints"] == 2
    assert status["anchoring"]["pending_checkpoints"] == []
    delay = status["anchoring"]["anchor_delay_seconds"]
    assert delay["count"] == 16
    assert isinstance(delay["count"], int)
    assert 0 < delay["p50"] <= delay["p99"] <= delay["max"]

    # -- the HTTP API -------------------------------------------------------------------
    collection = read_jsonl(COLLECTION_FILE)
    auction = read_jsonl(AUCTION_FILE)
    first = collector.sign(node, variant(collection[0], "http-0"))
    response = daemon.post("/v1/records", first)
    assert response.status_code == 201, response.text
    receipt = response.json()["receipts"][0]
    assert receipt["index"] == 18
    record_id = receipt["record_id"]
    # One record is below the policy's 5: it stays accepted, not sealed.
    record = daemon.get(f"/v1/records/{record_id}")
    assert record["status"] == "accepted"
    assert record["checkpoint"] is None
    assert record["leaf_hash"] == receipt["leaf_hash"]
    duplicate = daemon.post("/v1/records", first)
    assert duplicate.status_code == 200
    assert duplicate.json()["receipts"][0] == {**receipt, "duplicate": True}

    batch = [
        collector.sign(node, variant(collection[1], "http-1")),
        auctioneer.sign(node, variant(auction[0], "http-2")),
        collector.sign(node, variant(collection[2], "http-3")),
        auctioneer.sign(node, variant(auction[1], "http-4")),
    ]
    response = daemon.post("/v1/records", {"submissions": batch})
    assert response.status_code == 201, response.text
    assert [r["index"] for r in response.json()["receipts"]] == [19, 20, 21, 22]

    seen: list[str] = []

    def anchored() -> bool:
        state = daemon.get(f"/v1/records/{record_id[:16]}")["status"]
        if not seen or seen[-1] != state:
            seen.append(state)
        return state == "anchored"

    wait_until(anchored, what="the HTTP record anchored", diagnose=daemon.log_tail)
    assert seen == sorted(seen, key=STATUS_ORDER.index), seen
    record = daemon.get(f"/v1/records/{record_id}")
    assert record["checkpoint"]["size"] == 24
    assert record["anchor"]["status"] == "confirmed"
    on_chain = cc.checkpoint_at(anchor, writer, record["anchor"]["checkpoint_index"])
    assert (on_chain.size, on_chain.root.hex()) == (24, record["checkpoint"]["root"])
    assert on_chain.block_number == record["anchor"]["block_number"]

    # -- refusals: 4xx naming the field; a refused batch writes nothing -----------------
    wrong_kind = collector.sign(node, variant(auction[2], "wrong-agency"))
    assert refusal(node, wrong_kind)[1]["field"] == "record.agency"

    forged = collector.sign(node, variant(collection[3], "forged"))
    signature = bytearray.fromhex(forged["signature"])
    signature[10] ^= 0x01
    status_code, error = refusal(node, {**forged, "signature": signature.hex()})
    assert (status_code, error["field"]) == (400, "signature")

    tampered = {**forged, "record": {**forged["record"], "operator_id": "op-9999"}}
    status_code, error = refusal(node, tampered)
    assert (status_code, error["field"]) == (400, "signature")

    # Records that break the schema (an agency's own signing refuses them, so the
    # envelope carries another record's signature: the schema is checked first).
    bad_schema = {**forged, "record": {**forged["record"], "event": "nonsense"}}
    status_code, error = refusal(node, bad_schema)
    assert (status_code, error["field"]) == (400, "record.event")
    missing = {k: v for k, v in forged["record"].items() if k != "occurred_at"}
    status_code, error = refusal(node, {**forged, "record": missing})
    assert (status_code, error["field"]) == (400, "record.occurred_at")

    unsigned = variant(collection[3], "unsigned")
    assert refusal(node, unsigned)[1]["field"] == "signature"

    good = collector.sign(node, variant(collection[4], "good-but-in-a-bad-batch"))
    status_code, error = refusal(node, {"submissions": [good, bad_schema]})
    assert (status_code, error["field"], error["item"]) == (400, "record.event", 1)

    oversize = requests.post(
        f"{daemon.api_url}/v1/records",
        data=b" " * (MAX_REQUEST_BYTES + 1),
        headers={"Content-Type": "application/json"},
        timeout=60,
    )
    assert oversize.status_code == 413
    assert "larger than" in oversize.json()["error"]["message"]

    # A revoked agency is refused. The node follows revocations when it refreshes its
    # registry; an unknown signer makes it refresh at once, so the stranger goes first.
    node.cli.run("agency", "revoke", auctioneer.address)
    stranger = Account.create().key
    unregistered = sign_record(
        variant(collection[4], "stranger"), bytes(stranger), node.domain().separator
    )
    status_code, error = refusal(node, unregistered)
    assert (status_code, error["field"]) == (400, "signature")
    assert "not a registered agency" in error["message"]
    status_code, error = refusal(node, auctioneer.sign(node, variant(auction[3], "revoked")))
    assert (status_code, error["field"]) == (400, "signature")
    assert auctioneer.address in error["message"]
    assert (
        f"was the key of agency {AUCTION_HOUSE} until its registration was revoked in block"
        in (error["message"])
    )
    listed = node.cli.json("agency", "list", "--json")
    assert listed["registered"] == {collector.address: COLLECTION_AGENCY}
    assert [(e["agency"], e["event"]) for e in listed["history"]] == [
        (collector.address, "registered"),
        (auctioneer.address, "registered"),
        (auctioneer.address, "revoked"),
    ]

    unknown = requests.get(f"{daemon.api_url}/v1/records/{'ab' * 32}", timeout=30)
    assert unknown.status_code == 404
    assert daemon.get("/v1/status")["log"]["size"] == 24
    assert daemon.get("/v1/status")["log"]["records"] == 21

    # -- operability: metrics, and one log line per seal and anchor ---------------------
    metrics = requests.get(f"{daemon.api_url}/metrics", timeout=30)
    assert metrics.headers["Content-Type"].startswith("text/plain")
    figures = dict(
        line.rsplit(" ", 1) for line in metrics.text.splitlines() if line and line[0] != "#"
    )
    assert float(figures["evanchor_log_size_records"]) == 21
    assert float(figures["evanchor_anchor_backlog_checkpoints"]) == 0
    assert float(figures["evanchor_checkpoints_anchored_total"]) >= 1
    assert float(figures["evanchor_anchor_delay_seconds_count"]) >= 1
    assert float(figures["evanchor_records_accepted_total"]) >= 1

    # -- a clean stop; the folder answers for the stopped node --------------------------
    daemon.stop()
    logged = daemon.log_path.read_text()
    assert "INFO    evanchor.node.daemon.run: sealed checkpoint 0 at size" in logged
    assert "INFO    evanchor.node.daemon.compose: anchored checkpoint 0" in logged
    assert "event=confirmed seq=0 tx_hash=0x" in logged
    text = node.cli.run("node", "status").stdout
    assert "node stopped" in text
    assert "log: 21 records, 3 checkpoints" in text
    assert "checkpoints waiting to be anchored: 0" in text
    assert "anchor delay (accepted -> anchored)" in text
    assert "over 21 records" in text
