"""Commands that hand out and check proofs: prove, case prove, verify."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from evanchor.anchor.bundle import CASE_BUNDLE_FORMAT, build_bundle, build_case_bundle
from evanchor.anchor.bundle_verify import Report, verify_bundle, verify_case_bundle
from evanchor.anchor.home import NodeHome
from evanchor.anchor.jsonin import parse_json_object
from evanchor.cli.output import echo_json

MAX_BUNDLE_BYTES = 64 * 1024 * 1024
"""Largest bundle file `verify` reads: a case bundle of many records stays far below it."""


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


@click.command()
@click.argument("record_id")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the bundle.",
)
@click.pass_obj
def prove(home: NodeHome, record_id: str, output: Path) -> None:
    """Write the proof bundle of RECORD_ID (or a unique prefix of at least 8 hex digits)."""
    with home.open_log() as store:
        full_id = store.find_record_id(record_id)
        index = store.index_of(full_id)
        assert index is not None
        bundle = build_bundle(store, index)
    _write_json(output, bundle)
    click.echo(f"wrote proof bundle for record {full_id.hex()} (leaf {index}) to {output}")


@click.group()
def case() -> None:
    """Work with a case's chain of records."""


@case.command("prove")
@click.argument("case_key")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the case bundle.",
)
@click.pass_obj
def case_prove(home: NodeHome, case_key: str, output: Path) -> None:
    """Write every sealed record of CASE_KEY (e.g. collection/C-1) with proofs and links."""
    with home.open_log() as store:
        bundle = build_case_bundle(store, case_key)
    _write_json(output, bundle)
    click.echo(f"wrote {len(bundle['records'])} record(s) of case {case_key} to {output}")


def _print_report(report: Report) -> None:
    for step in report.steps:
        mark = {"ok": "ok  ", "failed": "FAIL", "skipped": "--  "}[step.status]
        click.echo(f"  [{mark}] {step.name}: {step.detail}")
    click.echo(report.summary)


@click.command()
@click.argument("bundle_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def verify(bundle_file: Path, as_json: bool) -> None:
    """Check a proof bundle (or case bundle) offline: every hash recomputed."""
    raw = bundle_file.read_bytes()
    bundle = parse_json_object(raw, source=bundle_file.name, limit=MAX_BUNDLE_BYTES)
    if bundle.get("format") == CASE_BUNDLE_FORMAT:
        report = verify_case_bundle(bundle)
    else:
        report = verify_bundle(bundle)
    if as_json:
        echo_json(report.as_json())
    else:
        _print_report(report)
    if not report.ok:
        raise click.exceptions.Exit(1)


COMMANDS = (prove, case, verify)
