"""Which node runs for a folder, and where its API is: the node's run file.

LevelDB admits one process, so while `evanchor node start` runs, a command on the same
folder cannot open the log (or the embedded chain) and must ask the node instead. The
node says where it listens in `<home>/node.run.json` once its API serves, and removes the
file when it stops. A file left by a node that was killed (kill -9, power loss) names a
process that is gone; it is ignored, and the next start replaces it.

The file is written atomically (beside it, synced, renamed), so a reader never sees half
of it; it holds no secret (the operator token stays in `keys/api-token`).

`evanchor chain run` (`chain serve`), serving an embedded chain by itself, says where its
JSON-RPC listens the same way, in `<data dir>/chain.run.json` (`running_chain`), so that
`chain status` asks it while it holds the chain's database.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from evanchor.node.daemon.home import NodeHome

RUN_FILE_NAME = "node.run.json"
RUN_FORMAT = "evanchor-node-run/1"
CHAIN_RUN_FILE_NAME = "chain.run.json"
CHAIN_RUN_FORMAT = "evanchor-chain-run/1"


class RunningNode(BaseModel):
    """A node process serving a folder: its pid, its API's URL, its chain's JSON-RPC URL
    (None for a log-only node) and the embedded chain's data directory (None otherwise)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: str = RUN_FORMAT
    pid: int
    api: str
    rpc: str | None = None
    chain_dir: str | None = None


class RunningChain(BaseModel):
    """A `chain run` process serving an embedded chain's data directory by itself: its pid
    and its JSON-RPC's URL."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: str = CHAIN_RUN_FORMAT
    pid: int
    rpc: str


def run_file(home: NodeHome) -> Path:
    return home.path / RUN_FILE_NAME


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive, and not ours to signal
        return True
    return True


_Run = TypeVar("_Run", RunningNode, RunningChain)


def _read_run_file(path: Path, model: type[_Run], run_format: str) -> _Run | None:
    """The process `path` names, if the file is there, of `run_format`, and its pid alive."""
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        found = model.model_validate_json(text)
    except ValidationError:
        return None
    if found.format != run_format or not _alive(found.pid):
        return None
    return found


def running_node(home: NodeHome) -> RunningNode | None:
    """The node that serves `home` now, per its run file; None if there is no file, or it
    names a process that is gone, or it is not a run file of this format."""
    return _read_run_file(run_file(home), RunningNode, RUN_FORMAT)


def _write_privately(path: Path, text: str) -> None:
    """`text` into `path` atomically (beside it, synced, renamed), readable by us alone."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # private, as the folder
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    partial.replace(path)


@contextlib.contextmanager
def announced(home: NodeHome, node: RunningNode) -> Iterator[None]:
    """Write the run file for the block's duration (the node serving); remove it after,
    unless another process has replaced it meanwhile."""
    path = run_file(home)
    _write_privately(path, node.model_dump_json() + "\n")
    try:
        yield
    finally:
        if running_node(home) == node:
            path.unlink(missing_ok=True)


def chain_run_file(data_dir: Path) -> Path:
    return data_dir / CHAIN_RUN_FILE_NAME


def running_chain(data_dir: Path) -> RunningChain | None:
    """The `chain run` process that serves `data_dir` now, per its run file; None if there
    is no file, or it names a process that is gone, or it is not of this format."""
    return _read_run_file(chain_run_file(data_dir), RunningChain, CHAIN_RUN_FORMAT)


def announce_chain(data_dir: Path, rpc: str) -> RunningChain:
    """Say that this process serves `data_dir`'s chain at `rpc` (once it listens)."""
    chain = RunningChain(pid=os.getpid(), rpc=rpc)
    _write_privately(chain_run_file(data_dir), chain.model_dump_json() + "\n")
    return chain


def withdraw_chain(data_dir: Path, chain: RunningChain) -> None:
    """Remove `announce_chain`'s file, unless another process has replaced it meanwhile."""
    if running_chain(data_dir) == chain:
        chain_run_file(data_dir).unlink(missing_ok=True)
