"""The OpenAPI document is generated from the API's models and its route table
(node/daemon/openapi.py): held here to the routes the app serves, to the models' own JSON
Schemas, and the models to the node's real answers."""

from __future__ import annotations

import json
from typing import Any

from aiohttp.test_utils import TestClient
from pydantic import BaseModel
from test_api_http import OPERATOR, run_api, signed

from evanchor.anchor.log.store import LogStore
from evanchor.anchor.protocol.bundle_format import ProofBundle
from evanchor.node.daemon import api_models, upload_models
from evanchor.node.daemon.openapi import OPENAPI, ROUTES
from evanchor.node.daemon.service import NodeService
from evanchor.node.daemon.submissions import MAX_RECORDS_PER_REQUEST

from samples import numbered_record


def _served(app: Any) -> set[tuple[str, str]]:
    return {
        (route.method.lower(), route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None and route.method != "HEAD"
    }


def test_every_route_served_is_documented_and_every_documented_one_is_served(
    store: LogStore,
) -> None:
    async def scenario(client: TestClient[Any, Any], _: NodeService) -> None:
        served = _served(client.server.app)  # type: ignore[union-attr]
        documented = {
            (method, path)
            for path, operations in (await (await client.get("/v1/openapi.json")).json())[
                "paths"
            ].items()
            for method in operations
        }
        assert documented == served
        assert {(route.method, route.path) for route in ROUTES} == served

    run_api(store, scenario)


def _inlined(schema: Any, defs: dict[str, Any], prefix: str, seen: tuple[str, ...] = ()) -> Any:
    """`schema` with every reference replaced by what it names; a reference back into
    itself (JSON values hold JSON values) by a marker naming the schema's title."""
    if isinstance(schema, list):
        return [_inlined(item, defs, prefix, seen) for item in schema]
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = ref.removeprefix(prefix)
        target = defs[name]
        if name in seen:
            return {"recursive": target.get("title", name)}
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        return {**_inlined(target, defs, prefix, (*seen, name)), **_inlined(rest, defs, prefix)}
    out = {k: _inlined(v, defs, prefix, seen) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema.get("discriminator"), dict) and "mapping" in schema["discriminator"]:
        mapping = schema["discriminator"]["mapping"]
        names = {tag: defs[ref.removeprefix(prefix)].get("title") for tag, ref in mapping.items()}
        out["discriminator"] = {**schema["discriminator"], "mapping": names}
    return out


def _models() -> set[type[BaseModel]]:
    found: set[type[BaseModel]] = set()
    for route in ROUTES:
        if isinstance(route.body, type):
            found.add(route.body)
        found |= {a.model for a in route.answers.values() if a.model is not None}
    return found


def test_the_documents_schemas_are_the_models_schemas() -> None:
    """Every body and answer of the table, resolved in the document, is exactly what its
    pydantic model says, as the node serialises it."""
    schemas = OPENAPI["components"]["schemas"]
    for route in ROUTES:
        for status, answer in route.answers.items():
            content = OPENAPI["paths"][route.path][route.method]["responses"][str(status)]
            if answer.model is None:
                continue
            assert content["content"]["application/json"]["schema"]["$ref"].startswith(
                "#/components/schemas/"
            ), (route.path, status)
    assert _models() >= {api_models.SubmitAnswer, api_models.ErrorAnswer, ProofBundle}
    for model in _models():
        own = model.model_json_schema(mode="serialization")
        title = own["title"]
        document_side = _inlined(
            {"$ref": f"#/components/schemas/{title}"}, schemas, "#/components/schemas/"
        )
        model_side = _inlined(own, own.get("$defs", {}), "#/$defs/")
        assert document_side == model_side, title


def test_the_batch_limit_is_the_services() -> None:
    assert api_models.MAX_SUBMISSIONS == MAX_RECORDS_PER_REQUEST


def test_the_nodes_answers_are_the_models(store: LogStore) -> None:
    """Real answers of a real API over a real log, read back through the models (which
    refuse any member they do not name)."""

    async def scenario(client: TestClient[Any, Any], service: NodeService) -> None:
        async def answer(response: Any, model: type[BaseModel], status: int = 200) -> Any:
            assert response.status == status, await response.text()
            return model.model_validate_json(await response.text())

        submitted = await answer(
            await client.post("/v1/records", json={"submissions": [signed(0), signed(1)]}),
            api_models.SubmitAnswer,
            201,
        )
        record_id = submitted.receipts[0].record_id
        await answer(await client.get(f"/v1/records/{record_id}"), api_models.RecordStatusAnswer)
        await answer(
            await client.post("/v1/seal", json={}, headers=OPERATOR), api_models.SealAnswer
        )
        await answer(await client.get("/v1/checkpoints"), api_models.Checkpoints)
        await answer(await client.get("/v1/anchors"), api_models.Anchors)
        await answer(await client.get("/v1/status"), api_models.StatusAnswer)
        await answer(await client.get("/v1/health"), api_models.HealthAnswer)
        await answer(await client.get("/v1/records/" + "0" * 64), api_models.ErrorAnswer, 404)
        await answer(
            await client.post("/v1/verify", json={"format": "nonsense"}), api_models.ReportAnswer
        )

    run_api(store, scenario)


def _chunk(*numbers: int) -> bytes:
    return b"".join(json.dumps(signed(n)).encode() + b"\n" for n in numbers)


def test_the_staged_uploads_answers_are_the_models(store: LogStore) -> None:
    """A real upload through the real API, every answer read back through the model its
    route's row names; the chunk's body is documented as the raw JSON Lines it is."""
    rows = {(r.method, r.path): r for r in ROUTES}
    ndjson = {"Content-Type": upload_models.CHUNK_CONTENT_TYPE}
    chunk_row = ("put", "/v1/uploads/{upload_id}/chunks/{seq}")
    assert OPENAPI["paths"][chunk_row[1]]["put"]["requestBody"]["content"] == {
        upload_models.CHUNK_CONTENT_TYPE: {"schema": {"type": "string"}}
    }

    async def scenario(client: TestClient[Any, Any], _: NodeService) -> None:
        async def answer(row: tuple[str, str], response: Any, status: int) -> Any:
            assert response.status == status, await response.text()
            model = rows[row].answers[status].model
            assert model is not None, (row, status)
            return model.model_validate_json(await response.text())

        created = await answer(("post", "/v1/uploads"), await client.post("/v1/uploads"), 201)
        assert isinstance(created, upload_models.UploadCreated)
        upload = f"/v1/uploads/{created.upload_id}"
        staged = await answer(
            chunk_row,
            await client.put(f"{upload}/chunks/0", data=_chunk(0, 1), headers=ndjson),
            201,
        )
        assert isinstance(staged, upload_models.ChunkStaged)
        refused = await answer(
            chunk_row,
            await client.put(f"{upload}/chunks/1", data=b"{not json\n", headers=ndjson),
            400,
        )
        assert isinstance(refused, upload_models.ChunkRefused)
        assert refused.error.line == 3
        status = await answer(("get", "/v1/uploads/{upload_id}"), await client.get(upload), 200)
        assert isinstance(status, upload_models.UploadStatus)
        committed = await answer(
            ("post", "/v1/uploads/{upload_id}/commit"), await client.post(f"{upload}/commit"), 201
        )
        assert isinstance(committed, upload_models.UploadCommitted)
        assert [r.index for r in committed.receipts] == [0, 1]
        again = await client.post("/v1/uploads")
        abandoned = await client.delete(f"/v1/uploads/{(await again.json())['upload_id']}")
        assert (abandoned.status, await abandoned.read()) == (204, b"")
        assert (
            "content"
            not in OPENAPI["paths"]["/v1/uploads/{upload_id}"]["delete"]["responses"]["204"]
        )
        gone = await answer(("get", "/v1/uploads/{upload_id}"), await client.get(upload), 404)
        assert isinstance(gone, api_models.ErrorAnswer)

    run_api(store, scenario)


def test_a_log_only_nodes_bundle_is_the_protocols_model(store: LogStore) -> None:
    async def scenario(client: TestClient[Any, Any], service: NodeService) -> None:
        response = await client.post("/v1/records", json=numbered_record(1), headers=OPERATOR)
        record_id = (await response.json())["receipts"][0]["record_id"]
        service.store.seal()
        bundle = await client.get(f"/v1/records/{record_id}/bundle")
        assert bundle.status == 200
        ProofBundle.model_validate_json(await bundle.text())

    run_api(store, scenario, signed=False)


def test_the_api_serves_the_generated_document(store: LogStore) -> None:
    async def scenario(client: TestClient[Any, Any], _: NodeService) -> None:
        assert await (await client.get("/v1/openapi.json")).json() == OPENAPI

    run_api(store, scenario)
