"""Proof bundles: building, offline verification; the named tamper cases are vectors
(test_bundle_vectors.py)."""

from __future__ import annotations

import copy
import json
import struct
from hashlib import sha256
from pathlib import Path
from typing import Any

import plyvel
import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from evanchor.anchor.log.bundle import NotYetSealed, build_bundle, build_case_bundle
from evanchor.anchor.log.ingest import prepare_record
from evanchor.anchor.log.store import LogStore, NotARecord, RecordShredded, StoreError
from evanchor.anchor.protocol.commitment import canonical_bytes, commitment, record_id
from evanchor.anchor.protocol.leaf import leaf_from_json
from evanchor.anchor.protocol.merkle import leaf_hash
from evanchor.anchor.verify.bundle import verify_bundle
from evanchor.anchor.verify.case_bundle import verify_case_bundle

from samples import prepared

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
PROTOCOL = json.loads((VECTORS / "protocol" / "records.json").read_text())
VALID = json.loads((VECTORS / "bundles" / "valid-log-only.json").read_text())["bundle"]


def test_the_sample_bundle_verifies() -> None:
    report = verify_bundle(VALID)
    assert report.ok, report.as_json()
    assert [(s.name, s.status) for s in report.steps] == [
        ("format", "ok"),
        ("record", "ok"),
        ("commitment", "ok"),
        ("leaf", "ok"),
        ("inclusion", "ok"),
        ("seal", "ok"),
        ("anchor", "skipped"),
        ("signature", "skipped"),
        ("checkpoint note", "skipped"),
    ]
    assert report.assurance == "log-only"
    # Nothing ties a log-only bundle to a time: the report must not say the record existed.
    assert "existed" not in report.summary.split("not when the record existed")[0]


@pytest.mark.parametrize("junk", [None, [], "x", 3, {}, {"format": "evanchor/proof-bundle"}])
def test_junk_is_reported_not_raised(junk: Any) -> None:
    report = verify_bundle(junk)
    assert not report.ok
    assert report.outcome == "NOT VERIFIED"
    case = verify_case_bundle(junk)
    assert case.outcome == "NOT VERIFIED"


def test_every_single_byte_change_of_a_hex_field_is_caught() -> None:
    for pointer in (
        "/salt",
        "/commitment",
        "/leaf_hash",
        "/checkpoint/root",
        "/seal/leaf/cases_root",
    ):
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


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _paths(v, (*prefix, k))] + [prefix]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _paths(v, (*prefix, i))] + [prefix]
    return [prefix]


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**60), 2**60) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=5,
)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_no_change_to_any_member_goes_unnoticed(data: st.DataObject) -> None:
    """Replace any member of the bundle, at any depth, with any other JSON value: the bundle
    either stays byte-for-byte the same or fails; a printed statement never changes."""
    bundle = copy.deepcopy(VALID)
    path = data.draw(st.sampled_from([p for p in _paths(bundle) if p]))
    new = data.draw(JSON_VALUES)
    target: Any = bundle
    for key in path[:-1]:
        target = target[key]
    old = target[path[-1]]
    target[path[-1]] = new
    report = verify_bundle(bundle)
    if json.dumps(new, sort_keys=True) == json.dumps(old, sort_keys=True):
        assert report.ok
        assert report.summary == verify_bundle(VALID).summary
    else:
        assert not report.ok, (path, new)


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


def test_protocol_vectors_are_reproduced_by_the_generator() -> None:
    import importlib.util  # noqa: PLC0415 - the generator is a script, loaded by path

    spec = importlib.util.spec_from_file_location("gen", VECTORS / "generate_protocol.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.protocol_vectors() == PROTOCOL


def test_unsealed_records_have_no_bundle_yet(store: LogStore) -> None:
    store.append([prepared(0)])
    with pytest.raises(NotYetSealed, match="evanchor seal"):
        build_bundle(store, 0)


def test_bundles_built_from_a_store_verify(store: LogStore) -> None:
    store.append([prepared(i, case=f"K{i % 2}") for i in range(9)])
    store.seal()
    for index in range(9):
        assert verify_bundle(build_bundle(store, index).as_json()).ok
    with pytest.raises(NotARecord):
        build_bundle(store, 9)  # the seal leaf


def test_case_bundles_at_every_checkpoint_verify_and_name_a_gap(store: LogStore) -> None:
    store.append([prepared(i, case=f"K{i % 2}") for i in range(5)])
    first = store.seal()
    store.append([prepared(i, case=f"K{i % 2}") for i in range(5, 9)])
    store.seal()
    older = build_case_bundle(store, "collection/K0", checkpoint=first).as_json()
    assert [r["leaf_index"] for r in older["records"]] == [0, 2, 4]
    assert verify_case_bundle(older).ok
    case_bundle = build_case_bundle(store, "collection/K0").as_json()
    assert [r["leaf_index"] for r in case_bundle["records"]] == [0, 2, 4, 7, 9]
    assert verify_case_bundle(case_bundle).ok
    dropped = copy.deepcopy(case_bundle)
    del dropped["records"][2]
    report = verify_case_bundle(dropped)
    assert (report.outcome, report.failed_step and report.failed_step.name) == (
        "NOT VERIFIED",
        "case chain",
    )
    assert "a record is missing, inserted or out of order" in report.summary
    # The older checkpoint's case bundle is complete for its checkpoint, not for the newer.
    mixed = copy.deepcopy(case_bundle)
    mixed["records"] = older["records"]
    assert not verify_case_bundle(mixed).ok


def test_a_shredded_record_is_refused_a_bundle_and_keeps_its_case_whole(store: LogStore) -> None:
    store.append([prepared(i, case=f"K{i % 2}") for i in range(6)])
    store.seal()
    store.shred(2, reason="deletion request DR-9")
    with pytest.raises(RecordShredded, match="shredded"):
        build_bundle(store, 2)
    for index in (0, 1, 3, 4, 5):
        assert verify_bundle(build_bundle(store, index).as_json()).ok
    case_bundle = build_case_bundle(store, "collection/K0").as_json()
    assert case_bundle["records"][1]["format"] == "evanchor/shredded-record"
    report = verify_case_bundle(case_bundle)
    assert report.ok, report.as_json()
    assert "1 of them appear as leaves only" in report.summary


def test_a_case_bundle_the_log_contradicts_is_not_built(tmp_path: Path) -> None:
    """The builder holds the case index to the case's leaves: a log whose case keys were
    changed behind its back (here: leaf 1, of another case, listed under C-1) is reported,
    not turned into a bundle that would fail."""
    with LogStore(tmp_path, create=True) as store:
        store.append([prepared(0), prepared(1, case="C-2"), prepared(2)])
        store.seal()
    case_key = b"collection/C-1"
    db = plyvel.DB(str(tmp_path))
    db.put(b"c:" + struct.pack(">H", len(case_key)) + case_key + struct.pack(">Q", 1), b"")
    db.close()
    with LogStore(tmp_path) as store, pytest.raises(StoreError, match="run `evanchor audit`"):
        build_case_bundle(store, "collection/C-1")
