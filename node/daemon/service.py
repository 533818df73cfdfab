"""The node's operations, independent of HTTP: submit, receipts and status, bundles, listing.

The HTTP API (`api.py`) and tests call these; chain and anchoring details come in through
the constructor (an agency lookup, the signing domain, a source of anchor evidence), so a
log-only node and an anchoring node share all of it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import JsonValue

from evanchor.anchor.compliance.engine import Flag
from evanchor.anchor.compliance.rules import RuleSet, default_rule_set
from evanchor.anchor.errors import EvanchorError
from evanchor.anchor.ethereum.anchor_state import (
    Confirmed,
    InFlight,
    Refused,
    confirmed_state,
    state_json,
    stored_state,
)
from evanchor.anchor.ethereum.progress import (
    anchored_frontier,
    checkpoint_sizes,
    covering_checkpoint,
)
from evanchor.anchor.log.bundle import build_bundle, build_case_bundle
from evanchor.anchor.log.ingest import prepare_record
from evanchor.anchor.log.store import LogStore, PreparedRecord, Receipt, RecordNotFound
from evanchor.anchor.log.submission import (
    AgencyLookup,
    AgencyNotRegistered,
    Revocation,
    RevocationLookup,
    SubmissionInvalid,
    authorised,
    check_submission,
    is_submission,
    parse_submission,
)
from evanchor.anchor.protocol import merkle
from evanchor.anchor.protocol.bundle_format import CaseBundle, ProofBundle
from evanchor.anchor.protocol.checkpoint import Checkpoint
from evanchor.anchor.protocol.errors import InputError
from evanchor.anchor.protocol.note import NoteSigner
from evanchor.anchor.protocol.signing import SigningDomain
from evanchor.node.daemon.api_models import ShredAnswer
from evanchor.node.daemon.bundles import (
    EvidenceSource,
    NotAnchoredYet,
    anchored_bundle,
    anchored_case_bundle,
)
from evanchor.node.daemon.committer import GroupCommitter
from evanchor.node.daemon.compliance_log import (
    RecentRecords,
    logged_json,
    records_page,
    submission_flags,
)
from evanchor.node.daemon.home import NodeConfig
from evanchor.node.daemon.metrics import NodeMetrics
from evanchor.node.daemon.status import node_status
from evanchor.node.daemon.submissions import (
    MAX_CHECKING_BYTES,
    CheckedBody,
    SubmissionChecker,
)
from evanchor.node.daemon.witnessing import seq_of_size, witnessing_status

log = logging.getLogger(__name__)


FULL_RECORD_ID = re.compile(r"[0-9a-f]{64}")


class RecordStage(StrEnum):
    """How far a record has come: in the log, in a sealed checkpoint, anchored."""

    ACCEPTED = "accepted"
    SEALED = "sealed"
    ANCHORED = "anchored"


@dataclass(frozen=True)
class RecordStatus:
    """A record's receipt, the first checkpoint that holds it, and that one's anchor
    (`GET /v1/records/{id}`)."""

    record_id: bytes
    index: int
    leaf_hash: bytes
    accepted_at: str
    checkpoint: Checkpoint | None
    anchor: Confirmed | None

    @property
    def stage(self) -> RecordStage:
        if self.checkpoint is None:
            return RecordStage.ACCEPTED
        return RecordStage.SEALED if self.anchor is None else RecordStage.ANCHORED

    def as_json(self) -> dict[str, JsonValue]:
        return {
            "record_id": self.record_id.hex(),
            "index": self.index,
            "leaf_hash": self.leaf_hash.hex(),
            "accepted_at": self.accepted_at,
            "status": self.stage.value,
            "checkpoint": None if self.checkpoint is None else self.checkpoint.as_json(),
            "anchor": None if self.anchor is None else state_json(self.anchor),
        }


@dataclass(frozen=True)
class CheckpointAnchoring:
    """A checkpoint and its anchoring state, if any (`GET /v1/checkpoints`)."""

    checkpoint: Checkpoint
    anchor: InFlight | Confirmed | Refused | None

    def as_json(self) -> dict[str, JsonValue]:
        anchor = None if self.anchor is None else state_json(self.anchor)
        return {**self.checkpoint.as_json(), "anchor": anchor}


@dataclass(frozen=True)
class ConfirmedAnchor:
    """A confirmed anchor and its checkpoint (`GET /v1/anchors`)."""

    checkpoint: Checkpoint
    anchor: Confirmed

    def as_json(self) -> dict[str, JsonValue]:
        return {"checkpoint": self.checkpoint.as_json(), "anchor": state_json(self.anchor)}


class BatchInvalid(EvanchorError):
    """One submission of a batch is invalid; nothing of the batch was written."""

    def __init__(self, item: int, error: InputError) -> None:
        super().__init__(f"item {item}: {error.detail()}")
        self.item = item
        self.error = error


class RegistryUnavailable(EvanchorError):
    """The agency registry could not be read from the chain, so a signer unknown to the node
    can be neither accepted nor refused now (transient: the chain is unreachable)."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"cannot check the signer: the agency registry could not be read from the chain"
            f" ({reason}); nothing was written, try again later"
        )


