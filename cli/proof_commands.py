"""Commands that hand out and check proofs: prove, case prove, verify."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import click
from click.core import ParameterSource

from evanchor.anchor.log.bundle import CASE_BUNDLE_FORMAT
from evanchor.anchor.protocol.errors import NoteKeyInvalid
from evanchor.anchor.protocol.jsonin import parse_json_object
from evanchor.anchor.protocol.note import VerifierKey, parse_verifier_key
from evanchor.anchor.report.language import Lang
from evanchor.anchor.report.statements import ChainSource, ChainSourceKind
from evanchor.anchor.report.summary import Summary, summarize
from evanchor.anchor.verify.bundle import verify_bundle
from evanchor.anchor.verify.case_bundle import verify_case_bundle
from evanchor.anchor.verify.checkpoint_note import WitnessTrust, WitnessTrustInvalid, witness_trust
from evanchor.anchor.verify.report import Outcome, Report, StepStatus
from evanchor.cli.key_options import read_key_options
from evanchor.cli.output import echo_json
from evanchor.node.daemon.home import NodeHome
from evanchor.node.daemon.reach import reach

# The chain side (web3, py-evm: seconds of imports on a loaded machine) is imported where a
# command reaches a chain: an offline `verify`, and a `prove` whose anchor evidence is kept,
# reach none (benchmarks/one_record_commands.py).

MAX_BUNDLE_BYTES = 64 * 1024 * 1024
"""Largest bundle file `verify` reads: a case bundle of many records stays far below it."""


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


@dataclass(frozen=True)
class NodeRead:
    """Where a read goes when it goes to a running node: `node_url` (else the node of the
    folder), signed with the agency key `key_file` (else the folder's operator token)."""

    node_url: str | None = None
    key_file: Path | None = None
    key_password_file: Path | None = None

    @property
    def asked(self) -> bool:
        """The user named a node or a key: ask the node, never the log directly."""
        return self.node_url is not None or self.key_file is not None


def _from_node(home: NodeHome, api_path: str, read: NodeRead) -> dict[str, Any]:
    """GET `api_path` from the running node: signed with the agency's key when one is given
    (node/daemon/access.py: the node serves the agency its own records), else with the
    operator token this folder holds (it reads everything)."""
    from evanchor.node.daemon.client import get_json  # noqa: PLC0415 - requests, see imports

    if read.node_url is not None:
        api_url = read.node_url.rstrip("/")
    elif home.config_path.exists() or home.legacy_config_path.exists():
        api_url = home.config().api.url
    else:
        raise click.UsageError(
            f"no node folder at {home.path}: give the node's API with --node URL"
        )
    path = quote(api_path)  # as sent: the signature covers the request target byte for byte
    if read.key_file is None:
        token = None if read.node_url is not None else home.read_operator_token()
        bundle: dict[str, Any] = get_json(api_url, path, token=token)
        return bundle
    from evanchor.anchor.protocol.signing import SigningDomain  # noqa: PLC0415
    from evanchor.cli.key_options import agency_key  # noqa: PLC0415 - eth-keys, see imports
    from evanchor.node.daemon.access import signed_request_headers  # noqa: PLC0415

    key = agency_key(read.key_file, read.key_password_file)
    chain = get_json(api_url, "/v1/status").get("chain")
    if chain is None:
        raise click.UsageError(
            f"the node at {api_url} is log-only: it takes no signed requests (it has no agency"
            " registry); its operator reads with the token"
        )
    domain = SigningDomain(int(chain["chain_id"]), str(chain["contract"]))
    headers = signed_request_headers(key, domain, "GET", path)
    signed: dict[str, Any] = get_json(api_url, path, headers=headers)
    return signed


@click.command()
@click.argument("record_id")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the bundle.",
)
@read_key_options
@click.pass_obj
def prove(
    home: NodeHome,
    record_id: str,
    output: Path,
    *,
    node_url: str | None,
    key_file: Path | None,
    key_password_file: Path | None,
) -> None:
    """Write the proof bundle of RECORD_ID (or a unique prefix of at least 8 hex digits).

    On an anchoring node the bundle is proven against the earliest anchored checkpoint that
    holds the record, with the chain evidence; on a log-only node, against the first seal
    that holds it. From the log when no node runs; beside a running node, the node builds it
    (as the operator, with this folder's token). With --node or --key it is always asked of a
    node: with --key the request is signed with the agency's key, and the node serves the
    agency's own records only.
    """
    read = NodeRead(node_url, key_file, key_password_file)
    if read.asked:
        bundle = _from_node(home, f"/v1/records/{record_id}/bundle", read)
    else:
        with reach(home) as node:
            bundle = node.bundle(record_id).as_json()
    _write_json(output, bundle)
    click.echo(
        f"wrote proof bundle for record {bundle['leaf_index']} of the log"
        f" (checkpoint {bundle['checkpoint']['seq']}) to {output}"
    )


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
@read_key_options
@click.pass_obj
def case_prove(
    home: NodeHome,
    case_key: str,
    output: Path,
    *,
    node_url: str | None,
    key_file: Path | None,
    key_password_file: Path | None,
) -> None:
    """Write every sealed record of CASE_KEY (e.g. collection/C-1) with proofs and links.

    Where it reads from, and --node and --key, as for `evanchor prove`.
    """
    read = NodeRead(node_url, key_file, key_password_file)
    if read.asked:
        bundle = _from_node(home, f"/v1/cases/{case_key}/bundle", read)
    else:
        with reach(home) as node:
            bundle = node.case_bundle(case_key).as_json()
    _write_json(output, bundle)
    click.echo(f"wrote {len(bundle['records'])} record(s) of case {case_key} to {output}")


