"""The incremental audit: resumed from an earlier clean audit's state, it re-reads only what
was added, finds what the full audit finds there, holds the audited past to the state, and
says what it trusted.

The plain reference is the full audit of the grown log: the state an incremental audit
leaves must be the one a full audit leaves, and a tampering of the new part must be named as
the full audit names it.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import plyvel
import pytest
import rfc8785
from audit_helpers import (
    Built,
    anchored_copy,
    audit_json,
    collector_batch,
    ok,
    run,
    submit,
    u64,
)

from evanchor.anchor.log.audit import AuditReport
from evanchor.anchor.log.audit_state import (
    AuditState,
    LoadedState,
    StateFileInvalid,
    read_state,
    write_state,
)
from evanchor.anchor.log.parallel_audit import audit_log_parallel
from evanchor.anchor.log.store import LogStore

from samples import prepared


def _grow(folder: Path, low: int, high: int, batch: int = 5) -> None:
    with LogStore(folder, create=True) as store:
        for start in range(low, high, batch):
            store.append([prepared(i, case=f"K{i % 4}") for i in range(start, start + batch)])
            store.seal()


def _audit(folder: Path, resume: LoadedState | None = None) -> AuditReport:
    with LogStore(folder, check=False) as store:
        return audit_log_parallel(store, workers=1, resume=resume, keep_state=True)


def _state_after_first_audit(tmp_path: Path) -> tuple[Path, LoadedState]:
    """A log of 20 records (4 checkpoints), audited clean, its state written and read back;
    then 15 more records (3 checkpoints)."""
    folder = tmp_path / "log"
    _grow(folder, 0, 20)
    first = _audit(folder)
    assert first.ok
    assert first.next_state is not None
    write_state(tmp_path / "state.gz", first.next_state)
    _grow(folder, 20, 35)
    return folder, read_state(tmp_path / "state.gz")


def _without_time(state: AuditState | None) -> AuditState:
    assert state is not None
    return replace(state, audited_at="")


def test_a_resumed_audit_leaves_the_state_a_full_audit_leaves(tmp_path: Path) -> None:
    folder, loaded = _state_after_first_audit(tmp_path)
    resumed = _audit(folder, loaded)
    full = _audit(folder)
    assert resumed.ok, resumed.discrepancies
    assert _without_time(resumed.next_state) == _without_time(full.next_state)
    assert resumed.roots == full.roots
    assert resumed.counts["leaves"] == 15 + 3  # only what was added: records and seal leaves
    assert resumed.counts["checkpoints"] == 3
    assert resumed.resumed is not None
    assert resumed.resumed.as_json() == {
        "state_sha256": loaded.sha256,
        "audited_at": loaded.state.audited_at,
        "audited_checkpoint": 3,
        "audited_leaves": 24,
        "checked_leaves": [24, 42],
        "checked_checkpoints": [4, 6],
    }
    with LogStore(folder, check=False) as store:  # and on two processes, the same
        assert audit_log_parallel(store, workers=2, resume=loaded).as_json() == resumed.as_json()


def test_resuming_twice_chains_the_states(tmp_path: Path) -> None:
    folder, loaded = _state_after_first_audit(tmp_path)
    second = _audit(folder, loaded)
    assert second.next_state is not None
    write_state(tmp_path / "state.gz", second.next_state)
    _grow(folder, 35, 45)
    third = _audit(folder, read_state(tmp_path / "state.gz"))
    assert third.ok, third.discrepancies
    assert _without_time(third.next_state) == _without_time(_audit(folder).next_state)


def _tamper(folder: Path, change: Callable[[plyvel.DB], None]) -> None:
    db = plyvel.DB(str(folder))
    try:
        change(db)
    finally:
        db.close()


def _alter_new_record(db: plyvel.DB) -> None:
    record = json.loads(db.get(b"r:" + u64(30)))
    record["operator_id"] = "op-forged"
    db.put(b"r:" + u64(30), rfc8785.dumps(record))


def _reorder_new(db: plyvel.DB) -> None:
    for prefix in (b"l:", b"r:", b"s:", b"n:\x00"):
        first, second = db.get(prefix + u64(25)), db.get(prefix + u64(27))
        db.put(prefix + u64(25), second)
        db.put(prefix + u64(27), first)


def _forge_new_checkpoint(db: plyvel.DB) -> None:
    checkpoint = json.loads(db.get(b"k:" + u64(5)))
    checkpoint["root"] = "ab" * 32
    db.put(b"k:" + u64(5), json.dumps(checkpoint).encode())


def _forge_new_seal_leaf(db: plyvel.DB) -> None:
    leaf = json.loads(db.get(b"l:" + u64(29)))
    leaf["cases"] = 9
    db.put(b"l:" + u64(29), rfc8785.dumps(leaf))


def _new_tree_node(db: plyvel.DB) -> None:
    db.put(b"n:\x01" + u64(13), b"\x01" * 32)


@pytest.mark.parametrize(
    "change",
    [_alter_new_record, _reorder_new, _forge_new_checkpoint, _forge_new_seal_leaf, _new_tree_node],
)
def test_a_tampering_of_the_new_part_is_named_as_the_full_audit_names_it(
    tmp_path: Path, change: Callable[[plyvel.DB], None]
) -> None:
    folder, loaded = _state_after_first_audit(tmp_path)
    _tamper(folder, change)
    resumed, full = _audit(folder, loaded), _audit(folder)
    assert not resumed.ok
    assert resumed.next_state is None  # a failed audit leaves no state to resume from
    # The same discrepancies; the tree's are found leaf by leaf here, level by level there.
    assert sorted(map(str, resumed.discrepancies)) == sorted(map(str, full.discrepancies))


def test_a_forged_audited_checkpoint_is_named_with_what_was_trusted(tmp_path: Path) -> None:
    folder, loaded = _state_after_first_audit(tmp_path)

    def forge(db: plyvel.DB) -> None:
        checkpoint = json.loads(db.get(b"k:" + u64(1)))
        checkpoint["root"] = "cd" * 32
        db.put(b"k:" + u64(1), json.dumps(checkpoint).encode())

    _tamper(folder, forge)
    resumed = _audit(folder, loaded)
    [found] = resumed.discrepancies
    assert (found.kind, found.where) == ("checkpoint forged", "checkpoint 1")
    assert f"state file sha256 {loaded.sha256}" in found.detail
    assert "cd" * 32 in found.detail


def test_an_altered_subtree_of_the_audited_part_is_named(tmp_path: Path) -> None:
    folder, loaded = _state_after_first_audit(tmp_path)
    _tamper(folder, lambda db: db.put(b"n:\x04" + u64(0), b"\x02" * 32))  # leaves 0..15
    kinds = {(d.kind, d.where) for d in _audit(folder, loaded).discrepancies}
    assert ("tree altered", "tree node (4, 0)") in kinds


def test_an_old_record_rewritten_in_place_is_beyond_an_incremental_audit(tmp_path: Path) -> None:
    """What the state's trust costs, as audit_state.py says: an old record's text is not
    re-read. The full audit names it."""
    folder, loaded = _state_after_first_audit(tmp_path)

    def rewrite(db: plyvel.DB) -> None:
        record = json.loads(db.get(b"r:" + u64(3)))
        record["operator_id"] = "op-rewritten"
        db.put(b"r:" + u64(3), rfc8785.dumps(record))

    _tamper(folder, rewrite)
    assert _audit(folder, loaded).ok
    first = _audit(folder).discrepancies[0]
    assert (first.kind, first.where) == ("record altered", "leaf 3")


def test_a_log_shorter_than_audited_is_named(tmp_path: Path) -> None:
    _, loaded = _state_after_first_audit(tmp_path)
    _grow(tmp_path / "other", 0, 10)
    report = _audit(tmp_path / "other", loaded)
    assert ("log shorter than audited", "checkpoint 2") in {
        (d.kind, d.where) for d in report.discrepancies
    }
    assert report.resumed is not None
    assert report.resumed.state_sha256 == loaded.sha256  # what was trusted, still said
    assert report.resumed.checked_leaves is None


def test_a_shredding_since_the_audit_is_listed_and_carried_on(tmp_path: Path) -> None:
    folder, loaded = _state_after_first_audit(tmp_path)
    with LogStore(folder) as store:
        store.shred(2, reason="deletion request DR-9")
    resumed = _audit(folder, loaded)
    assert resumed.ok, resumed.discrepancies
    assert [s.leaf for s in resumed.shredded] == [2]
    assert _without_time(resumed.next_state) == _without_time(_audit(folder).next_state)


@pytest.mark.parametrize(
    ("content", "fault"),
    [
        (b"not gzip", "not gzip-compressed JSON"),
        (None, "not an audit state file"),
    ],
)
def test_a_bad_state_file_is_refused_in_one_line(
    tmp_path: Path, content: bytes | None, fault: str
) -> None:
    path = tmp_path / "state.gz"
    path.write_bytes(content if content is not None else gzip.compress(b'{"format": "x"}'))
    with pytest.raises(StateFileInvalid) as caught:
        read_state(path)
    assert str(caught.value).startswith("state.gz: ")
    assert fault in str(caught.value)


# -- through the command, on an anchored node ---------------------------------------------


@pytest.fixture
def built(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Built:
    return anchored_copy(tmp_path_factory, tmp_path)


def test_audit_state_through_the_command(built: Built, tmp_path: Path) -> None:
    state = tmp_path / "audit-state.gz"
    first = run(built.home, "audit", "--state", str(state))
    assert first.exit_code == 0, first.output
    [saved] = [line for line in first.output.splitlines() if line.startswith("state saved")]
    digest = saved.split("sha256 ")[1].split(" ")[0]
    assert digest == read_state(state).sha256
    assert "checkpoints 0..2" in saved

    batch = collector_batch(tmp_path, 4, case="C-2026-000300")
    submit(built.home, batch, built.collector, built.password)
    ok(built.home, "seal")
    code, report = audit_json(built.home, "--state", str(state))
    assert code == 0, report["discrepancies"]
    assert report["resumed"]["state_sha256"] == digest
    assert report["resumed"]["checked_checkpoints"] == [3, 3]
    assert report["counts"]["leaves"] == 5  # four records and the seal leaf
    assert report["counts"]["signatures checked"] == 4
    assert report["counts"]["anchors on chain"] == 2  # the anchors, all held to audited roots
    assert report["state_saved"]["sha256"] == read_state(state).sha256 != digest

    text = run(built.home, "audit", "--state", str(state)).output
    assert f"were audited at {read_state(state).state.audited_at} (state file sha256" in text
    assert "state not saved: no checkpoint was sealed since" in text

    receipts = tmp_path / "receipts.json"
    receipts.write_text('{"receipts": []}')
    refused = run(built.home, "audit", "--state", str(state), "--receipts", str(receipts))
    assert refused.exit_code == 2
    assert "--receipts needs a full audit" in refused.output
