"""Auditing a log against its chain: anchored checkpoints, the writer's role, the agencies.

`audit_log` (audit.py) recomputes the log from its raw contents. This module reads what the
chain says about the same log — identified by (chain id, contract, writer) — and holds the
two against each other, naming every disagreement as a `Discrepancy` (docs/AUDIT.md):

- the endpoint serves the log's chain, and the contract's code is EvidenceAnchor's (so its
  rules — the writer role check, the on-chain consistency proof — are the ones that ran);
- every `CheckpointAnchored` event of the writer, in order: its index follows the one
  before; its (size, root) is the log's recomputed root at that size, and that size is one
  the log sealed (or the log is shorter than what was anchored); the writer held
  `WRITER_ROLE` when it anchored; the contract's storage holds the same checkpoint; and two
  consecutive anchored checkpoints that are both the log's are RFC 9162-consistent, by a
  proof the local log builds (`LogStore.consistency_proof`) and `verify.py` checks;
- every checkpoint the node recorded as confirmed is on chain exactly where the node says
  (transaction, block number and hash, log index); sealed checkpoints not anchored yet are
  counted as pending, not reported;
- with `AgencySignatureCheck`, every record's signature recovers to an address that the
  contract's registry held for the record's agency code at the block that anchored the
  record's first checkpoint (or at the audited head, for records not anchored yet).

Everything is read at one head block, fixed first, so the audit sees one state of the chain.

The writer's authorisation is decided from the contract's `RoleGranted`/`RoleRevoked`
events, replayed in (block, log index) order up to the anchoring log, rather than with
`hasRole` at the anchoring block: an `eth_call` at block B answers for the state *after* B,
so a revocation later in the same block would be read as "not authorised"; the events place
the grant before the anchor exactly, need no archive state, and cost one `eth_getLogs` per
window instead of a call per checkpoint. Agency registrations use `agencyCreditCode` at the
anchoring block (`eth_call`, cached per signer and block): the anchor is the first moment
the chain attests that the record existed, so the registry must have held the signer then.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Iterator
from dataclasses import astuple, dataclass, field, fields
from typing import Any, TypeVar, cast

from eth_utils.address import is_address, to_checksum_address
from eth_utils.crypto import keccak
from web3 import Web3
from web3.exceptions import Web3RPCError

from evanchor.anchor.errors import EvanchorError
from evanchor.anchor.ethereum import client as cc
from evanchor.anchor.ethereum.anchor_state import (
    AnchorStateCorrupt,
    AnchorStatus,
    Confirmed,
    parse_anchor_state,
)
from evanchor.anchor.ethereum.errors import ChainUnavailable, RpcError
from evanchor.anchor.log.audit import (
    AuditReport,
    Recovered,
    SignatureProblem,
    recover,
)
from evanchor.anchor.log.audit_state import LoadedState
from evanchor.anchor.log.parallel_audit import ProgressCallback, audit_log_parallel
from evanchor.anchor.log.store import LogStore
from evanchor.anchor.protocol.log_identity import LogIdentity
from evanchor.anchor.protocol.seal_leaf import AnchorTarget
from evanchor.anchor.protocol.signing import SigningDomain
from evanchor.anchor.verify.proofs import verify_consistency
from evanchor.contracts.storage_layout import StoredCheckpoint

ROLE_GRANTED_TOPIC = keccak(b"RoleGranted(bytes32,address,address)")
ROLE_REVOKED_TOPIC = keccak(b"RoleRevoked(bytes32,address,address)")

LOG_WINDOW_BLOCKS = cc.LOG_WINDOW_BLOCKS
"""Blocks per `eth_getLogs` query (see `chain_client.LOG_WINDOW_BLOCKS`)."""

_T = TypeVar("_T")


@dataclass(frozen=True)
class RoleChange:
    """A `RoleGranted` (granted) or `RoleRevoked` of `WRITER_ROLE` for the writer."""

    granted: bool
    block_number: int
    log_index: int


@dataclass(frozen=True)
class ChainView:
    """What the chain says about one log, all read at block `head`."""

    chain_id: int
    head: cc.BlockInfo
    code_hash: bytes
    events: list[cc.AnchorEvent]
    stored: list[StoredCheckpoint]
    writer_roles: list[RoleChange]
    genesis_hash: bytes = b""
    """The hash of the endpoint's block 0: with the chain id, it names the chain."""
    sizes: list[int] = field(init=False, repr=False)
    """The anchored sizes, in event order (for finding a record's anchoring block)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "sizes", [event.size for event in self.events])

    def anchoring_block(self, index: int) -> int | None:
        """The block of the first anchored checkpoint that covers leaf `index`, if any.

        Requires the anchored sizes to increase: the contract enforces it, and events are
        read only from EvidenceAnchor's code.
        """
        position = bisect.bisect_right(self.sizes, index)
        if position == len(self.events):
            return None
        return self.events[position].block_number


def _rpc(what: str, thunk: Callable[[], _T]) -> _T:
    """A raw web3 call whose failures become `chain_errors` exceptions, as chain_client's."""
    try:
        return thunk()
    except EvanchorError:
        raise
    except Web3RPCError as error:
        raise RpcError(what, " ".join(str(error).split())) from None
    except Exception as error:
        if cc.is_transient(error):
            raise ChainUnavailable(what, " ".join(str(error).split())) from error
        raise


