"""A year of the seed platform's load: request latencies at 10k, 1M and 10M records, and the audit.

The logs are built by `year_log.build_year_log` (32,000 records a day, sealed every 60 s as
the default seal policy does at that load: ~22 records per checkpoint; see year_log.py for
what is simulated and what is left out: unsigned records, cheap record preparation, and
under `eatmydata` no fsync). They are built once into `--keep DIR` and reused: building 10M
records takes an hour or more on a shared 2-core machine.

Measured, for every size, `--repeat` rounds of `--queries` random records each (the same
seeded fractions of the log at every size), the sizes interleaved round by round after one
uncounted warm-up round of other records, so the machine's load weighs on all alike. Each
store (and each HTTP server) first opens all its LevelDB tables (`LogStore.open_tables`), as
`evanchor node start` does:

- status: `node_status` (the `/v1/status` body but witnessing);
- record lookup: a record's status by its full id (`NodeService.record_status`, the body
  of `GET /v1/records/{id}`: the id index, the leaf, the covering checkpoint and its state);
- proof: the record's inclusion proof at its covering checkpoint (`covering_checkpoint`,
  `inclusion_proof`);
- bundle: an unanchored `build_bundle` at the covering checkpoint;
- verify: `verify_bundle` of that bundle, offline (log-only assurance: no chain).

Reference: the same operation at the smallest size in the same run; each ratio is the
median over rounds of the per-round ratio (min-max in brackets). Target: at most 1.5x at
the largest size.

Audit (`--audit`): `audit_log_parallel` on `--workers` processes of the whole log at each
size up to `--audit-max` records (default 1M: the full audit of 10M records takes longer
than a shared machine's session allows), per record and per checkpoint (one anchoring block
per checkpoint: the chain side's own cost, replay, is benchmarks/replay_scratch.py); then
one day's growth (32,000 records, 1,440 checkpoints) appended to a copy of the log and
audited incrementally from the full audit's state, `--repeat-audit` times.

`--http` also times the requests as a client sees them: one log-only node per size
(year_serve.py: the node's own API app over the log), one keep-alive loopback connection
each, `GET /v1/status`, `GET /v1/records/{id}`, `GET /v1/records/{id}/bundle`, `POST
/v1/verify` of that bundle and `GET /v1/checkpoints?from=SEQ&limit=100`, same rounds.

    eatmydata python benchmarks/year_scale.py --keep /tmp/year-scale        # 10k, 1M, 10M
    eatmydata python benchmarks/year_scale.py --keep /tmp/ys --sizes 10000,1000000 --audit
    python benchmarks/year_scale.py --quick                                  # 2k, 20k
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from year_log import RECORDS_PER_DAY, build_year_log

from evanchor.anchor.ethereum.progress import covering_checkpoint
from evanchor.anchor.log import store as store_module
from evanchor.anchor.log.audit_state import read_state, write_state
from evanchor.anchor.log.bundle import build_bundle
from evanchor.anchor.log.parallel_audit import audit_log_parallel
from evanchor.anchor.log.store import LogStore
from evanchor.anchor.verify.bundle import verify_bundle
from evanchor.node.daemon.committer import GroupCommitter
from evanchor.node.daemon.home import NodeConfig
from evanchor.node.daemon.service import NodeService, node_status

from benchkit import loaded_core, machine_facts, print_table, report_targets, timed

TARGET_RATIO = 1.5


def _record_index(store: LogStore, fraction: float) -> int:
    """The record nearest below `fraction` of the log that is a record leaf (not a seal)."""
    index = min(store.size - 1, int(fraction * store.size))
    while not store.is_record_leaf(index):
        index -= 1
    return index


def _with_warmup(fractions: list[list[float]]) -> list[list[float]]:
    """The rounds with an uncounted warm-up round first: other records than the first
    round's (each fraction moved by half the log), so the first counted round does not
    find its own records in the cache."""
    return [[(f + 0.5) % 1.0 for f in fractions[0]], *fractions]


def _record_id(index: int, store: LogStore) -> bytes:
    return store.record(index).record_id


@dataclass(frozen=True)
class Operation:
    name: str
    run: Callable[[LogStore, int, bytes], object]
    """Called with the store, a record's leaf index and its id."""


_SERVICES: dict[int, NodeService] = {}
_EXECUTOR = ThreadPoolExecutor(max_workers=1)


