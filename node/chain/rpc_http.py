"""JSON-RPC over HTTP (aiohttp), and the sealer that runs beside it on the event loop.

For a daemon that serves its own HTTP API, `setup_rpc(app, chain, path="/rpc")` adds the
endpoint and the sealer to an existing `web.Application`; `create_rpc_app(chain)` makes a
stand-alone one; `serve` / `run_rpc_server` run it on 127.0.0.1:8545 by default.

Chain access happens on the event loop's thread, one request or one block at a time, as
`EmbeddedChain` requires, except for the work a method offloads (EVM execution, log scans,
proofs, fee history: see `rpc.Offload`), which runs on a small pool of execution threads
(`ExecutionPool`) over data that never changes once written. So an `eth_call` that runs to
its time limit holds neither the sealer nor other requests. While a block is sealed
(milliseconds), requests wait; transactions arriving meanwhile go into the next block.

The endpoint answers cross-origin requests (CORS) from any origin, without credentials: the
verification page, opened from a file in a court's browser (origin `null`), checks a bundle's
anchor against the chain itself with `fetch`, and a browser sends such a JSON-RPC POST only
after a preflight `OPTIONS` that the server must answer. This gives a web page nothing a
local process does not already have: the methods are the standard `eth_*` set, the node
holds no account keys (`eth_sendTransaction` is refused; a raw transaction must be signed
already), and the request limits apply alike (docs/CHAIN.md, "Browsers").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from aiohttp import web

from evanchor.node.chain.embedded import EmbeddedChain
from evanchor.node.chain.errors import ChainError, MalformedRequest, RequestTooLarge
from evanchor.node.chain.rpc import (
    INVALID_REQUEST,
    LIMIT_EXCEEDED,
    PARSE_ERROR,
    RpcContext,
    RpcError,
    RpcLimits,
    handle_payload_async,
    refusal,
)
from evanchor.node.chain.rpc_json import MAX_BODY_BYTES, read_body

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8545
READ_CHUNK_BYTES = 64 * 1024
# Batching window (period 0): once a transaction is pending, the sealer waits until none
# has arrived for GATHER_IDLE_SECONDS, or GATHER_MAX_SECONDS have passed, then seals. A
# client sending back to back thus gets tens of transactions per block (each block costs
# ~10 ms of fixed work: signing twice, state root, validation, one synced write) while a
# lone transaction waits only the idle gap.
GATHER_IDLE_SECONDS = 0.002
GATHER_MAX_SECONDS = 0.05
# Sealing runs on the event loop, so a block holds every request (of this endpoint and of
# anything mounted beside it) while it executes: ~5 ms per anchor transaction. Capping a
# block at 64 transactions keeps that under half a second even after a burst; the rest go
# into the next block at once.
MAX_BLOCK_TRANSACTIONS = 64
# How long the sealer sleeps before re-checking when pooled transactions cannot go in yet
# (nonce gap, fee cap below base fee) and nothing new arrives.
IDLE_RECHECK_SECONDS = 1.0

RPC_CONTEXT = web.AppKey("evanchor_rpc_context", RpcContext)

_T = TypeVar("_T")


class ExecutionPool:
    """Threads for the work requests offload, and the bound on how much may wait for them.

    At most `limits.max_executions` offloaded requests are running or queued at once; one
    more is refused at once (-32005, busy) rather than queued, so a flood of slow calls
    costs the node a bounded number of threads and a bounded wait. A request counts until
    its work has really finished, even if its client has gone.

    Requires: `run` is called on the event loop's thread (the count is not locked).
    """

    def __init__(self, limits: RpcLimits) -> None:
        self.limits = limits
        self._executor = ThreadPoolExecutor(
            max_workers=limits.execution_threads, thread_name_prefix="evanchor-rpc-exec"
        )
        self._in_flight = 0

    @property
    def in_flight(self) -> int:
        return self._in_flight

    async def run(self, work: Callable[[], _T]) -> _T:
        if self._in_flight >= self.limits.max_executions:
            raise RpcError(
                LIMIT_EXCEEDED,
                f"server busy: {self._in_flight} heavy requests (calls, log queries, proofs)"
                " running or queued, the limit; retry later",
            )
        loop = asyncio.get_running_loop()
        future = self._executor.submit(work)
        self._in_flight += 1
        future.add_done_callback(lambda _: loop.call_soon_threadsafe(self._release))
        return await asyncio.wrap_future(future)

    def _release(self) -> None:
        self._in_flight -= 1

    def shutdown(self) -> None:
        """Stop taking work; running work ends by its own time limit."""
        self._executor.shutdown(wait=False, cancel_futures=True)


EXECUTION_POOL = web.AppKey("evanchor_rpc_execution_pool", ExecutionPool)


class Sealer:
    """Seals blocks as the Clique rule here says.

    Period 0: a block as soon as transactions are pending (after the short batching
    window of `GATHER_IDLE_SECONDS` / `GATHER_MAX_SECONDS`). Period P > 0: at most one
    block every P seconds, when transactions are pending — or every P seconds regardless
    when `empty_blocks` is set. No empty blocks while idle otherwise (the operator's
    `evanchor chain seal`, on a stopped node, makes some).
    """

    def __init__(self, chain: EmbeddedChain, *, empty_blocks: bool = False) -> None:
        if empty_blocks and chain.genesis.period == 0:
            raise ValueError("empty blocks need a Clique period > 0 (genesis clique.period)")
        self.chain = chain
        self.empty_blocks = empty_blocks
        self.last_error: str | None = None
        self._wake = asyncio.Event()
        chain.add_listener(self.notify)

    def notify(self) -> None:
        self._wake.set()

    async def _wait_for_work(self, timeout: float | None) -> None:
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)

    async def _gather(self) -> None:
        """Wait while transactions keep arriving, at most `GATHER_MAX_SECONDS`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + GATHER_MAX_SECONDS
        while (remaining := deadline - loop.time()) > 0:
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), min(GATHER_IDLE_SECONDS, remaining))
            except TimeoutError:
                return

    async def run(self) -> None:
        chain = self.chain
        while True:
            if chain.pending_count == 0 and not self.empty_blocks:
                await self._wait_for_work(None)
                continue
            delay = chain.next_seal_time() - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
                continue
            if chain.genesis.period == 0:
                await self._gather()
            try:
                block = chain.seal_block(
                    allow_empty=self.empty_blocks, max_transactions=MAX_BLOCK_TRANSACTIONS
                )
            except ChainError as error:
                if self.last_error != str(error):
                    log.warning("cannot seal: %s", error)
                self.last_error = str(error)
                await self._wait_for_work(IDLE_RECHECK_SECONDS)
                continue
            self.last_error = None
            if block is None:
                await self._wait_for_work(IDLE_RECHECK_SECONDS)
            else:
                # Let queued requests in before the next block.
                await asyncio.sleep(0)


