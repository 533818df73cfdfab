"""`evanchor agency new|grant|revoke|list`: agency keys and their registration on chain."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
from eth_utils.address import is_address, to_checksum_address

from evanchor.anchor.ethereum import client as cc
from evanchor.anchor.protocol.signing import address_of
from evanchor.cli.output import echo_json
from evanchor.node.chain.keys import generate_key, read_password, write_keystore
from evanchor.node.daemon.chain_access import chain_endpoint, password_file_for, require_chain
from evanchor.node.daemon.compose import node_account
from evanchor.node.daemon.home import NodeHome


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
    """Create an agency signing key in an encrypted keystore and print its address."""
    if output.exists():
        raise click.ClickException(f"{output} exists; refusing to overwrite a key")
    key = generate_key()
    write_keystore(output, key, read_password(password_file))
    address = address_of(key.to_bytes())
    if as_json:
        echo_json({"address": address, "keystore": str(output)})
    else:
        click.echo(f"agency key {address} written to {output}")
        click.echo("register it with: evanchor agency grant ADDRESS --code CREDIT_CODE")


def _password_option(function: Callable[..., None]) -> Callable[..., None]:
    return click.option(
        "--password-file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Unlocks the node's key (default: EVANCHOR_PASSWORD_FILE, or the one init made).",
    )(function)


@agency.command()
@click.argument("address")
@click.option("--code", required=True, help="The agency's 18-character Unified Social Credit Code.")
@_password_option
@click.pass_obj
def grant(home: NodeHome, address: str, code: str, password_file: Path | None) -> None:
    """Register ADDRESS as the signing key of the agency with credit code CODE (on chain)."""
    if not is_address(address):
        raise click.BadParameter(f"{address!r} is not an Ethereum address", param_hint="ADDRESS")
    chain = require_chain(home)
    admin = node_account(home, password_file_for(home, password_file))
    with chain_endpoint(home, password_file) as url:
        anchor = cc.attach(cc.web3_for(url), chain.contract)
        receipt = cc.register_agency(anchor, admin, address, code)
    click.echo(
        f"registered {to_checksum_address(address)} for agency {code}"
        f" in block {receipt.block_number} (tx {receipt.tx_hash.hex()})"
    )


@agency.command()
@click.argument("address")
@_password_option
@click.pass_obj
def revoke(home: NodeHome, address: str, password_file: Path | None) -> None:
    """Revoke the registration of ADDRESS; its records are refused from now on."""
    if not is_address(address):
        raise click.BadParameter(f"{address!r} is not an Ethereum address", param_hint="ADDRESS")
    chain = require_chain(home)
    admin = node_account(home, password_file_for(home, password_file))
    with chain_endpoint(home, password_file) as url:
        anchor = cc.attach(cc.web3_for(url), chain.contract)
        receipt = cc.revoke_agency(anchor, admin, address)
    click.echo(
        f"revoked {to_checksum_address(address)} in block {receipt.block_number}"
        f" (tx {receipt.tx_hash.hex()})"
    )


@agency.command(name="list")
@click.option("--json", "as_json", is_flag=True)
@_password_option
@click.pass_obj
def list_agencies(home: NodeHome, as_json: bool, password_file: Path | None) -> None:
    """Every registration and revocation, in chain order, and who is registered now."""
    chain = require_chain(home)
    with chain_endpoint(home, password_file) as url:
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
