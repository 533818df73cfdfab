"""The `evanchor` command group: parse, call the library, print."""

from __future__ import annotations

import sys

import click

from evanchor.anchor.errors import EvanchorError


@click.group()
@click.version_option(package_name="evanchor")
def cli() -> None:
    """evanchor: anchor signed evidence records in an RFC 9162 Merkle log on an EVM chain."""


def main() -> None:
    """Console entry point: library errors become one line on stderr and exit status 1."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except EvanchorError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
