"""Checking the body of `POST /v1/records` in worker processes, off the daemon's event loop.

Parsing a request body, validating each record, canonicalising and committing it and
recovering its signer cost some 90 us of Python per record (anchor/log/parallel_ingest.py),
while appending it costs about 20 us. On the event loop that work held the HTTP API, and,
when the chain shared the loop, the sealer and anchoring too (issue 12). Here a pool of
worker processes does it (`check_body`), each started as offline `submit` starts its readers
(they die with the daemon, even under SIGKILL) and niced below the daemon: under CPU pressure
checking slows first, the bytes waiting to be checked pass their bound and the node answers
429, while the chain, the log and anchoring keep their pace.

What stays in the daemon: the agency registry (a signer's credit code is looked up from the
node's copy, refreshed from the chain), and the append, in one place and in order (the
group committer). A worker returns prepared records and recovered signers, or the first
fault of the body; the daemon then authorises in item order, so the error a client sees is
the one the in-process check (`NodeService.check`) reports: the first item at fault.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from evanchor.anchor.log.ingest import prepare_record
from evanchor.anchor.log.parallel_ingest import record_fields, start_pool
from evanchor.anchor.log.store import PreparedRecord
from evanchor.anchor.log.submission import (
    SubmissionInvalid,
    is_submission,
    parse_submission,
    submission_signer,
)
from evanchor.anchor.protocol.errors import InputError, RecordInvalid
from evanchor.anchor.protocol.jsonin import parse_json_object

MAX_RECORDS_PER_REQUEST = 1000
"""A batch request holds at most this many submissions; its body is also capped in bytes
(`api.MAX_REQUEST_BYTES`, 16 MiB: a thousand typical 1-2 KiB submissions fit easily)."""

MAX_REQUEST_BYTES = 16 * 1024 * 1024
"""Largest request body. A full batch of typical records (1-2 KiB each) is well below it."""

WORKER_NICENESS = 5
"""How far below the daemon the checking workers are scheduled (nice(2) increment). Under
CPU pressure the kernel favours the daemon (event loop, group commit, chain, anchorer) over
checking, so what waits is new work, refused with 429, not records already acknowledged."""

MAX_CHECKING_BYTES = 4 * MAX_REQUEST_BYTES
"""Back-pressure: request bodies (bytes) sent to the workers and not yet checked. 64 MiB
is some 40,000 typical submissions, the group-commit queue's default bound; past it the
node answers 429 before reading another body."""


class BatchShapeInvalid(InputError):
    """The body is JSON but not one submission or `{"submissions": [...]}` of at most
    `MAX_RECORDS_PER_REQUEST` items."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.member = "submissions"
        self.reason = reason

    def detail(self) -> str:
        return self.reason


@dataclass(frozen=True)
class CheckedItem:
    """One submission as a worker left it: validated and committed (carrying its
    signature), with the recovered signer (None on a log-only node: a bare record)."""

    record: PreparedRecord
    signer: str | None


@dataclass(frozen=True)
class CheckedBody:
    """What a worker made of a body: the items checked, in order, up to the first fault;
    `fault` is that fault and `fault_item` its item (None: the body as a whole)."""

    items: tuple[CheckedItem, ...]
    fault: InputError | None = None
    fault_item: int | None = None


def body_items(body: dict[str, Any]) -> list[Any]:
    """The submissions of a parsed body: `{"submissions": [...]}` or one submission."""
    if "submissions" not in body:
        return [body]
    items = body["submissions"]
    if set(body) != {"submissions"} or not isinstance(items, list):
        raise BatchShapeInvalid('expected {"submissions": [...]}')
    if len(items) > MAX_RECORDS_PER_REQUEST:
        raise BatchShapeInvalid(
            f"{len(items)} submissions; at most {MAX_RECORDS_PER_REQUEST} per request"
        )
    return items


def check_item(separator: bytes | None, obj: Any) -> CheckedItem:
    """Validate and commit one submission and recover its signer (everything but the
    registry). `separator` None: a log-only node, which takes bare records only. Raises
    `InputError` naming the member at fault."""
    if not isinstance(obj, dict):
        raise SubmissionInvalid("(submission)", "expected a JSON object")
    if separator is None:
        if is_submission(obj):
            raise SubmissionInvalid(
                "signature", "this node anchors nowhere, so it cannot check signatures"
            )
        return CheckedItem(prepare_record(obj), None)
    if not is_submission(obj):
        raise SubmissionInvalid(
            "signature", "unsigned record: submit {record, salt, signature} (see PROTOCOL.md)"
        )
    submission = parse_submission(obj)
    try:
        prepared = prepare_record(submission.record, salt=submission.salt)
    except RecordInvalid as error:
        error.field_path = f"record.{error.field_path}"
        raise
    signer = submission_signer(separator, prepared.commitment, submission.signature)
    return CheckedItem(replace(prepared, signature=submission.signature), signer)


def check_body(separator: bytes | None, raw: bytes) -> CheckedBody:
    """Parse a request body strictly and check its submissions, in order, stopping at the
    first fault. Runs in a worker process (or, without a pool, on a worker thread)."""
    try:
        items = body_items(parse_json_object(raw, source="request body", limit=MAX_REQUEST_BYTES))
    except InputError as error:
        return CheckedBody((), error, None)
    checked: list[CheckedItem] = []
    for item, obj in enumerate(items):
        try:
            checked.append(check_item(separator, obj))
        except InputError as error:
            return CheckedBody(tuple(checked), error, item)
    return CheckedBody(tuple(checked))


# -- between processes ---------------------------------------------------------------------
# Errors cross as (class, attributes): InputError subclasses take their facts as constructor
# arguments, which pickle's default for exceptions would not pass back. Records cross as
# plain tuples, which pickle several times faster than dataclass instances.

_Wire = tuple[list[tuple[Any, ...]], tuple[type[InputError], dict[str, Any]] | None, int | None]


def _check_body_wire(separator: bytes | None, raw: bytes) -> _Wire:
    """In a worker: `check_body`, in the form that crosses the pipe."""
    body = check_body(separator, raw)
    fault = None if body.fault is None else (type(body.fault), dict(vars(body.fault)))
    items = [(*record_fields(item.record), item.signer) for item in body.items]
    return items, fault, body.fault_item


def _from_wire(wire: _Wire) -> CheckedBody:
    items, fault, fault_item = wire
    restored = None
    if fault is not None:
        kind, facts = fault
        restored = kind.__new__(kind)
        restored.__dict__.update(facts)
    checked = tuple(CheckedItem(PreparedRecord(*fields[:-1]), fields[-1]) for fields in items)
    return CheckedBody(checked, restored, fault_item)


class SubmissionChecker:
    """Runs `check_body` in a pool of niced worker processes, counting the bytes in flight
    (back-pressure reads `checking_bytes`). Without `workers` (0) it checks on the loop's
    default thread pool instead: still off the event loop, but sharing the daemon's CPU."""

    def __init__(self, workers: int) -> None:
        self._pool: ProcessPoolExecutor | None = (
            None if workers == 0 else start_pool(workers, niceness=WORKER_NICENESS)
        )
        self.workers = workers
        self.checking_bytes = 0

    async def check(self, separator: bytes | None, raw: bytes) -> CheckedBody:
        loop = asyncio.get_running_loop()
        self.checking_bytes += len(raw)
        try:
            if self._pool is None:
                return await loop.run_in_executor(None, check_body, separator, raw)
            wire = await loop.run_in_executor(self._pool, _check_body_wire, separator, raw)
            return _from_wire(wire)
        finally:
            self.checking_bytes -= len(raw)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
