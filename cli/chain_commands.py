"""`evanchor chain`: create, run, export and replay the embedded permissioned chain.

The data directory defaults to ``<home>/chain`` under the main command's ``--home`` (or
``evanchor-data/chain`` when this group runs alone); ``--data-dir`` or
``EVANCHOR_CHAIN_DIR`` overrides it. See docs/CHAIN.md.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import click
from eth_utils.address import is_hex_address, to_canonical_address, to_checksum_address

from evanchor.anchor.errors import EvanchorError
from evanchor.cli.options import hoist_option
from evanchor.cli.progress import progress_option, track
from evanchor.node.chain.chain_ids import DEFAULT_CHAIN_ID, MAX_CHAIN_ID
from evanchor.node.chain.clique import Proposal
from evanchor.node.chain.datadir import (
    DataDir,
    init_data_dir,
    open_chain,
    read_proposals,
    write_proposals,
)
from evanchor.node.chain.embedded import EmbeddedChain
from evanchor.node.chain.export import export_blocks, replay
from evanchor.node.chain.genesis import (
    DEFAULT_EPOCH,
    DEFAULT_FUNDING,
    DEFAULT_GAS_LIMIT,
    Genesis,
    read_genesis,
)
from evanchor.node.chain.hashing import prefer_fast_keccak
from evanchor.node.chain.keys import generate_key, load_key, read_password
from evanchor.node.chain.leveldb import LevelDB
from evanchor.node.chain.rpc_http import DEFAULT_HOST, DEFAULT_PORT, run_rpc_server
from evanchor.node.daemon.chain_access import json_rpc
from evanchor.node.daemon.home import DEFAULT_HOME
from evanchor.node.daemon.reach import chain_status
from evanchor.node.daemon.running import RunningChain, announce_chain, withdraw_chain

CHAIN_SUBDIR = "chain"
RPC_TIMEOUT_SECONDS = 10


class ChainGroup(click.Group):
    """Turns an `EvanchorError` into one line and exit status 1, also when run alone;
    reads `--data-dir` before or after the subcommand."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_option(args, "--data-dir"))

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EvanchorError as error:
            raise click.ClickException(str(error)) from error


class AddressParam(click.ParamType[bytes, Any]):
    name = "address"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> bytes:
        if isinstance(value, bytes):
            return value
        if not isinstance(value, str) or not is_hex_address(value):
            self.fail(f"expected a 0x-prefixed 20-byte address, got {value!r}", param, ctx)
        return bytes(to_canonical_address(value))


ADDRESS = AddressParam()


def _data_dir(ctx: click.Context) -> Path:
    path: Path | None = ctx.obj
    assert path is not None
    return path


@click.group(cls=ChainGroup)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="EVANCHOR_CHAIN_DIR",
    default=None,
    help="Chain data directory (default <home>/chain; also EVANCHOR_CHAIN_DIR); before or"
    " after the command.",
)
@click.pass_context
def chain(ctx: click.Context, data_dir: Path | None) -> None:
    """The embedded permissioned chain (py-evm, Clique proof of authority, LevelDB)."""
    prefer_fast_keccak()
    if data_dir is None:
        home = getattr(ctx.obj, "path", None)
        data_dir = (Path(home) if home is not None else Path(DEFAULT_HOME)) / CHAIN_SUBDIR
    ctx.obj = data_dir