class NodeOverloaded(EvanchorError):
    """The node sheds load: `what` is at `found`, above its configured `bound`; the client
    is to retry after `retry_after` seconds (HTTP 429 with Retry-After)."""

    def __init__(self, what: str, found: int, bound: int, retry_after: int) -> None:
        super().__init__(
            f"the node is overloaded: {what} is {found}, above {bound}; nothing was written,"
            f" try again in {retry_after} s"
        )
        self.what = what
        self.found = found
        self.bound = bound
        self.retry_after = retry_after


BACKLOG_RETRY_SECONDS = 5
"""Retry-After when anchoring is behind: about a few blocks' time for it to catch up."""
QUEUE_RETRY_SECONDS = 1
"""Retry-After when the group commit is behind: a few synced writes."""


class NodeService:
    def __init__(
        self,
        store: LogStore,
        config: NodeConfig,
        committer: GroupCommitter,
        *,
        domain: SigningDomain | None = None,
        agency_of: AgencyLookup | None = None,
        revoked_of: RevocationLookup | None = None,
        evidence: EvidenceSource | None = None,
        refresh_agencies: Callable[[], object] | None = None,
        metrics: NodeMetrics | None = None,
        rules: RuleSet | None = None,
        log_signer: NoteSigner | None = None,
    ) -> None:
        if config.requires_signatures and (domain is None or agency_of is None):
            raise ValueError("an anchoring node needs its signing domain and agency registry")
        self.store = store
        self.config = config
        self.committer = committer
        self.domain = domain
        self._separator = None if domain is None else domain.separator
        self._agency_of = agency_of
        self._revoked_of = revoked_of
        self._evidence = evidence
        self._refresh_agencies = refresh_agencies
        self.rules = rules or default_rule_set()
        """The rule set whose flags receipts list (docs/COMPLIANCE.md)."""
        self._recent = RecentRecords()
        self.log_signer = log_signer
        self.started_at = datetime.now(UTC)
        self.metrics = NodeMetrics() if metrics is None else metrics
        self.metrics.follow_store(store)
        self.checker = SubmissionChecker(0)
        """Where request bodies are checked: the loop's thread pool until the daemon gives
        its worker processes (`use_checker`)."""
        checkpoint_sizes(store)  # read every checkpoint's size once, now, not on a request

    def use_checker(self, checker: SubmissionChecker) -> None:
        """Check request bodies with `checker` (the daemon's worker processes) from now on."""
        self.checker = checker

    # -- submitting ------------------------------------------------------------------------

    def refuse_if_overloaded(self) -> None:
        """Back-pressure: raise NodeOverloaded while more sealed checkpoints wait for
        anchoring than `api.max_anchoring_backlog` (anchoring nodes: a log-only node anchors
        nothing), or more records wait for the group commit than `api.max_queued_records`.
        Shedding load here keeps the anchor delay bounded instead of acknowledging what the
        node cannot anchor. O(1) reads (the anchored frontier)."""
        queued, queue_bound = self.committer.queued_records, self.config.api.max_queued_records
        if queued > queue_bound:
            raise NodeOverloaded("the group-commit queue", queued, queue_bound, QUEUE_RETRY_SECONDS)
        checking = self.checker.checking_bytes
        if checking > MAX_CHECKING_BYTES:
            raise NodeOverloaded(
                "the bytes waiting to be checked", checking, MAX_CHECKING_BYTES, QUEUE_RETRY_SECONDS
            )
        if self.config.chain is None:
            return
        backlog = self.store.checkpoint_count - anchored_frontier(self.store)
        bound = self.config.api.max_anchoring_backlog
        if backlog > bound:
            raise NodeOverloaded(
                "the anchoring backlog (sealed checkpoints not yet anchored)",
                backlog,
                bound,
                BACKLOG_RETRY_SECONDS,
            )

    def check(self, obj: Any) -> PreparedRecord:
        """Validate one submission (or, on a log-only node, one bare record)."""
        if not isinstance(obj, dict):
            raise SubmissionInvalid("(submission)", "expected a JSON object")
        if self._separator is None or self._agency_of is None:
            if is_submission(obj):
                raise SubmissionInvalid(
                    "signature", "this node anchors nowhere, so it cannot check signatures"
                )
            return prepare_record(obj)
        if not is_submission(obj):
            raise SubmissionInvalid(
                "signature", "unsigned record: submit {record, salt, signature} (see PROTOCOL.md)"
            )
        return check_submission(
            parse_submission(obj), self._separator, self._agency_of, self._revoked_of
        )

    async def submit(self, objects: list[Any]) -> list[Receipt]:
        """All or nothing: every submission is checked before any is appended.

        A signer not (yet) in the agency registry makes the node refresh the registry from
        the chain once, on a worker thread, before it refuses: a registration mined a moment
        ago is honoured. If the chain cannot be read, `RegistryUnavailable` (HTTP 503).
        Once the log store has failed a write, `LogStoreFailed` (HTTP 503) at once: nothing
        more is acknowledged until the node is restarted (store.py, "Failed writes").
        While the node is overloaded, `NodeOverloaded` (HTTP 429) before any check.
        """
        failure = self.store.failure
        if failure is not None:
            raise failure
        self.refuse_if_overloaded()
        try:
            prepared = self._check_all(objects)
        except BatchInvalid as error:
            if not isinstance(error.error, AgencyNotRegistered) or self._refresh_agencies is None:
                raise
            await self._refresh_registry()
            prepared = self._check_all(objects)
        return await self._append(prepared)

    async def submit_body(self, raw: bytes) -> list[Receipt]:
        """`submit` of a request body as received: one submission or `{"submissions":
        [...]}`. Parsing, validation and signature recovery run in the checker's worker
        processes (`submissions.py`); the registry lookup and the append stay here. The
        same outcome as `submit` of the parsed items, the same first fault included."""
        failure = self.store.failure
        if failure is not None:
            raise failure
        self.refuse_if_overloaded()
        return await self._append(await self.check_body(raw))

    async def check_body(self, raw: bytes) -> list[PreparedRecord]:
        """The checks of `submit_body`, appending nothing: `raw` parsed, validated and its
        signers recovered in the checker's worker processes, then authorised here (the
        registry refreshed once for an unknown signer); the first fault a `BatchInvalid`
        naming its item (or the body's own `InputError`). The staged uploads (uploads.py)
        check their chunks with it as they arrive."""
        checked = await self.checker.check(self._separator, raw)
        try:
            return self._authorise_all(checked)
        except BatchInvalid as error:
            if not isinstance(error.error, AgencyNotRegistered) or self._refresh_agencies is None:
                raise
            await self._refresh_registry()
            return self._authorise_all(checked)

    async def append_checked(self, prepared: list[PreparedRecord]) -> list[Receipt]:
        """Append records `check_body` accepted, as one unit: one synced LevelDB batch (the
        group committer never splits a unit), so after a crash the log holds all of them or
        none."""
        return await self._append(prepared)

    def _authorise_all(self, checked: CheckedBody) -> list[PreparedRecord]:
        """The checked items authorised in order; the first fault, an item's refusal or the
        worker's, raised as the in-process check raises it."""
        prepared: list[PreparedRecord] = []
        for item, entry in enumerate(checked.items):
            if entry.signer is None:
                prepared.append(entry.record)
                continue
            assert self._agency_of is not None
            try:
                prepared.append(
                    authorised(entry.record, entry.signer, self._agency_of, self._revoked_of)
                )
            except InputError as error:
                raise BatchInvalid(item, error) from None
        if checked.fault is not None:
            if checked.fault_item is None:
                raise checked.fault
            raise BatchInvalid(checked.fault_item, checked.fault)
        return prepared

    async def _refresh_registry(self) -> None:
        """Read the agency registry from the chain again, on a worker thread."""
        assert self._refresh_agencies is not None
        try:
            await asyncio.get_running_loop().run_in_executor(None, self._refresh_agencies)
        except Exception as failure:  # any failure to read the chain: web3, requests, ours
            reason = str(failure).splitlines()[0] if str(failure) else type(failure).__name__
            raise RegistryUnavailable(reason[:200]) from failure

    async def _append(self, prepared: list[PreparedRecord]) -> list[Receipt]:
        receipts = await self.committer.append(prepared)
        fresh = sum(1 for receipt in receipts if not receipt.duplicate)
        self.metrics.records_accepted.inc(fresh)
        log.debug("accepted %d records (%d resubmitted)", fresh, len(receipts) - fresh)
        return receipts

    def compliance_flags(self, receipts: list[Receipt]) -> dict[int, list[Flag]]:
        """The flags of each receipt's record, by leaf index, from its case's recent records
        (bounded reads: `compliance_log.submission_flags`). Call it off the event loop."""
        return submission_flags(self.store, receipts, self.rules, self._recent)

    def _check_all(self, objects: list[Any]) -> list[PreparedRecord]:
        prepared: list[PreparedRecord] = []
        for item, obj in enumerate(objects):
            try:
                prepared.append(self.check(obj))
            except InputError as error:
                raise BatchInvalid(item, error) from None
        return prepared

    # -- reading ---------------------------------------------------------------------------

    def _index(self, record_id: str) -> tuple[bytes, int]:
        if FULL_RECORD_ID.fullmatch(record_id):
            # one keyed read (the tables' Bloom filters answer it), not a prefix scan
            full = bytes.fromhex(record_id)
            index = self.store.index_of(full)
            if index is None:
                raise RecordNotFound(record_id)
            return full, index
        full = self.store.find_record_id(record_id)
        index = self.store.index_of(full)
        if index is None:  # pragma: no cover - find_record_id found it
            raise RecordNotFound(record_id)
        return full, index

    # -- the operator's erasure -------------------------------------------------------------

    def shred(self, record_id: str, reason: str) -> ShredAnswer:
        """Crypto-shred the record `record_id` names (`LogStore.shred`: its text, salt and id
        go, its leaf stays, a tombstone says when and why); `RecordNotFound` if no record of
        the log has that id (or it is shredded already). A synced write and a compaction:
        call it off the event loop."""
        full, index = self._index(record_id)
        tombstone = self.store.shred(index, reason=reason)
        self._recent.forget(index)
        log.info("shredded the record at leaf %d (%s)", index, tombstone.shredded_at)
        return ShredAnswer(
            record_id=full.hex(),
            index=index,
            shredded_at=tombstone.shredded_at,
            reason=tombstone.reason,
        )

    def compliance_records(self, start: int, limit: int, to: int) -> dict[str, Any]:
        """The records of leaves start <= i < min(start + limit, to) as the compliance
        engine reads them (`compliance_log.records_page`): O(limit) reads, so call it off
        the event loop. Requires start <= to <= size."""
        high = min(start + limit, to)
        records, not_counted = records_page(self.store, start, high)
        return {
            "size": to,
            "records": [logged_json(r) for r in records],
            "not_counted": [n.as_json() for n in not_counted],
            "next": high if high < to else None,
        }

    def agency_of(self, address: str) -> str | None:
        """The credit code the agency registry holds for `address`, as the node last read it
        (None on a log-only node). Reads do not refresh the registry: the anchoring thread
        does, about every second, and an unknown signer must not make every request a
        chain query."""
        return None if self._agency_of is None else self._agency_of(address)

    async def refresh_agencies(self) -> None:
        """Read the agency registry's new events now, off the event loop (a signer the node
        does not know yet may have been registered since the anchoring thread last read
        it). `RegistryUnavailable` when the chain cannot be read."""
        if self._refresh_agencies is None:
            return
        try:
            await asyncio.get_running_loop().run_in_executor(None, self._refresh_agencies)
        except Exception as failure:  # any failure to read the chain: web3, requests, ours
            reason = str(failure).splitlines()[0] if str(failure) else type(failure).__name__
            raise RegistryUnavailable(reason[:200]) from failure

    def revocation(self, address: str) -> Revocation | None:
        """How the registration of `address` ended, if it was revoked (for wording only)."""
        return None if self._revoked_of is None else self._revoked_of(address)

    def record_agency(self, record_id: str) -> str | None:
        """The agency code in the leaf of the record `record_id` names (`RecordNotFound`)."""
        _, index = self._index(record_id)
        return _leaf_agency(self.store, index)

    def case_agencies(self, case: str) -> set[str | None]:
        """Every agency code among the leaves of `case` (empty if there is no such case)."""
        return {_leaf_agency(self.store, index) for index in self.store.case_indices(case)}

    def covering_checkpoint(self, index: int) -> Checkpoint | None:
        """The first checkpoint that includes leaf `index` (binary search: O(log n) reads)."""
        return covering_checkpoint(self.store, index)

    def record_status(self, record_id: str) -> RecordStatus:
        """What `GET /v1/records/{id}` answers: the record's leaf hash, acceptance time and
        how far it got (accepted, sealed, anchored). Reads the id index, the leaf, and the
        covering checkpoint and its state; not the record's text, salt or signature (in a
        large log each is a read that misses LevelDB's cache: benchmarks/year_scale.py)."""
        full, index = self._index(record_id)
        leaf = self.store.record_leaf(index)
        checkpoint = self.covering_checkpoint(index)
        return RecordStatus(
            record_id=full,
            index=index,
            leaf_hash=merkle.leaf_hash(leaf),
            accepted_at=str(json.loads(leaf)["accepted_at"]),
            checkpoint=checkpoint,
            anchor=None if checkpoint is None else confirmed_state(self.store, checkpoint.seq),
        )

    def bundle(self, record_id: str) -> ProofBundle:
        """The record's bundle: against its earliest anchored checkpoint (anchoring node), or
        its first sealed checkpoint (log-only node). May ask the chain once for the anchor
        evidence, so call it off the event loop."""
        full, index = self._index(record_id)
        if self.config.chain is not None:
            return anchored_bundle(self.store, index, self._evidence)
        checkpoint = self.covering_checkpoint(index)
        if checkpoint is None:
            raise NotAnchoredYet(f"record {full.hex()}", "not sealed yet")
        return build_bundle(self.store, index, checkpoint=checkpoint)

    def case_bundle(self, case: str) -> CaseBundle:
        if self.config.chain is not None:
            return anchored_case_bundle(self.store, case, self._evidence)
        return build_case_bundle(self.store, case)

    def checkpoints(self, start: int, limit: int) -> list[CheckpointAnchoring]:
        """The checkpoints with start <= seq < start + limit and their anchoring states: one
        page, O(limit) reads whatever the log's size (`GET /v1/checkpoints`)."""
        listed = []
        for checkpoint in self.store.checkpoint_range(start, start + limit):
            listed.append(CheckpointAnchoring(checkpoint, stored_state(self.store, checkpoint.seq)))
        return listed

    def anchors(self, start: int, limit: int) -> list[ConfirmedAnchor]:
        """The confirmed anchors of the checkpoints with start <= seq < start + limit (a page
        of seq numbers, so it may hold fewer than `limit`: `GET /v1/anchors`)."""
        out = []
        for checkpoint in self.store.checkpoint_range(start, start + limit):
            anchor = confirmed_state(self.store, checkpoint.seq)
            if anchor is not None:
                out.append(ConfirmedAnchor(checkpoint, anchor))
        return out

    def status(self) -> dict[str, Any]:
        return {
            **node_status(self.store, self.config),
            "witnessing": witnessing_status(self.store, self.config, self.log_signer),
            "started_at": self.started_at.isoformat(),
        }

    def signed_checkpoint(self, size: int | None = None) -> bytes | None:
        """The latest checkpoint (or the one of tree size `size`) as a signed note with every
        cosignature kept for it; None if there is none or it is not signed yet."""
        if size is None:
            seq: int | None = self.store.checkpoint_count - 1
        else:
            seq = seq_of_size(self.store, size)
        if seq is None or seq < 0:
            return None
        return self.store.cosigned_checkpoint(seq)


def _leaf_agency(store: LogStore, index: int) -> str | None:
    leaf, _, _, _ = store.raw_entry(index)
    if leaf is None:
        return None
    agency = json.loads(leaf).get("agency")
    return agency if isinstance(agency, str) else None
