"""Staged uploads over HTTP: a file of any size submitted all or nothing.

`POST /v1/records` takes what fits in one request (`MAX_REQUEST_BYTES`,
`MAX_RECORDS_PER_REQUEST`). A larger file is sent as an upload:

    POST   /v1/uploads                          -> {upload_id, max_chunk_bytes, ...}
    PUT    /v1/uploads/{id}/chunks/{seq}         JSON Lines, at most max_chunk_bytes bytes
    POST   /v1/uploads/{id}/commit              -> receipts of every record, in line order
    GET    /v1/uploads/{id}  ·  DELETE /v1/uploads/{id}

Each chunk is checked when it arrives, by the same checks as `POST /v1/records`
(`NodeService.check_body`: JSON, schema, signature, registered agency, in the daemon's
checking worker processes), and a fault refuses the chunk naming the line of the client's
file. Checked records wait in the staging (staging.py), outside the log. The commit appends
all of them through the group committer as one unit: one synced LevelDB batch, so the log
holds the whole upload or none of it, through kill -9. An abandoned, expired or failed upload
leaves nothing.

`add_upload_routes` adds these routes to the API app (`api.create_api_app`); errors not
peculiar to uploads (bad input, overload, a failed store) answer through the API's own error
middleware.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from evanchor.anchor.compliance.feedback import FEEDBACK_MAX_RECORDS, flags_json, rule_set_ref
from evanchor.anchor.errors import EvanchorError
from evanchor.anchor.log.store import PreparedRecord
from evanchor.anchor.protocol.errors import InputError
from evanchor.anchor.protocol.jsonin import jsonl_lines, parse_json_object
from evanchor.node.daemon.access import CallerKind, Unauthenticated
from evanchor.node.daemon.api import (
    SERVICE,
    ContentTypeRefused,
    caller_of,
    error_field,
    error_response,
    query_lang,
)
from evanchor.node.daemon.service import BatchInvalid, NodeService
from evanchor.node.daemon.staging import (
    Chunk,
    ChunkOutOfOrder,
    StagedRecord,
    StagingBound,
    StagingFull,
    Upload,
    UploadBusy,
    UploadNotFound,
    UploadStaging,
    encode_chunk,
)
from evanchor.node.daemon.submissions import MAX_RECORDS_PER_REQUEST, MAX_REQUEST_BYTES
from evanchor.node.daemon.upload_models import (
    CHUNK_CONTENT_TYPE,
    ChunkStaged,
    UploadCreated,
    UploadStatus,
)

log = logging.getLogger(__name__)

SWEEP_SECONDS = 30.0
"""How often expired uploads are deleted (they are refused as soon as they expire)."""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ChunkLineInvalid(EvanchorError):
    """Line `line` of the client's file is at fault (`error`); nothing of the chunk was
    staged."""

    def __init__(self, line: int, error: InputError) -> None:
        super().__init__(f"line {line}: {error.detail()}")
        self.line = line
        self.error = error


class ChunkEmpty(EvanchorError):
    def __init__(self, seq: int) -> None:
        super().__init__(f"chunk {seq} holds no records")


class UploadEmpty(EvanchorError):
    def __init__(self, upload_id: str) -> None:
        super().__init__(f"upload {upload_id} holds no records: nothing to commit")


@dataclass
class Uploads:
    """What the upload handlers share: the staging and one lock per open upload (a chunk
    and a commit of the same upload never run at once)."""

    staging: UploadStaging
    locks: dict[str, asyncio.Lock]

    def lock(self, upload_id: str) -> asyncio.Lock:
        return self.locks.setdefault(upload_id, asyncio.Lock())


UPLOADS = web.AppKey("evanchor_uploads", Uploads)


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")


def _answer(model: Any, status: int = 200) -> web.Response:
    return web.json_response(model.model_dump(mode="json"), status=status)


@web.middleware
async def upload_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The refusals peculiar to uploads, as JSON errors; the rest passes to the API's own
    middleware (`api.errors_as_json`)."""
    try:
        return await handler(request)
    except ChunkLineInvalid as error:
        body = {
            "error": {
                "message": str(error),
                "field": error_field(error.error),
                "item": None,
                "line": error.line,
                "reason": error.error.detail(),
            }
        }
        return web.json_response(body, status=400)
    except (ChunkEmpty, UploadEmpty) as error:
        return error_response(400, str(error))
    except UploadNotFound as error:
        return error_response(404, str(error))
    except (UploadBusy, ChunkOutOfOrder) as error:
        return error_response(409, str(error))
    except StagingFull as error:
        status = 413 if error.bound is StagingBound.UPLOAD_BYTES else 507
        return error_response(status, str(error))


