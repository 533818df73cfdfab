"""`POST /v1/records/{record_id}/shred` (`evanchor shred` beside a running node) on a real
aiohttp server over a real LevelDB log: the operator only, a body naming its fault, and the
same shredding as the stopped folder's (`LogStore.shred`), which the audit then recognises."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from test_api_http import OPERATOR, run_api, signed

from evanchor.anchor.log.audit import audit_log
from evanchor.anchor.log.store import LogStore
from evanchor.node.daemon.api_models import ShredAnswer
from evanchor.node.daemon.service import NodeService


def test_the_operator_shreds_a_record_and_the_audit_sees_a_shredding(store: LogStore) -> None:
    async def scenario(client: TestClient[Any, Any], service: NodeService) -> None:
        response = await client.post(
            "/v1/records", json={"submissions": [signed(0), signed(3), signed(6)]}
        )
        assert response.status == 201, await response.text()
        ids = [r["record_id"] for r in (await response.json())["receipts"]]
        assert (await client.post("/v1/seal", json={}, headers=OPERATOR)).status == 200
        shred = f"/v1/records/{ids[1][:12]}/shred"

        anyone = await client.post(shred, json={"reason": "DR-1"})
        assert anyone.status == 401
        assert "shredding needs the operator token" in (await anyone.json())["error"]["message"]
        for body, field in (
            ({}, "reason"),
            ({"reason": 5}, "reason"),
            ({"reason": "DR-1", "why": "x"}, "why"),
        ):
            refused = await client.post(shred, json=body, headers=OPERATOR)
            assert refused.status == 400, body
            fault = (await refused.json())["error"]
            assert fault["field"] == field, fault
            assert fault["message"].startswith(f"{field}: "), fault
        not_json = await client.post(shred, data=b"reason", headers=OPERATOR)
        assert not_json.status == 415
        assert service.store.tombstone(1) is None  # nothing refused was shredded

        done = await client.post(shred, json={"reason": "deletion request DR-1"}, headers=OPERATOR)
        assert done.status == 200, await done.text()
        answer = ShredAnswer.model_validate_json(await done.text())
        assert (answer.record_id, answer.index) == (ids[1], 1)
        assert answer.reason == "deletion request DR-1"
        tombstone = service.store.tombstone(1)
        assert tombstone is not None
        assert (tombstone.shredded_at, tombstone.reason) == (answer.shredded_at, answer.reason)

        assert (await client.get(f"/v1/records/{ids[1]}", headers=OPERATOR)).status == 404
        again = await client.post(shred, json={"reason": "again"}, headers=OPERATOR)
        assert again.status == 404
        for kept in (ids[0], ids[2]):
            assert (await client.get(f"/v1/records/{kept}")).status == 200

    run_api(store, scenario)
    report = audit_log(store)
    assert report.ok, report.discrepancies
    assert [(s.leaf, s.reason) for s in report.shredded] == [(1, "deletion request DR-1")]
