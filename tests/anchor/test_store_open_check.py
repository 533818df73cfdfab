"""Opening a log checks its invariants before it takes a write; each broken one is named.

Each case breaks one invariant directly in LevelDB (as a torn write-ahead log, a lost batch
or a tampering would) and checks that `LogStore` refuses to open the log, naming the check,
and that the audit, which opens without the check, still reads it.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from hashlib import sha256
from pathlib import Path

import plyvel
import pytest

from evanchor.anchor.log.audit import audit_log
from evanchor.anchor.log.store import OPEN_CHECK_LEAVES, LogStore, StoreCorrupt, StoreError

from samples import prepared

SIZE = 40


def _u64(value: int) -> bytes:
    return struct.pack(">Q", value)


def _record_key(n: int) -> bytes:
    canonical = prepared(n, case=f"K{n % 3}").canonical
    return b"i:" + sha256(b"evanchor/v1/record-id\x00" + canonical).digest()


@pytest.fixture
def log(tmp_path: Path) -> Path:
    folder = tmp_path / "log"
    with LogStore(folder, create=True) as store:
        store.append([prepared(i, case=f"K{i % 3}") for i in range(25)])
        store.seal()
        store.append([prepared(i, case=f"K{i % 3}") for i in range(25, SIZE)])
        store.seal()
    return folder


def _move_last_case_head(db: plyvel.DB) -> None:
    # The log ends on a seal leaf; the last record is the leaf before it. Its case's state
    # (head leaf, record count, entry number) is made to name an earlier head.
    last = SIZE  # leaves: 25 records, seal leaf 25, records 26..40, seal leaf 41
    case = json.loads(db.get(b"l:" + _u64(last)))["case"].encode()
    key = b"h:" + struct.pack(">H", len(case)) + case
    _, count, number = struct.unpack(">QQQ", db.get(key))
    db.put(key, struct.pack(">QQQ", last - 3, count, number))


def _forge_latest_root(db: plyvel.DB) -> None:
    latest = json.loads(db.get(b"k:" + _u64(1)))
    latest["root"] = "ab" * 32
    db.put(b"k:" + _u64(1), json.dumps(latest).encode())


BREAKS: dict[str, tuple[Callable[[plyvel.DB], None], str]] = {
    # name: (the break, the check that names it)
    "size one too large": (
        lambda db: db.put(b"m:size", _u64(SIZE + 1)),
        "leaves end at the stored size",
    ),
    "size one too small (a leaf beyond it)": (
        lambda db: db.put(b"m:size", _u64(SIZE - 1)),
        "leaves end at the stored size",
    ),
    "a leaf gone": (lambda db: db.delete(b"l:" + _u64(17)), "every leaf present"),
    "a leaf hash altered": (lambda db: db.put(b"n:\x00" + _u64(5), b"\x01" * 32), "leaf hash 5"),
    "a tree node altered": (
        lambda db: db.put(b"n:\x02" + _u64(1), b"\x01" * 32),
        "tree node (2, 1)",
    ),
    "a tree node gone": (lambda db: db.delete(b"n:\x01" + _u64(3)), "every tree node present"),
    "a tree node beyond the size": (
        lambda db: db.put(b"n:\x03" + _u64(SIZE // 8), b"\x01" * 32),
        "tree level 3 within size",
    ),
    "a record id pointing elsewhere": (
        lambda db: db.put(_record_key(3), _u64(7)),
        "record 3's id",
    ),
    "the last leaf not its case's head": (_move_last_case_head, "head of case"),
    "a checkpoint count beyond the checkpoints": (
        lambda db: db.put(b"m:checkpoints", _u64(3)),
        "checkpoints end at the stored count",
    ),
    "the latest checkpoint's root forged": (_forge_latest_root, "checkpoint 1's root"),
}


@pytest.mark.parametrize("name", list(BREAKS))
def test_a_broken_invariant_is_named_and_the_log_is_not_opened(log: Path, name: str) -> None:
    change, check = BREAKS[name]
    db = plyvel.DB(str(log))
    try:
        change(db)
    finally:
        db.close()
    with pytest.raises(StoreCorrupt) as caught:
        LogStore(log)
    assert caught.value.check.startswith(check), caught.value.check
    assert "run `evanchor audit`" in str(caught.value)
    with LogStore(log, check=False) as store:  # as the audit opens it: read-only
        audit_log(store)
        with pytest.raises(StoreError, match="read-only"):
            store.append([prepared(1000)])


def test_an_untouched_log_opens_and_only_the_newest_leaves_are_rederived(tmp_path: Path) -> None:
    """An old leaf broken beyond the window is the audit's to find, not the open's: opening
    costs the same however long the log is."""
    folder = tmp_path / "log"
    total = OPEN_CHECK_LEAVES + 50
    with LogStore(folder, create=True) as store:
        store.append([prepared(i, case=f"K{i % 5}") for i in range(total)])
    db = plyvel.DB(str(folder))
    db.put(b"n:\x00" + _u64(10), b"\x01" * 32)  # below the window
    db.close()
    with LogStore(folder) as store:
        assert store.size == total
        assert not audit_log(store).ok
    db = plyvel.DB(str(folder))
    db.put(b"n:\x00" + _u64(total - OPEN_CHECK_LEAVES), b"\x01" * 32)  # the window's first
    db.close()
    with pytest.raises(StoreCorrupt, match=f"leaf hash {total - OPEN_CHECK_LEAVES}"):
        LogStore(folder)
