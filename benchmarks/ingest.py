"""Durable ingest of a JSONL file: the path `evanchor submit FILE` takes, in records per second.

The input is a generated `.jsonl` file of K records (default 200,000), both kinds, every
event of the schema, made from the sample records in `tests/data/records/*.jsonl` with
varied case and lot ids, agencies (valid USCCs), times and offsets, amounts, references,
attachments and notes (some in Chinese). Every generated record is valid; the run checks it.

What is timed, in a fresh log in a temporary folder:

1. the full durable path, in process, as `evanchor submit` runs it, in its two phases:
   read (every line parsed, validated, canonicalized and committed: for a file of
   `PARALLEL_MIN_BYTES` or more by `--workers` processes, default one per core, through
   `parallel_ingest.prepare_jsonl`, pool start-up included; below that in one process),
   then append (`LogStore.append` in batches of `APPEND_BATCH`, each one LevelDB write
   batch with `sync=True`). Nothing can be appended before every line is read: submit is
   all or nothing. This is the target figure.
2. the same work in one process, reading the clock between the stages of each record, so
   that the per-record cost of each is visible: parse (read + strict I-JSON parse),
   validate (`check_record`), canonicalize (RFC 8785 `canonical_record_bytes`), commit
   (salt, commitment, record id), append (the synced batches, into a second fresh log).
   The stages replicate `prepare_record`; their sum is the one-process figure.
3. `evanchor submit FILE` through the real CLI in a subprocess, on a fresh log-only node
   folder (`evanchor init --log-only`, which takes unsigned records), for a second file of
   `--cli-k` records (default 200,000): everything a user waits for, interpreter start-up
   and the seal at the end included. `evanchor --version` is timed too, so that the fixed
   start-up cost can be told apart.

Reference, measured in the same run: a plain durable JSON log with no checks at all: for
each line `json.loads`, `json.dumps(sort_keys=True)`, write the line to a file, and
`flush` + `os.fsync` every `APPEND_BATCH` records. The ratio says what evanchor's validation,
canonical form, commitments, Merkle tree and indexes cost over merely keeping the data.

    python benchmarks/ingest.py            # K = 200,000, and 200,000 through the CLI
    python benchmarks/ingest.py --quick    # K = 5,000 and 2,000 (a few seconds)
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from evanchor.anchor.log.ingest import prepare_record
from evanchor.anchor.log.parallel_ingest import LineJob, default_workers, prepare_jsonl, start_pool
from evanchor.anchor.log.store import LogStore, PreparedRecord
from evanchor.anchor.protocol.commitment import (
    canonical_record_bytes,
    commitment,
    new_salt,
    record_id,
)
from evanchor.anchor.protocol.errors import InputError
from evanchor.anchor.protocol.jsonin import read_json_or_jsonl
from evanchor.anchor.protocol.records import check_record, record_agency, record_case_key
from evanchor.anchor.protocol.uscc import USCC_ALPHABET, uscc_check_char
from evanchor.cli.log_commands import APPEND_BATCH, PARALLEL_MIN_BYTES

from benchkit import machine_facts, print_table, report_targets, timed

TARGET_RECORDS_PER_SECOND = 20_000
"""Durable ingest from a JSONL file, records per second."""

SAMPLES = Path(__file__).resolve().parent.parent / "tests" / "data" / "records"

# Chinese notes use the fullwidth comma, as Chinese text does.
NOTES = [
    "Debtor promised a first instalment by the end of the month.",
    "Visit at registered address; nobody present. Notice left with property management.",
    "Debtor disputes the late fees; principal acknowledged.",
    "债务人表示本月底前归还首期欠款，已告知逾期后果。",  # noqa: RUF001
    "上门走访未见债务人，已向物业留下催收通知书。",  # noqa: RUF001
    "Balance received in the court's account.",
    "Closed after five minutes without a higher bid.",
    "买受人已缴清全部价款，法院出具成交确认书。",  # noqa: RUF001
]
MEDIA_TYPES = ["application/pdf", "audio/mpeg", "image/jpeg", "application/zip", "video/mp4"]
CITIES = ["沪0101", "京0105", "粤0304", "浙0106", "苏0102"]


# -- generating the input ----------------------------------------------------------------


def templates() -> list[dict[str, Any]]:
    """The sample records, one per line of the sample files."""
    out: list[dict[str, Any]] = []
    for name in ("sample_collection.jsonl", "sample_auction.jsonl"):
        for line in (SAMPLES / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(json.loads(line))
    return out


def agencies(rng: random.Random, count: int) -> list[str]:
    """Valid USCCs of companies (`91` + region + organisation code + check character)."""
    codes = []
    for _ in range(count):
        body = (
            "91"
            + f"{rng.randrange(110000, 660000)}"
            + "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
        )
        codes.append(body + uscc_check_char(body))
    return codes


def timestamp(rng: random.Random, moment: datetime) -> str:
    """RFC 3339 in the forms agencies send: +08:00 or Z, with or without milliseconds."""
    if rng.random() < 0.7:
        local = moment.astimezone(timezone(timedelta(hours=8)))
        suffix = "+08:00"
    else:
        local = moment.astimezone(UTC)
        suffix = "Z"
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    if rng.random() < 0.2:
        text += f".{local.microsecond // 1000:03d}"
    return text + suffix


def money(rng: random.Random) -> dict[str, Any]:
    return {"minor_units": rng.randrange(100, 50_000_000), "currency": "CNY"}


def attachments(rng: random.Random) -> list[dict[str, Any]]:
    return [
        {
            "sha256": rng.randbytes(32).hex(),
            "media_type": rng.choice(MEDIA_TYPES),
            "size": rng.randrange(1_000, 20_000_000),
        }
        for _ in range(rng.choice((1, 1, 1, 2, 3)))
    ]


def vary(template: dict[str, Any], i: int, rng: random.Random, codes: list[str]) -> dict[str, Any]:
    """Record i from a template: same kind and event, new ids, time, amounts, attachments."""
    record = copy.deepcopy(template)
    case = i // 23  # about one sample file's worth of events per case or lot
    moment = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(seconds=i * 37 + rng.randrange(30))
    record["occurred_at"] = timestamp(rng, moment)
    for field in ("amount", "reserve_price", "bid_amount", "hammer_price"):
        if field in record:
            record[field] = money(rng)
    if "attachments" in record or rng.random() < 0.3:
        record["attachments"] = attachments(rng)
    if "notes" in record or rng.random() < 0.2:
        record["notes"] = rng.choice(NOTES)
    if record["kind"] == "collection_checkpoint":
        record["case_id"] = f"C-2026-{case:06d}"
        record["agency"] = codes[case % len(codes)]
        record["debtor_ref"] = f"dbt:{rng.randbytes(5).hex()}"
        record["operator_id"] = f"op-{rng.randrange(10_000):04d}"
    else:
        record["lot_id"] = f"LOT-2026-{case:06d}"
        record["court_case_number"] = f"(2026){CITIES[case % len(CITIES)]}执恢{case}号"
        record["auction_house"] = codes[(case * 7) % len(codes)]
        if "bidder_ref" in record:
            record["bidder_ref"] = f"bidder:{rng.randbytes(3).hex()}"
        if "item" in record:
            record["item"]["description"] += f" Lot {case}."
    return record


def write_jsonl(path: Path, count: int, seed: int) -> int:
    """Write `count` varied valid records; return the file's size in bytes."""
    rng = random.Random(seed)
    pool = templates()
    codes = agencies(rng, 40)
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            record = vary(pool[i % len(pool)], i, rng, codes)
            out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
    return path.stat().st_size


