"""External mode: a node anchoring on anvil is audited from the chain's events over JSON-RPC
(nothing to re-execute locally), and an endpoint of another chain is named as such."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import requests
from audit_helpers import (
    COLLECTOR_CODE,
    EXAMPLES,
    audit_json,
    free_port,
    named,
    new_agency,
    ok,
    running_node,
    submit,
    wait_until_anchored,
)

from evanchor.anchor.protocol.signing import address_of
from evanchor.node.chain.keys import generate_key, write_keystore

# The contract tests' harness starts anvil; its folder is on sys.path only when pytest has
# collected it, so put it there for runs of this folder alone.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "contracts"))
from evm_harness import running_anvil


def _funded_keystore(url: str, folder: Path, password: Path) -> Path:
    key = generate_key()
    reply = requests.post(
        url,
        json={
            "jsonrpc": "2.0",
            "id": 1,
            "method": "anvil_setBalance",
            "params": [address_of(key.to_bytes()), hex(10**21)],
        },
        timeout=5,
    )
    assert "error" not in reply.json(), reply.text
    keystore = folder / "operator.json"
    write_keystore(keystore, key, password.read_text().strip())
    return keystore


def test_an_external_node_is_audited_from_its_endpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVANCHOR_KEYSTORE_SCRYPT_N", "4096")
    password = tmp_path / "password"
    password.write_text("operator password\n")
    home = tmp_path / "node"
    with running_anvil() as url:
        keystore = _funded_keystore(url, tmp_path, password)
        ok(
            home,
            "init",
            "--rpc",
            url,
            "--key-file",
            str(keystore),
            "--password-file",
            str(password),
            "--api-port",
            str(free_port()),
            "--seal-after",
            "3600",
        )
        collector = new_agency(home, tmp_path / "collector.json", password)
        ok(
            home,
            "agency",
            "grant",
            collector.address,
            "--code",
            COLLECTOR_CODE,
            "--password-file",
            str(password),
        )
        submit(home, EXAMPLES / "collection_case.jsonl", collector, password)
        ok(home, "seal")
        with running_node(home, password) as api:
            wait_until_anchored(api)

        code, report = audit_json(home)
        assert code == 0, report["discrepancies"]
        assert report["chain"] == {
            "url": url,
            "re_executed": False,
            "genesis_hash": None,
            "replayed_to_block": None,
            "exported_to_block": None,
            "replay_verdict": None,
        }
        counts = report["counts"]
        assert counts["leaves"] == 8  # seven records and the seal leaf
        assert counts["signatures checked"] == 7
        assert counts["anchors on chain"] == counts["checkpoints anchored"] == 1

        with running_anvil(["--chain-id", "4242"]) as other:
            code, report = audit_json(home, "--rpc", other)
        assert code == 1
        assert named(report) == {"chain mismatch": ["chain"]}
        assert "serves chain 4242" in report["discrepancies"][0]["detail"]