def _windows(first: int, last: int) -> Iterator[tuple[int, int]]:
    start = first
    while start <= last:
        end = min(last, start + LOG_WINDOW_BLOCKS - 1)
        yield start, end
        start = end + 1


def _writer_role_changes(
    anchor: cc.AnchorContract, writer: str, first: int, last: int
) -> list[RoleChange]:
    """Every grant and revocation of `WRITER_ROLE` to `writer` in blocks first..last."""
    changes = []
    topics = [
        ["0x" + ROLE_GRANTED_TOPIC.hex(), "0x" + ROLE_REVOKED_TOPIC.hex()],
        "0x" + cc.WRITER_ROLE.hex(),
        "0x" + bytes.fromhex(writer.removeprefix("0x")).rjust(32, b"\x00").hex(),
    ]
    if first <= last:
        found = _rpc("eth_getLogs", lambda: cc.logs(anchor, topics, first, last))
    else:
        found = []
    for log in found:
        if log.get("removed"):
            continue
        changes.append(
            RoleChange(
                granted=bytes(log["topics"][0]) == ROLE_GRANTED_TOPIC,
                block_number=int(log["blockNumber"]),
                log_index=int(log["logIndex"]),
            )
        )
    changes.sort(key=lambda change: (change.block_number, change.log_index))
    return changes


def read_chain(w3: Web3, identity: LogIdentity, *, deploy_block: int = 0) -> ChainView:
    """Read the log's anchors, the contract's storage of them, the writer's role history and
    the contract's code, all at the current head (fixed first). Reading events starts at
    `deploy_block` (the contract's deployment block; 0 reads them all).

    Events and storage are read only from EvidenceAnchor's code on the log's chain: from
    anything else they would not mean what the audit takes them to mean.
    """
    head = cc.block_info(w3, "latest")
    chain = cc.chain_id(w3)
    genesis = cc.block_info(w3, 0).hash
    anchor = cc.contract_at(w3, identity.contract)
    code = _rpc("eth_getCode", lambda: w3.eth.get_code(cast(Any, anchor.address), head.number))
    view = ChainView(chain, head, keccak(bytes(code)), [], [], [], genesis)
    if chain != identity.chain_id or view.code_hash != cc.deployed_code_hash():
        return view
    first = min(deploy_block, head.number)
    events: list[cc.AnchorEvent] = []
    for start, end in _windows(first, head.number):
        events += cc.anchor_events(anchor, writer=identity.writer, from_block=start, to_block=end)
    events.sort(key=lambda event: (event.block_number, event.log_index))
    count = cc.checkpoint_count(anchor, identity.writer, head.number)
    stored = [
        cc.checkpoint_at(anchor, identity.writer, index, head.number) for index in range(count)
    ]
    roles = _writer_role_changes(anchor, identity.writer, first, head.number)
    return ChainView(chain, head, view.code_hash, events, stored, roles, genesis)


