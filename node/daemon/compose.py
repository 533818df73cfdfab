"""Wiring a node's parts for `evanchor node start`: service, agency registry, anchoring thread.

In embedded mode the chain's JSON-RPC endpoint runs on the daemon's own event loop, so
nothing here may call the chain from that loop: the registry is refreshed and checkpoints
are anchored on the anchoring thread, and a request that meets an unknown signer refreshes
the registry on a worker thread before it gives up.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from datetime import UTC, datetime

from eth_account import Account
from eth_account.signers.local import LocalAccount

from evanchor.anchor.errors import EvanchorError
from evanchor.anchor.ethereum import client as cc
from evanchor.anchor.ethereum.anchorer import (
    Anchorer,
    StepKind,
    StepResult,
    checkpoint_anchor_delay,
)
from evanchor.anchor.ethereum.delay_histogram import update_histogram
from evanchor.anchor.ethereum.registry import AgencyRegistry
from evanchor.anchor.log.store import LogStore, LogStoreFailed
from evanchor.anchor.protocol.signing import SigningDomain
from evanchor.node.daemon.bundles import chain_evidence, collect_evidence
from evanchor.node.daemon.committer import GroupCommitter
from evanchor.node.daemon.compliance_log import node_rule_set
from evanchor.node.daemon.home import NodeConfig, NodeHome
from evanchor.node.daemon.metrics import NodeMetrics
from evanchor.node.daemon.passwords import KeystorePassword, unlock
from evanchor.node.daemon.run import BackgroundAnchorer
from evanchor.node.daemon.service import NodeService
from evanchor.node.daemon.status import AnchoringHeldUp, AnchoringStage, keep_anchoring_error

log = logging.getLogger(__name__)

IDLE_WAIT_SECONDS = 1.0
"""How long the anchoring thread sleeps when nothing is to do (a seal wakes it at once)."""
REGISTRY_REFRESH_SECONDS = 1.0
"""How often, at most, the anchoring thread reads the agency registry's new events: under
load it steps many times a second, and one refresh a second is what the service promises
(a request meeting an unknown signer refreshes at once anyway)."""
ERROR_BACKOFF_SECONDS = 2.0
"""How long it waits after a failed step before trying again (the chain may be restarting)."""


def node_account(home: NodeHome, password: KeystorePassword | None) -> LocalAccount:
    """The node's anchoring account, unlocked from its keystore."""
    key = unlock(home.node_keystore, password)
    account: LocalAccount = Account.from_key(key.to_bytes())
    return account


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return (text[0] if text else type(error).__name__)[:300]


_LOGGED_STEPS = {
    StepKind.PREPARED: "signed the anchoring transaction of checkpoint %s",
    StepKind.SENT: "broadcast the anchoring transaction of checkpoint %s",
    StepKind.REBROADCAST: "broadcast again the anchoring transaction of checkpoint %s",
    StepKind.REPLACED: "replaced the pending anchoring transaction of checkpoint %s",
    StepKind.REVERTED: "the anchoring transaction of checkpoint %s failed",
    StepKind.SUPERSEDED: "the anchoring transaction of checkpoint %s was superseded",
    StepKind.CONFIRMED: "anchored checkpoint %s",
}
"""The steps worth a line in the log, each once; waiting and idle steps are not."""


