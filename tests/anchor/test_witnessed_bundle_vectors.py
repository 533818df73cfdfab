"""Bundles carrying the signed, cosigned checkpoint (PROTOCOL.md §5.4, §10.8).

The vectors (tests/vectors/witnessed-bundles/, made by generate_witnessed_bundles.py with
a plain C2SP signer of their own) are valid bundles with a checkpoint note added, and named
corrupt cases, each failing at the check of §10.8 it names.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from evanchor.anchor.protocol.bundle_format import ProofBundle, parse
from evanchor.anchor.protocol.note import parse_verifier_key
from evanchor.anchor.verify.bundle import verify_bundle
from evanchor.anchor.verify.case_bundle import verify_case_bundle
from evanchor.anchor.verify.checkpoint_note import WitnessTrustInvalid, witness_trust
from evanchor.anchor.verify.report import Report, StepStatus

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
CASES = {
    p.stem: json.loads(p.read_text())
    for p in sorted((VECTORS / "witnessed-bundles").glob("*.json"))
}


def _verify(vector: dict[str, Any]) -> Report:
    keys = vector["keys"]
    trust = witness_trust(
        [parse_verifier_key(k) for k in keys["log"]],
        [parse_verifier_key(k) for k in keys["witnesses"]],
        keys["policy"],
        now=vector["now"],
    )
    trusted = vector["options"]["trusted_block_hash"]
    check = verify_case_bundle if vector["kind"] == "case-bundle" else verify_bundle
    return check(
        vector["bundle"],
        trusted_block_hash=None if trusted is None else bytes.fromhex(trusted),
        trust=trust,
    )


def test_the_vectors_cover_the_named_cases() -> None:
    assert {
        "valid-witnessed",
        "note-of-another-checkpoint",
        "wrong-origin",
        "tampered-cosignature",
        "cosignature-of-unknown-key",
        "root-mismatch",
        "policy-unmet",
        "case-valid-witnessed",
        "log-only-valid-witnessed",
    } <= set(CASES)
    valid = CASES["valid-witnessed"]["bundle"]["checkpoint_note"]
    assert valid.count("\n\n\u2014 ") == 1
    assert valid.count("\u2014 ") == 3  # the log and two witnesses


@pytest.mark.parametrize("name", sorted(CASES))
def test_vector(name: str) -> None:
    vector = CASES[name]
    expected = vector["expected"]
    report = _verify(vector)
    failed = report.failed_step
    assert report.outcome.value == expected["outcome"], report.steps
    assert report.assurance.value == expected["assurance"]
    assert (None if failed is None else failed.name) == expected["failing_step"], report.steps
    if failed is not None:
        # One line naming what failed: the check, then which witness or field.
        assert failed.detail.startswith(expected["failing_check"]), failed.detail
        assert "\n" not in failed.detail
        return
    witnessing = report.witnessing
    assert witnessing.witnessed_at == expected["witnessed_at"]
    assert [c.witness for c in witnessing.cosignatures] == expected["witnesses"]
    assert witnessing.checked is (expected["witnessed_at"] is not None)
    for proven in report.proven:
        assert proven.witnessing == witnessing
        assert proven.witnesses == witnessing.cosignatures
    step = next(s for s in report.steps if s.name == "checkpoint note")
    if "checkpoint_note" not in vector["bundle"]:
        assert step.status is StepStatus.SKIPPED
        assert "witnessing was not checked" in step.detail
    elif not witnessing.checked:
        assert "not checked" in step.detail
        assert "witnessed by" not in step.detail
        assert "witnessed by" not in report.summary
        assert "witnessing was not checked" in report.summary
    else:
        assert step.status is StepStatus.OK
        for cosignature in witnessing.cosignatures:
            assert f"by {cosignature.witness} at {cosignature.utc}" in step.detail
        assert "witnessed by" in report.summary


def test_a_failure_names_the_witness_at_fault() -> None:
    report = _verify(CASES["tampered-cosignature"])
    assert report.failed_step is not None
    assert report.failed_step.detail == "cosignature: court2.example/witness: does not verify"
    unmet = _verify(CASES["cosignature-of-unknown-key"])
    assert unmet.failed_step is not None
    assert unmet.failed_step.detail == (
        "witness policy: 2 of 2 trusted witnesses required, cosigned by"
        " court1.example/witness; no cosignature from court2.example/witness"
    )


def test_the_note_is_kept_byte_for_byte_in_the_bundle_json() -> None:
    """The member is the note's exact text: parsing the bundle and dumping it again keeps
    every byte (a cosignature over a re-rendered text would not verify)."""
    raw = CASES["valid-witnessed"]["bundle"]
    assert parse(ProofBundle, raw).as_json() == raw
    without = CASES["no-note"]["bundle"]
    assert "checkpoint_note" not in parse(ProofBundle, without).as_json()


def test_witness_trust_refuses_unusable_keys_and_policies() -> None:
    keys = CASES["valid-witnessed"]["keys"]
    log = [parse_verifier_key(k) for k in keys["log"]]
    witnesses = [parse_verifier_key(k) for k in keys["witnesses"]]
    for args, what in (
        ((witnesses, []), "--log-key"),
        ((log, log), "--witness-key"),
        (([], witnesses), "--witness-key"),
        ((log, [witnesses[0], witnesses[0]]), "--witness-key"),
        ((log, witnesses, 3), "--witness-policy"),
        ((log, witnesses, 0), "--witness-policy"),
    ):
        with pytest.raises(WitnessTrustInvalid) as caught:
            witness_trust(*args)  # type: ignore[arg-type]
        assert caught.value.what == what


def test_vector_files_are_reproduced_by_the_generator() -> None:
    path = VECTORS / "generate_witnessed_bundles.py"
    spec = importlib.util.spec_from_file_location("generate_witnessed_bundles", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    produced = module.all_vectors()
    committed = {p.name: p.read_text() for p in (VECTORS / "witnessed-bundles").glob("*.json")}
    assert produced == committed
