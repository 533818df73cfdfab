"""The log audit names every kind of tampering done directly in LevelDB."""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from hashlib import sha256
from pathlib import Path

import plyvel
import pytest
import rfc8785

from evanchor.anchor.log.audit import ShreddedRecord, audit_log
from evanchor.anchor.log.store import LogStore, RecordShredded

from samples import prepared


def _u64(value: int) -> bytes:
    return struct.pack(">Q", value)


@pytest.fixture
def log(tmp_path: Path) -> Path:
    folder = tmp_path / "log"
    with LogStore(folder, create=True) as store:
        store.append([prepared(i, case=f"K{i % 3}") for i in range(12)])
        store.seal()
        store.append([prepared(i, case=f"K{i % 3}") for i in range(12, 20)])
        store.seal()
    return folder


def _tamper(folder: Path, change: Callable[[plyvel.DB], None]) -> None:
    db = plyvel.DB(str(folder))
    try:
        change(db)
    finally:
        db.close()


def _kinds(folder: Path) -> dict[str, list[str]]:
    # Opened as the audit opens it: a tampered log fails the open-time check.
    with LogStore(folder, check=False) as store:
        report = audit_log(store)
    found: dict[str, list[str]] = {}
    for discrepancy in report.discrepancies:
        found.setdefault(discrepancy.kind, []).append(discrepancy.where)
    return found


def test_an_untouched_log_passes(log: Path) -> None:
    with LogStore(log) as store:
        report = audit_log(store)
    assert report.ok, report.discrepancies
    assert report.counts["leaves"] == 22  # 20 records and 2 seal leaves
    assert report.counts["records checked"] == 20
    assert report.counts["seal leaves"] == 2
    assert report.counts["checkpoints"] == 2
    assert report.counts["cases"] == 3


def test_an_altered_record_is_named(log: Path) -> None:
    def alter(db: plyvel.DB) -> None:
        record = json.loads(db.get(b"r:" + _u64(5)))
        record["operator_id"] = "op-forged"
        db.put(b"r:" + _u64(5), json.dumps(record, separators=(",", ":"), sort_keys=True).encode())

    _tamper(log, alter)
    found = _kinds(log)
    assert found["record altered"] == ["leaf 5"]


def test_a_deleted_record_is_named(log: Path) -> None:
    def delete(db: plyvel.DB) -> None:
        db.delete(b"r:" + _u64(3))
        db.delete(b"l:" + _u64(3))

    _tamper(log, delete)
    found = _kinds(log)
    assert found["record missing"] == ["leaf 3"]
    assert "tree altered" in found
    assert "checkpoint forged" in found


def test_two_reordered_records_are_named(log: Path) -> None:
    def swap(db: plyvel.DB) -> None:
        for prefix in (b"l:", b"r:", b"s:", b"n:\x00"):
            first, second = db.get(prefix + _u64(4)), db.get(prefix + _u64(8))
            db.put(prefix + _u64(4), second)
            db.put(prefix + _u64(8), first)

    _tamper(log, swap)
    found = _kinds(log)
    assert "leaf 4" in found["case chain broken"]
    assert "leaf 8" in found["case chain broken"]
    assert "checkpoint forged" in found


def test_a_forged_checkpoint_is_named(log: Path) -> None:
    def forge(db: plyvel.DB) -> None:
        checkpoint = json.loads(db.get(b"k:" + _u64(1)))
        checkpoint["root"] = "ab" * 32
        db.put(b"k:" + _u64(1), json.dumps(checkpoint).encode())

    _tamper(log, forge)
    assert _kinds(log) == {"checkpoint forged": ["checkpoint 1"]}


def test_an_altered_tree_node_is_named(log: Path) -> None:
    _tamper(log, lambda db: db.put(b"n:\x02" + _u64(1), b"\x01" * 32))
    assert _kinds(log) == {"tree altered": ["tree node (2, 1)"]}


def test_signature_problems_are_reported_per_leaf(log: Path) -> None:
    with LogStore(log) as store:
        report = audit_log(
            store, signature_check=lambda i, _c, _s: "no signature" if i == 7 else None
        )
    assert [str(d) for d in report.discrepancies] == ["leaf 7: signature invalid: no signature"]
    assert report.counts["signatures checked"] == 20


# -- the seal leaves and the case index --------------------------------------------------


def test_a_case_index_that_leaves_out_a_record_is_named(tmp_path: Path) -> None:
    """An operator who seals a case index with one record fewer for a case (the shape of a
    truncated case bundle that would then verify) is caught by the recomputation."""
    folder = tmp_path / "log"
    with LogStore(folder, create=True) as store:
        store.append([prepared(i, case=f"K{i % 2}") for i in range(6)])
    # Before the seal, K0 (leaves 0, 2 and 4) is made to say 2 records ending at leaf 2. (K0,
    # not K1: the open-time check would notice that the last leaf 5 is no longer K1's head.)
    key = b"h:" + struct.pack(">H", len(b"collection/K0")) + b"collection/K0"

    def understate(db: plyvel.DB) -> None:
        _, count, number = struct.unpack(">QQQ", db.get(key))
        db.put(key, struct.pack(">QQQ", 2, count - 1, number))

    _tamper(folder, understate)
    with LogStore(folder) as store:
        store.seal()
    found = _kinds(folder)
    assert found == {"case index forged": ["checkpoint 0 (leaf 6)"]}


