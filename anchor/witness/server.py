"""The witness's HTTP service (aiohttp): the tlog-witness endpoints and a status page.

    POST /add-checkpoint            cosign (see cosigning.py for the statuses)
    GET  /<sha256(origin)>/checkpoint   the latest checkpoint cosigned for that log, with the
                                    log's signature and this witness's cosignature; 404 if none
    GET  /status                    JSON: name, verifier key, each log's latest size and time

The submission and monitoring prefixes are both the server's root. Checking and recording
run on one worker thread, so the event loop never waits on an fsync.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiohttp import web

from evanchor.anchor.witness.config import WitnessHome
from evanchor.anchor.witness.cosigning import MAX_REQUEST_BYTES, Witness
from evanchor.anchor.witness.errors import CheckpointRefused, OldSizeMismatch
from evanchor.anchor.witness.state import WitnessState, origin_hash

log = logging.getLogger(__name__)

WITNESS = web.AppKey("evanchor_witness", Witness)
EXECUTOR = web.AppKey("evanchor_witness_executor", ThreadPoolExecutor)
SIZE_CONTENT_TYPE = "text/x.tlog.size"


async def post_add_checkpoint(request: web.Request) -> web.Response:
    witness = request.app[WITNESS]
    declared = request.content_length
    if declared is not None and declared > MAX_REQUEST_BYTES:
        return web.Response(status=400, text=f"request body over {MAX_REQUEST_BYTES} bytes\n")
    body = await request.read()
    loop = asyncio.get_running_loop()
    try:
        done = await loop.run_in_executor(request.app[EXECUTOR], witness.add_checkpoint, body)
    except OldSizeMismatch as refusal:
        return web.Response(
            status=409, body=f"{refusal.latest}\n".encode(), content_type=SIZE_CONTENT_TYPE
        )
    except CheckpointRefused as refusal:
        log.warning("add-checkpoint refused (%d): %s", refusal.status, refusal.reason)
        return web.Response(status=refusal.status, text=refusal.reason + "\n")
    log.info(
        "cosigned %s at size %d (time %d)",
        done.latest.origin,
        done.latest.size,
        done.latest.timestamp,
    )
    return web.Response(text=done.lines, content_type="text/plain", charset="utf-8")


async def get_checkpoint(request: web.Request) -> web.Response:
    digest_hex = request.match_info["origin_hash"]
    if len(digest_hex) != 64 or any(c not in "0123456789abcdef" for c in digest_hex):
        return web.Response(status=404, text="not a lower-case hex SHA-256 of an origin\n")
    latest = request.app[WITNESS].state.latest_by_hash(bytes.fromhex(digest_hex))
    if latest is None:
        return web.Response(status=404, text="no checkpoint cosigned for that log\n")
    return web.Response(text=latest.note, content_type="text/plain", charset="utf-8")


def witness_status(witness: Witness) -> dict[str, Any]:
    """What `evanchor witness status` prints: the key, and per log the latest cosigned."""
    logs = []
    for entry in witness.config.logs:
        latest = witness.state.latest(entry.origin)
        logs.append(
            {
                "origin": entry.origin,
                "origin_hash": origin_hash(entry.origin).hex(),
                "keys": list(entry.keys),
                "latest": None
                if latest is None
                else {
                    "size": latest.size,
                    "root": latest.root.hex(),
                    "timestamp": latest.timestamp,
                },
                "refused": witness.state.refusals(entry.origin),
            }
        )
    return {
        "name": witness.config.name,
        "verifier_key": str(witness.signer.verifier),
        "listen": witness.config.listen,
        "logs": logs,
    }


async def get_status(request: web.Request) -> web.Response:
    return web.json_response(witness_status(request.app[WITNESS]))


def create_witness_app(witness: Witness, executor: ThreadPoolExecutor) -> web.Application:
    app = web.Application(client_max_size=MAX_REQUEST_BYTES)
    app[WITNESS] = witness
    app[EXECUTOR] = executor
    app.router.add_post("/add-checkpoint", post_add_checkpoint)
    app.router.add_get("/status", get_status)
    app.router.add_get("/{origin_hash}/checkpoint", get_checkpoint)
    return app


async def serve_witness(
    home: WitnessHome,
    *,
    port: int | None = None,
    stop: asyncio.Event | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Run the witness until `stop` is set (or SIGINT/SIGTERM when no event is given)."""
    config = home.config()
    signer = home.signer()
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="evanchor-witness")
    with WitnessState(home.state_path) as state:
        witness = Witness(config, signer, state)
        runner = web.AppRunner(create_witness_app(witness, executor), access_log=None)
        await runner.setup()
        try:
            bound_port = config.port if port is None else port
            await web.TCPSite(runner, config.host, bound_port).start()
            address = runner.addresses[0]
            if stop is None:
                stop = asyncio.Event()
                loop = asyncio.get_running_loop()
                for signum in (signal.SIGINT, signal.SIGTERM):
                    loop.add_signal_handler(signum, stop.set)
            if on_ready is not None:
                on_ready(f"http://{address[0]}:{address[1]}")
            await stop.wait()
        finally:
            await runner.cleanup()
            executor.shutdown(wait=True)
