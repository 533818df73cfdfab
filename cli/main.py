"""The `evanchor` command group: parse, call the library, print."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from evanchor.anchor.errors import EvanchorError
from evanchor.anchor.protocol.checkpoint import SealPolicy
from evanchor.cli.options import hoist_option
from evanchor.cli.password_options import password_options
from evanchor.node.chain.chain_ids import DEFAULT_CHAIN_ID, MAX_CHAIN_ID
from evanchor.node.daemon.home import (
    DEFAULT_API_PORT,
    DEFAULT_HOME,
    DEFAULT_RPC_PORT,
    ApiConfig,
    NodeConfig,
    NodeHome,
    SealPolicyConfig,
)
from evanchor.node.daemon.passwords import PasswordOptions, find_password, require_password


@dataclass(frozen=True)
class LazyCommand:
    """Where a command is defined (`module:name`) and its one-line summary for `--help`."""

    target: str
    summary: str


SUBCOMMANDS = {
    "submit": LazyCommand(
        "evanchor.cli.log_commands:submit",
        "Validate, sign and submit the records of FILE (.json or .jsonl).",
    ),
    "sign": LazyCommand(
        "evanchor.cli.log_commands:sign",
        "Sign the records of FILE for this node's chain into a JSONL of signed envelopes.",
    ),
    "seal": LazyCommand(
        "evanchor.cli.log_commands:seal",
        "Seal a checkpoint of the log now (if anything is new since the last one); beside a"
        " running node, the node seals (as the operator, with the folder's token).",
    ),
    "shred": LazyCommand(
        "evanchor.cli.log_commands:shred",
        "Crypto-shred RECORD_ID (or a unique prefix of at least 8 hex digits): delete its"
        " text, salt and id from the log, keep its leaf and leave a tombstone.",
    ),
    "log": LazyCommand(
        "evanchor.cli.log_commands:log", "Inspect the evidence log; its key and witnesses."
    ),
    "schema": LazyCommand(
        "evanchor.cli.log_commands:schema",
        "Print the JSON Schema of a record kind (collection checkpoint or auction record).",
    ),
    "prove": LazyCommand(
        "evanchor.cli.proof_commands:prove",
        "Write the proof bundle of RECORD_ID (or a unique prefix of at least 8 hex digits).",
    ),
    "case": LazyCommand("evanchor.cli.proof_commands:case", "Work with a case's chain of records."),
    "verify": LazyCommand(
        "evanchor.cli.proof_commands:verify",
        "Check a proof bundle (or case bundle): every hash recomputed, step by step.",
    ),
    "certificate": LazyCommand(
        "evanchor.cli.certificate_commands:certificate",
        "Write the evidence certificate (存证证书) of BUNDLE_FILE as an A4 PDF.",
    ),
    "verify-page": LazyCommand(
        "evanchor.cli.page_commands:verify_page",
        "Write the verification page: one HTML file that verifies bundles in the browser.",
    ),
    "node": LazyCommand(
        "evanchor.cli.node_commands:node", "Run the node daemon and ask for its status."
    ),
    "agency": LazyCommand(
        "evanchor.cli.agency_commands:agency",
        "Agency signing keys and their registration with the node's contract.",
    ),
    "audit": LazyCommand(
        "evanchor.cli.audit_commands:audit",
        "Re-execute the chain and recompute the log; print every discrepancy (exit 1 if any).",
    ),
    "compliance": LazyCommand(
        "evanchor.cli.compliance_commands:compliance",
        "Rate agencies against a compliance rule set (docs/COMPLIANCE.md).",
    ),
    "chain": LazyCommand(
        "evanchor.cli.chain_commands:chain",
        "The embedded permissioned chain (py-evm, Clique proof of authority, LevelDB).",
    ),
    "witness": LazyCommand(
        "evanchor.cli.witness_commands:witness",
        "Run an independent witness that cosigns consistent checkpoints (C2SP tlog-witness).",
    ),
}
"""Command name -> where it is defined, and its summary. Modules are imported only for the
command that runs, and `evanchor --help` imports none of them: web3, eth-account, py-evm,
reportlab and matplotlib take seconds to import on a loaded machine, which a `verify` or a
log-only `submit` should not pay. tests/cli/test_help.py holds each summary to the first
line of its command's docstring."""


