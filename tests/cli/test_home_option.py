"""`--home` (and `chain --data-dir`) before or after the subcommand, as the README promises
("every command takes --home"), through CliRunner on tmp_path."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from evanchor.anchor.log.store import LogStore
from evanchor.cli.chain_commands import chain as chain_group
from evanchor.cli.main import cli
from evanchor.cli.options import hoist_option

from samples import SAMPLES

RECORDS = SAMPLES / "sample_collection.jsonl"


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def _log_size(home: Path) -> int:
    with LogStore(home / "log") as store:
        return store.size


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "node"
    result = invoke("init", "--log-only", "--home", str(folder))  # after the subcommand
    assert result.exit_code == 0, result.output
    assert str(folder) in result.output
    return folder


def test_submit_takes_home_before_or_after(home: Path) -> None:
    before = invoke("--home", str(home), "submit", str(RECORDS))
    assert before.exit_code == 0, before.output
    size = _log_size(home)
    assert size > 0
    after = invoke("submit", str(RECORDS), "--home", str(home), "--json")
    assert after.exit_code == 0, after.output
    assert all(r["duplicate"] for r in json.loads(after.output)["receipts"])
    equals_form = invoke("submit", f"--home={home}", str(RECORDS))
    assert equals_form.exit_code == 0, equals_form.output
    assert _log_size(home) == size


def test_nested_commands_take_home_after(home: Path, tmp_path: Path) -> None:
    invoke("--home", str(home), "submit", str(RECORDS))
    result = invoke("log", "status", "--json", "--home", str(home))
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["home"] == str(home)
    elsewhere = invoke("log", "status", "--home", str(tmp_path / "nothing-here"))
    assert elsewhere.exit_code == 1
    assert str(tmp_path / "nothing-here") in elsewhere.output


def test_home_after_the_subcommand_wins_over_the_environment(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVANCHOR_HOME", str(tmp_path / "elsewhere"))
    result = invoke("log", "status", "--json", "--home", str(home))
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["home"] == str(home)


def test_home_given_twice_with_different_values_is_refused(home: Path, tmp_path: Path) -> None:
    result = invoke("--home", str(home), "log", "status", "--home", str(tmp_path / "other"))
    assert result.exit_code == 2
    assert "--home given twice" in result.output
    same = invoke("--home", str(home), "log", "status", "--home", str(home))
    assert same.exit_code == 0, same.output


def test_an_argument_after_double_dash_is_not_taken_for_the_option(home: Path) -> None:
    result = invoke("--home", str(home), "submit", "--", "--home")
    assert result.exit_code == 2
    assert "'--home' does not exist" in result.output  # the file named --home


def test_chain_takes_data_dir_and_home_after_its_subcommand(tmp_path: Path) -> None:
    data_dir = tmp_path / "chain-data"
    created = invoke("chain", "init", "--chain-id", "77", "--data-dir", str(data_dir))
    assert created.exit_code == 0, created.output
    status = invoke("chain", "status", "--data-dir", str(data_dir))
    assert status.exit_code == 0, status.output
    assert json.loads(status.output)["chainId"] == 77
    alone = CliRunner().invoke(chain_group, ["status", "--data-dir", str(data_dir)])
    assert alone.exit_code == 0, alone.output
    assert json.loads(alone.output)["dataDir"] == str(data_dir)

    home = tmp_path / "home"
    assert invoke("chain", "init", "--chain-id", "78", "--home", str(home)).exit_code == 0
    under_home = invoke("chain", "status", "--home", str(home))
    assert under_home.exit_code == 0, under_home.output
    assert json.loads(under_home.output)["dataDir"] == str(home / "chain")


@pytest.mark.parametrize(
    ("args", "hoisted"),
    [
        (["submit", "f"], ["submit", "f"]),
        (["submit", "f", "--home", "D"], ["--home", "D", "submit", "f"]),
        (["--home", "D", "submit", "f"], ["--home", "D", "submit", "f"]),
        (["log", "status", "--home=D", "--json"], ["--home", "D", "log", "status", "--json"]),
        (["--home", "D", "x", "--home", "D"], ["--home", "D", "x"]),
        (["submit", "--", "--home", "D"], ["submit", "--", "--home", "D"]),
        (["submit", "--homework", "D"], ["submit", "--homework", "D"]),
    ],
)
def test_hoist_option(args: list[str], hoisted: list[str]) -> None:
    assert hoist_option(args, "--home") == hoisted


def test_hoist_option_without_a_value_is_a_usage_error() -> None:
    with pytest.raises(click.UsageError, match="requires an argument"):
        hoist_option(["submit", "f", "--home"], "--home")
