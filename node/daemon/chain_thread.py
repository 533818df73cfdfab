"""The embedded chain on a thread of its own, with its own event loop.

Why: the chain's sealer and JSON-RPC endpoint used to share the daemon's event loop with the
HTTP API. Under load every request's work (reading bodies, answering receipts) held the
sealer and the anchorer's RPC calls back, and anchoring fell behind without bound (issue
12). On its own loop the chain seals and answers whatever the API is doing: the two loops
only share the interpreter, and the CPU-heavy part of a submission (parsing, validation,
signature recovery) runs in worker processes (`submissions.py`), not on either loop.

`EmbeddedChain` is not thread-safe: it is opened, served and closed on this thread only,
and nothing else in the daemon touches it (the log and the anchorer reach it through
JSON-RPC like any client, DESIGN decision 8).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

from evanchor.node.chain.embedded import EmbeddedChain
from evanchor.node.chain.rpc_http import serve

START_TIMEOUT_SECONDS = 120.0
"""How long the daemon waits for the chain to open and listen (a large chain opens in
well under a second; a slow disk under load may take longer)."""


class ChainThread:
    """Opens the chain with `open_chain`, serves its JSON-RPC on host:port (0 = any free
    port) and seals blocks, on one thread, until `stop`."""

    def __init__(self, open_chain: Callable[[], EmbeddedChain], host: str, port: int) -> None:
        self._open_chain = open_chain
        self._host = host
        self._port = port
        self._loop = asyncio.new_event_loop()
        self._stop = asyncio.Event()
        self._ready = threading.Event()
        self._url: str | None = None
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="evanchor-chain", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._serve())
        except BaseException as error:  # surfaced by start(), or logged by the daemon
            self._failure = error
        finally:
            self._ready.set()
            self._loop.close()

    async def _serve(self) -> None:
        chain = self._open_chain()
        try:

            def ready(url: str) -> None:
                self._url = url
                self._ready.set()

            await serve(chain, self._host, self._port, on_ready=ready, stop=self._stop)
        finally:
            chain.close()

    def start(self) -> str:
        """Start the thread; return the JSON-RPC URL once it listens. Raises what opening
        or binding raised (a wrong password, a port in use)."""
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT_SECONDS):
            raise TimeoutError("the embedded chain did not start in time")
        if self._failure is not None or self._url is None:
            raise RuntimeError(f"the embedded chain failed to start: {self._failure!r}") from (
                self._failure
            )
        return self._url

    def stop(self, timeout: float = 60.0) -> None:
        """Stop serving, close the chain's database, and wait for the thread."""
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(timeout)
