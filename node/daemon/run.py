"""`evanchor node start`: one process with the chain, the log, the batcher, the anchorer and
the HTTP API, and worker processes that check submissions.

Threads, loops and processes (issue 12: anchoring keeps its pace whatever the API load):
- the daemon's event loop runs the HTTP API, the batcher and the group committer;
- in embedded mode the chain's JSON-RPC endpoint and sealer run on a thread with a loop of
  their own (`chain_thread.py`; all chain access stays on that thread, as `EmbeddedChain`
  requires), so requests to the API never hold a block or an anchoring call back;
- submissions are parsed, validated and their signers recovered in a pool of worker
  processes (`submissions.py`), niced below the daemon so that under CPU pressure checking
  slows first (and the node answers 429) while the chain and the log keep their pace;
- log appends run on one worker thread (group commit), in acknowledgement order;
- the anchorer runs on its own thread with a blocking web3 client that reaches the chain
  through JSON-RPC like any other client, so both chain modes share one path.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from aiohttp import web

from evanchor.anchor.log.parallel_ingest import default_workers
from evanchor.anchor.log.store import LogStore, LogStoreFailed
from evanchor.anchor.protocol.checkpoint import Checkpoint
from evanchor.anchor.protocol.note import NoteSigner
from evanchor.node.daemon.api import NodeStarting, create_api_app
from evanchor.node.daemon.chain_thread import ChainThread
from evanchor.node.daemon.committer import GroupCommitter
from evanchor.node.daemon.home import ChainMode, NodeConfig, NodeHome
from evanchor.node.daemon.metrics import NodeMetrics
from evanchor.node.daemon.passwords import KeystorePassword
from evanchor.node.daemon.running import RunningNode, announced
from evanchor.node.daemon.service import NodeService
from evanchor.node.daemon.staging import UploadStaging, staging_limits
from evanchor.node.daemon.submissions import SubmissionChecker
from evanchor.node.daemon.uploads import add_upload_routes
from evanchor.node.daemon.witnessing import Witnessing, seal_and_sign, sign_pending

if TYPE_CHECKING:
    from evanchor.node.chain.embedded import EmbeddedChain

log = logging.getLogger(__name__)

BATCHER_INTERVAL_SECONDS = 0.2
"""How often the batcher checks the seal policy; bounds how late a timed seal can be."""


class BackgroundAnchorer(Protocol):
    """What the daemon needs of an anchoring loop running on its own thread."""

    def wake(self) -> None: ...
    def stop(self) -> None: ...
    def join(self, timeout: float | None = None) -> None: ...


AnchorerFactory = Callable[[LogStore, str], BackgroundAnchorer]
"""Starts an anchoring thread for a log, given the chain's JSON-RPC URL."""
ServiceFactory = Callable[[LogStore, NodeConfig, GroupCommitter, str | None], NodeService]
"""Builds the service (signing domain, agency registry) once the chain's URL is known."""


@dataclass(frozen=True)
class Addresses:
    api: str
    rpc: str | None


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.hostname is None or parts.port is None:
        raise ValueError(f"expected http://HOST:PORT, got {url!r}")
    return parts.hostname, parts.port


async def _batcher(
    store: LogStore,
    config: NodeConfig,
    metrics: NodeMetrics,
    seal: Callable[[], Checkpoint | None],
    on_seal: Callable[[], None],
) -> None:
    """Seal (and sign) whenever the policy says so; wake the anchorer and the witness
    threads after each seal.

    Once the log store has failed a write it seals nothing more (a seal is a write): the
    store logs the failure once, and the node reports it until it is restarted.
    """
    while True:
        await asyncio.sleep(BATCHER_INTERVAL_SECONDS)
        if store.failure is not None:
            continue
        unsealed, oldest = store.unsealed()
        if config.seal_policy.due(unsealed, oldest, datetime.now(UTC)):
            await _seal_once(metrics, seal, on_seal)


async def _seal_once(
    metrics: NodeMetrics, seal: Callable[[], Checkpoint | None], on_seal: Callable[[], None]
) -> None:
    """`_seal_counted`, for the batcher and the committer: a failed store seals nothing
    (it reports its failure itself)."""
    with contextlib.suppress(LogStoreFailed):
        await _seal_counted(metrics, seal, on_seal)


