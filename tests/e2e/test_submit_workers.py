"""A `submit` killed with SIGKILL while its worker processes read a large file: the workers
die with it, and a caller reading its stdout and stderr reaches end of file.

A real `evanchor submit` in a subprocess (the console script of the project's environment),
its output piped, as a script or a supervisor would run it.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from e2e_helpers import EVANCHOR

from evanchor.anchor.log.parallel_ingest import WORKERS_VARIABLE
from evanchor.cli.main import cli

from samples import numbered_record

RECORDS = 100_000  # ~25 MB: seconds of reading, so the kill lands while the workers run
HANG_SECONDS = 30.0  # a generous bound: what is tested is that EOF comes at all


def descendants(pid: int) -> set[int]:
    """Every living process below `pid` (Linux /proc)."""
    found: set[int] = set()
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except FileNotFoundError:
            continue
        for task in tasks:
            try:
                text = Path(f"/proc/{parent}/task/{task}/children").read_text()
            except FileNotFoundError:
                continue
            for child in map(int, text.split()):
                if child not in found:
                    found.add(child)
                    frontier.append(child)
    return found


def alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie (a zombie has already exited)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    state = next(line for line in status.splitlines() if line.startswith("State:"))
    return "zombie" not in state


def read_to_eof(streams: list[int], limit: float) -> bool:
    """Read the pipes until each reports end of file (True) or `limit` seconds pass."""
    deadline = time.monotonic() + limit
    open_fds = set(streams)
    while open_fds and time.monotonic() < deadline:
        ready, _, _ = select.select(list(open_fds), [], [], 0.1)
        for fd in ready:
            if not os.read(fd, 1 << 16):
                open_fds.discard(fd)
    return not open_fds


@pytest.fixture
def orphans() -> Iterator[set[int]]:
    """Pids this test started; any still alive at the end are killed (by pid)."""
    started: set[int] = set()
    yield started
    for pid in started:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def test_killed_submit_takes_its_workers_with_it(tmp_path: Path, orphans: set[int]) -> None:
    home = tmp_path / "node"
    assert CliRunner().invoke(cli, ["--home", str(home), "init", "--log-only"]).exit_code == 0
    big = tmp_path / "big.jsonl"
    with big.open("w") as out:
        for n in range(RECORDS):
            out.write(json.dumps(numbered_record(n)) + "\n")
    env = {**os.environ, WORKERS_VARIABLE: "2"}
    process = subprocess.Popen(
        [str(EVANCHOR), "--home", str(home), "submit", str(big)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    orphans.add(process.pid)
    try:
        workers: set[int] = set()
        while len(workers) < 2 and process.poll() is None:
            workers = descendants(process.pid)
            time.sleep(0.005)
        assert len(workers) >= 2, "the submit ended before its workers were seen"
        orphans.update(workers)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=HANG_SECONDS)

        assert read_to_eof([process.stdout.fileno(), process.stderr.fileno()], HANG_SECONDS), (
            "a process still holds the killed submit's stdout or stderr"
        )
        deadline = time.monotonic() + HANG_SECONDS
        while any(map(alive, workers)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [pid for pid in workers if alive(pid)]
    finally:
        process.stdout.close()
        process.stderr.close()
