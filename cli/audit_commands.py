"""`evanchor audit`: re-execute the chain, recompute the log, name every discrepancy.

Embedded mode: the node's chain is exported from `<home>/chain` and replayed from its
genesis file into a fresh temporary database (`node/chain/export.py`: every seal, sender, state
root and receipt root checked block by block); the replayed chain is then served read-only
on a free local port and the chain side of the audit reads that endpoint, so it sees only
what was re-executed. A replay that stops at a mismatch is a discrepancy naming the block,
and the audit continues against the blocks replayed before it.

External mode (or `--rpc URL` in either mode): the chain is read from a JSON-RPC endpoint
and the report says it was not re-executed.

The node must be stopped: its log (and its embedded chain) are LevelDB databases that one
process holds at a time, and an audit of a log that is being written would not be the audit
of any one state of it. The audit needs no key and no password: the replayed chain is served
without a sealer.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
from pydantic import JsonValue

from evanchor.anchor.ethereum import client as cc
from evanchor.anchor.ethereum.audit import audit_against_chain
from evanchor.anchor.ethereum.errors import ChainUnavailable
from evanchor.anchor.log.audit import (
    AuditReport,
    Discrepancy,
    check_receipts,
    read_receipts,
)
from evanchor.anchor.log.audit_state import read_state, write_state
from evanchor.anchor.log.cosignature_audit import check_cosignatures
from evanchor.anchor.log.parallel_audit import audit_log_parallel
from evanchor.anchor.log.parallel_ingest import default_workers
from evanchor.anchor.log.store import LogStore, StoreBusy
from evanchor.cli.output import echo_json
from evanchor.cli.progress import progress_option, track
from evanchor.node.chain.datadir import DataDir, open_chain
from evanchor.node.chain.embedded import EmbeddedChain, expected_genesis_hash
from evanchor.node.chain.errors import (
    DatabaseLocked,
    ExportFormatError,
    GenesisMismatch,
    ReplayMismatch,
)
from evanchor.node.chain.export import export_blocks, replay
from evanchor.node.chain.genesis import read_genesis
from evanchor.node.chain.leveldb import LevelDB
from evanchor.node.daemon.chain_access import endpoint_chain_id, serving
from evanchor.node.daemon.home import ChainConfig, ChainMode, NodeHome
from evanchor.node.daemon.running import running_node

SERVE_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class ChainSource:
    """Where the chain side of the audit read the chain, and whether it was re-executed."""

    url: str
    re_executed: bool
    genesis_hash: bytes | None = None
    replayed_to: int | None = None
    """The last block re-executed and found matching (0: only the genesis block)."""
    exported_to: int | None = None
    """The node database's head block, as exported."""
    mismatch: ReplayMismatch | ExportFormatError | GenesisMismatch | None = None

    def as_json(self) -> dict[str, JsonValue]:
        return {
            "url": self.url,
            "re_executed": self.re_executed,
            "genesis_hash": None if self.genesis_hash is None else self.genesis_hash.hex(),
            "replayed_to_block": self.replayed_to,
            "exported_to_block": self.exported_to,
            "replay_verdict": self.verdict,
        }

    @property
    def verdict(self) -> str | None:
        if not self.re_executed:
            return None
        if self.mismatch is None:
            return "every block re-executed: seals, senders, state and receipt roots check out"
        return f"stopped: {self.mismatch}"


def _export(chain_dir: Path, export_file: Path, progress: bool | None) -> int:
    """Export the node's chain database; returns its head block number."""
    try:
        source = open_chain(chain_dir)
    except DatabaseLocked:
        raise click.ClickException(
            f"the chain at {chain_dir} is open in another process: stop the node (or"
            " `chain run`), or audit against an endpoint with --rpc URL"
        ) from None
    try:
        blocks = int(source.head.block_number) + 1
        with (
            export_file.open("wb") as out,
            track("exporting the chain", blocks, progress=progress, unit="blocks") as shown,
        ):
            export_blocks(source, out, progress=shown.advance)
        return int(source.head.block_number)
    finally:
        source.close()


