"""Back-pressure and the seal policy under load (issue 12).

The node refuses submissions with 429 and Retry-After while anchoring is behind or the
group commit is deep, writing nothing; and the group committer never lets a checkpoint grow
past `max_records` however many requests are queued at once.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from test_api_http import AGENCY, AGENCY_KEY, CHAIN, DOMAIN, OPERATOR, TOKEN, confirm, signed

from evanchor.anchor.log.store import LogStore
from evanchor.anchor.protocol.signing import address_of
from evanchor.node.daemon.api import create_api_app
from evanchor.node.daemon.committer import GroupCommitter
from evanchor.node.daemon.home import ApiConfig, NodeConfig
from evanchor.node.daemon.service import (
    BACKLOG_RETRY_SECONDS,
    QUEUE_RETRY_SECONDS,
    NodeOverloaded,
    NodeService,
)

from samples import numbered_record, prepared


def sealed_checkpoints(store: LogStore, count: int) -> None:
    for n in range(count):
        store.append([prepared(1000 + n)])
        store.seal()


def service_over(
    store: LogStore, committer: GroupCommitter, api: ApiConfig, *, anchoring: bool = True
) -> NodeService:
    return NodeService(
        store,
        NodeConfig(chain=CHAIN if anchoring else None, api=api),
        committer,
        domain=DOMAIN if anchoring else None,
        agency_of={address_of(AGENCY_KEY): AGENCY}.get if anchoring else None,
    )


def test_an_anchoring_backlog_above_the_bound_gets_429_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    async def main(store: LogStore) -> None:
        with ThreadPoolExecutor(max_workers=1) as executor:
            committer = GroupCommitter(store, executor)
            committer.start()
            service = service_over(store, committer, ApiConfig(max_anchoring_backlog=2))
            async with TestClient(TestServer(create_api_app(service, operator_token=TOKEN))) as c:
                refused = await c.post("/v1/records", json=signed(0))
                assert refused.status == 429
                assert refused.headers["Retry-After"] == str(BACKLOG_RETRY_SECONDS)
                assert "anchoring backlog" in (await refused.json())["error"]["message"]
                assert store.record_count == 3
                confirm(store, 0)  # backlog 2: at the bound, not above it
                accepted = await c.post("/v1/records", json=signed(0))
                assert accepted.status == 201
                assert store.record_count == 4
            await committer.stop()

    with LogStore(tmp_path / "log", create=True) as store:
        sealed_checkpoints(store, 3)
        asyncio.run(main(store))


def test_a_log_only_node_has_no_anchoring_backlog_to_shed(tmp_path: Path) -> None:
    async def main(store: LogStore) -> None:
        with ThreadPoolExecutor(max_workers=1) as executor:
            committer = GroupCommitter(store, executor)
            committer.start()
            service = service_over(
                store, committer, ApiConfig(max_anchoring_backlog=1), anchoring=False
            )
            async with TestClient(TestServer(create_api_app(service, operator_token=TOKEN))) as c:
                body: dict[str, Any] = {"submissions": [numbered_record(7, case="bare")]}
                response = await c.post("/v1/records", json=body, headers=OPERATOR)
                assert response.status == 201, await response.text()
            await committer.stop()

    with LogStore(tmp_path / "log", create=True) as store:
        sealed_checkpoints(store, 4)
        asyncio.run(main(store))


def test_a_deep_group_commit_queue_gets_overloaded_until_it_drains(tmp_path: Path) -> None:
    async def main(store: LogStore) -> None:
        with ThreadPoolExecutor(max_workers=1) as executor:
            committer = GroupCommitter(store, executor)  # not started: requests stay queued
            service = service_over(store, committer, ApiConfig(max_queued_records=3))
            first = asyncio.create_task(service.submit([signed(i) for i in range(5)]))
            while committer.queued_records < 5:
                await asyncio.sleep(0)
            with pytest.raises(NodeOverloaded) as raised:
                await service.submit([signed(9)])
            assert (raised.value.found, raised.value.bound) == (5, 3)
            assert raised.value.retry_after == QUEUE_RETRY_SECONDS
            committer.start()
            assert [r.index for r in await first] == [0, 1, 2, 3, 4]
            assert committer.queued_records == 0
            assert [r.index for r in await service.submit([signed(9)])] == [5]
            await committer.stop()

    with LogStore(tmp_path / "log", create=True) as store:
        asyncio.run(main(store))


def checkpoint_sizes(store: LogStore) -> list[int]:
    """Records per checkpoint (each checkpoint's last leaf is its seal leaf, not a record)."""
    sizes = [c.size for c in store.checkpoints()]
    return [b - a - 1 for a, b in zip([0, *sizes], sizes, strict=False)]


@pytest.mark.parametrize(
    ("max_records", "requests", "expected"),
    [
        # 7 requests of 3 queued at once: groups stop at the open checkpoint's room
        (10, [3] * 7, [9, 9, 3]),
        (6, [3] * 7, [6, 6, 6, 3]),
        # one request larger than the policy seals alone (a request is one unit)
        (4, [2, 6, 1], [2, 6, 1]),
    ],
)
def test_no_checkpoint_grows_past_max_records_under_load(
    tmp_path: Path, max_records: int, requests: list[int], expected: list[int]
) -> None:
    async def main(store: LogStore) -> None:
        loop = asyncio.get_running_loop()
        with ThreadPoolExecutor(max_workers=1) as executor:

            async def seal() -> None:
                await loop.run_in_executor(None, store.seal)

            committer = GroupCommitter(store, executor, max_records=max_records, seal=seal)
            start, waiting = 0, []
            for count in requests:
                batch = [prepared(start + i) for i in range(count)]
                waiting.append(asyncio.create_task(committer.append(batch)))
                start += count
            while committer.queued_records < start:  # every request queued before any write
                await asyncio.sleep(0)
            committer.start()
            await asyncio.gather(*waiting)
            await committer.stop()
            store.seal()  # what the batcher's timed seal does with the rest

    with LogStore(tmp_path / "log", create=True) as store:
        asyncio.run(main(store))
        assert store.record_count == sum(requests)
        assert checkpoint_sizes(store) == expected


def test_max_records_and_seal_come_together(tmp_path: Path) -> None:
    with (
        LogStore(tmp_path / "log", create=True) as store,
        ThreadPoolExecutor(max_workers=1) as executor,
        pytest.raises(ValueError, match="both"),
    ):
        GroupCommitter(store, executor, max_records=5)
