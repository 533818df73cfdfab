"""An agency fetches its own bundles from a running node with requests it signs (`--key`).

A real anchored node (tests/audit/audit_helpers.py) runs with its API on a thread; the
agency's side is the command line on a machine without the node folder (`--home` points at
an empty folder) that names the node with `--node URL`: no operator token anywhere. The
node serves the agency its own records and cases, answers "not found" for another
agency's, and a read that is neither signed nor the operator's is refused.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from evanchor.cli.main import cli
from evanchor.node.daemon.home import NodeHome

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "audit"))
from audit_helpers import COLLECTOR_CODE, ENV, Built, anchored_copy, running_node

COLLECTION_CASE = "collection/C-2026-000117"


@pytest.fixture
def built(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Built:
    return anchored_copy(tmp_path_factory, tmp_path)


def _record_ids(home: Path) -> tuple[str, str]:
    """A record id of the collector's (leaf 3) and one of the auctioneer's (leaf 10)."""
    with NodeHome(home).open_log() as store:
        return store.record(3).record_id.hex(), store.record(10).record_id.hex()


def _agency(folder: Path, *args: str | Path) -> Result:
    """`evanchor` on the agency's machine: no node folder there."""
    return CliRunner(env=ENV).invoke(cli, ["--home", str(folder / "none"), *map(str, args)])


def test_an_agency_fetches_its_own_bundles_with_signed_requests(
    built: Built, tmp_path: Path
) -> None:
    own, others = _record_ids(built.home)
    key = ("--key", built.collector.keystore, "--key-password-file", built.password)
    with running_node(built.home) as api:
        fetched = _agency(
            tmp_path, "prove", own[:12], "--node", api, *key, "-o", tmp_path / "b.json"
        )
        assert fetched.exit_code == 0, fetched.output
        case = _agency(
            tmp_path,
            "case",
            "prove",
            COLLECTION_CASE,
            "--node",
            api,
            *key,
            "-o",
            tmp_path / "c.json",
        )
        assert case.exit_code == 0, case.output
        refused = _agency(tmp_path, "prove", others[:12], "--node", api, *key, "-o", tmp_path / "x")
        anonymous = _agency(tmp_path, "prove", own[:12], "--node", api, "-o", tmp_path / "y")
    bundle = json.loads((tmp_path / "b.json").read_text())
    assert bundle["leaf_index"] == 3
    assert fetched.output.startswith("wrote proof bundle for record 3 of the log")
    assert CliRunner().invoke(cli, ["verify", str(tmp_path / "b.json")]).exit_code == 0
    records = json.loads((tmp_path / "c.json").read_text())["records"]
    assert len(records) == 7
    assert case.output == f"wrote 7 record(s) of case {COLLECTION_CASE} to {tmp_path / 'c.json'}\n"

    assert refused.exit_code == 1
    assert refused.output == (
        f"Error: no record {others[:12]} of agency {COLLECTOR_CODE} in this log\n"
    )
    assert not (tmp_path / "x").exists()
    assert anonymous.exit_code == 1
    assert "needs the operator token" in anonymous.output
    assert not (tmp_path / "y").exists()


def test_the_node_folders_own_api_is_asked_when_a_key_is_given(
    built: Built, tmp_path: Path
) -> None:
    own, _ = _record_ids(built.home)
    wrong = tmp_path / "wrong"
    wrong.write_text("not the agency password\n")
    with running_node(built.home):
        runner = CliRunner(env=ENV)
        signed = runner.invoke(
            cli,
            [
                "--home",
                str(built.home),
                "prove",
                own,
                "--key",
                str(built.auctioneer.keystore),
                "--key-password-file",
                str(built.password),
                "-o",
                str(tmp_path / "b.json"),
            ],
        )
    # Another agency's key, though the folder holds the operator token: the key decides.
    assert signed.exit_code == 1
    assert signed.output == f"Error: no record {own} of agency 91350100M000100Y43 in this log\n"


def test_without_a_node_folder_the_node_must_be_named(tmp_path: Path) -> None:
    result = _agency(tmp_path, "prove", "ab" * 6, "--key", __file__, "-o", tmp_path / "b.json")
    assert result.exit_code == 2
    assert "give the node's API with --node URL" in result.output
