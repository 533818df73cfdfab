"""The staged-upload API's answers as pydantic models, and their OpenAPI paths.

The handlers (uploads.py) answer with these models' JSON; `upload_paths` describes the
endpoints from the same models, for /v1/openapi.json (openapi.py). The receipts of a commit
are the `Receipt` schema of `POST /v1/records`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

CHUNK_CONTENT_TYPE = "application/x-ndjson"
"""A chunk's body: JSON Lines, one submission a line."""


class _Answer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class UploadCreated(_Answer):
    """`POST /v1/uploads`: a new, empty upload."""

    upload_id: str = Field(
        pattern=r"^[0-9a-f]{32}$",
        description="The upload's secret name: whoever holds it may add chunks and commit.",
    )
    expires_at: str = Field(description="When the upload is deleted if it stays idle (UTC).")
    max_chunk_bytes: int = Field(description="Largest chunk body, in bytes.")
    max_upload_bytes: int = Field(description="Most chunk bytes one upload may hold in all.")


class ChunkStaged(_Answer):
    """`PUT /v1/uploads/{upload_id}/chunks/{seq}`: the chunk was checked and staged."""

    upload_id: str
    seq: int = Field(ge=0, description="The chunk's number (from 0, in order).")
    records: int = Field(ge=1, description="Records in this chunk.")
    first_line: int = Field(ge=1)
    last_line: int = Field(ge=1)
    upload_records: int = Field(description="Records staged in the upload so far.")
    upload_bytes: int = Field(description="Chunk bytes received in the upload so far.")
    expires_at: str


class UploadStatus(_Answer):
    """`GET /v1/uploads/{upload_id}`."""

    upload_id: str
    chunks: int
    records: int
    upload_bytes: int
    next_line: int = Field(description="The line the next chunk starts at by default.")
    committing: bool
    expires_at: str


class ChunkLineError(_Answer):
    """The `error` member of a refused chunk: the line of the file at fault, and why."""

    message: str = Field(description='One line: "line N: member: reason".')
    field: str | None = Field(description="The member at fault.")
    item: int | None = None
    line: int = Field(description="The line (of the client's file) at fault.")
    reason: str = Field(description="The fault without its location.")


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json({"$ref": "#/components/schemas/Error"}, description)


_UPLOAD_ID = {
    "name": "upload_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
}
_GONE = _error(
    "No open upload of that id: committed, abandoned, expired, or the node restarted (a"
    " restart abandons every upload). Nothing of it is in the log."
)
_SECURITY: list[dict[str, list[str]]] = [{}, {"operatorToken": []}]
_RECEIPTS = {
    "type": "object",
    "properties": {
        "receipts": {"type": "array", "items": {"$ref": "#/components/schemas/Receipt"}},
        "compliance": {"type": "object"},
    },
}


def upload_paths() -> dict[str, Any]:
    """The OpenAPI path items of the staged upload (docs/UPLOADS.md)."""
    return {
        "/v1/uploads": {
            "post": {
                "summary": "Start a staged upload: for files larger than one request.",
                "description": "Chunks are checked as they arrive and staged outside the log;"
                " the commit appends them all in one synced write, or nothing. A log-only"
                " node takes uploads with the operator token only.",
                "security": _SECURITY,
                "responses": {
                    "201": _json(UploadCreated.model_json_schema(), "The upload, empty."),
                    "401": _error("A log-only node, and no operator token."),
                    "429": _error("The node sheds load; try again after Retry-After."),
                    "507": _error("Too many open uploads."),
                },
            }
        },
        "/v1/uploads/{upload_id}": {
            "get": {
                "summary": "An open upload's progress.",
                "security": _SECURITY,
                "parameters": [_UPLOAD_ID],
                "responses": {
                    "200": _json(UploadStatus.model_json_schema(), "The upload."),
                    "404": _GONE,
                },
            },
            "delete": {
                "summary": "Abandon an upload: its staged records are deleted, none appended.",
                "security": _SECURITY,
                "parameters": [_UPLOAD_ID],
                "responses": {"204": {"description": "Abandoned."}, "404": _GONE},
            },
        },
        "/v1/uploads/{upload_id}/chunks/{seq}": {
            "put": {
                "summary": "Add chunk `seq` (0, 1, …, in order): JSON Lines of submissions.",
                "description": "The body is at most `max_chunk_bytes` bytes (UTF-8; not a"
                " number of records) and ends on a line boundary. Every line is checked at"
                " once (JSON, schema, signature, registered agency); the first fault refuses"
                " the chunk, naming its line: `first_line` is the file's line number of the"
                " body's first line (default: after the previous chunk's last line), and"
                " blank lines count. Sending the last chunk again with the same bytes (a"
                " retry) answers 200 with the same figures.",
                "security": _SECURITY,
                "parameters": [
                    _UPLOAD_ID,
                    {"name": "seq", "in": "path", "required": True, "schema": {"type": "integer"}},
                    {
                        "name": "first_line",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 1},
                    },
                ],
                "requestBody": {
                    "required": True,
                    "content": {CHUNK_CONTENT_TYPE: {"schema": {"type": "string"}}},
                },
                "responses": {
                    "201": _json(ChunkStaged.model_json_schema(), "Checked and staged."),
                    "200": _json(ChunkStaged.model_json_schema(), "This chunk again (retry)."),
                    "400": _json(
                        {
                            "type": "object",
                            "properties": {"error": ChunkLineError.model_json_schema()},
                        },
                        "A line at fault; nothing of the chunk was staged.",
                    ),
                    "404": _GONE,
                    "409": _error("Not the next chunk, or the upload is being committed."),
                    "413": _error("The chunk, or the upload with it, is over its byte limit."),
                    "415": _error(f"The body's Content-Type is not {CHUNK_CONTENT_TYPE}."),
                    "429": _error("The node sheds load; try again after Retry-After."),
                    "503": _error("The agency registry cannot be read; nothing was staged."),
                    "507": _error(
                        "The node's staging space (all uploads, or the disk's free space"
                        " kept for the log) is full; nothing was staged."
                    ),
                },
            }
        },
        "/v1/uploads/{upload_id}/commit": {
            "post": {
                "summary": "Append every staged record in one synced write, or none.",
                "description": "Answers like `POST /v1/records` (receipts in line order,"
                " `duplicate` for records already in the log; no compliance flags past"
                " 10,000 records). The upload is closed either way. After a crash during the"
                " commit the log holds all of the upload or none of it.",
                "security": _SECURITY,
                "parameters": [
                    _UPLOAD_ID,
                    {
                        "name": "lang",
                        "in": "query",
                        "required": False,
                        "schema": {"enum": ["zh-CN", "en"]},
                    },
                ],
                "responses": {
                    "201": _json(_RECEIPTS, "Durably appended, all of it."),
                    "400": _error("The upload holds no records."),
                    "404": _GONE,
                    "409": _error("The upload is already being committed."),
                    "503": _error("The log store failed a write: nothing was appended."),
                },
            }
        },
    }
