"""The node's HTTP API on a real aiohttp server, over a real LevelDB log."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from evanchor.anchor.ethereum.anchor_state import AnchorStatus, Confirmed, state_json
from evanchor.anchor.log.store import LogStore
from evanchor.anchor.log.submission import sign_record
from evanchor.anchor.protocol.signing import SigningDomain, address_of
from evanchor.anchor.report.page import verify_page_html
from evanchor.node.daemon.api import MAX_REQUEST_BYTES, create_api_app
from evanchor.node.daemon.committer import GroupCommitter
from evanchor.node.daemon.home import ChainConfig, ChainMode, NodeConfig
from evanchor.node.daemon.service import NodeService
from evanchor.node.daemon.staging import StagingLimits, UploadStaging
from evanchor.node.daemon.status import (
    AnchoringHeldUp,
    AnchoringStage,
    keep_anchoring_error,
    last_anchoring_error,
)
from evanchor.node.daemon.uploads import add_upload_routes

from samples import numbered_record

AGENCY_KEY = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
STRANGER_KEY = bytes.fromhex("22" * 32)
CHAIN = ChainConfig(
    mode=ChainMode.EXTERNAL,
    rpc_url="http://127.0.0.1:1",
    chain_id=7107,
    contract="0x" + "ab" * 20,
    writer="0x" + "cd" * 20,
)
DOMAIN = SigningDomain(CHAIN.chain_id, CHAIN.contract)
AGENCY = numbered_record(0)["agency"]
TOKEN = "operator-token-for-the-api-tests-0123456789"
OPERATOR = {"Authorization": f"Bearer {TOKEN}"}
STAGING_LIMITS = StagingLimits(
    max_upload_bytes=1 << 20, max_staging_bytes=1 << 22, expiry_seconds=60
)

Scenario = Callable[[TestClient[Any, Any], NodeService], Awaitable[None]]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LogStore]:
    with LogStore(tmp_path / "log", create=True) as opened:
        yield opened


def run_api(
    store: LogStore,
    scenario: Scenario,
    *,
    signed: bool = True,
    registry: dict[str, str] | None = None,
    refresh: Callable[[], object] | None = None,
) -> None:
    """Run `scenario` against the API of a node over `store` (operator token `TOKEN`);
    `registry` maps agency addresses to credit codes (default: AGENCY_KEY's); `refresh`
    is the node's fresh read of the registry."""
    registry = registry or {address_of(AGENCY_KEY): AGENCY}

    async def main() -> None:
        with ThreadPoolExecutor(max_workers=2) as executor:
            committer = GroupCommitter(store, executor)
            committer.start()
            service = NodeService(
                store,
                NodeConfig(chain=CHAIN if signed else None),
                committer,
                domain=DOMAIN if signed else None,
                agency_of=registry.get if signed else None,
                refresh_agencies=refresh,
            )
            app = create_api_app(service, operator_token=TOKEN)
            add_upload_routes(app, UploadStaging(store.path.parent / "staging", STAGING_LIMITS))
            async with TestClient(TestServer(app)) as client:
                await scenario(client, service)
            await committer.stop()

    asyncio.run(main())


def signed(n: int, key: bytes = AGENCY_KEY) -> dict[str, Any]:
    return sign_record(numbered_record(n, case=f"K{n % 3}"), key, DOMAIN.separator)


def test_submit_one_and_a_batch_then_read_status(store: LogStore) -> None:
    async def scenario(client: TestClient[Any, Any], service: NodeService) -> None:
        response = await client.post("/v1/records", json=signed(0))
        assert response.status == 201
        receipt = (await response.json())["receipts"][0]
        assert receipt["index"] == 0
        response = await client.post(
            "/v1/records", json={"submissions": [signed(i) for i in range(1, 6)]}
        )
        assert response.status == 201
        assert [r["index"] for r in (await response.json())["receipts"]] == [1, 2, 3, 4, 5]
        again = await client.post("/v1/records", json=signed(0))
        assert again.status == 200
        assert (await again.json())["receipts"][0]["duplicate"] is True
        status = await (
            await client.get(f"/v1/records/{receipt['record_id'][:12]}", headers=OPERATOR)
        ).json()
        assert status["status"] == "accepted"
        assert status["index"] == 0
        service.store.seal()
        status = await (await client.get(f"/v1/records/{receipt['record_id']}")).json()
        assert status["status"] == "sealed"
        bundle = await client.get(f"/v1/records/{receipt['record_id']}/bundle")
        assert bundle.status == 409
        assert "not anchored yet" in (await bundle.json())["error"]["message"]
        checkpoints = await (await client.get("/v1/checkpoints")).json()
        assert [c["size"] for c in checkpoints] == [7]  # six records and the seal leaf
        node_status = await (await client.get("/v1/status")).json()
        assert node_status["log"]["size"] == 7
        assert node_status["anchoring"]["pending_checkpoints"] == [0]

    run_api(store, scenario)
    assert store.size == 7


def test_seal_on_request_is_the_operators(store: LogStore) -> None:
    """POST /v1/seal (`evanchor seal` beside a running node): the operator token only, a
    JSON empty object, the new checkpoint once and then null while nothing is new."""

    async def scenario(client: TestClient[Any, Any], _: NodeService) -> None:
        assert (await client.post("/v1/records", json=signed(0))).status == 201
        anonymous = await client.post("/v1/seal", json={})
        assert anonymous.status == 401
        assert "sealing needs the operator token" in (await anonymous.json())["error"]["message"]
        not_json = await client.post("/v1/seal", data=b"{}", headers=OPERATOR)
        assert not_json.status == 415
        with_members = await client.post("/v1/seal", json={"now": True}, headers=OPERATOR)
        assert with_members.status == 400
        sealed = await client.post("/v1/seal", json={}, headers=OPERATOR)
        assert sealed.status == 200
        checkpoint = {"seq": 0, "size": 2, "root": store.root().hex()}
        answer = await sealed.json()
        assert {k: answer["sealed"][k] for k in checkpoint} == checkpoint
        assert answer["size"] == 2
        again = await client.post("/v1/seal", json={}, headers=OPERATOR)
        assert await again.json() == {"sealed": None, "size": 2}

    run_api(store, scenario)
    assert store.checkpoint_count == 1


def confirm(store: LogStore, seq: int) -> None:
    """Record checkpoint `seq` as confirmed on CHAIN, as the anchorer would."""
    checkpoint = store.checkpoint(seq)
    store.put_anchor_state(
        seq,
        state_json(
            Confirmed(
                status=AnchorStatus.CONFIRMED,
                seq=seq,
                size=checkpoint.size,
                root=checkpoint.root,
                chain_id=CHAIN.chain_id,
                contract=CHAIN.contract,
                writer=CHAIN.writer,
                checkpoint_index=seq,
                tx_hash=seq.to_bytes(32, "big"),
                block_number=100 + seq,
                block_hash=(seq + 1).to_bytes(32, "big"),
                block_timestamp=1_767_225_600 + seq,
                log_index=0,
                confirmations=1,
            )
        ),
    )


def test_checkpoints_and_anchors_come_in_pages(store: LogStore) -> None:
    """A page costs O(limit) reads: `from` and `limit` choose it, `Link` names the next one
    (RFC 8288 rel="next") until the last, and a bad parameter is a 400 naming it."""

    async def scenario(client: TestClient[Any, Any], service: NodeService) -> None:
        for i in range(5):
            assert (await client.post("/v1/records", json=signed(i))).status == 201
            service.store.seal()
        for seq in (1, 3):
            confirm(service.store, seq)
        first = await client.get("/v1/checkpoints", params={"limit": "2"})
        assert [c["seq"] for c in await first.json()] == [0, 1]
        assert first.headers["Link"] == '</v1/checkpoints?from=2&limit=2>; rel="next"'
        second = await client.get("/v1/checkpoints?from=2&limit=2")
        page = await second.json()
        assert [c["seq"] for c in page] == [2, 3]
        assert [c["anchor"] is None for c in page] == [True, False]
        assert second.headers["Link"] == '</v1/checkpoints?from=4&limit=2>; rel="next"'
        last = await client.get("/v1/checkpoints?from=4&limit=2")
        assert [c["seq"] for c in await last.json()] == [4]
        assert "Link" not in last.headers
        every = await client.get("/v1/checkpoints")  # default: from 0, 100 checkpoints
        assert [c["seq"] for c in await every.json()] == [0, 1, 2, 3, 4]
        assert "Link" not in every.headers
        beyond = await client.get("/v1/checkpoints?from=9")
        assert await beyond.json() == []
        anchors = await client.get("/v1/anchors?from=0&limit=3")
        assert [a["checkpoint"]["seq"] for a in await anchors.json()] == [1]
        assert anchors.headers["Link"] == '</v1/anchors?from=3&limit=3>; rel="next"'
        rest = await client.get("/v1/anchors?from=3&limit=3")
        assert [a["checkpoint"]["seq"] for a in await rest.json()] == [3]
        for query, name in [
            ("limit=0", "limit"),
            ("limit=1001", "limit"),
            ("limit=ten", "limit"),
            ("from=-1", "from"),
            ("from=01", "from"),
            ("from=%C2%B2", "from"),
            ("limit=%D9%A3", "limit"),
        ]:
            refused = await client.get(f"/v1/checkpoints?{query}")
            assert refused.status == 400, query
            assert (await refused.json())["error"]["message"].startswith(f"{name}: "), query

    run_api(store, scenario)


def test_concurrent_requests_share_synced_writes(store: LogStore) -> None:
    async def scenario(client: TestClient[Any, Any], _: NodeService) -> None:
        responses = await asyncio.gather(
            *(client.post("/v1/records", json=signed(i)) for i in range(60))
        )
        indices = sorted([(await r.json())["receipts"][0]["index"] for r in responses])
        assert indices == list(range(60))

    run_api(store, scenario)
    assert store.size == 60


@pytest.mark.parametrize(
    ("body", "status", "field", "fragment"),
    [
        (b"{not json", 400, None, "malformed JSON"),
        (b'{"a": 1, "a": 2}', 400, None, "duplicate"),
        (b"[1, 2]", 400, None, "object"),
        (b'{"record": {}, "salt": "00", "signature": "00"}', 400, "salt", "64 hex"),
        (
            json.dumps(numbered_record(1)).encode(),
            400,
            "signature",
            "unsigned record",
        ),
    ],
)
def test_bad_requests_get_a_json_error_naming_the_field(
    store: LogStore, body: bytes, status: int, field: str | None, fragment: str
) -> None:
    async def scenario(client: TestClient[Any, Any], _: NodeService) -> None:
        response = await client.post(
            "/v1/records", data=body, headers={"Content-Type": "application/json"}
        )
        assert response.status == status
        error = (await response.json())["error"]
        assert fragment.lower() in error["message"].lower()
        if field is not None:
            assert error["field"] == field

    run_api(store, scenario)
    assert store.size == 0


def test_a_bad_item_rejects_the_whole_batch(store: LogStore) -> None:
    async def scenario(client: TestClient[Any, Any], _: NodeService) -> None:
        batch = [signed(1), signed(2, key=STRANGER_KEY), signed(3)]
        bad_field = signed(4)
        bad_field["record"] = {**bad_field["record"], "event": "telepathy"}
        for items, item, field in ((batch, 1, "signature"), ([bad_field], 0, "record.event")):
            response = await client.post("/v1/records", json={"submissions": items})
            assert response.status == 400
            error = (await response.json())["error"]
            assert error["item"] == item
            assert error["field"] == field

    run_api(store, scenario)
    assert store.size == 0


def test_oversize_body_is_refused_before_parsing(store: LogStore) -> None:
    async def scenario(client: TestClient[Any, Any], _: NodeService) -> None:
        response = await client.post(
            "/v1/records",
            data=io.BytesIO(b"x" * (MAX_REQUEST_BYTES + 1)),
            headers={"Content-Type": "application/json"},
        )
        assert response.status == 413
        assert "larger than" in (await response.json())["error"]["message"]

    run_api(store, scenario)


def test_unknown_record_and_unknown_path(store: LogStore) -> None:
    async def scenario(client: TestClient[Any, Any], _: NodeService) -> None:
        response = await client.get("/v1/records/deadbeefdeadbeef", headers=OPERATOR)
        assert response.status == 404
        assert "no record" in (await response.json())["error"]["message"]
        response = await client.get("/v1/nothing")
        assert response.status == 404

    run_api(store, scenario)


def test_log_only_node_takes_bare_records_and_serves_sealed_bundles(store: LogStore) -> None:
    async def scenario(client: TestClient[Any, Any], service: NodeService) -> None:
        response = await client.post("/v1/records", json=numbered_record(1), headers=OPERATOR)
        assert response.status == 201
        record_id = (await response.json())["receipts"][0]["record_id"]
        service.store.seal()
        bundle = await (await client.get(f"/v1/records/{record_id}/bundle")).json()
        report = await (await client.post("/v1/verify", json=bundle)).json()
        assert report["valid"] is True
        bundle["salt"] = "00" * 32
        report = await (await client.post("/v1/verify", json=bundle)).json()
        assert report["valid"] is False
        assert report["steps"][-1]["step"] == "commitment"

    run_api(store, scenario, signed=False)


def test_openapi_document_lists_every_route(store: LogStore) -> None:
    async def scenario(client: TestClient[Any, Any], _: NodeService) -> None:
        document = await (await client.get("/v1/openapi.json")).json()
        assert document["openapi"].startswith("3.1")
        app_routes = {
            r.resource.canonical
            for r in client.server.app.router.routes()  # type: ignore[union-attr]
            if r.resource is not None
        }
        assert set(document["paths"]) | {"/v1/openapi.json", "/verify"} == app_routes

    run_api(store, scenario)


def test_health(store: LogStore) -> None:
    async def scenario(client: TestClient[Any, Any], _: NodeService) -> None:
        assert (await (await client.get("/v1/health")).json())["status"] == "ok"

    run_api(store, scenario)


def test_the_verification_page_is_the_committed_page_and_never_asks_the_node(
    store: LogStore,
) -> None:
    """GET /verify serves the page `evanchor verify-page` writes (tests/verify_page drives it
    in a browser); it verifies in the browser, so it names none of the node's endpoints."""

    async def scenario(client: TestClient[Any, Any], _: NodeService) -> None:
        response = await client.get("/verify")
        assert response.status == 200
        assert (response.content_type, response.charset) == ("text/html", "utf-8")
        page = await response.read()
        assert page == verify_page_html()
        assert b'fetch("/' not in page  # no request to the server it came from
        assert b"/v1/verify" not in page

    run_api(store, scenario)


def test_the_last_anchoring_error_is_kept_and_served_as_written(store: LogStore) -> None:
    """The anchoring thread's last failure survives in the log's metadata and reaches
    `GET /v1/status` member for member; a later success clears it."""
    held_up = AnchoringHeldUp(AnchoringStage.REGISTRY, "no JSON-RPC endpoint answers", "2026")
    keep_anchoring_error(store, held_up)
    assert last_anchoring_error(store) == held_up

    async def scenario(client: TestClient[Any, Any], service: NodeService) -> None:
        node_status = await (await client.get("/v1/status")).json()
        assert node_status["anchoring"]["last_error"] == {
            "stage": "registry",
            "error": "no JSON-RPC endpoint answers",
            "at": "2026",
        }
        keep_anchoring_error(service.store, None)
        node_status = await (await client.get("/v1/status")).json()
        assert node_status["anchoring"]["last_error"] is None

    run_api(store, scenario)