_MARKS = {
    StepStatus.OK: "ok  ",
    StepStatus.FAILED: "FAIL",
    StepStatus.SKIPPED: "--  ",
    StepStatus.CANNOT_VERIFY: "??  ",
}


def _print_report(report: Report) -> None:
    click.echo(f"{report.outcome} (assurance: {report.assurance})")
    for step in report.steps:
        click.echo(f"  [{_MARKS[step.status]}] {step.name}: {step.detail}")
    click.echo(report.summary)


@contextlib.contextmanager
def _replayed_chain(export: Path, genesis_file: Path) -> Iterator[str]:
    """Re-execute a chain export from its genesis in memory and serve it read-only."""
    from evanchor.node.chain.embedded import EmbeddedChain  # noqa: PLC0415 - see imports
    from evanchor.node.chain.export import replay  # noqa: PLC0415
    from evanchor.node.chain.genesis import read_genesis  # noqa: PLC0415
    from evanchor.node.daemon.chain_access import serving  # noqa: PLC0415

    chain = EmbeddedChain.in_memory(read_genesis(genesis_file))
    try:
        with export.open("rb") as source:
            replayed = replay(source, chain)
        click.echo(
            f"re-executed {replayed.blocks} blocks of {export.name} from the genesis"
            f" (head {replayed.head_number}, 0x{replayed.head_hash.hex()})",
            err=True,
        )
        with serving(chain, seal=False) as url:
            yield url
    finally:
        chain.close()


@dataclass(frozen=True)
class Verification:
    """A bundle file as read, its report, and what its anchor was checked against."""

    raw: bytes
    report: Report
    chain_source: ChainSource | None

    def summary(self, lang: Lang, bundle_name: str) -> Summary:
        return summarize(
            self.report,
            lang=lang,
            bundle_name=bundle_name,
            bundle_sha256=sha256(self.raw).digest(),
            chain_source=self.chain_source,
        )


F = TypeVar("F", bound=Callable[..., Any])


def chain_options(command: F) -> F:
    """--rpc, --chain-export with --genesis, --block-hash: what the anchor is checked against."""
    for option in reversed(
        (
            click.option(
                "--rpc", "rpc_url", metavar="URL", help="Check the anchor against this chain."
            ),
            click.option(
                "--chain-export",
                type=click.Path(exists=True, dir_okay=False, path_type=Path),
                help="Re-execute this chain export (with --genesis) and check the anchor against"
                " it.",
            ),
            click.option(
                "--genesis",
                type=click.Path(exists=True, dir_okay=False, path_type=Path),
                help="The genesis file of the chain in --chain-export.",
            ),
            click.option(
                "--block-hash",
                metavar="HEX",
                help="A trusted hash of the anchoring block (from any source you trust).",
            ),
        )
    ):
        command = option(command)
    return command


def witness_options(command: F) -> F:
    """--log-key, --witness-key, --witness-policy: what the checkpoint note is checked with."""
    for option in reversed(
        (
            click.option(
                "--log-key",
                "log_keys",
                metavar="VKEY",
                multiple=True,
                help="The log's note verifier key (`evanchor log key` prints it); checks the"
                " log's signature of the bundle's checkpoint.",
            ),
            click.option(
                "--witness-key",
                "witness_keys",
                metavar="VKEY",
                multiple=True,
                help="A witness's cosignature verifier key you trust (repeat for each);"
                " needs --log-key.",
            ),
            click.option(
                "--witness-policy",
                type=click.IntRange(min=1),
                metavar="K",
                help="How many of the trusted witnesses must have cosigned (default: all).",
            ),
        )
    ):
        command = option(command)
    return command


