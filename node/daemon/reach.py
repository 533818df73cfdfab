"""How a command reads a node's folder: through the running node's API, or from the log
opened here. One rule, in one place (`reach`), so every read command gives the same
answer whether the node runs or not.

LevelDB admits one process: while `evanchor node start` runs it holds the log (and the
embedded chain), so a command beside it cannot open them. The rule:

- the log is opened here; if it opens, no node runs, and the command reads it with the
  same functions the node's API calls;
- if its lock is held, a node runs: the command asks its API as the operator (the token
  in the folder, `access.py`), where its run file says it listens (`running.py`), or at
  the configured address when it left none (still starting, or older than the run file)
  and a node answers there; if none does, one line says the log is held by a process
  that serves no API.

The lock decides, not the run file: a file left by a killed node whose pid was reused by
another process cannot send a command to an API that is not there.

The chain's JSON-RPC follows the same rule (`chain_status`): the embedded chain is opened
here when it is free, and asked through the endpoint of the process that holds it when it
is not (the running node's, or that of a `chain run` serving it by itself).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from evanchor.anchor.compliance.engine import LoggedRecord
from evanchor.anchor.compliance.report import NotCounted
from evanchor.anchor.ethereum.progress import covering_checkpoint
from evanchor.anchor.log.bundle import NotYetSealed, build_bundle, build_case_bundle
from evanchor.anchor.log.store import LogStore, StoreBusy, StoreError
from evanchor.anchor.protocol.bundle_format import CaseBundle, ProofBundle, parse
from evanchor.anchor.protocol.checkpoint import Checkpoint, checkpoint_from_json
from evanchor.node.daemon.api_models import ShredAnswer
from evanchor.node.daemon.client import NodeClient, NodeRefused, NodeUnreachable, node_answers
from evanchor.node.daemon.compliance_log import logged_from_json, records_from_log
from evanchor.node.daemon.home import NodeHome
from evanchor.node.daemon.running import running_chain, running_node
from evanchor.node.daemon.status import node_status
from evanchor.node.daemon.witnessing import seal_and_sign, witnessing_status

if TYPE_CHECKING:
    from evanchor.node.daemon.bundles import EvidenceSource

# The chain side (web3, py-evm: over a second to import) is imported where a read needs
# it, so that `log status` and `seal` start as fast as the commands they replaced.


@dataclass(frozen=True)
class RecordLeaf:
    """Where a record is: its full id (hex) and its leaf index."""

    record_id: str
    index: int


@dataclass(frozen=True)
class Sealed:
    """What a seal did: the new checkpoint (None if nothing was new) and the log's size."""

    checkpoint: Checkpoint | None
    size: int


class NodeReads(Protocol):
    """The reads (and the operator's seal and shredding) a command makes of a node's folder.
    Bundles are typed (`ProofBundle`, `CaseBundle`: a running node's answer is read as one
    first); the status is JSON as the API serves it, printed as it is."""

    @property
    def running(self) -> bool:
        """Whether the answers come from a running node."""
        ...

    def status(self) -> dict[str, Any]:
        """Log, chain, anchoring and witnessing figures (`GET /v1/status`)."""
        ...

    def seal(self) -> Sealed:
        """Seal a checkpoint now, if anything is new (`POST /v1/seal`, the operator)."""
        ...

    def record_leaf(self, record_id: str) -> RecordLeaf:
        """The full id and leaf of a record (a full id, or a unique prefix of 8+ hex digits);
        `RecordNotFound` (or the node's 404) for none."""
        ...

    def shred(self, record_id: str, reason: str) -> ShredAnswer:
        """Crypto-shred a record (`POST /v1/records/{id}/shred`, the operator): what the
        shredding left, the record's leaf and its tombstone's time and reason."""
        ...

    def compliance_records(self) -> tuple[list[LoggedRecord], list[NotCounted]]:
        """Every record of the log as the compliance engine reads it, and the leaves not
        counted (`GET /v1/compliance/records`, page by page, over one prefix of the log)."""
        ...

    def report_bundle(self, logged: LoggedRecord) -> ProofBundle | None:
        """The bundle a compliance report links for `logged` (a flagged record), or None
        if there is none yet."""
        ...

    def bundle(self, record_id: str) -> ProofBundle:
        """The proof bundle of a record (a full id, or a unique prefix of 8+ hex digits)."""
        ...

    def case_bundle(self, case: str) -> CaseBundle:
        """The case bundle of `case` (e.g. collection/C-1)."""
        ...


