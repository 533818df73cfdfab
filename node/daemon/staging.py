"""Staged uploads on disk: checked records that wait, outside the log, for their commit.

A file larger than one request (`api.MAX_REQUEST_BYTES`, `MAX_RECORDS_PER_REQUEST`) is sent
as an upload: chunks, each checked when it arrives (uploads.py), then one commit that appends
every staged record in one synced LevelDB batch. Until that commit nothing of the upload is
in the log; what waits is here, in the node folder's `staging/`:

    staging/<upload id>/<chunk seq>.chunk     the chunk's checked records (`encode_chunk`)

Staged data is not evidence: it is never acknowledged, so it needs no fsync, and it does not
outlive the node process that took it. Opening the staging (the node's start) deletes every
upload a previous run left, so a crash or kill -9 during an upload or its commit leaves
either the whole upload in the log (the commit's batch was written) or none of it, and no
upload that could be committed twice. An upload also ends when it is committed, abandoned
(DELETE), or idle for `expiry_seconds` (`sweep`).

The staging is bounded three ways, each refused with `StagingFull` naming the bound: the
bytes of one upload (`max_upload_bytes`), the bytes of all uploads (`max_staging_bytes`), and
the free space the staging must leave on the node's disk for the log (`MIN_FREE_BYTES`).
"""

from __future__ import annotations

import re
import secrets
import shutil
import struct
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

from evanchor.anchor.errors import EvanchorError
from evanchor.anchor.log.store import PreparedRecord
from evanchor.node.daemon.home import ApiConfig

UPLOAD_ID = re.compile(r"[0-9a-f]{32}")
"""An upload id: 128 random bits in hex. Holding it is what lets a client add to or commit
an upload, so it is unguessable and never listed."""

MIN_FREE_BYTES = 256 * 1024 * 1024
"""A chunk is refused if staging it would leave less than this free on the staging's file
system: the log, on the same disk, must keep room to write (a full disk stops the log:
store.py, "Failed writes")."""

MAX_UPLOADS = 64
"""Open uploads at once; one more is refused (`StagingFull`) until one ends."""

_MAGIC = b"evanchor-staged-chunk/1\n"
_LENGTH = struct.Struct(">I")
_NONE = 0xFFFFFFFF


class StagingError(EvanchorError):
    """Root of the staged-upload refusals."""


class UploadNotFound(StagingError):
    """No open upload has this id: never made, committed, abandoned, expired, or made by a
    node process that has since stopped (a restart abandons every upload)."""

    def __init__(self, upload_id: str) -> None:
        super().__init__(
            f"no open upload {upload_id[:32]!r}: it was committed, abandoned or expired, or"
            " the node restarted since; nothing of it is in the log"
        )
        self.upload_id = upload_id


class UploadBusy(StagingError):
    """The upload is being committed: it takes no more chunks, and no second commit."""

    def __init__(self, upload_id: str) -> None:
        super().__init__(f"upload {upload_id} is being committed")
        self.upload_id = upload_id


class ChunkOutOfOrder(StagingError):
    """Chunks are numbered from 0 and sent in order; `found` is not the next one."""

    def __init__(self, upload_id: str, expected: int, found: int) -> None:
        super().__init__(f"upload {upload_id}: expected chunk {expected}, got chunk {found}")
        self.expected = expected
        self.found = found


class StagingBound(StrEnum):
    UPLOAD_BYTES = "upload_bytes"
    """One upload's bytes (`StagingLimits.max_upload_bytes`): HTTP 413."""
    STAGING_BYTES = "staging_bytes"
    """All open uploads' staged bytes (`StagingLimits.max_staging_bytes`): HTTP 507."""
    FREE_DISK = "free_disk"
    """Free space left on the node's disk (`MIN_FREE_BYTES`): HTTP 507."""
    OPEN_UPLOADS = "open_uploads"
    """Open uploads at once (`MAX_UPLOADS`): HTTP 507."""


_BOUND_WORDS = {
    StagingBound.UPLOAD_BYTES: "this upload would hold {found} bytes, over its limit of {bound}",
    StagingBound.STAGING_BYTES: "the node's staged uploads would hold {found} bytes, over"
    " {bound}; try again when other uploads are done",
    StagingBound.FREE_DISK: "staging it would leave {found} bytes free on the node's disk,"
    " below the {bound} kept for the log",
    StagingBound.OPEN_UPLOADS: "{found} uploads would be open, over {bound}; try again when"
    " other uploads are done",
}


