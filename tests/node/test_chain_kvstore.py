"""One suite for every database backend: the in-memory one and LevelDB."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from evanchor.node.chain.errors import DatabaseLocked, DataDirError
from evanchor.node.chain.kvstore import MemoryKV, StagedAtomicDB
from evanchor.node.chain.leveldb import LevelDB


@pytest.fixture(params=["memory", "leveldb"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StagedAtomicDB]:
    backend: StagedAtomicDB = MemoryKV() if request.param == "memory" else LevelDB(tmp_path / "db")
    yield backend
    backend.close()


def test_set_get_delete(db: StagedAtomicDB) -> None:
    db[b"k"] = b"v"
    assert db[b"k"] == b"v"
    assert db.exists(b"k")
    del db[b"k"]
    assert not db.exists(b"k")
    with pytest.raises(KeyError):
        _ = db[b"k"]
    with pytest.raises(KeyError):
        del db[b"k"]
    db.delete(b"k")  # deleting a missing key through .delete() is allowed


def test_atomic_batch_commits_all_or_nothing(db: StagedAtomicDB) -> None:
    db[b"keep"] = b"1"
    with db.atomic_batch() as batch:
        batch[b"a"] = b"1"
        del batch[b"keep"]
        assert batch[b"a"] == b"1"
        assert not batch.exists(b"keep")
        assert not db.exists(b"a")  # not visible outside before commit
    assert db[b"a"] == b"1"
    assert not db.exists(b"keep")

    def abandon() -> None:
        with db.atomic_batch() as batch:
            batch[b"b"] = b"2"
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        abandon()
    assert not db.exists(b"b")


def test_block_write_stages_direct_and_batched_writes(db: StagedAtomicDB) -> None:
    with db.block_write():
        db[b"x"] = b"1"
        with db.atomic_batch() as batch:
            batch[b"y"] = b"2"
        assert db[b"x"] == b"1"
        assert db[b"y"] == b"2"
        assert db.in_block_write
    assert db[b"x"] == b"1"
    assert db[b"y"] == b"2"
    assert not db.in_block_write


def test_block_write_drops_everything_on_error(db: StagedAtomicDB) -> None:
    db[b"x"] = b"old"

    def abandon() -> None:
        with db.block_write():
            db[b"x"] = b"new"
            db[b"z"] = b"3"
            with db.atomic_batch() as batch:
                batch[b"w"] = b"4"
            raise ValueError("abandon")

    with pytest.raises(ValueError, match="abandon"):
        abandon()
    assert db[b"x"] == b"old"
    assert not db.exists(b"z")
    assert not db.exists(b"w")


def test_block_write_does_not_nest(db: StagedAtomicDB) -> None:
    with db.block_write(), pytest.raises(RuntimeError, match="nest"), db.block_write():
        pass


def test_batch_outside_its_context_is_refused(db: StagedAtomicDB) -> None:
    with db.atomic_batch() as batch:
        batch[b"a"] = b"1"
    with pytest.raises(RuntimeError, match="outside"):
        batch[b"b"] = b"2"


def test_leveldb_persists_across_reopen(tmp_path: Path) -> None:
    first = LevelDB(tmp_path / "db")
    with first.block_write():
        first[b"k"] = b"v"
    first.close()
    second = LevelDB(tmp_path / "db")
    assert second[b"k"] == b"v"
    second.close()


def test_leveldb_refuses_a_second_opener(tmp_path: Path) -> None:
    first = LevelDB(tmp_path / "db")
    try:
        with pytest.raises(DataDirError, match="cannot open"):
            LevelDB(tmp_path / "db")
    finally:
        first.close()


def test_a_held_lock_is_told_by_its_type_not_its_text(tmp_path: Path) -> None:
    """The second opener in this process gets `DatabaseLocked`; a database that cannot be
    opened for another reason is a plain `DataDirError`, even under a path that spells
    "lock" (`blocks/`), which a match on the message's text took for a lock."""
    with contextlib.closing(LevelDB(tmp_path / "db")), pytest.raises(DatabaseLocked):
        LevelDB(tmp_path / "db")
    missing = tmp_path / "blocks" / "db"
    with pytest.raises(DataDirError) as refused:
        LevelDB(missing, create=False)
    assert not isinstance(refused.value, DatabaseLocked)
