"""The LevelDB log store: appends, roots and proofs at every size, cases, checkpoints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evanchor.anchor.log.ingest import prepare_record
from evanchor.anchor.log.store import LogStore, RecordNotFound, StoreBusy, StoreError
from evanchor.anchor.verify.proofs import verify_consistency, verify_inclusion

from merkle_reference import mth, path, proof
from samples import numbered_record, prepared


def _leaves(store: LogStore) -> list[bytes]:
    """Every leaf as stored, record leaves and seal leaves alike."""
    leaves = [store.raw_entry(i)[0] for i in range(store.size)]
    assert all(leaf is not None for leaf in leaves)
    return [leaf for leaf in leaves if leaf is not None]


def test_empty_store(store: LogStore) -> None:
    assert store.size == 0
    assert store.root() == mth([])
    assert store.latest_checkpoint() is None
    assert store.seal() is None


def test_roots_and_proofs_at_every_size_match_the_reference(store: LogStore) -> None:
    for n in range(37):
        store.append([prepared(n, case=f"C-{n % 3}")])
    leaves = _leaves(store)
    for size in range(store.size + 1):
        assert store.root(size) == mth(leaves[:size])
    for size in (1, 2, 7, 16, 31, 37):
        for index in range(size):
            assert store.inclusion_proof(index, size) == path(index, leaves[:size])
        for old in range(1, size + 1):
            assert store.consistency_proof(old, size) == proof(old, leaves[:size])


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=st.lists(st.integers(1, 9), min_size=1, max_size=8), data=st.data())
def test_batched_appends_then_reopen_give_verifiable_proofs(
    tmp_path_factory: pytest.TempPathFactory, batches: list[int], data: Any
) -> None:
    folder = tmp_path_factory.mktemp("log")
    n = 0
    with LogStore(folder, create=True) as store:
        for count in batches:
            store.append([prepared(n + i) for i in range(count)])
            n += count
    with LogStore(folder) as reopened:
        assert reopened.size == n
        leaves = _leaves(reopened)
        root = reopened.root()
        assert root == mth(leaves)
        index = data.draw(st.integers(0, n - 1))
        verify_inclusion(
            reopened.leaf_hash(index), index, n, reopened.inclusion_proof(index, n), root
        )
        old = data.draw(st.integers(1, n))
        verify_consistency(old, n, reopened.root(old), root, reopened.consistency_proof(old, n))


def test_resubmission_returns_the_first_receipt_and_adds_no_leaf(store: LogStore) -> None:
    first = store.append([prepared(1), prepared(2)])
    # Same record, new salt: still the same record.
    again = prepare_record(numbered_record(1), salt=b"\x07" * 32)
    second = store.append([again, again])
    assert store.size == 2
    assert [r.duplicate for r in second] == [True, True]
    assert second[0].index == first[0].index
    assert second[0].leaf_hash == first[0].leaf_hash
    assert second[0].accepted_at == first[0].accepted_at


def test_duplicate_within_one_batch_is_appended_once(store: LogStore) -> None:
    receipts = store.append([prepared(5), prepared(5), prepared(6)])
    assert [r.index for r in receipts] == [0, 0, 1]
    assert [r.duplicate for r in receipts] == [False, True, False]
    assert store.size == 2


def test_case_links_chain_each_case_in_order(store: LogStore) -> None:
    store.append([prepared(0, "A"), prepared(1, "B"), prepared(2, "A")])
    store.append([prepared(3, "A"), prepared(4, "B")])
    assert store.case_indices("collection/A") == [0, 2, 3]
    assert store.case_indices("collection/B") == [1, 4]
    prevs = [store.record(i).envelope["prev"] for i in range(5)]
    assert prevs == [None, None, 0, 2, 1]
    assert sorted(store.cases()) == ["collection/A", "collection/B"]


def test_records_are_found_by_id_and_unique_prefix(store: LogStore) -> None:
    receipts = store.append([prepared(i) for i in range(3)])
    for receipt in receipts:
        assert store.find_record_id(receipt.record_id.hex()[:12]) == receipt.record_id
        assert store.index_of(receipt.record_id) == receipt.index
    with pytest.raises(RecordNotFound, match="at least 8 hex"):
        store.find_record_id("abc")
    with pytest.raises(RecordNotFound):
        store.find_record_id("00000000deadbeef")
    with pytest.raises(RecordNotFound):
        store.record(3)


def test_seal_records_checkpoints_only_when_something_is_new(store: LogStore) -> None:
    store.append([prepared(0), prepared(1)])
    first = store.seal()
    assert first is not None
    # Two records and the seal leaf, which is the checkpoint's last leaf.
    assert (first.seq, first.size, first.root) == (0, 3, store.root())
    assert not store.is_record_leaf(2)
    assert store.seal() is None
    store.append([prepared(2)])
    assert store.unsealed()[0] == 1
    second = store.seal()
    assert second is not None
    assert (second.seq, second.size) == (1, 5)
    assert [c.size for c in store.checkpoints()] == [3, 5]
    assert store.unsealed() == (0, None)


def test_checkpoints_survive_reopen(tmp_path: Path) -> None:
    with LogStore(tmp_path, create=True) as store:
        store.append([prepared(0)])
        sealed = store.seal()
    with LogStore(tmp_path) as store:
        assert store.latest_checkpoint() == sealed
        assert store.checkpoint_count == 1


def test_a_second_process_cannot_open_the_same_log(store: LogStore) -> None:
    with pytest.raises(StoreBusy, match="another process"):
        LogStore(store.path)


def test_opening_a_missing_log_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="evanchor init"):
        LogStore(tmp_path / "nothing")


def test_proofs_outside_the_log_are_refused(store: LogStore) -> None:
    store.append([prepared(0), prepared(1)])
    with pytest.raises(StoreError):
        store.inclusion_proof(2, 2)
    with pytest.raises(StoreError):
        store.consistency_proof(1, 3)
    with pytest.raises(StoreError):
        store.root(3)


def test_threads_sharing_a_store_see_consistent_roots(store: LogStore) -> None:
    import threading  # noqa: PLC0415

    errors: list[BaseException] = []
    roots: list[tuple[int, bytes]] = []

    def writer(offset: int) -> None:
        try:
            for n in range(offset, offset + 200, 10):
                store.append([prepared(n + i) for i in range(10)])
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    def reader() -> None:
        try:
            for _ in range(300):
                size = store.size
                roots.append((size, store.root(size)))
                store.seal()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(o,)) for o in (0, 1000)]
    threads.append(threading.Thread(target=reader))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert store.size == 400 + store.checkpoint_count  # one seal leaf per checkpoint
    leaves = _leaves(store)
    for size, root in roots:
        assert root == mth(leaves[:size])
    for checkpoint in store.checkpoints():
        assert checkpoint.root == mth(leaves[: checkpoint.size])
