"""Records from proof bundles, each verified first (anchor.verify): a report without the node.

Only a bundle that verifies (`Report.ok`: every step passed or was skipped as not
applicable) gives a record; anything else read is listed as not counted, with the step that
failed. A case bundle that fails as a whole (a gap in its chain, say) still gives those of
its records whose own bundles verify. What the engine reads from a bundle is what the
verification checked: the record (schema and commitment), the leaf (index, `prev`,
`accepted_at`) and, if present, the anchor (block number and time) and the signer.

All bundles must be of one log (the `log` member: chain id, contract, writer; bundles of a
log-only node have none and count as one log): leaf indices and case chains mean nothing
across logs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import rfc8785

from evanchor.anchor.compliance.engine import Anchoring, LoggedRecord
from evanchor.anchor.compliance.errors import BundlesFromSeveralLogs, NoBundles
from evanchor.anchor.compliance.report import NotCounted
from evanchor.anchor.protocol.bundle_format import (
    BUNDLE_FORMAT,
    CASE_BUNDLE_FORMAT,
    SHREDDED_RECORD_FORMAT,
    ProofBundle,
    parse,
)
from evanchor.anchor.protocol.commitment import record_id
from evanchor.anchor.protocol.errors import InputError
from evanchor.anchor.protocol.jsonin import parse_json_object
from evanchor.anchor.protocol.records import check_record
from evanchor.anchor.verify.bundle import Report, verify_bundle
from evanchor.anchor.verify.case_bundle import verify_case_bundle

if TYPE_CHECKING:
    from web3 import Web3

MAX_BUNDLE_FILE_BYTES = 64 * 1024 * 1024
"""Largest bundle file read (as `evanchor verify`): a case bundle of many records fits."""


@dataclass(frozen=True)
class BundleSet:
    """What a set of bundle files gives: verified records, what was not counted, and the
    single-record bundle of each counted record (to write beside a report)."""

    records: tuple[LoggedRecord, ...]
    not_counted: tuple[NotCounted, ...]
    bundles: dict[str, ProofBundle]
    """Record id (hex) -> that record's proof bundle (a case bundle's entry is one)."""
    log: str | None
    files: int


def bundle_files(paths: Iterable[Path]) -> list[Path]:
    """Each path that is a file, and the `.json` files of each folder (sorted, not nested)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.iterdir() if p.suffix == ".json" and p.is_file())
        else:
            found.append(path)
    if not found:
        raise NoBundles(", ".join(str(p) for p in paths) or "(none given)")
    return found


def read_bundles(paths: Sequence[Path], *, w3: Web3 | None = None) -> BundleSet:
    """Verify every bundle of `paths` (offline, or with `w3` against a chain) and keep the
    records that verify. Raises BundlesFromSeveralLogs if two bundles name different logs."""
    files = bundle_files(paths)
    held: dict[int, LoggedRecord] = {}
    bundles: dict[str, ProofBundle] = {}
    not_counted: list[NotCounted] = []
    log: tuple[str, str | None] | None = None  # (file, identity) of the first bundle
    for path in files:
        for where, entry, outcome in _entries(path, w3):
            if isinstance(outcome, str):
                not_counted.append(NotCounted(where, outcome))
                continue
            bundle = parse(ProofBundle, entry)  # it verified: the grammar holds
            identity = _log_identity(bundle)
            if log is None:
                log = (where, identity)
            elif identity != log[1]:
                raise BundlesFromSeveralLogs(where, str(log[1]), str(identity))
            logged = _logged(bundle, proven_by="rpc" if w3 is not None else "bundle")
            earlier = held.get(logged.leaf_index)
            if earlier is not None and earlier.record_id != logged.record_id:
                not_counted.append(
                    NotCounted(
                        where,
                        f"leaf {logged.leaf_index} is record {earlier.record_id} in another"
                        " bundle: two records cannot share a leaf of one log",
                    )
                )
                continue
            if earlier is None:
                held[logged.leaf_index] = logged
                bundles[logged.record_id] = bundle
    return BundleSet(
        records=tuple(held[index] for index in sorted(held)),
        not_counted=tuple(not_counted),
        bundles=bundles,
        log=None if log is None else log[1],
        files=len(files),
    )


def _entries(path: Path, w3: Web3 | None) -> Iterator[tuple[str, dict[str, Any], Report | str]]:
    """(where, proof bundle, its verification or the reason it was not verified) for each
    proof bundle in file `path`."""
    name = path.name
    try:
        data = path.read_bytes()
        document = parse_json_object(data, source=name, limit=MAX_BUNDLE_FILE_BYTES)
    except OSError as error:
        yield name, {}, f"cannot read: {error.strerror or error}"
        return
    except InputError as error:
        yield name, {}, f"not a bundle: {error}"
        return
    kind = document.get("format")
    if kind == BUNDLE_FORMAT:
        yield name, document, _outcome(verify_bundle(document, w3=w3))
        return
    if kind != CASE_BUNDLE_FORMAT:
        yield name, {}, f"not a bundle (format {str(kind)[:40]!r})"
        return
    case_report = verify_case_bundle(document, w3=w3)
    entries = document.get("records")
    if not isinstance(entries, list):
        yield name, {}, _outcome(case_report)
        return
    if not case_report.ok:
        # Each entry is a proof bundle in its own right: those that verify still count.
        yield name, {}, f"case bundle: {_outcome(case_report)}"
    for position, entry in enumerate(entries):
        where = f"{name} records[{position}]"
        if not isinstance(entry, dict):
            yield where, {}, "not a proof bundle"
        elif entry.get("format") == SHREDDED_RECORD_FORMAT:
            yield where, {}, "shredded: the bundle holds the record's leaf only"
        elif case_report.ok:
            yield where, entry, case_report
        else:
            yield where, entry, _outcome(verify_bundle(entry, w3=w3))


def _outcome(report: Report) -> Report | str:
    if report.ok:
        return report
    failed = report.failed_step
    if failed is None:
        return f"{report.outcome}: {report.summary}"
    return f"NOT VERIFIED at {failed.name}: {failed.detail}"


def _log_identity(bundle: ProofBundle) -> str | None:
    log = bundle.log
    if log is None:
        return None
    return f"chain {log.chain_id} contract {log.contract} writer {log.writer}"


def _logged(bundle: ProofBundle, *, proven_by: str) -> LoggedRecord:
    """The engine's view of a verified bundle. Requires `bundle` to have verified."""
    record = check_record(bundle.record, where="record")  # read, never committed
    anchor = bundle.anchor
    return LoggedRecord(
        record=record,
        record_id=record_id(rfc8785.dumps(bundle.record)).hex(),
        leaf_index=bundle.leaf_index,
        prev=bundle.leaf.prev,
        accepted_at=bundle.leaf.accepted_at,
        signer=None if bundle.signature is None else bundle.signature.signer,
        anchoring=Anchoring(
            checkpoint_seq=bundle.checkpoint.seq,
            block_number=None if anchor is None else anchor.block_number,
            block_timestamp=None if anchor is None else anchor.block_timestamp,
            proven_by=proven_by,
        ),
    )
