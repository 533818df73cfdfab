"""Opening every LevelDB table at start: the first keys read from `leveldb.sstables`."""

from __future__ import annotations

import random
from pathlib import Path

import plyvel

from evanchor.anchor.log.leveldb_tables import table_first_keys
from evanchor.anchor.log.store import LogStore

from samples import prepared

SSTABLES = (
    b"--- level 0 ---\n"
    b" 5:5033057['c:\\x00\\x15collection/C-0\\x00\\x00' @ 6 : 1 .. 'y:\\x00\\x15C' @ 133 : 1]\n"
    b"--- level 1 ---\n"
    b" 7:2150676['l:\\x00\\x00\\x00\\x00\\x00\\x01\\x86\\xa0' @ 90 : 1 .. 'l:\\xff' @ 91 : 0]\n"
    b" 9:2048['k:it's \\x7f' @ 12 : 1 .. 'n:' @ 13 : 1]\n"
    b"--- level 2 ---\n"
)


def test_the_first_keys_are_read_back_from_leveldbs_escaped_listing() -> None:
    assert table_first_keys(SSTABLES) == [
        b"c:\x00\x15collection/C-0\x00\x00",
        b"l:\x00\x00\x00\x00\x00\x01\x86\xa0",
        b"k:it's \x7f",
    ]


def test_nothing_listed_gives_no_keys() -> None:
    assert table_first_keys(b"") == []
    assert table_first_keys(b"--- level 0 ---\n--- level 1 ---\n") == []


def test_each_tables_first_key_is_found_in_a_database_of_many_tables(tmp_path: Path) -> None:
    rng = random.Random(7)
    written: dict[bytes, bytes] = {}
    db = plyvel.DB(str(tmp_path / "db"), create_if_missing=True, write_buffer_size=64 * 1024)
    try:
        for _ in range(20_000):  # binary keys with every byte value, as the store's are
            key = bytes(rng.randrange(256) for _ in range(12))
            written[key] = rng.randbytes(40)
            db.put(key, written[key])
        db.compact_range()
        keys = table_first_keys(db.get_property(b"leveldb.sstables") or b"")
        assert len(keys) == len(list((tmp_path / "db").glob("*.ldb"))) > 1
        assert min(keys) == min(written)
        # a key holding a backslash, `x` and two hex digits is read back wrongly (its table
        # is then opened on first use); every other table's first key is a stored key
        found = [key for key in keys if key in written]
        assert len(found) >= len(keys) - 1
        assert all(db.get(key) == written[key] for key in found)
    finally:
        db.close()


def test_a_store_opens_each_of_its_tables(tmp_path: Path) -> None:
    with LogStore(tmp_path, create=True) as store:
        store.append([prepared(i) for i in range(50)])
        store.seal()
    with LogStore(tmp_path) as store:  # reopening writes the replayed log into a table
        tables = len(list(tmp_path.glob("*.ldb")))
        assert tables >= 1
        assert store.open_tables() == tables
        assert store.record_count == 50
