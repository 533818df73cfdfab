"""Reading a large JSON Lines file on every core: the per-line work in worker processes.

`evanchor submit` checks every line before it writes any (all or nothing), so reading is a
phase of its own, and on a large file the longest: parsing, validating, canonicalising and
committing a record costs some 35 us of Python, recovering its signer another 55 us, while
appending it costs about 20 us. Here the main process frames the file into lines
(`jsonin.jsonl_lines`, which keeps an oversize line out of memory), hands chunks of lines
to a pool of processes that parse and prepare them (`prepare_line`), and collects the
results in file order.

The outcome is the one-process reader's, exactly: the same prepared records in the same
order, and the same errors located at the same lines (tests/perf_equivalence). Only the salts
of unsigned records differ, as they do between any two runs: each is fresh.

The workers die with the process that started them, even when it is killed with SIGKILL
(and so cannot stop them): each asks the kernel for SIGKILL when its parent dies
(PR_SET_PDEATHSIG, Linux) or, elsewhere, watches its parent's pid. And they hold neither
the caller's stdout nor stderr (both go to /dev/null in a worker), so a caller that reads
a killed `submit`'s output to its end is not left waiting on orphans that have nothing to
say.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evanchor.anchor.log.ingest import prepare_record
from evanchor.anchor.log.store import PreparedRecord
from evanchor.anchor.log.submission import (
    SubmissionInvalid,
    is_submission,
    parse_submission,
    submission_signer,
)
from evanchor.anchor.protocol.errors import InputError, RecordInvalid
from evanchor.anchor.protocol.jsonin import ProgressCallback, jsonl_lines, parse_jsonl_line
from evanchor.anchor.protocol.records import check_record

CHUNK_LINES = 1000
"""Lines per task: ~0.4 MiB of typical records, ~40 ms of work. Large enough that a task's
round trip (two pickles and a pipe) is noise, small enough that a few in flight keep every
worker busy without holding much of the file."""

CHUNKS_IN_FLIGHT_PER_WORKER = 3
"""Tasks queued per worker: a worker never waits for the main process to frame its next
chunk, and the lines read ahead stay bounded (a few MiB)."""


@dataclass(frozen=True)
class LineJob:
    """What to make of each line. It travels to the worker processes, so it holds only data.

    `signed`: each line must be a signed envelope {record, salt, signature}; the worker
    validates the record, commits it with the envelope's salt and recovers the signer under
    `domain_separator`. Otherwise each line is a bare record, committed with a fresh salt.
    """

    signed: bool = False
    domain_separator: bytes | None = None


@dataclass(frozen=True)
class SignedLine:
    """A signed envelope, validated and committed, and who signed it.

    `record` carries the signature. `signer` is the recovered address, or the
    `SubmissionInvalid` that says why no signer could be recovered: that is not a fault of
    the line as input (which is well-formed) but a refusal, decided with the agency registry
    after reading (`submission.authorised`).
    """

    record: PreparedRecord
    signer: str | SubmissionInvalid


UNSIGNED = "unsigned record: give --key to sign, or submit signed envelopes"


def unsigned_record_refused(obj: dict[str, Any]) -> InputError:
    """The refusal of `obj`, a bare record where a signed envelope is needed.

    A record that is not valid either is refused for that first, its field named, with the
    missing signature said beside it: signing it would not make it acceptable. (An object
    with a `record` or `signature` member is a broken envelope, not a record: only the
    signature is said.)
    """
    if "record" not in obj and "signature" not in obj:
        try:
            check_record(obj)
        except RecordInvalid as invalid:
            return RecordInvalid(
                invalid.field_path, f"{invalid.reason}; the record is also unsigned (--key signs)"
            )
    return SubmissionInvalid("signature", UNSIGNED)


def prepare_line(job: LineJob, obj: dict[str, Any]) -> PreparedRecord | SignedLine:
    """One parsed line, prepared as `job` says. Raises `InputError` for a bad line."""
    if not job.signed:
        return prepare_record(obj)
    if job.domain_separator is None:
        raise ValueError("a signed job needs the signing domain's separator")
    return prepare_signed_line(job.domain_separator, obj)


def prepare_signed_line(domain_separator: bytes, obj: dict[str, Any]) -> SignedLine:
    """A signed envelope, validated and committed with its salt, and its recovered signer.

    Raises `InputError` for a line that is not a well-formed envelope of a valid record
    (the record's faults named as in the record itself, e.g. `case_id: ...`).
    """
    if not is_submission(obj):
        raise unsigned_record_refused(obj)
    submission = parse_submission(obj)
    record = prepare_record(submission.record, salt=submission.salt)
    signer: str | SubmissionInvalid
    try:
        signer = submission_signer(domain_separator, record.commitment, submission.signature)
    except SubmissionInvalid as refused:
        signer = refused
    return SignedLine(
        PreparedRecord(
            record_id=record.record_id,
            canonical=record.canonical,
            salt=record.salt,
            commitment=record.commitment,
            kind=record.kind,
            agency=record.agency,
            case=record.case,
            signature=submission.signature,
        ),
        signer,
    )


# -- between processes ---------------------------------------------------------------------
# Errors cross as (class, attributes): InputError subclasses take their facts as constructor
# arguments, which pickle's default for exceptions would not pass back. Prepared records
# cross as plain tuples, which pickle several times faster than dataclass instances.

_Portable = tuple[type[InputError], dict[str, Any]]


def _portable(error: InputError) -> _Portable:
    return type(error), dict(vars(error))


def _restored(portable: _Portable) -> InputError:
    kind, facts = portable
    error = kind.__new__(kind)
    error.__dict__.update(facts)
    return error


def record_fields(record: PreparedRecord) -> tuple[Any, ...]:
    """A prepared record as a plain tuple (its fields in order): what crosses between
    processes, several times faster to pickle than the dataclass."""
    return (
        record.record_id,
        record.canonical,
        record.salt,
        record.commitment,
        record.kind,
        record.agency,
        record.case,
        record.signature,
    )


def _to_wire(result: PreparedRecord | SignedLine) -> tuple[Any, ...]:
    if isinstance(result, PreparedRecord):
        return (record_fields(result), None)
    signer = result.signer
    return (
        record_fields(result.record),
        signer if isinstance(signer, str) else _portable(signer),
    )


def _from_wire(job: LineJob, wire: tuple[Any, ...]) -> PreparedRecord | SignedLine:
    fields, signer = wire
    record = PreparedRecord(*fields)
    if not job.signed:
        return record
    if isinstance(signer, str):
        return SignedLine(record, signer)
    restored = _restored(signer)
    assert isinstance(restored, SubmissionInvalid)
    return SignedLine(record, restored)


def _prepare_chunk(
    job: LineJob, source: str, lines: list[tuple[int, bytes]]
) -> list[tuple[bool, Any]]:
    """In a worker: each line parsed and prepared, as (True, wire form) or (False, error)."""
    out: list[tuple[bool, Any]] = []
    for line_number, content in lines:
        try:
            out.append((True, _to_wire(prepare_line(job, parse_jsonl_line(content)))))
        except InputError as error:
            out.append((False, _portable(error.located(line=line_number, source=source))))
    return out


# -- the pool ------------------------------------------------------------------------------


WORKERS_VARIABLE = "EVANCHOR_READ_WORKERS"
"""Overrides how many worker processes read a large file (a whole number, at least 1): fewer
to leave cores to a node on the same machine; 1 reads in this process only."""


def default_workers() -> int:
    """`EVANCHOR_READ_WORKERS` if set, else one worker per core this process may run on.

    Raises `ValueError` (naming the variable) for a value that is not a whole number >= 1.
    """
    configured = os.environ.get(WORKERS_VARIABLE)
    if configured:
        if not (configured.isascii() and configured.isdigit()) or int(configured) < 1:
            raise ValueError(
                f"{WORKERS_VARIABLE}: expected a whole number >= 1, got {configured!r}"
            )
        return int(configured)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
PARENT_POLL_SECONDS = 0.5
"""How often a worker without PR_SET_PDEATHSIG looks for its parent."""


def _worker_start(owner: int, niceness: int = 0) -> None:
    """In each worker, first: die with the parent, let go of the caller's terminal, and
    lower its own priority by `niceness` (nice(2); 0 leaves it).

    `owner` is the pid of the process that made the pool. The worker's parent is that
    process (fork) or its fork server, which exits when the owner does; either way the
    worker ends once its parent has gone. If the owner has already died by the time this
    runs (before the death signal was asked for), the worker ends at once.
    """
    parent = os.getppid()
    if not _ask_for_death_signal():
        threading.Thread(
            target=_watch_parent, args=(parent,), name="evanchor-parent-watch", daemon=True
        ).start()
    if os.getppid() != parent or not _exists(owner):
        os._exit(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    if niceness:
        os.nice(niceness)


def _ask_for_death_signal() -> bool:
    """PR_SET_PDEATHSIG(SIGKILL): the kernel kills this process when its parent exits.

    The signal follows the parent *thread* that forked this process; the pool's processes
    are forked by the thread that creates the pool, which outlives them. False where the
    call does not exist (not Linux) or fails.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)) == 0
    except (OSError, AttributeError):  # pragma: no cover - a libc without prctl
        return False