# -- what is timed -------------------------------------------------------------------------


@dataclass(frozen=True)
class FullPath:
    appended: int
    read: float
    append: float
    readers: int

    @property
    def total(self) -> float:
        return self.read + self.append


def full_path(jsonl: Path, log: Path, workers: int) -> FullPath:
    """What `evanchor submit` does: read and prepare every record (on `workers` processes
    for a file of PARALLEL_MIN_BYTES or more, as the CLI does), then append in synced
    batches. The pool's start and stop are part of the read phase."""
    start = time.perf_counter()
    parallel = workers > 1 and jsonl.stat().st_size >= PARALLEL_MIN_BYTES
    if parallel:
        pool = start_pool(workers)
        try:
            good, bad = prepare_jsonl(jsonl, LineJob(), pool, workers=workers)
        finally:
            pool.shutdown()
        if bad:
            raise SystemExit(f"benchmark bug: generated records are invalid: {bad[0]}")
    else:
        good = []
        for position, item in read_json_or_jsonl(jsonl):
            if isinstance(item, InputError):
                raise SystemExit(f"benchmark bug: generated line {position} is invalid: {item}")
            good.append(prepare_record(item))
    read = time.perf_counter() - start
    appended = 0
    with LogStore(log, create=True) as store:
        for start_at in range(0, len(good), APPEND_BATCH):
            receipts = store.append(good[start_at : start_at + APPEND_BATCH])
            appended += sum(not receipt.duplicate for receipt in receipts)
    return FullPath(appended, read, time.perf_counter() - start - read, workers if parallel else 1)


