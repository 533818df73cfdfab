"""The parallel reader gives what reading the file in one process gives.

`parallel_ingest.prepare_jsonl` frames the file in the main process and prepares chunks of
lines in worker processes. Held here to the one-process road (`read_json_or_jsonl`, then
`prepare_line` on each object, errors located as `evanchor submit` locates them) on files
that mix every kind of line: valid records, signed envelopes, invalid records, malformed
JSON, bad UTF-8, blank lines, CRLF endings, oversize lines, duplicates; with chunks small
enough that every file spans many of them. Unsigned records get fresh salts on either road,
so they are compared on everything else, and their commitments checked against their salts.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from evanchor.anchor.log import parallel_ingest
from evanchor.anchor.log.parallel_ingest import (
    LineJob,
    SignedLine,
    prepare_jsonl,
    prepare_line,
    start_pool,
)
from evanchor.anchor.log.store import PreparedRecord
from evanchor.anchor.log.submission import sign_record
from evanchor.anchor.protocol.commitment import commitment
from evanchor.anchor.protocol.errors import InputError
from evanchor.anchor.protocol.jsonin import MAX_RECORD_BYTES, read_json_or_jsonl
from evanchor.anchor.protocol.signing import SigningDomain, address_of
from evanchor.cli import log_commands
from evanchor.cli.main import cli

from samples import numbered_record, sample_objects

SEPARATOR = SigningDomain(1337, "0x" + "42" * 20).separator
KEY = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
OTHER_KEY = bytes.fromhex("1" * 64)


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessPoolExecutor]:
    started = start_pool(2)
    yield started
    started.shutdown()


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel_ingest, "CHUNK_LINES", 7)


def bad_lines() -> list[bytes]:
    sample = sample_objects()[0]
    return [
        b"",
        b"   \t",
        b"{not json",
        b"[1, 2]",
        b'{"kind": "collection_checkpoint", "kind": "auction_record"}',
        b"\xff\xfe not utf-8",
        b'{"n": NaN}',
        b'{"n": 12345678901234567890}',
        json.dumps({**sample, "case_id": "a b"}).encode(),
        json.dumps({**sample, "agency": "91310115MA1K3TQ00X"}).encode(),
        json.dumps({**sample, "extra": 1}).encode(),
        b'{"a": "' + b"x" * MAX_RECORD_BYTES + b'"}',
        json.dumps(sample).encode() + b"\r",
    ]


def unsigned_file(path: Path, seed: int, count: int = 120) -> Path:
    rng = random.Random(seed)
    lines = [json.dumps(numbered_record(n, f"C-{n % 9}")).encode() for n in range(count)]
    lines += [json.dumps(o, ensure_ascii=False).encode() for o in sample_objects()]
    lines += [lines[3], lines[3]]  # duplicates
    lines += bad_lines()
    rng.shuffle(lines)
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def signed_file(path: Path, seed: int, count: int = 80) -> Path:
    rng = random.Random(seed)
    objects: list[Any] = []
    for n in range(count):
        record = numbered_record(n, f"C-{n % 5}")
        signed = sign_record(record, KEY if n % 4 else OTHER_KEY, SEPARATOR, bytes([n]) * 32)
        if n % 17 == 0:  # a signature over another record: recovers someone else
            signed["signature"] = sign_record(numbered_record(n + 1), KEY, SEPARATOR)["signature"]
        if n % 23 == 0:  # a signature that recovers no key at all
            signed["signature"] = "ff" * 32 + "01" * 32 + "1b"
        objects.append(signed)
    objects.append(numbered_record(999))  # bare record: refused without a key
    objects.append({"record": numbered_record(5), "salt": "00", "signature": "11"})
    objects.append({"record": {**numbered_record(6), "case_id": ""}, "salt": "00" * 32})
    lines = [json.dumps(o).encode() for o in objects] + bad_lines()
    rng.shuffle(lines)
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def one_process(path: Path, job: LineJob) -> tuple[list[Any], list[InputError]]:
    """The reference: what `evanchor submit` does with a small file."""
    good: list[Any] = []
    bad: list[InputError] = []
    for position, item in read_json_or_jsonl(path):
        if isinstance(item, InputError):
            bad.append(item)
            continue
        try:
            good.append(prepare_line(job, item))
        except InputError as error:
            bad.append(error.located(source=path.name, line=position))
    return good, bad


def facts(error: InputError) -> tuple[Any, ...]:
    return type(error), str(error), sorted(vars(error).items())


def unsalted(record: PreparedRecord) -> tuple[Any, ...]:
    assert record.commitment == commitment(record.salt, record.canonical)
    return (
        record.record_id,
        record.canonical,
        record.kind,
        record.agency,
        record.case,
        record.signature,
    )


@pytest.mark.parametrize("seed", range(4))
def test_unsigned_records(pool: ProcessPoolExecutor, tmp_path: Path, seed: int) -> None:
    path = unsigned_file(tmp_path / "records.jsonl", seed)
    good, bad = prepare_jsonl(path, LineJob(), pool, workers=2)
    expected_good, expected_bad = one_process(path, LineJob())
    assert [unsalted(r) for r in good] == [unsalted(r) for r in expected_good]
    assert [facts(e) for e in bad] == [facts(e) for e in expected_bad]
    assert len(expected_bad) == len(bad_lines()) - 3  # two blank lines, one CRLF line


@pytest.mark.parametrize("seed", range(4))
def test_signed_envelopes(pool: ProcessPoolExecutor, tmp_path: Path, seed: int) -> None:
    path = signed_file(tmp_path / "signed.jsonl", seed)
    job = LineJob(signed=True, domain_separator=SEPARATOR)
    good, bad = prepare_jsonl(path, job, pool, workers=2)
    expected_good, expected_bad = one_process(path, job)
    assert [facts(e) for e in bad] == [facts(e) for e in expected_bad]
    assert len(good) == len(expected_good)
    for found, expected in zip(good, expected_good, strict=True):
        assert isinstance(found, SignedLine)
        assert isinstance(expected, SignedLine)
        assert found.record == expected.record
        if isinstance(expected.signer, str):
            assert found.signer == expected.signer
        else:
            assert not isinstance(found.signer, str)
            assert facts(found.signer) == facts(expected.signer)
    signers = {line.signer for line in good if isinstance(line.signer, str)}
    assert {address_of(KEY), address_of(OTHER_KEY)} <= signers


def test_progress_counts_every_byte(pool: ProcessPoolExecutor, tmp_path: Path) -> None:
    path = unsigned_file(tmp_path / "records.jsonl", 9)
    seen: list[int] = []
    prepare_jsonl(path, LineJob(), pool, workers=2, progress=seen.append)
    assert sum(seen) == path.stat().st_size


def test_submit_reads_in_parallel_with_the_same_outcome(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`evanchor submit` on a log-only node, the file read in one process and in several."""
    path = unsigned_file(tmp_path / "records.jsonl", 5)

    def submit(name: str, *extra: str) -> tuple[int, str, str]:
        home = tmp_path / name
        runner = CliRunner()
        assert runner.invoke(cli, ["--home", str(home), "init", "--log-only"]).exit_code == 0
        result = runner.invoke(cli, ["--home", str(home), "submit", str(path), *extra])
        return result.exit_code, result.stdout, result.stderr

    monkeypatch.setattr(log_commands, "PARALLEL_MIN_BYTES", 10**12)
    sequential = submit("one"), submit("one-skip", "--skip-invalid", "--json")
    monkeypatch.setattr(log_commands, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(log_commands, "default_workers", lambda: 2)
    parallel = submit("two"), submit("two-skip", "--skip-invalid", "--json")

    # All or nothing: every bad line reported by number, nothing written.
    assert parallel[0] == sequential[0]
    assert parallel[0][0] == 1
    assert "nothing was written" in parallel[0][2]
    # --skip-invalid: the same records appended at the same indices, the same lines skipped.
    assert parallel[1][0] == sequential[1][0] == 0
    assert parallel[1][2] == sequential[1][2]
    found, expected = json.loads(parallel[1][1]), json.loads(sequential[1][1])
    assert found["skipped"] == expected["skipped"] == len(bad_lines()) - 3
    assert found["log_size"] == expected["log_size"]
    assert [(r["record_id"], r["index"], r["duplicate"]) for r in found["receipts"]] == [
        (r["record_id"], r["index"], r["duplicate"]) for r in expected["receipts"]
    ]


@pytest.mark.parametrize("value", ["0", "two", "-1", "\u00b2"])
def test_a_bad_worker_count_names_the_variable(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(parallel_ingest.WORKERS_VARIABLE, value)
    with pytest.raises(ValueError, match=f"^{parallel_ingest.WORKERS_VARIABLE}: expected a whole"):
        parallel_ingest.default_workers()