def _keys(texts: tuple[str, ...], option: str) -> list[VerifierKey]:
    keys = []
    for text in texts:
        try:
            keys.append(parse_verifier_key(text.strip()))
        except NoteKeyInvalid as error:
            raise click.BadParameter(str(error), param_hint=option) from None
    return keys


def _is_node_folder(home: NodeHome) -> bool:
    """Whether `home` holds a node's configuration (verify needs no node folder otherwise)."""
    return home.config_path.exists() or home.legacy_config_path.exists()


def trust_of(
    log_keys: tuple[str, ...], witness_keys: tuple[str, ...], policy: int | None
) -> WitnessTrust:
    """The verifier's trust from the command line; keys and policy not given there come from
    the node folder's configuration when --home (or EVANCHOR_HOME) names one that exists:
    its log key, the witnesses of `[witnessing]` and their quorum."""
    logs, witnesses = _keys(log_keys, "--log-key"), _keys(witness_keys, "--witness-key")
    context = click.get_current_context()
    root = context.find_root()
    home = root.obj if isinstance(root.obj, NodeHome) else None
    given = root.get_parameter_source("home") is not ParameterSource.DEFAULT
    if home is not None and given and _is_node_folder(home):
        if not logs:
            signer = home.log_signer()
            logs = [] if signer is None else [signer.verifier]
        if not witnesses:
            configured = home.config().witnessing
            witnesses = [endpoint.key for endpoint in configured.witnesses]
            if policy is None and configured.quorum > 0:
                policy = configured.quorum
    try:
        return witness_trust(logs, witnesses, policy, now=int(time.time()))
    except WitnessTrustInvalid as error:
        raise click.BadParameter(error.reason, param_hint=error.what) from None


LANG_OPTION = click.option(
    "--lang",
    type=click.Choice([lang.value for lang in Lang]),
    default=Lang.ZH.value,
    show_default=True,
    help="Language of the plain-language summary.",
)


def verify_file(
    bundle_file: Path,
    *,
    rpc_url: str | None,
    chain_export: Path | None,
    genesis: Path | None,
    block_hash: str | None,
    trust: WitnessTrust | None = None,
) -> Verification:
    """Read and check a proof bundle or case bundle, against the chain the options name, and
    its checkpoint note with `trust` (`trust_of`)."""
    [done] = verify_files(
        [bundle_file],
        rpc_url=rpc_url,
        chain_export=chain_export,
        genesis=genesis,
        block_hash=block_hash,
        trust=trust,
    )
    return done


def verify_files(
    bundle_files: list[Path],
    *,
    rpc_url: str | None,
    chain_export: Path | None,
    genesis: Path | None,
    block_hash: str | None,
    trust: WitnessTrust | None = None,
) -> list[Verification]:
    """Read and check each bundle, in order, against the chain the options name, reached
    once for all: a --chain-export is re-executed once and every bundle is checked against
    that one replay (each bundle's outcome is the one it gets alone). Every file is read and
    parsed before the chain is touched, so a malformed file stops the command before a
    replay is spent. Each bundle's checkpoint note is checked with `trust` (`trust_of`)."""
    if sum(x is not None for x in (rpc_url, chain_export, block_hash)) > 1:
        raise click.UsageError("give at most one of --rpc, --chain-export, --block-hash")
    if chain_export is not None and genesis is None:
        raise click.UsageError("--chain-export needs the chain's --genesis file")
    read = []
    for bundle_file in bundle_files:
        raw = bundle_file.read_bytes()
        read.append((raw, parse_json_object(raw, source=bundle_file.name, limit=MAX_BUNDLE_BYTES)))
    trusted = None
    source = None
    if block_hash is not None:
        try:
            trusted = bytes.fromhex(block_hash.removeprefix("0x"))
        except ValueError:
            raise click.BadParameter("not hex", param_hint="--block-hash") from None
        source = ChainSource(ChainSourceKind.BLOCK_HASH, trusted.hex())
    done = []
    with contextlib.ExitStack() as stack:
        url = rpc_url
        if rpc_url is not None:
            source = ChainSource(ChainSourceKind.RPC, rpc_url)
        if chain_export is not None:
            assert genesis is not None
            url = stack.enter_context(_replayed_chain(chain_export, genesis))
            source = ChainSource(ChainSourceKind.CHAIN_EXPORT, chain_export.name)
        w3 = None
        if url is not None:
            from evanchor.anchor.ethereum import client as cc  # noqa: PLC0415 - see imports

            w3 = cc.web3_for(url)
        for raw, bundle in read:
            check = (
                verify_case_bundle if bundle.get("format") == CASE_BUNDLE_FORMAT else verify_bundle
            )
            done.append(
                Verification(
                    raw, check(bundle, trusted_block_hash=trusted, w3=w3, trust=trust), source
                )
            )
    return done


