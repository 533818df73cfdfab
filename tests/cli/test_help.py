"""`evanchor --help` lists every command from summaries kept in cli/main.py, without
importing any command's module; an offline `verify` imports nothing of the chain side.

The summaries must stay what each command's own docstring says (its first sentence, as
click would shorten it); the import checks run in a fresh interpreter, since this test
process has long imported everything.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from evanchor.cli.main import SUBCOMMANDS, cli
from evanchor.node.chain.keys import SCRYPT_N_VARIABLE
from evanchor.node.daemon.home import NodeHome

HEAVY = ("web3", "evm", "eth_account", "eth_keyfile", "reportlab", "matplotlib", "aiohttp")
"""Modules that take a second or more to import on a loaded machine."""
VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "bundles"


@pytest.mark.parametrize("name", sorted(SUBCOMMANDS))
def test_each_summary_is_its_commands_own(name: str) -> None:
    module, attribute = SUBCOMMANDS[name].target.split(":")
    command = getattr(importlib.import_module(module), attribute)
    assert SUBCOMMANDS[name].summary == command.get_short_help_str(limit=1000)


def test_help_lists_every_command_once() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    listed = result.output.split("Commands:\n")[1].splitlines()
    names = [line.split()[0] for line in listed if line.startswith("  ") and line.strip()]
    assert names == sorted({*SUBCOMMANDS, "init"})


def _heavy_imports_of(tmp_path: Path, *args: str) -> list[str]:
    script = (
        "import sys\n"
        "from evanchor.cli.main import cli\n"
        "try:\n"
        f"    cli({list(args)!r}, standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass\n"
        "import json\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env={**os.environ, SCRYPT_N_VARIABLE: "16"},
        timeout=120,
    )
    found: list[str] = json.loads(done.stderr.strip().splitlines()[-1])
    return found


def test_help_imports_no_heavy_module(tmp_path: Path) -> None:
    assert _heavy_imports_of(tmp_path, "--help") == []


def test_an_offline_verify_imports_no_heavy_module(tmp_path: Path) -> None:
    vector = json.loads((VECTORS / "valid-anchored-offline.json").read_text())
    (tmp_path / "bundle.json").write_text(json.dumps(vector["bundle"]))
    assert _heavy_imports_of(tmp_path, "verify", "bundle.json") == []


def test_agency_new_imports_no_heavy_module(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("agency password\n")
    assert (
        _heavy_imports_of(tmp_path, "agency", "new", "-o", "k.json", "--password-file", "pw") == []
    )


def test_prove_from_kept_evidence_imports_no_heavy_module(
    anchored_node: Any, tmp_path: Path
) -> None:
    # The node has stopped; the anchor evidence of its checkpoints is kept in its log.
    with NodeHome(anchored_node.home).open_log() as store:
        record_id = store.record(3).record_id.hex()
    found = _heavy_imports_of(
        tmp_path, "--home", str(anchored_node.home), "prove", record_id, "-o", "b.json"
    )
    assert json.loads((tmp_path / "b.json").read_text())["leaf_index"] == 3
    assert found == []