class EvanchorGroup(click.Group):
    """Commands load on first use; any `EvanchorError` becomes one line and exit status 1;
    `--home` is read before or after the subcommand (`options.hoist_option`)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_option(args, "--home"))

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *SUBCOMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in SUBCOMMANDS:
            module, name = SUBCOMMANDS[cmd_name].target.split(":")
            command: click.Command = getattr(importlib.import_module(module), name)
            return command
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of `--help`, from the summaries: no command module is imported."""
        rows: list[tuple[str, str]] = []
        for name in self.list_commands(ctx):
            if name in SUBCOMMANDS:
                rows.append((name, SUBCOMMANDS[name].summary))
                continue
            command = super().get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str()))
        if rows:
            limit = formatter.width - 6 - max(len(name) for name, _ in rows)
            with formatter.section("Commands"):
                formatter.write_dl([(name, _shortened(text, limit)) for name, text in rows])

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EvanchorError as error:
            raise click.ClickException(str(error)) from error


def _shortened(text: str, limit: int) -> str:
    """`text` cut at a word to at most `limit` characters, as click shortens a short help."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 3, 1)].rsplit(" ", 1)[0].rstrip(" ,;:") + "..."


@click.group(cls=EvanchorGroup)
@click.version_option(package_name="evanchor")
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_HOME,
    show_default=True,
    envvar="EVANCHOR_HOME",
    help="The node folder (also EVANCHOR_HOME); before or after the command.",
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
@password_options(creating=True)
@click.option("--chain-id", type=click.IntRange(1, MAX_CHAIN_ID), default=DEFAULT_CHAIN_ID)
@click.option("--rpc-port", type=click.IntRange(1, 65535), default=DEFAULT_RPC_PORT)
@click.option("--api-port", type=click.IntRange(1, 65535), default=DEFAULT_API_PORT)
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
    password_options: PasswordOptions,
    chain_id: int,
    rpc_port: int,
    api_port: int,
    confirmations: int,
) -> None:
    """Create a node folder: log, keys, and (unless --log-only) the chain and contract."""
    config = NodeConfig(
        seal_policy=SealPolicyConfig(max_records=seal_every, max_seconds=float(seal_after)),
        api=ApiConfig(port=api_port),
    )
    from evanchor.node.daemon.provision import (  # noqa: PLC0415 - chain side, see SUBCOMMANDS
        provision_embedded,
        provision_external,
    )

    if log_only:
        home.initialise(config)
        click.echo(f"initialised log-only node folder {home.path}")
        click.echo(f"operator token for the HTTP API in {home.api_token_path} (mode 0600)")
        return
    if rpc_url is not None:
        if key_file is None:
            raise click.UsageError("--rpc needs --key-file (the node's funded account)")
        password = require_password(password_options, None, needed_for=f"keystore {key_file}")
        done = provision_external(
            home,
            config,
            rpc_url=rpc_url,
            key_file=key_file,
            password=password,
            contract=contract,
            confirmations=confirmations,
        )
    else:
        done = provision_embedded(
            home,
            config,
            chain_id=chain_id,
            rpc_port=rpc_port,
            password=find_password(password_options, None, needed_for="the new keystores"),
            confirmations=confirmations,
        )
    chain = done.config.chain
    assert chain is not None
    click.echo(f"initialised node folder {home.path}")
    click.echo(f"chain {chain.chain_id} ({chain.mode}) at {chain.rpc_url}")
    click.echo(f"contract {chain.contract}, writer {chain.writer}")
    click.echo(f"operator token for the HTTP API in {home.api_token_path} (mode 0600)")
    if done.generated_password:
        click.echo(
            f"keystore password generated in {home.generated_password} (mode 0600): it sits"
            " beside the keys it unlocks; in production keep it elsewhere (docs/OPERATOR.md §14)"
        )


def main() -> None:
    """Console entry point."""
    cli()
