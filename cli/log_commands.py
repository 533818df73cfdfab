"""Commands that write to and describe the log: submit, seal, shred, log status, schema."""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from pydantic import JsonValue, ValidationError

from evanchor.anchor.compliance.feedback import FEEDBACK_MAX_RECORDS, flags_json, rule_set_ref
from evanchor.anchor.compliance.rules import LANGUAGES, Lang, RuleSet
from evanchor.anchor.log.ingest import prepare_record
from evanchor.anchor.log.parallel_ingest import (
    LineJob,
    SignedLine,
    default_workers,
    prepare_jsonl,
    prepare_signed_line,
    start_pool,
    unsigned_record_refused,
)
from evanchor.anchor.log.store import (
    LogStore,
    PreparedRecord,
    Receipt,
    receipt_from_json,
)
from evanchor.anchor.log.submission import (
    authorised,
    is_submission,
    parse_submission,
    sign_record,
)
from evanchor.anchor.protocol.checkpoint import Checkpoint
from evanchor.anchor.protocol.errors import InputError
from evanchor.anchor.protocol.jsonin import read_json_or_jsonl
from evanchor.anchor.protocol.records import RecordKind, record_json_schema
from evanchor.anchor.protocol.signing import SigningDomain
from evanchor.cli import cosigning_commands
from evanchor.cli.key_options import agency_key
from evanchor.cli.output import echo_json
from evanchor.cli.progress import Progress, progress_option, track, wanted
from evanchor.node.daemon.api_models import FlagAnswer, RuleSetRef
from evanchor.node.daemon.client import NodeRefused, NodeUnreachable, get_json, node_answers
from evanchor.node.daemon.compliance_log import node_rule_set, submission_flags
from evanchor.node.daemon.home import NodeHome
from evanchor.node.daemon.reach import reach
from evanchor.node.daemon.upload_client import (
    CommitOutcomeUnknown,
    LineTooLarge,
    UploadTooLarge,
    encode_lines,
    submit_staged,
)
from evanchor.node.daemon.witnessing import seal_and_sign

# The chain side (web3, eth-account, py-evm) is imported where a signed submission needs it:
# a log-only submit then starts without a second of imports it would not use.

APPEND_BATCH = 10_000
"""Records per synced write batch: large enough that fsync is not the bottleneck, small
enough that a crash loses at most one unacknowledged batch and memory stays bounded."""
PROGRESS_MIN_BYTES = 4 * 1024 * 1024
"""Files at least this large show their reading's progress on a terminal (with
`--progress`, any file does)."""
PARALLEL_MIN_BYTES = 2 * 1024 * 1024
"""`.jsonl` files at least this large (~5,000 records) are read on every core, by worker
processes (parallel_ingest.py); for smaller ones starting the workers costs more than they
save."""

_T = TypeVar("_T")
_BLANK = b" \t\r\n"  # what a blank line of JSON Lines (or JSON whitespace) is made of


def _refuse_without_records(path: Path, verb: str) -> None:
    """Refuse, before anything else is done, a file that is empty or holds only blank
    lines: there is nothing to `verb`, and saying "0 records" would look like success."""
    size = 0
    try:
        with path.open("rb") as stream:
            for chunk in iter(lambda: stream.read(1 << 16), b""):
                if chunk.strip(_BLANK):
                    return
                size += len(chunk)
    except OSError as error:
        raise click.ClickException(f"{path}: {error.strerror or error}") from None
    reason = "the file is empty" if size == 0 else "the file holds only blank lines"
    raise click.ClickException(f"{path.name}: no records to {verb}: {reason}")


@dataclass(frozen=True)
class Feedback:
    """The compliance flags of a submission's receipts (docs/COMPLIANCE.md): by leaf index,
    in the API's own models (whether computed here or answered by the node); `note` says
    why there are none when they were not computed."""

    rule_set: RuleSetRef | None
    flags: dict[int, list[FlagAnswer]]
    note: str | None = None

    def as_json(self) -> dict[str, JsonValue]:
        rule_set = None if self.rule_set is None else self.rule_set.model_dump(mode="json")
        return {"rule_set": rule_set, "note": self.note}

    def flags_of(self, index: int) -> list[JsonValue]:
        return [flag.model_dump(mode="json") for flag in self.flags.get(index, [])]


