"""The RPC endpoint and sealer composed into another aiohttp application (as the daemon
will), and the sealer's period rule, in process on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
from aiohttp import web

from evanchor.node.chain.embedded import EmbeddedChain
from evanchor.node.chain.rpc_http import RPC_CONTEXT, SEALER, setup_rpc

from chain_helpers import Actors, make_genesis, signed_tx

WAIT_SECONDS = 20.0


async def _post(session: aiohttp.ClientSession, url: str, method: str, *params: Any) -> Any:
    payload = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
    async with session.post(url, json=payload) as response:
        body = await response.json()
    assert "error" not in body, body
    return body["result"]


async def _until(condition: Any) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.01)


def test_mounted_under_a_daemon_app(chain: EmbeddedChain, actors: Actors) -> None:
    async def scenario() -> None:
        app = web.Application()

        async def health(_: web.Request) -> web.Response:
            return web.json_response({"ok": True})

        app.router.add_get("/health", health)
        setup_rpc(app, chain, path="/rpc")
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        base = f"http://{host}:{port}"
        try:
            async with aiohttp.ClientSession() as session:
                async with session.get(base + "/health") as response:
                    assert (await response.json()) == {"ok": True}
                url = base + "/rpc"
                assert await _post(session, url, "eth_chainId") == hex(chain.chain_id)
                tx_hash = await _post(
                    session, url, "eth_sendRawTransaction", "0x" + signed_tx(actors.writer, 0).hex()
                )
                await _until(lambda: chain.receipt(bytes.fromhex(tx_hash[2:])) is not None)
                receipt = await _post(session, url, "eth_getTransactionReceipt", tx_hash)
                assert receipt["status"] == "0x1"
                assert app[RPC_CONTEXT].chain is chain
                assert app[SEALER].last_error is None
        finally:
            await runner.cleanup()

    asyncio.run(scenario())


def test_empty_blocks_every_period(actors: Actors) -> None:
    genesis = make_genesis(actors, timestamp=int(time.time()) - 60, period=1)
    chain = EmbeddedChain.in_memory(genesis, actors.sealer)

    async def scenario() -> None:
        app = web.Application()
        setup_rpc(app, chain, empty_blocks=True)
        runner = web.AppRunner(app)
        await runner.setup()  # starts the sealer (cleanup context) without serving
        try:
            await _until(lambda: chain.head.block_number >= 2)
        finally:
            await runner.cleanup()

    asyncio.run(scenario())
    stamps = [chain.header_by_number(n).timestamp for n in range(3)]
    assert stamps[2] - stamps[1] >= 1
    assert chain.block(chain.head).transactions == ()
