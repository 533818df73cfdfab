"""The audit holds the node's receipts against its log: a receipt whose leaf is gone is named.

The case the receipts exist for: a log that lost its newest acknowledged records (a disk that
filled under an older node) and gave their indices to new records is consistent in itself,
so only the receipts the agencies kept can show it. `lost_and_reused` builds exactly that
log: the first records as acknowledged, then other records at the lost records' indices.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from evanchor.anchor.log.audit import ReceiptsFileInvalid, audit_log, read_receipts
from evanchor.anchor.log.store import LogStore, Receipt
from evanchor.cli.main import cli

from samples import SAMPLES, prepared

KEPT = 20
LOST = 10
AT = datetime(2026, 11, 29, 2, 15, tzinfo=UTC)
"""Acceptance time of every append: the same records get the same leaves in each log."""


def acknowledged(tmp_path: Path) -> list[Receipt]:
    """The receipts of KEPT + LOST records, as a node handed them out."""
    with LogStore(tmp_path / "original", create=True) as store:
        return store.append([prepared(i) for i in range(KEPT + LOST)], now=AT)


def lost_and_reused(tmp_path: Path) -> Path:
    """The first KEPT records, then LOST other records at the lost records' indices."""
    folder = tmp_path / "reused"
    with LogStore(folder, create=True) as store:
        store.append([prepared(i) for i in range(KEPT)], now=AT)
        store.append([prepared(1000 + i) for i in range(LOST)], now=AT)
    return folder


def test_receipts_whose_leaf_now_holds_another_record_are_named(tmp_path: Path) -> None:
    receipts = acknowledged(tmp_path)
    with LogStore(lost_and_reused(tmp_path)) as store:
        report = audit_log(store, receipts=receipts)
        assert report.counts["receipts checked"] == KEPT + LOST
        broken = [d for d in report.discrepancies if d.kind == "receipt broken"]
        assert [d.where for d in broken] == [
            f"receipt of record {r.record_id.hex()}" for r in receipts[KEPT:]
        ]
        assert len(report.discrepancies) == LOST  # the log itself is consistent
        first = receipts[KEPT]
        newcomer = store.record(KEPT).record_id.hex()
        assert broken[0].detail == (
            f"acknowledged at leaf {KEPT} with leaf hash {first.leaf_hash.hex()}, but leaf"
            f" {KEPT} hashes to {store.leaf_hash(KEPT).hex()} (record {newcomer});"
            " the record is not in the log"
        )


def test_receipts_beyond_a_shortened_log_are_named(tmp_path: Path) -> None:
    receipts = acknowledged(tmp_path)
    with LogStore(tmp_path / "short", create=True) as store:
        store.append([prepared(i) for i in range(KEPT)], now=AT)
        report = audit_log(store, receipts=receipts)
    details = [d.detail for d in report.discrepancies]
    assert len(details) == LOST
    assert all(f"but the log has {KEPT} leaves; the record is not in the log" in d for d in details)


def test_a_receipt_whose_record_moved_is_named(tmp_path: Path) -> None:
    with LogStore(tmp_path / "log", create=True) as store:
        receipts = store.append([prepared(i) for i in range(5)])
        forged = Receipt(receipts[1].record_id, 3, receipts[3].leaf_hash, "x", False)
        report = audit_log(store, receipts=[*receipts, forged])
    assert [str(d) for d in report.discrepancies] == [
        f"receipt of record {receipts[1].record_id.hex()}: receipt broken: acknowledged at leaf"
        f" 3 with leaf hash {receipts[3].leaf_hash.hex()}, but the record is at leaf 1"
    ]


def test_receipts_files_in_every_form_the_node_writes(tmp_path: Path) -> None:
    receipts = acknowledged(tmp_path)
    as_json = [r.as_json() for r in receipts]
    submit_output = tmp_path / "submit.json"
    submit_output.write_text(json.dumps({"receipts": as_json, "skipped": 0}))
    ledger = tmp_path / "ledger.jsonl"
    ledger.write_text(
        json.dumps({"receipts": as_json[:3]})
        + "\n\n"
        + "".join(json.dumps(r) + "\n" for r in as_json[3:])
    )
    array = tmp_path / "array.json"
    array.write_text(json.dumps(as_json))
    for path in (submit_output, ledger, array):
        assert read_receipts(path) == receipts


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('{"receipts": [{"record_id": "00"}]}', "bad.jsonl: item 1"),
        ('{"receipts": []}\n{not json\n', "bad.jsonl: line 2"),
        ('{"receipts": 3}\n{"receipts": []}\n', "bad.jsonl: line 1"),
    ],
)
def test_a_bad_receipts_file_names_the_line(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(text)
    with pytest.raises(ReceiptsFileInvalid) as caught:
        read_receipts(path)
    assert str(caught.value).startswith(where), str(caught.value)


def test_audit_command_checks_the_receipts_it_is_given(tmp_path: Path) -> None:
    home = tmp_path / "node"
    runner = CliRunner()
    assert runner.invoke(cli, ["--home", str(home), "init", "--log-only"]).exit_code == 0
    result = runner.invoke(
        cli, ["--home", str(home), "submit", str(SAMPLES / "sample_collection.jsonl"), "--json"]
    )
    assert result.exit_code == 0, result.output
    kept = tmp_path / "receipts.json"
    kept.write_text(result.output)
    result = runner.invoke(cli, ["--home", str(home), "audit", "--receipts", str(kept)])
    assert result.exit_code == 0, result.output
    count = len(json.loads(kept.read_text())["receipts"])
    assert f"receipts checked  {count}" in result.output

    stranger = prepared(7, case="C-other")
    forged = Receipt(stranger.record_id, 1, b"\x01" * 32, "2026-01-01T00:00:00Z", False)
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps(forged.as_json()) + "\n")
    result = runner.invoke(
        cli, ["--home", str(home), "audit", "--receipts", str(kept), "--receipts", str(other)]
    )
    assert result.exit_code == 1
    assert (
        f"DISCREPANCY receipt of record {stranger.record_id.hex()}: receipt broken:"
        in result.output
    )
    assert "audit FAILED: 1 discrepancies" in result.output
