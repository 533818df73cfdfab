"""Signed records per second, every signature verified: through `evanchor submit`, through the
HTTP API of a running node; anchor delay under that load; offline bundle verifications.

Set-up, all through the real CLI in subprocesses, in a temporary folder: two node folders
(`evanchor init` on free ports, embedded chain, the default seal policy of 1,000 records or
60 s), one agency key (`evanchor agency new`) granted on both chains for one USCC
(`evanchor agency grant ADDRESS --code USCC`); the records (generated as benchmarks/ingest.py
generates them: both kinds, every event) all name that USCC. Keystores are written with
EVANCHOR_KEYSTORE_SCRYPT_N=4096 so that unlocking them takes milliseconds, not seconds.

(a) `evanchor sign` of K records (default 100,000), then `evanchor submit signed.jsonl` into
    node folder A with no node running: submit reads the file on every core, recovers every
    signer, checks each against the agency registry read from the chain, and appends
    locally. Timed end to end (interpreter start-up, opening the chain, the seal included);
    then the same in process with the same functions, and stage by stage in one process:
    parse (read + strict I-JSON), validate (envelope + record, commitment), recover
    (signature recovery), authorise (registry lookup), append (synced batches).
(b) `evanchor node start` on node folder B, then an aiohttp client with several concurrent
    connections posting pre-signed submissions: single-record requests, then batches of
    `--batch` (default 100) per request, each as fast as the node takes them. Every
    response is checked (201, one new receipt per submission). Records per second per
    phase, request latency, and the CPU the node process and the client used per record
    (they share the machine's cores).
(c) Anchor delay per record, from acceptance to the end of the anchoring block's second (as
    `node.service.anchor_delay_summary` measures it), under the default seal policy: for the
    records of (b), and for a second load paced at the HTTP target (2,000 records/s, in
    batch requests) for `--paced-seconds` (default 30). After each load the run waits until
    every record is anchored, the 60-second timed seal of a last partial checkpoint
    included; that checkpoint is reported apart from those sealed by count under the load.
(d) Offline bundle verifications per second, `bundle_verify.verify_bundle` with no chain
    access: anchored bundles fetched from node B (anchor section: block header, account and
    storage proofs, checked offline) and plain bundles built from node folder A's sealed log.

References measured in the same run: bare `signing.recover_signer` calls per second (one
core), and the unsigned durable ingest of the same records in process
(`parallel_ingest.prepare_jsonl` + `LogStore.append`, as benchmarks/ingest.py measures it).

    python benchmarks/signed_ingest.py           # about 5-8 minutes
    python benchmarks/signed_ingest.py --quick   # K = 2,000; ~30 s (no timed-seal wait)
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import requests

from evanchor.anchor.ethereum import client as cc
from evanchor.anchor.ethereum.registry import AgencyRegistry
from evanchor.anchor.log.bundle import build_bundle
from evanchor.anchor.log.ingest import prepare_record
from evanchor.anchor.log.parallel_ingest import (
    LineJob,
    SignedLine,
    default_workers,
    prepare_jsonl,
    start_pool,
)
from evanchor.anchor.log.store import LogStore, PreparedRecord
from evanchor.anchor.log.submission import (
    authorised,
    parse_submission,
    sign_record,
    submission_signer,
)
from evanchor.anchor.protocol.errors import InputError
from evanchor.anchor.protocol.jsonin import read_json_or_jsonl
from evanchor.anchor.protocol.signing import SigningDomain, recover_signer
from evanchor.anchor.verify.bundle import verify_bundle
from evanchor.cli.log_commands import APPEND_BATCH
from evanchor.node.chain.keys import load_key
from evanchor.node.daemon.chain_access import chain_endpoint
from evanchor.node.daemon.home import NodeHome

from benchkit import machine_facts, print_table, report_targets, timed
from ingest import agencies, templates, vary

TARGET_SUBMIT = 5_000
"""Signed records per second through `evanchor submit` of a signed JSONL file."""
TARGET_HTTP = 2_000
"""Signed records per second through the HTTP API (batch requests, the intended fast path)."""
TARGET_VERIFY = 1_000
"""Bundle verifications per second, offline."""

PASSWORD = "benchmark agency password\n"
READY_TIMEOUT = 60.0
ANCHOR_TIMEOUT = 600.0


# -- the command line and the node ---------------------------------------------------------


def evanchor() -> str:
    installed = Path(sys.executable).parent / "evanchor"
    found = str(installed) if installed.exists() else shutil.which("evanchor")
    if found is None:
        raise SystemExit("the `evanchor` command is not installed (pip install -e .)")
    return found


def environment() -> dict[str, str]:
    """The environment of every subprocess: fast keystores, no inherited node folder."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("EVANCHOR_HOME", "EVANCHOR_PASSWORD_FILE", "EVANCHOR_CHAIN_DIR")
    }
    env["EVANCHOR_KEYSTORE_SCRYPT_N"] = "4096"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def run(home: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    command = [evanchor(), "--home", str(home), *map(str, args)]
    done = subprocess.run(command, env=environment(), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[1:])} failed:\n{done.stdout}\n{done.stderr}")
    return done