class StagingFull(StagingError):
    """Staging more would pass `bound` (`found` against `limit`); nothing was staged."""

    def __init__(self, bound: StagingBound, found: int, limit: int) -> None:
        words = _BOUND_WORDS[bound].format(found=found, bound=limit)
        super().__init__(f"refused: {words}; nothing of it was staged")
        self.bound = bound
        self.found = found
        self.limit = limit


@dataclass(frozen=True)
class StagingLimits:
    max_upload_bytes: int
    """Bytes of chunk bodies one upload may take (its commit holds them all in memory)."""
    max_staging_bytes: int
    """Bytes of staged chunks of all open uploads together."""
    expiry_seconds: float
    """An upload idle this long is deleted."""


def staging_limits(api: ApiConfig) -> StagingLimits:
    """The limits the node's `[api]` configuration sets."""
    return StagingLimits(
        max_upload_bytes=api.max_upload_bytes,
        max_staging_bytes=api.max_staging_bytes,
        expiry_seconds=api.upload_expiry_seconds,
    )


@dataclass(frozen=True)
class StagedRecord:
    """A record checked on arrival, with the line of the client's file it came from."""

    line: int
    record: PreparedRecord


@dataclass(frozen=True)
class Chunk:
    seq: int
    digest: bytes
    """SHA-256 of the chunk's body: a chunk sent again (a retry) is recognised by it."""
    records: int
    body_bytes: int
    staged_bytes: int
    first_line: int
    last_line: int


@dataclass(frozen=True)
class Upload:
    upload_id: str
    created_at: float
    expires_at: float
    chunks: tuple[Chunk, ...] = ()
    committing: bool = False

    @property
    def records(self) -> int:
        return sum(chunk.records for chunk in self.chunks)

    @property
    def body_bytes(self) -> int:
        return sum(chunk.body_bytes for chunk in self.chunks)

    @property
    def staged_bytes(self) -> int:
        return sum(chunk.staged_bytes for chunk in self.chunks)

    @property
    def next_line(self) -> int:
        """The line after the last line of the last chunk (1 before any chunk)."""
        return self.chunks[-1].last_line + 1 if self.chunks else 1


def _field(value: bytes | None) -> bytes:
    if value is None:
        return _LENGTH.pack(_NONE)
    return _LENGTH.pack(len(value)) + value


def encode_chunk(records: Sequence[StagedRecord]) -> bytes:
    """The staged form of a chunk's checked records: each as its line and the eight fields
    of its `PreparedRecord`, length-prefixed (big-endian u32; 2^32-1 for no signature)."""
    parts = [_MAGIC]
    for staged in records:
        r = staged.record
        parts.append(_LENGTH.pack(staged.line))
        for value in (r.record_id, r.canonical, r.salt, r.commitment):
            parts.append(_field(value))
        for text in (r.kind, r.agency, r.case):
            parts.append(_field(text.encode("utf-8")))
        parts.append(_field(r.signature))
    return b"".join(parts)


def decode_chunk(data: bytes) -> Iterator[StagedRecord]:
    """`encode_chunk` undone. The bytes are the node's own, written by this process."""
    if not data.startswith(_MAGIC):
        raise StagingError("a staged chunk does not start with its format line")
    offset = len(_MAGIC)

    def take() -> bytes | None:
        nonlocal offset
        (length,) = _LENGTH.unpack_from(data, offset)
        offset += _LENGTH.size
        if length == _NONE:
            return None
        value = data[offset : offset + length]
        offset += length
        return value

    def given() -> bytes:
        value = take()
        if value is None:
            raise StagingError("a staged chunk lacks a field every record has")
        return value

    while offset < len(data):
        (line,) = _LENGTH.unpack_from(data, offset)
        offset += _LENGTH.size
        record_id, canonical, salt, commitment = given(), given(), given(), given()
        kind, agency, case = (given().decode("utf-8") for _ in range(3))
        record = PreparedRecord(
            record_id, canonical, salt, commitment, kind, agency, case, signature=take()
        )
        yield StagedRecord(line, record)


