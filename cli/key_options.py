"""An agency's key on the command line: `--key FILE` and `--key-password-file FILE`.

`submit` and `sign` sign records with it; `prove` and `case prove` sign their read requests
with it (node/daemon/access.py), so that an agency fetches its own bundles from a running
node without the operator's token.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from evanchor.node.daemon.passwords import PasswordUnavailable, password_from_file, unlock

F = TypeVar("F", bound=Callable[..., Any])


def agency_key(key_file: Path, password_file: Path | None) -> bytes:
    """The agency's private key from `--key` (a keystore unlocked with the first line of
    `--key-password-file`, or a raw key file). A wrong password is said as such, naming
    the keystore and the file the password came from."""
    password = None
    if password_file is not None:
        password = password_from_file(password_file, "--key-password-file")
    try:
        return unlock(key_file, password).to_bytes()
    except PasswordUnavailable:
        raise click.UsageError(
            f"--key {key_file} is a keystore: give its password with --key-password-file FILE"
        ) from None


def read_key_options(command: F) -> F:
    """`--key`, `--key-password-file` and `--node URL` of a command that reads from a node."""
    for option in reversed(
        (
            click.option(
                "--key",
                "key_file",
                type=click.Path(exists=True, dir_okay=False, path_type=Path),
                help="Agency keystore: sign the request to the running node with it (reads"
                " the agency's own records; no operator token needed).",
            ),
            click.option(
                "--key-password-file",
                type=click.Path(exists=True, dir_okay=False, path_type=Path),
                help="Password of the --key keystore.",
            ),
            click.option(
                "--node",
                "node_url",
                metavar="URL",
                help="Ask this node's API (default with --key: the node of --home).",
            ),
        )
    ):
        command = option(command)
    return command
