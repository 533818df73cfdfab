"""The node folder is private: records and salts are personal data.

After `evanchor init` and a submit, nothing under the node folder may be readable, writable
or searchable by group or others (folders 0700, files 0600), whatever the caller's umask;
a folder made before (or copied in with permissive modes) is narrowed when it is next
opened, with a warning. The embedded node's folder, served by a running daemon, is checked
end to end in tests/e2e/test_access.py.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from evanchor.cli.main import cli

from samples import SAMPLES


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The umask most shells start with (0022: new files 0644, folders 0755)."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def exposed(folder: Path) -> list[str]:
    """Every path under `folder` (itself included) with a group or other permission bit."""
    return [
        f"{path.relative_to(folder.parent)} {stat.filemode(path.lstat().st_mode)}"
        for path in [folder, *folder.rglob("*")]
        if path.lstat().st_mode & 0o077
    ]


def invoke(home: Path, *args: str) -> None:
    result = CliRunner().invoke(cli, ["--home", str(home), *args])
    assert result.exit_code == 0, result.output


def test_init_and_submit_leave_nothing_readable_by_others(tmp_path: Path) -> None:
    home = tmp_path / "node"
    invoke(home, "init", "--log-only")
    invoke(home, "submit", str(SAMPLES / "sample_collection.jsonl"))
    invoke(home, "seal")
    assert exposed(home) == []
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE((home / "config.toml").stat().st_mode) == 0o600


def test_a_permissive_folder_is_narrowed_on_open_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    home = tmp_path / "node"
    invoke(home, "init", "--log-only")
    invoke(home, "submit", str(SAMPLES / "sample_collection.jsonl"))
    for path in [home, *home.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    assert exposed(home)
    with caplog.at_level(logging.WARNING):
        invoke(home, "log", "status")
    assert exposed(home) == []
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("readable by group or others; narrowed to the owner" in m for m in warned), warned