async def _seal_counted(
    metrics: NodeMetrics, seal: Callable[[], Checkpoint | None], on_seal: Callable[[], None]
) -> Checkpoint | None:
    """Seal (and sign) on a worker thread, count and log the checkpoint, wake the threads
    that follow seals; return the checkpoint (None if nothing was new). Raises
    `LogStoreFailed` once the store has failed a write."""
    checkpoint = await asyncio.get_running_loop().run_in_executor(None, seal)
    if checkpoint is not None:
        metrics.checkpoints_sealed.inc()
        log.info(
            "sealed checkpoint %d at size %d",
            checkpoint.seq,
            checkpoint.size,
            extra={"facts": {"event": "sealed", **checkpoint.as_json()}},
        )
        on_seal()
    return checkpoint


@dataclass
class _FullSeal:
    """The committer's seal of a full checkpoint, and the API's seal on request
    (`POST /v1/seal`): the same seal as the batcher's, wired once the signer and the
    threads to wake exist (until then a full checkpoint waits for the batcher, and a
    request is answered 503)."""

    metrics: NodeMetrics | None = None
    seal: Callable[[], Checkpoint | None] | None = None
    on_seal: Callable[[], None] | None = None

    async def __call__(self) -> None:
        if self.metrics is not None and self.seal is not None and self.on_seal is not None:
            await _seal_once(self.metrics, self.seal, self.on_seal)

    async def on_request(self) -> Checkpoint | None:
        if self.metrics is None or self.seal is None or self.on_seal is None:
            raise NodeStarting("seal")
        return await _seal_counted(self.metrics, self.seal, self.on_seal)


def _open_embedded_chain(home: NodeHome, password: KeystorePassword | None) -> EmbeddedChain:
    """The node's own chain, its sealer unlocked with the node's password."""
    from evanchor.node.chain.datadir import open_chain  # noqa: PLC0415 - embedded only
    from evanchor.node.daemon.chain_access import sealer_key  # noqa: PLC0415

    return open_chain(home.chain_path, sealer_key=sealer_key(home.chain_path, password))