def _read_inputs(
    path: Path,
    prepare: Callable[[dict[str, Any]], _T],
    job: LineJob | None = None,
    *,
    verb: str = "submit",
    positions: list[int] | None = None,
    progress: bool | None = None,
) -> tuple[list[_T], list[InputError]]:
    """Every input object of `path` through `prepare`, and every fault with its location.

    `job`, if given, is the same work in a form worker processes can run
    (`prepare_line(job, obj)` is `prepare(obj)`): a large `.jsonl` file is then read on
    every core, with the same results in the same order. A file that yields no object at
    all (a `.json` empty array) is refused, naming `verb`; `_refuse_without_records` has
    refused empty and blank files before. `positions`, if given, gets the position (line,
    or item of a `.json` array) of each good result; the file is then read on one core.
    """
    good, bad = _read_all(
        path, prepare, None if positions is not None else job, positions, progress
    )
    if not good and not bad:
        raise click.ClickException(
            f"{path.name}: no records to {verb}: the file holds an empty array"
        )
    return good, bad


def _read_all(
    path: Path,
    prepare: Callable[[dict[str, Any]], _T],
    job: LineJob | None,
    positions: list[int] | None = None,
    progress: bool | None = None,
) -> tuple[list[_T], list[InputError]]:
    good: list[_T] = []
    bad: list[InputError] = []
    size = path.stat().st_size
    show = wanted(progress) and (progress or size >= PROGRESS_MIN_BYTES)
    try:
        workers = default_workers()
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    parallel = (
        job is not None
        and workers > 1
        and path.suffix.lower() == ".jsonl"
        and size >= PARALLEL_MIN_BYTES
    )
    try:
        with contextlib.ExitStack() as stack:
            # The pool first: its workers are forked before the progress bar starts a thread.
            pool = start_pool(workers) if parallel else None
            if pool is not None:
                stack.callback(pool.shutdown, wait=True, cancel_futures=True)
            bar = Progress("reading", size, unit="bytes", enabled=bool(show))
            stack.callback(bar.finish)
            if pool is not None and job is not None:
                return prepare_jsonl(path, job, pool, workers=workers, progress=bar.advance)
            for position, item in read_json_or_jsonl(path, progress=bar.advance):
                if isinstance(item, InputError):
                    bad.append(item)
                    continue
                try:
                    good.append(prepare(item))
                    if positions is not None:
                        positions.append(position)
                except InputError as error:
                    if path.suffix.lower() == ".jsonl":
                        bad.append(error.located(source=path.name, line=position))
                    else:
                        bad.append(error.located(source=path.name, item=position))
    except OSError as error:
        raise click.ClickException(f"{path}: {error.strerror or error}") from None
    return good, bad


def _report_bad(bad: list[InputError], file: Path, skip_invalid: bool) -> None:
    """Every fault on a line of its own, then what was done about them; a single fault that
    stops the submission is one line."""
    if len(bad) == 1 and not skip_invalid:
        raise click.ClickException(
            f"{bad[0]}; nothing was written (use --skip-invalid to append the valid ones)"
        )
    for fault in bad:
        click.echo(f"error: {fault}", err=True)
    if bad and not skip_invalid:
        raise click.ClickException(
            f"{len(bad)} invalid record(s) in {file.name}; nothing was written"
            " (use --skip-invalid to append the valid ones)"
        )


def _maybe_seal(home: NodeHome, store: LogStore) -> Checkpoint | None:
    unsealed, oldest = store.unsealed()
    if home.config().seal_policy.due(unsealed, oldest, datetime.now(UTC)):
        return seal_and_sign(store, home.log_signer())
    return None


def _rule_set(rules: RuleSet) -> RuleSetRef:
    return RuleSetRef.model_validate(rule_set_ref(rules))


