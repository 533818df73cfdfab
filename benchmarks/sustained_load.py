"""Sustained signed HTTP load against a real node with anchoring on, rate by rate.

For each rate of `--rates` (records per second; `max` is the node's own maximum, measured
first, and `1.5max` a multiple of it, i.e. an oversubscribed node), a fresh node folder
(`evanchor init`: embedded chain, the default seal policy of 1,000 records or 60 s, the
default back-pressure bounds) is started with `evanchor node start`, and pre-signed
submissions are posted in batch requests of `--batch`, request i at i * batch / rate seconds
from the start (requests overlap when the node lags, up to `--in-flight`), for `--duration`
seconds (default 600). A 429 is counted and not retried: the offered load is shed.

Measured per minute of the load: records accepted per second, 429 answers, ack latency
(request sent -> receipts received) p50/p99, anchor delay p50/p99 of the records accepted in
that minute (acceptance -> the end of the anchoring block's second, as `node status` counts
it; read from the log once the node has stopped), the anchoring backlog (sealed checkpoints
not yet anchored, from /v1/status every 5 s: its max) and the node's RSS (the daemon and its
checking workers, max). After the load the run waits until every sealed checkpoint is
anchored; records still unsealed then (at most one partial checkpoint, sealed later by the
60 s rule) are not in the delays, and are counted.

References measured in the same run, so that figures can be compared across machines:
bare `signing.recover_signer` calls per second on one core, before the first rate and after
the last (the node checks each record with one recovery, on every core). Ratios: accepted/s
over that rate.

`--load-core` starts a process that keeps one core busy (a Python busy loop) for the whole
run, as a noisy neighbour does. Submissions are signed before each rate (not timed) on
every core, with the agency's key: each one a distinct record (benchmarks/ingest.py's
sample records, each given its own case or lot number).

    python benchmarks/sustained_load.py                      # 5 rates x 600 s: ~60 min
    python benchmarks/sustained_load.py --load-core --rates 2000
    python benchmarks/sustained_load.py --duration 60 --rates 1000,2000   # a short check

Targets (issue 12), printed PASS/FAIL: at 2,000 records/s (when among the rates) every
offered record accepted, anchor delay p99 below 10 s in every minute and not growing (the
last minute's p99 within 1.5x + 2 s of the second minute's); at an oversubscribed rate
(more than `max`) the node sheds load (429) and the anchor delay stays bounded (p99 below
60 s in every minute).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from hashlib import sha256
from pathlib import Path
from typing import Any

import aiohttp
import requests
import rfc8785
from signed_ingest import (
    Agency,
    cpu_seconds,
    init_node,
    new_agency,
    run,
    running,
)

from evanchor.anchor.log.store import LogStore
from evanchor.anchor.protocol.commitment import COMMITMENT_TAG
from evanchor.anchor.protocol.signing import recover_signer, sign_commitment

from benchkit import machine_facts, print_table, report_targets
from ingest import agencies, templates, vary

TARGET_RATE = 2_000
TARGET_P99_SECONDS = 10.0
BOUNDED_P99_SECONDS = 60.0
SAMPLE_SECONDS = 5.0
BASES = 2_000
"""Distinct sample records; record n is base n % BASES with case number n // 23."""
MAX_PROBE_SECONDS = 30.0
PROBE_RECORDS_PER_SECOND = 6_000
ANCHOR_WAIT_SECONDS = 600.0


# -- signed bodies -------------------------------------------------------------------------


@dataclass(frozen=True)
class Base:
    """A record's canonical bytes split around its case (or lot) number: a record with
    number k is `prefix + f"{k:09d}" + suffix`, still canonical (digits need no escaping)."""

    prefix: bytes
    suffix: bytes


MARK = "777777777"