class ThroughApi:
    """A running node, asked through its HTTP API."""

    running = True

    def __init__(self, client: NodeClient) -> None:
        self.client = client

    def status(self) -> dict[str, Any]:
        answer: dict[str, Any] = self.client.get("/v1/status")
        return answer

    def seal(self) -> Sealed:
        answer = self.client.post("/v1/seal")
        sealed = answer["sealed"]
        checkpoint = None if sealed is None else checkpoint_from_json(sealed)
        return Sealed(checkpoint, int(answer["size"]))

    def record_leaf(self, record_id: str) -> RecordLeaf:
        answer = self.client.get(f"/v1/records/{record_id}")
        return RecordLeaf(str(answer["record_id"]), int(answer["index"]))

    def shred(self, record_id: str, reason: str) -> ShredAnswer:
        answer = self.client.post(f"/v1/records/{record_id}/shred", {"reason": reason})
        return ShredAnswer.model_validate(answer)

    def compliance_records(self) -> tuple[list[LoggedRecord], list[NotCounted]]:
        records: list[LoggedRecord] = []
        not_counted: list[NotCounted] = []
        page = self.client.get("/v1/compliance/records")
        while True:
            records += [logged_from_json(item) for item in page["records"]]
            not_counted += [NotCounted(n["what"], n["reason"]) for n in page["not_counted"]]
            if page["next"] is None:
                return records, not_counted
            page = self.client.get(f"/v1/compliance/records?from={page['next']}&to={page['size']}")

    def report_bundle(self, logged: LoggedRecord) -> ProofBundle | None:
        """The node's bundle of the record; None while it has none to give (409: not
        anchored yet on an anchoring node, not sealed yet on a log-only one)."""
        try:
            return self.bundle(logged.record_id)
        except NodeRefused as refused:
            if refused.status == HTTPStatus.CONFLICT:
                return None
            raise

    def bundle(self, record_id: str) -> ProofBundle:
        """The node's answer read as a proof bundle (`BundleMalformed` naming the member if
        it is not one)."""
        return parse(ProofBundle, self.client.get(f"/v1/records/{record_id}/bundle"))

    def case_bundle(self, case: str) -> CaseBundle:
        return parse(CaseBundle, self.client.get(f"/v1/cases/{case}/bundle"))


_Bundle = TypeVar("_Bundle", ProofBundle, CaseBundle)