@chain.command()
@click.option(
    "--chain-id", type=click.IntRange(1, MAX_CHAIN_ID), default=DEFAULT_CHAIN_ID, show_default=True
)
@click.option(
    "--authority", "authorities", type=ADDRESS, multiple=True, help="A Clique sealer (repeatable)."
)
@click.option(
    "--sealer-key",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="This node's sealer key (raw hex or keystore); generated if no --authority is given.",
)
@click.option(
    "--sealer-password-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Password of a --sealer-key keystore.",
)
@click.option(
    "--password-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Store the sealer key as a keystore encrypted with this password (else raw hex, 0600).",
)
@click.option(
    "--allow", "allowed", type=ADDRESS, multiple=True, help="An allowlisted account (repeatable)."
)
@click.option(
    "--fund",
    type=click.IntRange(min=0),
    default=DEFAULT_FUNDING,
    show_default=True,
    help="Genesis balance (wei) of each allowlisted account.",
)
@click.option(
    "--gas-limit",
    type=click.IntRange(21_000, 2**63 - 1),
    default=DEFAULT_GAS_LIMIT,
    show_default=True,
)
@click.option(
    "--period",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Clique period, seconds (0: seal as soon as transactions are pending).",
)
@click.option("--epoch", type=click.IntRange(min=1), default=DEFAULT_EPOCH, show_default=True)
@click.option(
    "--timestamp",
    type=click.IntRange(min=0),
    default=None,
    help="Genesis timestamp (default: now).",
)
@click.pass_context
def init(
    ctx: click.Context,
    *,
    chain_id: int,
    authorities: tuple[bytes, ...],
    sealer_key: Path | None,
    sealer_password_file: Path | None,
    password_file: Path | None,
    allowed: tuple[bytes, ...],
    fund: int,
    gas_limit: int,
    period: int,
    epoch: int,
    timestamp: int | None,
) -> None:
    """Write a genesis file and the sealer key into the data directory."""
    path = _data_dir(ctx)
    key = load_key(sealer_key, sealer_password_file) if sealer_key is not None else None
    if key is None and not authorities:
        key = generate_key()
    signers = list(dict.fromkeys(authorities))
    if key is not None:
        sealer = bytes(key.public_key.to_canonical_address())
        if sealer not in signers:
            signers.append(sealer)
    genesis = Genesis(
        chain_id=chain_id,
        authorities=tuple(signers),
        allowlist=tuple(dict.fromkeys(allowed)),
        timestamp=int(time.time()) if timestamp is None else timestamp,
        gas_limit=gas_limit,
        period=period,
        epoch=epoch,
        alloc=tuple((a, fund) for a in dict.fromkeys(allowed)),
    )
    password = read_password(password_file) if password_file is not None else None
    init_data_dir(path, genesis, key, password)
    click.echo(f"initialised {path}")
    click.echo(f"chain id     {chain_id}")
    click.echo("authorities  " + ", ".join(to_checksum_address(a) for a in signers))
    if key is not None:
        click.echo(f"sealer       {to_checksum_address(key.public_key.to_canonical_address())}")
    click.echo(f"allowlisted  {len(genesis.allowlist)} account(s)")


@chain.command(name="run")
@click.option("--host", default=DEFAULT_HOST, show_default=True)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="0 picks a free port.",
)
@click.option(
    "--password-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Password of the sealer keystore.",
)
@click.option(
    "--empty-blocks",
    is_flag=True,
    help="Seal a block every period even when idle (needs period > 0).",
)
@click.option(
    "--no-seal", is_flag=True, help="Serve JSON-RPC without a sealer key (read-only node)."
)
@click.pass_context
def run(
    ctx: click.Context,
    *,
    host: str,
    port: int,
    password_file: Path | None,
    empty_blocks: bool,
    no_seal: bool,
) -> None:
    """Serve JSON-RPC (and seal blocks) until interrupted."""
    data_dir = _data_dir(ctx)
    opened = open_chain(data_dir, load_sealer=not no_seal, password_file=password_file)
    announced: list[RunningChain] = []
    try:

        def ready(url: str) -> None:
            # `chain status` beside this process asks it here (running.py)
            announced.append(announce_chain(data_dir, url))
            head = opened.head
            where = f"chain id {opened.chain_id}, head #{head.block_number}"
            click.echo(f"JSON-RPC listening on {url} ({where})")
            sys.stdout.flush()  # a supervisor reading a pipe waits for this line

        run_rpc_server(
            opened, host, port, seal=not no_seal, empty_blocks=empty_blocks, on_ready=ready
        )
    finally:
        for chain_run in announced:
            withdraw_chain(data_dir, chain_run)
        opened.close()


chain.add_command(run, name="serve")