def _watch_parent(parent: int) -> None:  # pragma: no cover - where prctl is missing
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(1)


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - exists, owned by another user
        return True
    return True


def start_pool(workers: int, *, niceness: int = 0) -> ProcessPoolExecutor:
    """A pool of `workers` processes, started now, that die with this one (`_worker_start`)
    and run `niceness` below it (the node's checking workers yield to the node).

    Forked while this process has one thread (cheap: the workers inherit the imported
    modules), before anything such as a progress bar's monitor starts another; otherwise
    from a fork server, as forking a process with threads is unsafe. Starting the workers
    before returning is what keeps the fork single-threaded.
    """
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        method = "fork"
    else:
        method = "forkserver" if "forkserver" in methods else "spawn"
    context = multiprocessing.get_context(method)
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_worker_start,
        initargs=(os.getpid(), niceness),
    )
    for started in [pool.submit(os.getpid) for _ in range(workers)]:
        started.result()
    return pool


def _chunks(
    stream: Any, source: str, oversize: list[InputError]
) -> Iterator[tuple[list[tuple[int, bytes]], int]]:
    """(lines, bytes consumed) per chunk; oversize lines go to `oversize`, located."""
    lines: list[tuple[int, bytes]] = []
    consumed = 0
    for line_number, content, size in jsonl_lines(stream):
        consumed += size
        if isinstance(content, InputError):
            oversize.append(content.located(line=line_number, source=source))
        elif content is not None:
            lines.append((line_number, content))
            if len(lines) == CHUNK_LINES:
                yield lines, consumed
                lines, consumed = [], 0
    if lines or consumed:
        yield lines, consumed