class FromLog:
    """A stopped node: its log, opened in this process, read as the node's API reads it."""

    running = False

    def __init__(self, home: NodeHome, store: LogStore) -> None:
        self.home = home
        self.store = store

    def status(self) -> dict[str, Any]:
        config = self.home.config()
        return {
            **node_status(self.store, config),
            "witnessing": witnessing_status(self.store, config, self.home.log_signer()),
        }

    def seal(self) -> Sealed:
        checkpoint = seal_and_sign(self.store, self.home.log_signer())
        return Sealed(checkpoint, self.store.size)

    def record_leaf(self, record_id: str) -> RecordLeaf:
        full = self.store.find_record_id(record_id)
        index = self.store.index_of(full)
        assert index is not None  # find_record_id found it in the index
        return RecordLeaf(full.hex(), index)

    def shred(self, record_id: str, reason: str) -> ShredAnswer:
        """As `NodeService.shred`."""
        found = self.record_leaf(record_id)
        tombstone = self.store.shred(found.index, reason=reason)
        return ShredAnswer(
            record_id=found.record_id,
            index=found.index,
            shredded_at=tombstone.shredded_at,
            reason=tombstone.reason,
        )

    def compliance_records(self) -> tuple[list[LoggedRecord], list[NotCounted]]:
        return records_from_log(self.store)

    def report_bundle(self, logged: LoggedRecord) -> ProofBundle | None:
        """Against its earliest anchored checkpoint with the kept chain evidence, else
        against its first checkpoint (inclusion only, and `verify` says it is not
        anchored); None if no checkpoint covers it yet."""
        store = self.store
        if self.home.config().chain is not None:
            from evanchor.node.daemon.bundles import (  # noqa: PLC0415 - chain side
                NotAnchoredYet,
                anchored_bundle,
            )

            try:
                return anchored_bundle(store, logged.leaf_index)
            except NotAnchoredYet:
                pass
        anchoring = logged.anchoring
        if anchoring is None:
            return None
        try:
            return build_bundle(
                store, logged.leaf_index, checkpoint=store.checkpoint(anchoring.checkpoint_seq)
            )
        except (NotYetSealed, StoreError):
            return None

    def bundle(self, record_id: str) -> ProofBundle:
        """As `NodeService.bundle`: against the earliest anchored checkpoint that holds the
        record (anchoring node), or the first sealed one (log-only node)."""
        store = self.store
        full_id = store.find_record_id(record_id)
        index = store.index_of(full_id)
        assert index is not None
        if self.home.config().chain is not None:
            from evanchor.node.daemon.bundles import anchored_bundle  # noqa: PLC0415 - chain side

            return self._with_evidence(lambda source: anchored_bundle(store, index, source))
        # None when no seal holds it yet: then `build_bundle` says so.
        checkpoint = covering_checkpoint(store, index)
        return build_bundle(store, index, checkpoint=checkpoint)

    def case_bundle(self, case: str) -> CaseBundle:
        store = self.store
        if self.home.config().chain is None:
            return build_case_bundle(store, case)
        from evanchor.node.daemon.bundles import anchored_case_bundle  # noqa: PLC0415 - chain side

        return self._with_evidence(lambda source: anchored_case_bundle(store, case, source))

    def _with_evidence(self, build: Callable[[EvidenceSource | None], _Bundle]) -> _Bundle:
        """Build with the kept anchor evidence; reach the chain only if some is missing (the
        node's anchoring thread, which collects it, is not running)."""
        from evanchor.node.daemon.bundles import (  # noqa: PLC0415
            EvidenceNotCollected,
            chain_evidence,
        )

        try:
            return build(None)
        except EvidenceNotCollected:
            pass
        # Only now the chain side: a bundle whose evidence is kept imports no web3 or py-evm.
        from evanchor.anchor.ethereum import client as cc  # noqa: PLC0415 - chain side
        from evanchor.node.daemon.chain_access import chain_endpoint  # noqa: PLC0415

        chain = self.home.config().chain
        assert chain is not None
        with chain_endpoint(self.home, read_only=True) as url:
            anchor = cc.contract_at(cc.web3_for(url), chain.contract)
            return build(chain_evidence(anchor, self.store))


def _through_api(home: NodeHome, api_url: str) -> ThroughApi:
    return ThroughApi(NodeClient(api_url, home.read_operator_token()))


@contextlib.contextmanager
def reach(home: NodeHome) -> Iterator[NodeReads]:
    """The node of `home`, for the block: its API if it runs, else its log opened here
    (closed when the block exits). See the module docstring for the rule."""
    try:
        store = home.open_log()
    except StoreBusy:
        store = None
    if store is None:
        running = running_node(home)
        if running is not None:
            yield _through_api(home, running.api)
            return
        url = home.config().api.url
        if not node_answers(url):
            raise NodeUnreachable(
                f"the log at {home.log_path} is open in another process, and no run file names"
                f" a node and none answers at {url} (a node still starting, or another command"
                " on this folder): try again once it has finished, or stop it"
            )
        yield _through_api(home, url)
        return
    with store:
        yield FromLog(home, store)


# -- the embedded chain ----------------------------------------------------------------------