# -- agency signatures -------------------------------------------------------------------


class AgencySignatureCheck:
    """A `SignatureCheck` for `audit_log`: recover each record's signer under the log's
    EIP-712 domain and ask the registry whether that signer held the leaf's agency code at
    the block that anchored the record (the audited head if it is not anchored yet).

    Registry answers are cached per (signer, block): a log has few signers and few
    anchoring blocks, so an audit of n records makes far fewer than n calls.
    """

    def __init__(
        self, anchor: cc.AnchorContract, view: ChainView, store: LogStore, from_block: int = 0
    ) -> None:
        self._anchor = anchor
        self._view = view
        self._store = store
        self._from_block = min(from_block, view.head.number)
        self._separator = SigningDomain(view.chain_id, anchor.address).separator
        self._codes: dict[tuple[str, int], str | None] = {}
        self._histories: dict[str, str] = {}
        self.registry_calls = 0

    def _code_at(self, signer: str, block: int) -> str | None:
        key = (signer, block)
        if key not in self._codes:
            self.registry_calls += 1
            self._codes[key] = cc.agency_code_at(self._anchor, signer, block)
        return self._codes[key]

    def _history(self, signer: str) -> str:
        """The signer's registry history in one phrase, for the discrepancy's detail."""
        if signer not in self._histories:
            events = [
                event
                for start, end in _windows(self._from_block, self._view.head.number)
                for event in cc.agency_events(
                    self._anchor, agency=signer, from_block=start, to_block=end
                )
            ]
            if not events:
                shown = "it was never registered"
            else:
                shown = "its registry history: " + ", ".join(
                    f"registered for {e.credit_code} in block {e.block_number}"
                    if e.registered
                    else f"revoked in block {e.block_number}"
                    for e in events
                )
            self._histories[signer] = shown
        return self._histories[signer]

    def _agency(self, index: int) -> str | None:
        raw_leaf = self._store.raw_entry(index)[0]
        try:
            agency = json.loads(raw_leaf or b"null")["agency"]
        except (ValueError, TypeError, KeyError):
            return None
        return agency if isinstance(agency, str) else None

    @property
    def domain_separator(self) -> bytes:
        """The log's EIP-712 domain: all the workers need to recover signers."""
        return self._separator

    def __call__(
        self, index: int, commitment: bytes, signature: bytes | None
    ) -> SignatureProblem | None:
        return self.judge(index, recover(self._separator, commitment, signature))

    def judge(self, index: int, recovered: Recovered) -> SignatureProblem | None:
        """The registry's word on a recovered signer (or why there is none) for leaf
        `index`: it must have held the leaf's agency code when the record was anchored."""
        if not isinstance(recovered, str):
            return recovered
        signer = recovered
        anchored = self._view.anchoring_block(index)
        block = self._view.head.number if anchored is None else anchored
        when = (
            f"at the head block {block} (not anchored yet)"
            if anchored is None
            else f"at block {block}, which anchored it"
        )
        registered = self._code_at(signer, block)
        agency = self._agency(index)
        if registered is None:
            return (
                "agency not registered",
                f"signer {signer} was not a registered agency {when}; {self._history(signer)}",
            )
        if registered != agency:
            return (
                "agency mismatch",
                f"signer {signer} was registered for agency {registered} {when},"
                f" the record is agency {agency}'s",
            )
        return None


# -- anchored checkpoints ----------------------------------------------------------------