class UploadStaging:
    """The open uploads of one node process and their staged chunks under `folder`.

    Not thread-safe: the API calls it from the event loop, and its file work (`write_chunk`,
    `read_records`, `discard`) from worker threads, one upload at a time (uploads.py holds a
    lock per upload).
    """

    def __init__(
        self,
        folder: Path,
        limits: StagingLimits,
        *,
        clock: Callable[[], float] = time.time,
        free_bytes: Callable[[Path], int] | None = None,
    ) -> None:
        self.folder = folder
        self.limits = limits
        self._clock = clock
        self._free_bytes = free_bytes or (lambda path: shutil.disk_usage(path).free)
        self._uploads: dict[str, Upload] = {}
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.chmod(0o700)  # staged records are personal data, like the log's
        for left in folder.iterdir():  # uploads of an earlier run of the node
            if UPLOAD_ID.fullmatch(left.name) and left.is_dir():
                shutil.rmtree(left)

    @property
    def open_uploads(self) -> int:
        return len(self._uploads)

    @property
    def staged_bytes(self) -> int:
        return sum(upload.staged_bytes for upload in self._uploads.values())

    def create(self) -> Upload:
        """A new, empty upload (the caller has swept expired ones: `sweep`)."""
        if len(self._uploads) >= MAX_UPLOADS:
            raise StagingFull(StagingBound.OPEN_UPLOADS, len(self._uploads) + 1, MAX_UPLOADS)
        upload_id = secrets.token_hex(16)
        (self.folder / upload_id).mkdir(mode=0o700)
        now = self._clock()
        upload = Upload(upload_id, now, now + self.limits.expiry_seconds)
        self._uploads[upload_id] = upload
        return upload

    def get(self, upload_id: str) -> Upload:
        """The open upload `upload_id`; `UploadNotFound` if there is none, or it has expired
        (its files go at the next `sweep`)."""
        upload = self._uploads.get(upload_id) if UPLOAD_ID.fullmatch(upload_id) else None
        if upload is None or (upload.expires_at <= self._clock() and not upload.committing):
            raise UploadNotFound(upload_id)
        return upload

    def check_room(self, upload: Upload, body_bytes: int, staged_bytes: int) -> None:
        """Raise `StagingFull` unless a chunk of `body_bytes` (staged as `staged_bytes`) fits
        every bound."""
        limits = self.limits
        if upload.body_bytes + body_bytes > limits.max_upload_bytes:
            raise StagingFull(
                StagingBound.UPLOAD_BYTES,
                upload.body_bytes + body_bytes,
                limits.max_upload_bytes,
            )
        total = self.staged_bytes + staged_bytes
        if total > limits.max_staging_bytes:
            raise StagingFull(StagingBound.STAGING_BYTES, total, limits.max_staging_bytes)
        free = self._free_bytes(self.folder) - staged_bytes
        if free < MIN_FREE_BYTES:
            raise StagingFull(StagingBound.FREE_DISK, free, MIN_FREE_BYTES)

    def chunk_path(self, upload_id: str, seq: int) -> Path:
        return self.folder / upload_id / f"{seq:06d}.chunk"

    def write_chunk(self, upload_id: str, seq: int, staged: bytes) -> None:
        """Write a chunk's staged bytes (a worker thread). The file is renamed into place, so
        `read_records` sees a chunk whole or not at all."""
        path = self.chunk_path(upload_id, seq)
        partial = path.with_suffix(".partial")
        partial.write_bytes(staged)
        partial.chmod(0o600)
        partial.replace(path)

    def add_chunk(self, upload_id: str, chunk: Chunk) -> Upload:
        """Record `chunk` (already written) as the upload's next; its idle clock restarts."""
        upload = self.get(upload_id)
        expires_at = self._clock() + self.limits.expiry_seconds
        upload = replace(upload, chunks=(*upload.chunks, chunk), expires_at=expires_at)
        self._uploads[upload_id] = upload
        return upload

    def set_committing(self, upload_id: str, committing: bool) -> Upload:
        upload = replace(self.get(upload_id), committing=committing)
        self._uploads[upload_id] = upload
        return upload

    def read_records(self, upload: Upload) -> list[StagedRecord]:
        """Every staged record of `upload`, in line order (a worker thread)."""
        records: list[StagedRecord] = []
        for chunk in upload.chunks:
            records.extend(decode_chunk(self.chunk_path(upload.upload_id, chunk.seq).read_bytes()))
        return records

    def forget(self, upload_id: str) -> None:
        """Close the upload at once (its files go with `remove_files`)."""
        self._uploads.pop(upload_id, None)

    def remove_files(self, upload_id: str) -> None:
        if UPLOAD_ID.fullmatch(upload_id):
            shutil.rmtree(self.folder / upload_id, ignore_errors=True)

    def discard(self, upload_id: str) -> None:
        self.forget(upload_id)
        self.remove_files(upload_id)

    def sweep(self) -> list[str]:
        """Close every upload idle past its expiry (none being committed) and return their
        ids; their files go with `remove_files` (on a worker thread: they may be large)."""
        now = self._clock()
        expired = [
            upload.upload_id
            for upload in self._uploads.values()
            if upload.expires_at <= now and not upload.committing
        ]
        for upload_id in expired:
            self.forget(upload_id)
        return expired
