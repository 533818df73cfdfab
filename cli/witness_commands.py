"""`evanchor witness init|add-log|serve|status`: run a witness (docs/WITNESS.md).

Everything here works on a witness folder (`--dir`, default ./evanchor-witness) and needs
nothing of a node: a court or regulator runs these on its own machine.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import requests
from pydantic import ValidationError

from evanchor.anchor.protocol.errors import NoteKeyInvalid
from evanchor.anchor.protocol.note import ED25519, parse_verifier_key
from evanchor.anchor.witness.config import (
    DEFAULT_DIR,
    DEFAULT_LISTEN,
    LogEntry,
    WitnessConfig,
    WitnessHome,
    validation_message,
)
from evanchor.anchor.witness.cosigning import Witness
from evanchor.anchor.witness.errors import WitnessBusy
from evanchor.anchor.witness.server import serve_witness, witness_status
from evanchor.anchor.witness.state import WitnessState
from evanchor.cli.output import echo_json

STATUS_TIMEOUT_SECONDS = 5.0


def _log_entry(vkey: str, origin: str | None) -> LogEntry:
    try:
        key = parse_verifier_key(vkey)
    except NoteKeyInvalid as error:
        raise click.BadParameter(str(error), param_hint="VKEY") from None
    if key.signature_type != ED25519:
        raise click.BadParameter(f"{key.key} is not a log key (type 0x01)", param_hint="VKEY")
    return LogEntry(origin=origin or key.name, keys=(vkey,))


@click.group()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_DIR,
    show_default=True,
    envvar="EVANCHOR_WITNESS_DIR",
    help="The witness folder (also EVANCHOR_WITNESS_DIR).",
)
@click.pass_context
def witness(ctx: click.Context, directory: Path) -> None:
    """Run an independent witness that cosigns consistent checkpoints (C2SP tlog-witness)."""
    ctx.obj = WitnessHome(directory)


@witness.command()
@click.option("--name", required=True, help="The witness's key name, e.g. court.example/witness.")
@click.option("--listen", default=DEFAULT_LISTEN, show_default=True, metavar="HOST:PORT")
@click.option(
    "--log",
    "log_keys",
    multiple=True,
    metavar="VKEY",
    help="A log to follow, by its verifier key (`evanchor log key` prints it); repeatable.",
)
@click.pass_obj
def init(home: WitnessHome, name: str, listen: str, log_keys: tuple[str, ...]) -> None:
    """Create a witness folder: a new cosigning key, witness.toml, an empty state."""
    try:
        config = WitnessConfig(
            name=name, listen=listen, logs=tuple(_log_entry(k, None) for k in log_keys)
        )
    except ValidationError as error:
        raise click.BadParameter(validation_message(error)) from None
    signer = home.initialise(config)
    WitnessState(home.state_path, create=True).close()
    click.echo(f"initialised witness folder {home.path}")
    click.echo(f"verifier key: {signer.verifier}")
    click.echo(f"key file {home.key_path} (mode 0600): keep it secret, back it up")


@witness.command("add-log")
@click.argument("vkey")
@click.option("--origin", help="The log's origin line (default: the key's name).")
@click.pass_obj
def add_log(home: WitnessHome, vkey: str, origin: str | None) -> None:
    """Follow another log (or trust another key of one); restart `serve` afterwards."""
    config = home.config()
    entry = _log_entry(vkey, origin)
    existing = config.log(entry.origin)
    if existing is not None:
        if vkey in existing.keys:
            click.echo(f"already following {entry.origin} with that key")
            return
        entry = LogEntry(origin=entry.origin, keys=(*existing.keys, vkey))
    logs = (*(log for log in config.logs if log.origin != entry.origin), entry)
    try:
        updated = WitnessConfig(name=config.name, listen=config.listen, logs=logs)
    except ValidationError as error:
        raise click.BadParameter(validation_message(error)) from None
    home.write_config(updated)
    click.echo(f"following {entry.origin} ({len(entry.keys)} key(s))")


@witness.command()
@click.option("--port", type=click.IntRange(0, 65535), help="Override the configured port.")
@click.pass_obj
def serve(home: WitnessHome, port: int | None) -> None:
    """Run the witness in the foreground until interrupted (SIGINT or SIGTERM)."""
    signer = home.signer()

    def ready(url: str) -> None:
        click.echo(f"evanchor witness {signer.name} serving at {url}", err=True)
        click.echo(f"verifier key: {signer.verifier}", err=True)

    asyncio.run(serve_witness(home, port=port, on_ready=ready))


def _utc(timestamp: int) -> str:
    when = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{when} ({timestamp})"


def _local_status(home: WitnessHome) -> dict[str, Any]:
    with WitnessState(home.state_path) as state:
        return witness_status(Witness(home.config(), home.signer(), state))


@witness.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def status(home: WitnessHome, as_json: bool) -> None:
    """The witness's key and, per log, the latest checkpoint it cosigned."""
    config = home.config()
    try:
        response = requests.get(f"http://{config.listen}/status", timeout=STATUS_TIMEOUT_SECONDS)
        info = response.json()
        info["running"] = True
    except (requests.RequestException, ValueError):
        try:
            info = _local_status(home)
        except WitnessBusy as error:
            raise click.ClickException(
                f"the witness's state is in use but http://{config.listen} does not answer"
            ) from error
        info["running"] = False
    if as_json:
        echo_json(info)
        return
    click.echo(f"witness {info['name']} {'running' if info['running'] else 'stopped'}")
    click.echo(f"verifier key: {info['verifier_key']}")
    if not info["logs"]:
        click.echo("follows no log yet (`evanchor witness add-log VKEY`)")
    for entry in info["logs"]:
        latest = entry["latest"]
        seen = (
            "nothing cosigned yet"
            if latest is None
            else f"cosigned size {latest['size']} at {_utc(latest['timestamp'])}"
        )
        refused = f"; {entry['refused']} refused" if entry["refused"] else ""
        click.echo(f"log {entry['origin']}: {seen}{refused}")


COMMANDS = (witness,)