def _append_local(
    home: NodeHome, records: list[PreparedRecord], lang: Lang, progress: bool | None
) -> tuple[list[Receipt], tuple[Checkpoint | None, int], Feedback]:
    """Append, seal if the policy says so, and compute the receipts' compliance flags from
    the log (the rule set read before anything is written: a bad one writes nothing)."""
    rules = node_rule_set(home.path)
    with home.open_log() as store:
        receipts: list[Receipt] = []
        with track("appending", len(records), progress=progress) as shown:
            for start in range(0, len(records), APPEND_BATCH):
                receipts += store.append(records[start : start + APPEND_BATCH])
                shown.advance(len(receipts) - shown.done)
        sealed = (_maybe_seal(home, store), store.size)
        if len(receipts) > FEEDBACK_MAX_RECORDS:
            note = (
                f"no flags on the receipts of a submission of over {FEEDBACK_MAX_RECORDS}"
                " records: run `evanchor compliance report`"
            )
            return receipts, sealed, Feedback(_rule_set(rules), {}, note)
        found = submission_flags(store, receipts, rules)
    flags = {
        index: [FlagAnswer.model_validate(flag) for flag in flags_json(list_, rules, lang)]
        for index, list_ in found.items()
    }
    return receipts, sealed, Feedback(_rule_set(rules), flags)