def _may_upload(request: web.Request) -> NodeService:
    """The service, if the caller may submit: on a log-only node only the operator (as for
    `POST /v1/records`); on an anchoring node anyone, every record being signed."""
    service = request.app[SERVICE]
    if service.domain is None and caller_of(request).kind is not CallerKind.OPERATOR:
        raise Unauthenticated(
            "this node anchors nowhere and cannot check signatures: uploading needs the"
            " operator token (Authorization: Bearer)"
        )
    return service


async def create_upload(request: web.Request) -> web.Response:
    service = _may_upload(request)
    service.refuse_if_overloaded()
    uploads = request.app[UPLOADS]
    await _sweep(uploads)
    upload = uploads.staging.create()
    log.info("upload %s… started", upload.upload_id[:8])
    created = UploadCreated(
        upload_id=upload.upload_id,
        expires_at=_iso(upload.expires_at),
        max_chunk_bytes=MAX_REQUEST_BYTES,
        max_upload_bytes=uploads.staging.limits.max_upload_bytes,
    )
    return _answer(created, 201)


def _status(upload: Upload) -> UploadStatus:
    return UploadStatus(
        upload_id=upload.upload_id,
        chunks=len(upload.chunks),
        records=upload.records,
        upload_bytes=upload.body_bytes,
        next_line=upload.next_line,
        committing=upload.committing,
        expires_at=_iso(upload.expires_at),
    )


async def get_upload(request: web.Request) -> web.Response:
    _may_upload(request)
    upload = request.app[UPLOADS].staging.get(request.match_info["upload_id"])
    return _answer(_status(upload))


async def delete_upload(request: web.Request) -> web.Response:
    _may_upload(request)
    uploads = request.app[UPLOADS]
    upload_id = request.match_info["upload_id"]
    upload = uploads.staging.get(upload_id)
    if upload.committing:
        raise UploadBusy(upload_id)
    async with uploads.lock(upload_id):
        uploads.staging.forget(upload_id)
        uploads.locks.pop(upload_id, None)
        await asyncio.get_running_loop().run_in_executor(
            None, uploads.staging.remove_files, upload_id
        )
    log.info("upload %s… abandoned", upload_id[:8])
    return web.Response(status=204)


def _chunk_lines(raw: bytes, first_line: int) -> tuple[list[int], list[bytes]]:
    """The non-blank lines of a chunk body, unparsed, and the file line of each; a line
    over the record limit raises `ChunkLineInvalid` (the workers parse the rest)."""
    lines: list[int] = []
    contents: list[bytes] = []
    for number, content, _ in jsonl_lines(io.BytesIO(raw)):
        if content is None:
            continue
        line = first_line + number - 1
        if isinstance(content, InputError):
            raise ChunkLineInvalid(line, content.located(line=line))
        lines.append(line)
        contents.append(content)
    return lines, contents


def _first_unparsable(lines: list[int], contents: list[bytes]) -> ChunkLineInvalid | None:
    """The first line that is not a JSON object (with the strict reader's fault), if any:
    where a sub-body the workers refused as a whole went wrong."""
    for line, content in zip(lines, contents, strict=True):
        try:
            parse_json_object(content, source="line")
        except InputError as error:
            return ChunkLineInvalid(line, error.located(line=line))
    return None


def _sub_bodies(contents: list[bytes]) -> list[tuple[int, bytes]]:
    """The lines as `{"submissions": [...]}` bodies of at most `MAX_RECORDS_PER_REQUEST`
    items and `MAX_REQUEST_BYTES` bytes, with the index of each body's first line: the form
    the daemon's checker takes (node/daemon/submissions.py)."""
    bodies: list[tuple[int, bytes]] = []
    start, size = 0, 0
    for index, content in enumerate(contents):
        count = index - start
        if count and (
            count == MAX_RECORDS_PER_REQUEST or size + len(content) + 64 > MAX_REQUEST_BYTES
        ):
            bodies.append((start, _body(contents[start:index])))
            start, size = index, 0
        size += len(content) + 1
    if start < len(contents):
        bodies.append((start, _body(contents[start:])))
    return bodies