@dataclass(frozen=True)
class Node:
    home: Path
    api_url: str

    @property
    def domain(self) -> SigningDomain:
        chain = NodeHome(self.home).config().chain
        assert chain is not None
        return SigningDomain(chain.chain_id, chain.contract)


def init_node(home: Path) -> Node:
    api_port = free_port()
    run(home, "init", "--api-port", str(api_port), "--rpc-port", str(free_port()))
    return Node(home, f"http://127.0.0.1:{api_port}")


@dataclass(frozen=True)
class Agency:
    address: str
    keystore: Path
    password_file: Path
    code: str

    def key(self) -> bytes:
        return bytes(load_key(self.keystore, self.password_file).to_bytes())


def new_agency(node: Node, folder: Path, code: str) -> Agency:
    password_file = folder / "agency.password"
    password_file.write_text(PASSWORD, encoding="utf-8")
    keystore = folder / "agency.keystore.json"
    made = json.loads(
        run(
            node.home, "agency", "new", "-o", keystore, "--password-file", password_file, "--json"
        ).stdout
    )
    return Agency(made["address"], keystore, password_file, code)


@contextmanager
def running(node: Node, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`evanchor node start` in a subprocess, until the block ends (SIGTERM)."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [evanchor(), "--home", str(node.home), "node", "start"],
            env=environment(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            if process.poll() is not None:
                raise SystemExit(f"the node exited:\n{log.read_text(errors='replace')[-3000:]}")
            try:
                if requests.get(f"{node.api_url}/v1/health", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the node did not start in time")
            time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- records and signatures ----------------------------------------------------------------


def write_records(path: Path, count: int, seed: int, code: str) -> None:
    """`count` generated valid records, every one naming the agency `code`."""
    rng = random.Random(seed)
    pool = templates()
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            record = vary(pool[i % len(pool)], i, rng, [code])
            out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")


def _sign_chunk(
    records: list[dict[str, Any]], key: bytes, separator: bytes
) -> list[dict[str, Any]]:
    return [sign_record(record, key, separator) for record in records]


def sign_all(
    records: list[dict[str, Any]], key: bytes, separator: bytes, workers: int
) -> list[dict[str, Any]]:
    """Signed envelopes for `records` (set-up, not timed), on every core."""
    chunks = [records[i : i + 2_000] for i in range(0, len(records), 2_000)]
    with ProcessPoolExecutor(workers) as pool:
        signed = pool.map(_sign_chunk, chunks, [key] * len(chunks), [separator] * len(chunks))
        return [envelope for chunk in signed for envelope in chunk]


def fresh_records(count: int, seed: int, code: str) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    pool = templates()
    return [vary(pool[i % len(pool)], i, rng, [code]) for i in range(count)]


# -- (a) evanchor submit, and the same in process ------------------------------------------


def recover_rate(signed: Path, separator: bytes, count: int) -> float:
    """Reference: bare `recover_signer` calls per second, on one core."""
    triples = []
    for _, obj in read_json_or_jsonl(signed):
        assert not isinstance(obj, InputError)
        submission = parse_submission(obj)
        prepared = prepare_record(submission.record, salt=submission.salt)
        triples.append((prepared.commitment, submission.signature))
        if len(triples) == count:
            break
    seconds, _ = timed(lambda: [recover_signer(separator, c, s) for c, s in triples])
    return len(triples) / seconds


def append_all(records: Sequence[PreparedRecord], log: Path) -> None:
    with LogStore(log, create=True) as store:
        for start in range(0, len(records), APPEND_BATCH):
            store.append(records[start : start + APPEND_BATCH])


def unsigned_in_process(path: Path, log: Path, workers: int) -> float:
    """Reference: the unsigned durable ingest of the same records, as submit runs it."""
    start = time.perf_counter()
    pool = start_pool(workers)
    try:
        good, bad = prepare_jsonl(path, LineJob(), pool, workers=workers)
    finally:
        pool.shutdown()
    assert not bad, bad[0]
    append_all(good, log)
    return time.perf_counter() - start


@dataclass(frozen=True)
class SignedInProcess:
    read: float
    registry: float
    authorise: float
    append: float

    @property
    def total(self) -> float:
        return self.read + self.registry + self.authorise + self.append


def signed_in_process(node: Node, signed: Path, log: Path, workers: int) -> SignedInProcess:
    """What `evanchor submit signed.jsonl` does with no node running, timed by phase."""
    t0 = time.perf_counter()
    pool = start_pool(workers)
    try:
        lines, bad = prepare_jsonl(
            signed,
            LineJob(signed=True, domain_separator=node.domain.separator),
            pool,
            workers=workers,
        )
    finally:
        pool.shutdown()
    assert not bad, bad[0]
    t1 = time.perf_counter()
    home = NodeHome(node.home)
    chain = home.config().chain
    assert chain is not None
    with chain_endpoint(home) as rpc_url:
        registry = AgencyRegistry(
            cc.contract_at(cc.web3_for(rpc_url), chain.contract), chain.deploy_block
        )
        registry.refresh()
    t2 = time.perf_counter()
    agency_of = functools.cache(registry.lookup)  # as submit does: one lookup per signer
    records = []
    for line in lines:
        assert isinstance(line, SignedLine)
        assert isinstance(line.signer, str)
        records.append(authorised(line.record, line.signer, agency_of))
    t3 = time.perf_counter()
    append_all(records, log)
    return SignedInProcess(t1 - t0, t2 - t1, t3 - t2, time.perf_counter() - t3)


@dataclass(frozen=True)
class Stages:
    parse: float
    validate: float
    recover: float
    authorise: float
    append: float

    @property
    def total(self) -> float:
        return self.parse + self.validate + self.recover + self.authorise + self.append


def stage_by_stage(signed: Path, separator: bytes, agency: Agency, log: Path) -> Stages:
    """The signed path in one process, reading the clock between stages of each record."""
    clock = time.perf_counter
    parse = validate = recover = authorise = 0.0
    registered = {agency.address: agency.code}
    records: list[PreparedRecord] = []
    lines = read_json_or_jsonl(signed)
    while True:
        t0 = clock()
        item = next(lines, None)
        t1 = clock()
        parse += t1 - t0
        if item is None:
            break
        _, obj = item
        assert not isinstance(obj, InputError)
        submission = parse_submission(obj)
        prepared = prepare_record(submission.record, salt=submission.salt)
        t2 = clock()
        validate += t2 - t1
        signer = submission_signer(separator, prepared.commitment, submission.signature)
        t3 = clock()
        recover += t3 - t2
        records.append(
            authorised(
                PreparedRecord(
                    prepared.record_id,
                    prepared.canonical,
                    prepared.salt,
                    prepared.commitment,
                    prepared.kind,
                    prepared.agency,
                    prepared.case,
                    submission.signature,
                ),
                signer,
                registered.get,
            )
        )
        authorise += clock() - t3
    append_seconds, _ = timed(lambda: append_all(records, log))
    return Stages(parse, validate, recover, authorise, append_seconds)


# -- (b) the HTTP API ----------------------------------------------------------------------


@dataclass
class Load:
    name: str
    records: int = 0
    requests: int = 0
    seconds: float = 0.0
    node_cpu: float = 0.0
    client_cpu: float = 0.0
    latencies: list[float] = field(default_factory=list)
    receipts: list[tuple[str, int]] = field(default_factory=list)
    """(record id, index) of every record the node acknowledged."""

    @property
    def rate(self) -> float:
        return self.records / self.seconds

    def latency(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def _post_all(
    url: str, bodies: list[tuple[bytes, int]], connections: int, load: Load
) -> None:
    """POST every body over `connections` concurrent connections; check every answer."""
    queue: asyncio.Queue[tuple[bytes, int]] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    headers = {"Content-Type": "application/json"}

    async def client(session: aiohttp.ClientSession) -> None:
        while not queue.empty():
            body, count = queue.get_nowait()
            start = time.perf_counter()
            async with session.post(f"{url}/v1/records", data=body, headers=headers) as answer:
                payload = await answer.read()
                if answer.status != 201:
                    raise SystemExit(f"the node answered {answer.status}: {payload[:300]!r}")
            load.latencies.append(time.perf_counter() - start)
            receipts = json.loads(payload)["receipts"]
            if len(receipts) != count or any(r["duplicate"] for r in receipts):
                raise SystemExit(f"expected {count} new receipts, got {receipts[:3]}...")
            load.receipts += [(r["record_id"], r["index"]) for r in receipts]
            load.records += count
            load.requests += 1

    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(client(session) for _ in range(connections)))


def http_load(
    name: str,
    url: str,
    node_pid: int,
    submissions: list[dict[str, Any]],
    *,
    per_request: int,
    connections: int,
) -> Load:
    """Post `submissions` in requests of `per_request`, timed with the node's CPU."""
    if per_request == 1:
        bodies = [(json.dumps(s).encode(), 1) for s in submissions]
    else:
        bodies = [
            (json.dumps({"submissions": submissions[i : i + per_request]}).encode(), per_request)
            for i in range(0, len(submissions), per_request)
        ]
    load = Load(name)
    node_before, client_before = cpu_seconds(node_pid), time.process_time()
    start = time.perf_counter()
    asyncio.run(_post_all(url, bodies, connections, load))
    load.seconds = time.perf_counter() - start
    load.node_cpu = cpu_seconds(node_pid) - node_before
    load.client_cpu = time.process_time() - client_before
    return load


async def _post_paced(url: str, bodies: list[bytes], per_second: float, load: Load) -> None:
    """POST body i at `i / per_second` seconds from the start, each as soon as it is due,
    over as many connections as the node needs to keep up (requests overlap if it lags)."""
    headers = {"Content-Type": "application/json"}
    async with aiohttp.ClientSession() as session:

        async def one(index: int, body: bytes, due: float) -> None:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            sent = time.perf_counter()
            async with session.post(f"{url}/v1/records", data=body, headers=headers) as answer:
                payload = await answer.read()
                if answer.status != 201:
                    raise SystemExit(f"the node answered {answer.status}: {payload[:300]!r}")
            load.latencies.append(time.perf_counter() - sent)
            load.receipts += [(r["record_id"], r["index"]) for r in json.loads(payload)["receipts"]]
            load.requests += 1

        start = time.perf_counter()
        await asyncio.gather(
            *(one(i, body, start + i / per_second) for i, body in enumerate(bodies))
        )


def paced_load(
    url: str, node_pid: int, submissions: list[dict[str, Any]], *, per_request: int, rate: float
) -> Load:
    """Post `submissions` at `rate` records per second, in requests of `per_request`."""
    bodies = [
        json.dumps({"submissions": submissions[i : i + per_request]}).encode()
        for i in range(0, len(submissions), per_request)
    ]
    load = Load(f"batch requests of {per_request}, paced at {rate:,.0f}/s")
    node_before, client_before = cpu_seconds(node_pid), time.process_time()
    start = time.perf_counter()
    asyncio.run(_post_paced(url, bodies, rate / per_request, load))
    load.seconds = time.perf_counter() - start
    load.records = len(submissions)
    load.node_cpu = cpu_seconds(node_pid) - node_before
    load.client_cpu = time.process_time() - client_before
    return load


# -- (c) anchor delay ----------------------------------------------------------------------


def wait_anchored(url: str, *, timed_seal: bool) -> tuple[dict[str, Any], float]:
    """Poll /v1/status until every sealed checkpoint is anchored (and, with `timed_seal`,
    until the last partial checkpoint has been sealed by the 60-second rule and anchored).
    Returns the last status and how long the wait took."""
    start = time.perf_counter()
    while True:
        status = requests.get(f"{url}/v1/status", timeout=60).json()
        log, anchoring = status["log"], status["anchoring"]
        done = anchoring["pending_checkpoints"] == [] and log["checkpoints"] > 0
        if done and (log["unsealed"] == 0 or not timed_seal):
            return status, time.perf_counter() - start
        if time.perf_counter() - start > ANCHOR_TIMEOUT:
            raise SystemExit(f"not anchored after {ANCHOR_TIMEOUT:.0f} s: {status}")
        time.sleep(1.0)


@dataclass(frozen=True)
class Delays:
    checkpoints: int
    records: int
    p50: float
    p99: float
    worst: float


def record_delays(store: LogStore, keep: Callable[[int, int], bool]) -> Delays | None:
    """Per-record anchor delays over the confirmed checkpoints `keep(first, size)` selects,
    measured as `anchor_delay_summary` measures them (to the end of the block's second)."""
    delays: list[float] = []
    checkpoints = 0
    previous = 0
    for checkpoint in store.checkpoints():
        state = store.anchor_state(checkpoint.seq)
        confirmed = state is not None and state.get("status") == "confirmed"
        if confirmed and keep(previous, checkpoint.size):
            assert state is not None
            anchored = float(state["block_timestamp"]) + 1.0
            checkpoints += 1
            for index in range(previous, checkpoint.size - 1):  # the last leaf is the seal's
                stamp = store.accepted_at(index)
                accepted = datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
                delays.append(anchored - accepted)
        previous = checkpoint.size
    if not delays:
        return None
    delays.sort()
    return Delays(
        checkpoints,
        len(delays),
        delays[int(0.5 * len(delays))],
        delays[min(len(delays) - 1, int(0.99 * len(delays)))],
        delays[-1],
    )


@dataclass(frozen=True)
class AnchorPhase:
    """A load whose records' anchor delay is reported: log indices [first, end)."""

    name: str
    first: int
    end: int
    load_seconds: float
    wait_seconds: float
    """From the end of the load until all its records were anchored."""


@dataclass(frozen=True)
class AnchorRun:
    phase: AnchorPhase
    by_count: Delays | None
    """Checkpoints sealed by the 1,000-record rule: the delay under the load."""
    by_time: Delays | None
    """The last, partial checkpoint, sealed by the 60-second rule after the load stopped."""


def anchor_runs(log: Path, phases: list[AnchorPhase]) -> list[AnchorRun]:
    """Each phase's delays, from the node's log once the node has stopped."""
    out = []
    with LogStore(log) as store:
        for phase in phases:

            def within(first: int, size: int, phase: AnchorPhase = phase) -> bool:
                return phase.first <= first and size <= phase.end

            out.append(
                AnchorRun(
                    phase,
                    record_delays(store, lambda a, b, f=within: f(a, b) and b - a >= 1000),
                    record_delays(store, lambda a, b, f=within: f(a, b) and b - a < 1000),
                )
            )
    return out


# -- (d) bundle verification ---------------------------------------------------------------


def verify_rate(bundles: list[dict[str, Any]], seconds: float = 2.0) -> float:
    """`verify_bundle` calls per second over `bundles`, repeated for at least `seconds`."""
    for bundle in bundles:
        report = verify_bundle(bundle)
        if not report.ok:
            raise SystemExit(f"benchmark bug: a bundle does not verify: {report.summary}")
    done = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for bundle in bundles:
            verify_bundle(bundle)
        done += len(bundles)
    return done / (time.perf_counter() - start)


def plain_bundles(log: Path, count: int, rng: random.Random) -> list[dict[str, Any]]:
    with LogStore(log) as store:
        latest = store.latest_checkpoint()
        if latest is None:
            return []
        records = [i for i in range(latest.size) if store.is_record_leaf(i)]
        indices = rng.sample(records, min(count, len(records)))
        return [build_bundle(store, index).as_json() for index in indices]


def anchored_bundles(url: str, record_ids: list[str], count: int, rng: random.Random) -> list[Any]:
    chosen = rng.sample(record_ids, min(count, len(record_ids)))
    out = []
    for record_id in chosen:
        answer = requests.get(f"{url}/v1/records/{record_id}/bundle", timeout=60)
        if answer.status_code != 200:
            raise SystemExit(f"bundle of {record_id}: {answer.status_code} {answer.text[:200]}")
        out.append(answer.json())
    return out


# -- the run -------------------------------------------------------------------------------


@dataclass
class Results:
    k: int
    workers: int
    recover_per_second: float = 0.0
    unsigned: float = 0.0
    sign_cli: float = 0.0
    submit_cli: float = 0.0
    startup: float = 0.0
    in_process: SignedInProcess | None = None
    stages: Stages | None = None
    stage_k: int = 0
    loads: list[Load] = field(default_factory=list)
    batch: Load | None = None
    summary: dict[str, float] | None = None
    anchor_runs: list[AnchorRun] = field(default_factory=list)
    checkpoints: int = 0
    verify_anchored: float | None = None
    verify_plain: float | None = None
    bundles: tuple[int, int] = (0, 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--k", type=int, default=100_000, help="records through submit")
    parser.add_argument("--stage-k", type=int, default=20_000, help="records stage by stage")
    parser.add_argument("--http-k", type=int, default=100_000, help="records in batch requests")
    parser.add_argument("--single-k", type=int, default=10_000, help="single-record requests")
    parser.add_argument("--batch", type=int, default=100, help="submissions per batch request")
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections")
    parser.add_argument("--bundles", type=int, default=200, help="bundles of each kind")
    parser.add_argument(
        "--paced-seconds", type=float, default=30.0, help="load paced at the HTTP target"
    )
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--seed", type=int, default=712)
    parser.add_argument("--quick", action="store_true", help="small sizes; no timed-seal wait")
    args = parser.parse_args()
    if args.quick:
        args.k, args.stage_k, args.http_k, args.single_k, args.bundles = 2_000, 1_000, 1_000, 0, 20
        args.paced_seconds = 1.0

    print(
        f"Signed ingest: K = {args.k:,} through submit; HTTP {args.http_k:,} in batches of"
        f" {args.batch} and {args.single_k:,} single, {args.connections} connections"
    )
    for fact in machine_facts():
        print(fact)
    print("keystores written with EVANCHOR_KEYSTORE_SCRYPT_N=4096 (fast unlocking)")
    rng = random.Random(args.seed)
    code = agencies(rng, 1)[0]
    results = Results(args.k, args.workers)
    with tempfile.TemporaryDirectory(prefix="bench-signed-") as name:
        folder = Path(name)
        agency = part_a(args, folder, code, results)
        part_b(args, folder, agency, rng, results)
    return 0 if report(results, args) else 1


def part_a(args: argparse.Namespace, folder: Path, code: str, results: Results) -> Agency:
    node = init_node(folder / "node-a")
    agency = new_agency(node, folder, code)
    run(node.home, "agency", "grant", agency.address, "--code", code)
    records = folder / "records.jsonl"
    signed = folder / "signed.jsonl"
    write_records(records, args.k, args.seed, code)
    print(f"node folder A ready, agency {agency.address} granted for {code}; signing...")

    results.sign_cli, _ = timed(
        lambda: run(
            node.home,
            "sign",
            records,
            "--key",
            agency.keystore,
            "--key-password-file",
            agency.password_file,
            "-o",
            signed,
        )
    )
    results.startup, _ = timed(
        lambda: subprocess.run([evanchor(), "--version"], check=True, capture_output=True)
    )
    results.submit_cli, done = timed(lambda: run(node.home, "submit", signed))
    if f"appended {args.k} record(s)" not in done.stdout:
        raise SystemExit(f"evanchor submit: {done.stdout}")
    print(f"(a) evanchor submit: {args.k / results.submit_cli:,.0f} records/s; in process...")

    separator = node.domain.separator
    results.recover_per_second = recover_rate(signed, separator, min(args.k, 5_000))
    results.unsigned = unsigned_in_process(records, folder / "log-unsigned", args.workers)
    results.in_process = signed_in_process(node, signed, folder / "log-signed", args.workers)
    sample = folder / "stages.jsonl"
    with signed.open("rb") as source, sample.open("wb") as out:
        for _ in range(min(args.stage_k, args.k)):
            out.write(source.readline())
    results.stage_k = min(args.stage_k, args.k)
    results.stages = stage_by_stage(sample, separator, agency, folder / "log-stages")
    results.verify_plain = None
    plain = plain_bundles(node.home / "log", args.bundles, random.Random(args.seed))
    if plain:
        results.verify_plain = verify_rate(plain)
        results.bundles = (0, len(plain))
    return agency


def part_b(
    args: argparse.Namespace, folder: Path, agency: Agency, rng: random.Random, results: Results
) -> None:
    node = init_node(folder / "node-b")
    run(node.home, "agency", "grant", agency.address, "--code", agency.code)
    paced_k = int(TARGET_HTTP * args.paced_seconds) // args.batch * args.batch
    total = args.single_k + args.http_k + paced_k
    print(f"node folder B ready; signing {total:,} submissions for the HTTP phases...")
    submissions = sign_all(
        fresh_records(total, args.seed + 1, agency.code),
        agency.key(),
        node.domain.separator,
        args.workers,
    )
    single = submissions[: args.single_k]
    batch = submissions[args.single_k : args.single_k + args.http_k]
    paced = submissions[args.single_k + args.http_k :]
    phases: list[AnchorPhase] = []
    with running(node, folder / "node-b.log") as process:
        start = time.perf_counter()
        # Single-record requests first, on a node with no anchoring backlog yet: under the
        # batch load the node seals faster than it anchors, and the anchoring work that
        # follows shares the node's process with the API.
        if single:
            results.loads.append(
                http_load(
                    "single-record requests",
                    node.api_url,
                    process.pid,
                    single,
                    per_request=1,
                    connections=args.connections,
                )
            )
        results.batch = http_load(
            f"batch requests of {args.batch}",
            node.api_url,
            process.pid,
            batch,
            per_request=args.batch,
            connections=args.connections,
        )
        results.loads.append(results.batch)
        load_seconds = time.perf_counter() - start
        print(
            f"(b) HTTP: {', '.join(f'{x.rate:,.0f}/s' for x in results.loads)}; "
            "waiting for every checkpoint to be anchored..."
        )
        status, wait = wait_anchored(node.api_url, timed_seal=not args.quick)
        size = status["log"]["size"]
        phases.append(AnchorPhase("as fast as the node takes them", 0, size, load_seconds, wait))
        if paced:
            load = paced_load(
                node.api_url, process.pid, paced, per_request=args.batch, rate=TARGET_HTTP
            )
            results.loads.append(load)
            print(f"(c) paced load done ({load.rate:,.0f}/s); waiting for anchoring...")
            status, wait = wait_anchored(node.api_url, timed_seal=not args.quick)
            phases.append(
                AnchorPhase(
                    f"paced at {TARGET_HTTP:,}/s", size, status["log"]["size"], load.seconds, wait
                )
            )
        results.summary = status["anchoring"]["anchor_delay_seconds"]
        covered = status["log"]["latest_checkpoint"]["size"]
        ids = [rid for load in results.loads for rid, index in load.receipts if index < covered]
        anchored = anchored_bundles(node.api_url, ids, args.bundles, rng)
    results.anchor_runs = anchor_runs(node.home / "log", phases)
    with LogStore(node.home / "log") as store:
        results.checkpoints = store.checkpoint_count
    results.verify_anchored = verify_rate(anchored) if anchored else None
    results.bundles = (len(anchored), results.bundles[1])


def report(r: Results, args: argparse.Namespace) -> bool:
    """Print the tables and one PASS/FAIL line per target; True if all pass."""
    print()
    recover_us = 1e6 / r.recover_per_second

    def row(name: str, seconds: float, count: int) -> list[str]:
        per = seconds / count * 1e6
        return [
            name,
            f"{seconds:.2f}",
            f"{count / seconds:,.0f}",
            f"{per:.1f}",
            f"{per / recover_us:.2f}",
        ]

    rows = [
        row(
            "reference: bare recover_signer, one core (rate of 5,000)",
            r.k / r.recover_per_second,
            r.k,
        ),
        row("reference: unsigned durable ingest, in process", r.unsigned, r.k),
        row(f"evanchor sign via CLI, K = {r.k:,}", r.sign_cli, r.k),
        row(f"evanchor submit signed.jsonl via CLI, K = {r.k:,}", r.submit_cli, r.k),
        row("  the same less start-up (evanchor --version)", r.submit_cli - r.startup, r.k),
    ]
    if r.in_process is not None:
        p = r.in_process
        rows += [
            row("signed submit in process, as submit runs it", p.total, r.k),
            row(f"  phase: read, validate, recover ({r.workers} workers)", p.read, r.k),
            row("  phase: agency registry from the chain", p.registry, r.k),
            row("  phase: authorise every signer", p.authorise, r.k),
            row("  phase: append (synced batches)", p.append, r.k),
        ]
    if r.stages is not None:
        s, n = r.stages, r.stage_k
        rows += [
            row(f"signed, one process, stage by stage (K = {n:,})", s.total, n),
            row("  stage: parse (read + strict I-JSON)", s.parse, n),
            row("  stage: validate (envelope, record, commitment)", s.validate, n),
            row("  stage: recover signature", s.recover, n),
            row("  stage: authorise (registry lookup)", s.authorise, n),
            row("  stage: append (synced batches)", s.append, n),
        ]
    print_table(["", "seconds", "records/s", "us/record", "x recover"], rows)
    print(f"evanchor --version (start-up): {r.startup:.2f} s")
    print()

    http_rows = []
    for load in r.loads:
        http_rows.append(
            [
                load.name,
                f"{load.records:,}",
                f"{load.requests:,}",
                f"{load.seconds:.2f}",
                f"{load.rate:,.0f}",
                f"{1e6 / load.rate:.0f}",
                f"{r.recover_per_second / load.rate:.2f}",
                f"{load.latency(0.5) * 1e3:.1f} / {load.latency(0.99) * 1e3:.1f}",
                f"{load.node_cpu / load.records * 1e6:.0f}",
                f"{load.client_cpu / load.records * 1e6:.0f}",
            ]
        )
    print_table(
        [
            "HTTP API (node process)",
            "records",
            "requests",
            "seconds",
            "records/s",
            "us/record",
            "x recover",
            "latency p50/p99 ms",
            "node us CPU/rec",
            "client us CPU/rec",
        ],
        http_rows,
    )
    print()
    print(
        "anchor delay, default seal policy (1,000 records or 60 s), per record: acceptance to"
        f" the end of the anchoring block's second; {r.checkpoints} checkpoints in the run"
    )
    for anchored in r.anchor_runs:
        phase = anchored.phase
        print(
            f"  {phase.name}: {phase.end - phase.first:,} records in {phase.load_seconds:.1f} s;"
            f" every sealed checkpoint anchored {phase.wait_seconds:.1f} s after the load"
            + ("" if not args.quick else " (quick: a partial checkpoint is not waited for)")
        )
        for label, delays in (
            ("sealed by count, under the load", anchored.by_count),
            ("the last, partial checkpoint, sealed by the 60 s rule", anchored.by_time),
        ):
            if delays is not None:
                print(
                    f"    {label}: {delays.checkpoints} checkpoints, {delays.records:,} records,"
                    f" p50 {delays.p50:.2f} s, p99 {delays.p99:.2f} s, max {delays.worst:.2f} s"
                )
    if r.summary:
        print(
            f"  every record of the run (/v1/status): p50 {r.summary['p50']:.2f} s,"
            f" p99 {r.summary['p99']:.2f} s, max {r.summary['max']:.2f} s over"
            f" {r.summary['count']:,.0f} records"
        )
    print()
    for label, rate, count in (
        ("anchored bundles (anchor section checked offline)", r.verify_anchored, r.bundles[0]),
        ("plain bundles (sealed, not anchored)", r.verify_plain, r.bundles[1]),
    ):
        if rate is not None:
            print(
                f"verify_bundle, {label}: {rate:,.0f}/s over {count} bundles"
                f" ({1e6 / rate:.0f} us each, {r.recover_per_second / rate:.2f} x recover)"
            )
    print()

    submit_rate = r.k / r.submit_cli
    batch = r.batch
    results = [
        (
            submit_rate >= TARGET_SUBMIT,
            f"signed submit {submit_rate:,.0f} records/s through `evanchor submit`, start-up"
            f" included (target >= {TARGET_SUBMIT:,}/s)",
        ),
    ]
    if batch is not None:
        results.append(
            (
                batch.rate >= TARGET_HTTP,
                f"HTTP API {batch.rate:,.0f} signed records/s in batch requests of"
                f" {args.batch} (target >= {TARGET_HTTP:,}/s)",
            )
        )
    verified = r.verify_anchored if r.verify_anchored is not None else r.verify_plain
    if verified is not None:
        kind = "anchored" if r.verify_anchored is not None else "plain"
        results.append(
            (
                verified >= TARGET_VERIFY,
                f"{verified:,.0f} {kind} bundle verifications/s offline"
                f" (target >= {TARGET_VERIFY:,}/s)",
            )
        )
    return report_targets(results)


if __name__ == "__main__":
    sys.exit(main())