def bases(code: str, seed: int) -> list[Base]:
    rng = random.Random(seed)
    pool = templates()
    out = []
    for i in range(BASES):
        record = vary(pool[i % len(pool)], i, rng, [code])
        key = "case_id" if record["kind"] == "collection_checkpoint" else "lot_id"
        record[key] = f"{'C' if key == 'case_id' else 'LOT'}-2026-{MARK}"
        canonical = rfc8785.dumps(record)
        marked = f'-2026-{MARK}"'.encode()
        assert canonical.count(marked) == 1, canonical
        before, after = canonical.split(marked)
        out.append(Base(before + b"-2026-", b'"' + after))
    return out


_bases: list[Base] = []
_key = b""
_separator = b""


def _init_signer(given: list[Base], key: bytes, separator: bytes) -> None:
    global _bases, _key, _separator
    _bases, _key, _separator = given, key, separator


def _submission(n: int) -> bytes:
    base = _bases[n % len(_bases)]
    canonical = base.prefix + f"{n // 23:09d}".encode() + base.suffix
    salt = sha256(b"sustained-load salt" + n.to_bytes(8, "big")).digest()
    commitment = sha256(COMMITMENT_TAG + salt + canonical).digest()
    signature = sign_commitment(_key, _separator, commitment)
    return (
        b'{"record":'
        + canonical
        + b',"salt":"'
        + salt.hex().encode()
        + b'","signature":"'
        + signature.hex().encode()
        + b'"}'
    )


def _bodies(first: int, count: int, batch: int) -> bytes:
    """Request bodies for records first .. first + count, `batch` per body, one a line."""
    lines = []
    for start in range(first, first + count, batch):
        items = b",".join(_submission(n) for n in range(start, min(first + count, start + batch)))
        lines.append(b'{"submissions":[' + items + b"]}\n")
    return b"".join(lines)


def sign_bodies(
    path: Path, first: int, count: int, batch: int, signer: tuple[list[Base], bytes, bytes]
) -> None:
    """Write `count` signed submissions (records first, first + 1, ...) to `path` as
    request bodies, on every core."""
    chunk = 200 * batch
    starts = list(range(first, first + count, chunk))
    with (
        ProcessPoolExecutor(os.cpu_count(), initializer=_init_signer, initargs=signer) as pool,
        path.open("wb") as out,
    ):
        for data in pool.map(
            _bodies,
            starts,
            [min(chunk, first + count - s) for s in starts],
            [batch] * len(starts),
        ):
            out.write(data)


def recover_rate(signer: tuple[list[Base], bytes, bytes], seconds: float = 3.0) -> float:
    """Bare `recover_signer` calls per second in this process (one core)."""
    _init_signer(*signer)
    cases = []
    for n in range(500):
        body = json.loads(_submission(10**9 + n))
        canonical = rfc8785.dumps(body["record"])
        salt = bytes.fromhex(body["salt"])
        cases.append((sha256(COMMITMENT_TAG + salt + canonical).digest(), body["signature"]))
    signatures = [(c, bytes.fromhex(s)) for c, s in cases]
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for commitment, signature in signatures:
            recover_signer(_separator, commitment, signature)
        done += len(signatures)
    return done / (time.perf_counter() - start)


# -- the load ------------------------------------------------------------------------------


@dataclass
class Answer:
    due: float
    sent: float
    latency: float
    status: int
    records: int


@dataclass
class Sample:
    at: float
    backlog: int | None
    unsealed: int | None
    rss: int


@dataclass
class LoadRun:
    rate: float
    label: str
    start: float = 0.0
    seconds: float = 0.0
    answers: list[Answer] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    lag: float = 0.0
    """How far the sender fell behind its schedule at worst (in-flight cap reached)."""
    node_cpu: float = 0.0
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    unanchored: int = 0
    delays: list[tuple[float, float]] = field(default_factory=list)
    """(seconds since the start when accepted, anchor delay) per anchored record."""


