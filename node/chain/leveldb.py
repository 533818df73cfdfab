"""The durable backend: LevelDB through plyvel.

Every write reaches the disk with ``sync=True`` (scratch databases excepted) and every
block is one LevelDB write batch (see `evanchor.node.chain.kvstore`), so after a crash —
kill -9 included — the database holds exactly the blocks whose batch completed: LevelDB
replays its write-ahead log whole batches at a time.

LevelDB allows one process per database; a second opener gets `DatabaseInUse` (naming the
process that holds it, where /proc/locks says), `DatabaseLocked` (held, by no other process
/proc/locks names) or `DataDirError`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import plyvel

from evanchor.node.chain.errors import DatabaseInUse, DatabaseLocked, DataDirError
from evanchor.node.chain.kvstore import StagedAtomicDB

PROC_LOCKS = Path("/proc/locks")


class LevelDB(StagedAtomicDB):
    """py-evm's atomic database interface over one LevelDB directory."""

    def __init__(self, path: Path, *, create: bool = True, sync: bool = True) -> None:
        """`sync=False` is for scratch databases only (an audit's replay, deleted when it
        ends): their writes need not survive a crash. Skipping the fsync of every block
        replays 1.18x faster on a quiet machine, 1.07x with a core loaded (medians,
        benchmarks/replay_scratch.py)."""
        super().__init__()
        self.path = path
        self._sync = sync
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db: plyvel.DB | None = plyvel.DB(str(path), create_if_missing=create)
        except plyvel.IOError as error:
            holder = lock_holder(path / "LOCK")
            if holder is not None and holder != os.getpid():
                raise DatabaseInUse(path, holder) from error
            reason = f"cannot open the chain database ({error})"
            if holder is not None or _names_lock(error, path):
                raise DatabaseLocked(path, reason) from error
            raise DataDirError(path, reason) from error
        except plyvel.Error as error:
            raise DataDirError(path, f"not a usable chain database ({error})") from error

    def _handle(self) -> plyvel.DB:
        if self._db is None:
            raise RuntimeError(f"{self.path}: database is closed")
        return self._db

    def _load(self, key: bytes) -> bytes | None:
        value: bytes | None = self._handle().get(key)
        return value

    def _store_one(self, key: bytes, value: bytes | None) -> None:
        if value is None:
            self._handle().delete(key, sync=self._sync)
        else:
            self._handle().put(key, value, sync=self._sync)

    def _store_batch(self, changes: Mapping[bytes, bytes | None]) -> None:
        with self._handle().write_batch(sync=self._sync, transaction=True) as batch:
            for key, value in changes.items():
                if value is None:
                    batch.delete(key)
                else:
                    batch.put(key, value)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def _names_lock(error: plyvel.IOError, path: Path) -> bool:
    """Whether plyvel's error is LevelDB failing to take `path`'s LOCK, where /proc/locks
    cannot say (not Linux). plyvel raises one bare IOError for every failure, so its text,
    `IO error: lock <path>/LOCK: ...`, is the only witness; matched whole, with the path."""
    text = b"".join(a for a in error.args if isinstance(a, bytes)).decode(errors="replace")
    return text.startswith(f"IO error: lock {path / 'LOCK'}:")


def lock_holder(lock_file: Path) -> int | None:
    """The pid holding a POSIX lock on `lock_file` (LevelDB's LOCK), as /proc/locks lists it;
    None where there is no such list (not Linux), the file is gone, or no lock is listed.

    Read from /proc rather than probed with fcntl: closing a probe's descriptor would drop
    every POSIX lock this process holds on the file.
    """
    try:
        found = os.stat(lock_file)
        listing = PROC_LOCKS.read_text()
    except OSError:
        return None
    device = f"{os.major(found.st_dev):02x}:{os.minor(found.st_dev):02x}:{found.st_ino}"
    for line in listing.splitlines():
        fields = line.split()
        # "1: POSIX  ADVISORY  WRITE 3504 fe:00:2162795 0 EOF"
        if len(fields) >= 6 and fields[1] == "POSIX" and fields[5] == device:
            return int(fields[4])
    return None
