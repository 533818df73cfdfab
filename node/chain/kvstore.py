"""py-evm's database interface over a plain key-value store, with one write per block.

py-evm writes state-trie nodes, headers, bodies, receipts and lookup keys through many
separate calls, some inside its own `atomic_batch()` blocks. To make a whole block land
atomically, `StagedAtomicDB.block_write()` stages every write made during the block —
direct writes and nested `atomic_batch()` commits alike — in memory (reads see them), and
hands the lot to the backend as one batch when the block is done. An exception inside the
scope drops the staged writes, so nothing half-built ever reaches the store.

Backends implement four primitives (`_load`, `_store_one`, `_store_batch`, `close`);
`MemoryKV` is the in-memory one (tests, benchmarks), `evanchor.node.chain.leveldb.LevelDB` the
durable one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from eth.abc import AtomicWriteBatchAPI
from eth.db.backends.base import BaseAtomicDB, BaseDB

# A staged change: the new value, or None for a deletion.
Changes = dict[bytes, bytes | None]


class StagedAtomicDB(BaseAtomicDB):
    """An `AtomicDatabaseAPI` whose `block_write()` scope commits as one backend batch.

    One owner (the chain) writes it. Reads from other threads are safe while the owner
    writes: a read sees the stored value or one staged by the block in progress, and the
    chain reads from other threads only content-addressed keys, whose value is the same
    either way (see `EmbeddedChain`).
    """

    def __init__(self) -> None:
        self._staged: Changes | None = None

    # -- backend primitives -------------------------------------------------------------

    def _load(self, key: bytes) -> bytes | None:
        raise NotImplementedError

    def _store_one(self, key: bytes, value: bytes | None) -> None:
        raise NotImplementedError

    def _store_batch(self, changes: Mapping[bytes, bytes | None]) -> None:
        """Apply every change or none (the backend's atomicity guarantee)."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    # -- py-evm database interface ------------------------------------------------------

    def _read(self, key: bytes) -> bytes | None:
        # One read of the attribute: the owner may end the block scope meanwhile.
        staged = self._staged
        if staged is not None and key in staged:
            return staged[key]
        return self._load(key)

    def __getitem__(self, key: bytes) -> bytes:
        value = self._read(key)
        if value is None:
            raise KeyError(key)
        return value

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self._apply({key: value})

    def __delitem__(self, key: bytes) -> None:
        if self._read(key) is None:
            raise KeyError(key)
        self._apply({key: None})

    def _exists(self, key: bytes) -> bool:
        return self._read(key) is not None

    @contextmanager
    def atomic_batch(self) -> Iterator[AtomicWriteBatchAPI]:
        batch = _WriteBatch(self)
        try:
            yield batch
        except BaseException:
            batch.discard()
            raise
        self._apply(batch.take_changes())

    # -- the block scope ----------------------------------------------------------------

    @property
    def in_block_write(self) -> bool:
        return self._staged is not None

    @contextmanager
    def block_write(self) -> Iterator[None]:
        """Stage every write until the scope ends, then store them in one atomic batch.

        Requires: no enclosing `block_write()` scope (they do not nest).
        """
        if self._staged is not None:
            raise RuntimeError("block_write() scopes do not nest")
        self._staged = {}
        try:
            yield
        except BaseException:
            self._staged = None
            raise
        staged, self._staged = self._staged, None
        if staged:
            self._store_batch(staged)

    def _apply(self, changes: Changes) -> None:
        if self._staged is not None:
            self._staged.update(changes)
        elif len(changes) == 1:
            ((key, value),) = changes.items()
            self._store_one(key, value)
        elif changes:
            self._store_batch(changes)


class _WriteBatch(BaseDB, AtomicWriteBatchAPI):
    """The view handed out by `atomic_batch()`: reads see its own writes first."""

    def __init__(self, target: StagedAtomicDB) -> None:
        self._target: StagedAtomicDB | None = target
        self._changes: Changes = {}

    def _live_target(self) -> StagedAtomicDB:
        if self._target is None:
            raise RuntimeError("write batch used outside its atomic_batch() context")
        return self._target

    def _read(self, key: bytes) -> bytes | None:
        target = self._live_target()
        if key in self._changes:
            return self._changes[key]
        return target._read(key)

    def __getitem__(self, key: bytes) -> bytes:
        value = self._read(key)
        if value is None:
            raise KeyError(key)
        return value

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self._live_target()
        self._changes[key] = value

    def __delitem__(self, key: bytes) -> None:
        if self._read(key) is None:
            raise KeyError(key)
        self._changes[key] = None

    def _exists(self, key: bytes) -> bool:
        return self._read(key) is not None

    def take_changes(self) -> Changes:
        changes = self._changes
        self.discard()
        return changes

    def discard(self) -> None:
        self._changes = {}
        self._target = None


class MemoryKV(StagedAtomicDB):
    """The in-memory backend: a dict. For tests and benchmarks; nothing survives."""

    def __init__(self) -> None:
        super().__init__()
        self._data: dict[bytes, bytes] = {}

    def _load(self, key: bytes) -> bytes | None:
        return self._data.get(key)

    def _store_one(self, key: bytes, value: bytes | None) -> None:
        self._store_batch({key: value})

    def _store_batch(self, changes: Mapping[bytes, bytes | None]) -> None:
        for key, value in changes.items():
            if value is None:
                self._data.pop(key, None)
            else:
                self._data[key] = value

    def close(self) -> None:
        self._data = {}
