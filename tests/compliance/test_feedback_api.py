"""Flags on the HTTP API's receipts: a record that trips a rule is accepted all the same."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from evanchor.anchor.compliance.rules import default_rule_set
from evanchor.anchor.log.store import LogStore
from evanchor.node.daemon.api import create_api_app
from evanchor.node.daemon.committer import GroupCommitter
from evanchor.node.daemon.home import NodeConfig
from evanchor.node.daemon.service import NodeService

from compliance_helpers import NIGHT_CALL

Scenario = Callable[[TestClient[Any, Any]], Awaitable[None]]
OPERATOR_TOKEN = "operator-token-for-the-feedback-tests-0123"
OPERATOR = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
"""A log-only node takes submissions with its operator token only (node/daemon/access.py)."""


def run_api(path: Path, scenario: Scenario) -> LogStore:
    async def main(store: LogStore) -> None:
        with ThreadPoolExecutor(max_workers=2) as executor:
            committer = GroupCommitter(store, executor)
            committer.start()
            service = NodeService(store, NodeConfig(), committer)
            app = create_api_app(service, operator_token=OPERATOR_TOKEN)
            async with TestClient(TestServer(app)) as client:
                await scenario(client)
            await committer.stop()

    with LogStore(path, create=True) as store:
        asyncio.run(main(store))
    return LogStore(path)


def test_a_night_call_is_accepted_and_its_receipt_lists_the_flag(tmp_path: Path) -> None:
    async def scenario(client: TestClient[Any, Any]) -> None:
        response = await client.post("/v1/records", json=NIGHT_CALL, headers=OPERATOR)
        assert response.status == 201
        answer = await response.json()
        (receipt,) = answer["receipts"]
        (flag,) = receipt["flags"]
        assert flag["rule_id"] == "QH-1"
        assert flag["record"] == {"record_id": receipt["record_id"], "leaf_index": 0}
        assert flag["facts"]["local_time"] == "22:47:00"
        assert "处于禁止时段" in flag["reason"]
        assert answer["compliance"]["rule_set"]["digest"] == default_rule_set().digest

        day = {**NIGHT_CALL, "occurred_at": "2026-11-21T10:00:00+08:00"}
        calls = [{**day, "operator_id": f"op-{n}"} for n in range(4)]
        response = await client.post(
            "/v1/records?lang=en", json={"submissions": calls}, headers=OPERATOR
        )
        receipts = (await response.json())["receipts"]
        assert [[f["rule_id"] for f in r["flags"]] for r in receipts] == [[], [], [], ["CF-1"]]
        assert (
            "4th call to debtor dbt:77ab01c3 in local day 2026-11-21"
            in receipts[3]["flags"][0]["reason"]
        )

        refused = await client.post(
            "/v1/records?lang=fr", json={**day, "operator_id": "op-9"}, headers=OPERATOR
        )
        assert refused.status == 400
        assert "lang" in (await refused.json())["error"]["message"]

    with run_api(tmp_path / "log", scenario) as store:
        assert store.size == 5  # every flagged record kept; the refused request wrote nothing


def test_the_openapi_document_describes_the_flags(tmp_path: Path) -> None:
    async def scenario(client: TestClient[Any, Any]) -> None:
        document = await (await client.get("/v1/openapi.json")).json()
        receipt = document["components"]["schemas"]["Receipt"]
        assert receipt["properties"]["flags"]["items"] == {"$ref": "#/components/schemas/Flag"}
        assert "reason" in document["components"]["schemas"]["Flag"]["required"]

    run_api(tmp_path / "log", scenario).close()
