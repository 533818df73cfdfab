"""Proof bundles: building, offline verification, and every named tamper case."""

from __future__ import annotations

import copy
import json
from hashlib import sha256
from pathlib import Path
from typing import Any

import pytest
import rfc8785

from evanchor.anchor.log.bundle import NotYetSealed, build_bundle, build_case_bundle
from evanchor.anchor.log.ingest import prepare_record
from evanchor.anchor.log.store import LogStore
from evanchor.anchor.protocol.commitment import canonical_bytes, commitment, record_id
from evanchor.anchor.protocol.leaf import leaf_from_json
from evanchor.anchor.protocol.merkle import leaf_hash
from evanchor.anchor.verify.bundle import verify_bundle, verify_case_bundle

from samples import prepared

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
VALID = json.loads((VECTORS / "bundles" / "valid.json").read_text())
TAMPERED = json.loads((VECTORS / "bundles" / "tampered.json").read_text())
PROTOCOL = json.loads((VECTORS / "protocol" / "records.json").read_text())


def _apply(bundle: dict[str, Any], pointer: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(bundle)
    *parents, last = pointer.strip("/").split("/")
    target: Any = changed
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    key: Any = int(last) if isinstance(target, list) else last
    if value == "flip":
        raw = bytearray(bytes.fromhex(target[key]))
        raw[0] ^= 0x01
        target[key] = raw.hex()
    elif value == "truncate":
        target[key] = target[key][:-1]
    elif value == "append":
        target[key] = [*target[key], "55" * 32]
    else:
        target[key] = value
    return changed


def test_the_sample_bundle_verifies() -> None:
    report = verify_bundle(VALID)
    assert report.ok, report.as_json()
    assert [s.status for s in report.steps] == ["ok"] * 6 + ["skipped"] * 2
    assert "existed, unaltered" in report.summary


@pytest.mark.parametrize("case", TAMPERED, ids=lambda c: c["description"])
def test_each_tampered_bundle_fails_at_the_step_it_breaks(case: dict[str, Any]) -> None:
    report = verify_bundle(_apply(VALID, case["pointer"], case["value"]))
    failed = report.failed_step
    assert failed is not None, case["description"]
    assert failed.name == case["fails_at"], (case["description"], failed)
    assert report.summary.startswith("NOT VERIFIED")


@pytest.mark.parametrize("junk", [None, [], "x", 3, {}, {"format": "evanchor/proof-bundle"}])
def test_junk_is_reported_not_raised(junk: Any) -> None:
    report = verify_bundle(junk)
    assert not report.ok


def test_every_single_byte_change_of_a_hex_field_is_caught() -> None:
    for pointer in ("/salt", "/commitment", "/leaf_hash", "/checkpoint/root"):
        for position in range(0, 64, 7):
            changed = copy.deepcopy(VALID)
            parts = pointer.strip("/").split("/")
            target = changed
            for part in parts[:-1]:
                target = target[part]
            text = target[parts[-1]]
            digit = "0" if text[position] != "0" else "1"
            target[parts[-1]] = text[:position] + digit + text[position + 1 :]
            assert not verify_bundle(changed).ok, (pointer, position)


@pytest.mark.parametrize("vector", PROTOCOL, ids=lambda v: v["description"])
def test_protocol_vectors(vector: dict[str, Any]) -> None:
    salt = bytes.fromhex(vector["salt"])
    canonical = canonical_bytes(vector["record"])
    assert canonical.decode() == vector["canonical"]
    assert canonical == rfc8785.dumps(vector["record"])
    # The formulas of PROTOCOL.md, restated with hashlib alone.
    assert (
        sha256(b"evanchor/v1/commitment\x00" + salt + canonical).hexdigest() == vector["commitment"]
    )
    assert sha256(b"evanchor/v1/record-id\x00" + canonical).hexdigest() == vector["record_id"]
    assert commitment(salt, canonical).hex() == vector["commitment"]
    assert record_id(canonical).hex() == vector["record_id"]
    leaf = leaf_from_json(vector["leaf"]).to_bytes()
    assert leaf.decode() == vector["leaf_bytes"]
    assert sha256(b"\x00" + leaf).hexdigest() == vector["leaf_hash"] == leaf_hash(leaf).hex()
    prepared_record = prepare_record(vector["record"], salt=salt)
    assert prepared_record.commitment.hex() == vector["commitment"]


def test_bundle_vectors_are_reproduced_by_the_generator() -> None:
    import importlib.util  # noqa: PLC0415 - the generator is a script, loaded by path

    spec = importlib.util.spec_from_file_location("gen", VECTORS / "generate_protocol.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.protocol_vectors() == PROTOCOL
    assert module.sample_bundle() == VALID


def test_unsealed_records_have_no_bundle_yet(store: LogStore) -> None:
    store.append([prepared(0)])
    with pytest.raises(NotYetSealed, match="evanchor seal"):
        build_bundle(store, 0)


def test_bundles_built_from_a_store_verify(store: LogStore) -> None:
    store.append([prepared(i, case=f"K{i % 2}") for i in range(9)])
    store.seal()
    for index in range(9):
        assert verify_bundle(build_bundle(store, index)).ok


def test_case_bundle_verifies_and_names_a_gap(store: LogStore) -> None:
    store.append([prepared(i, case=f"K{i % 2}") for i in range(9)])
    store.seal()
    case_bundle = build_case_bundle(store, "collection/K0")
    assert [r["leaf_index"] for r in case_bundle["records"]] == [0, 2, 4, 6, 8]
    assert verify_case_bundle(case_bundle).ok
    dropped = copy.deepcopy(case_bundle)
    del dropped["records"][2]
    report = verify_case_bundle(dropped)
    assert not report.ok
    assert "gap" in report.summary
    reordered = copy.deepcopy(case_bundle)
    reordered["records"][1], reordered["records"][2] = (
        reordered["records"][2],
        reordered["records"][1],
    )
    assert not verify_case_bundle(reordered).ok
