"""A full disk never costs an acknowledged record: the store fails closed at the first failed write.

LevelDB appends each write batch to its write-ahead log. When the disk fills in the middle of
one, the log is left with a torn record; LevelDB answers that write with an error but keeps
the handle open, and once space is freed later writes "succeed" behind the torn record —
and are dropped when the log is next opened, which replays the write-ahead log only up to
the tear. So the store must acknowledge nothing after its first failed write until it has
been reopened. These tests fill a real tmpfs (tests/tmpfs.py) and check exactly that.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tmpfs import Filler, small_tmpfs

from evanchor.anchor.log.audit import audit_log
from evanchor.anchor.log.ingest import prepare_record
from evanchor.anchor.log.store import LogStore, LogStoreFailed, PreparedRecord, Receipt

BATCH = 50
LEAVE_BYTES = 3 * 1024 * 1024
"""Free space left on the tmpfs when the test starts writing: a few thousand records."""


def record(n: int) -> PreparedRecord:
    return prepare_record(
        {
            "kind": "collection_checkpoint",
            "case_id": f"C-{n % 7}",
            "agency": "91350100M000100Y43",
            "debtor_ref": "debtor-7f3a9c",
            "event": "call",
            "occurred_at": "2026-11-29T10:15:00+08:00",
            "channel": "phone",
            "operator_id": f"op-{n}",
            "notes": "x" * 400,
        }
    )


def fill_until_refused(store: LogStore, ledger: dict[bytes, Receipt]) -> LogStoreFailed:
    """Append batches until the store refuses one; every receipt it gave goes in `ledger`."""
    n = store.size
    for _ in range(100_000):
        try:
            receipts = store.append([record(n + i) for i in range(BATCH)])
        except LogStoreFailed as failure:
            return failure
        ledger.update((r.record_id, r) for r in receipts)
        n += BATCH
    raise AssertionError("the disk never filled")


def test_after_a_failed_write_nothing_is_acknowledged_until_reopen(tmp_path: Path) -> None:
    with small_tmpfs(tmp_path / "disk", 30) as disk:
        reserve = disk / "reserve"
        reserve.write_bytes(b"\0" * (8 << 20))  # space the test frees before reopening
        filler = Filler(disk, leave=LEAVE_BYTES)
        ledger: dict[bytes, Receipt] = {}
        store = LogStore(disk / "log", create=True)
        failure = fill_until_refused(store, ledger)
        assert ledger, "the store should have acknowledged records before the disk filled"
        assert "No space left on device" in failure.reason
        assert store.failure is not None
        assert str(store.failure).startswith("log store failed: ")
        size_at_failure = store.size
        assert size_at_failure == len(ledger)

        filler.remove()  # space is back, but the write-ahead log still has its torn record
        late = [record(10**6 + i) for i in range(BATCH)]
        with pytest.raises(LogStoreFailed):
            store.append(late)
        with pytest.raises(LogStoreFailed):
            store.seal()
        with pytest.raises(LogStoreFailed):
            store.put_meta("probe", {"x": 1})
        assert store.size == size_at_failure
        store.close()

        reserve.unlink()
        with LogStore(disk / "log") as reopened:
            assert reopened.failure is None
            assert reopened.size >= len(ledger)
            for record_id, receipt in ledger.items():
                assert reopened.index_of(record_id) == receipt.index
                assert reopened.leaf_hash(receipt.index) == receipt.leaf_hash
            # Writes go on after the acknowledged records: no index is handed out twice.
            fresh = reopened.append(late)
            assert min(r.index for r in fresh) >= len(ledger)
            assert reopened.seal() is not None
            report = audit_log(reopened, receipts=list(ledger.values()))
            assert report.ok, [str(d) for d in report.discrepancies]
            assert report.counts["receipts checked"] == len(ledger)