@contextlib.contextmanager
def _replayed_chain(chain_dir: Path, progress: bool | None) -> Iterator[ChainSource]:
    """Export the chain in `chain_dir`, replay it from its genesis file into a fresh
    temporary database, and serve what was replayed; the folder is removed afterwards."""
    genesis = read_genesis(DataDir(chain_dir).genesis_file)
    genesis_hash = expected_genesis_hash(genesis)
    scratch = Path(tempfile.mkdtemp(prefix="evanchor-audit-"))
    try:
        export_file = scratch / "chain.rlp"
        mismatch: ReplayMismatch | ExportFormatError | GenesisMismatch | None = None
        exported_to = None
        try:
            exported_to = _export(chain_dir, export_file, progress)
        except GenesisMismatch as error:
            mismatch = error  # the database was not built from this genesis file
        target = EmbeddedChain(genesis, LevelDB(scratch / "chaindata", sync=False))
        try:
            if mismatch is None:
                blocks = None if exported_to is None else exported_to + 1
                try:
                    with (
                        export_file.open("rb") as source,
                        track(
                            "replaying the chain", blocks, progress=progress, unit="blocks"
                        ) as shown,
                    ):
                        replay(source, target, progress=shown.advance)
                except (ReplayMismatch, ExportFormatError) as error:
                    mismatch = error
            with serving(target, seal=False) as url:
                yield ChainSource(
                    url=url,
                    re_executed=True,
                    genesis_hash=genesis_hash,
                    replayed_to=int(target.head.block_number),
                    exported_to=exported_to,
                    mismatch=mismatch,
                )
        finally:
            target.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@contextlib.contextmanager
def _chain_source(
    home: NodeHome, chain: ChainConfig, rpc_url: str | None, progress: bool | None
) -> Iterator[ChainSource]:
    if rpc_url is None and chain.mode is ChainMode.EMBEDDED:
        with _replayed_chain(home.chain_path, progress) as source:
            yield source
        return
    url = rpc_url or chain.rpc_url
    if endpoint_chain_id(url, timeout=10.0) is None:
        raise ChainUnavailable(f"eth_chainId at {url}", "no JSON-RPC endpoint answers")
    yield ChainSource(url=url, re_executed=False)


def _replay_discrepancy(source: ChainSource) -> Discrepancy | None:
    """The replay's mismatch as the audit's first discrepancy: what follows was read from
    the blocks replayed before it."""
    mismatch = source.mismatch
    kind = "chain replay mismatch"
    if isinstance(mismatch, ReplayMismatch):
        return Discrepancy(
            kind,
            f"block {mismatch.block_number}",
            f"{mismatch.field}: expected {mismatch.expected}, found {mismatch.found}; the"
            f" chain side of the audit read blocks 0..{source.replayed_to} only",
        )
    if isinstance(mismatch, GenesisMismatch):
        return Discrepancy(kind, "block 0", f"the genesis file does not match: {mismatch}")
    if isinstance(mismatch, ExportFormatError):
        return Discrepancy(kind, f"export offset {mismatch.offset}", mismatch.reason)
    return None


def _open_log(home: NodeHome) -> LogStore:
    try:
        # Without the open-time check: the audit reports every discrepancy itself.
        return home.open_log(check=False)
    except StoreBusy:
        raise click.ClickException(_log_held(home)) from None


def _log_held(home: NodeHome) -> str:
    """Why the audit cannot open the log, and what to do, in one line: the audit is of one
    state of the log, so it does not run beside a node that writes it (docs/AUDIT.md)."""
    copy = (
        "or audit a copy of the node folder taken while the node was stopped, or from a"
        " filesystem snapshot (`evanchor --home COPY audit`)"
    )
    node = running_node(home)
    if node is None:
        return (
            f"the log at {home.log_path} is open in another process that no run file names"
            " (a node still starting, or another command on this folder): let it finish or"
            f" stop it, then run the audit; {copy}"
        )
    return (
        f"the node (pid {node.pid}, API {node.api}) is running and holds the log at"
        f" {home.log_path}: the audit checks one state of the log, so stop the node (SIGTERM:"
        f" kill {node.pid}), then run the audit; {copy}"
    )


