"""`evanchor audit` on an untouched node: the chain re-executed, everything counted, exit 0."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from audit_helpers import Built, anchored_copy, audit_json, ok, run, running_node

from evanchor.node.daemon.chain_access import chain_endpoint
from evanchor.node.daemon.home import NodeHome


@pytest.fixture
def built(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Built:
    return anchored_copy(tmp_path_factory, tmp_path)


def test_an_untouched_node_passes_with_the_chain_re_executed(built: Built) -> None:
    first, second, third = built.sizes
    code, report = audit_json(built.home)
    assert code == 0, report["discrepancies"]
    assert report["ok"] is True
    assert report["discrepancies"] == []
    counts = report["counts"]
    assert counts["leaves"] == third
    assert counts["records checked"] == counts["signatures checked"] == third - 3
    assert counts["checkpoints"] == counts["seal leaves"] == 3
    assert counts["anchors on chain"] == 2
    assert counts["checkpoints anchored"] == 2
    assert counts["checkpoints pending"] == 1
    assert counts["consistency proofs checked"] == 1
    assert counts["cases"] == 3
    assert 0 < counts["registry lookups"] <= 4  # two signers, two anchoring blocks + head
    chain = report["chain"]
    assert chain["re_executed"] is True
    assert chain["replayed_to_block"] == chain["exported_to_block"] == report["head"]["number"]
    assert chain["replay_verdict"].startswith("every block re-executed")
    assert (first, second) == (8, 18)  # 7 records + seal leaf, then 9 + seal leaf


def test_the_text_report_has_counts_and_a_verdict_line(built: Built) -> None:
    result = run(built.home, "audit")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"audit of {built.home}"
    assert any(line.startswith("chain: re-executed from genesis 0x") for line in lines)
    assert any(line.split() == ["checkpoints", "pending", "1"] for line in lines)
    assert lines[-1] == "audit passed: no discrepancy"


def test_rpc_reads_another_endpoint_and_says_the_chain_was_not_re_executed(built: Built) -> None:
    with chain_endpoint(NodeHome(built.home)) as url:
        result = run(built.home, "audit", "--rpc", url)
    assert result.exit_code == 0, result.output
    assert f"chain: read from {url}, not re-executed" in result.output
    assert result.output.splitlines()[-1] == "audit passed: no discrepancy"


def test_a_running_node_is_refused_in_one_line(built: Built) -> None:
    with running_node(built.home):
        result = run(built.home, "audit")
    assert result.exit_code == 1
    assert "stop the node" in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_log_only_node_is_audited_without_a_chain(tmp_path: Path) -> None:
    home = tmp_path / "node"
    ok(home, "init", "--log-only")
    records = tmp_path / "records.jsonl"
    records.write_text(
        (Path(__file__).resolve().parents[2] / "examples/records/collection_case.jsonl").read_text()
    )
    ok(home, "submit", str(records))
    ok(home, "seal")
    result = run(home, "audit", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["chain"] is None
    assert report["counts"]["leaves"] == 8  # seven records and the seal leaf
    assert "signatures checked" not in report["counts"]
