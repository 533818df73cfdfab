"""GET /metrics: Prometheus text that follows the log as records are accepted."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from test_api_http import run_api, signed

from evanchor.anchor.log.store import LogStore
from evanchor.node.daemon.metrics import NodeMetrics
from evanchor.node.daemon.service import NodeService


def _figures(text: str) -> dict[str, float]:
    return {
        name: float(value)
        for name, value in (line.rsplit(" ", 1) for line in text.splitlines() if line[:1] != "#")
    }


def test_metrics_count_accepted_records_not_resubmissions(store: LogStore) -> None:
    async def scenario(client: TestClient[Any, Any], service: NodeService) -> None:
        batch = {"submissions": [signed(0), signed(1)]}
        assert (await client.post("/v1/records", json=batch)).status == 201
        assert (await client.post("/v1/records", json=signed(0))).status == 200  # duplicate
        response = await client.get("/metrics")
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        figures = _figures(await response.text())
        assert figures["evanchor_records_accepted_total"] == 2
        assert figures["evanchor_log_size_records"] == 2
        assert figures["evanchor_unsealed_records"] == 2
        service.store.seal()
        assert (
            _figures(await (await client.get("/metrics")).text())["evanchor_unsealed_records"] == 0
        )

    run_api(store, scenario)


def test_each_node_has_its_own_counters() -> None:
    one, two = NodeMetrics(), NodeMetrics()
    one.records_accepted.inc(5)
    assert _figures(two.exposition().decode())["evanchor_records_accepted_total"] == 0
    assert _figures(one.exposition().decode())["evanchor_records_accepted_total"] == 5