def _service(store: LogStore) -> NodeService:
    """The log-only node's service over `store`, as `GET /v1/records/{id}` calls it (its
    group committer never started: the benchmark only reads)."""
    service = _SERVICES.get(id(store))
    if service is None or service.store is not store:
        service = _SERVICES[id(store)] = NodeService(
            store, NodeConfig(), GroupCommitter(store, _EXECUTOR)
        )
    return service


def _lookup(store: LogStore, index: int, record_id: bytes) -> object:
    status = _service(store).record_status(record_id.hex())
    assert status.index == index
    return status.as_json()  # the body the API serves, as before the status was typed


def _proof(store: LogStore, index: int, record_id: bytes) -> object:
    checkpoint = covering_checkpoint(store, index)
    assert checkpoint is not None
    return store.inclusion_proof(index, checkpoint.size)


def _bundle(store: LogStore, index: int, record_id: bytes) -> object:
    return build_bundle(store, index, checkpoint=covering_checkpoint(store, index))


OPERATIONS = (
    Operation("status", lambda store, index, record_id: node_status(store, NodeConfig())),
    Operation("record lookup", _lookup),
    Operation("proof", _proof),
    Operation("bundle", _bundle),
)


def measure(
    paths: dict[int, Path], fractions: list[list[float]]
) -> dict[str, dict[int, list[float]]]:
    """Mean seconds per query, per operation and size, one figure per round (interleaved)."""
    names = [op.name for op in OPERATIONS] + ["verify"]
    rounds: dict[str, dict[int, list[float]]] = {name: {n: [] for n in paths} for name in names}
    stores = {n: LogStore(path, check=False) for n, path in paths.items()}
    for store in stores.values():
        store.open_tables()  # as `evanchor node start` does
    try:
        for number, round_fractions in enumerate(_with_warmup(fractions)):
            for n, store in stores.items():
                picked = [_record_index(store, f) for f in round_fractions]
                queries = [(index, _record_id(index, store)) for index in picked]
                for op in OPERATIONS:
                    seconds, _ = timed(
                        lambda o=op, s=store, q=queries: [o.run(s, i, r) for i, r in q]
                    )
                    if number > 0:
                        rounds[op.name][n].append(seconds / len(queries))
                bundles = [
                    build_bundle(store, i, checkpoint=covering_checkpoint(store, i)).as_json()
                    for i, _ in queries
                ]
                seconds, reports = timed(lambda b=bundles: [verify_bundle(x) for x in b])
                assert all(r.ok for r in reports), [r.summary for r in reports if not r.ok][:1]
                if number > 0:
                    rounds["verify"][n].append(seconds / len(queries))
    finally:
        for store in stores.values():
            store.close()
    return rounds


HTTP_OPERATIONS = ("status", "record lookup", "bundle", "verify", "checkpoints page")
"""What `--http` times, each as one request through the node's API (year_serve.py):
`GET /v1/status`, `GET /v1/records/{id}`, `GET /v1/records/{id}/bundle`, `POST /v1/verify`
of that bundle, and `GET /v1/checkpoints?from=SEQ&limit=100` at the record's checkpoint."""

Request = tuple[str, str, bytes | None]
"""One HTTP request: method, target, body."""

HTTP_TOKEN = "year-scale-operator-token-0123456789"


@dataclass(frozen=True)
class HttpQuery:
    record_id: str
    seq: int
    """The seq of the record's covering checkpoint (where its page of checkpoints starts)."""


def _http_queries(path: Path, fractions: list[list[float]]) -> list[list[HttpQuery]]:
    """Each round's queries against the log at `path`, read before its server opens it."""
    with LogStore(path, check=False) as store:
        rounds = []
        for round_fractions in _with_warmup(fractions):
            picked = [_record_index(store, f) for f in round_fractions]
            rounds.append(
                [HttpQuery(_record_id(i, store).hex(), _covering_seq(store, i)) for i in picked]
            )
        return rounds


def _covering_seq(store: LogStore, index: int) -> int:
    checkpoint = covering_checkpoint(store, index)
    assert checkpoint is not None
    return checkpoint.seq


