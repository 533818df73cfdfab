"""The staged-upload API's answers as pydantic models.

The handlers (uploads.py) answer with these models' JSON, and the route table of
/v1/openapi.json (openapi.py) describes the endpoints from the same models. The receipts of a
commit are the `Receipt` schema of `POST /v1/records`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from evanchor.node.daemon.api_models import ComplianceAnswer, ReceiptAnswer

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


class ChunkRefused(_Answer):
    """A chunk refused for one of its lines (400): nothing of the chunk was staged."""

    error: ChunkLineError


class UploadCompliance(ComplianceAnswer):
    """The `compliance` member of a commit: that of `POST /v1/records`, and a `note` when
    the upload is too large for flags on its receipts."""

    model_config = ConfigDict(frozen=True, extra="forbid", title="UploadCompliance")

    note: str | None = Field(
        default=None,
        description="Set when the upload holds too many records for flags on its receipts.",
    )


class UploadCommitted(_Answer):
    """`POST /v1/uploads/{upload_id}/commit`: every record's receipt, in line order."""

    receipts: list[ReceiptAnswer]
    compliance: UploadCompliance
