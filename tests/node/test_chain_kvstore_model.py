"""Property test: every backend behaves like a plain dict under random writes and scopes."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from evanchor.node.chain.kvstore import MemoryKV, StagedAtomicDB
from evanchor.node.chain.leveldb import LevelDB

KEYS = st.binary(min_size=1, max_size=3)
VALUES = st.binary(max_size=8)
# An operation: ("set", k, v), ("del", k), or a scope ("block"/"batch", ops, abandon?).
WRITE = st.one_of(
    st.tuples(st.just("set"), KEYS, VALUES),
    st.tuples(st.just("del"), KEYS),
)
SCOPE = st.tuples(st.sampled_from(["block", "batch"]), st.lists(WRITE, max_size=6), st.booleans())
OPERATIONS = st.lists(st.one_of(WRITE, SCOPE), max_size=12)


class Abandon(Exception):
    pass


def _write(target: Any, model: dict[bytes, bytes], op: tuple[Any, ...]) -> None:
    """Apply one write to `target` (a database or a write batch) and to the model."""
    if op[0] == "set":
        target[op[1]] = op[2]
        model[op[1]] = op[2]
    else:
        target.delete(op[1])
        model.pop(op[1], None)


def _apply(
    db: StagedAtomicDB, model: dict[bytes, bytes], operations: list[tuple[object, ...]]
) -> None:
    for op in operations:
        if op[0] in ("set", "del"):
            _write(db, model, op)
            continue
        kind, writes, abandon = op
        assert isinstance(writes, list)
        scratch = dict(model)
        try:
            if kind == "block":
                with db.block_write():
                    for write in writes:
                        _write(db, scratch, write)
                    if abandon:
                        raise Abandon
            else:
                with db.atomic_batch() as batch:
                    for write in writes:
                        _write(batch, scratch, write)
                    if abandon:
                        raise Abandon
        except Abandon:
            continue
        model.clear()
        model.update(scratch)


def _check(db: StagedAtomicDB, model: dict[bytes, bytes], keys: set[bytes]) -> None:
    for key in keys:
        assert db.exists(key) == (key in model)
        if key in model:
            assert db[key] == model[key]


def _keys(operations: list[tuple[object, ...]]) -> set[bytes]:
    found: set[bytes] = set()
    for op in operations:
        if op[0] in ("set", "del"):
            found.add(op[1])  # type: ignore[arg-type]
        else:
            found |= {write[1] for write in op[1]}  # type: ignore[union-attr, misc]
    return found


@settings(max_examples=60, deadline=None)
@given(OPERATIONS)
def test_memory_backend_matches_a_dict(operations: list[tuple[object, ...]]) -> None:
    db = MemoryKV()
    model: dict[bytes, bytes] = {}
    _apply(db, model, operations)
    _check(db, model, _keys(operations))


@settings(max_examples=15, deadline=None)
@given(OPERATIONS)
def test_leveldb_backend_matches_a_dict_across_reopen(operations: list[tuple[object, ...]]) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "db"
        db = LevelDB(path)
        model: dict[bytes, bytes] = {}
        try:
            _apply(db, model, operations)
            _check(db, model, _keys(operations))
        finally:
            db.close()
        reopened = LevelDB(path)
        try:
            _check(reopened, model, _keys(operations))
        finally:
            reopened.close()
