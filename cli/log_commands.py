"""Commands that write to and describe the log: submit, seal, log status, schema."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm

from evanchor.anchor.home import NodeHome
from evanchor.anchor.ingest import prepare_record
from evanchor.anchor.input_errors import InputError
from evanchor.anchor.jsonin import read_json_or_jsonl
from evanchor.anchor.records import RecordKind, record_json_schema
from evanchor.anchor.store import LogStore, PreparedRecord, Receipt
from evanchor.cli.output import echo_json

APPEND_BATCH = 10_000
"""Records per synced write batch: large enough that fsync is not the bottleneck, small
enough that a crash loses at most one unacknowledged batch and memory stays bounded."""
PROGRESS_MIN_BYTES = 4 * 1024 * 1024
"""Files at least this large get a progress bar (on a terminal)."""


def _read_records(path: Path) -> tuple[list[PreparedRecord], list[InputError]]:
    good: list[PreparedRecord] = []
    bad: list[InputError] = []
    size = path.stat().st_size
    show = size >= PROGRESS_MIN_BYTES and sys.stderr.isatty()
    with tqdm(total=size, unit="B", unit_scale=True, disable=not show, file=sys.stderr) as bar:
        for position, item in read_json_or_jsonl(path, progress=bar.update):
            if isinstance(item, InputError):
                bad.append(item)
                continue
            try:
                good.append(prepare_record(item))
            except InputError as error:
                if path.suffix.lower() == ".jsonl":
                    bad.append(error.located(source=path.name, line=position))
                else:
                    bad.append(error.located(source=path.name, item=position))
    return good, bad


def _maybe_seal(home: NodeHome, store: LogStore) -> dict[str, Any] | None:
    unsealed, oldest = store.unsealed()
    if home.config().seal_policy.due(unsealed, oldest, datetime.now(UTC)):
        checkpoint = store.seal()
        return None if checkpoint is None else checkpoint.as_json()
    return None


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--skip-invalid", is_flag=True, help="Append the valid records, report the rest.")
@click.option("--json", "as_json", is_flag=True, help="Print receipts as JSON.")
@click.pass_obj
def submit(home: NodeHome, file: Path, skip_invalid: bool, as_json: bool) -> None:
    """Validate and append the records of FILE (.json or .jsonl).

    All or nothing by default: if any record is invalid, every bad line is reported and
    nothing is written. Resubmitting a record already in the log returns its first receipt.
    """
    with home.open_log() as store:
        try:
            good, bad = _read_records(file)
        except OSError as error:
            raise click.ClickException(f"{file}: {error.strerror or error}") from None
        for fault in bad:
            click.echo(f"error: {fault}", err=True)
        if bad and not skip_invalid:
            raise click.ClickException(
                f"{len(bad)} invalid record(s) in {file.name}; nothing was written"
                " (use --skip-invalid to append the valid ones)"
            )
        receipts: list[Receipt] = []
        for start in range(0, len(good), APPEND_BATCH):
            receipts += store.append(good[start : start + APPEND_BATCH])
        sealed = _maybe_seal(home, store)
        size = store.size
    if as_json:
        echo_json(
            {
                "receipts": [r.as_json() for r in receipts],
                "skipped": len(bad),
                "log_size": size,
                "sealed": sealed,
            }
        )
        return
    new = [r for r in receipts if not r.duplicate]
    click.echo(
        f"appended {len(new)} record(s), {len(receipts) - len(new)} already in the log"
        + (f", skipped {len(bad)} invalid" if bad else "")
        + f"; log size {size}"
    )
    for receipt in receipts[:20]:
        state = "duplicate" if receipt.duplicate else "accepted"
        click.echo(f"  {receipt.record_id.hex()}  index {receipt.index}  {state}")
    if len(receipts) > 20:
        click.echo(f"  … and {len(receipts) - 20} more (use --json for all)")
    if sealed:
        click.echo(f"sealed checkpoint {sealed['seq']} at size {sealed['size']}")


@click.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def seal(home: NodeHome, as_json: bool) -> None:
    """Seal a checkpoint of the log now (if anything is new since the last one)."""
    with home.open_log() as store:
        checkpoint = store.seal()
        size = store.size
    if as_json:
        echo_json({"sealed": None if checkpoint is None else checkpoint.as_json()})
    elif checkpoint is None:
        click.echo(f"nothing to seal: the latest checkpoint already covers all {size} records")
    else:
        click.echo(
            f"sealed checkpoint {checkpoint.seq}: size {checkpoint.size},"
            f" root {checkpoint.root.hex()}"
        )


@click.group()
def log() -> None:
    """Inspect the evidence log."""


@log.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def status(home: NodeHome, as_json: bool) -> None:
    """Size, root, checkpoints and what is waiting to be sealed."""
    with home.open_log() as store:
        latest = store.latest_checkpoint()
        unsealed, oldest = store.unsealed()
        info = {
            "home": str(home.path),
            "size": store.size,
            "root": store.root().hex(),
            "checkpoints": store.checkpoint_count,
            "latest_checkpoint": None if latest is None else latest.as_json(),
            "unsealed": unsealed,
            "oldest_unsealed_at": None if oldest is None else oldest.isoformat(),
            "seal_policy": home.config().as_json()["seal_policy"],
        }
    if as_json:
        echo_json(info)
        return
    click.echo(f"log {info['home']}: {info['size']} records, root {info['root']}")
    if latest is None:
        click.echo("no checkpoint sealed yet")
    else:
        click.echo(f"latest checkpoint {latest.seq}: size {latest.size}, sealed {latest.sealed_at}")
    click.echo(f"unsealed records: {unsealed}")


@click.command()
@click.argument("kind", type=click.Choice(["checkpoint", "auction"]))
def schema(kind: str) -> None:
    """Print the JSON Schema of a record kind (collection checkpoint or auction record)."""
    name: RecordKind = "collection_checkpoint" if kind == "checkpoint" else "auction_record"
    click.echo(json.dumps(record_json_schema(name), indent=2))


COMMANDS = (submit, seal, log, schema)