def prepare_jsonl(
    path: Path,
    job: LineJob,
    pool: ProcessPoolExecutor,
    *,
    workers: int,
    progress: ProgressCallback | None = None,
) -> tuple[list[Any], list[InputError]]:
    """Every line of the `.jsonl` file at `path` through `prepare_line(job, ...)` in `pool`.

    Returns (results in file order, errors in line order), exactly what reading the file
    with `jsonin.read_json_or_jsonl` and calling `prepare_line` on each object gives, each
    error located at the file's name and its line. `progress` is told the bytes of each
    chunk as its results arrive. `OSError` from reading the file propagates.
    """
    source = path.name
    good: list[Any] = []
    bad: list[InputError] = []
    oversize: list[InputError] = []
    in_flight: deque[tuple[Future[list[tuple[bool, Any]]], int]] = deque()

    def collect() -> None:
        future, consumed = in_flight.popleft()
        for ok, payload in future.result():
            if ok:
                good.append(_from_wire(job, payload))
            else:
                bad.append(_restored(payload))
        if progress is not None:
            progress(consumed)

    with path.open("rb") as stream:
        for lines, consumed in _chunks(stream, source, oversize):
            if not lines:
                if progress is not None:
                    progress(consumed)
                continue
            in_flight.append((pool.submit(_prepare_chunk, job, source, lines), consumed))
            if len(in_flight) >= workers * CHUNKS_IN_FLIGHT_PER_WORKER:
                collect()
    while in_flight:
        collect()
    if oversize:
        bad = sorted([*bad, *oversize], key=lambda error: error.line or 0)
    return good, bad
