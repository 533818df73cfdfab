"""`evanchor compliance`: rate agencies against a rule set, from the log or from bundles.

`report` reads every record of the node's log (from the folder, or beside a running node
page by page through its API: `node/daemon/reach.py`), or the records of proof bundles,
each verified first, and writes the report as text, JSON, CSV or a self-contained HTML
page with the flagged records' bundles beside it. `rules` shows a rule set and its digest.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import click

from evanchor.anchor.compliance.bundles import BundleSet, read_bundles
from evanchor.anchor.compliance.html import render_html
from evanchor.anchor.compliance.render import render_csv, render_text
from evanchor.anchor.compliance.report import (
    ComplianceReport,
    Period,
    Source,
    SourceKind,
    build_report,
)
from evanchor.anchor.compliance.rules import (
    LANGUAGES,
    Lang,
    RuleSet,
    default_rule_set,
    default_rule_set_text,
    load_rule_set,
)
from evanchor.anchor.protocol.bundle_format import ProofBundle
from evanchor.anchor.protocol.uscc import uscc_problem
from evanchor.cli.output import echo_json
from evanchor.node.daemon.home import NodeHome
from evanchor.node.daemon.reach import reach

BUNDLE_FOLDER_SUFFIX = ".bundles"
"""An HTML report `X.html` links to the flagged records' bundles in folder `X.bundles/`."""


@click.group()
def compliance() -> None:
    """Rate agencies against a compliance rule set (docs/COMPLIANCE.md)."""


def _rules(path: Path | None) -> RuleSet:
    return default_rule_set() if path is None else load_rule_set(path)


def _day(value: datetime | None) -> date | None:
    return None if value is None else value.date()


@compliance.command()
@click.option("--agency", metavar="CODE", help="Only this agency (Unified Social Credit Code).")
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), help="First local date.")
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), help="Last local date.")
@click.option(
    "--rules",
    "rules_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Rule-set file (TOML); default: the rule set shipped with evanchor.",
)
@click.option("--json", "output_format", flag_value="json", help="JSON report.")
@click.option("--csv", "output_format", flag_value="csv", help="CSV, one row per flag.")
@click.option("--html", "output_format", flag_value="html", help="HTML page (needs -o).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--bundles",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Report from these bundle files or folders of them (repeatable), not the log.",
)
@click.option("--rpc", "rpc_url", metavar="URL", help="With --bundles: check anchors with it.")
@click.option("--lang", type=click.Choice(LANGUAGES), default="zh-CN", show_default=True)
@click.pass_obj
def report(
    home: NodeHome,
    *,
    agency: str | None,
    date_from: datetime | None,
    date_to: datetime | None,
    rules_file: Path | None,
    output_format: str | None,
    output: Path | None,
    bundles: Sequence[Path],
    rpc_url: str | None,
    lang: Lang,
) -> None:
    """Per agency: records, flags per rule, points and a red/yellow/green rating.

    From the node's log (beside a running node, through its API), or with --bundles from
    proof bundles alone: each is verified first and only verified records count. The same
    records give the same flags either way. Dates are the debtor's local dates.
    """
    if agency is not None and (problem := uscc_problem(agency)) is not None:
        raise click.BadParameter(
            f"not a valid Unified Social Credit Code: {problem}", param_hint="--agency"
        )
    period = Period(_day(date_from), _day(date_to))
    if period.start is not None and period.end is not None and period.start > period.end:
        raise click.BadParameter("--from is after --to", param_hint="--from")
    if output_format == "html" and output is None:
        raise click.UsageError("--html needs -o FILE (the bundles are written beside it)")
    if rpc_url is not None and not bundles:
        raise click.UsageError("--rpc checks bundles' anchors: give --bundles too")
    rules = _rules(rules_file)
    generated_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    want_bundles = output_format == "html"
    if bundles:
        built, flagged_bundles = _from_bundles(bundles, rules, period, agency, rpc_url)
    else:
        built, flagged_bundles = _from_log(home, rules, period, agency, want_bundles)
    links: dict[str, str] = {}
    if want_bundles:
        assert output is not None
        links = _write_bundles(output, flagged_bundles)
    if output_format is None:
        click.echo(render_text(built, lang))
        return
    if output_format == "json":
        document = built.as_json(lang, generated_at=generated_at, bundle_links=links)
        text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    elif output_format == "csv":
        text = render_csv(built, lang, links)
    else:
        text = render_html(built, lang, generated_at=generated_at, bundle_links=links)
    if output is None:
        click.echo(text, nl=False)
        return
    _write_atomically(output, text)
    ratings = ", ".join(f"{s.agency} {s.rating}" for s in built.agencies) or "no agency"
    click.echo(f"wrote {output} ({len(built.flags)} flag(s); {ratings})")