@dataclass(frozen=True)
class Stages:
    parse: float
    validate: float
    canonicalize: float
    commit: float
    append: float

    @property
    def total(self) -> float:
        return self.parse + self.validate + self.canonicalize + self.commit + self.append


def stage_by_stage(jsonl: Path, log: Path) -> Stages:
    """The same work as `full_path`, reading the clock between the stages of each record.

    Records go through one at a time, as in `full_path`, so that memory and garbage
    collection behave as they do there; the clock reads cost well under a microsecond
    per record.
    """
    clock = time.perf_counter
    parse = validate = canonicalize = commit_ = 0.0
    prepared: list[PreparedRecord] = []
    lines = read_json_or_jsonl(jsonl)
    while True:
        t0 = clock()
        item = next(lines, None)
        t1 = clock()
        parse += t1 - t0
        if item is None:
            break
        position, obj = item
        if isinstance(obj, InputError):
            raise SystemExit(f"benchmark bug: generated line {position} is invalid: {obj}")
        record = check_record(obj)
        t2 = clock()
        validate += t2 - t1
        canonical = canonical_record_bytes(obj)
        t3 = clock()
        canonicalize += t3 - t2
        salt = new_salt()
        prepared.append(
            PreparedRecord(
                record_id=record_id(canonical),
                canonical=canonical,
                salt=salt,
                commitment=commitment(salt, canonical),
                kind=record.kind,
                agency=record_agency(record),
                case=record_case_key(record),
            )
        )
        commit_ += clock() - t3

    def append() -> None:
        with LogStore(log, create=True) as store:
            for start in range(0, len(prepared), APPEND_BATCH):
                store.append(prepared[start : start + APPEND_BATCH])

    append_seconds, _ = timed(append)
    return Stages(parse, validate, canonicalize, commit_, append_seconds)


def plain_json_log(jsonl: Path, out: Path) -> None:
    """Reference: keep the data durably with no checks, no commitments and no tree."""
    with jsonl.open("rb") as source, out.open("wb") as sink:
        for count, line in enumerate(source, start=1):
            obj = json.loads(line)
            sink.write(json.dumps(obj, sort_keys=True, separators=(",", ":")).encode() + b"\n")
            if count % APPEND_BATCH == 0:
                sink.flush()
                os.fsync(sink.fileno())
        sink.flush()
        os.fsync(sink.fileno())


def evanchor_command() -> list[str]:
    installed = Path(sys.executable).parent / "evanchor"
    if installed.exists():
        return [str(installed)]
    found = shutil.which("evanchor")
    if found is None:
        raise SystemExit("the `evanchor` command is not installed (pip install -e .)")
    return [found]


def through_cli(folder: Path, jsonl: Path, count: int) -> tuple[float, float]:
    """Seconds for `evanchor submit FILE` on a fresh node, and for `evanchor --version`."""
    command = evanchor_command()
    home = folder / "cli-home"
    subprocess.run(
        [*command, "--home", str(home), "init", "--log-only"], check=True, capture_output=True
    )
    version_seconds, _ = timed(
        lambda: subprocess.run([*command, "--version"], check=True, capture_output=True)
    )
    seconds, done = timed(
        lambda: subprocess.run(
            [*command, "--home", str(home), "submit", str(jsonl)],
            check=False,
            capture_output=True,
            text=True,
        )
    )
    if done.returncode != 0 or f"appended {count} record(s)" not in done.stdout:
        raise SystemExit(f"evanchor submit failed:\n{done.stdout}\n{done.stderr}")
    return seconds, version_seconds


