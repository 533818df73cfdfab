"""Witnesses end to end: three `evanchor witness serve` processes and a node.

One witness down (sealing and anchoring go on, the policy is unmet until it is back), a
witness killed with -9 keeps its state, one witness fed a fork of the log refuses it with
422 and the node reports the split view; the cosigned checkpoint the node serves verifies
against the log key and the witness keys; a proof bundle carries the cosignatures kept, and
`evanchor verify` with the witnesses' keys passes a policy it meets and fails one it does
not, naming the missing witness.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import requests
from e2e_helpers import (
    COLLECTION_AGENCY,
    COLLECTION_FILE,
    Node,
    init_node,
    read_jsonl,
    register_agency_directly,
    variant,
    wait_until,
)
from witness_daemons import WitnessDaemon

from evanchor.anchor.log.ingest import prepare_record
from evanchor.anchor.log.store import LogStore
from evanchor.anchor.protocol.note import parse_verifier_key
from evanchor.anchor.protocol.tlog_checkpoint import anchored_log_origin
from evanchor.anchor.verify.witnessed import verify_witnessed_checkpoint
from evanchor.anchor.witness.state import origin_hash
from evanchor.node.daemon.witnessing import StepKind, WitnessClient, seal_and_sign

pytestmark = pytest.mark.slow
COSIGNED_ZH = "见证人联署\uff1a"
"""The label of a witness's cosignature in the Chinese summary, and its colon."""


@pytest.fixture
def cleanup() -> Iterator[list[Any]]:
    parts: list[Any] = []
    yield parts
    for part in parts:
        part.cleanup()


def _node_with_witnesses(
    tmp_path: Path, cleanup: list[Any], quorum: int
) -> tuple[Node, list[WitnessDaemon]]:
    node = init_node(tmp_path, "node", "--seal-every", "5", "--seal-after", "600")
    cleanup.append(node.daemon)
    log_key = node.cli.run("log", "key").stdout.strip()
    witnesses = []
    for i in (1, 2, 3):
        witness = WitnessDaemon(tmp_path, f"court{i}.example/witness", [log_key])
        cleanup.append(witness)
        node.cli.run("log", "witness", "add", witness.vkey, "--url", witness.url)
        witnesses.append(witness)
    node.cli.run("log", "witness", "policy", str(quorum), "--retry-max", "1")
    return node, witnesses


def _submit(node: Node, agency: Any, tag: str) -> list[str]:
    """Five records; their record ids."""
    records = [variant(r, tag) for r in read_jsonl(COLLECTION_FILE)[:5]]
    response = node.daemon.post(
        "/v1/records", {"submissions": [agency.sign(node, r) for r in records]}
    )
    assert response.status_code == 201, response.text
    return [receipt["record_id"] for receipt in response.json()["receipts"]]


def _prove_and_verify(
    node: Node, record_id: str, path: Path, witnesses: list[WitnessDaemon], *options: str
) -> subprocess.CompletedProcess[str]:
    """`evanchor prove` then `evanchor verify` with the log's key and the witnesses' keys."""
    node.cli.run("prove", record_id, "-o", path)
    keys = [item for w in witnesses for item in ("--witness-key", w.vkey)]
    log_key = node.cli.run("log", "key").stdout.strip()
    return node.cli.run("verify", path, "--log-key", log_key, *keys, *options, ok=False)


def _witnessing(node: Node) -> dict[str, Any]:
    status: dict[str, Any] = node.daemon.get("/v1/status")["witnessing"]
    return status


def _cosigned_by(node: Node, seq: int) -> set[str]:
    latest = _witnessing(node)["latest"]
    return set() if latest is None or latest["seq"] != seq else set(latest["cosigned_by"])