def authorised_before(roles: list[RoleChange], event: cc.AnchorEvent) -> bool:
    """Whether the role changes before `event` (in block and log order) leave it granted."""
    held = False
    for change in roles:
        if (change.block_number, change.log_index) >= (event.block_number, event.log_index):
            break
        held = change.granted
    return held


def _check_event(
    report: AuditReport, store: LogStore, view: ChainView, position: int, sealed: set[int]
) -> bool:
    """Check anchor event `position`; True if its (size, root) is the log's own."""
    event = view.events[position]
    where = f"anchored checkpoint {position} (block {event.block_number})"
    if event.index != position:
        report.add(
            "anchor event missing",
            where,
            f"event {position} in chain order carries index {event.index}"
            " (an anchor event is missing or out of order)",
        )
    is_the_logs = False
    if event.size > store.size:
        report.add(
            "log shorter than anchored",
            where,
            f"the log holds {store.size} leaves but the chain holds its checkpoint of"
            f" {event.size}: the log was shortened or rolled back (records dropped from its"
            " end) after it was anchored, or it was replaced",
        )
    else:
        if event.size not in sealed:
            report.add(
                "anchored size not sealed",
                where,
                f"size {event.size} is not the size of any checkpoint the log sealed",
            )
        try:
            computed = report.root_at(event.size)
        except ValueError:  # an incremental audit knows the roots of checkpoints only
            computed = None
        is_the_logs = computed == event.root
        if computed is not None and not is_the_logs:
            report.add(
                "anchored root mismatch",
                where,
                f"root {event.root.hex()} anchored for size {event.size}; the log's first"
                f" {event.size} leaves hash to {computed.hex()}",
            )
    if not authorised_before(view.writer_roles, event):
        report.add(
            "writer unauthorised",
            where,
            f"{event.writer} did not hold WRITER_ROLE when it anchored"
            f" (tx {event.tx_hash.hex()}, log {event.log_index})",
        )
    stored = view.stored[event.index] if 0 <= event.index < len(view.stored) else None
    if stored is None:
        report.add(
            "anchor storage mismatch",
            where,
            f"the contract stores {len(view.stored)} checkpoints, none at index {event.index}",
        )
    elif (stored.size, stored.root, stored.block_number) != (
        event.size,
        event.root,
        event.block_number,
    ):
        report.add(
            "anchor storage mismatch",
            where,
            f"the event says size {event.size}, root {event.root.hex()}, block"
            f" {event.block_number}; storage says size {stored.size}, root"
            f" {stored.root.hex()}, block {stored.block_number}",
        )
    return is_the_logs


def _check_consistency(
    report: AuditReport, store: LogStore, view: ChainView, position: int
) -> None:
    """The log's RFC 9162 proof from the previous anchored checkpoint must reach this one.

    Called when both anchored roots are the log's own: a root that is not has been named,
    and no proof from this log could link it. What remains to find here is a log whose
    stored tree cannot prove what its recomputed roots claim, or anchored sizes that do
    not grow.
    """
    previous, event = view.events[position - 1], view.events[position]
    try:
        proof = store.consistency_proof(previous.size, event.size)
        verify_consistency(previous.size, event.size, previous.root, event.root, proof)
    except EvanchorError as error:
        report.add(
            "anchored checkpoints inconsistent",
            f"anchored checkpoint {position} (block {event.block_number})",
            f"the log does not prove it consistent with the previous anchored checkpoint"
            f" (size {previous.size}, root {previous.root.hex()}): {error}",
        )
    else:
        report.count("consistency proofs checked")


