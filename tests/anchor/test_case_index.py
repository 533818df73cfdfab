"""The seal leaf and the case index: held to a plain model of the log at every checkpoint.

The model is a list of (case, leaf index) per record and the cases in order of first
appearance; the case index it gives at a checkpoint is the RFC 9162 root (the plain
reference of merkle_reference.py) over the JCS bytes of {case, count, head}.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evanchor.anchor.log.store import (
    LogStore,
    NotARecord,
    StoreError,
    UnsignedRecordRefused,
)
from evanchor.anchor.protocol.seal_leaf import AnchorTarget
from evanchor.anchor.verify.proofs import verify_inclusion

from merkle_reference import mth, path
from samples import prepared

TARGET = AnchorTarget(
    chain_id=7107,
    contract="0x5FbDB2315678afecb367f032d93F642f64180aa3",
    writer="0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    genesis_hash=bytes(range(32)),
)


def _model_entries(records: list[tuple[str, int]], size: int) -> list[bytes]:
    """The JCS bytes of every case's entry in the checkpoint of `size` leaves."""
    order: list[str] = []
    heads: dict[str, tuple[int, int]] = {}
    for case, index in records:
        if index >= size:
            break
        if case not in heads:
            order.append(case)
        heads[case] = (index, heads.get(case, (0, 0))[1] + 1)
    return [
        rfc8785.dumps({"case": case, "count": heads[case][1], "head": heads[case][0]})
        for case in order
    ]


def _seal_json(store: LogStore, seq: int) -> dict[str, Any]:
    checkpoint = store.checkpoint(seq)
    raw = store.raw_entry(checkpoint.size - 1)[0]
    assert raw is not None
    parsed: dict[str, Any] = json.loads(raw)
    assert raw == rfc8785.dumps(parsed)
    return parsed


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    batches=st.lists(st.lists(st.integers(0, 6), min_size=1, max_size=9), min_size=1, max_size=7),
    seal_after=st.lists(st.booleans(), min_size=7, max_size=7),
    reopen_after=st.lists(st.booleans(), min_size=7, max_size=7),
)
def test_every_checkpoint_commits_to_the_case_index_of_the_plain_model(
    tmp_path_factory: pytest.TempPathFactory,
    batches: list[list[int]],
    seal_after: list[bool],
    reopen_after: list[bool],
) -> None:
    """Reopening between appends and seals: the cases changed since the last seal are kept
    in memory and read back from their markers when the log is opened."""
    folder = tmp_path_factory.mktemp("log")
    records: list[tuple[str, int]] = []
    n = 0
    store = LogStore(folder, create=True)
    try:
        for position, cases in enumerate(batches):
            receipts = store.append([prepared(n + i, case=f"K{c}") for i, c in enumerate(cases)])
            records += [(f"collection/K{c}", r.index) for c, r in zip(cases, receipts, strict=True)]
            n += len(cases)
            if reopen_after[position]:
                store.close()
                store = LogStore(folder)
            if seal_after[position] or position == len(batches) - 1:
                store.seal()
    finally:
        store.close()
    with LogStore(folder) as store:  # everything is read back from disk
        for checkpoint in store.checkpoints():
            seal = _seal_json(store, checkpoint.seq)
            entries = _model_entries(records, checkpoint.size)
            assert seal == {
                "anchored_to": None,
                "cases": len(entries),
                "cases_root": mth(entries).hex(),
                "kind": "seal",
                "sealed_at": checkpoint.sealed_at,
                "seq": checkpoint.seq,
                "signed": False,
                "size": checkpoint.size,
                "v": 1,
            }
            for number, entry in enumerate(entries):
                case = json.loads(entry)["case"]
                found = store.case_index_proof(case, checkpoint.seq)
                assert found is not None
                assert (found.number, found.cases) == (number, len(entries))
                assert found.entry.to_bytes() == entry
                assert found.inclusion_proof == path(number, entries)
                verify_inclusion(
                    mth([entry]), number, len(entries), found.inclusion_proof, mth(entries)
                )
            later = {c for c, i in records if i >= checkpoint.size} - {
                json.loads(e)["case"] for e in entries
            }
            for case in later:  # cases that start after this checkpoint are not in it
                assert store.case_index_proof(case, checkpoint.seq) is None


def test_the_seal_leaf_is_the_checkpoints_last_leaf_and_no_record(store: LogStore) -> None:
    store.append([prepared(0), prepared(1, case="C-2")])
    checkpoint = store.seal()
    assert checkpoint is not None
    assert checkpoint.size == 3
    assert [store.is_record_leaf(i) for i in range(3)] == [True, True, False]
    with pytest.raises(NotARecord, match="seal leaf"):
        store.record(2)
    with pytest.raises(NotARecord):
        store.accepted_at(2)
    assert store.seal_leaf(0).cases == 2
    # A seal leaf is the only leaf whose JCS bytes open with its "anchored_to" member.
    assert (store.raw_entry(2)[0] or b"").startswith(b'{"anchored_to":null,"cases":2,')


def test_a_bound_log_commits_to_its_target_and_takes_only_signed_records(store: LogStore) -> None:
    store.bind_anchor_target(TARGET)
    store.bind_anchor_target(TARGET)  # the same again is a no-op
    with pytest.raises(UnsignedRecordRefused, match="takes only records signed"):
        store.append([prepared(0)])
    assert store.size == 0
    store.append([replace(prepared(i), signature=bytes([i + 1]) * 65) for i in range(2)])
    store.seal()
    seal = _seal_json(store, 0)
    assert seal["anchored_to"] == TARGET.as_json()
    assert seal["signed"] is True


def test_a_target_is_bound_before_the_first_seal_only(tmp_path: Path) -> None:
    with LogStore(tmp_path, create=True) as store:
        store.append([prepared(0)])
        store.seal()
        with pytest.raises(StoreError, match="already sealed"):
            store.bind_anchor_target(TARGET)
    other = tmp_path / "other"
    with LogStore(other, create=True) as store:
        store.bind_anchor_target(TARGET)
    with LogStore(other) as store:
        assert store.anchor_target == TARGET
        moved = AnchorTarget(1, TARGET.contract, TARGET.writer, TARGET.genesis_hash)
        with pytest.raises(StoreError, match="cannot be bound"):
            store.bind_anchor_target(moved)


def test_a_log_of_format_1_is_refused(tmp_path: Path) -> None:
    import plyvel  # noqa: PLC0415 - writing a raw store by hand

    db = plyvel.DB(str(tmp_path), create_if_missing=True)
    db.put(b"m:format", b"evanchor-log/1")
    db.close()
    with pytest.raises(StoreError, match="unsupported log format"):
        LogStore(tmp_path)
