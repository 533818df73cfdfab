"""The node's HTTP API (aiohttp). Handlers parse, call `NodeService`, and answer JSON.

Bad requests get a 4xx with `{"error": {"message", "field", "item"}}`; bodies larger than
`MAX_REQUEST_BYTES` are refused with 413 while being read, before any parsing, and a POST
whose Content-Type is not application/json with 415. Reading records and bundles needs an
authorised caller (access.py: the operator token, an agency-signed request, or the full
record id); 401 says what is missing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiohttp import web
from pydantic import ValidationError

from evanchor.anchor.compliance.engine import Flag
from evanchor.anchor.compliance.feedback import flags_json, rule_set_ref
from evanchor.anchor.compliance.rules import LANGUAGES, Lang
from evanchor.anchor.errors import EvanchorError
from evanchor.anchor.log.store import LogStoreFailed, RecordNotFound
from evanchor.anchor.protocol.checkpoint import Checkpoint
from evanchor.anchor.protocol.errors import InputError
from evanchor.anchor.protocol.jsonin import MAX_SAFE_INTEGER, parse_json_object
from evanchor.anchor.report.page import verify_page_html
from evanchor.anchor.verify.bundle import verify_bundle
from evanchor.anchor.verify.case_bundle import verify_case_bundle
from evanchor.node.daemon.access import (
    ANONYMOUS,
    OPERATOR,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Caller,
    CallerKind,
    NotTheCallers,
    Unauthenticated,
    agency_signer,
    is_full_record_id,
    token_matches,
)
from evanchor.node.daemon.api_models import ComplianceAnswer, RuleSetRef, ShredBody
from evanchor.node.daemon.bundles import NotAnchoredYet
from evanchor.node.daemon.compliance_log import RECORDS_PAGE_MAX
from evanchor.node.daemon.metrics import CONTENT_TYPE
from evanchor.node.daemon.openapi import OPENAPI
from evanchor.node.daemon.service import (
    BatchInvalid,
    CheckpointAnchoring,
    ConfirmedAnchor,
    NodeOverloaded,
    NodeService,
    RegistryUnavailable,
)
from evanchor.node.daemon.status import HealthStatus
from evanchor.node.daemon.submissions import MAX_REQUEST_BYTES
from evanchor.node.daemon.witnessing import seal_and_sign

log = logging.getLogger(__name__)


class Sealer(Protocol):
    """Seals (and signs) a checkpoint now, as the node's batcher does; None if nothing is
    new since the last one. Raises `LogStoreFailed` once the store has failed a write."""

    async def __call__(self) -> Checkpoint | None: ...


SERVICE = web.AppKey("evanchor_service", NodeService)
OPERATOR_TOKEN = web.AppKey("evanchor_operator_token", str)
SEALER = web.AppKey("evanchor_sealer", Sealer)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ContentTypeRefused(EvanchorError):
    """A POST body that does not say it is JSON (415)."""

    def __init__(self, found: str) -> None:
        super().__init__(f"Content-Type must be application/json, got {found or 'none'}")
        self.found = found


class NodeStarting(EvanchorError):
    """A request the node cannot serve before it has finished starting (503)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"the node is still starting: {what} is not ready; try again")
        self.what = what


def error_field(error: EvanchorError) -> str | None:
    """The input field an error names (its `member`, `field_path` or `path`), for the
    `field` of an error answer; None when it names none."""
    for name in ("member", "field_path", "path"):
        value = getattr(error, name, None)
        if isinstance(value, str):
            return value
    return None


def error_response(
    status: int, message: str, *, field: str | None = None, item: int | None = None
) -> web.Response:
    body = {"error": {"message": message, "field": field, "item": item}}
    return web.json_response(body, status=status)


