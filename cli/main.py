"""The `evanchor` command group: parse, call the library, print."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from evanchor.anchor.checkpoint import SealPolicy
from evanchor.anchor.errors import EvanchorError
from evanchor.anchor.home import DEFAULT_HOME, ApiConfig, NodeConfig, NodeHome
from evanchor.cli import (
    agency_commands,
    audit_commands,
    log_commands,
    node_commands,
    proof_commands,
)
from evanchor.cli.chain import chain
from evanchor.node.provision import (
    DEFAULT_CHAIN_ID,
    DEFAULT_RPC_PORT,
    provision_embedded,
    provision_external,
)


class EvanchorGroup(click.Group):
    """A group whose commands turn any `EvanchorError` into one line and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EvanchorError as error:
            raise click.ClickException(str(error)) from error


@click.group(cls=EvanchorGroup)
@click.version_option(package_name="evanchor")
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_HOME,
    show_default=True,
    envvar="EVANCHOR_HOME",
    help="The node folder (also EVANCHOR_HOME).",
)
@click.pass_context
def cli(ctx: click.Context, home: Path) -> None:
    """evanchor: anchor signed evidence records in an RFC 9162 Merkle log on an EVM chain."""
    ctx.obj = NodeHome(home)


@cli.command()
@click.option(
    "--seal-every",
    type=click.IntRange(min=1),
    default=SealPolicy.max_records,
    show_default=True,
    help="Seal a checkpoint after this many records.",
)
@click.option(
    "--seal-after",
    type=click.FloatRange(min=0, min_open=True),
    default=SealPolicy.max_seconds,
    show_default=True,
    help="Seal a checkpoint this many seconds after the oldest unsealed record.",
)
@click.option(
    "--log-only", is_flag=True, help="No chain: a log whose checkpoints are not anchored."
)
@click.option(
    "--rpc",
    "rpc_url",
    metavar="URL",
    help="Anchor on this external Ethereum JSON-RPC chain instead of an embedded one.",
)
@click.option(
    "--key-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="With --rpc: keystore of the node's funded, allowlisted account.",
)
@click.option("--contract", metavar="ADDRESS", help="With --rpc: use this deployed contract.")
@click.option(
    "--password-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Password for the node's keystores (embedded: generated into keys/ if not given).",
)
@click.option("--chain-id", type=click.IntRange(1, 2**63 - 1), default=DEFAULT_CHAIN_ID)
@click.option("--rpc-port", type=click.IntRange(1, 65535), default=DEFAULT_RPC_PORT)
@click.option("--api-port", type=click.IntRange(1, 65535), default=ApiConfig.port)
@click.option("--confirmations", type=click.IntRange(min=1), default=1, show_default=True)
@click.pass_obj
def init(
    home: NodeHome,
    *,
    seal_every: int,
    seal_after: float,
    log_only: bool,
    rpc_url: str | None,
    key_file: Path | None,
    contract: str | None,
    password_file: Path | None,
    chain_id: int,
    rpc_port: int,
    api_port: int,
    confirmations: int,
) -> None:
    """Create a node folder: log, keys, and (unless --log-only) the chain and contract."""
    config = NodeConfig(
        seal_policy=SealPolicy(seal_every, seal_after), api=ApiConfig(port=api_port)
    )
    if log_only:
        home.initialise(config)
        click.echo(f"initialised log-only node folder {home.path}")
        return
    if rpc_url is not None:
        if key_file is None or password_file is None:
            raise click.UsageError("--rpc needs --key-file and --password-file")
        done = provision_external(
            home,
            config,
            rpc_url=rpc_url,
            key_file=key_file,
            password_file=password_file,
            contract=contract,
            confirmations=confirmations,
        )
    else:
        done = provision_embedded(
            home,
            config,
            chain_id=chain_id,
            rpc_port=rpc_port,
            password_file=password_file,
            confirmations=confirmations,
        )
    chain = done.config.chain
    assert chain is not None
    click.echo(f"initialised node folder {home.path}")
    click.echo(f"chain {chain.chain_id} ({chain.mode}) at {chain.rpc_url}")
    click.echo(f"contract {chain.contract}, writer {chain.writer}")
    if done.generated_password:
        click.echo(f"keystore password generated in {home.generated_password} (mode 0600)")


for command in (
    *log_commands.COMMANDS,
    *proof_commands.COMMANDS,
    *node_commands.COMMANDS,
    *agency_commands.COMMANDS,
    *audit_commands.COMMANDS,
    chain,
):
    cli.add_command(command)


def main() -> None:
    """Console entry point."""
    cli()
