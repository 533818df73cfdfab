"""The log audit names every kind of tampering done directly in LevelDB."""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from pathlib import Path

import plyvel
import pytest

from evanchor.anchor.log.audit import audit_log
from evanchor.anchor.log.store import LogStore

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
    assert report.counts["leaves"] == 20
    assert report.counts["records checked"] == 20
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
