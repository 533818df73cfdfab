"""`evanchor submit signed.jsonl` with no node running: the same outcome whether the file is
read in one process or by worker processes.

Through the real commands on an anchoring node folder (embedded chain): `init`, `agency new`,
`agency grant`; the folder is copied so that both readings start from the same log and
chain. Compared: every message (bad lines by number, the first refused signer), what is
written (nothing, or the same records at the same indices), and the exit status.
"""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from evanchor.anchor.log.store import LogStore
from evanchor.anchor.log.submission import sign_record
from evanchor.anchor.protocol.signing import SigningDomain
from evanchor.cli import log_commands
from evanchor.cli.main import cli
from evanchor.node.chain.keys import load_key
from evanchor.node.daemon.home import NodeHome

from samples import numbered_record

ENV = {"EVANCHOR_KEYSTORE_SCRYPT_N": "4096", "EVANCHOR_PASSWORD_FILE": "", "EVANCHOR_PASSWORD": ""}
CODE = "91350100M000100Y43"  # numbered_record's agency
STRANGER = bytes.fromhex("2" * 64)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def run(home: Path, *args: str) -> Result:
    return CliRunner(env=ENV).invoke(cli, ["--home", str(home), *args])


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    """A node folder with one agency key granted for CODE, and that key."""
    folder = tmp_path_factory.mktemp("signed-submit")
    home = folder / "node"
    ports = ["--api-port", str(free_port()), "--rpc-port", str(free_port())]
    assert run(home, "init", *ports).exit_code == 0
    password = folder / "agency.password"
    password.write_text("agency\n")
    keystore = folder / "agency.json"
    made = run(home, "agency", "new", "-o", str(keystore), "--password-file", str(password))
    assert made.exit_code == 0, made.output
    address = next(word for word in made.output.split() if word.startswith("0x"))
    granted = run(home, "agency", "grant", address, "--code", CODE)
    assert granted.exit_code == 0, granted.output
    return home, bytes(load_key(keystore, password).to_bytes())


def signed_file(path: Path, home: Path, key: bytes, *, bad: bool, stranger: bool) -> Path:
    chain = NodeHome(home).config().chain
    assert chain is not None
    separator = SigningDomain(chain.chain_id, chain.contract).separator
    lines: list[Any] = []
    for n in range(60):
        signer = STRANGER if stranger and n == 41 else key
        lines.append(sign_record(numbered_record(n, f"C-{n % 4}"), signer, separator))
    if bad:
        lines.insert(7, {**lines[7], "record": {**lines[7]["record"], "case_id": "a b"}})
        lines.insert(30, numbered_record(99))
        lines.insert(45, "not an object")
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def submit_both(
    template: tuple[Path, bytes],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *extra: str,
    bad: bool = False,
    stranger: bool = False,
) -> list[tuple[int, str, str, list[Any]]]:
    """(exit status, stdout, stderr, records in the log) reading in one process, then in
    worker processes, each time on a fresh copy of the template node folder."""
    source, key = template
    outcomes = []
    for name, threshold in (("one", 10**12), ("many", 0)):
        home = tmp_path / name
        shutil.copytree(source, home)
        (tmp_path / f"{name}-input").mkdir()
        path = tmp_path / f"{name}-input" / "signed.jsonl"
        signed_file(path, home, key, bad=bad, stranger=stranger)
        monkeypatch.setattr(log_commands, "PARALLEL_MIN_BYTES", threshold)
        monkeypatch.setattr(log_commands, "default_workers", lambda: 2)
        result = run(home, "submit", str(path), *extra)
        with LogStore(home / "log") as store:
            written = [store.record(i).record_id.hex() for i in range(store.size)]
        outcomes.append((result.exit_code, result.stdout, result.stderr, written))
    return outcomes


def test_every_bad_line_reported_alike_and_nothing_written(
    template: tuple[Path, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one, many = submit_both(template, tmp_path, monkeypatch, bad=True)
    assert one == many
    assert one[0] == 1
    assert one[3] == []
    assert [line.split(":")[2].strip() for line in one[2].splitlines()[:3]] == [
        "line 8",
        "line 31",
        "line 46",
    ]


def test_an_unregistered_signer_stops_everything_alike(
    template: tuple[Path, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one, many = submit_both(template, tmp_path, monkeypatch, "--skip-invalid", stranger=True)
    assert one == many
    assert one[0] == 1
    assert "record 42: signature: signer 0x" in one[2]
    assert "is not a registered agency" in one[2]
    assert one[3] == []


def test_good_files_append_the_same_records(
    template: tuple[Path, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one, many = submit_both(template, tmp_path, monkeypatch, "--json")
    assert one[0] == many[0] == 0
    assert len(one[3]) == 60
    assert one[3] == many[3]
    receipts = [json.loads(outcome[1])["receipts"] for outcome in (one, many)]
    assert [(r["record_id"], r["index"]) for r in receipts[0]] == [
        (r["record_id"], r["index"]) for r in receipts[1]
    ]
