"""Tampering with the log in LevelDB while the node is stopped: the audit names each change.

The chain keeps what was anchored, so even a log rewritten consistently — every leaf, link,
tree node and checkpoint recomputed — is caught by the anchored roots.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from audit_helpers import Built, anchored_copy, audit_json, leveldb, named, run, u64

from evanchor.anchor.log.store import LogStore, PreparedRecord


@pytest.fixture
def built(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Built:
    return anchored_copy(tmp_path_factory, tmp_path)


def test_an_altered_record_is_named(built: Built) -> None:
    with leveldb(built.home / "log") as db:
        record = json.loads(db.get(b"r:" + u64(5)))
        record["operator_id"] = "op-forged"
        db.put(b"r:" + u64(5), json.dumps(record, separators=(",", ":"), sort_keys=True).encode())
    code, report = audit_json(built.home)
    assert code == 1
    found = named(report)
    assert found["record altered"] == ["leaf 5"]
    assert "anchored root mismatch" not in found  # the leaf, which the tree covers, is intact
    text = run(built.home, "audit").output.splitlines()
    assert any(line.startswith("DISCREPANCY leaf 5: record altered: ") for line in text)
    assert text[-1] == f"audit FAILED: {len(report['discrepancies'])} discrepancies"


def test_a_deleted_record_is_named(built: Built) -> None:
    with leveldb(built.home / "log") as db:
        for prefix in (b"l:", b"r:", b"s:", b"g:"):
            db.delete(prefix + u64(3))
    code, report = audit_json(built.home)
    assert code == 1
    found = named(report)
    assert found["record missing"] == ["leaf 3"]
    assert [where.split(" (")[0] for where in found["anchored root mismatch"]] == [
        "anchored checkpoint 0",
        "anchored checkpoint 1",
    ]
    assert "checkpoint forged" in found


def test_two_reordered_records_are_named(built: Built) -> None:
    with leveldb(built.home / "log") as db:
        for prefix in (b"l:", b"r:", b"s:", b"g:", b"n:\x00"):
            first, second = db.get(prefix + u64(2)), db.get(prefix + u64(4))
            db.put(prefix + u64(2), second)
            db.put(prefix + u64(4), first)
    code, report = audit_json(built.home)
    assert code == 1
    found = named(report)
    assert {"leaf 2", "leaf 4"} <= set(found["case chain broken"])
    assert len(found["anchored root mismatch"]) == 2


def test_a_consistently_rewritten_log_is_named_by_the_chain_alone(built: Built) -> None:
    """Two records swapped and everything after them recomputed: the log is self-consistent,
    only the anchored roots show that it is not the log that was anchored."""
    log = built.home / "log"
    rewritten = built.home / "log-rewritten"
    with LogStore(log) as store:
        entries = [store.record(i) for i in range(store.size) if store.is_record_leaf(i)]
        sizes = [checkpoint.size for checkpoint in store.checkpoints()]
        target = store.anchor_target
    assert target is not None
    order = list(range(len(entries)))
    order[2], order[4] = order[4], order[2]
    with LogStore(rewritten, create=True) as fresh:
        fresh.bind_anchor_target(target)
        for index in order:
            entry = entries[index]
            envelope = entry.envelope
            assert entry.salt is not None
            record = PreparedRecord(
                record_id=entry.record_id,
                canonical=entry.canonical,
                salt=entry.salt,
                commitment=bytes.fromhex(envelope["commitment"]),
                kind=envelope["kind"],
                agency=envelope["agency"],
                case=envelope["case"],
                signature=entry.signature,
            )
            fresh.append([record])
            if fresh.size + 1 in sizes:  # the seal leaf completes the checkpoint
                fresh.seal()
    with leveldb(log) as old, leveldb(rewritten) as new:
        for key, value in old.iterator(prefix=b"a:"):  # the node's anchor receipts
            new.put(key, value)
        for key, value in old.iterator(prefix=b"x:"):
            new.put(key, value)
    shutil.rmtree(log)
    rewritten.rename(log)

    code, report = audit_json(built.home)
    assert code == 1
    assert set(named(report)) == {"anchored root mismatch"}
    assert len(named(report)["anchored root mismatch"]) == 2


def test_a_forged_checkpoint_is_named(built: Built) -> None:
    with leveldb(built.home / "log") as db:
        checkpoint = json.loads(db.get(b"k:" + u64(1)))
        checkpoint["root"] = "ab" * 32
        db.put(b"k:" + u64(1), json.dumps(checkpoint).encode())
    code, report = audit_json(built.home)
    assert code == 1
    assert named(report) == {"checkpoint forged": ["checkpoint 1"]}


def test_a_forged_anchor_receipt_is_named(built: Built) -> None:
    with leveldb(built.home / "log") as db:
        state = json.loads(db.get(b"a:" + u64(0)))
        state["block_number"] += 1
        db.put(b"a:" + u64(0), json.dumps(state, sort_keys=True).encode())
    code, report = audit_json(built.home)
    assert code == 1
    assert named(report) == {"anchor receipt mismatch": ["checkpoint 0"]}
    assert "block_number recorded" in report["discrepancies"][0]["detail"]


def test_a_log_rolled_back_below_its_anchors_says_what_it_holds_and_what_was_anchored(
    built: Built,
) -> None:
    with leveldb(built.home / "log") as db:
        db.put(b"m:size", u64(2))
    code, report = audit_json(built.home)
    assert code == 1
    shorter = [d for d in report["discrepancies"] if d["kind"] == "log shorter than anchored"]
    assert shorter, report["discrepancies"]
    for discrepancy in shorter:
        assert discrepancy["detail"].startswith("the log holds 2 leaves but the chain holds its")
        assert "the log was shortened or rolled back" in discrepancy["detail"]
    forged = [d["detail"] for d in report["discrepancies"] if d["kind"] == "checkpoint forged"]
    assert forged
    assert all(detail.startswith("the log holds 2 leaves but this checkpoint") for detail in forged)


def test_a_confirmed_receipt_that_does_not_parse_is_named(built: Built) -> None:
    with leveldb(built.home / "log") as db:
        state = json.loads(db.get(b"a:" + u64(1)))
        state["tx_hash"] = "0x" + state["tx_hash"]
        db.put(b"a:" + u64(1), json.dumps(state, sort_keys=True).encode())
    code, report = audit_json(built.home)
    assert code == 1
    assert named(report) == {"anchor receipt mismatch": ["checkpoint 1"]}
    assert "tx_hash" in report["discrepancies"][0]["detail"]