def tree(pid: int) -> list[int]:
    """`pid` and its descendants (Linux /proc): the daemon and its checking workers."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(child) for child in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return found


def tree_rss(pid: int) -> int:
    """Resident bytes of `pid` and its descendants."""
    total = 0
    for member in tree(pid):
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except (OSError, ValueError):
            continue
    return total


def tree_cpu(pid: int) -> float:
    """CPU seconds of `pid` and its living descendants so far."""
    total = 0.0
    for member in tree(pid):
        try:
            total += cpu_seconds(member)
        except (OSError, ValueError):
            continue
    return total


def read_bodies(path: Path) -> Iterator[tuple[bytes, int]]:
    with path.open("rb") as source:
        for line in source:
            body = line.rstrip(b"\n")
            yield body, body.count(b'"signature":')


async def _load(
    url: str,
    path: Path,
    *,
    per_second: float,
    duration: float,
    run_: LoadRun,
    in_flight: int,
    pid: int,
) -> None:
    headers = {"Content-Type": "application/json"}
    gate = asyncio.Semaphore(in_flight)
    timeout = aiohttp.ClientTimeout(total=600)
    connector = aiohttp.TCPConnector(limit=in_flight)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def post(body: bytes, count: int, due: float) -> None:
            try:
                sent = time.perf_counter()
                async with session.post(f"{url}/v1/records", data=body, headers=headers) as a:
                    payload = await a.read()
                    latency = time.perf_counter() - sent
                    if a.status == 201:
                        receipts = json.loads(payload)["receipts"]
                        if len(receipts) != count or any(r["duplicate"] for r in receipts):
                            raise SystemExit(f"expected {count} new receipts, got {receipts[:2]}")
                    elif a.status != 429:
                        raise SystemExit(f"the node answered {a.status}: {payload[:300]!r}")
                    run_.answers.append(Answer(due, sent, latency, a.status, count))
            finally:
                gate.release()

        async def sample() -> None:
            while True:
                backlog = unsealed = None
                try:
                    async with session.get(f"{url}/v1/status") as answer:
                        status = await answer.json()
                        backlog = status["anchoring"]["pending_count"]
                        unsealed = status["log"]["unsealed"]
                except (TimeoutError, aiohttp.ClientError, KeyError):
                    pass
                run_.samples.append(
                    Sample(time.perf_counter() - run_.start, backlog, unsealed, tree_rss(pid))
                )
                await asyncio.sleep(SAMPLE_SECONDS)

        tasks: set[asyncio.Task[None]] = set()
        run_.start = time.perf_counter()
        sampler = asyncio.create_task(sample())
        for i, (body, count) in enumerate(read_bodies(path)):
            due = run_.start + i / per_second
            if due - run_.start >= duration:
                break
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            await gate.acquire()
            run_.lag = max(run_.lag, time.perf_counter() - due)
            task = asyncio.create_task(post(body, count, due - run_.start))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks)
        run_.seconds = time.perf_counter() - run_.start
        sampler.cancel()


def wait_anchored(url: str) -> dict[str, Any]:
    """Poll /v1/status until no sealed checkpoint waits for anchoring."""
    deadline = time.monotonic() + ANCHOR_WAIT_SECONDS
    while True:
        status: dict[str, Any] = requests.get(f"{url}/v1/status", timeout=60).json()
        if status["anchoring"]["pending_count"] == 0:
            return status
        if time.monotonic() > deadline:
            raise SystemExit(f"not anchored after {ANCHOR_WAIT_SECONDS:.0f} s: {status}")
        time.sleep(1.0)


def read_delays(home: Path, run_: LoadRun, wall_start: float) -> None:
    """Each anchored record's (seconds since the load started, anchor delay), from the
    log of the stopped node; counts the records left unsealed or unanchored."""
    with LogStore(home / "log") as store:
        previous = 0
        for checkpoint in store.checkpoints():
            state = store.anchor_state(checkpoint.seq)
            if state is None or state.get("status") != "confirmed":
                run_.unanchored += checkpoint.size - previous - 1
                previous = checkpoint.size
                continue
            anchored = float(state["block_timestamp"]) + 1.0
            for index in range(previous, checkpoint.size - 1):  # the last leaf is the seal's
                stamp = store.accepted_at(index)
                accepted = datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
                run_.delays.append((accepted - wall_start, anchored - accepted))
            previous = checkpoint.size
        run_.unanchored += store.size - previous


def one_rate(
    folder: Path,
    agency: Agency,
    signer: tuple[list[Base], bytes, bytes],
    *,
    first: int,
    rate: float,
    label: str,
    args: argparse.Namespace,
) -> LoadRun:
    """A fresh node, `rate` records/s for `args.duration` s, its figures."""
    tag = f"{rate:.0f}"
    node = init_node(folder / f"node-{tag}")
    run(node.home, "agency", "grant", agency.address, "--code", agency.code)
    count = int(rate * args.duration) // args.batch * args.batch + args.batch
    bodies = folder / f"bodies-{tag}.jsonl"
    print(f"[{label}] signing {count:,} submissions...", flush=True)
    sign_bodies(bodies, first, count, args.batch, (*signer[:2], node.domain.separator))
    run_ = LoadRun(rate, label)
    with running(node, folder / f"node-{tag}.log") as process:
        print(
            f"[{label}] node started; {rate:,.0f} records/s for {args.duration:.0f} s", flush=True
        )
        run_.load_before = os.getloadavg()
        cpu_before = tree_cpu(process.pid)
        wall_start = time.time()
        asyncio.run(
            _load(
                node.api_url,
                bodies,
                per_second=rate / args.batch,
                duration=args.duration,
                run_=run_,
                in_flight=args.in_flight,
                pid=process.pid,
            )
        )
        run_.node_cpu = tree_cpu(process.pid) - cpu_before
        run_.load_after = os.getloadavg()
        print(f"[{label}] load done; waiting for anchoring...", flush=True)
        wait_anchored(node.api_url)
    read_delays(node.home, run_, wall_start)
    bodies.unlink()
    return run_


def probe_max(
    folder: Path, agency: Agency, signer: tuple[list[Base], bytes, bytes], args: argparse.Namespace
) -> float:
    """The node's maximum: records/s accepted over MAX_PROBE_SECONDS with requests sent
    as fast as `--in-flight` allows (no pacing)."""
    node = init_node(folder / "node-probe")
    run(node.home, "agency", "grant", agency.address, "--code", agency.code)
    bodies = folder / "bodies-probe.jsonl"
    # Enough for 6,000/s over the probe; a node that takes them faster ends the probe
    # early, and its rate is still accepted records over the seconds it took.
    count = PROBE_RECORDS_PER_SECOND * int(MAX_PROBE_SECONDS) // args.batch * args.batch
    print(f"[max] signing {count:,} submissions for the unpaced probe...", flush=True)
    sign_bodies(bodies, 5 * 10**8, count, args.batch, (*signer[:2], node.domain.separator))
    run_ = LoadRun(0, "probe")
    with running(node, folder / "node-probe.log") as process:
        asyncio.run(
            _load(
                node.api_url,
                bodies,
                per_second=1e9,
                duration=MAX_PROBE_SECONDS,
                run_=run_,
                in_flight=args.in_flight,
                pid=process.pid,
            )
        )
    bodies.unlink()
    accepted = sum(a.records for a in run_.answers if a.status == 201)
    print(f"[max] {accepted / run_.seconds:,.0f} records/s accepted unpaced", flush=True)
    return accepted / run_.seconds


# -- the report ----------------------------------------------------------------------------


def quantile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


@dataclass(frozen=True)
class Minute:
    minute: int
    accepted_per_second: float
    refused: int
    ack_p50: float | None
    ack_p99: float | None
    delay_p50: float | None
    delay_p99: float | None
    backlog: int | None
    rss: int


def minutes(run_: LoadRun) -> list[Minute]:
    out = []
    count = max(1, int((run_.seconds + 59) // 60))
    for m in range(count):
        low, high = 60.0 * m, 60.0 * (m + 1)
        answers = [a for a in run_.answers if low <= a.sent - run_.start < high]
        accepted = sum(a.records for a in answers if a.status == 201)
        latencies = [a.latency for a in answers if a.status == 201]
        delays = [d for at, d in run_.delays if low <= at < high]
        samples = [s for s in run_.samples if low <= s.at < high]
        backlogs = [s.backlog for s in samples if s.backlog is not None]
        span = min(high, run_.seconds) - low
        out.append(
            Minute(
                m + 1,
                accepted / span if span > 0 else 0.0,
                sum(a.records for a in answers if a.status == 429),
                quantile(latencies, 0.5) if latencies else None,
                quantile(latencies, 0.99) if latencies else None,
                quantile(delays, 0.5) if delays else None,
                quantile(delays, 0.99) if delays else None,
                max(backlogs) if backlogs else None,
                max((s.rss for s in samples), default=0),
            )
        )
    return out


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def report(runs: list[LoadRun], references: tuple[float, float], max_rate: float | None) -> bool:
    recover = min(references)
    print()
    print(
        f"reference: bare signature recovery {references[0]:,.0f}/s before,"
        f" {references[1]:,.0f}/s after (one core)"
    )
    if max_rate is not None:
        print(f"the node's maximum (unpaced, {MAX_PROBE_SECONDS:.0f} s): {max_rate:,.0f} records/s")
    summary = []
    for r in runs:
        accepted = sum(a.records for a in r.answers if a.status == 201)
        refused = sum(a.records for a in r.answers if a.status == 429)
        latencies = [a.latency for a in r.answers if a.status == 201]
        delays = [d for _, d in r.delays]
        rate = accepted / r.seconds
        backlogs = [s.backlog for s in r.samples if s.backlog is not None]
        summary.append(
            [
                r.label,
                f"{r.rate:,.0f}",
                f"{rate:,.0f}",
                f"{rate / recover:.2f}",
                f"{refused:,}",
                seconds(quantile(latencies, 0.5) if latencies else None),
                seconds(quantile(latencies, 0.99) if latencies else None),
                seconds(quantile(delays, 0.5) if delays else None),
                seconds(quantile(delays, 0.99) if delays else None),
                str(max(backlogs, default=0)),
                f"{max((s.rss for s in r.samples), default=0) / 2**20:,.0f}",
                f"{r.node_cpu / r.seconds:.2f}",
                f"{r.load_before[0]:.1f}/{r.load_after[0]:.1f}",
            ]
        )
    print()
    print_table(
        [
            "rate",
            "offered/s",
            "accepted/s",
            "x recovery",
            "429 records",
            "ack p50 s",
            "ack p99 s",
            "delay p50 s",
            "delay p99 s",
            "backlog max",
            "RSS MiB",
            "node cores",
            "load 1m",
        ],
        summary,
    )
    for r in runs:
        print()
        print(
            f"{r.label}: per minute (sender lag at worst {r.lag:.2f} s;"
            f" {r.unanchored} records unsealed at the end, not in the delays)"
        )
        print_table(
            [
                "minute",
                "accepted/s",
                "429",
                "ack p50",
                "ack p99",
                "delay p50",
                "delay p99",
                "backlog",
                "RSS MiB",
            ],
            [
                [
                    str(m.minute),
                    f"{m.accepted_per_second:,.0f}",
                    f"{m.refused:,}",
                    seconds(m.ack_p50),
                    seconds(m.ack_p99),
                    seconds(m.delay_p50),
                    seconds(m.delay_p99),
                    "-" if m.backlog is None else str(m.backlog),
                    f"{m.rss / 2**20:,.0f}",
                ]
                for m in minutes(r)
            ],
        )
    print()
    return report_targets(targets(runs, max_rate))


def targets(runs: list[LoadRun], max_rate: float | None) -> list[tuple[bool, str]]:
    results = []
    for r in runs:
        per_minute = [m for m in minutes(r) if m.delay_p99 is not None]
        p99s = [m.delay_p99 for m in per_minute if m.delay_p99 is not None]
        if r.rate == TARGET_RATE and p99s:
            offered = sum(a.records for a in r.answers)
            accepted = sum(a.records for a in r.answers if a.status == 201)
            reference = p99s[1] if len(p99s) > 1 else p99s[0]
            results.append(
                (
                    accepted == offered,
                    f"{r.label}: every offered record accepted ({accepted:,} of {offered:,})",
                )
            )
            results.append(
                (
                    max(p99s) < TARGET_P99_SECONDS,
                    f"{r.label}: anchor delay p99 below {TARGET_P99_SECONDS:.0f} s in every"
                    f" minute (worst {max(p99s):.2f} s)",
                )
            )
            results.append(
                (
                    p99s[-1] <= 1.5 * reference + 2.0,
                    f"{r.label}: anchor delay not growing (last minute p99 {p99s[-1]:.2f} s,"
                    f" second {reference:.2f} s)",
                )
            )
        if max_rate is not None and r.rate > max_rate and p99s:
            refused = sum(a.records for a in r.answers if a.status == 429)
            results.append((refused > 0, f"{r.label}: oversubscribed, the node sheds load (429)"))
            results.append(
                (
                    max(p99s) < BOUNDED_P99_SECONDS,
                    f"{r.label}: oversubscribed, anchor delay p99 bounded below"
                    f" {BOUNDED_P99_SECONDS:.0f} s in every minute (worst {max(p99s):.2f} s)",
                )
            )
    return results


# -- main ----------------------------------------------------------------------------------


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def parse_rates(text: str) -> list[tuple[float | None, float]]:
    """'500,2000,max,1.5max' -> [(500, 1), (2000, 1), (None, 1), (None, 1.5)]: a fixed rate,
    or a multiple of the measured maximum."""
    out: list[tuple[float | None, float]] = []
    for given in text.split(","):
        item = given.strip()
        if item.endswith("max"):
            out.append((None, float(item[:-3] or 1)))
        else:
            out.append((float(item), 1.0))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rates", default="500,1000,2000,max,1.5max")
    parser.add_argument("--duration", type=float, default=600.0, help="seconds per rate")
    parser.add_argument("--batch", type=int, default=100, help="submissions per request")
    parser.add_argument(
        "--in-flight",
        type=int,
        default=512,
        help="most requests at once (many agencies: above the node's own bounds, so that an"
        " oversubscribed node is seen shedding load rather than the sender waiting)",
    )
    parser.add_argument("--load-core", action="store_true", help="keep one core busy")
    parser.add_argument("--seed", type=int, default=1212)
    args = parser.parse_args()
    rates = parse_rates(args.rates)

    print(
        f"Sustained load: rates {args.rates} records/s, {args.duration:.0f} s each, batches of"
        f" {args.batch}, at most {args.in_flight} requests in flight"
        + (", one core loaded by another process" if args.load_core else "")
    )
    for fact in machine_facts():
        print(fact)
    print("uptime:", uptime())
    busy = None
    if args.load_core:
        busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        with tempfile.TemporaryDirectory(prefix="bench-sustained-") as name:
            folder = Path(name)
            code = agencies(random.Random(args.seed), 1)[0]
            setup = init_node(folder / "keys")
            agency = new_agency(setup, folder, code)
            # the signing domain is each node's own (chain id, contract): signed per node
            signer = (bases(code, args.seed), agency.key(), setup.domain.separator)
            before = recover_rate(signer)
            max_rate = None
            if any(rate is None for rate, _ in rates):
                max_rate = probe_max(folder, agency, signer, args)
            runs = []
            for i, (fixed, multiple) in enumerate(rates):
                rate = fixed if fixed is not None else round(multiple * (max_rate or 0.0))
                label = f"{rate:,.0f}/s" if fixed is not None else f"{multiple:g}x max"
                runs.append(
                    one_rate(
                        folder, agency, signer, first=i * 10**8, rate=rate, label=label, args=args
                    )
                )
            after = recover_rate(signer)
    finally:
        if busy is not None:
            busy.kill()
            busy.wait()
    print("uptime:", uptime())
    return 0 if report(runs, (before, after), max_rate) else 1


if __name__ == "__main__":
    raise SystemExit(main())
