"""The `evanchor` command group: parse, call the library, print."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from evanchor.anchor.checkpoint import SealPolicy
from evanchor.anchor.errors import EvanchorError
from evanchor.anchor.home import DEFAULT_HOME, NodeConfig, NodeHome
from evanchor.cli import log_commands, proof_commands
from evanchor.cli.chain import chain


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
@click.pass_obj
def init(home: NodeHome, seal_every: int, seal_after: float) -> None:
    """Create a node folder with an empty evidence log."""
    home.initialise(NodeConfig(seal_policy=SealPolicy(seal_every, seal_after)))
    click.echo(f"initialised node folder {home.path}")


for command in (*log_commands.COMMANDS, *proof_commands.COMMANDS, chain):
    cli.add_command(command)


def main() -> None:
    """Console entry point."""
    cli()