class AnchoringThread(threading.Thread):
    """Anchors sealed checkpoints and follows the agency registry, until stopped."""

    def __init__(
        self, anchorer: Anchorer, registry: AgencyRegistry, metrics: NodeMetrics | None = None
    ) -> None:
        super().__init__(name="evanchor-anchorer", daemon=True)
        self._anchorer = anchorer
        self._registry = registry
        self._metrics = NodeMetrics() if metrics is None else metrics
        self._metrics.follow_backlog(anchorer.backlog)
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._registry_read_at: float | None = None
        self.last_error: str | None = None

    def _failed(self, stage: AnchoringStage, error: str) -> None:
        """Counts the failure and keeps it (written only when it changes)."""
        self._metrics.chain_errors.labels(stage=stage.value).inc()
        message = f"{stage}: {error}"
        if message != self.last_error:
            self._keep_error(AnchoringHeldUp(stage, error, datetime.now(UTC).isoformat()))
        self.last_error = message

    def _keep_error(self, error: AnchoringHeldUp | None) -> None:
        """Persist the last error, unless the log store has failed (then it refuses every
        write, and says why itself)."""
        with contextlib.suppress(LogStoreFailed):
            keep_anchoring_error(self._anchorer.store, error)

    def _succeeded(self, result: StepResult) -> None:
        if self.last_error is not None:
            self._keep_error(None)
            log.info("anchoring resumed", extra={"facts": {"event": "anchoring resumed"}})
        self.last_error = None
        template = _LOGGED_STEPS.get(result.kind)
        if template is None:
            return
        facts: dict[str, object] = {"event": str(result.kind), "seq": result.seq}
        if result.tx_hash is not None:
            facts["tx_hash"] = "0x" + result.tx_hash.hex()
        if result.detail:
            facts["detail"] = result.detail
        level = logging.WARNING if result.kind is StepKind.REVERTED else logging.INFO
        log.log(level, template, result.seq, extra={"facts": facts})
        if result.kind is StepKind.CONFIRMED and result.seq is not None:
            self._metrics.checkpoints_anchored.inc()
            delay = checkpoint_anchor_delay(self._anchorer.store, result.seq)
            if delay is not None:
                self._metrics.anchor_delay.observe(delay)

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    def _backoff(self) -> None:
        self._wake.wait(ERROR_BACKOFF_SECONDS)
        self._wake.clear()

    def _refresh_registry(self) -> None:
        """Refresh the agency registry unless it was read less than a second ago."""
        now = time.monotonic()
        if self._registry_read_at is None or now - self._registry_read_at >= (
            REGISTRY_REFRESH_SECONDS
        ):
            self._registry.refresh()
            self._registry_read_at = now

    def run(self) -> None:
        while not self._stopping.is_set():
            if self._anchorer.store.failure is not None:
                # Anchoring writes its state before each transaction: with a failed log
                # store nothing may be sent. The node is restarted to recover (store.py).
                self._backoff()
                continue
            try:
                self._refresh_registry()
            except Exception as error:  # the registry reads through web3: any error it raises
                # The chain is unreachable (or answers nonsense): one line per attempt, not a
                # traceback every ERROR_BACKOFF_SECONDS for as long as the outage lasts.
                self._failed(AnchoringStage.REGISTRY, _one_line(error))
                log.warning("cannot refresh the agency registry: %s", _one_line(error))
                self._backoff()
                continue
            try:
                result = self._anchorer.step()
                if result.kind in (StepKind.CONFIRMED, StepKind.IDLE):
                    # both look only at checkpoints confirmed since their last call
                    collect_evidence(self._anchorer.store, self._anchorer.anchor)
                    update_histogram(self._anchorer.store)
                self._succeeded(result)
            except EvanchorError as error:
                self._failed(AnchoringStage.ANCHORING, _one_line(error))
                log.warning("anchoring: %s", error)
                self._backoff()
                continue
            except Exception as error:
                self._failed(AnchoringStage.ANCHORING, _one_line(error))
                log.exception("anchoring step failed")
                self._backoff()
                continue
            if result.kind is StepKind.IDLE:
                self._wake.wait(IDLE_WAIT_SECONDS)
                self._wake.clear()
            elif result.kind is StepKind.WAITING:
                time.sleep(self._anchorer.poll_interval)


class Composition:
    """The factories `run_node` takes, sharing one registry between service and anchorer."""

    def __init__(self, home: NodeHome, password: KeystorePassword | None) -> None:
        self.home = home
        self.password = password
        self.registry: AgencyRegistry | None = None
        self.metrics = NodeMetrics()
        self._account: LocalAccount | None = None

    def unlock(self) -> LocalAccount:
        """The node's account, unlocked once (the key derivation is slow on purpose)."""
        if self._account is None:
            self._account = node_account(self.home, self.password)
        return self._account

    def _registry(self, config: NodeConfig, rpc_url: str) -> AgencyRegistry:
        if self.registry is None:
            assert config.chain is not None
            anchor = cc.contract_at(cc.web3_for(rpc_url), config.chain.contract)
            self.registry = AgencyRegistry(anchor, from_block=config.chain.deploy_block)
        return self.registry

    def make_service(
        self, store: LogStore, config: NodeConfig, committer: GroupCommitter, rpc_url: str | None
    ) -> NodeService:
        rules = node_rule_set(self.home.path)
        log_signer = self.home.log_signer()
        if config.chain is None or rpc_url is None:
            return NodeService(
                store, config, committer, metrics=self.metrics, rules=rules, log_signer=log_signer
            )
        registry = self._registry(config, rpc_url)
        anchor = cc.contract_at(cc.web3_for(rpc_url), config.chain.contract)
        return NodeService(
            store,
            config,
            committer,
            domain=SigningDomain(config.chain.chain_id, config.chain.contract),
            agency_of=registry.lookup,
            revoked_of=registry.revocation,
            refresh_agencies=registry.refresh,
            evidence=chain_evidence(anchor, store),
            metrics=self.metrics,
            rules=rules,
            log_signer=log_signer,
        )

    def make_anchorer(self, store: LogStore, rpc_url: str) -> BackgroundAnchorer:
        config = self.home.config()
        assert config.chain is not None
        anchor = cc.contract_at(cc.web3_for(rpc_url), config.chain.contract)
        anchorer = Anchorer(
            store=store,
            anchor=anchor,
            signer=self.unlock(),
            confirmations=config.chain.confirmations,
        )
        thread = AnchoringThread(anchorer, self._registry(config, rpc_url), self.metrics)
        thread.start()
        return thread