SEALER = web.AppKey("evanchor_sealer", Sealer)


async def read_limited(request: web.Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, refused (`RequestTooLarge`) as soon as it is known to pass `limit`.

    A declared Content-Length over the limit is refused before anything is read; a body
    sent without one (chunked) is read only until it passes the limit.
    """
    declared = request.content_length
    if declared is not None and declared > limit:
        raise RequestTooLarge(limit, declared)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(READ_CHUNK_BYTES):
        size += len(chunk)
        if size > limit:
            raise RequestTooLarge(limit, None)
        chunks.append(chunk)
    return b"".join(chunks)


CORS_ALLOW_ORIGIN = {"Access-Control-Allow-Origin": "*"}
"""Sent with every JSON-RPC answer, so that a page of any origin may read it."""
CORS_PREFLIGHT = {
    **CORS_ALLOW_ORIGIN,
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type",
    "Access-Control-Max-Age": "600",
}
"""The answer to a browser's preflight: POST with a JSON body, remembered ten minutes."""


async def handle_rpc(request: web.Request) -> web.StreamResponse:
    ctx = request.config_dict[RPC_CONTEXT]
    pool = request.config_dict[EXECUTION_POOL]
    try:
        payload = read_body(await read_limited(request))
    except RequestTooLarge as error:
        refused = refusal(INVALID_REQUEST, str(error))
        return web.json_response(refused, status=413, headers=CORS_ALLOW_ORIGIN)
    except MalformedRequest as error:
        return web.json_response(refusal(PARSE_ERROR, str(error)), headers=CORS_ALLOW_ORIGIN)
    response = await handle_payload_async(ctx, payload, pool.run)
    if response is None:
        return web.Response(status=204, headers=CORS_ALLOW_ORIGIN)
    return web.json_response(response, headers=CORS_ALLOW_ORIGIN)


async def handle_preflight(request: web.Request) -> web.Response:
    """CORS preflight of a JSON-RPC POST. A page asking to reach this loopback or private
    address from a less private one (Private Network Access) is answered yes as well."""
    headers = dict(CORS_PREFLIGHT)
    if request.headers.get("Access-Control-Request-Private-Network") == "true":
        headers["Access-Control-Allow-Private-Network"] = "true"
    return web.Response(status=204, headers=headers)


def setup_rpc(
    app: web.Application,
    chain: EmbeddedChain,
    *,
    path: str = "/",
    seal: bool = True,
    empty_blocks: bool = False,
    limits: RpcLimits | None = None,
) -> RpcContext:
    """Mount JSON-RPC at POST `path` on `app` (and its CORS preflight at OPTIONS `path`);
    with `seal`, run the sealer with the app.

    `limits` default to `RpcLimits()`. Requires: `app` not yet frozen (not started). The
    chain stays open after the app stops; closing it is the caller's.
    """
    ctx = RpcContext(chain, limits=RpcLimits() if limits is None else limits)
    app[RPC_CONTEXT] = ctx
    app.router.add_post(path, handle_rpc)
    app.router.add_route("OPTIONS", path, handle_preflight)

    pool = ExecutionPool(ctx.limits)  # its threads start with the first offloaded request
    app[EXECUTION_POOL] = pool

    async def executing(_: web.Application) -> AsyncIterator[None]:
        yield
        pool.shutdown()

    app.cleanup_ctx.append(executing)
    if seal:
        sealer = Sealer(chain, empty_blocks=empty_blocks)
        app[SEALER] = sealer

        async def sealing(_: web.Application) -> AsyncIterator[None]:
            task = asyncio.create_task(sealer.run(), name="evanchor-sealer")
            yield
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

        app.cleanup_ctx.append(sealing)
    return ctx


def create_rpc_app(
    chain: EmbeddedChain,
    *,
    seal: bool = True,
    empty_blocks: bool = False,
    limits: RpcLimits | None = None,
) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    setup_rpc(app, chain, seal=seal, empty_blocks=empty_blocks, limits=limits)
    return app


async def serve(
    chain: EmbeddedChain,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    seal: bool = True,
    empty_blocks: bool = False,
    on_ready: Callable[[str], None] | None = None,
    stop: asyncio.Event | None = None,
    limits: RpcLimits | None = None,
) -> None:
    """Serve until `stop` is set, or SIGINT/SIGTERM; `on_ready(url)` once listening.

    `port` 0 picks a free port; the URL passed to `on_ready` names the one bound.
    """
    app = create_rpc_app(chain, seal=seal, empty_blocks=empty_blocks, limits=limits)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0]
        if on_ready is not None:
            on_ready(f"http://{bound[0]}:{bound[1]}")
        if stop is None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop.set)
        await stop.wait()
    finally:
        await runner.cleanup()


def run_rpc_server(
    chain: EmbeddedChain,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    seal: bool = True,
    empty_blocks: bool = False,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Blocking `serve` on a fresh event loop (the CLI's `chain run`)."""
    asyncio.run(serve(chain, host, port, seal=seal, empty_blocks=empty_blocks, on_ready=on_ready))