def _check_receipt(
    report: AuditReport, view: ChainView, identity: LogIdentity, state: Confirmed
) -> None:
    """A checkpoint the node recorded as confirmed is on chain exactly where it says."""
    where = f"checkpoint {state.seq}"
    index = state.checkpoint_index
    event = view.events[index] if index < len(view.events) else None
    if event is None or event.index != index:
        report.add(
            "anchor receipt not on chain",
            where,
            f"the node recorded it anchored as index {index} in block"
            f" {state.block_number} (tx {state.tx_hash.hex()}); the chain has no such anchor",
        )
        return
    on_chain = _Receipt(
        chain_id=view.chain_id,
        contract=to_checksum_address(identity.contract),
        size=event.size,
        root=event.root.hex(),
        writer=event.writer,
        tx_hash=event.tx_hash.hex(),
        block_number=event.block_number,
        block_hash=event.block_hash.hex(),
        log_index=event.log_index,
    )
    recorded = _Receipt(
        chain_id=state.chain_id,
        contract=_checksummed(state.contract),
        size=state.size,
        root=state.root.hex(),
        writer=_checksummed(state.writer),
        tx_hash=state.tx_hash.hex(),
        block_number=state.block_number,
        block_hash=state.block_hash.hex(),
        log_index=state.log_index,
    )
    differing = [
        (name, mine, theirs)
        for name, mine, theirs in zip(
            _RECEIPT_FIELDS, astuple(recorded), astuple(on_chain), strict=True
        )
        if mine != theirs
    ]
    if differing:
        report.add(
            "anchor receipt mismatch",
            where,
            "; ".join(
                f"{name} recorded {mine}, on chain {theirs}" for name, mine, theirs in differing
            ),
        )


@dataclass(frozen=True)
class _Receipt:
    """Where an anchor is, in the order the audit names a difference: as the node recorded
    it (`Confirmed`) or as the chain holds it (`AnchorEvent`); hashes as hex, addresses
    checksummed where they are addresses."""

    chain_id: int
    contract: str
    size: int
    root: str
    writer: str
    tx_hash: str
    block_number: int
    block_hash: str
    log_index: int


_RECEIPT_FIELDS = tuple(f.name for f in fields(_Receipt))


def _checksummed(value: str) -> str:
    return to_checksum_address(value) if is_address(value) else value


def _recorded_receipt(
    report: AuditReport, seq: int, raw: dict[str, object] | None
) -> Confirmed | None:
    """The confirmed anchoring the node recorded for checkpoint `seq`, if any; a recorded
    state that claims to be confirmed but is not a `Confirmed` is named and skipped."""
    if raw is None or raw.get("status") != AnchorStatus.CONFIRMED:
        return None
    try:
        state = parse_anchor_state(raw)
    except AnchorStateCorrupt as error:
        report.add("anchor receipt mismatch", f"checkpoint {seq}", str(error))
        return None
    assert isinstance(state, Confirmed)  # the status said so, and parsing is by status
    return state


def check_chain(
    report: AuditReport, store: LogStore, view: ChainView, identity: LogIdentity
) -> None:
    """Hold the chain's view of the log against the log (`report` as `audit_log` left it)."""
    checkpoints = store.checkpoints()
    sealed = {checkpoint.size for checkpoint in checkpoints}
    previous_is_the_logs = False
    for position in range(len(view.events)):
        is_the_logs = _check_event(report, store, view, position, sealed)
        if position > 0 and is_the_logs and previous_is_the_logs:
            _check_consistency(report, store, view, position)
        previous_is_the_logs = is_the_logs
    if len(view.stored) > len(view.events):
        report.add(
            "anchor event missing",
            f"writer {identity.writer}",
            f"the contract stores {len(view.stored)} checkpoints, the chain's logs show"
            f" {len(view.events)} anchor events",
        )
    report.count("anchors on chain", len(view.events))
    anchored = {(event.size, event.root) for event in view.events}
    last_anchored = max(view.sizes, default=0)
    for checkpoint in checkpoints:
        state = _recorded_receipt(report, checkpoint.seq, store.anchor_state(checkpoint.seq))
        if state is not None:
            _check_receipt(report, view, identity, state)
        if (checkpoint.size, checkpoint.root) in anchored:
            report.count("checkpoints anchored")
        elif checkpoint.size > last_anchored:
            report.count("checkpoints pending")
        elif checkpoint.size not in view.sizes:
            report.count("checkpoints covered by a later anchor")