def _print(
    home: NodeHome,
    report: AuditReport,
    chain: ChainConfig | None,
    source: ChainSource | None,
    head: cc.BlockInfo | None,
) -> None:
    click.echo(f"audit of {home.path}")
    if chain is None:
        click.echo("log-only node: no chain, no anchors, no agency signatures to check")
    else:
        click.echo(f"log: chain {chain.chain_id}, contract {chain.contract}, writer {chain.writer}")
    if source is not None and source.re_executed:
        assert source.genesis_hash is not None
        click.echo(
            f"chain: re-executed from genesis 0x{source.genesis_hash.hex()} up to block"
            f" {source.replayed_to} of {source.exported_to}; {source.verdict}"
        )
    elif source is not None:
        click.echo(f"chain: read from {source.url}, not re-executed")
    if head is not None:
        click.echo(f"chain head audited: block {head.number} (0x{head.hash.hex()})")
    _print_resumed(report)
    click.echo("counts:")
    width = max((len(name) for name in report.counts), default=0)
    for name, value in sorted(report.counts.items()):
        click.echo(f"  {name:<{width}}  {value}")
    for shredded in report.shredded:
        click.echo(
            f"SHREDDED leaf {shredded.leaf} at {shredded.shredded_at} (the node's clock):"
            f" {shredded.reason}"
        )
    for discrepancy in report.discrepancies:
        click.echo(f"DISCREPANCY {discrepancy}")
    if report.ok:
        click.echo("audit passed: no discrepancy")
    else:
        click.echo(f"audit FAILED: {len(report.discrepancies)} discrepancies")


@dataclass(frozen=True)
class SavedState:
    """The audit state written for the next incremental audit: where, up to which
    checkpoint and how many leaves, and the file's SHA-256 (which that audit names)."""

    file: Path
    checkpoint: int
    leaves: int
    sha256: str

    def as_json(self) -> dict[str, JsonValue]:
        return {
            "file": str(self.file),
            "checkpoint": self.checkpoint,
            "leaves": self.leaves,
            "sha256": self.sha256,
        }


def _save_state(state_file: Path | None, report: AuditReport) -> SavedState | None:
    """Write the audit's state for the next incremental audit, if asked and clean (also of
    the checks after the log's: receipts, signed checkpoints and cosignatures)."""
    state = report.next_state
    if state_file is None or state is None or not report.ok:
        return None
    digest = write_state(state_file, state)
    return SavedState(state_file, state.seq, state.size, digest)


def _print_state(state_file: Path | None, report: AuditReport, saved: SavedState | None) -> None:
    if state_file is None:
        return
    if saved is not None:
        click.echo(
            f"state saved to {saved.file}: checkpoints 0..{saved.checkpoint}"
            f" ({saved.leaves} leaves) audited, sha256 {saved.sha256} (keep this line:"
            " the next incremental audit trusts that file and names its sha256)"
        )
    elif report.ok:
        click.echo(f"state not saved: no checkpoint was sealed since ({state_file} unchanged)")
    else:
        click.echo(f"state not saved: the audit found discrepancies ({state_file} unchanged)")


def _print_resumed(report: AuditReport) -> None:
    resumed = report.resumed
    if resumed is None:
        return
    trusted = (
        f"incremental: checkpoints 0..{resumed.audited_checkpoint} were audited at"
        f" {resumed.audited_at} (state file sha256 {resumed.state_sha256}"
    )
    if resumed.checked_leaves is None:
        click.echo(
            f"{trusted}); the log no longer reaches them, and nothing after them was checked"
        )
        return
    first, last = resumed.checked_leaves
    checked = resumed.checked_checkpoints
    new = "no new checkpoint" if checked is None else f"checkpoints {checked[0]}..{checked[1]}"
    click.echo(
        f"{trusted}, trusted, not re-read); this run checked leaves {first}..{last - 1} and"
        f" {new}, each new root recomputed from checkpoint {resumed.audited_checkpoint}'s"
        " audited subtrees and the new leaves (so it extends the audited root), and that every"
        " stored checkpoint and subtree of the audited part is as audited"
    )