@web.middleware
async def errors_as_json(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except BatchInvalid as error:
        return error_response(400, str(error), field=error_field(error.error), item=error.item)
    except InputError as error:
        return error_response(400, error.detail(), field=error_field(error))
    except RecordNotFound as error:
        return error_response(404, str(error))
    except NotAnchoredYet as error:
        return error_response(409, str(error))
    except NotTheCallers as error:
        return error_response(404, str(error))
    except Unauthenticated as error:
        response = error_response(401, str(error))
        response.headers["WWW-Authenticate"] = 'Bearer realm="evanchor"'
        return response
    except ContentTypeRefused as error:
        return error_response(415, str(error))
    except RegistryUnavailable as error:
        return error_response(503, str(error))
    except LogStoreFailed as error:
        return error_response(503, str(error))
    except NodeStarting as error:
        return error_response(503, str(error))
    except NodeOverloaded as error:
        response = error_response(429, str(error))
        response.headers["Retry-After"] = str(error.retry_after)
        return response
    except EvanchorError as error:
        return error_response(400, str(error), field=error_field(error))
    except web.HTTPRequestEntityTooLarge:
        return error_response(
            413, f"request body larger than {MAX_REQUEST_BYTES} bytes; nothing was read"
        )
    except web.HTTPException as error:
        if error.status >= 400:
            return error_response(error.status, error.reason)
        raise
    except Exception:
        log.exception("internal error on %s %s", request.method, request.path)
        return error_response(500, "internal error; see the node's log")


async def _raw_json_body(request: web.Request) -> bytes:
    """The body of a JSON POST, unparsed: 415 unless it says it is JSON, 413 past
    `MAX_REQUEST_BYTES` (checked on the declared length before reading, and while reading)."""
    if request.content_type != "application/json":
        raise ContentTypeRefused(request.headers.get("Content-Type", ""))
    declared = request.content_length
    if declared is not None and declared > MAX_REQUEST_BYTES:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_REQUEST_BYTES, actual_size=declared)
    return await request.read()


async def _json_body(request: web.Request) -> dict[str, Any]:
    raw = await _raw_json_body(request)
    return parse_json_object(raw, source="request body", limit=MAX_REQUEST_BYTES)


def caller_of(request: web.Request) -> Caller:
    """Who sent `request`: the operator (a matching bearer token), an agency (a signed
    request from a registered key), or anyone. Credentials that are given but do not check
    out are refused (`Unauthenticated`), never ignored."""
    authorization = request.headers.get("Authorization")
    if authorization is not None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token_matches(
            token.strip(), request.app[OPERATOR_TOKEN]
        ):
            raise Unauthenticated("Authorization: not the node's operator token")
        return OPERATOR
    timestamp = request.headers.get(TIMESTAMP_HEADER)
    signature = request.headers.get(SIGNATURE_HEADER)
    if timestamp is None and signature is None:
        return ANONYMOUS
    if timestamp is None or signature is None:
        raise Unauthenticated(f"a signed request needs {TIMESTAMP_HEADER} and {SIGNATURE_HEADER}")
    service = request.app[SERVICE]
    address = agency_signer(service.domain, request.method, request.raw_path, timestamp, signature)
    agency = service.agency_of(address)
    if agency is None:
        revocation = service.revocation(address)
        if revocation is not None:
            raise Unauthenticated(
                f"{address} signed the request, but its registration for agency"
                f" {revocation.credit_code} was revoked in block {revocation.block_number}"
            )
        raise UnknownSigner(address)
    return Caller(CallerKind.AGENCY, agency=agency, address=address)


class UnknownSigner(Unauthenticated):
    """A request signed by a key the agency registry, as the node last read it, does not
    hold (registered since, or never)."""

    def __init__(self, address: str) -> None:
        super().__init__(f"{address} signed the request but is not a registered agency key")
        self.address = address


async def current_caller(request: web.Request) -> Caller:
    """`caller_of`, after one fresh read of the agency registry when the signer is not in
    it: the anchoring thread reads it about every second, and a key registered since (or
    any key, just after the node started) must not be refused for that. An unknown signer
    costs a registry read, as an unknown submitter does (`NodeService.submit`)."""
    try:
        return caller_of(request)
    except UnknownSigner:
        await request.app[SERVICE].refresh_agencies()
        return caller_of(request)


async def _may_read_record(request: web.Request, record_id: str) -> None:
    """Raise unless the caller may read the record `record_id` names (access.py)."""
    caller = await current_caller(request)
    if caller.kind is CallerKind.OPERATOR:
        return
    if caller.kind is CallerKind.AGENCY:
        assert caller.agency is not None
        if request.app[SERVICE].record_agency(record_id) != caller.agency:
            raise NotTheCallers(f"record {record_id}", caller.agency)
        return
    if not is_full_record_id(record_id):
        raise Unauthenticated(
            "reading a record by an id prefix needs the operator token (Authorization: Bearer)"
            " or an agency-signed request; the full 64-hex record id needs neither"
        )


