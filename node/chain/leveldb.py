"""The durable backend: LevelDB through plyvel.

Every write reaches the disk with ``sync=True`` and every block is one LevelDB write batch
(see `evanchor.node.chain.kvstore`), so after a crash — kill -9 included — the database holds
exactly the blocks whose batch completed: LevelDB replays its write-ahead log whole
batches at a time.

LevelDB allows one process per database; a second opener gets `DataDirError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import plyvel

from evanchor.node.chain.errors import DataDirError
from evanchor.node.chain.kvstore import StagedAtomicDB


class LevelDB(StagedAtomicDB):
    """py-evm's atomic database interface over one LevelDB directory."""

    def __init__(self, path: Path, *, create: bool = True) -> None:
        super().__init__()
        self.path = path
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db: plyvel.DB | None = plyvel.DB(str(path), create_if_missing=create)
        except plyvel.IOError as error:
            raise DataDirError(path, f"cannot open the chain database ({error})") from error
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
            self._handle().delete(key, sync=True)
        else:
            self._handle().put(key, value, sync=True)

    def _store_batch(self, changes: Mapping[bytes, bytes | None]) -> None:
        with self._handle().write_batch(sync=True, transaction=True) as batch:
            for key, value in changes.items():
                if value is None:
                    batch.delete(key)
                else:
                    batch.put(key, value)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