@contextlib.contextmanager
def _servers(paths: dict[int, Path]) -> Iterator[dict[int, int]]:
    """One year_serve.py process per log, each on a free loopback port; yields the ports."""
    processes: list[subprocess.Popen[str]] = []
    ports: dict[int, int] = {}
    try:
        for n, path in paths.items():
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            process = subprocess.Popen(
                [
                    sys.executable,
                    str(Path(__file__).with_name("year_serve.py")),
                    str(path),
                    str(port),
                    HTTP_TOKEN,
                ],
                stdout=subprocess.PIPE,
                text=True,
            )
            processes.append(process)
            assert process.stdout is not None
            if process.stdout.readline().strip() != "ready":
                raise RuntimeError(f"the server of {path} did not start")
            ports[n] = port
        yield ports
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)


def _request(
    connection: http.client.HTTPConnection, method: str, target: str, body: bytes | None = None
) -> bytes:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    connection.request(method, target, body=body, headers=headers)
    answer = connection.getresponse()
    data = answer.read()
    if answer.status != 200:
        raise RuntimeError(f"{method} {target}: {answer.status} {data[:200]!r}")
    return data


def _connect(port: int) -> http.client.HTTPConnection:
    """A keep-alive loopback connection with Nagle off, so a request's two writes (head and
    body) do not wait out a delayed ACK."""
    connection = http.client.HTTPConnection("127.0.0.1", port)
    connection.connect()
    assert connection.sock is not None
    connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return connection


def _per_request(connection: http.client.HTTPConnection, requests: list[Request]) -> float:
    seconds, _ = timed(lambda: [_request(connection, *request) for request in requests])
    return seconds / len(requests)


def _http_round(connection: http.client.HTTPConnection, batch: list[HttpQuery]) -> dict[str, float]:
    """Mean seconds per request of each HTTP operation over one batch of queries."""
    figures = {
        "status": _per_request(connection, [("GET", "/v1/status", None) for _ in batch]),
        "record lookup": _per_request(
            connection, [("GET", f"/v1/records/{q.record_id}", None) for q in batch]
        ),
        "checkpoints page": _per_request(
            connection, [("GET", f"/v1/checkpoints?from={q.seq}&limit=100", None) for q in batch]
        ),
    }
    started = time.perf_counter()
    bundles = [_request(connection, "GET", f"/v1/records/{q.record_id}/bundle") for q in batch]
    figures["bundle"] = (time.perf_counter() - started) / len(batch)
    started = time.perf_counter()
    reports = [_request(connection, "POST", "/v1/verify", bundle) for bundle in bundles]
    figures["verify"] = (time.perf_counter() - started) / len(batch)
    outcomes = {json.loads(report)["outcome"] for report in reports}
    assert outcomes == {"VERIFIED"}, outcomes
    return figures


def measure_http(
    paths: dict[int, Path], fractions: list[list[float]]
) -> dict[str, dict[int, list[float]]]:
    """Mean seconds per request as the client sees it (loopback, one keep-alive connection
    per server), per operation and size, one figure per round (sizes interleaved)."""
    queries = {n: _http_queries(path, fractions) for n, path in paths.items()}
    rounds: dict[str, dict[int, list[float]]] = {
        name: {n: [] for n in paths} for name in HTTP_OPERATIONS
    }
    with _servers(paths) as ports:
        connections = {n: _connect(port) for n, port in ports.items()}
        for number in range(len(fractions) + 1):
            for n, connection in connections.items():
                figures = _http_round(connection, queries[n][number])
                if number > 0:
                    for name, seconds in figures.items():
                        rounds[name][n].append(seconds)
        for connection in connections.values():
            connection.close()
    return rounds


@contextlib.contextmanager
def _store_settings(defaults: bool) -> Iterator[None]:
    """Open stores with LevelDB's default table and block caches (1,000 tables, 8 MiB), as
    the store did before MAX_OPEN_FILES and BLOCK_CACHE_BYTES, or with the store's own."""
    kept = store_module.MAX_OPEN_FILES, store_module.BLOCK_CACHE_BYTES
    if defaults:
        store_module.MAX_OPEN_FILES, store_module.BLOCK_CACHE_BYTES = 1000, 8 * 1024 * 1024
    try:
        yield
    finally:
        store_module.MAX_OPEN_FILES, store_module.BLOCK_CACHE_BYTES = kept


