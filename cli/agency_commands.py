"""`evanchor agency new|grant|revoke|list`: agency keys and their registration on chain."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
from eth_utils.address import is_address, to_checksum_address

from evanchor.anchor.protocol.signing import address_of
from evanchor.cli.output import echo_json
from evanchor.cli.password_options import password_options
from evanchor.node.chain.keys import generate_key, read_password, write_keystore
from evanchor.node.daemon.home import NodeHome
from evanchor.node.daemon.passwords import KeystorePassword, PasswordOptions, require_password

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

# web3, eth-account and py-evm (seconds of imports on a loaded machine) are imported by the
# commands that reach the chain: `agency new` only makes a key (one scrypt derivation).


@click.group()
def agency() -> None:
    """Agency signing keys and their registration with the node's contract."""


@agency.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the encrypted keystore (refuses to overwrite).",
)
@click.option(
    "--password-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="The keystore's password (first line of the file).",
)
@click.option("--json", "as_json", is_flag=True)
def new(output: Path, password_file: Path, as_json: bool) -> None:
    """Create an agency signing key in an encrypted keystore and print its address.

    The address alone is the standard output (`address=$(evanchor agency new ...)`); where
    the keystore went and the command that registers it follow on standard error.
    """
    if output.exists():
        raise click.ClickException(f"{output} exists; refusing to overwrite a key")
    key = generate_key()
    write_keystore(output, key, read_password(password_file))
    address = address_of(key.to_bytes())
    if as_json:
        echo_json({"address": address, "keystore": str(output)})
    else:
        click.echo(address)
        click.echo(f"agency key written to {output} (encrypted keystore)", err=True)
        click.echo(
            f"next, on the node: evanchor agency grant {address} --code <the agency's"
            " 18-character credit code>",
            err=True,
        )


def _admin(home: NodeHome, options: PasswordOptions) -> tuple[LocalAccount, KeystorePassword]:
    """The node's account (the registry's admin) and the password that unlocked it."""
    from evanchor.node.daemon.compose import node_account  # noqa: PLC0415 - see imports

    password = require_password(
        options, home.generated_password, needed_for=f"keystore {home.node_keystore}"
    )
    return node_account(home, password), password


@agency.command()
@click.argument("address")
@click.option("--code", required=True, help="The agency's 18-character Unified Social Credit Code.")
@password_options()
@click.pass_obj
def grant(home: NodeHome, address: str, code: str, password_options: PasswordOptions) -> None:
    """Register ADDRESS as the signing key of the agency with credit code CODE (on chain)."""
    if not is_address(address):
        raise click.BadParameter(f"{address!r} is not an Ethereum address", param_hint="ADDRESS")
    from evanchor.anchor.ethereum import client as cc  # noqa: PLC0415 - see imports
    from evanchor.node.daemon.chain_access import chain_endpoint, require_chain  # noqa: PLC0415

    chain = require_chain(home)
    admin, password = _admin(home, password_options)
    with chain_endpoint(home, password) as url:
        anchor = cc.attach(cc.web3_for(url), chain.contract)
        receipt = cc.register_agency(anchor, admin, address, code)
    click.echo(
        f"registered {to_checksum_address(address)} for agency {code}"
        f" in block {receipt.block_number} (tx {receipt.tx_hash.hex()})"
    )


@agency.command()
@click.argument("address")
@password_options()
@click.pass_obj
def revoke(home: NodeHome, address: str, password_options: PasswordOptions) -> None:
    """Revoke the registration of ADDRESS; its records are refused from now on."""
    if not is_address(address):
        raise click.BadParameter(f"{address!r} is not an Ethereum address", param_hint="ADDRESS")
    from evanchor.anchor.ethereum import client as cc  # noqa: PLC0415 - see imports
    from evanchor.node.daemon.chain_access import chain_endpoint, require_chain  # noqa: PLC0415

    chain = require_chain(home)
    admin, password = _admin(home, password_options)
    with chain_endpoint(home, password) as url:
        anchor = cc.attach(cc.web3_for(url), chain.contract)
        receipt = cc.revoke_agency(anchor, admin, address)
    click.echo(
        f"revoked {to_checksum_address(address)} in block {receipt.block_number}"
        f" (tx {receipt.tx_hash.hex()})"
    )


@agency.command(name="list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def list_agencies(home: NodeHome, as_json: bool) -> None:
    """Every registration and revocation, in chain order, and who is registered now."""
    from evanchor.anchor.ethereum import client as cc  # noqa: PLC0415 - see imports
    from evanchor.node.daemon.chain_access import chain_endpoint, require_chain  # noqa: PLC0415

    chain = require_chain(home)
    with chain_endpoint(home, read_only=True) as url:
        anchor = cc.attach(cc.web3_for(url), chain.contract)
        events = cc.agency_events(anchor, from_block=chain.deploy_block)
    current: dict[str, str] = {}
    for event in events:
        if event.credit_code is None:
            current.pop(event.agency, None)
        else:
            current[event.agency] = event.credit_code
    if as_json:
        echo_json(
            {
                "registered": current,
                "history": [
                    {
                        "agency": e.agency,
                        "credit_code": e.credit_code,
                        "block": e.block_number,
                        "event": "registered" if e.registered else "revoked",
                    }
                    for e in events
                ],
            }
        )
        return
    if not current:
        click.echo("no agency is registered")
    for address, code in sorted(current.items(), key=lambda item: item[1]):
        click.echo(f"{code}  {address}")


COMMANDS = (agency,)
