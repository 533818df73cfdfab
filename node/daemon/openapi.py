"""The OpenAPI 3.1 description of the node's HTTP API, served at /v1/openapi.json.

Generated: every schema is a pydantic model's JSON Schema (api_models.py, and the
protocol's bundle models), and the operations come from `ROUTES`, one row per route the
API serves. tests/api holds the table to the app's router both ways and the document's
schemas to the models'. A new endpoint is a new `Route` row (its models in api_models.py)
beside its `app.router.add_*` line in api.py; the staged upload's rows are `UPLOAD_ROUTES`
(models in upload_models.py, routes in uploads.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from evanchor.node.daemon.access import MAX_REQUEST_AGE_SECONDS, SIGNATURE_HEADER, TIMESTAMP_HEADER
from evanchor.node.daemon.api_models import (
    Anchors,
    CaseBundle,
    Checkpoints,
    ComplianceRecordsAnswer,
    ErrorAnswer,
    HealthAnswer,
    ProofBundle,
    RecordStatusAnswer,
    ReportAnswer,
    SealAnswer,
    SealBody,
    ShredAnswer,
    ShredBody,
    StatusAnswer,
    SubmitAnswer,
    SubmitBody,
    VerifyBody,
)
from evanchor.node.daemon.upload_models import (
    CHUNK_CONTENT_TYPE,
    ChunkRefused,
    ChunkStaged,
    UploadCommitted,
    UploadCreated,
    UploadStatus,
)

SCHEMAS = "#/components/schemas/"

Security = Mapping[str, list[str]]
PUBLIC: tuple[Security, ...] = ({},)
OPERATOR: tuple[Security, ...] = ({"operatorToken": []},)
AGENCY: Security = {"agencySignature": [], "agencyTimestamp": []}
RECORD_READERS: tuple[Security, ...] = ({}, {"operatorToken": []}, AGENCY)
"""Anyone with the full record id; the operator; the agency that submitted the record."""
CASE_READERS: tuple[Security, ...] = ({"operatorToken": []}, AGENCY)


@dataclass(frozen=True)
class Answer:
    """One response: JSON of `model`, or text of `media` type when `model` is None, or no
    body at all when `media` is None too (204)."""

    description: str
    model: type[BaseModel] | None = ErrorAnswer
    media: str | None = "application/json"


@dataclass(frozen=True)
class RawBody:
    """A request body that is not one JSON document: text of `media` type."""

    media: str


@dataclass(frozen=True)
class Parameter:
    name: str
    where: Literal["path", "query"]
    schema: dict[str, Any]
    description: str | None = None


@dataclass(frozen=True)
class Route:
    """One operation of the API: what it is for, who may call it, what it takes and gives."""

    method: Literal["get", "post", "put", "delete"]
    path: str
    summary: str
    security: tuple[Security, ...]
    answers: Mapping[int, Answer]
    body: type[BaseModel] | RawBody | None = None
    parameters: tuple[Parameter, ...] = ()
    description: str | None = None


def _text(description: str, media: str = "text/plain") -> Answer:
    return Answer(description, model=None, media=media)


RECORD_ID = Parameter(
    "record_id",
    "path",
    {"type": "string", "pattern": "^[0-9a-fA-F]{8,64}$"},
    "The full record id (64 hex digits: no credentials needed), or a unique prefix of at"
    " least 8 hex digits (needs the operator token or an agency-signed request).",
)
LANG = Parameter(
    "lang", "query", {"enum": ["zh-CN", "en"]}, "Language of the flags' reasons (default zh-CN)."
)
PAGE = (
    Parameter(
        "from",
        "query",
        {"type": "integer", "minimum": 0, "default": 0},
        "The page's first checkpoint seq (default 0).",
    ),
    Parameter(
        "limit",
        "query",
        {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
        "Checkpoints in the page (default 100, at most 1000): a page costs O(limit) reads"
        " whatever the log's size.",
    ),
)
PAGE_REFUSED = Answer("`from` or `limit` is not a decimal number in its range.")
UNAUTHORISED = Answer(
    "Credentials missing (a record id prefix, a case) or not checking out (wrong token,"
    " stale or unregistered signature)."
)
NOT_JSON = Answer("The body's Content-Type is not application/json; nothing was read.")
NOT_FOUND = Answer("No such record (or, to an agency, not one of its own).")
NOTE = _text("origin, size and base64 root lines, a blank line, signature lines.")
SUBMITTERS: tuple[Security, ...] = ({}, {"operatorToken": []})
"""Anyone (every record signed), or on a log-only node only the operator."""
SHEDS_LOAD = Answer("The node sheds load; try again after the `Retry-After` header's seconds.")
UPLOAD_ID = Parameter("upload_id", "path", {"type": "string", "pattern": "^[0-9a-f]{32}$"})
UPLOAD_GONE = Answer(
    "No open upload of that id: committed, abandoned, expired, or the node restarted (a"
    " restart abandons every upload). Nothing of it is in the log."
)
UPLOAD_ROUTES: tuple[Route, ...] = (  # uploads.py, `add_upload_routes`; docs/UPLOADS.md
    Route(
        "post",
        "/v1/uploads",
        "Start a staged upload: for files larger than one request.",
        SUBMITTERS,
        {
            201: Answer("The upload, empty.", UploadCreated),
            401: Answer("A log-only node, and no operator token."),
            429: SHEDS_LOAD,
            507: Answer("Too many open uploads."),
        },
        description="Chunks are checked as they arrive and staged outside the log; the"
        " commit appends them all in one synced write, or nothing. A log-only node takes"
        " uploads with the operator token only.",
    ),
    Route(
        "get",
        "/v1/uploads/{upload_id}",
        "An open upload's progress.",
        SUBMITTERS,
        {200: Answer("The upload.", UploadStatus), 404: UPLOAD_GONE},
        parameters=(UPLOAD_ID,),
    ),
    Route(
        "delete",
        "/v1/uploads/{upload_id}",
        "Abandon an upload: its staged records are deleted, none appended.",
        SUBMITTERS,
        {
            204: Answer("Abandoned.", model=None, media=None),
            404: UPLOAD_GONE,
            409: Answer("The upload is being committed."),
        },
        parameters=(UPLOAD_ID,),
    ),
    Route(
        "put",
        "/v1/uploads/{upload_id}/chunks/{seq}",
        "Add chunk `seq` (0, 1, …, in order): JSON Lines of submissions.",
        SUBMITTERS,
        {
            201: Answer("Checked and staged.", ChunkStaged),
            200: Answer(
                "This chunk again (a retry of the last, with the same bytes).", ChunkStaged
            ),
            400: Answer("A line at fault; nothing of the chunk was staged.", ChunkRefused),
            404: UPLOAD_GONE,
            409: Answer("Not the next chunk, or the upload is being committed."),
            413: Answer("The chunk, or the upload with it, is over its byte limit."),
            415: Answer(f"The body's Content-Type is not {CHUNK_CONTENT_TYPE}."),
            429: SHEDS_LOAD,
            503: Answer("The agency registry cannot be read; nothing was staged."),
            507: Answer(
                "The node's staging space (all uploads, or the disk's free space kept for the"
                " log) is full; nothing was staged."
            ),
        },
        body=RawBody(CHUNK_CONTENT_TYPE),
        parameters=(
            UPLOAD_ID,
            Parameter("seq", "path", {"type": "integer", "minimum": 0}),
            Parameter(
                "first_line",
                "query",
                {"type": "integer", "minimum": 1},
                "The file's line number of the body's first line (default: after the previous"
                " chunk's last line).",
            ),
        ),
        description="The body is at most `max_chunk_bytes` bytes (UTF-8; not a number of"
        " records) and ends on a line boundary. Every line is checked at once (JSON, schema,"
        " signature, registered agency); the first fault refuses the chunk, naming its line:"
        " `first_line` is the file's line number of the body's first line, and blank lines"
        " count. Sending the last chunk again with the same bytes (a retry) answers 200 with"
        " the same figures.",
    ),
    Route(
        "post",
        "/v1/uploads/{upload_id}/commit",
        "Append every staged record in one synced write, or none.",
        SUBMITTERS,
        {
            201: Answer("Durably appended, all of it.", UploadCommitted),
            200: Answer("Every record was in the log already (`duplicate`).", UploadCommitted),
            400: Answer("The upload holds no records."),
            404: UPLOAD_GONE,
            409: Answer("The upload is already being committed."),
            503: Answer("The log store failed a write: nothing was appended."),
        },
        parameters=(LANG,),
        description="Answers like `POST /v1/records` (receipts in line order, `duplicate`"
        " for records already in the log; no compliance flags past 10,000 records). The"
        " upload is closed either way. After a crash during the commit the log holds all of"
        " the upload or none of it.",
    ),
)

ROUTES: tuple[Route, ...] = (
    Route(
        "post",
        "/v1/records",
        "Submit one signed record, or a batch (all or nothing).",
        ({}, {"operatorToken": []}),
        {
            201: Answer("Durably appended (or already in the log: `duplicate`).", SubmitAnswer),
            200: Answer("Every record was in the log already (`duplicate`).", SubmitAnswer),
            400: Answer("Malformed JSON, schema violation or bad signature."),
            401: Answer("A log-only node, and no operator token."),
            413: Answer("Body larger than the limit; refused before parsing."),
            415: NOT_JSON,
            429: Answer(
                "Nothing was read or written: the node sheds load (more sealed checkpoints"
                " wait for anchoring than `api.max_anchoring_backlog`, or more records for the"
                " group commit than `api.max_queued_records`); try again after the"
                " `Retry-After` header's seconds."
            ),
            503: Answer(
                "Nothing was written: a signer the node does not know while the agency"
                " registry cannot be read from the chain, or the node's log store failed a"
                ' write ("log store failed: …; restart the node after freeing space") and'
                " acknowledges nothing until it is restarted."
            ),
        },
        body=SubmitBody,
        parameters=(LANG,),
        description="Each submission carries its agency's signature. A log-only node (no"
        " chain, no signatures) takes submissions with the operator token only.",
    ),
    Route(
        "get",
        "/v1/records/{record_id}",
        "A record's receipt and status: accepted, sealed or anchored.",
        RECORD_READERS,
        {
            200: Answer("Receipt, checkpoint and anchor.", RecordStatusAnswer),
            401: UNAUTHORISED,
            404: NOT_FOUND,
        },
        parameters=(RECORD_ID,),
    ),
    Route(
        "get",
        "/v1/records/{record_id}/bundle",
        "The record's proof bundle, once its checkpoint is anchored.",
        RECORD_READERS,
        {
            200: Answer("Proof bundle v2 (PROTOCOL.md §5).", ProofBundle),
            401: UNAUTHORISED,
            404: NOT_FOUND,
            409: Answer("Not anchored yet."),
        },
        parameters=(RECORD_ID,),
    ),
    Route(
        "get",
        "/v1/cases/{case}/bundle",
        "All records of a case up to the latest anchored checkpoint, linked.",
        CASE_READERS,
        {
            200: Answer("Case bundle v2 (PROTOCOL.md §5).", CaseBundle),
            401: UNAUTHORISED,
            404: Answer("To an agency: a case with records of other agencies."),
            409: Answer("Not anchored yet."),
        },
        parameters=(
            Parameter(
                "case",
                "path",
                {"type": "string"},
                "The case key, e.g. collection/C-1 or auction/LOT-7.",
            ),
        ),
    ),
    Route(
        "post",
        "/v1/verify",
        "Verify an uploaded proof bundle (offline checks).",
        PUBLIC,
        {
            200: Answer(
                "The report whatever its outcome; `assurance` is log-only, anchored,"
                " anchored+signed or anchored+signed+registered (none when not verified).",
                ReportAnswer,
            ),
            400: Answer("Not JSON."),
            415: NOT_JSON,
        },
        body=VerifyBody,
    ),
    Route(
        "get",
        "/v1/checkpoints",
        "A page of sealed checkpoints and their anchoring states.",
        PUBLIC,
        {
            200: Answer(
                "The checkpoints with from <= seq < from + limit, oldest first; a `Link`"
                ' header (rel="next") names the next page while there is one.',
                Checkpoints,
            ),
            400: PAGE_REFUSED,
        },
        parameters=PAGE,
    ),
    Route(
        "get",
        "/v1/anchors",
        "The confirmed anchors of a page of checkpoints.",
        PUBLIC,
        {
            200: Answer(
                "The confirmed anchors among the checkpoints with from <= seq < from + limit"
                ' (so possibly fewer than limit), oldest first; a `Link` header (rel="next")'
                " names the next page while there is one.",
                Anchors,
            ),
            400: PAGE_REFUSED,
        },
        parameters=PAGE,
    ),
    Route(
        "get",
        "/v1/checkpoint",
        "The latest checkpoint as a C2SP signed note (PROTOCOL.md §10): the log's Ed25519"
        " signature and every witness cosignature the node holds.",
        PUBLIC,
        {200: NOTE, 404: Answer("No checkpoint is signed yet.")},
    ),
    Route(
        "get",
        "/v1/checkpoint/{size}",
        "The checkpoint of this tree size as a signed, cosigned note.",
        PUBLIC,
        {
            200: NOTE,
            400: Answer("The size is not a decimal number."),
            404: Answer("No signed checkpoint of that size."),
        },
        parameters=(Parameter("size", "path", {"type": "string", "pattern": "^(0|[1-9][0-9]*)$"}),),
    ),
    Route(
        "post",
        "/v1/seal",
        "Seal a checkpoint now, if anything is new since the last one (`evanchor seal`"
        " beside a running node).",
        OPERATOR,
        {
            200: Answer("The new checkpoint, or null.", SealAnswer),
            400: Answer("The body is not the empty object {}."),
            401: Answer("No operator token, or not the node's."),
            415: NOT_JSON,
            503: Answer("The log store failed a write, or the node is still starting."),
        },
        body=SealBody,
    ),
    Route(
        "post",
        "/v1/records/{record_id}/shred",
        "Crypto-shred a record for a deletion request (`evanchor shred` beside a running"
        " node): its text, salt and id are deleted, its leaf stays, so every other proof"
        " stays valid, and a tombstone says when and why. Irreversible.",
        OPERATOR,
        {
            200: Answer("The record is shredded.", ShredAnswer),
            400: Answer('The body is not `{"reason": text}`.'),
            401: Answer("No operator token, or not the node's."),
            404: Answer("No record of that id in the log (or it is shredded already)."),
            415: NOT_JSON,
            503: Answer("The log store failed a write: nothing was shredded."),
        },
        body=ShredBody,
        parameters=(
            Parameter(
                "record_id",
                "path",
                {"type": "string", "pattern": "^[0-9a-fA-F]{8,64}$"},
                "The full record id, or a unique prefix of at least 8 hex digits.",
            ),
        ),
    ),
    Route(
        "get",
        "/v1/compliance/records",
        "A page of the log's records as the compliance engine reads them (`evanchor"
        " compliance report` beside a running node, which builds the report itself).",
        OPERATOR,
        {
            200: Answer(
                "The records of leaves from <= i < min(from + limit, to), seal leaves left"
                " out, and those not counted (shredded, missing) with why.",
                ComplianceRecordsAnswer,
            ),
            400: Answer("`from`, `limit` or `to` is not a decimal number in its range."),
            401: Answer("No operator token, or not the node's."),
        },
        parameters=(
            Parameter(
                "from", "query", {"type": "integer", "minimum": 0, "default": 0}, "First leaf."
            ),
            Parameter(
                "limit",
                "query",
                {"type": "integer", "minimum": 1, "maximum": 1000, "default": 1000},
                "Leaves in the page: a page costs O(limit) reads whatever the log's size.",
            ),
            Parameter(
                "to",
                "query",
                {"type": "integer", "minimum": 0},
                "End of the log prefix read (default: the log's size now); every page of one"
                " report passes the first page's `size`, so the report is of one prefix.",
            ),
        ),
    ),
    Route(
        "get",
        "/v1/status",
        "Log, chain and anchoring status, with anchor delay figures, and `health` (whether"
        " the log store still acknowledges records).",
        PUBLIC,
        {200: Answer("Status.", StatusAnswer)},
    ),
    Route(
        "get",
        "/v1/health",
        "Whether the node acknowledges records.",
        PUBLIC,
        {
            200: Answer('`{"status": "ok", "log_size": N}`', HealthAnswer),
            503: Answer(
                "A write failed; nothing is acknowledged until the node is restarted.",
                HealthAnswer,
            ),
        },
    ),
    Route(
        "get",
        "/v1/openapi.json",
        "This document.",
        PUBLIC,
        {200: Answer("OpenAPI 3.1.", model=None)},
    ),
    Route(
        "get",
        "/metrics",
        "Prometheus metrics: records, seals, anchors, anchor delay, backlog.",
        PUBLIC,
        {200: _text("The Prometheus text exposition format.")},
    ),
    Route(
        "get",
        "/verify",
        "The verification page: it verifies a bundle in the browser and never calls the node.",
        PUBLIC,
        {200: _text("One HTML file, the bytes `evanchor verify-page` writes.", "text/html")},
    ),
    *UPLOAD_ROUTES,
)

INFO = {
    "title": "evanchor node API",
    "version": "1",
    "description": "Submit signed evidence records, follow them until anchored, fetch and "
    "verify proof bundles. Errors are JSON with a one-line message naming the field. "
    "Records and bundles are personal data: reading them needs the operator token, a "
    "request signed by the submitting agency, or the full record id "
    "(docs/OPERATOR.md, section 14).",
}

SECURITY_SCHEMES = {
    "operatorToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "The operator token in <home>/keys/api-token (mode 0600).",
    },
    "agencySignature": {
        "type": "apiKey",
        "in": "header",
        "name": SIGNATURE_HEADER,
        "description": "0x + 65-byte signature by a registered agency key over the EIP-712"
        " typed data ApiRequest(string method,string path,uint64 timestamp) under the log's"
        " domain (chainId and contract from /v1/status); path is the request target as sent."
        " Reads the agency's own records and cases.",
    },
    "agencyTimestamp": {
        "type": "apiKey",
        "in": "header",
        "name": TIMESTAMP_HEADER,
        "description": f"The signed timestamp, unix seconds, within {MAX_REQUEST_AGE_SECONDS}"
        " s of the node.",
    },
}


def _models(routes: tuple[Route, ...]) -> list[type[BaseModel]]:
    found: dict[type[BaseModel], None] = {}
    for route in routes:
        if isinstance(route.body, type):
            found[route.body] = None
        for answer in route.answers.values():
            if answer.model is not None:
                found[answer.model] = None
    return list(found)


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def model_schemas(
    models: list[type[BaseModel]],
) -> tuple[dict[type[BaseModel], dict[str, Any]], dict[str, Any]]:
    """Each model's reference and every schema they need, named by the models' titles
    (the API's words: `Receipt`, not the class's `ReceiptAnswer`). Answers are described
    as the node serialises them (hex as strings, for instance)."""
    refs, document = models_json_schema(
        [(model, "serialization") for model in models], ref_template=SCHEMAS + "{model}"
    )
    defs: dict[str, Any] = document.get("$defs", {})
    names: dict[str, str] = {}
    for key, schema in defs.items():
        title = str(schema.get("title", key))
        suffix = next((end for end in ("-Input", "-Output") if key.endswith(end)), "")
        names[key] = title + suffix
    if len(set(names.values())) != len(names):
        raise ValueError(f"two API models share a title: {sorted(names.values())}")

    def renamed(ref: str) -> str:
        return SCHEMAS + names[ref.removeprefix(SCHEMAS)] if ref.startswith(SCHEMAS) else ref

    for schema in _walk([defs, refs]):
        ref = schema.get("$ref")
        if isinstance(ref, str):
            schema["$ref"] = renamed(ref)
        mapping = schema.get("discriminator", {}).get("mapping")
        if isinstance(mapping, dict):  # a discriminated union names its members' schemas
            schema["discriminator"]["mapping"] = {k: renamed(v) for k, v in mapping.items()}
    by_model = {model: refs[(model, "serialization")] for model in models}
    return by_model, {names[key]: schema for key, schema in sorted(defs.items())}


def _operation(route: Route, refs: Mapping[type[BaseModel], dict[str, Any]]) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": route.summary, "security": list(route.security)}
    if route.description is not None:
        operation["description"] = route.description
    if route.parameters:
        operation["parameters"] = [
            {
                "name": p.name,
                "in": p.where,
                "required": p.where == "path",
                "schema": p.schema,
                **({} if p.description is None else {"description": p.description}),
            }
            for p in route.parameters
        ]
    if isinstance(route.body, RawBody):
        operation["requestBody"] = {
            "required": True,
            "content": {route.body.media: {"schema": {"type": "string"}}},
        }
    elif route.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": refs[route.body]}},
        }
    responses: dict[str, Any] = {}
    for status, answer in sorted(route.answers.items()):
        responses[str(status)] = {"description": answer.description}
        if answer.media is None:
            continue
        media: dict[str, Any] = {}
        if answer.model is not None:
            media = {"schema": refs[answer.model]}
        elif answer.media != "application/json":
            media = {"schema": {"type": "string"}}
        responses[str(status)]["content"] = {answer.media: media}
    operation["responses"] = responses
    return operation


def openapi_document(routes: tuple[Route, ...] = ROUTES) -> dict[str, Any]:
    """The document for `routes`: paths from the table, schemas from the models."""
    refs, schemas = model_schemas(_models(routes))
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method] = _operation(route, refs)
    return {
        "openapi": "3.1.0",
        "info": INFO,
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": SECURITY_SCHEMES},
    }


OPENAPI: dict[str, Any] = openapi_document()
