"""Group commit: concurrent submissions share one synced LevelDB write.

An fsync costs milliseconds; one per HTTP request would cap the node at a few hundred
records a second. Requests instead queue their (already validated) records; one task takes
everything queued, appends it in a single synced batch on a worker thread, and answers each
request with its own receipts. A request is answered only after that write returned, so an
acknowledged record is a durable record.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from evanchor.anchor.log.store import LogStore, PreparedRecord, Receipt

log = logging.getLogger(__name__)

_Item = tuple[Sequence[PreparedRecord], "asyncio.Future[list[Receipt]]"]

MAX_GROUP_RECORDS = 20_000
"""Most records one synced batch takes; more wait for the next batch."""


class GroupCommitter:
    """Appends queued submissions in shared synced batches.

    With `max_records` and `seal` given it also holds the seal policy under load: a group
    never takes more records than fit in the open checkpoint (`max_records` less the records
    not yet sealed), and `seal` is awaited as soon as the open checkpoint is full, before the
    next group is appended. So no checkpoint holds more than `max_records` records, except
    when one request alone holds more (then that request's records seal together: a request
    is appended as one unit).
    """

    def __init__(
        self,
        store: LogStore,
        executor: ThreadPoolExecutor,
        *,
        max_records: int | None = None,
        seal: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        if (max_records is None) != (seal is None):
            raise ValueError("give both max_records and seal, or neither")
        self._store = store
        self._executor = executor
        self._max_records = max_records
        self._seal = seal
        self._queue: asyncio.Queue[_Item] = asyncio.Queue()
        self._carried: _Item | None = None
        self._queued_records = 0
        self._task: asyncio.Task[None] | None = None

    @property
    def queued_records(self) -> int:
        """Records waiting for their group's write (back-pressure reads it)."""
        return self._queued_records

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="evanchor-group-commit")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        left = [] if self._carried is None else [self._carried]
        while not self._queue.empty():
            left.append(self._queue.get_nowait())
        for _, future in left:
            if not future.done():
                future.set_exception(ConnectionAbortedError("the node is stopping"))

    async def append(self, records: Sequence[PreparedRecord]) -> list[Receipt]:
        """Durably append `records` (in order, as one unit) and return their receipts."""
        future: asyncio.Future[list[Receipt]] = asyncio.get_running_loop().create_future()
        self._queued_records += len(records)
        await self._queue.put((records, future))
        return await future

    def _unsealed(self) -> int:
        latest = self._store.latest_checkpoint()
        return self._store.size - (0 if latest is None else latest.size)

    def _room(self) -> int:
        """How many records the next group may take."""
        if self._max_records is None:
            return MAX_GROUP_RECORDS
        return min(MAX_GROUP_RECORDS, self._max_records - self._unsealed())

    async def _seal_if_full(self, waiting: int) -> None:
        """Seal when the open checkpoint is full, or when the next `waiting` records would
        not fit in it (and it holds some: an empty one takes any request). A failed seal is
        left to the store, which reports its failure itself; the next write fails too."""
        if self._seal is None or self._max_records is None:
            return
        unsealed = self._unsealed()
        if unsealed >= self._max_records or (
            unsealed > 0 and unsealed + waiting > self._max_records
        ):
            try:
                await self._seal()
            except Exception:  # the batcher seals too and logs; appends go on to fail
                log.exception("sealing a full checkpoint failed")

    async def _next(self) -> _Item:
        if self._carried is not None:
            item, self._carried = self._carried, None
            self._queued_records -= len(item[0])
            return item
        item = await self._queue.get()
        self._queued_records -= len(item[0])
        return item

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            first = await self._next()
            await self._seal_if_full(len(first[0]))
            group = [first]
            count, room = len(first[0]), self._room()
            while not self._queue.empty():
                item = self._queue.get_nowait()
                if count + len(item[0]) > room:
                    self._carried = item  # first of the next group, after a seal
                    break
                self._queued_records -= len(item[0])
                group.append(item)
                count += len(item[0])
            records = [record for part, _ in group for record in part]
            try:
                receipts = await loop.run_in_executor(self._executor, self._store.append, records)
            except Exception as error:  # every waiting request learns the write failed
                for _, future in group:
                    if not future.done():
                        future.set_exception(error)
                continue
            start = 0
            for part, future in group:
                if not future.done():
                    future.set_result(receipts[start : start + len(part)])
                start += len(part)
            await self._seal_if_full(0)
