"""`evanchor node start|status`: run the node daemon, and ask it (or its folder) how it is."""

from __future__ import annotations

import asyncio
from typing import Any

import click

from evanchor.cli.log_config import LogFormat, configure_logging
from evanchor.cli.output import echo_json
from evanchor.cli.password_options import password_options
from evanchor.node.daemon.compose import Composition
from evanchor.node.daemon.home import NodeHome
from evanchor.node.daemon.passwords import PasswordOptions, require_password
from evanchor.node.daemon.reach import reach
from evanchor.node.daemon.run import Addresses, run_node
from evanchor.node.daemon.status import HealthStatus


@click.group()
def node() -> None:
    """Run the node daemon and ask for its status."""


@node.command()
@password_options()
@click.option("--api-port", type=click.IntRange(0, 65535), help="Override the API port.")
@click.option("--rpc-port", type=click.IntRange(0, 65535), help="Override the JSON-RPC port.")
@click.option(
    "--log-format",
    type=click.Choice([f.value for f in LogFormat]),
    default=LogFormat.TEXT.value,
    show_default=True,
    help="Log lines for people (text) or one JSON object per line (json), on stderr.",
)
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    default="INFO",
    show_default=True,
)
@click.pass_obj
def start(
    home: NodeHome,
    *,
    password_options: PasswordOptions,
    api_port: int | None,
    rpc_port: int | None,
    log_format: str,
    log_level: str,
) -> None:
    """Run the node in the foreground until interrupted (SIGINT or SIGTERM).

    An anchoring node unlocks its keys first (see --password-file for where the password
    comes from): a missing or wrong password is one line before anything starts. Every
    seal, anchoring step and error is logged once on stderr; metrics are served at the
    API's /metrics.
    """
    configure_logging(LogFormat(log_format), log_level)
    has_chain = home.config().chain is not None
    password = None
    if has_chain:
        password = require_password(
            password_options, home.generated_password, needed_for=f"keystore {home.node_keystore}"
        )
    composition = Composition(home, password)
    if has_chain:
        composition.unlock()

    def ready(addresses: Addresses) -> None:
        click.echo(f"evanchor node serving its API at {addresses.api}", err=True)
        if addresses.rpc is not None:
            click.echo(f"chain JSON-RPC at {addresses.rpc}", err=True)

    asyncio.run(
        run_node(
            home,
            password=password,
            make_service=composition.make_service,
            make_anchorer=composition.make_anchorer if has_chain else None,
            api_port=api_port,
            rpc_port=rpc_port,
            on_ready=ready,
        )
    )


def _echo_witnessing(witnessing: dict[str, Any]) -> None:
    """The log key, the policy for the latest checkpoint, outages, and refusals loudly."""
    if witnessing["log_key"] is None:
        click.echo("log key: none (`evanchor log key --generate`); checkpoints are not signed")
        return
    click.echo(f"log key: {witnessing['log_key']}")
    if not witnessing["witnesses"]:
        click.echo("witnesses: none configured (`evanchor log witness add`)")
        return
    latest = witnessing["latest"]
    state = "no signed checkpoint yet"
    if latest is not None:
        met = "met" if latest["policy_met"] else "NOT MET"
        state = (
            f"checkpoint {latest['seq']} (size {latest['size']}) cosigned by"
            f" {len(latest['cosigned_by'])}: policy {witnessing['quorum']} of"
            f" {len(witnessing['witnesses'])} {met}"
        )
    click.echo(f"witnesses: {state}")
    for witness in witnessing["witnesses"]:
        if witness["unreachable_since"]:
            click.echo(
                f"  witness {witness['name']} unreachable since {witness['unreachable_since']}:"
                f" {witness['last_error']}"
            )
    for refusal in witnessing["refusals"]:
        what = "SPLIT VIEW" if refusal["split_view"] else "REFUSED"
        click.echo(
            f"  WITNESS {what}: {refusal['witness']} refused checkpoint {refusal['seq']}"
            f" (HTTP {refusal['status']}, {refusal['kind']}): {refusal['reason']}",
            err=True,
        )


@node.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def status(home: NodeHome, as_json: bool) -> None:
    """Log, anchoring and anchor delay: from the running node, else from its folder.

    Exits 1 when the node's log store has failed a write and no longer acknowledges
    records (free the space, then restart the node).
    """
    with reach(home) as node:
        info = {**node.status(), "running": node.running}
    health = info.get("health") or {"status": HealthStatus.OK, "reason": None}
    if as_json:
        echo_json(info)
    else:
        _print_status(home, info, health)
    if health["status"] != HealthStatus.OK:
        raise click.exceptions.Exit(1)


def _print_status(home: NodeHome, info: dict[str, Any], health: dict[str, Any]) -> None:
    log = info["log"]
    click.echo(f"node {'running' if info['running'] else 'stopped'}: {home.path}")
    if health["status"] != HealthStatus.OK:
        click.echo(f"NOT ACKNOWLEDGING RECORDS: {health['reason']}")
    click.echo(
        f"log: {log['records']} records, {log['checkpoints']} checkpoints"
        f" ({log['size']} leaves with the checkpoints' seal leaves)"
    )
    click.echo(f"unsealed records: {log['unsealed']}")
    anchoring = info["anchoring"]
    pending = anchoring.get("pending_count", len(anchoring["pending_checkpoints"]))
    click.echo(f"checkpoints waiting to be anchored: {pending}")
    delay = info["anchoring"].get("anchor_delay_seconds")
    if delay:
        click.echo(
            f"anchor delay (accepted -> anchored): p50 <= {delay['p50']:.1f} s,"
            f" p99 <= {delay['p99']:.1f} s, max {delay['max']:.1f} s"
            f" over {int(delay['count'])} records"
        )
    held_up = info["anchoring"].get("last_error")
    if held_up:
        click.echo(
            f"anchoring held up since {held_up['at']}: {held_up['stage']}: {held_up['error']}"
        )
    if info.get("chain"):
        chain = info["chain"]
        click.echo(f"chain {chain['chain_id']} ({chain['mode']}), contract {chain['contract']}")
    if "witnessing" in info:
        _echo_witnessing(info["witnessing"])


COMMANDS = (node,)
