"""The log commands through click's CliRunner, on a node folder in tmp_path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from evanchor.anchor.log.store import LogStore
from evanchor.cli.main import cli

from samples import SAMPLES, numbered_record


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "node"
    result = CliRunner().invoke(
        cli, ["--home", str(folder), "init", "--log-only", "--seal-every", "1000"]
    )
    assert result.exit_code == 0, result.output
    return folder


def run(home: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--home", str(home), *args])


def _jsonl(path: Path, objects: list[Any]) -> Path:
    path.write_text("".join(json.dumps(o) + "\n" for o in objects))
    return path


def _log_size(home: Path) -> int:
    with LogStore(home / "log") as store:
        return store.size


def test_init_refuses_an_existing_node(home: Path) -> None:
    result = run(home, "init")
    assert result.exit_code == 1
    assert "already an evanchor node folder" in result.output


def test_commands_without_a_node_folder_say_how_to_make_one(tmp_path: Path) -> None:
    result = run(tmp_path / "none", "log", "status")
    assert result.exit_code == 1
    assert "evanchor init" in result.output
    assert "Traceback" not in result.output


def test_submit_seal_prove_verify(home: Path, tmp_path: Path) -> None:
    result = run(home, "submit", str(SAMPLES / "sample_collection.jsonl"), "--json")
    assert result.exit_code == 0, result.output
    receipts = json.loads(result.output)["receipts"]
    assert [r["index"] for r in receipts] == list(range(len(receipts)))
    assert run(home, "seal").exit_code == 0

    bundle = tmp_path / "bundle.json"
    result = run(home, "prove", receipts[4]["record_id"][:10], "-o", str(bundle))
    assert result.exit_code == 0, result.output
    assert str(bundle) in result.output
    result = run(home, "verify", str(bundle))
    assert result.exit_code == 0, result.output
    # A log-only node's bundle is tied to no chain: the report says exactly that much (it
    # used to say the record "existed, unaltered", which nothing in the bundle proves).
    assert result.output.startswith("VERIFIED (assurance: log-only)\n")
    assert "existed, unaltered" not in result.output
    assert "anyone holding the record could build such a bundle" in result.output

    report = json.loads(run(home, "verify", str(bundle), "--json").output)
    assert (report["outcome"], report["assurance"], report["valid"]) == (
        "VERIFIED",
        "log-only",
        True,
    )
    assert [s["step"] for s in report["steps"]][:5] == [
        "format",
        "record",
        "commitment",
        "leaf",
        "inclusion",
    ]


def test_verify_names_the_failing_step_of_a_tampered_bundle(home: Path, tmp_path: Path) -> None:
    run(home, "submit", str(SAMPLES / "sample_auction.jsonl"))
    run(home, "seal")
    status = json.loads(run(home, "log", "status", "--json").output)
    assert status["size"] > 2
    with LogStore(home / "log") as store:
        record_id = store.record(1).record_id.hex()
    bundle = tmp_path / "b.json"
    run(home, "prove", record_id, "-o", str(bundle))
    data = json.loads(bundle.read_text())
    data["record"]["event"] = "unsold" if data["record"]["event"] != "unsold" else "closed"
    bundle.write_text(json.dumps(data))
    result = run(home, "verify", str(bundle))
    assert result.exit_code == 1
    assert "FAIL" in result.output
    assert "NOT VERIFIED" in result.output


def test_verify_rejects_a_malformed_file_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "evanchor/proof-bundle", "format": 1}')
    result = CliRunner().invoke(cli, ["verify", str(bad)])
    assert result.exit_code == 1
    assert "duplicate" in result.output.lower()
    assert len(result.output.strip().splitlines()) == 1


def test_all_or_nothing_reports_every_bad_line_and_writes_nothing(
    home: Path, tmp_path: Path
) -> None:
    lines = [
        json.dumps(numbered_record(1)),
        '{"kind": "collection_checkpoint", "case_id": ',  # truncated JSON
        json.dumps(numbered_record(2)),
        json.dumps({**numbered_record(3), "amount": {"minor_units": 1.5, "currency": "CNY"}}),
        '{"a": NaN}',
        json.dumps({**numbered_record(4), "agency": "91350100M000100Y44"}),  # bad check digit
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = run(home, "submit", str(path))
    assert result.exit_code == 1
    for line in (2, 4, 5, 6):
        assert f"line {line}" in result.output
    assert "line 1:" not in result.output
    assert "line 3:" not in result.output
    assert "nothing was written" in result.output
    assert _log_size(home) == 0

    result = run(home, "submit", str(path), "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "skipped 4 invalid" in result.output
    assert _log_size(home) == 2


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\xff\xfe{}\n", "UTF-8"),
        (b'{"kind": "collection_checkpoint", "kind": "auction_record"}\n', "duplicate"),
        (b'{"n": 123456789012345678901234567890}\n', "n"),
        (b"[1, 2]\n", "object"),
    ],
)
def test_bad_input_is_one_clear_line_per_record(
    home: Path, tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(content)
    result = run(home, "submit", str(path))
    assert result.exit_code == 1
    assert expected.lower() in result.output.lower()
    assert "Traceback" not in result.output
    assert _log_size(home) == 0


def test_oversize_record_is_refused(home: Path, tmp_path: Path) -> None:
    record = {**numbered_record(1), "notes": "x" * 70_000}
    path = _jsonl(tmp_path / "big.jsonl", [record])
    result = run(home, "submit", str(path))
    assert result.exit_code == 1
    assert "line 1" in result.output
    assert _log_size(home) == 0


def test_single_json_file_and_resubmission(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text(json.dumps(numbered_record(7)))
    first = json.loads(run(home, "submit", str(path), "--json").output)["receipts"][0]
    second = json.loads(run(home, "submit", str(path), "--json").output)["receipts"][0]
    assert second["duplicate"] is True
    assert second["index"] == first["index"]
    assert _log_size(home) == 1


def test_seal_policy_seals_after_enough_records(tmp_path: Path) -> None:
    folder = tmp_path / "node"
    CliRunner().invoke(cli, ["--home", str(folder), "init", "--log-only", "--seal-every", "3"])
    path = _jsonl(tmp_path / "r.jsonl", [numbered_record(i) for i in range(2)])
    assert json.loads(run(folder, "submit", str(path), "--json").output)["sealed"] is None
    path = _jsonl(tmp_path / "s.jsonl", [numbered_record(i) for i in range(2, 4)])
    sealed = json.loads(run(folder, "submit", str(path), "--json").output)["sealed"]
    assert sealed["size"] == 5  # four records and the seal leaf


def test_seal_with_nothing_new(home: Path) -> None:
    result = run(home, "seal")
    assert result.exit_code == 0
    assert "nothing to seal" in result.output


def test_case_prove_writes_a_verifiable_case_bundle(home: Path, tmp_path: Path) -> None:
    run(home, "submit", str(SAMPLES / "sample_collection.jsonl"))
    run(home, "seal")
    with LogStore(home / "log") as store:
        case = sorted(store.cases())[0]
    out = tmp_path / "case.json"
    result = run(home, "case", "prove", case, "-o", str(out))
    assert result.exit_code == 0, result.output
    result = run(home, "verify", str(out))
    assert result.exit_code == 0, result.output
    assert (
        "none of the records the node committed to for the case there is missing" in result.output
    )
    dropped = json.loads(out.read_text())
    dropped["records"].pop()
    out.write_text(json.dumps(dropped))
    result = run(home, "verify", str(out))
    assert result.exit_code == 1
    assert "completeness: 6 record(s) shown, the case index commits to 7" in result.output
    assert run(home, "case", "prove", "collection/none", "-o", str(out)).exit_code == 1


def test_prove_unknown_or_unsealed_record(home: Path, tmp_path: Path) -> None:
    result = run(home, "prove", "deadbeefdeadbeef", "-o", str(tmp_path / "x.json"))
    assert result.exit_code == 1
    assert "no record" in result.output
    path = _jsonl(tmp_path / "r.jsonl", [numbered_record(1)])
    record_id = json.loads(run(home, "submit", str(path), "--json").output)["receipts"][0][
        "record_id"
    ]
    result = run(home, "prove", record_id, "-o", str(tmp_path / "x.json"))
    assert result.exit_code == 1
    assert "not in a checkpoint yet" in result.output


@pytest.mark.parametrize(("kind", "title"), [("checkpoint", "case_id"), ("auction", "lot_id")])
def test_schema_export(kind: str, title: str) -> None:
    result = CliRunner().invoke(cli, ["schema", kind])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert title in schema["properties"]
    assert schema.get("additionalProperties") is False


def test_log_status_text_and_json(home: Path, tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "r.jsonl", [numbered_record(i) for i in range(3)])
    run(home, "submit", str(path))
    text = run(home, "log", "status").output
    assert "3 records" in text
    assert "unsealed records: 3" in text
    status = json.loads(run(home, "log", "status", "--json").output)
    assert status["unsealed"] == 3
    assert status["latest_checkpoint"] is None


def test_shred_erases_a_record_and_keeps_its_case_provable(home: Path, tmp_path: Path) -> None:
    receipts = json.loads(
        run(home, "submit", str(SAMPLES / "sample_collection.jsonl"), "--json").output
    )["receipts"]
    run(home, "seal")
    target = receipts[2]["record_id"]
    assert run(home, "shred", target[:12], "--yes").exit_code == 2  # --reason is required
    result = run(home, "shred", target[:12], "--reason", "deletion request DR-3", "--yes")
    assert result.exit_code == 0, result.output
    assert "shredded the record at leaf 2" in result.output
    assert "no record" in run(home, "prove", target, "-o", str(tmp_path / "x.json")).output
    again = run(home, "shred", receipts[3]["record_id"], "--reason", "DR-4")  # asks first
    assert again.exit_code == 1
    assert "Aborted" in again.output
    with LogStore(home / "log") as store:
        case = store.record(0).envelope["case"]
    out = tmp_path / "case.json"
    assert run(home, "case", "prove", case, "-o", str(out)).exit_code == 0
    result = run(home, "verify", str(out))
    assert result.exit_code == 0, result.output
    assert "appear as leaves only (the node says they were shredded)" in result.output
    audit = run(home, "audit")
    assert audit.exit_code == 0, audit.output
    assert "SHREDDED leaf 2 at " in audit.output
    assert audit.output.rstrip().endswith("audit passed: no discrepancy")