def test_a_witness_down_then_back_and_one_killed_keeps_its_state(
    tmp_path: Path, cleanup: list[Any]
) -> None:
    node, (w1, w2, w3) = _node_with_witnesses(tmp_path, cleanup, quorum=3)
    w1.start()
    w2.start()  # w3 stays down
    node.daemon.start()
    agency = register_agency_directly(node, COLLECTION_AGENCY)

    record_ids = _submit(node, agency, "first")
    wait_until(
        lambda: node.daemon.all_anchored(6),
        what="checkpoint 0 anchored",
        diagnose=node.daemon.log_tail,
    )
    wait_until(lambda: _cosigned_by(node, 0) == {w1.name, w2.name}, what="two cosignatures")

    # A bundle proven now carries two cosignatures: a policy of 3 is unmet (exit 1, the
    # missing witness named), a policy of 2 is met and names both witnesses with their times.
    bundle = tmp_path / "two-cosignatures.json"
    unmet = _prove_and_verify(node, record_ids[0], bundle, [w1, w2, w3])
    assert unmet.returncode == 1, unmet.stdout
    (failed,) = [line for line in unmet.stdout.splitlines() if line.startswith("  [FAIL]")]
    assert failed.startswith(
        "  [FAIL] checkpoint note: witness policy: 3 of 3 trusted witnesses required, cosigned by"
    ), failed
    assert failed.endswith(f"; no cosignature from {w3.name}"), failed
    met = _prove_and_verify(node, record_ids[0], bundle, [w1, w2, w3], "--witness-policy", "2")
    assert met.returncode == 0, met.stdout
    assert "policy 2 of 3 met" in met.stdout
    for witness in (w1, w2):
        assert f"{COSIGNED_ZH}{witness.name}" in met.stdout
    assert f"{COSIGNED_ZH}{w3.name}" not in met.stdout
    witnessing = _witnessing(node)
    assert witnessing["policy_met"] is False
    down = next(w for w in witnessing["witnesses"] if w["name"] == w3.name)
    assert down["unreachable_since"] is not None
    assert witnessing["refusals"] == []
    printed = node.cli.run("node", "status").stdout
    assert "policy 3 of 3 NOT MET" in printed
    assert f"witness {w3.name} unreachable" in printed

    w3.start()
    wait_until(lambda: _witnessing(node)["policy_met"], what="the third witness to catch up")
    assert _witnessing(node)["witnesses"][2]["unreachable_since"] is None
    all_three = _prove_and_verify(node, record_ids[0], bundle, [w1, w2, w3], "--lang", "en")
    assert all_three.returncode == 0, all_three.stdout
    assert "policy 3 of 3 met" in all_three.stdout
    for witness in (w1, w2, w3):
        assert f"Witness cosignature: {witness.name}" in all_three.stdout
    assert "Existed no later than (witnessed)" in all_three.stdout
    # With --home and no keys, the node folder's log key, witnesses and quorum are used.
    from_home = node.cli.run("verify", bundle, ok=False)
    assert from_home.returncode == 0, from_home.stdout
    assert "policy 3 of 3 met" in from_home.stdout

    # What a court checks: the served note, against the keys and the policy.
    note = requests.get(f"{node.daemon.api_url}/v1/checkpoint", timeout=10).content
    chain = node.chain
    checkpoint = node.daemon.get("/v1/checkpoints")[0]
    result = verify_witnessed_checkpoint(
        note,
        log_keys=[parse_verifier_key(node.cli.run("log", "key").stdout)],
        witness_keys=[parse_verifier_key(w.vkey) for w in (w1, w2, w3)],
        quorum=3,
        origin=anchored_log_origin(chain.chain_id, chain.contract, chain.writer),
        size=6,
        root=bytes.fromhex(checkpoint["root"]),
    )
    assert {c.witness for c in result.cosignatures} == {w1.name, w2.name, w3.name}
    assert result.witnessed_at == max(c.timestamp for c in result.cosignatures)
    assert requests.get(f"{node.daemon.api_url}/v1/checkpoint/6", timeout=10).content == note
    assert requests.get(f"{node.daemon.api_url}/v1/checkpoint/5", timeout=10).status_code == 404

    # kill -9 and restart: the witness still holds size 6 and serves it.
    w1.kill9()
    assert w1.status()["logs"][0]["latest"]["size"] == 6
    w1.start()
    origin = result.checkpoint.origin
    served = requests.get(f"{w1.url}/{origin_hash(origin).hex()}/checkpoint", timeout=10)
    assert served.status_code == 200
    assert served.text.startswith(f"{origin}\n6\n")
    stale = b"old 0\n\n" + note
    conflict = requests.post(f"{w1.url}/add-checkpoint", data=stale, timeout=10)
    assert (conflict.status_code, conflict.text) == (409, "6\n")
    assert conflict.headers["Content-Type"].startswith("text/x.tlog.size")

    _submit(node, agency, "second")
    wait_until(lambda: node.daemon.all_anchored(12), what="checkpoint 1 anchored")
    wait_until(lambda: _cosigned_by(node, 1) == {w1.name, w2.name, w3.name}, what="all cosign 1")
    assert w1.status()["logs"][0]["latest"]["size"] == 12


