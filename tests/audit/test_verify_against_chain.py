"""`evanchor prove` and `verify` on an anchored node: offline, against a re-executed chain
export, against a trusted block hash, and against a running node's RPC."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from audit_helpers import Built, anchored_copy, collector_batch, ok, run, running_node

from evanchor.node.daemon.home import NodeHome


@pytest.fixture
def built(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Built:
    return anchored_copy(tmp_path_factory, tmp_path)


def _bundle(built: Built, tmp_path: Path, index: int = 3) -> tuple[Path, dict[str, Any]]:
    with NodeHome(built.home).open_log() as store:
        record_id = store.record(index).record_id.hex()
    path = tmp_path / "bundle.json"
    ok(built.home, "prove", record_id[:16], "-o", str(path))
    return path, json.loads(path.read_text())


def _verify(path: Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = run(Path("unused"), "verify", str(path), "--json", *args)
    assert result.exit_code in (0, 1, 3), result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return result.exit_code, report


def _steps(report: dict[str, Any]) -> dict[str, str]:
    return {s["step"]: s["status"] for s in report["steps"]}


def test_an_anchored_bundle_verifies_offline_with_every_step(built: Built, tmp_path: Path) -> None:
    path, bundle = _bundle(built, tmp_path)
    assert bundle["anchor"]["checkpoint_index"] == 0
    assert bundle["signature"]["signer"] == built.collector.address
    code, report = _verify(path)
    assert code == 0
    assert set(_steps(report).values()) == {"ok"}
    # Offline, nothing outside the bundle is asked: the anchor is only self-consistent.
    assert (report["outcome"], report["assurance"]) == ("VERIFIED", "log-only")
    assert "--block-hash it would be tied to the chain" in report["summary"]


def test_verify_against_a_re_executed_chain_export(built: Built, tmp_path: Path) -> None:
    path, bundle = _bundle(built, tmp_path)
    export = tmp_path / "chain.rlp"
    ok(built.home, "chain", "export", str(export))
    genesis = built.home / "chain" / "genesis.json"
    result = run(
        Path("unused"),
        "verify",
        str(path),
        "--chain-export",
        str(export),
        "--genesis",
        str(genesis),
    )
    assert result.exit_code == 0, result.output
    assert "re-executed" in result.output
    assert f"registered as agency {bundle['record']['agency']}" in result.output
    assert "held the writer role" in result.output

    bundle["anchor"]["block_timestamp"] += 1
    path.write_text(json.dumps(bundle))
    result = run(
        Path("unused"),
        "verify",
        str(path),
        "--chain-export",
        str(export),
        "--genesis",
        str(genesis),
    )
    assert result.exit_code == 1
    assert "[FAIL] anchor" in result.output


def test_a_trusted_block_hash_ties_the_anchor_or_refuses_it(built: Built, tmp_path: Path) -> None:
    path, bundle = _bundle(built, tmp_path)
    right = bundle["anchor"]["block_hash"]
    code, report = _verify(path, "--block-hash", right)
    assert (code, report["assurance"]) == (0, "anchored+signed")
    code, report = _verify(path, "--block-hash", "00" * 32)
    assert code == 1
    assert [s["step"] for s in report["steps"] if s["status"] == "failed"] == ["anchor"]


def test_prove_and_verify_while_the_node_runs(built: Built, tmp_path: Path) -> None:
    with NodeHome(built.home).open_log() as store:
        record_id = store.record(built.sizes[1] - 2).record_id.hex()  # the last of checkpoint 1
    path = tmp_path / "live.json"
    with running_node(built.home) as api:
        ok(built.home, "prove", record_id, "-o", str(path))
        status = json.loads(ok(built.home, "node", "status", "--json").output)
        result = run(Path("unused"), "verify", str(path), "--rpc", status["chain"]["rpc_url"])
        assert api
    assert result.exit_code == 0, result.output
    assert result.output.startswith("VERIFIED (assurance: anchored+signed+registered)")
    assert "the chain confirms the block, the transaction, its log and the writer's role" in (
        result.output
    )


def test_an_unanchored_record_has_no_bundle_yet(built: Built, tmp_path: Path) -> None:
    last = built.sizes[2] - 2  # the last record; the last leaf is the seal leaf
    with NodeHome(built.home).open_log() as store:
        record_id = store.record(last).record_id.hex()
    result = run(built.home, "prove", record_id, "-o", str(tmp_path / "x.json"))
    assert result.exit_code == 1
    assert "not anchored" in result.output


def test_an_agency_without_a_node_folder_submits_to_a_node(built: Built, tmp_path: Path) -> None:
    batch = collector_batch(tmp_path, 2, case="C-2026-REMOTE")
    elsewhere = tmp_path / "agency-machine"
    with running_node(built.home) as api:
        result = run(
            elsewhere,
            "submit",
            str(batch),
            "--node",
            api,
            "--key",
            str(built.collector.keystore),
            "--key-password-file",
            str(built.password),
            "--json",
        )
        assert result.exit_code == 0, result.output
        receipts = json.loads(result.stdout)["receipts"]
        assert [r["duplicate"] for r in receipts] == [False, False]
        refused = run(elsewhere, "submit", str(batch), "--node", api)
    assert refused.exit_code == 1
    assert "unsigned record" in refused.output
    assert not elsewhere.exists()