@click.command()
@click.option(
    "--rpc",
    "rpc_url",
    metavar="URL",
    help="Read the chain from this JSON-RPC endpoint (e.g. an auditor's own node) instead of"
    " the configured one; in embedded mode this skips re-executing the chain.",
)
@click.option(
    "--receipts",
    "receipt_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Receipts the node handed out (`submit --json` output, API answers, or JSON Lines"
    " of them): each must still name its record's leaf. May be given more than once.",
)
@click.option(
    "--state",
    "state_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Incremental audit: resume from the state this file holds (written by an earlier"
    " audit with --state), re-reading only what was added since, and after a clean audit"
    " write the new state to it. Keep it where the operator cannot write: the report"
    " names its SHA-256, which the earlier audit printed.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes for the log check (default: one per core, or EVANCHOR_READ_WORKERS);"
    " the report is the same with any number.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@progress_option
@click.pass_obj
def audit(  # noqa: PLR0917 - click passes every option as an argument
    home: NodeHome,
    rpc_url: str | None,
    receipt_files: tuple[Path, ...],
    state_file: Path | None,
    workers: int | None,
    as_json: bool,
    progress: bool | None,
) -> None:
    """Re-execute the chain and recompute the log; print every discrepancy (exit 1 if any).

    Checks every record's commitment, leaf, id and case link, the Merkle tree and every
    checkpoint; every anchored checkpoint against the log (root, consistency, the writer's
    role, the contract's storage, the node's anchor receipts); and every agency signature
    against the registry at the block that anchored it; every kept signed checkpoint and
    witness cosignature against the log's key and the configured witnesses' keys; with
    --receipts, every receipt against the leaf it names. The node must be stopped.
    """
    receipts = [receipt for path in receipt_files for receipt in read_receipts(path)]
    resume = None
    if state_file is not None and state_file.exists():
        if receipt_files:
            raise click.UsageError(
                "--receipts needs a full audit (a receipt may name any leaf): run it without"
                " --state, or with a new state file"
            )
        resume = read_state(state_file)
    keep_state = state_file is not None
    chain = home.config().chain
    source: ChainSource | None = None
    head: cc.BlockInfo | None = None
    workers = workers or default_workers()
    with _open_log(home) as store:
        to_check = store.size - (0 if resume is None else resume.state.size)
        if chain is None:
            with track("checking the log", to_check, progress=progress, unit="leaves") as shown:
                report = audit_log_parallel(
                    store,
                    workers=workers,
                    progress=shown.reached,
                    resume=resume,
                    keep_state=keep_state,
                )
        else:
            with (
                _chain_source(home, chain, rpc_url, progress) as source,
                track("checking the log", to_check, progress=progress, unit="leaves") as shown,
            ):
                report, view = audit_against_chain(
                    cc.web3_for(source.url),
                    chain.identity,
                    store,
                    deploy_block=chain.deploy_block,
                    workers=workers,
                    progress=shown.reached,
                    resume=resume,
                    keep_state=keep_state,
                )
                head = view.head
            replayed = _replay_discrepancy(source)
            if replayed is not None:
                report.discrepancies.insert(0, replayed)
                report.next_state = None
        if resume is None:
            check_receipts(report, store, receipts)
        signer = home.log_signer()
        check_cosignatures(
            report,
            store,
            log_key=None if signer is None else signer.verifier,
            origin=None if signer is None else signer.name,
            witness_keys=[endpoint.key for endpoint in home.config().witnessing.witnesses],
        )
    saved = _save_state(state_file, report)
    if as_json:
        echo_json(
            {
                **report.as_json(),
                "home": str(home.path),
                "log": None if chain is None else chain.as_json(),
                "chain": None if source is None else source.as_json(),
                "head": None if head is None else {"number": head.number, "hash": head.hash.hex()},
                "state_saved": None if saved is None else saved.as_json(),
            }
        )
    else:
        _print(home, report, chain, source, head)
        _print_state(state_file, report, saved)
    if not report.ok:
        raise click.exceptions.Exit(1)


COMMANDS = (audit,)
