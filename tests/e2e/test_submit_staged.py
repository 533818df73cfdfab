"""`evanchor submit` to a running node is all or nothing at any size (issue 10).

Real processes: the node daemon (`evanchor node start`, embedded chain) and the `submit`
command in subprocesses. The files are larger than one request may be: 2,000 records (more
than `MAX_RECORDS_PER_REQUEST`), and 1,400 records of Chinese notes written with `\\uXXXX`
escapes (34 MB on disk, 17 MB as UTF-8: more than the 16 MiB request limit either way).
One record the node refuses near the end (a signer that is no registered agency: only the
node can tell) must leave the log as it was, with one line naming that line and the field;
the same file without it is appended whole.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import Agency, Node, node_factory, register_agency_directly

from evanchor.anchor.log.submission import sign_record
from evanchor.node.chain.keys import generate_key

from samples import numbered_record

AGENCY = numbered_record(0)["agency"]
CHINESE_NOTES = ("债务人电话确认还款计划并同意分期" * 250)[:4000]
"""4,000 characters (the notes' maximum): 12 KB as UTF-8, 24 KB written as \\uXXXX escapes."""


@pytest.fixture(scope="module")
def node_and_agency(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Node, Agency]]:
    tmp_path = tmp_path_factory.mktemp("staged")
    with node_factory("embedded", tmp_path) as make:
        node = make("node")
        node.daemon.start()
        yield node, register_agency_directly(node, AGENCY)


def log_size(node: Node) -> int:
    size: int = node.daemon.get("/v1/status")["log"]["size"]
    return size


def write_signed(
    path: Path,
    node: Node,
    agency: Agency,
    records: list[dict[str, Any]],
    *,
    stranger_at: int | None = None,
    ascii_escapes: bool = False,
) -> Path:
    """The records as signed envelopes, one a line; the one at line `stranger_at` (1-based)
    signed by a key no agency registered."""
    separator = node.domain().separator
    stranger = generate_key().to_bytes()
    with path.open("w", encoding="utf-8") as out:
        for line, record in enumerate(records, start=1):
            key = stranger if line == stranger_at else agency.key
            envelope = sign_record(record, key, separator)
            out.write(json.dumps(envelope, ensure_ascii=ascii_escapes) + "\n")
    return path


def refused_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


def test_a_2000_record_file_is_all_or_nothing(
    node_and_agency: tuple[Node, Agency], tmp_path: Path
) -> None:
    node, agency = node_and_agency
    records = [numbered_record(n, case=f"S-{n % 7}") for n in range(2000)]
    before = log_size(node)

    bad = write_signed(tmp_path / "bad.jsonl", node, agency, records, stranger_at=1999)
    done = node.cli.run("submit", bad, ok=False)
    assert done.returncode != 0
    lines = refused_lines(done.stderr)
    naming = [line for line in lines if "line 1999" in line and "signature" in line]
    assert len(naming) == 1, done.stderr
    assert "not a registered agency" in naming[0]
    assert log_size(node) == before

    good = write_signed(tmp_path / "good.jsonl", node, agency, records)
    out = node.cli.json("submit", good, "--json")
    assert len(out["receipts"]) == 2000
    assert [r["duplicate"] for r in out["receipts"]] == [False] * 2000
    indices = [r["index"] for r in out["receipts"]]
    assert indices == sorted(indices)
    assert len(set(indices)) == 2000
    assert log_size(node) >= before + 2000


def test_a_file_past_16_mib_of_escaped_chinese_is_all_or_nothing(
    node_and_agency: tuple[Node, Agency], tmp_path: Path
) -> None:
    node, agency = node_and_agency
    records = [
        {**numbered_record(n, case=f"Z-{n % 5}"), "notes": CHINESE_NOTES} for n in range(1400)
    ]
    bad = write_signed(
        tmp_path / "bad.jsonl", node, agency, records, stranger_at=1399, ascii_escapes=True
    )
    assert bad.stat().st_size > 2 * 16 * 1024 * 1024
    before = log_size(node)
    done = node.cli.run("submit", bad, ok=False)
    assert done.returncode != 0
    naming = [line for line in refused_lines(done.stderr) if "line 1399" in line]
    assert len(naming) == 1, done.stderr
    assert "signature" in naming[0]
    assert log_size(node) == before

    good = write_signed(tmp_path / "good.jsonl", node, agency, records, ascii_escapes=True)
    out = node.cli.json("submit", good, "--json")
    assert len(out["receipts"]) == 1400
    assert not any(r["duplicate"] for r in out["receipts"])
    assert log_size(node) >= before + 1400