async def post_records(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    if service.domain is None and caller_of(request).kind is not CallerKind.OPERATOR:
        raise Unauthenticated(
            "this node anchors nowhere and cannot check signatures: submitting needs the"
            " operator token (Authorization: Bearer)"
        )
    service.refuse_if_overloaded()  # before reading the body: shedding load must be cheap
    raw = await _raw_json_body(request)
    lang = query_lang(request)
    receipts = await service.submit_body(raw)  # parsed and checked in worker processes
    status = 201 if any(not r.duplicate for r in receipts) else 200
    compliance = ComplianceAnswer(rule_set=RuleSetRef.model_validate(rule_set_ref(service.rules)))
    flags: dict[int, list[Flag]] = {}
    try:
        loop = asyncio.get_running_loop()
        flags = await loop.run_in_executor(None, service.compliance_flags, receipts)
    except Exception:  # the records are in the log: their receipts must reach the agency
        log.exception("compliance flags of a submission could not be computed")
        compliance = compliance.model_copy(
            update={"error": "flags could not be computed; see the node's log"}
        )
    answered = [
        {**r.as_json(), "flags": flags_json(flags.get(r.index, []), service.rules, lang)}
        for r in receipts
    ]
    body = {"receipts": answered, "compliance": compliance.model_dump(exclude_none=True)}
    return web.json_response(body, status=status)


def query_lang(request: web.Request) -> Lang:
    """`?lang=zh-CN` (the default) or `?lang=en`: the language of the flags' reasons."""
    wanted = request.query.get("lang", "zh-CN")
    for lang in LANGUAGES:
        if wanted == lang:
            return lang
    raise web.HTTPBadRequest(reason=f"lang: expected zh-CN or en, got {wanted[:16]!r}")


async def get_record(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    record_id = request.match_info["record_id"]
    await _may_read_record(request, record_id)
    return web.json_response(service.record_status(record_id).as_json())


async def get_bundle(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    record_id = request.match_info["record_id"]
    await _may_read_record(request, record_id)
    loop = asyncio.get_running_loop()
    bundle = await loop.run_in_executor(None, service.bundle, record_id)
    return web.json_response(bundle.as_json())


async def get_case_bundle(request: web.Request) -> web.Response:
    """A case bundle: for the operator, or for the agency that submitted every record of
    the case (a case key is a name anyone can guess, so it opens nothing by itself)."""
    service = request.app[SERVICE]
    case = request.match_info["case"]
    caller = await current_caller(request)
    if caller.kind is CallerKind.ANONYMOUS:
        raise Unauthenticated(
            "reading a case needs the operator token (Authorization: Bearer) or a request"
            " signed by the agency that submitted it"
        )
    if caller.kind is CallerKind.AGENCY:
        assert caller.agency is not None
        if service.case_agencies(case) != {caller.agency}:
            raise NotTheCallers(f"case {case}", caller.agency)
    loop = asyncio.get_running_loop()
    bundle = await loop.run_in_executor(None, service.case_bundle, case)
    return web.json_response(bundle.as_json())


async def post_verify(request: web.Request) -> web.Response:
    """The offline checks of a bundle: 200 with the report whatever its outcome (VERIFIED,
    NOT VERIFIED, or CANNOT VERIFY), which is the report's `outcome`; 4xx only for a body
    that is not JSON. The node asks no chain here: the report's assurance is at most what
    the bundle shows on its own (see docs/PROTOCOL.md §6)."""
    body = await _json_body(request)
    if body.get("format") == "evanchor/case-bundle":
        report = verify_case_bundle(body)
    else:
        report = verify_bundle(body)
    return web.json_response(report.as_json())


PAGE_DEFAULT = 100
"""Checkpoints in a page of `GET /v1/checkpoints` and `/v1/anchors` without `limit`."""
PAGE_MAX = 1000
"""The largest `limit`: a page costs O(limit) reads, whatever the log's size."""


_DECIMAL = re.compile(r"0|[1-9][0-9]{0,15}")
"""A page parameter: ASCII decimal digits, no leading zero, at most 16 of them (str.isdigit
also takes "²", which int() refuses)."""


def _page_number(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    text = request.query.get(name)
    if text is None:
        return default
    if not _DECIMAL.fullmatch(text) or not low <= int(text) <= high:
        raise web.HTTPBadRequest(
            reason=f"{name}: expected a decimal number from {low} to {high}, got {text[:24]!r}"
        )
    return int(text)


def _page(request: web.Request) -> tuple[int, int, str | None]:
    """`?from=SEQ&limit=N` (from 0, limit PAGE_DEFAULT): the page's first seq, its length,
    and the `Link` header of the next page (RFC 8288 rel="next"), None on the last."""
    start = _page_number(request, "from", 0, 0, MAX_SAFE_INTEGER)
    limit = _page_number(request, "limit", PAGE_DEFAULT, 1, PAGE_MAX)
    if start + limit >= request.app[SERVICE].store.checkpoint_count:
        return start, limit, None
    return start, limit, f'<{request.path}?from={start + limit}&limit={limit}>; rel="next"'


def _paged(
    body: list[CheckpointAnchoring] | list[ConfirmedAnchor], link: str | None
) -> web.Response:
    listed = [item.as_json() for item in body]
    return web.json_response(listed, headers={} if link is None else {"Link": link})


async def get_compliance_records(request: web.Request) -> web.Response:
    """A page of the log's records for a compliance report (`evanchor compliance report`
    beside a running node): the operator only, as records are personal data.
    `?from=LEAF&limit=N&to=SIZE`: `to` (default the log's size now) fixes the log prefix
    every page of one report covers."""
    if caller_of(request).kind is not CallerKind.OPERATOR:
        raise Unauthenticated(
            "the log's records for a report need the operator token (Authorization: Bearer)"
        )
    service = request.app[SERVICE]
    size = service.store.size
    to = _page_number(request, "to", size, 0, size)
    start = _page_number(request, "from", 0, 0, to)
    limit = _page_number(request, "limit", RECORDS_PAGE_MAX, 1, RECORDS_PAGE_MAX)
    loop = asyncio.get_running_loop()
    page = await loop.run_in_executor(None, service.compliance_records, start, limit, to)
    return web.json_response(page)


async def get_checkpoints(request: web.Request) -> web.Response:
    start, limit, link = _page(request)
    return _paged(request.app[SERVICE].checkpoints(start, limit), link)


async def get_anchors(request: web.Request) -> web.Response:
    start, limit, link = _page(request)
    return _paged(request.app[SERVICE].anchors(start, limit), link)


async def get_signed_checkpoint(request: web.Request) -> web.Response:
    """The latest checkpoint (or the one of tree size {size}) as a C2SP signed note with the
    log's signature and every cosignature the node holds (PROTOCOL.md §10)."""
    size_text = request.match_info.get("size")
    if size_text is not None and (not size_text.isdigit() or size_text != str(int(size_text))):
        return error_response(400, f"tree size {size_text!r} is not a decimal number")
    note = request.app[SERVICE].signed_checkpoint(None if size_text is None else int(size_text))
    if note is None:
        return error_response(404, "no signed checkpoint (of that size) yet")
    return web.Response(body=note, content_type="text/plain", charset="utf-8")


async def post_seal(request: web.Request) -> web.Response:
    """Seal a checkpoint now (`evanchor seal` beside a running node): the operator only,
    as it changes the log. The body is `{}` (JSON, as every POST). Answers
    `{"sealed": checkpoint or null, "size": N}`."""
    if caller_of(request).kind is not CallerKind.OPERATOR:
        raise Unauthenticated("sealing needs the operator token (Authorization: Bearer)")
    if await _json_body(request):
        return error_response(400, "expected an empty object {}: a seal takes no parameters")
    checkpoint = await request.app[SEALER]()
    sealed = None if checkpoint is None else checkpoint.as_json()
    return web.json_response({"sealed": sealed, "size": request.app[SERVICE].store.size})


async def post_shred(request: web.Request) -> web.Response:
    """Crypto-shred a record (`evanchor shred` beside a running node): the operator only,
    as it erases. The body is `{"reason": text}`; answers what `ShredAnswer` says."""
    if caller_of(request).kind is not CallerKind.OPERATOR:
        raise Unauthenticated("shredding needs the operator token (Authorization: Bearer)")
    body = await _json_body(request)
    try:
        reason = ShredBody.model_validate(body).reason
    except ValidationError as error:
        fault = error.errors()[0]
        where = ".".join(str(part) for part in fault["loc"]) or "body"
        return error_response(
            400, f'{where}: {fault["msg"]} (a shred takes {{"reason": text}})', field=where
        )
    service = request.app[SERVICE]
    loop = asyncio.get_running_loop()
    shredded = await loop.run_in_executor(
        None, service.shred, request.match_info["record_id"], reason
    )
    return web.json_response(shredded.model_dump(mode="json"))


async def get_status(request: web.Request) -> web.Response:
    return web.json_response(request.app[SERVICE].status())


async def get_health(request: web.Request) -> web.Response:
    """200 while the node acknowledges records; 503 once its log store has failed."""
    service = request.app[SERVICE]
    failure = service.store.failure
    if failure is not None:
        body = {
            "status": HealthStatus.FAILED,
            "reason": str(failure),
            "log_size": service.store.size,
        }
        return web.json_response(body, status=503)
    return web.json_response({"status": HealthStatus.OK, "log_size": service.store.size})


async def get_metrics(request: web.Request) -> web.Response:
    body = request.app[SERVICE].metrics.exposition()
    response = web.Response(body=body)
    response.headers["Content-Type"] = CONTENT_TYPE
    return response


async def get_verify_page(_: web.Request) -> web.Response:
    """The verification page (anchor/report/page.py): it verifies in the browser and never
    calls this node; the same bytes as `evanchor verify-page` writes."""
    return web.Response(body=verify_page_html(), content_type="text/html", charset="utf-8")


async def get_openapi(_: web.Request) -> web.Response:
    return web.Response(text=json.dumps(OPENAPI, indent=2), content_type="application/json")


def _seal_here(service: NodeService) -> Sealer:
    """The plain seal of `service`'s log on a worker thread (no metrics, nothing woken):
    for an API run without the daemon's batcher, as in the API tests."""

    async def seal() -> Checkpoint | None:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, seal_and_sign, service.store, service.log_signer)

    return seal


def create_api_app(
    service: NodeService, *, operator_token: str, sealer: Sealer | None = None
) -> web.Application:
    """The API of `service`; `operator_token` is the secret of `Authorization: Bearer`;
    `sealer` seals on `POST /v1/seal` (the daemon passes its batcher's seal)."""
    if len(operator_token) < 16:
        raise ValueError("the operator token is too short to be a secret")
    app = web.Application(client_max_size=MAX_REQUEST_BYTES, middlewares=[errors_as_json])
    app[SERVICE] = service
    app[OPERATOR_TOKEN] = operator_token
    app[SEALER] = _seal_here(service) if sealer is None else sealer
    app.router.add_post("/v1/records", post_records)
    app.router.add_get("/v1/records/{record_id}", get_record)
    app.router.add_get("/v1/records/{record_id}/bundle", get_bundle)
    app.router.add_get("/v1/cases/{case:.+}/bundle", get_case_bundle)
    app.router.add_post("/v1/verify", post_verify)
    app.router.add_get("/v1/checkpoints", get_checkpoints)
    app.router.add_get("/v1/anchors", get_anchors)
    app.router.add_get("/v1/checkpoint", get_signed_checkpoint)
    app.router.add_get("/v1/checkpoint/{size}", get_signed_checkpoint)
    app.router.add_post("/v1/seal", post_seal)
    app.router.add_post("/v1/records/{record_id}/shred", post_shred)
    app.router.add_get("/v1/compliance/records", get_compliance_records)
    app.router.add_get("/v1/status", get_status)
    app.router.add_get("/v1/health", get_health)
    app.router.add_get("/v1/openapi.json", get_openapi)
    app.router.add_get("/metrics", get_metrics)
    app.router.add_get("/verify", get_verify_page)
    return app