def _body(contents: list[bytes]) -> bytes:
    return b'{"submissions":[' + b",".join(contents) + b"]}"


async def _check_chunk(
    service: NodeService, lines: list[int], contents: list[bytes]
) -> list[PreparedRecord]:
    """Every line checked by the daemon's own checks (`NodeService.check_body`: parsed,
    validated and signers recovered in its worker processes, several sub-bodies at once,
    then authorised); the first fault in line order as `ChunkLineInvalid`."""
    bodies = _sub_bodies(contents)
    outcomes = await asyncio.gather(
        *(service.check_body(body) for _, body in bodies), return_exceptions=True
    )
    prepared: list[PreparedRecord] = []
    for (start, _), outcome in zip(bodies, outcomes, strict=True):
        if isinstance(outcome, BatchInvalid):
            raise ChunkLineInvalid(lines[start + outcome.item], outcome.error) from None
        if isinstance(outcome, InputError):  # the sub-body as a whole: a line is not JSON
            located = _first_unparsable(lines[start:], contents[start:])
            raise located if located is not None else outcome
        if isinstance(outcome, BaseException):
            raise outcome
        prepared.extend(outcome)
    return prepared


def _query_int(request: web.Request, name: str, default: int, minimum: int) -> int:
    text = request.query.get(name)
    if text is None:
        return default
    if not (text.isascii() and text.isdigit()) or int(text) < minimum:  # isdigit takes '²'
        raise web.HTTPBadRequest(reason=f"{name}: expected an integer >= {minimum}")
    return int(text)


async def put_chunk(request: web.Request) -> web.Response:
    service = _may_upload(request)
    uploads = request.app[UPLOADS]
    upload_id = request.match_info["upload_id"]
    seq_text = request.match_info["seq"]
    if not (seq_text.isascii() and seq_text.isdigit()):
        raise web.HTTPBadRequest(reason="seq: expected a chunk number")
    seq = int(seq_text)
    upload = uploads.staging.get(upload_id)
    if request.content_type != CHUNK_CONTENT_TYPE:
        raise ContentTypeRefused(request.headers.get("Content-Type", ""))
    service.refuse_if_overloaded()
    raw = await request.read()  # at most MAX_REQUEST_BYTES (the app's client_max_size)
    digest = hashlib.sha256(raw).digest()
    loop = asyncio.get_running_loop()
    async with uploads.lock(upload_id):
        upload = uploads.staging.get(upload_id)
        if upload.committing:
            raise UploadBusy(upload_id)
        if upload.chunks and seq == len(upload.chunks) - 1 and upload.chunks[-1].digest == digest:
            return _answer(_chunk_answer(upload, upload.chunks[-1]), 200)  # a retry
        if seq != len(upload.chunks):
            raise ChunkOutOfOrder(upload_id, len(upload.chunks), seq)
        first_line = _query_int(request, "first_line", upload.next_line, upload.next_line)
        uploads.staging.check_room(upload, len(raw), len(raw))
        lines, contents = await loop.run_in_executor(None, _chunk_lines, raw, first_line)
        if not contents:
            raise ChunkEmpty(seq)
        prepared = await _check_chunk(service, lines, contents)
        staged = await loop.run_in_executor(
            None,
            encode_chunk,
            [StagedRecord(line, record) for line, record in zip(lines, prepared, strict=True)],
        )
        uploads.staging.check_room(upload, len(raw), len(staged))
        await loop.run_in_executor(None, uploads.staging.write_chunk, upload_id, seq, staged)
        line_count = raw.count(b"\n") + (0 if raw.endswith(b"\n") else 1)
        chunk = Chunk(
            seq=seq,
            digest=digest,
            records=len(prepared),
            body_bytes=len(raw),
            staged_bytes=len(staged),
            first_line=first_line,
            last_line=first_line + line_count - 1,
        )
        upload = uploads.staging.add_chunk(upload_id, chunk)
    return _answer(_chunk_answer(upload, chunk), 201)