def _signer(
    key_file: Path | None, password_file: Path | None, separator: bytes
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Turns each input object into a checked submission: signs bare records with the key."""
    key = None if key_file is None else agency_key(key_file, password_file)

    def to_submission(obj: dict[str, Any]) -> dict[str, Any]:
        if is_submission(obj):
            submission = parse_submission(obj)
            prepare_record(submission.record, salt=submission.salt)  # validate the record
            return obj
        if key is None:
            raise unsigned_record_refused(obj)
        return sign_record(obj, key, separator)

    return to_submission


def _post_signed(
    url: str,
    positioned: list[tuple[int, dict[str, Any]]],
    file: Path,
    lang: Lang,
    progress: bool | None,
) -> tuple[list[Receipt], Feedback]:
    """Send checked submissions (with their positions in `file`) to the running node at
    `url` as one staged upload: chunks cut by bytes, each checked by the node on arrival,
    then one commit that appends them all or none (node/daemon/uploads.py). The node's
    receipts list their compliance flags."""
    if not positioned:  # --skip-invalid, and every record was invalid: nothing to send
        return [], Feedback(None, {})
    unit = "item" if file.suffix.lower() == ".json" else "line"
    show = wanted(progress)
    sending = Progress("sending", len(positioned), enabled=show)
    committing: list[Progress] = []

    def on_commit() -> None:
        sending.finish()
        committing.append(Progress("committing", None, enabled=show))

    try:
        answer = submit_staged(
            url,
            encode_lines(positioned),
            lang=lang,
            on_chunk=sending.advance,
            on_commit=on_commit,
        )
    except NodeRefused as error:
        sending.abandon()
        if error.line is not None and error.reason is not None:
            raise click.ClickException(
                f"{file.name} {unit} {error.line}: {error.reason}; nothing was written"
            ) from None
        raise click.ClickException(f"the node refused: {error}; nothing was written") from None
    except (NodeUnreachable, CommitOutcomeUnknown, UploadTooLarge) as error:
        sending.abandon()
        raise click.ClickException(str(error)) from None
    except LineTooLarge as error:
        raise click.ClickException(f"{file.name} {unit} {error.line}: {error}") from None
    for shown in committing:
        shown.advance(len(answer.receipts))
        shown.finish()
    return _answered_feedback(answer.receipts, answer.compliance or {})


def _answered_feedback(
    answered: list[dict[str, Any]], compliance: dict[str, Any]
) -> tuple[list[Receipt], Feedback]:
    """The receipts and flags of the node's answer, read into their models at once; an
    answer of another shape is one line naming the member at fault."""
    receipts: list[Receipt] = []
    flags: dict[int, list[FlagAnswer]] = {}
    try:
        for item in answered:
            receipt = receipt_from_json(item)
            receipts.append(receipt)
            flags[receipt.index] = [FlagAnswer.model_validate(f) for f in item.get("flags") or []]
        rule_set = compliance.get("rule_set")
        ref = None if rule_set is None else RuleSetRef.model_validate(rule_set)
    except ValidationError as error:
        first = error.errors()[0]
        member = ".".join(str(part) for part in first["loc"])
        raise click.ClickException(
            f"the node's answer holds no compliance feedback: {member}: {first['msg']}"
        ) from None
    note = compliance.get("note")
    return receipts, Feedback(ref, flags, note if isinstance(note, str) else None)


def _read_positioned(
    file: Path, prepare: Callable[[dict[str, Any]], dict[str, Any]], progress: bool | None
) -> tuple[list[tuple[int, dict[str, Any]]], list[InputError]]:
    """`_read_inputs`, each submission with its position in `file`."""
    positions: list[int] = []
    submissions, bad = _read_inputs(file, prepare, positions=positions, progress=progress)
    return list(zip(positions, submissions, strict=True)), bad


def _append_signed(
    home: NodeHome, lines: list[SignedLine], lang: Lang, progress: bool | None
) -> tuple[list[Receipt], tuple[Checkpoint | None, int], Feedback]:
    """With no node running: authorise every signer against the agency registry on the
    chain, then append locally. The first refusal stops everything (nothing is written)."""
    from evanchor.anchor.ethereum import client as cc  # noqa: PLC0415 - chain side, see imports
    from evanchor.anchor.ethereum.registry import AgencyRegistry  # noqa: PLC0415
    from evanchor.node.daemon.chain_access import chain_endpoint  # noqa: PLC0415

    config = home.config()
    assert config.chain is not None
    with chain_endpoint(home, read_only=True) as rpc_url:
        anchor = cc.contract_at(cc.web3_for(rpc_url), config.chain.contract)
        registry = AgencyRegistry(anchor, config.chain.deploy_block)
        registry.refresh()
    # Read once, the registry answers the same for a signer every time: ask once per signer
    # (a lookup normalises the address, ~25 us, and a file has a handful of signers).
    agency_of = functools.cache(registry.lookup)
    records = []
    for position, line in enumerate(lines, start=1):
        try:
            if not isinstance(line.signer, str):
                raise line.signer
            records.append(authorised(line.record, line.signer, agency_of, registry.revocation))
        except InputError as error:
            raise click.ClickException(f"record {position}: {error}") from None
    return _append_local(home, records, lang, progress)


def _submit_remote(
    node_url: str,
    *,
    file: Path,
    skip_invalid: bool,
    key_file: Path | None,
    key_password_file: Path | None,
    as_json: bool,
    lang: Lang,
    progress: bool | None,
) -> None:
    """Sign for the chain and contract the node at `node_url` anchors to, and send there."""
    chain = get_json(node_url, "/v1/status").get("chain")
    if chain is None:
        raise click.UsageError(f"the node at {node_url} is log-only: it takes no signatures")
    separator = SigningDomain(int(chain["chain_id"]), str(chain["contract"])).separator
    positioned, bad = _read_positioned(
        file, _signer(key_file, key_password_file, separator), progress
    )
    _report_bad(bad, file, skip_invalid)
    receipts, feedback = _post_signed(node_url, positioned, file, lang, progress)
    _print_receipts(receipts, len(bad), None, None, as_json, feedback)


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--skip-invalid", is_flag=True, help="Append the valid records, report the rest.")
@click.option(
    "--key",
    "key_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Agency keystore: sign each bare record (fresh salt) before sending it.",
)
@click.option(
    "--key-password-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Password of the --key keystore.",
)
@click.option("--node", "node_url", metavar="URL", help="Send to this node's API.")
@click.option("--json", "as_json", is_flag=True, help="Print receipts as JSON.")
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    default="zh-CN",
    show_default=True,
    help="Language of the compliance flags' reasons.",
)
@progress_option
@click.pass_obj
def submit(
    home: NodeHome,
    *,
    file: Path,
    skip_invalid: bool,
    key_file: Path | None,
    key_password_file: Path | None,
    node_url: str | None,
    as_json: bool,
    lang: Lang,
    progress: bool | None,
) -> None:
    """Validate, sign and submit the records of FILE (.json or .jsonl).

    A node that anchors takes only signed records: lines may be signed envelopes
    {record, salt, signature}, or bare records that --key signs here. They go to the
    running node's API (as one staged upload, whatever the file's size), or are appended
    directly when no node runs. All or nothing by default: if any record is invalid,
    every bad line is reported and nothing is written.
    Resubmitting a record already in the log returns its first receipt. An agency without a
    node folder gives --node URL: the signing domain is then read from that node. Receipts
    list the compliance flags each record raises (it is accepted all the same).
    """
    _refuse_without_records(file, "submit")
    if node_url is not None and not home.config_path.exists():
        _submit_remote(
            node_url,
            file=file,
            skip_invalid=skip_invalid,
            key_file=key_file,
            key_password_file=key_password_file,
            as_json=as_json,
            lang=lang,
            progress=progress,
        )
        return
    config = home.config()
    if config.chain is None:
        if key_file is not None:
            raise click.UsageError("this node is log-only: it takes unsigned records")
        records, bad = _read_inputs(file, prepare_record, LineJob(), progress=progress)
        _report_bad(bad, file, skip_invalid)
        receipts, (sealed, size), feedback = _append_local(home, records, lang, progress)
        _print_receipts(receipts, len(bad), sealed, size, as_json, feedback)
        return
    separator = SigningDomain(config.chain.chain_id, config.chain.contract).separator
    url = node_url or config.api.url
    if node_url is not None or node_answers(url):
        # The node checks every submission itself; here they are only read and signed.
        positioned, bad = _read_positioned(
            file, _signer(key_file, key_password_file, separator), progress
        )
        _report_bad(bad, file, skip_invalid)
        receipts, feedback = _post_signed(url, positioned, file, lang, progress)
        _print_receipts(receipts, len(bad), None, None, as_json, feedback)
        return
    job = LineJob(signed=True, domain_separator=separator)
    if key_file is None:
        lines, bad = _read_inputs(
            file, functools.partial(prepare_signed_line, separator), job, progress=progress
        )
    else:
        sign_if_bare = _signer(key_file, key_password_file, separator)
        lines, bad = _read_inputs(
            file, lambda obj: prepare_signed_line(separator, sign_if_bare(obj)), progress=progress
        )
    _report_bad(bad, file, skip_invalid)
    receipts, (sealed, size), feedback = _append_signed(home, lines, lang, progress)
    _print_receipts(receipts, len(bad), sealed, size, as_json, feedback)


MAX_FLAGS_PRINTED = 50
"""Flags printed as text; --json gives them all."""


def _print_receipts(  # noqa: PLR0917 - one call shape for the three submit paths
    receipts: list[Receipt],
    skipped: int,
    sealed: Checkpoint | None,
    size: int | None,
    as_json: bool,
    feedback: Feedback,
) -> None:
    if as_json:
        echo_json(
            {
                "receipts": [
                    {**r.as_json(), "flags": feedback.flags_of(r.index)} for r in receipts
                ],
                "compliance": feedback.as_json(),
                "skipped": skipped,
                "log_size": size,
                "sealed": None if sealed is None else sealed.as_json(),
            }
        )
        return
    new = [r for r in receipts if not r.duplicate]
    click.echo(
        f"appended {len(new)} record(s), {len(receipts) - len(new)} already in the log"
        + (f", skipped {skipped} invalid" if skipped else "")
        + ("" if size is None else f"; log size {size}")
    )
    for receipt in receipts[:20]:
        state = "duplicate" if receipt.duplicate else "accepted"
        click.echo(f"  {receipt.record_id.hex()}  index {receipt.index}  {state}")
    if len(receipts) > 20:
        click.echo(f"  … and {len(receipts) - 20} more (use --json for all)")
    if sealed is not None:
        click.echo(f"sealed checkpoint {sealed.seq} at size {sealed.size}")
    _print_flags(receipts, feedback)


def _print_flags(receipts: list[Receipt], feedback: Feedback) -> None:
    """The compliance flags of the receipts: accepted all the same, but the agency should
    know at once."""
    if feedback.note is not None:
        click.echo(f"compliance: {feedback.note}")
        return
    flagged = [(r, feedback.flags[r.index]) for r in receipts if feedback.flags.get(r.index)]
    if feedback.rule_set is None:
        return
    rule_set = feedback.rule_set
    total = sum(len(flags) for _, flags in flagged)
    click.echo(
        f"compliance: {total} flag(s) on {len(flagged)} record(s) under rule set"
        f" {rule_set.id} {rule_set.version} (digest {rule_set.digest[:16]}…);"
        " flagged records are kept and anchored like any other"
    )
    printed = 0
    for receipt, flags in flagged:
        for flag in flags:
            if printed == MAX_FLAGS_PRINTED:
                click.echo(f"  … and {total - printed} more (use --json for all)")
                return
            click.echo(
                f"  {flag.rule_id} {receipt.record_id.hex()[:16]} index {receipt.index}:"
                f" {flag.reason}"
            )
            printed += 1


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--key",
    "key_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="Agency keystore.",
)
@click.option(
    "--key-password-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@progress_option
@click.pass_obj
def sign(  # noqa: PLR0917 - click passes the options
    home: NodeHome,
    file: Path,
    key_file: Path,
    key_password_file: Path,
    output: Path,
    progress: bool | None,
) -> None:
    """Sign the records of FILE for this node's chain into a JSONL of signed envelopes."""
    _refuse_without_records(file, "sign")
    chain = home.config().chain
    if chain is None:
        raise click.UsageError("this node is log-only: there is no signing domain")
    separator = SigningDomain(chain.chain_id, chain.contract).separator
    submissions, bad = _read_inputs(
        file, _signer(key_file, key_password_file, separator), verb="sign", progress=progress
    )
    _report_bad(bad, file, skip_invalid=False)
    with output.open("w", encoding="utf-8") as handle:
        for submission in submissions:
            handle.write(json.dumps(submission, ensure_ascii=False, separators=(",", ":")))
            handle.write("\n")
    click.echo(f"signed {len(submissions)} record(s) into {output}")