async def _serve(app: web.Application, host: str, port: int, runners: list[web.AppRunner]) -> str:
    """Start `app` on host:port (0 = any free port); return its URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    runners.append(runner)
    await web.TCPSite(runner, host, port).start()
    bound = runner.addresses[0]
    return f"http://{bound[0]}:{bound[1]}"


def _stop_event(given: asyncio.Event | None) -> asyncio.Event:
    """`given`, or an event that SIGINT and SIGTERM set."""
    if given is not None:
        return given
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return stop


def _open_log(home: NodeHome) -> LogStore:
    """The node's log, with every LevelDB table of it open, so that the first requests after
    a start do not each open some (`LogStore.open_tables`: 0.3-0.7 s at 10 M records, before
    anything is served)."""
    store = home.open_log()
    try:
        opened = store.open_tables()
    except BaseException:
        store.close()
        raise
    log.info(
        "opened the log's %d tables",
        opened,
        extra={"facts": {"event": "tables opened", "tables": opened}},
    )
    return store


def _start_chain(
    home: NodeHome,
    config: NodeConfig,
    password: KeystorePassword | None,
    rpc_port: int | None,
) -> tuple[ChainThread | None, str | None]:
    """The embedded chain's thread (None in external mode or without a chain) and the
    chain's JSON-RPC URL: in embedded mode served on that thread's own loop."""
    if config.chain is None:
        return None, None
    if config.chain.mode is not ChainMode.EMBEDDED:
        return None, config.chain.rpc_url
    host, port = _host_port(config.chain.rpc_url)
    port = port if rpc_port is None else rpc_port
    chain = ChainThread(functools.partial(_open_embedded_chain, home, password), host, port)
    try:
        return chain, chain.start()
    except BaseException:
        chain.stop()
        raise


async def _start_witnessing(
    home: NodeHome, store: LogStore, config: NodeConfig, metrics: NodeMetrics
) -> tuple[NoteSigner | None, Witnessing | None]:
    """The log key (None in a folder without one) and the running witness threads (None
    without witnesses). Checkpoints sealed while the node was stopped (`evanchor seal`)
    are signed first."""
    signer = home.log_signer()
    if signer is None:
        return None, None
    await asyncio.get_running_loop().run_in_executor(None, sign_pending, store, signer)
    if not config.witnessing.witnesses:
        return signer, None
    witnessing = Witnessing(store, config.witnessing, signer, metrics)
    witnessing.start()
    return signer, witnessing


async def run_node(
    home: NodeHome,
    *,
    password: KeystorePassword | None,
    make_service: ServiceFactory,
    make_anchorer: AnchorerFactory | None,
    api_port: int | None = None,
    rpc_port: int | None = None,
    stop: asyncio.Event | None = None,
    on_ready: Callable[[Addresses], None] | None = None,
) -> None:
    """Run the node until `stop` is set (or SIGINT/SIGTERM when no event is given)."""
    config = home.config()
    # The checking workers first, while this process may still have one thread (then they
    # are forked: cheap), before the log's database and the chain open theirs.
    checker = SubmissionChecker(default_workers())
    try:
        await _run_node(
            home,
            config,
            checker,
            password=password,
            make_service=make_service,
            make_anchorer=make_anchorer,
            api_port=api_port,
            rpc_port=rpc_port,
            stop=stop,
            on_ready=on_ready,
        )
    finally:
        checker.close()


async def _run_node(
    home: NodeHome,
    config: NodeConfig,
    checker: SubmissionChecker,
    *,
    password: KeystorePassword | None,
    make_service: ServiceFactory,
    make_anchorer: AnchorerFactory | None,
    api_port: int | None,
    rpc_port: int | None,
    stop: asyncio.Event | None,
    on_ready: Callable[[Addresses], None] | None,
) -> None:
    store = _open_log(home)
    chain = None
    runners: list[web.AppRunner] = []
    anchorer: BackgroundAnchorer | None = None
    witnessing: Witnessing | None = None
    batcher: asyncio.Task[None] | None = None
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="evanchor-append")
    full_seal = _FullSeal()
    committer = GroupCommitter(
        store, executor, max_records=config.seal_policy.max_records, seal=full_seal
    )
    try:
        chain, rpc_url = await asyncio.get_running_loop().run_in_executor(
            None, _start_chain, home, config, password, rpc_port
        )

        committer.start()
        service = make_service(store, config, committer, rpc_url)
        service.use_checker(checker)
        port = config.api.port if api_port is None else api_port
        app = create_api_app(
            service, operator_token=home.operator_token(), sealer=full_seal.on_request
        )
        add_upload_routes(app, UploadStaging(home.staging_path, staging_limits(config.api)))
        api_url = await _serve(app, config.api.host, port, runners)

        if make_anchorer is not None and rpc_url is not None:
            anchorer = make_anchorer(store, rpc_url)
        signer, witnessing = await _start_witnessing(home, store, config, service.metrics)

        seal = functools.partial(seal_and_sign, store, signer)
        parts = [part for part in (anchorer, witnessing) if part is not None]

        def wake() -> None:
            for part in parts:
                part.wake()

        full_seal.metrics, full_seal.seal, full_seal.on_seal = service.metrics, seal, wake
        batcher = asyncio.create_task(
            _batcher(store, config, service.metrics, seal, wake), name="evanchor-batcher"
        )

        stop = _stop_event(stop)
        log.info(
            "node serving its API at %s",
            api_url,
            extra={"facts": {"event": "started", "api": api_url, "rpc": rpc_url}},
        )
        running = RunningNode(
            pid=os.getpid(),
            api=api_url,
            rpc=rpc_url,
            chain_dir=None if chain is None else str(home.chain_path),
        )
        with announced(home, running):  # commands on this folder now ask the API
            if on_ready is not None:
                on_ready(Addresses(api=api_url, rpc=rpc_url))
            await stop.wait()
        log.info("node stopping", extra={"facts": {"event": "stopping"}})
    finally:
        if batcher is not None:
            batcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await batcher
        for part in (anchorer, witnessing):
            if part is not None:
                part.stop()
                await asyncio.get_running_loop().run_in_executor(None, part.join, 30.0)
        for runner in reversed(runners):
            await runner.cleanup()
        await committer.stop()
        executor.shutdown(wait=True)
        store.close()
        if chain is not None:
            await asyncio.get_running_loop().run_in_executor(None, chain.stop)


class NodeThread:
    """Runs `run_node` on a thread with its own loop (tests, `init`, the benchmark)."""

    def __init__(self, **kwargs: object) -> None:
        self._kwargs = kwargs
        self._loop = asyncio.new_event_loop()
        self._stop = asyncio.Event()
        self._ready = threading.Event()
        self.addresses: Addresses | None = None
        self.failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="evanchor-node", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        def ready(addresses: Addresses) -> None:
            self.addresses = addresses
            self._ready.set()

        try:
            self._loop.run_until_complete(
                run_node(stop=self._stop, on_ready=ready, **self._kwargs)  # type: ignore[arg-type]
            )
        except BaseException as error:  # surfaced by start()
            self.failure = error
            self._ready.set()
        finally:
            self._loop.close()

    def start(self, timeout: float = 60.0) -> Addresses:
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("the node did not start in time")
        if self.failure is not None or self.addresses is None:
            raise RuntimeError(f"the node failed to start: {self.failure!r}") from self.failure
        return self.addresses

    def stop(self, timeout: float = 60.0) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(timeout)