def test_a_witness_fed_a_forked_log_refuses_and_the_node_reports_it(
    tmp_path: Path, cleanup: list[Any]
) -> None:
    node, (w1, w2, w3) = _node_with_witnesses(tmp_path, cleanup, quorum=2)
    for witness in (w1, w2, w3):
        witness.start()
    node.daemon.start()
    agency = register_agency_directly(node, COLLECTION_AGENCY)
    _submit(node, agency, "first")
    wait_until(lambda: len(_cosigned_by(node, 0)) == 3, what="checkpoint 0 cosigned by all")

    # Whoever holds the log key (the operator, or a thief) shows w2 another log: a copy of
    # the log at size 6 with other records after it, sealed and signed with the same key
    # (the records carry placeholder signatures: the store of a bound log wants one, and
    # no witness reads them).
    node.daemon.stop()
    fork_path = tmp_path / "fork-log"
    shutil.copytree(node.home.log_path, fork_path)
    node.daemon.start()
    signer = node.home.log_signer()
    assert signer is not None
    endpoint = next(w for w in node.config.witnessing.witnesses if w.name == w2.name)
    with LogStore(fork_path) as fork:
        fork.append(
            [
                replace(prepare_record(variant(r, "fork")), signature=bytes(65))
                for r in read_jsonl(COLLECTION_FILE)[:5]
            ]
        )
        seal_and_sign(fork, signer)
        client = WitnessClient(fork, endpoint, signer)
        while client.step() is StepKind.PROGRESS and fork.cosignatures(1) == {}:
            pass
        assert w2.name in fork.cosignatures(1)  # w2 now holds the fork's size 12
        client.close()

    _submit(node, agency, "honest")
    wait_until(lambda: node.daemon.all_anchored(12), what="checkpoint 1 anchored")
    wait_until(lambda: _witnessing(node)["refusals"], what="the node to report w2's refusal")
    refusal = _witnessing(node)["refusals"][0]
    assert refusal["witness"] == w2.name
    assert (refusal["status"], refusal["kind"], refusal["split_view"]) == (
        422,
        "inconsistent",
        True,
    )
    wait_until(lambda: _cosigned_by(node, 1) == {w1.name, w3.name}, what="the others cosign")
    assert _witnessing(node)["policy_met"] is True
    printed = node.cli.run("node", "status")
    assert f"WITNESS SPLIT VIEW: {w2.name} refused checkpoint 1 (HTTP 422" in printed.stderr
    assert "SPLIT VIEW" in node.daemon.log_path.read_text()
    metrics = requests.get(f"{node.daemon.api_url}/metrics", timeout=10).text
    assert f'evanchor_witness_refusals_total{{kind="inconsistent",witness="{w2.name}"}}' in metrics
    assert w2.status()["logs"][0]["refused"] >= 1
    assert w2.status()["logs"][0]["latest"]["size"] == 12  # still the fork: it never rolls back
