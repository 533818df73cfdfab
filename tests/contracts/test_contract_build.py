"""The build is pinned and reproducible: rebuilding from source gives the committed bytes."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from evm_harness import ANVIL, CAST, CONTRACTS_DIR, REPO_ROOT, require_tool

ARTIFACTS = [
    Path("contracts/compiled/EvidenceAnchor.json"),
    Path("benchmarks/contracts/artifacts/MinimalAnchor.json"),
]
PINS = {
    "solc": "0.8.37",
    "@openzeppelin/contracts": "5.7.0",
    "@foundry-rs/anvil-linux-amd64": "1.7.1",
    "@foundry-rs/cast-linux-amd64": "1.7.1",
}


def node() -> str:
    found = shutil.which("node")
    assert found is not None, "Node.js is needed to rebuild the contracts (and by CI)"
    return found


def test_rebuild_from_source_is_byte_identical(tmp_path: Path) -> None:
    result = subprocess.run(
        [node(), str(CONTRACTS_DIR / "build.js"), "--out", str(tmp_path)],
        cwd=CONTRACTS_DIR,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.json")) == sorted(ARTIFACTS)
    for artifact in ARTIFACTS:
        rebuilt = (tmp_path / artifact).read_bytes()
        committed = (REPO_ROOT / artifact).read_bytes()
        assert rebuilt == committed, f"{artifact} differs from a fresh build: run `node build.js`"


def test_versions_are_pinned_exactly_and_installed_as_locked() -> None:
    manifest = json.loads((CONTRACTS_DIR / "package.json").read_text())
    lock = json.loads((CONTRACTS_DIR / "package-lock.json").read_text())
    declared = {**manifest["dependencies"], **manifest["devDependencies"]}
    assert declared == PINS
    for name, version in PINS.items():
        assert lock["packages"][f"node_modules/{name}"]["version"] == version
        installed = CONTRACTS_DIR / "node_modules" / name / "package.json"
        assert json.loads(installed.read_text())["version"] == version, f"run `npm ci` ({name})"


@pytest.mark.parametrize("tool", [ANVIL, CAST], ids=["anvil", "cast"])
def test_anvil_and_cast_run_from_node_modules(tool: Path) -> None:
    result = subprocess.run(
        [str(require_tool(tool)), "--version"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{tool.name} Version: 1.7.1"), result.stdout
