"""CANNOT VERIFY is not NOT VERIFIED: a chain out of reach, or another chain, is said so.

A real anchored bundle on the session's anvil, checked with a URL where nothing listens,
with another anvil of the same chain id (another genesis) and with one of another chain
id; through the library and through `evanchor verify` (exit status 3, against 1 for wrong
evidence and 0 for verified).
"""

from __future__ import annotations

import copy
import json
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from anchoring_helpers import Chain, bind, domain_of, running_anvil, seal_records
from click.testing import CliRunner

from evanchor.anchor.ethereum import client as cc
from evanchor.anchor.ethereum.anchorer import Anchorer, RetryPolicy, StepKind
from evanchor.anchor.ethereum.evidence import build_anchored_bundle
from evanchor.anchor.log.store import LogStore
from evanchor.anchor.verify.bundle import verify_bundle
from evanchor.anchor.verify.report import Report, StepStatus
from evanchor.cli.main import cli


@pytest.fixture
def bundle(anvil: Chain, store: LogStore) -> dict[str, Any]:
    bind(store, anvil)
    seal_records(store, 3, signed_by=anvil.agency, domain=domain_of(anvil))
    anchorer = Anchorer(
        store,
        anvil.anchor,
        anvil.writer,
        retry=RetryPolicy(attempts=3, initial_delay=0.0, max_delay=0.0),
        poll_interval=0.01,
    )
    assert anchorer.run_until_idle(time.monotonic() + 20)[-1].kind is StepKind.IDLE
    return build_anchored_bundle(store, anvil.anchor, 1).as_json()


def _dead_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _unanswered(report: Report) -> tuple[str, str]:
    """The first step that could not be made (the anchor's; the signature step then cannot
    check the registration either)."""
    steps = [s for s in report.steps if s.status is StepStatus.CANNOT_VERIFY]
    assert [s.name for s in steps] == ["anchor", "signature"]
    assert "the chain could not answer" in steps[1].detail
    return steps[0].name, steps[0].detail


def test_an_unreachable_chain_cannot_verify_and_the_offline_checks_still_run(
    bundle: dict[str, Any],
) -> None:
    w3 = cc.web3_for(_dead_url(), timeout=2.0)
    report = verify_bundle(bundle, w3=w3)
    assert (report.outcome, report.assurance) == ("CANNOT VERIFY", "log-only")
    name, detail = _unanswered(report)
    assert name == "anchor"
    assert detail.startswith("chain unreachable: eth_chainId:")
    assert "offline, the header and the account and storage proofs agree" in detail
    assert report.summary.startswith("CANNOT VERIFY (the anchor step needs the chain: chain")
    # Wrong evidence is a verdict even when the chain is out of reach.
    broken = copy.deepcopy(bundle)
    broken["anchor"]["storage_proofs"][1]["value"] = "00" * 32
    report = verify_bundle(broken, w3=w3)
    assert report.outcome == "NOT VERIFIED"
    assert report.failed_step is not None
    assert report.failed_step.name == "anchor"


def test_the_same_chain_id_with_another_genesis_is_a_different_chain(
    bundle: dict[str, Any],
) -> None:
    with running_anvil(["--timestamp", "1000"]) as other:
        w3 = cc.web3_for(other)
        assert cc.chain_id(w3) == bundle["log"]["chain_id"]
        found = cc.block_info(w3, 0).hash.hex()
        report = verify_bundle(bundle, w3=w3)
    assert report.outcome == "CANNOT VERIFY"
    name, detail = _unanswered(report)
    assert name == "anchor"
    assert detail.startswith(
        f"a different chain: genesis {found}, bundle expects {bundle['log']['genesis_hash']}"
    )
    assert "block not found" not in report.summary


def test_another_chain_id_is_a_different_chain(bundle: dict[str, Any]) -> None:
    with running_anvil(["--chain-id", "4243"]) as other:
        report = verify_bundle(bundle, w3=cc.web3_for(other))
    assert report.outcome == "CANNOT VERIFY"
    assert _unanswered(report)[1].startswith(
        f"a different chain: chain id 4243, bundle expects {bundle['log']['chain_id']}"
    )


def test_the_command_exits_0_1_or_3(anvil: Chain, bundle: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    runner = CliRunner()
    verified = runner.invoke(cli, ["verify", str(path), "--rpc", cc_url(anvil)])
    assert verified.exit_code == 0, verified.output
    assert verified.output.startswith("VERIFIED (assurance: anchored+signed+registered)")
    unreachable = runner.invoke(cli, ["verify", str(path), "--rpc", _dead_url(), "--json"])
    assert unreachable.exit_code == 3, unreachable.output
    report = json.loads(unreachable.output)
    assert (report["outcome"], report["valid"], report["assurance"]) == (
        "CANNOT VERIFY",
        False,
        "log-only",
    )
    bundle["signature"]["signer"] = bundle["log"]["writer"]
    path.write_text(json.dumps(bundle))
    wrong = runner.invoke(cli, ["verify", str(path), "--rpc", _dead_url()])
    assert wrong.exit_code == 1, wrong.output
    assert wrong.output.startswith("NOT VERIFIED (assurance: none)")


def cc_url(chain: Chain) -> str:
    """The JSON-RPC URL of `chain`'s web3."""
    provider: Any = chain.w3.provider
    return str(provider.endpoint_uri)