class ChainStatus(BaseModel):
    """`evanchor chain status`: the embedded chain's state and what its folder holds. The
    JSON names are the chain's own (camelCase, as its JSON-RPC)."""

    model_config = ConfigDict(frozen=True, extra="forbid", serialize_by_alias=True)

    data_dir: str = Field(serialization_alias="dataDir")
    chain_id: int = Field(serialization_alias="chainId")
    head: int
    head_hash: str = Field(serialization_alias="headHash")
    head_timestamp: int = Field(serialization_alias="headTimestamp")
    authorities: list[str]
    """Checksummed, sorted: the Clique signers after the head."""
    proposals: dict[str, bool]
    """This sealer's votes: lower-case address -> add (true) or drop (false)."""
    allowlisted: list[str]
    sealer_key_file: str | None = Field(serialization_alias="sealerKeyFile")


@dataclass(frozen=True)
class _Head:
    number: int
    hash: str
    timestamp: int


def chain_status(data_dir: Path) -> ChainStatus:
    """The embedded chain in `data_dir`: read from its database when it is free, else
    through the JSON-RPC of the node that holds it (its run file, in the folder above
    `data_dir`). The same members either way; the votes are the ones the sealer casts."""
    from eth_utils.address import to_checksum_address  # noqa: PLC0415 - chain side

    from evanchor.node.chain.datadir import open_chain  # noqa: PLC0415
    from evanchor.node.chain.errors import DatabaseInUse  # noqa: PLC0415

    try:
        opened = open_chain(data_dir)
    except DatabaseInUse:
        rpc = _serving_rpc(data_dir)
        if rpc is None:
            raise
        return _chain_status_over_rpc(data_dir, rpc)
    try:
        head = opened.head
        return _chain_status(
            data_dir,
            chain_id=opened.chain_id,
            head=_Head(head.block_number, "0x" + head.hash.hex(), head.timestamp),
            authorities=[to_checksum_address(a) for a in opened.authorities()],
            proposals={"0x" + p.subject.hex(): p.authorize for p in opened.proposals},
        )
    finally:
        opened.close()


def _serving_rpc(data_dir: Path) -> str | None:
    """The JSON-RPC URL of the process that holds `data_dir`'s chain: the node of the folder
    above it (its run file), or a `chain run` serving it by itself (the data directory's
    run file); None if neither says it serves it."""
    node = running_node(NodeHome(data_dir.parent))
    if (
        node is not None
        and node.rpc is not None
        and node.chain_dir is not None
        and Path(node.chain_dir).resolve() == data_dir.resolve()
    ):
        return node.rpc
    chain = running_chain(data_dir)
    return None if chain is None else chain.rpc


def _chain_status_over_rpc(data_dir: Path, url: str) -> ChainStatus:
    from eth_utils.address import to_checksum_address  # noqa: PLC0415 - chain side

    from evanchor.node.daemon.chain_access import json_rpc  # noqa: PLC0415

    block = json_rpc(url, "eth_getBlockByNumber", ["latest", False])
    proposals = json_rpc(url, "clique_proposals", [])
    return _chain_status(
        data_dir,
        chain_id=int(json_rpc(url, "eth_chainId", []), 16),
        head=_Head(int(block["number"], 16), str(block["hash"]), int(block["timestamp"], 16)),
        authorities=[to_checksum_address(a) for a in json_rpc(url, "clique_getSigners", [])],
        proposals={str(subject).lower(): bool(add) for subject, add in proposals.items()},
    )


def _chain_status(
    data_dir: Path,
    *,
    chain_id: int,
    head: _Head,
    authorities: list[str],
    proposals: dict[str, bool],
) -> ChainStatus:
    from eth_utils.address import to_checksum_address  # noqa: PLC0415 - chain side

    from evanchor.node.chain.datadir import DataDir  # noqa: PLC0415
    from evanchor.node.chain.genesis import read_genesis  # noqa: PLC0415

    folder = DataDir(data_dir)
    key_file = folder.key_file
    genesis = read_genesis(folder.genesis_file)
    return ChainStatus(
        data_dir=str(data_dir),
        chain_id=chain_id,
        head=head.number,
        head_hash=head.hash,
        head_timestamp=head.timestamp,
        authorities=authorities,
        proposals=proposals,
        allowlisted=[to_checksum_address(a) for a in genesis.allowlist],
        sealer_key_file=None if key_file is None else key_file.name,
    )