@click.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def seal(home: NodeHome, as_json: bool) -> None:
    """Seal a checkpoint of the log now (if anything is new since the last one); beside a
    running node, the node seals (as the operator, with the folder's token)."""
    with reach(home) as node:
        sealed = node.seal()
    checkpoint, size = sealed.checkpoint, sealed.size
    if as_json:
        echo_json({"sealed": None if checkpoint is None else checkpoint.as_json()})
    elif checkpoint is None:
        click.echo(f"nothing to seal: the latest checkpoint already covers all {size} leaves")
    else:
        click.echo(
            f"sealed checkpoint {checkpoint.seq}: size {checkpoint.size},"
            f" root {checkpoint.root.hex()}"
        )


@click.command()
@click.argument("record_id")
@click.option(
    "--reason",
    required=True,
    help="Why, e.g. the deletion request's reference; kept in the tombstone (no personal data).",
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def shred(home: NodeHome, record_id: str, reason: str, yes: bool) -> None:
    """Crypto-shred RECORD_ID (or a unique prefix of at least 8 hex digits): delete its text,
    salt and id from the log, keep its leaf and leave a tombstone.

    Irreversible. Every other record's proof stays valid, and so does the case's chain of
    links (a case bundle shows the leaf alone); the audit counts the record as shredded and
    would name any other change to it. Beside a running node, the node shreds (as the
    operator, with the folder's token).
    """
    with reach(home) as node:
        found = node.record_leaf(record_id)
        if not yes:
            click.confirm(
                f"Shred record {found.record_id} (leaf {found.index})? Its text and salt cannot"
                " be recovered",
                abort=True,
            )
        shredded = node.shred(found.record_id, reason)
    click.echo(
        f"shredded the record at leaf {shredded.index} ({shredded.shredded_at}): its text,"
        " salt and id are deleted; its leaf stays, so every other proof stays valid"
    )


@click.group()
def log() -> None:
    """Inspect the evidence log; its key and witnesses."""


log.add_command(cosigning_commands.key)
log.add_command(cosigning_commands.witness)


@log.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def status(home: NodeHome, as_json: bool) -> None:
    """Size, root, checkpoints and what is waiting to be sealed (from the running node, or
    from the folder when it is stopped)."""
    with reach(home) as node:
        figures = node.status()
    info = {"home": str(home.path), **figures["log"], "seal_policy": figures["seal_policy"]}
    if as_json:
        echo_json(info)
        return
    latest = info["latest_checkpoint"]
    click.echo(
        f"log {info['home']}: {info['records']} records in {info['size']} leaves,"
        f" root {info['root']}"
    )
    if latest is None:
        click.echo("no checkpoint sealed yet")
    else:
        click.echo(
            f"latest checkpoint {latest['seq']}: size {latest['size']},"
            f" sealed {latest['sealed_at']}"
        )
    click.echo(f"unsealed records: {info['unsealed']}")


@click.command()
@click.argument("kind", type=click.Choice(["checkpoint", "auction"]))
def schema(kind: str) -> None:
    """Print the JSON Schema of a record kind (collection checkpoint or auction record)."""
    name: RecordKind = "collection_checkpoint" if kind == "checkpoint" else "auction_record"
    click.echo(json.dumps(record_json_schema(name), indent=2))


COMMANDS = (submit, sign, seal, shred, log, schema)
