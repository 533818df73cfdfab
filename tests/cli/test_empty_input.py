"""A file without a record is refused by `submit` and `sign`: one line, exit status 1,
nothing written (CliRunner, node folders in tmp_path)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from evanchor.anchor.log.store import LogStore
from evanchor.cli.main import cli
from evanchor.node.chain.keys import SCRYPT_N_VARIABLE, generate_key, write_keystore
from evanchor.node.daemon.home import ChainConfig, NodeConfig, NodeHome

EMPTY_FILES = [
    ("empty.jsonl", b"", "the file is empty"),
    ("blank.jsonl", b"\n  \n\t\r\n\n", "the file holds only blank lines"),
    ("blank.json", b" \n", "the file holds only blank lines"),
    ("empty-array.json", b"[]\n", "the file holds an empty array"),
]


def run(home: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--home", str(home), *args])


@pytest.fixture
def log_only(tmp_path: Path) -> Path:
    folder = tmp_path / "node"
    assert run(folder, "init", "--log-only").exit_code == 0
    return folder


@pytest.fixture
def anchoring(tmp_path: Path) -> Path:
    """A node folder configured for a chain (none needs to run: nothing reaches it)."""
    folder = tmp_path / "anchoring"
    chain = ChainConfig(
        mode="external",
        rpc_url="http://127.0.0.1:9",
        chain_id=1337,
        contract="0x" + "12" * 20,
        writer="0x" + "34" * 20,
    )
    NodeHome(folder).initialise(NodeConfig(chain=chain))
    return folder


@pytest.fixture
def agency_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    monkeypatch.setenv(SCRYPT_N_VARIABLE, "16")
    key, password = tmp_path / "agency.json", tmp_path / "password"
    password.write_text("pw\n")
    write_keystore(key, generate_key(), "pw")
    return key, password


def _log_size(home: Path) -> int:
    with LogStore(home / "log") as store:
        return store.size


@pytest.mark.parametrize(("name", "content", "reason"), EMPTY_FILES)
def test_submit_refuses_a_file_without_records(
    log_only: Path, tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = run(log_only, "submit", str(path))
    assert result.exit_code == 1
    assert result.output == f"Error: {name}: no records to submit: {reason}\n"
    assert _log_size(log_only) == 0


@pytest.mark.parametrize(("name", "content", "reason"), EMPTY_FILES)
def test_submit_to_an_anchoring_node_refuses_it_before_reaching_the_chain(
    anchoring: Path, tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = run(anchoring, "submit", str(path))
    assert result.exit_code == 1
    assert result.output == f"Error: {name}: no records to submit: {reason}\n"


@pytest.mark.parametrize("case", EMPTY_FILES)
def test_sign_refuses_a_file_without_records(
    anchoring: Path, tmp_path: Path, agency_key: tuple[Path, Path], case: tuple[str, bytes, str]
) -> None:
    name, content, reason = case
    path = tmp_path / name
    path.write_bytes(content)
    key, password = agency_key
    output = tmp_path / "signed.jsonl"
    result = run(
        anchoring, "sign", str(path), "--key", str(key), "--key-password-file", str(password),
        "-o", str(output),
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.output == f"Error: {name}: no records to sign: {reason}\n"
    assert not output.exists()


def test_a_file_with_one_record_among_blank_lines_is_accepted(
    log_only: Path, tmp_path: Path
) -> None:
    path = tmp_path / "one.jsonl"
    record = (
        '{"kind":"collection_checkpoint","case_id":"C-1","agency":"91350100M000100Y43",'
        '"debtor_ref":"debtor-7f3a9c","event":"call","occurred_at":"2026-11-29T10:15:00+08:00",'
        '"channel":"phone","operator_id":"op-1"}'
    )
    path.write_text(f"\n\n{record}\n\n")
    result = run(log_only, "submit", str(path))
    assert result.exit_code == 0, result.output
    assert _log_size(log_only) == 1
