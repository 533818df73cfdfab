"""Serve one log over the node's real HTTP API, for year_scale.py's request latencies.

    python benchmarks/year_serve.py LOG PORT TOKEN

Opens the log at LOG and serves it on 127.0.0.1:PORT as a log-only node does
(`NodeService` over the store with `NodeConfig()`, the group committer, `create_api_app`
with its middleware, aiohttp's server, no access log): the request path of
`evanchor node start` but for the chain and the anchoring thread, which a year log has none
of (year_log.py: the log is not bound to a chain). Prints `ready` on stdout once it listens,
and serves until it is killed.
"""

from __future__ import annotations

import asyncio
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from aiohttp import web

from evanchor.anchor.log.store import LogStore
from evanchor.node.daemon.api import create_api_app
from evanchor.node.daemon.committer import GroupCommitter
from evanchor.node.daemon.home import NodeConfig
from evanchor.node.daemon.service import NodeService


async def serve(path: Path, port: int, token: str) -> None:
    with LogStore(path, check=False) as store, ThreadPoolExecutor(max_workers=4) as executor:
        store.open_tables()  # as `evanchor node start` does
        committer = GroupCommitter(store, executor)
        committer.start()
        service = NodeService(store, NodeConfig(), committer)
        runner = web.AppRunner(create_api_app(service, operator_token=token), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        print("ready", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()
            await committer.stop()


def main() -> int:
    path, port, token = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    asyncio.run(serve(path, port, token))
    return 0


if __name__ == "__main__":
    sys.exit(main())
