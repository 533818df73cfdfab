"""`evanchor log key` and `evanchor log witness add|remove|list|policy`: the node's log key
and the witnesses it asks to cosign its checkpoints (docs/WITNESS.md).

Witness settings live in config.toml (`[witnessing]`); a running node reads them when it starts.
"""

from __future__ import annotations

import click
from pydantic import ValidationError

from evanchor.cli.output import echo_json
from evanchor.node.daemon.home import NodeHome, WitnessEndpoint, WitnessPolicy


@click.command()
@click.option("--generate", is_flag=True, help="Create the log key if this folder has none.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def key(home: NodeHome, generate: bool, as_json: bool) -> None:
    """Print the log's verifier key: what a witness (`evanchor witness add-log`) and a
    court need to check this log's signed checkpoints."""
    signer = home.log_signer()
    if signer is None:
        if not generate:
            raise click.ClickException(
                f"{home.path} has no log key (folders made before signed checkpoints):"
                " `evanchor log key --generate` creates one"
            )
        signer = home.create_log_key(home.config())
        click.echo(f"created {home.log_key_path} (mode 0600)", err=True)
    if as_json:
        echo_json({"origin": signer.name, "verifier_key": str(signer.verifier)})
        return
    click.echo(str(signer.verifier))


def _update(home: NodeHome, policy: WitnessPolicy) -> None:
    home.write_config(home.config().model_copy(update={"witnessing": policy}))


def _policy(home: NodeHome, **changes: object) -> WitnessPolicy:
    """The current policy with `changes`, validated (quorum within the witnesses, ...)."""
    current = home.config().witnessing
    try:
        return WitnessPolicy.model_validate({**dict(current), **changes})
    except ValidationError as error:
        first = error.errors()[0]
        raise click.UsageError(first["msg"].removeprefix("Value error, ")) from None


@click.group()
def witness() -> None:
    """The witnesses this node asks to cosign each checkpoint, and the k-of-n policy."""


@witness.command("add")
@click.argument("vkey")
@click.option("--url", required=True, help="The witness's tlog-witness URL (its prefix).")
@click.pass_obj
def add(home: NodeHome, vkey: str, url: str) -> None:
    """Ask the witness of cosignature key VKEY (its `witness status` prints it) at URL."""
    try:
        endpoint = WitnessEndpoint(url=url, vkey=vkey)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        raise click.BadParameter(f"{where}: {message}", param_hint="VKEY/--url") from None
    current = home.config().witnessing
    others = tuple(w for w in current.witnesses if w.name != endpoint.name)
    _update(home, _policy(home, witnesses=(*others, endpoint)))
    click.echo(f"witness {endpoint.name} at {url} added (used from the next start of the node)")


@witness.command("remove")
@click.argument("name")
@click.pass_obj
def remove(home: NodeHome, name: str) -> None:
    """Stop asking the witness NAME."""
    current = home.config().witnessing
    kept = tuple(w for w in current.witnesses if w.name != name)
    if len(kept) == len(current.witnesses):
        raise click.BadParameter(f"no witness named {name!r}", param_hint="NAME")
    _update(home, _policy(home, witnesses=kept, quorum=min(current.quorum, len(kept))))
    click.echo(f"witness {name} removed")


@witness.command("policy")
@click.argument("quorum", type=click.IntRange(min=0))
@click.option("--retry-max", type=click.FloatRange(min=0, min_open=True), help="Seconds.")
@click.pass_obj
def policy(home: NodeHome, quorum: int, retry_max: float | None) -> None:
    """Require QUORUM cosignatures (k of the n witnesses) for a checkpoint to count as
    witnessed."""
    changes: dict[str, object] = {"quorum": quorum}
    if retry_max is not None:
        changes["retry_max_seconds"] = retry_max
    updated = _policy(home, **changes)
    _update(home, updated)
    click.echo(f"witness policy: {updated.quorum} of {len(updated.witnesses)}")


@witness.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def list_witnesses(home: NodeHome, as_json: bool) -> None:
    """The configured witnesses and the policy."""
    current = home.config().witnessing
    if as_json:
        echo_json(current.model_dump(mode="json"))
        return
    click.echo(f"policy: {current.quorum} of {len(current.witnesses)} witnesses")
    for endpoint in current.witnesses:
        click.echo(f"{endpoint.name} {endpoint.url} {endpoint.vkey}")