def _from_bundles(
    paths: Sequence[Path], rules: RuleSet, period: Period, agency: str | None, rpc_url: str | None
) -> tuple[ComplianceReport, dict[str, ProofBundle]]:
    w3 = None
    if rpc_url is not None:
        from evanchor.anchor.ethereum import client as cc  # noqa: PLC0415 - chain side, on demand

        w3 = cc.web3_for(rpc_url)
    found: BundleSet = read_bundles(paths, w3=w3)
    source = Source(
        SourceKind.BUNDLES, ", ".join(str(p) for p in paths), log=found.log, files=found.files
    )
    built = build_report(
        found.records,
        rules,
        source=source,
        period=period,
        agency=agency,
        not_counted=found.not_counted,
    )
    flagged = {flag.record.record_id for flag in built.flags}
    return built, {rid: bundle for rid, bundle in found.bundles.items() if rid in flagged}


def _from_log(
    home: NodeHome, rules: RuleSet, period: Period, agency: str | None, want_bundles: bool
) -> tuple[ComplianceReport, dict[str, ProofBundle]]:
    """The report of the log's records: read here, or beside a running node through its
    API (`reach`), by the same engine either way."""
    config = home.config()
    with reach(home) as node:
        records, not_counted = node.compliance_records()
        chain = config.chain
        log = (
            None
            if chain is None
            else (f"chain {chain.chain_id} contract {chain.contract} writer {chain.writer}")
        )
        source = Source(SourceKind.LOG, str(home.log_path), log=log)
        built = build_report(
            records, rules, source=source, period=period, agency=agency, not_counted=not_counted
        )
        bundles: dict[str, ProofBundle] = {}
        if want_bundles:
            for flag in built.flags:
                logged = built.records[flag.record.leaf_index]
                bundle = node.report_bundle(logged)
                if bundle is not None:
                    bundles[logged.record_id] = bundle
    return built, bundles


def _write_bundles(output: Path, bundles: dict[str, ProofBundle]) -> dict[str, str]:
    """Write each bundle as `<output stem>.bundles/<record id>.json`; return the relative
    links. The folder is replaced whole: it holds exactly this report's bundles."""
    folder_name = output.stem + BUNDLE_FOLDER_SUFFIX
    folder = output.parent / folder_name
    staging = Path(tempfile.mkdtemp(prefix=f".{folder_name}.", dir=output.parent))
    for record_id, bundle in sorted(bundles.items()):
        text = json.dumps(bundle.as_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        (staging / f"{record_id}.json").write_text(text, encoding="utf-8")
    if folder.exists():
        shutil.rmtree(folder)
    staging.rename(folder)
    return {record_id: f"{folder_name}/{record_id}.json" for record_id in bundles}


def _write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` whole or not at all (a temporary file renamed over it)."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@compliance.command()
@click.option(
    "--rules",
    "rules_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Rule-set file (TOML); default: the rule set shipped with evanchor.",
)
@click.option("--json", "as_json", is_flag=True, help="The normalised rule set and its digest.")
@click.option("--default-toml", is_flag=True, help="Print the shipped rule-set file.")
@click.option("--lang", type=click.Choice(LANGUAGES), default="zh-CN", show_default=True)
def rules(rules_file: Path | None, as_json: bool, default_toml: bool, lang: Lang) -> None:
    """Check a rule set and show its rules and digest (SHA-256 of its normalised JCS form)."""
    if default_toml:
        click.echo(default_rule_set_text(), nl=False)
        return
    rule_set = _rules(rules_file)
    if as_json:
        echo_json({"digest": rule_set.digest, "rule_set": rule_set.normalised()})
        return
    click.echo(f"{rule_set.title.text(lang)}: {rule_set.id} {rule_set.version}")
    click.echo(f"digest {rule_set.digest}")
    click.echo(
        f"rating: yellow from {rule_set.rating.yellow_points} points,"
        f" red from {rule_set.rating.red_points}"
    )
    for rule in rule_set.rules:
        click.echo(
            f"  {rule.id} v{rule.version} {rule.kind}, {rule.points} point(s):"
            f" {rule.title.text(lang)}"
        )


COMMANDS = (compliance,)