def _chunk_answer(upload: Upload, chunk: Chunk) -> ChunkStaged:
    return ChunkStaged(
        upload_id=upload.upload_id,
        seq=chunk.seq,
        records=chunk.records,
        first_line=chunk.first_line,
        last_line=chunk.last_line,
        upload_records=upload.records,
        upload_bytes=upload.body_bytes,
        expires_at=_iso(upload.expires_at),
    )


async def commit_upload(request: web.Request) -> web.Response:
    """Append the upload whole. The upload is closed whatever the outcome: a failed
    append wrote nothing (one batch), and the client starts again."""
    service = _may_upload(request)
    uploads = request.app[UPLOADS]
    upload_id = request.match_info["upload_id"]
    lang = query_lang(request)
    loop = asyncio.get_running_loop()
    uploads.staging.get(upload_id)  # an unknown id takes no lock (nor any memory)
    async with uploads.lock(upload_id):
        upload = uploads.staging.get(upload_id)
        if upload.committing:
            raise UploadBusy(upload_id)
        if upload.records == 0:
            raise UploadEmpty(upload_id)
        failure = service.store.failure
        if failure is not None:
            raise failure
        upload = uploads.staging.set_committing(upload_id, True)
        try:
            staged = await loop.run_in_executor(None, uploads.staging.read_records, upload)
            receipts = await service.append_checked([s.record for s in staged])
        finally:
            uploads.staging.forget(upload_id)
            uploads.locks.pop(upload_id, None)
            await loop.run_in_executor(None, uploads.staging.remove_files, upload_id)
    log.info("upload %s… committed: %d records", upload_id[:8], len(receipts))
    compliance: dict[str, Any] = {"rule_set": rule_set_ref(service.rules)}
    flags: dict[int, Any] = {}
    if len(receipts) > FEEDBACK_MAX_RECORDS:
        compliance["note"] = (
            f"no flags on the receipts of an upload of over {FEEDBACK_MAX_RECORDS} records:"
            " run `evanchor compliance report`"
        )
    else:
        try:
            flags = await loop.run_in_executor(None, service.compliance_flags, receipts)
        except Exception:  # the records are in the log: their receipts must reach the agency
            log.exception("compliance flags of an upload could not be computed")
            compliance["error"] = "flags could not be computed; see the node's log"
    answered = [
        {**r.as_json(), "flags": flags_json(flags.get(r.index, []), service.rules, lang)}
        for r in receipts
    ]
    status = 201 if any(not r.duplicate for r in receipts) else 200
    return web.json_response({"receipts": answered, "compliance": compliance}, status=status)


async def _sweep(uploads: Uploads) -> None:
    expired = uploads.staging.sweep()
    for upload_id in expired:
        uploads.locks.pop(upload_id, None)
        await asyncio.get_running_loop().run_in_executor(
            None, uploads.staging.remove_files, upload_id
        )
        log.info("upload %s… expired and deleted", upload_id[:8])


def add_upload_routes(app: web.Application, staging: UploadStaging) -> None:
    """Serve staged uploads from `app` (made by `api.create_api_app`), staged in `staging`."""
    app[UPLOADS] = Uploads(staging, {})
    app.middlewares.append(upload_errors)
    app.router.add_post("/v1/uploads", create_upload)
    app.router.add_get("/v1/uploads/{upload_id}", get_upload)
    app.router.add_delete("/v1/uploads/{upload_id}", delete_upload)
    app.router.add_put("/v1/uploads/{upload_id}/chunks/{seq}", put_chunk)
    app.router.add_post("/v1/uploads/{upload_id}/commit", commit_upload)

    async def sweeper(app: web.Application) -> AsyncIterator[None]:
        async def run() -> None:
            while True:
                await asyncio.sleep(SWEEP_SECONDS)
                try:
                    await _sweep(app[UPLOADS])
                except Exception:  # a failed deletion is retried at the next sweep
                    log.exception("deleting expired uploads failed")

        task = asyncio.create_task(run(), name="evanchor-upload-sweeper")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    app.cleanup_ctx.append(sweeper)