# -- the report ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Timings:
    k: int
    cli_k: int
    workers: int
    reference: float
    full: FullPath
    stages: Stages
    cli: float
    startup: float


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--k", type=int, default=200_000, help="records (default 200,000)")
    parser.add_argument(
        "--cli-k", type=int, default=200_000, help="records through the CLI (default 200,000)"
    )
    parser.add_argument(
        "--workers", type=int, default=default_workers(), help="reader processes (default: cores)"
    )
    parser.add_argument("--seed", type=int, default=8785, help="random seed for the records")
    parser.add_argument("--quick", action="store_true", help="K = 5,000, 2,000 via the CLI")
    args = parser.parse_args()
    if args.quick:
        args.k, args.cli_k = 5_000, 2_000

    print(f"Durable ingest of K = {args.k:,} records from JSONL (APPEND_BATCH = {APPEND_BATCH:,})")
    for fact in machine_facts():
        print(fact)
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as name:
        folder = Path(name)
        jsonl = folder / "records.jsonl"
        cli_jsonl = folder / "cli-records.jsonl"
        size = write_jsonl(jsonl, args.k, args.seed)
        write_jsonl(cli_jsonl, args.cli_k, args.seed + 1)
        print(f"input: {size / 2**20:.1f} MiB, {size / args.k:.0f} bytes per record on average")
        print()

        # Warm-up: first calls into pydantic, regex caches, LevelDB and the disk.
        warm = folder / "warm-up.jsonl"
        write_jsonl(warm, 2_000, args.seed + 2)
        full_path(warm, folder / "log-warm-up", 1)
        plain_json_log(warm, folder / "plain-warm-up.jsonl")

        reference_seconds, _ = timed(lambda: plain_json_log(jsonl, folder / "plain.jsonl"))
        full = full_path(jsonl, folder / "log-full", args.workers)
        if full.appended != args.k:
            raise SystemExit(f"benchmark bug: appended {full.appended} of {args.k} records")
        stages = stage_by_stage(jsonl, folder / "log-stages")
        cli_seconds, startup_seconds = through_cli(folder, cli_jsonl, args.cli_k)

    timings = Timings(
        args.k,
        args.cli_k,
        args.workers,
        reference_seconds,
        full,
        stages,
        cli_seconds,
        startup_seconds,
    )
    return 0 if report(timings) else 1


def report(t: Timings) -> bool:
    """Print the table and one PASS/FAIL line per target; True if all pass."""
    reference_per_record = t.reference / t.k

    def row(name: str, seconds: float, count: int = t.k) -> list[str]:
        return [
            name,
            f"{seconds:.2f}",
            f"{count / seconds:,.0f}",
            f"{seconds / count * 1e6:.1f}",
            f"{seconds / count / reference_per_record:.1f}",
        ]

    stages = t.stages
    readers = f"{t.full.readers} worker processes" if t.full.readers > 1 else "in one process"
    rows = [
        row("reference: json.loads + dumps + write, fsync per batch", t.reference),
        row("evanchor full durable path (as submit runs it, in process)", t.full.total),
        row(f"  phase: read, validate, canonicalize, commit ({readers})", t.full.read),
        row("  phase: append (LogStore.append, synced batches)", t.full.append),
        row("evanchor in one process, stage by stage:", stages.total),
        row("  stage: parse (read + strict I-JSON)", stages.parse),
        row("  stage: validate (check_record)", stages.validate),
        row("  stage: canonicalize (RFC 8785)", stages.canonicalize),
        row("  stage: commit (salt, commitment, id)", stages.commit),
        row("  stage: append (LogStore.append, synced)", stages.append),
        row(f"evanchor submit via CLI, K = {t.cli_k:,}", t.cli, t.cli_k),
        row("  the same less start-up (evanchor --version)", t.cli - t.startup, t.cli_k),
    ]
    print_table(["", "seconds", "records/s", "us/record", "x reference"], rows)
    print(f"evanchor --version (interpreter and import start-up): {t.startup:.2f} s")
    named = {
        "parse": stages.parse,
        "validate": stages.validate,
        "canonicalize": stages.canonicalize,
        "commit": stages.commit,
        "append": stages.append,
    }
    slowest = max(named, key=named.__getitem__)
    print(f"slowest stage: {slowest} ({named[slowest] / stages.total:.0%} of the stages' time)")
    print()

    rate = t.k / t.full.total
    cli_rate = t.cli_k / t.cli
    results = [
        (
            rate >= TARGET_RECORDS_PER_SECOND,
            f"durable ingest {rate:,.0f} records/s in process"
            f" (target >= {TARGET_RECORDS_PER_SECOND:,}/s)",
        ),
        (
            cli_rate >= TARGET_RECORDS_PER_SECOND,
            f"durable ingest {cli_rate:,.0f} records/s through `evanchor submit`,"
            f" start-up included (target >= {TARGET_RECORDS_PER_SECOND:,}/s)",
        ),
    ]
    return report_targets(results)


if __name__ == "__main__":
    sys.exit(main())