def _identity_problem(
    view: ChainView, identity: LogIdentity, target: AnchorTarget | None
) -> tuple[str, str, str] | None:
    """(kind, where, detail) if the endpoint is not the log's chain (chain id, or the genesis
    the log's seal leaves commit to) or the contract is not EvidenceAnchor; None when the
    chain side can be audited."""
    if view.chain_id != identity.chain_id:
        return (
            "chain mismatch",
            "chain",
            f"the endpoint serves chain {view.chain_id}, the log anchors to {identity.chain_id}",
        )
    if target is not None and view.genesis_hash != target.genesis_hash:
        return (
            "chain mismatch",
            "chain",
            f"the endpoint's genesis is {view.genesis_hash.hex()}, the log's seal leaves commit"
            f" to a chain whose genesis is {target.genesis_hash.hex()}",
        )
    expected = cc.deployed_code_hash()
    if view.code_hash != expected:
        found = "no code" if view.code_hash == keccak(b"") else f"code hash {view.code_hash.hex()}"
        return (
            "contract code mismatch",
            f"contract {identity.contract}",
            f"{found} at block {view.head.number}; EvidenceAnchor's code hash is {expected.hex()}",
        )
    return None


def _check_target(report: AuditReport, target: AnchorTarget | None, identity: LogIdentity) -> None:
    """The anchor target the log's seal leaves commit to is the node's log on this chain."""
    configured = (identity.chain_id, to_checksum_address(identity.contract), identity.writer)
    if target is None:
        report.add(
            "anchor target mismatch",
            "log",
            f"the log's seal leaves commit to no chain; the node anchors to chain"
            f" {identity.chain_id}, contract {identity.contract}, writer {identity.writer}",
        )
    elif (target.chain_id, target.contract, target.writer) != configured:
        report.add(
            "anchor target mismatch",
            "log",
            f"the log's seal leaves commit to chain {target.chain_id}, contract"
            f" {target.contract}, writer {target.writer}; the node anchors to chain"
            f" {identity.chain_id}, contract {identity.contract}, writer {identity.writer}",
        )


def audit_against_chain(
    w3: Web3,
    identity: LogIdentity,
    store: LogStore,
    *,
    deploy_block: int = 0,
    workers: int = 1,
    progress: ProgressCallback | None = None,
    resume: LoadedState | None = None,
    keep_state: bool = False,
) -> tuple[AuditReport, ChainView]:
    """The whole audit of a log that anchors on `w3`'s chain: the log recomputed, with every
    agency signature checked against the registry, then every anchor held against it.
    The log's check runs on `workers` processes (`audit_log_parallel`, the same report);
    events are read from `deploy_block` on (`read_chain`); `progress` is told the leaves
    walked; `resume` and `keep_state` make it incremental
    (audit_state.py): the anchors are all checked, against the audited roots of the
    checkpoints before the resumed one.

    If the endpoint is not the log's chain, or the contract is not EvidenceAnchor, that is
    the one chain-side discrepancy: the log is still audited on its own, without signatures.
    """
    view = read_chain(w3, identity, deploy_block=deploy_block)
    target = store.anchor_target
    problem = _identity_problem(view, identity, target)
    if problem is not None:
        report = audit_log_parallel(
            store, workers=workers, progress=progress, resume=resume, keep_state=keep_state
        )
        report.add(*problem)
        report.next_state = None
        return report, view
    anchor = cc.contract_at(w3, identity.contract)
    check = AgencySignatureCheck(anchor, view, store, deploy_block)
    report = audit_log_parallel(
        store,
        workers=workers,
        signature_check=check,
        progress=progress,
        resume=resume,
        keep_state=keep_state,
    )
    _check_target(report, target, identity)
    check_chain(report, store, view, identity)
    if not report.ok:
        report.next_state = None
    report.count("registry lookups", check.registry_calls)
    return report, view
