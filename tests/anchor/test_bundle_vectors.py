"""The named bundle and audit vectors (tests/vectors/{bundles,audit}/*.json).

Each bundle vector is verified with the options it names and must give its expected
outcome, assurance level and failing step; each audit vector is a log, changes to it, and
the discrepancies the audit must name. The committed files must be exactly what
tests/vectors/generate_bundles.py writes (it runs here, in memory, chain included).
"""

from __future__ import annotations

import importlib.util
import json
import socket
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import plyvel
import pytest

from evanchor.anchor.ethereum import client as cc
from evanchor.anchor.log.audit import audit_log
from evanchor.anchor.log.store import LogStore
from evanchor.anchor.verify.bundle import verify_bundle
from evanchor.anchor.verify.case_bundle import verify_case_bundle
from evanchor.anchor.verify.report import Report, StepStatus

VECTORS = Path(__file__).resolve().parents[1] / "vectors"


def _load(kind: str) -> dict[str, dict[str, Any]]:
    return {p.stem: json.loads(p.read_text()) for p in sorted((VECTORS / kind).glob("*.json"))}


BUNDLES = _load("bundles")
AUDITS = _load("audit")


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "generate_bundles", VECTORS / "generate_bundles.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_the_committed_vectors_are_the_generators() -> None:
    bundles, audits = _generator().all_vectors()
    assert sorted(bundles) == sorted(BUNDLES)
    assert sorted(audits) == sorted(AUDITS)
    for name, vector in bundles.items():
        assert json.loads(json.dumps(vector)) == BUNDLES[name], name
    for name, vector in audits.items():
        assert json.loads(json.dumps(vector)) == AUDITS[name], name


def _unreachable_url() -> str:
    """A 127.0.0.1 port that was free a moment ago: nothing listens there."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _verify(vector: dict[str, Any]) -> Report:
    options = vector["options"]
    trusted = options["trusted_block_hash"]
    w3 = None
    if options["rpc"] == "unreachable":
        w3 = cc.web3_for(_unreachable_url(), timeout=2.0)
    check = verify_case_bundle if vector["kind"] == "case-bundle" else verify_bundle
    return check(
        vector["bundle"],
        trusted_block_hash=None if trusted is None else bytes.fromhex(trusted),
        w3=w3,
    )


def test_every_kind_of_change_the_issue_names_has_a_vector() -> None:
    for name in (
        "case-tail-drop",
        "case-reorder",
        "case-insert-other-case",
        "checkpoint-seq-changed",
        "checkpoint-sealed-at-changed",
        "case-link-prev-leaf-hash",
        "downgrade-signature-null",
        "downgrade-anchor-and-log-null",
        "upper-case-hex",
        "unknown-member-top-level",
        "unknown-member-in-anchor",
        "checkpoint-seq-minus-one",
        "valid-log-only",
        "valid-anchored-trusted-hash",
        "chain-unreachable",
    ):
        assert name in BUNDLES, name
    assert "shred-then-edit" in AUDITS


@pytest.mark.parametrize("name", sorted(BUNDLES))
def test_each_bundle_vector_gives_its_outcome_level_and_step(name: str) -> None:
    vector = BUNDLES[name]
    expected = vector["expected"]
    report = _verify(vector)
    found = report.as_json()
    assert (found["outcome"], found["assurance"]) == (
        expected["outcome"],
        expected["assurance"],
    ), (vector["description"], found)
    if expected["outcome"] == "NOT VERIFIED":
        failed = report.failed_step
        assert failed is not None
        assert failed.name == expected["failing_step"], (vector["description"], failed)
        assert report.summary.startswith(f"NOT VERIFIED: the {failed.name} step failed")
    elif expected["outcome"] == "CANNOT VERIFY":
        unanswered = [s.name for s in report.steps if s.status is StepStatus.CANNOT_VERIFY]
        assert unanswered[:1] == [expected["failing_step"]], found
        assert report.summary.startswith("CANNOT VERIFY")
    else:
        assert expected["failing_step"] is None
        assert report.summary.startswith("VERIFIED.")
    assert f"Assurance {expected['assurance']}" in report.summary or not report.ok


def test_a_downgraded_bundle_says_its_claim_is_weaker() -> None:
    signature = _verify(BUNDLES["downgrade-signature-null"])
    assert "carries its agency's signature" in signature.summary
    assert "its claim is weaker than the log's" in signature.summary
    assert "signed by" not in signature.summary
    anchor = _verify(BUNDLES["downgrade-anchor-and-log-null"])
    assert "commits to a log anchored on chain 7107" in anchor.summary
    assert "its claim is weaker than the log's" in anchor.summary
    assert "existed, unaltered, no later than" not in anchor.summary
    full = _verify(BUNDLES["valid-anchored-trusted-hash"])
    assert "existed, unaltered, no later than" in full.summary
    assert "weaker" not in full.summary


def _restore(folder: Path, vector: dict[str, Any]) -> None:
    db = plyvel.DB(str(folder), create_if_missing=True)
    try:
        for key, value in vector["entries"]:
            db.put(bytes.fromhex(key), bytes.fromhex(value))
        for change in vector["changes"]:
            if change["op"] == "put":
                db.put(bytes.fromhex(change["key"]), bytes.fromhex(change["value"]))
            else:
                db.delete(bytes.fromhex(change["key"]))
    finally:
        db.close()


@pytest.mark.parametrize("name", sorted(AUDITS))
def test_each_audit_vector_names_its_discrepancies(name: str, tmp_path: Path) -> None:
    vector = AUDITS[name]
    _restore(tmp_path / "log", vector)
    with LogStore(tmp_path / "log") as store:
        report = audit_log(store)
    expected = vector["expected"]
    assert report.ok is expected["ok"]
    found = [{"kind": d.kind, "where": d.where} for d in report.discrepancies]
    assert found == expected["discrepancies"], vector["description"]
    if "records shredded" in expected:
        assert report.counts["records shredded"] == expected["records shredded"]
