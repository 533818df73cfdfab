"""The read commands beside a running anchoring node, through the real `evanchor` processes.

The node (`evanchor node start` in a subprocess) holds the log and the embedded chain's
database; `log status`, `chain status`, `node status`, `seal`, `prove` and `case prove` on
the same folder ask it (its run file, its API with the folder's operator token, its
JSON-RPC) and print what they print with the node stopped. Before reach.py, the first three
failed with a lock error while the node ran.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_helpers import (
    COLLECTION_AGENCY,
    COLLECTION_FILE,
    MakeNode,
    new_agency,
    node_factory,
    wait_until,
)

from evanchor.node.daemon.running import run_file


@pytest.fixture
def make_node(tmp_path: Path) -> Iterator[MakeNode]:
    with node_factory("embedded", tmp_path) as make:
        yield make


def test_read_commands_answer_the_same_beside_a_running_node(
    make_node: MakeNode, tmp_path: Path
) -> None:
    node = make_node("node", "--seal-every", "1000", "--seal-after", "3600")
    cli, daemon = node.cli, node.daemon
    daemon.start()
    agency = new_agency(node, tmp_path, "collector", COLLECTION_AGENCY)
    receipts = cli.json(
        "submit",
        COLLECTION_FILE,
        "--key",
        agency.keystore,
        "--key-password-file",
        agency.password_file,
        "--json",
    )["receipts"]
    assert run_file(node.home).exists()

    # Beside the running node: the log, the chain and the operator's seal, all through it.
    log_before = cli.json("log", "status", "--json")
    assert (log_before["records"], log_before["unsealed"]) == (len(receipts), len(receipts))
    sealed = cli.json("seal", "--json")["sealed"]
    assert sealed["size"] == len(receipts) + 1
    daemon_status = cli.json("node", "status", "--json")
    assert daemon_status["running"] is True
    log_running = cli.json("log", "status", "--json")
    assert log_running["latest_checkpoint"] == sealed
    record_id = receipts[0]["record_id"]
    wait_until(
        lambda: daemon.all_anchored(len(receipts) + 1),
        what="the seal anchored",
        diagnose=daemon.log_tail,
    )
    chain_running = json.loads(cli.run("chain", "status").stdout)
    beside = tmp_path / "beside.json"
    printed = cli.run("prove", record_id[:12], "-o", beside).stdout
    case_beside = tmp_path / "case-beside.json"
    cli.run("case", "prove", "collection/C-2026-000117", "-o", case_beside)
    log_running = cli.json("log", "status", "--json")
    daemon.stop()
    assert not run_file(node.home).exists()

    # The node stopped: the same answers from the folder.
    assert cli.json("log", "status", "--json") == log_running
    assert json.loads(cli.run("chain", "status").stdout) == chain_running
    assert chain_running["head"] > 0
    assert chain_running["authorities"]
    stopped = tmp_path / "stopped.json"
    assert cli.run("prove", record_id[:12], "-o", stopped).stdout == printed.replace(
        str(beside), str(stopped)
    )
    assert stopped.read_bytes() == beside.read_bytes()
    case_stopped = tmp_path / "case-stopped.json"
    cli.run("case", "prove", "collection/C-2026-000117", "-o", case_stopped)
    assert case_stopped.read_bytes() == case_beside.read_bytes()
    assert cli.json("node", "status", "--json")["running"] is False
    nothing = cli.run("seal").stdout
    assert nothing.startswith("nothing to seal: the latest checkpoint already covers all")
