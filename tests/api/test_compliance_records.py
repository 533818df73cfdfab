"""`GET /v1/compliance/records` (`evanchor compliance report` beside a running node) on a
real aiohttp server over a real LevelDB log: pages that together are exactly the records
`records_from_log` reads from the stopped folder, over one prefix of the log."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from test_api_http import OPERATOR, run_api, signed

from evanchor.anchor.log.store import LogStore
from evanchor.node.daemon.api_models import ComplianceRecordsAnswer
from evanchor.node.daemon.compliance_log import logged_json, records_from_log
from evanchor.node.daemon.service import NodeService


def test_the_pages_are_the_logs_records_over_one_prefix(store: LogStore) -> None:
    pages: list[ComplianceRecordsAnswer] = []

    async def scenario(client: TestClient[Any, Any], service: NodeService) -> None:
        async def submit(*numbers: int) -> list[str]:
            body = {"submissions": [signed(n) for n in numbers]}
            response = await client.post("/v1/records", json=body)
            assert response.status == 201, await response.text()
            return [r["record_id"] for r in (await response.json())["receipts"]]

        ids = await submit(0, 1, 2, 3)
        assert (await client.post("/v1/seal", json={}, headers=OPERATOR)).status == 200
        await submit(4, 5)
        shred = await client.post(
            f"/v1/records/{ids[1]}/shred", json={"reason": "DR-9"}, headers=OPERATOR
        )
        assert shred.status == 200

        assert (await client.get("/v1/compliance/records")).status == 401
        size = service.store.size
        too_far = await client.get(f"/v1/compliance/records?to={size + 1}", headers=OPERATOR)
        assert too_far.status == 400
        assert (await too_far.json())["error"]["message"].startswith("to: ")

        response = await client.get("/v1/compliance/records?limit=2", headers=OPERATOR)
        pages.append(ComplianceRecordsAnswer.model_validate_json(await response.text()))
        assert pages[0].size == size
        await submit(6)  # after the first page: not in this report's prefix
        while pages[-1].next is not None:
            path = f"/v1/compliance/records?from={pages[-1].next}&limit=2&to={size}"
            response = await client.get(path, headers=OPERATOR)
            assert response.status == 200, await response.text()
            pages.append(ComplianceRecordsAnswer.model_validate_json(await response.text()))
        assert service.store.size == size + 1

    run_api(store, scenario)
    assert len(pages) == 4  # 7 leaves (6 records, a seal leaf) 2 by 2, over the first 7
    records, not_counted = records_from_log(store)
    last = records.pop()  # the record submitted after the first page
    assert last.leaf_index == pages[0].size
    assert [r.model_dump(mode="json") for p in pages for r in p.records] == [
        logged_json(r) for r in records
    ]
    assert [n.model_dump() for p in pages for n in p.not_counted] == [
        n.as_json() for n in not_counted
    ]
    assert [n.what for n in not_counted] == ["leaf 1"]
