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
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from evanchor.anchor.log.store import LogStore, PreparedRecord, Receipt

MAX_GROUP_RECORDS = 20_000
"""Most records one synced batch takes; more wait for the next batch."""


class GroupCommitter:
    def __init__(self, store: LogStore, executor: ThreadPoolExecutor) -> None:
        self._store = store
        self._executor = executor
        self._queue: asyncio.Queue[tuple[Sequence[PreparedRecord], asyncio.Future[list[Receipt]]]]
        self._queue = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="evanchor-group-commit")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        while not self._queue.empty():
            _, future = self._queue.get_nowait()
            if not future.done():
                future.set_exception(ConnectionAbortedError("the node is stopping"))

    async def append(self, records: Sequence[PreparedRecord]) -> list[Receipt]:
        """Durably append `records` (in order, as one unit) and return their receipts."""
        future: asyncio.Future[list[Receipt]] = asyncio.get_running_loop().create_future()
        await self._queue.put((records, future))
        return await future

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            group = [await self._queue.get()]
            count = len(group[0][0])
            while not self._queue.empty() and count < MAX_GROUP_RECORDS:
                item = self._queue.get_nowait()
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
