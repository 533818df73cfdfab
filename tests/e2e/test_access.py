"""A real anchoring node's folder is private and its API reads records for authorised callers.

One embedded node, made and run by the real commands under the umask most shells start with
(0022): after `init`, `node start` and a signed `submit`, nothing in the node folder is
open to group or others. Then over real HTTP: a prefix needs credentials, the CLI on the
node's machine reaches the node with the operator token from the folder (`prove`, `case
prove`), a court fetches a bundle by the full record id alone, and the agency reads its own
records with a signed request.

Then every read command beside the running node: LevelDB admits one process, so `log
status`, `chain status`, `node status`, `seal`, `prove` and `case prove` ask the node (its
API with the folder's operator token, at the address of its run file; its JSON-RPC) and
print what they print with the node stopped. Before node/daemon/reach.py, the first three
failed with a lock error while the node ran.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from e2e_helpers import (
    COLLECTION_AGENCY,
    COLLECTION_FILE,
    Agency,
    MakeNode,
    Node,
    new_agency,
    node_factory,
    wait_until,
)

from evanchor.node.daemon.access import signed_request_headers
from evanchor.node.daemon.running import run_file


@pytest.fixture
def make_node(tmp_path: Path) -> Iterator[MakeNode]:
    previous = os.umask(0o022)  # inherited by every `evanchor` the test starts
    try:
        with node_factory("embedded", tmp_path) as make:
            yield make
    finally:
        os.umask(previous)


def exposed(folder: Path) -> list[str]:
    return [
        f"{path.relative_to(folder)} {stat.filemode(path.lstat().st_mode)}"
        for path in [folder, *folder.rglob("*")]
        if path.lstat().st_mode & 0o077
    ]


def _agency_submits_the_case(node: Node, tmp_path: Path) -> tuple[Agency, list[Any]]:
    """A new agency (`agency new`, `agency grant`) submits the collection case with `submit
    --key` to the running node; its receipts."""
    agency = new_agency(node, tmp_path, "collector", COLLECTION_AGENCY)
    receipts = node.cli.json(
        "submit",
        COLLECTION_FILE,
        "--key",
        agency.keystore,
        "--key-password-file",
        agency.password_file,
        "--json",
    )["receipts"]
    return agency, receipts


def test_a_running_node_is_private_and_reads_for_authorised_callers(
    make_node: MakeNode, tmp_path: Path
) -> None:
    node = make_node("node", "--seal-every", "7", "--seal-after", "600")
    home = node.home.path
    assert stat.S_IMODE(node.home.api_token_path.stat().st_mode) == 0o600
    daemon = node.daemon
    daemon.start()
    agency, receipts = _agency_submits_the_case(node, tmp_path)
    wait_until(  # 7 records and the seal leaf
        lambda: daemon.all_anchored(8), what="the case anchored", diagnose=daemon.log_tail
    )
    assert exposed(home) == []

    record_id = receipts[3]["record_id"]
    prefix = f"/v1/records/{record_id[:12]}/bundle"
    anonymous = requests.get(f"{daemon.api_url}{prefix}", timeout=30)
    assert anonymous.status_code == 401
    assert "needs the operator token" in anonymous.json()["error"]["message"]

    # The operator's CLI, beside the running node, reads the token from the folder.
    bundle_file = tmp_path / "bundle.json"
    node.cli.run("prove", record_id[:12], "-o", bundle_file)
    node.cli.run("verify", bundle_file)  # exit 0: every step checks out
    case_file = tmp_path / "case.json"
    node.cli.run("case", "prove", "collection/C-2026-000117", "-o", case_file)
    token = node.home.api_token_path
    token.rename(tmp_path / "api-token.moved")
    refused = node.cli.run("prove", record_id[:12], "-o", tmp_path / "no.json", ok=False)
    assert refused.returncode == 1
    assert "needs the operator token" in refused.stderr
    (tmp_path / "api-token.moved").rename(token)

    # A court holding the full record id needs nothing else.
    court = requests.get(f"{daemon.api_url}/v1/records/{record_id}/bundle", timeout=30)
    assert court.status_code == 200, court.text
    assert court.json()["leaf_index"] == receipts[3]["index"]

    # The agency reads its own record by a prefix with a request it signs.
    headers = signed_request_headers(agency.key, node.domain(), "GET", prefix)
    signed = requests.get(f"{daemon.api_url}{prefix}", headers=headers, timeout=30)
    assert signed.status_code == 200, signed.text
    assert signed.json() == court.json()
    daemon.stop()
    assert exposed(home) == []


def test_read_commands_answer_the_same_beside_a_running_node(
    make_node: MakeNode, tmp_path: Path
) -> None:
    node = make_node("node", "--seal-every", "1000", "--seal-after", "3600")
    cli, daemon = node.cli, node.daemon
    daemon.start()
    _, receipts = _agency_submits_the_case(node, tmp_path)
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
