"""What the commands say when something is wrong: one line that names what was found.

Each case is a rough edge a clerk or an operator met (issue 10): a file that is not a bundle,
a bare record that is also invalid, a revoked agency, a wrong keystore password, the output
of `agency new`. Through the real commands (CliRunner) on a real anchored node folder
(tests/audit/audit_helpers.py), whose embedded chain each command starts itself.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from evanchor.cli.main import cli

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "audit"))
from audit_helpers import COLLECTOR_CODE, ENV, EXAMPLES, Built, anchored_copy, ok, run

COLLECTION = EXAMPLES / "collection_case.jsonl"


@pytest.fixture
def built(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Built:
    return anchored_copy(tmp_path_factory, tmp_path)


def _records(count: int, tag: str) -> list[dict[str, object]]:
    lines = COLLECTION.read_text(encoding="utf-8").splitlines()[:count]
    return [{**json.loads(line), "notes": f"messages {tag} {n}"} for n, line in enumerate(lines)]


def _jsonl(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return path


def test_a_json_file_without_a_format_is_said_to_be_no_bundle(tmp_path: Path) -> None:
    receipt = tmp_path / "receipt.json"
    receipt.write_text(json.dumps({"record_id": "ab" * 32, "index": 3}))
    result = CliRunner().invoke(cli, ["verify", str(receipt)])
    assert result.exit_code == 1
    step = result.output.splitlines()[1]
    assert step == (
        "  [FAIL] format: not a proof bundle: no 'format' member (a proof bundle has format"
        " 'evanchor/proof-bundle'); members found: 'index', 'record_id'"
    )
    assert "None" not in result.output


def test_a_json_file_of_another_format_names_the_format_found(tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"format": "evanchor/receipt"}))
    result = CliRunner().invoke(cli, ["verify", str(other)])
    assert result.exit_code == 1
    assert (
        "not a proof bundle: its format is 'evanchor/receipt', expected 'evanchor/proof-bundle'"
        in result.output
    )


def test_agency_new_prints_the_address_and_then_the_next_command(tmp_path: Path) -> None:
    password = tmp_path / "pw"
    password.write_text("agency password\n")
    result = CliRunner(env=ENV).invoke(
        cli, ["agency", "new", "-o", str(tmp_path / "k.json"), "--password-file", str(password)]
    )
    assert result.exit_code == 0, result.output
    address = result.stdout.strip()
    assert address.startswith("0x")
    assert len(address) == 42
    assert result.stderr.splitlines() == [
        f"agency key written to {tmp_path / 'k.json'} (encrypted keystore)",
        f"next, on the node: evanchor agency grant {address} --code <the agency's 18-character"
        " credit code>",
    ]


def test_an_invalid_bare_record_is_refused_for_its_fault_not_only_as_unsigned(
    built: Built, tmp_path: Path
) -> None:
    bad, good = _records(2, "unsigned")
    bad["event"] = "nonsense"
    result = run(built.home, "submit", str(_jsonl(tmp_path / "two.jsonl", [bad, good])))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("error: two.jsonl: line 1: event: expected one of 'case_opened'")
    assert lines[0].endswith("got a string ('nonsense'); the record is also unsigned (--key signs)")
    assert lines[1] == (
        "error: two.jsonl: line 2: signature: unsigned record: give --key to sign, or submit"
        " signed envelopes"
    )


def test_a_single_rejection_is_one_line(built: Built, tmp_path: Path) -> None:
    (bad,) = _records(1, "single")
    bad["event"] = "nonsense"
    result = run(
        built.home,
        "submit",
        str(_jsonl(tmp_path / "one.jsonl", [bad])),
        "--key",
        str(built.collector.keystore),
        "--key-password-file",
        str(built.password),
    )
    assert result.exit_code == 1
    (line,) = result.output.splitlines()
    assert line.startswith("Error: one.jsonl: line 1: event: expected one of")
    assert line.endswith(
        "got a string ('nonsense'); nothing was written (use --skip-invalid to append the valid"
        " ones)"
    )


def test_a_wrong_agency_keystore_password_is_said_as_such(built: Built, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong"
    wrong.write_text("not the agency password\n")
    file = _jsonl(tmp_path / "one.jsonl", _records(1, "wrong password"))
    result = run(
        built.home,
        "submit",
        str(file),
        "--key",
        str(built.collector.keystore),
        "--key-password-file",
        str(wrong),
    )
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"Error: wrong password for keystore {built.collector.keystore} (password from"
        f" --key-password-file {wrong})"
    ]


def test_a_keystore_without_its_password_names_the_option(built: Built, tmp_path: Path) -> None:
    file = _jsonl(tmp_path / "one.jsonl", _records(1, "no password"))
    result = run(built.home, "submit", str(file), "--key", str(built.collector.keystore))
    assert result.exit_code == 2
    assert (
        f"Error: --key {built.collector.keystore} is a keystore: give its password with"
        " --key-password-file FILE"
    ) in result.output


def test_a_revoked_agency_is_told_it_was_revoked_and_in_which_block(
    built: Built, tmp_path: Path
) -> None:
    revoked = ok(built.home, "agency", "revoke", built.collector.address).output
    block = int(revoked.split(" in block ")[1].split()[0])
    file = _jsonl(tmp_path / "one.jsonl", _records(1, "revoked"))
    result = run(
        built.home,
        "submit",
        str(file),
        "--key",
        str(built.collector.keystore),
        "--key-password-file",
        str(built.password),
    )
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"Error: record 1: signature: signer {built.collector.address} was the key of agency"
        f" {COLLECTOR_CODE} until its registration was revoked in block {block}: it signs for"
        " no agency now"
    ]


def test_commands_that_only_read_the_chain_unlock_no_key(built: Built, tmp_path: Path) -> None:
    # keys/password no longer unlocks the node's keystores: a read of the agency registry
    # (agency list, a local submit) must not try to, and so must not fail on it.
    (built.home / "keys" / "password").write_text("not the node's password\n")
    listed = run(built.home, "agency", "list")
    assert listed.exit_code == 0, listed.output
    assert built.collector.address in listed.output
    file = _jsonl(tmp_path / "one.jsonl", _records(1, "read only"))
    submitted = run(
        built.home,
        "submit",
        str(file),
        "--key",
        str(built.collector.keystore),
        "--key-password-file",
        str(built.password),
    )
    assert submitted.exit_code == 0, submitted.output
    assert submitted.output.startswith("appended 1 record(s)")
    granted = run(built.home, "agency", "grant", built.collector.address, "--code", COLLECTOR_CODE)
    assert granted.exit_code == 1
    assert "wrong password for keystore" in granted.output
