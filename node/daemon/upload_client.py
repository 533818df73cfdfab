"""The client side of a staged upload (uploads.py): a file's submissions, all or nothing.

`submit_staged` starts an upload, sends the submissions in chunks cut by bytes (each body at
most the node's `max_chunk_bytes`, cut between lines, never by a count of records), and
commits. Each chunk's lines keep the numbering of the client's file: a chunk starts at the
file line of its first submission (`first_line`), and lines the file had between two
submissions (blank, or skipped as invalid) are sent as blank lines, so a refusal names the
file's own line. Any refusal abandons the upload (DELETE): nothing of it is in the log.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from evanchor.anchor.errors import EvanchorError
from evanchor.node.daemon.client import (
    NodeRefused,
    NodeUnreachable,
    auth_headers,
    json_bytes,
    request_json,
)
from evanchor.node.daemon.upload_models import CHUNK_CONTENT_TYPE


class CommitOutcomeUnknown(EvanchorError):
    """The connection was lost during the commit: the node may have appended the upload
    (all of it) or not (none of it)."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"the commit's outcome is unknown ({reason}): the log holds all of the upload or"
            " none of it; submit the file again: records already in the log answer with"
            " their first receipt, marked duplicate"
        )


class LineTooLarge(EvanchorError):
    """One submission is larger than a whole chunk may be; nothing was sent."""

    def __init__(self, line: int, size: int, limit: int) -> None:
        super().__init__(
            f"line {line}: the submission is {size} bytes as UTF-8 JSON, more than the"
            f" {limit} bytes a request to the node may hold; nothing was sent"
        )
        self.line = line
        self.size = size
        self.limit = limit


class UploadTooLarge(EvanchorError):
    """The file's submissions are more bytes than the node takes in one upload; nothing was
    sent (the node's `api.max_upload_bytes`)."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            f"the file's submissions are {size} bytes as UTF-8 JSON, more than the {limit}"
            " bytes the node takes in one upload (its api.max_upload_bytes); nothing was sent:"
            " split the file, each part is then all or nothing"
        )
        self.size = size
        self.limit = limit


@dataclass(frozen=True)
class PlannedChunk:
    first_line: int
    body: bytes
    records: int


def encode_lines(positioned: Sequence[tuple[int, dict[str, Any]]]) -> list[tuple[int, bytes]]:
    """Each submission as one line of compact UTF-8 JSON, with its file line."""
    return [(line, json_bytes(submission)) for line, submission in positioned]


def plan_chunks(lines: Sequence[tuple[int, bytes]], max_bytes: int) -> Iterator[PlannedChunk]:
    """Cut `lines` (file line, encoded submission; lines ascending) into chunk bodies of at
    most `max_bytes` bytes each, gaps between lines filled with blank lines. Raises
    `LineTooLarge` first if any line cannot fit a chunk alone."""
    for line, encoded in lines:
        if len(encoded) + 1 > max_bytes:
            raise LineTooLarge(line, len(encoded), max_bytes)
    parts: list[bytes] = []
    size = 0
    first = previous = 0
    for line, encoded in lines:
        gap = b"\n" * (line - previous - 1) if parts else b""
        if parts and size + len(gap) + len(encoded) + 1 > max_bytes:
            yield PlannedChunk(first, b"".join(parts), len(parts))
            parts, size, gap = [], 0, b""
        if not parts:
            first = line
        parts.append(gap + encoded + b"\n")
        size += len(gap) + len(encoded) + 1
        previous = line
    if parts:
        yield PlannedChunk(first, b"".join(parts), len(parts))


@dataclass(frozen=True)
class StagedAnswer:
    receipts: list[dict[str, Any]]
    compliance: dict[str, Any] | None


def submit_staged(
    api_url: str,
    lines: Sequence[tuple[int, bytes]],
    *,
    lang: str = "zh-CN",
    token: str | None = None,
    on_chunk: Callable[[int], None] | None = None,
    on_commit: Callable[[], None] | None = None,
) -> StagedAnswer:
    """Send `lines` (file line, encoded submission) as one upload and commit it; the node's
    receipts in line order. `on_chunk(records)` after each chunk is staged, `on_commit()`
    before the commit is sent. A refusal (`NodeRefused`, the node's line and fault) or a
    lost connection abandons the upload, so nothing of it is appended."""
    headers = auth_headers(token)
    created = request_json("POST", f"{api_url}/v1/uploads", headers=headers)
    upload = f"{api_url}/v1/uploads/{created['upload_id']}"
    try:
        chunks = list(plan_chunks(lines, int(created["max_chunk_bytes"])))
        size, limit = sum(len(c.body) for c in chunks), int(created["max_upload_bytes"])
        if size > limit:
            raise UploadTooLarge(size, limit)
        for seq, chunk in enumerate(chunks):
            request_json(
                "PUT",
                f"{upload}/chunks/{seq}",
                data=chunk.body,
                params={"first_line": chunk.first_line},
                headers={**headers, "Content-Type": CHUNK_CONTENT_TYPE},
            )
            if on_chunk is not None:
                on_chunk(chunk.records)
    except (NodeRefused, NodeUnreachable, LineTooLarge, UploadTooLarge):
        with contextlib.suppress(NodeRefused, NodeUnreachable):
            request_json("DELETE", upload, headers=headers)
        raise
    if on_commit is not None:
        on_commit()
    try:
        body = request_json("POST", f"{upload}/commit", params={"lang": lang}, headers=headers)
    except NodeUnreachable as error:
        raise CommitOutcomeUnknown(str(error)) from None
    compliance = body.get("compliance")
    return StagedAnswer(body["receipts"], compliance if isinstance(compliance, dict) else None)