def bundle_paths(given: tuple[Path, ...]) -> list[Path]:
    """The files named, a folder standing for every `*.json` file directly in it (sorted).
    Raises `click.BadParameter` for a folder with no bundle in it."""
    paths: list[Path] = []
    for path in given:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix == ".json" and p.is_file())
            if not found:
                raise click.BadParameter(f"{path}: no *.json file in it", param_hint="BUNDLE")
            paths += found
        else:
            paths.append(path)
    return paths


def _worst_exit(reports: list[Report]) -> int:
    """NOT VERIFIED (1) before CANNOT VERIFY (3) before VERIFIED (0)."""
    statuses = {report.outcome.exit_status for report in reports}
    return 1 if 1 in statuses else max(statuses, default=0)


@click.command()
@click.argument(
    "bundle_files",
    metavar="BUNDLE...",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, path_type=Path),
)
@chain_options
@witness_options
@LANG_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def verify(
    *,
    bundle_files: tuple[Path, ...],
    rpc_url: str | None,
    chain_export: Path | None,
    genesis: Path | None,
    block_hash: str | None,
    log_keys: tuple[str, ...],
    witness_keys: tuple[str, ...],
    witness_policy: int | None,
    lang: str,
    as_json: bool,
) -> None:
    """Check a proof bundle (or case bundle): every hash recomputed, step by step.

    Offline by default. With --rpc, --chain-export or --block-hash, the anchor is tied to a
    chain: the block's hash, and (with a chain) the writer's role and the agency's
    registration at that block. Prints the outcome and the assurance level reached, the
    steps, then a plain-language summary (Chinese by default, --lang en for English): what
    the record says, who submitted it, when it existed and who vouches for that time, its
    digests, and how anyone can check it. With --log-key and --witness-key (or, with
    --home, the node's own keys and witnesses) the bundle's signed checkpoint is checked:
    who witnessed it and when, against the witness policy (--witness-policy K, default all).
    Exit status 0: VERIFIED; 1: NOT VERIFIED (the evidence is wrong or the witness policy is
    unmet, the failing step is named); 3: CANNOT VERIFY (the chain was not reached, is
    another chain, or could not answer).

    Several bundles (or a folder of *.json bundles): the chain is reached once for all (a
    --chain-export is re-executed once), each bundle gets the report it gets alone, and a
    last line counts the outcomes and names every bundle that is not VERIFIED; the exit
    status is 1 if any is NOT VERIFIED, else 3 if any is CANNOT VERIFY.
    """
    paths = bundle_paths(bundle_files)
    done = verify_files(
        paths,
        rpc_url=rpc_url,
        chain_export=chain_export,
        genesis=genesis,
        block_hash=block_hash,
        trust=trust_of(log_keys, witness_keys, witness_policy),
    )
    if len(paths) == 1 and not bundle_files[0].is_dir():
        _show(done[0], paths[0], Lang(lang), as_json)
    elif as_json:
        echo_json(
            {
                "bundles": [
                    {
                        "file": str(path),
                        **one.report.as_json(),
                        "plain": one.summary(Lang(lang), path.name).as_json(),
                    }
                    for path, one in zip(paths, done, strict=True)
                ],
                "outcomes": _tally(paths, done),
            }
        )
    else:
        for path, one in zip(paths, done, strict=True):
            click.echo(f"== {path}")
            _show(one, path, Lang(lang), as_json=False)
            click.echo("")
        click.echo(_tally_line(paths, done))
    worst = _worst_exit([one.report for one in done])
    if worst:
        raise click.exceptions.Exit(worst)


def _show(done: Verification, path: Path, lang: Lang, as_json: bool) -> None:
    summary = done.summary(lang, path.name)
    if as_json:
        echo_json({**done.report.as_json(), "plain": summary.as_json()})
    else:
        _print_report(done.report)
        click.echo("")
        click.echo(summary.as_text())


def _tally(paths: list[Path], done: list[Verification]) -> dict[str, list[str]]:
    """Outcome -> the bundles that got it, in the order given."""
    found: dict[str, list[str]] = {}
    for path, one in zip(paths, done, strict=True):
        found.setdefault(one.report.outcome.value, []).append(str(path))
    return found


def _tally_line(paths: list[Path], done: list[Verification]) -> str:
    tally = _tally(paths, done)
    counts = ", ".join(f"{len(names)} {outcome}" for outcome, names in tally.items())
    named = "; ".join(
        f"{outcome}: {', '.join(names)}"
        for outcome, names in tally.items()
        if outcome != Outcome.VERIFIED.value
    )
    return f"{len(paths)} bundles: {counts}" + (f" ({named})" if named else "")


COMMANDS = (prove, case, verify)