@chain.command(name="export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--first", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--last", type=click.IntRange(min=0), default=None, help="Default: the head.")
@progress_option
@click.pass_context
def export_command(
    ctx: click.Context, file: Path, first: int, last: int | None, progress: bool | None
) -> None:
    """Write blocks as concatenated RLP (as `geth export`). The node must be stopped."""
    opened = open_chain(_data_dir(ctx))
    try:
        end = opened.head.block_number if last is None else last
        with (
            file.open("wb") as out,
            track("exporting", max(0, end - first + 1), progress=progress, unit="blocks") as shown,
        ):
            count = export_blocks(opened, out, first, last, progress=shown.advance)
    finally:
        opened.close()
    click.echo(f"exported {count} block(s) to {file}")


@chain.command(name="replay")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option(
    "--genesis",
    "genesis_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Genesis file (default: the data directory's).",
)
@click.option(
    "--into",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the replayed database here (must not exist); default: a temporary one.",
)
@progress_option
@click.pass_context
def replay_command(
    ctx: click.Context,
    file: Path,
    genesis_file: Path | None,
    into: Path | None,
    progress: bool | None,
) -> None:
    """Re-execute an export from genesis, checking every seal, root and sender."""
    genesis = read_genesis(genesis_file or DataDir(_data_dir(ctx)).genesis_file)
    if into is not None and into.exists():
        raise click.BadParameter(
            f"{into} exists; replay needs a fresh database", param_hint="--into"
        )
    scratch = Path(tempfile.mkdtemp(prefix="evanchor-replay-")) if into is None else None
    target_dir = into if into is not None else scratch
    assert target_dir is not None
    try:
        # A kept database (--into) is written durably; a temporary one needs no fsync.
        target = EmbeddedChain(genesis, LevelDB(target_dir / "chaindata", sync=into is not None))
        try:
            with (
                file.open("rb") as source,
                track("replaying the chain", None, progress=progress, unit="blocks") as shown,
            ):
                report = replay(source, target, progress=shown.advance)
        finally:
            target.close()
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    click.echo(
        f"replayed {report.blocks} block(s): "
        "every seal, state root, receipts root and sender checks out"
    )
    click.echo(f"head #{report.head_number} 0x{report.head_hash.hex()}")


@chain.command()
@click.option(
    "--rpc",
    "rpc_url",
    default=None,
    help="Ask a running node at this URL instead of reading the data directory.",
)
@click.pass_context
def status(ctx: click.Context, rpc_url: str | None) -> None:
    """Chain id, head block, authorities and sealer: from the data directory, or from the
    node (or `chain run`) that holds it while it runs (the same members either way)."""
    if rpc_url is not None:
        summary = {
            "chainId": int(json_rpc(rpc_url, "eth_chainId", []), 16),
            "head": int(json_rpc(rpc_url, "eth_blockNumber", []), 16),
            "authorities": json_rpc(rpc_url, "clique_getSigners", ["latest"]),
        }
    else:
        summary = chain_status(_data_dir(ctx)).model_dump(mode="json")
    click.echo(json.dumps(summary, indent=2))


# -- operator actions on a stopped node ------------------------------------------------------
# The JSON-RPC endpoint has no authentication, so nothing that decides who seals, or what is
# sealed, is offered there. These commands change the data directory instead; opening the
# chain takes LevelDB's lock, so they refuse (DatabaseInUse) while the node runs.


@chain.command()
@click.argument("subject", type=ADDRESS)
@click.option(
    "--add/--drop", "authorize", default=True, help="Vote to add (default) or drop the authority."
)
@click.pass_context
def propose(ctx: click.Context, subject: bytes, authorize: bool) -> None:
    """Record this node's vote on an authority (Clique, EIP-225). The node must be stopped.

    The sealer casts the vote in every block it seals from its next start while the vote
    would change something; it stays recorded until `chain discard`.
    """
    path = _data_dir(ctx)
    opened = open_chain(path)
    try:
        kept = tuple(p for p in read_proposals(DataDir(path)) if p.subject != subject)
        write_proposals(DataDir(path), (*kept, Proposal(subject, authorize)))
    finally:
        opened.close()
    verb = "add" if authorize else "drop"
    click.echo(
        f"recorded: the sealer will vote to {verb} {to_checksum_address(subject).lower()}"
        " in the blocks it seals once the node starts"
    )


@chain.command()
@click.argument("subject", type=ADDRESS)
@click.pass_context
def discard(ctx: click.Context, subject: bytes) -> None:
    """Withdraw this node's vote on an authority. The node must be stopped."""
    path = _data_dir(ctx)
    opened = open_chain(path)
    try:
        proposals = read_proposals(DataDir(path))
        write_proposals(DataDir(path), tuple(p for p in proposals if p.subject != subject))
    finally:
        opened.close()
    click.echo(f"discarded the vote on {to_checksum_address(subject).lower()}")


@chain.command()
@click.option("--count", type=click.IntRange(min=1), default=1, show_default=True)
@click.option(
    "--password-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Password of the sealer keystore.",
)
@click.pass_context
def seal(ctx: click.Context, count: int, password_file: Path | None) -> None:
    """Seal COUNT empty blocks now (they carry the recorded votes). The node must be stopped.

    With a Clique period P > 0 each block waits until P seconds after its parent.
    """
    opened = open_chain(_data_dir(ctx), load_sealer=True, password_file=password_file)
    try:
        sealed = 0
        while sealed < count:
            if opened.seal_block(allow_empty=True) is None:
                time.sleep(max(0.0, opened.next_seal_time() - time.time()))
                continue
            sealed += 1
        head = opened.head
    finally:
        opened.close()
    click.echo(f"sealed {sealed} block(s); head #{head.block_number} 0x{head.hash.hex()}")


if __name__ == "__main__":
    chain()