def compare_settings(path: Path, fractions: list[list[float]]) -> dict[str, dict[str, list[float]]]:
    """Each operation on the log at `path` with LevelDB's default caches and with the
    store's, alternating round by round; each round opens the store afresh and warms it with
    its first 50 queries (not counted)."""
    rounds: dict[str, dict[str, list[float]]] = {}
    for round_fractions in fractions:
        for label, defaults in (("LevelDB defaults", True), ("store's caches", False)):
            with _store_settings(defaults), LogStore(path, check=False) as store:
                picked = [_record_index(store, f) for f in round_fractions]
                queries = [(index, _record_id(index, store)) for index in picked]
                for op in OPERATIONS:
                    [op.run(store, i, r) for i, r in queries[:50]]
                    seconds, _ = timed(
                        lambda o=op, s=store, q=queries: [o.run(s, i, r) for i, r in q]
                    )
                    by = rounds.setdefault(op.name, {})
                    by.setdefault(label, []).append(seconds / len(queries))
    return rounds


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f}"


def _spread(values: list[float]) -> str:
    return " - ".join(_ms(x) for x in (min(values), statistics.median(values), max(values)))


def audit_figures(path: Path, n: int, workers: int, repeat: int, scratch: Path) -> list[str]:
    """Full audit of the log at `path` (state kept), then one day's growth on a copy of it
    audited incrementally, `repeat` times each; one table row per measurement."""
    rows: list[str] = []
    full: list[float] = []
    state_file = scratch / f"state-{n}.gz"
    checkpoints = 0
    for _ in range(repeat):
        with LogStore(path, check=False) as store:
            checkpoints = store.checkpoint_count
            seconds, report = timed(
                lambda s=store: audit_log_parallel(s, workers=workers, keep_state=True)
            )
        assert report.ok, report.discrepancies[:5]
        assert report.next_state is not None
        write_state(state_file, report.next_state)
        full.append(seconds)
    records = n
    rows.append(
        f"full audit of {n:,} records ({checkpoints:,} checkpoints), {workers} workers:"
        f" min-median-max {min(full):.1f} / {statistics.median(full):.1f} / {max(full):.1f} s;"
        f" per record {statistics.median(full) / records * 1e6:.0f} us, per checkpoint (block)"
        f" {statistics.median(full) / checkpoints * 1e3:.2f} ms"
    )
    grown = scratch / f"grown-{n}"
    shutil.rmtree(grown, ignore_errors=True)
    shutil.copytree(path, grown)
    build_year_log(grown, n + RECORDS_PER_DAY)
    loaded = read_state(state_file)
    incremental: list[float] = []
    for _ in range(repeat):
        with LogStore(grown, check=False) as store:
            seconds, report = timed(
                lambda s=store: audit_log_parallel(s, workers=workers, resume=loaded)
            )
        assert report.ok, report.discrepancies[:5]
        incremental.append(seconds)
    rows.append(
        f"incremental audit of one day's growth ({RECORDS_PER_DAY:,} records, 1,440"
        f" checkpoints) on {n:,}: min-median-max {min(incremental):.2f} /"
        f" {statistics.median(incremental):.2f} / {max(incremental):.2f} s"
    )
    shutil.rmtree(grown, ignore_errors=True)
    return rows


def _logs(folder: Path, sizes: list[int], *, reuse_as_is: bool) -> dict[int, Path]:
    """The log of each size in `folder`, built (or extended) now unless `reuse_as_is` and
    it exists; keyed by its record count."""
    paths: dict[int, Path] = {}
    for n in sizes:
        path = folder / f"log-{n}"
        if path.exists() and reuse_as_is:
            with LogStore(path, check=False) as store:
                reached = store.record_count
            print(f"reusing {path}: {reached:,} records (asked {n:,})")
            paths[reached] = path
            continue
        started = time.perf_counter()
        build_year_log(path, n)
        print(f"log of {n:,} records at {path}: {time.perf_counter() - started:.1f} s to build")
        paths[n] = path
    for n, path in sorted(paths.items()):
        with LogStore(path, check=False) as store:
            print(f"  {n:,} records: {store.size:,} leaves, {store.checkpoint_count:,} checkpoints")
    return paths


def _print_latencies(
    results: dict[str, dict[int, list[float]]], sizes: list[int]
) -> list[tuple[bool, str]]:
    rows, targets = [], []
    for name, by_size in results.items():
        row = [name] + [_spread(by_size[n]) for n in sizes]
        for n in sizes[1:]:
            ratios = [b / a for a, b in zip(by_size[sizes[0]], by_size[n], strict=True)]
            row.append(f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f})")
        rows.append(row)
        largest = [b / a for a, b in zip(by_size[sizes[0]], by_size[sizes[-1]], strict=True)]
        ratio = statistics.median(largest)
        targets.append(
            (ratio <= TARGET_RATIO, f"{name}: {ratio:.2f}x from {sizes[0]:,} to {sizes[-1]:,}")
        )
    print_table(
        ["operation", *[f"{n:,} (ms)" for n in sizes], *[f"ratio {n:,}" for n in sizes[1:]]],
        rows,
    )
    print()
    return targets