def test_a_forged_seal_leaf_is_named(log: Path) -> None:
    def forge(db: plyvel.DB) -> None:
        checkpoint = json.loads(db.get(b"k:" + _u64(0)))
        index = _u64(checkpoint["size"] - 1)
        leaf = json.loads(db.get(b"l:" + index))
        leaf["sealed_at"] = "2020-01-01T00:00:00.000Z"
        db.put(b"l:" + index, rfc8785.dumps(leaf))

    _tamper(log, forge)
    found = _kinds(log)
    assert found["seal leaf forged"] == ["checkpoint 0 (leaf 12)"]
    assert "tree altered" in found  # the leaf's hash is no longer the stored one


def test_a_checkpoint_that_ends_on_a_record_is_named(log: Path) -> None:
    def move(db: plyvel.DB) -> None:
        checkpoint = json.loads(db.get(b"k:" + _u64(0)))
        checkpoint["size"] -= 1
        db.put(b"k:" + _u64(0), json.dumps(checkpoint).encode())

    _tamper(log, move)
    found = _kinds(log)
    assert found["seal leaf missing"] == ["checkpoint 0 (leaf 11)"]
    assert found["leaf altered"] == ["leaf 12"]  # a seal leaf where no checkpoint ends


# -- shredding ---------------------------------------------------------------------------


def _record_id(folder: Path, index: int) -> bytes:
    with LogStore(folder) as store:
        return store.record(index).record_id


def test_a_shredded_record_is_listed_and_every_proof_stays_valid(log: Path) -> None:
    with LogStore(log) as store:
        root = store.root()
        store.shred(5, reason="deletion request DR-17")
        assert store.root() == root
        report = audit_log(store)
        with pytest.raises(RecordShredded):
            store.record(5)
        assert store.raw_entry(5)[1:3] == (None, None)  # text and salt are gone
        assert store.record_id_count() == 19
    assert report.ok, report.discrepancies
    assert report.counts["records shredded"] == 1
    assert report.counts["records checked"] == 19
    shredded_at = report.shredded[0].shredded_at
    assert report.shredded == [ShreddedRecord(5, shredded_at, "deletion request DR-17")]
    assert report.as_json()["shredded"] == [
        {"leaf": 5, "shredded_at": shredded_at, "reason": "deletion request DR-17"}
    ]


def test_a_salt_deleted_and_the_text_edited_is_not_a_shredding(log: Path) -> None:
    """The crypto-shredding disguise: delete the salt (so the commitment cannot be checked),
    edit the text and point the id index at the edited text. No tombstone, text kept: the
    audit names it as an altered record."""
    old_id = _record_id(log, 5)

    def disguise(db: plyvel.DB) -> None:
        record = json.loads(db.get(b"r:" + _u64(5)))
        record["operator_id"] = "op-forged"
        text = rfc8785.dumps(record)
        db.put(b"r:" + _u64(5), text)
        db.delete(b"s:" + _u64(5))
        db.delete(b"i:" + old_id)
        db.put(b"i:" + sha256(b"evanchor/v1/record-id\x00" + text).digest(), _u64(5))

    _tamper(log, disguise)
    found = _kinds(log)
    assert found == {"record altered": ["leaf 5"]}


def test_a_tombstone_over_kept_text_is_an_incomplete_shredding(log: Path) -> None:
    _tamper(log, lambda db: db.put(b"t:" + _u64(5), b'{"reason":"x","shredded_at":"y"}'))
    assert _kinds(log) == {"shredding incomplete": ["leaf 5"]}


def test_a_text_deleted_without_a_tombstone_is_a_missing_record(log: Path) -> None:
    old_id = _record_id(log, 5)

    def delete(db: plyvel.DB) -> None:
        for prefix in (b"r:", b"s:"):
            db.delete(prefix + _u64(5))
        db.delete(b"i:" + old_id)

    _tamper(log, delete)
    assert _kinds(log) == {"record missing": ["leaf 5"]}


def test_an_id_entry_left_behind_is_named(log: Path) -> None:
    old_id = _record_id(log, 5)
    with LogStore(log) as store:
        store.shred(5, reason="deletion request DR-18")
    _tamper(log, lambda db: db.put(b"i:" + old_id, _u64(5)))
    assert _kinds(log) == {"index altered": ["record id index"]}


def _details(folder: Path) -> dict[str, list[str]]:
    with LogStore(folder, check=False) as store:
        report = audit_log(store)
    found: dict[str, list[str]] = {}
    for discrepancy in report.discrepancies:
        found.setdefault(discrepancy.kind, []).append(discrepancy.detail)
    return found


def test_a_shortened_log_is_said_to_hold_fewer_leaves_than_its_checkpoint(log: Path) -> None:
    # Rolled back to 13 leaves (checkpoint 0: 12 records and the seal leaf); checkpoint 1
    # sealed 22. The sentence says what the log holds and what the checkpoint says it held.
    _tamper(log, lambda db: db.put(b"m:size", _u64(13)))
    details = _details(log)
    assert details["checkpoint forged"] == [
        "the log holds 13 leaves but this checkpoint, sealed over the first 22, says it held"
        " more: the log was shortened or rolled back after the checkpoint was sealed (or the"
        " checkpoint was forged)"
    ]


def test_a_record_id_missing_from_the_index_is_said_to_be_missing(log: Path) -> None:
    record_id = _record_id(log, 5)
    _tamper(log, lambda db: db.delete(b"i:" + record_id))
    assert _details(log)["index altered"] == [
        "the record id of its stored text is not in the record-id index (which should"
        " point it at this leaf): the record cannot be found by its id"
    ]


def test_a_record_id_pointing_elsewhere_names_both_leaves(log: Path) -> None:
    record_id = _record_id(log, 5)
    _tamper(log, lambda db: db.put(b"i:" + record_id, _u64(7)))
    assert (
        "its record id points at leaf 7 in the record-id index, not at this leaf"
        in (_details(log)["index altered"])
    )