def _print_cache_comparison(path: Path, n: int, fractions: list[list[float]]) -> None:
    print()
    print(
        f"the {n:,}-record log with LevelDB's default caches against the store's"
        " (reference: the defaults, same rounds); mean ms per query, min - median - max"
    )
    rows = []
    for name, by in compare_settings(path, fractions).items():
        before, after = by["LevelDB defaults"], by["store's caches"]
        ratios = [b / a for a, b in zip(before, after, strict=True)]
        rows.append(
            [
                name,
                _spread(before),
                _spread(after),
                f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f})",
            ]
        )
    print_table(["operation", "LevelDB defaults", "store's caches", "ratio"], rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,1000000,10000000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--keep", type=Path, help="build the logs here, or reuse them")
    parser.add_argument(
        "--reuse-as-is",
        action="store_true",
        help="take a kept log at whatever size it reached (a build stopped early)",
    )
    parser.add_argument("--audit", action="store_true", help="also time the audits")
    parser.add_argument("--audit-max", type=int, default=1_000_000)
    parser.add_argument("--repeat-audit", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--compare-caches",
        action="store_true",
        help="also time the largest log with LevelDB's default caches as the reference",
    )
    parser.add_argument(
        "--load-core", action="store_true", help="another process keeps a core busy throughout"
    )
    parser.add_argument("--audit-only", action="store_true", help="skip the request latencies")
    parser.add_argument(
        "--http",
        action="store_true",
        help="also time the requests through the node's HTTP API (one server per log)",
    )
    parser.add_argument("--quick", action="store_true", help="2k and 20k records")
    args = parser.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    if args.quick:
        sizes, args.repeat, args.queries, args.audit_max = [2_000, 20_000], 3, 50, 20_000
    for line in machine_facts():
        print(line)
    rng = random.Random(args.seed)
    fractions = [[rng.random() for _ in range(args.queries)] for _ in range(args.repeat)]
    temporary = None
    if args.keep is None:
        temporary = tempfile.TemporaryDirectory(dir="/tmp")
        folder = Path(temporary.name)
    else:
        folder = args.keep
        folder.mkdir(parents=True, exist_ok=True)
    paths = _logs(folder, sizes, reuse_as_is=args.reuse_as_is)
    sizes = sorted(paths)
    with loaded_core(args.load_core) as load:
        print(f"measured with {load}")
        passed = args.audit_only or _latencies(paths, sizes, fractions, args)
        if args.audit:
            _audits(paths, sizes, args)
    if temporary is not None:
        temporary.cleanup()
    return 0 if passed else 1


def _latencies(
    paths: dict[int, Path], sizes: list[int], fractions: list[list[float]], args: Any
) -> bool:
    results = measure(paths, fractions)
    print()
    print(
        f"mean ms per query, min - median - max over {args.repeat} rounds of {args.queries}"
        f" queries (sizes interleaved); ratio = median over rounds of size / {sizes[0]:,}"
        f" (min-max)"
    )
    targets = _print_latencies(results, sizes)
    passed = report_targets(targets)
    if args.http:
        http_results = measure_http(paths, fractions)
        print()
        print(
            f"through the HTTP API (year_serve.py, loopback, the client's clock): mean ms per"
            f" request, min - median - max over {args.repeat} rounds of {args.queries}"
            f" requests each; ratio = median over rounds of size / {sizes[0]:,} (min-max)"
        )
        passed = report_targets(_print_latencies(http_results, sizes)) and passed
    if args.compare_caches:
        _print_cache_comparison(paths[sizes[-1]], sizes[-1], fractions)
    return passed


def _audits(paths: dict[int, Path], sizes: list[int], args: Any) -> None:
    print()
    scratch = Path(tempfile.mkdtemp(dir="/tmp", prefix="year-audit-"))
    try:
        for n in sizes:
            if n <= args.audit_max:
                for row in audit_figures(paths[n], n, args.workers, args.repeat_audit, scratch):
                    print(row, flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
