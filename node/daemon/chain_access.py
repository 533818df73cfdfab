"""Reaching the node's chain from a command: the same JSON-RPC path in every mode.

External mode: the configured endpoint. Embedded mode: the running node's endpoint if a node
is serving it; otherwise the chain is opened in this process and served on a free
127.0.0.1 port for the duration of the command (the chain's database allows one process, so
a command never opens it beside a running node). Either way the caller gets a URL and talks
standard JSON-RPC — DESIGN decision 8.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests
from eth_keys.datatypes import PrivateKey

from evanchor.anchor.ethereum.errors import ChainUnavailable, RpcError, WrongChain
from evanchor.node.chain.datadir import DataDir, open_chain
from evanchor.node.chain.embedded import EmbeddedChain
from evanchor.node.chain.errors import DataDirError
from evanchor.node.chain.rpc_http import serve
from evanchor.node.daemon.home import ChainConfig, ChainMode, HomeError, NodeHome
from evanchor.node.daemon.passwords import (
    KeystorePassword,
    PasswordOptions,
    find_password,
    unlock,
)

PROBE_TIMEOUT_SECONDS = 1.0
START_TIMEOUT_SECONDS = 30.0


def sealer_key(chain_dir: Path, password: KeystorePassword | None) -> PrivateKey:
    """The embedded chain's sealer key, unlocked with the node's password."""
    key_file = DataDir(chain_dir).key_file
    if key_file is None:
        raise DataDirError(chain_dir, "no sealer key in the chain's folder")
    return unlock(key_file, password)


RPC_TIMEOUT_SECONDS = 10.0


def json_rpc(url: str, method: str, params: list[Any], timeout: float = RPC_TIMEOUT_SECONDS) -> Any:
    """One JSON-RPC call's `result`. Raises `ChainUnavailable` when nothing answers at `url`
    (or not JSON-RPC), `RpcError` with the endpoint's code and message when it refuses."""
    try:
        response = requests.post(
            url,
            json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params},
            timeout=timeout,
        )
        body = response.json()
    except (requests.RequestException, ValueError) as error:
        raise ChainUnavailable(f"{method} at {url}", str(error)) from None
    if not isinstance(body, dict):
        raise ChainUnavailable(f"{method} at {url}", "the answer is not a JSON-RPC response")
    fault = body.get("error")
    if isinstance(fault, dict):
        code = fault.get("code")
        raise RpcError(method, str(fault.get("message")), code if isinstance(code, int) else None)
    return body.get("result")


def endpoint_chain_id(url: str, timeout: float = PROBE_TIMEOUT_SECONDS) -> int | None:
    """The chain id an endpoint reports, or None if nothing answers there."""
    try:
        return int(json_rpc(url, "eth_chainId", [], timeout=timeout), 16)
    except (ChainUnavailable, RpcError, ValueError, TypeError):
        return None


def require_chain(home: NodeHome) -> ChainConfig:
    chain = home.config().chain
    if chain is None:
        raise HomeError(f"{home.path} is a log-only node: it has no chain to anchor to")
    return chain


@contextlib.contextmanager
def serving(chain: EmbeddedChain, *, seal: bool) -> Iterator[str]:
    """Serve an open chain's JSON-RPC on a free 127.0.0.1 port while the block runs.

    The server runs on its own thread and event loop, which is then the only one touching
    `chain`; the caller must not use `chain` until the block exits. `seal=False` serves it
    read-only (no sealer: transactions stay pending), for replayed chains.
    """
    ready = threading.Event()
    url: list[str] = []
    failure: list[BaseException] = []
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)

        async def main() -> None:
            def on_ready(bound: str) -> None:
                url.append(bound)
                ready.set()

            await serve(chain, "127.0.0.1", 0, seal=seal, on_ready=on_ready, stop=stop)

        try:
            loop.run_until_complete(main())
        except BaseException as error:  # reported to the caller below
            failure.append(error)
            ready.set()
        finally:
            loop.close()

    thread = threading.Thread(target=run, name="evanchor-chain-rpc", daemon=True)
    thread.start()
    try:
        if not ready.wait(START_TIMEOUT_SECONDS) or failure:
            reason = str(failure[0]) if failure else f"not ready in {START_TIMEOUT_SECONDS:.0f} s"
            raise ChainUnavailable("starting the embedded chain's endpoint", reason)
        yield url[0]
    finally:
        if thread.is_alive():
            loop.call_soon_threadsafe(stop.set)
            thread.join(START_TIMEOUT_SECONDS)


@contextlib.contextmanager
def embedded_rpc(chain_dir: Path, password: KeystorePassword | None) -> Iterator[str]:
    """Open the embedded chain in `chain_dir` and serve it until the block exits: sealing
    with the sealer key that `password` unlocks, or read-only (no sealer) without one."""
    if password is None:
        chain = open_chain(chain_dir)
    else:
        chain = open_chain(chain_dir, sealer_key=sealer_key(chain_dir, password))
    try:
        with serving(chain, seal=password is not None) as url:
            yield url
    finally:
        chain.close()


@contextlib.contextmanager
def chain_endpoint(
    home: NodeHome, password: KeystorePassword | None = None, *, read_only: bool = False
) -> Iterator[str]:
    """A JSON-RPC URL for the node's chain, valid inside the block.

    Embedded mode without a running node: the chain is served here, sealing if a password
    is given or can be found without asking (environment, the generated file), read-only
    otherwise. A command that sends transactions passes the password it resolved; one that
    only reads says `read_only`, and no key is unlocked for it (a scrypt derivation, a
    second or more, that a read does not need).
    """
    chain = require_chain(home)
    if chain.mode is ChainMode.EXTERNAL:
        found = endpoint_chain_id(chain.rpc_url, timeout=10.0)
        if found is None:
            raise ChainUnavailable(
                f"eth_chainId at {chain.rpc_url}", "no JSON-RPC endpoint answers"
            )
        if found != chain.chain_id:
            raise WrongChain(chain.chain_id, found)
        yield chain.rpc_url
        return
    if endpoint_chain_id(chain.rpc_url) == chain.chain_id:
        yield chain.rpc_url  # a running node serves it
        return
    if read_only:
        password = None
    elif password is None:
        password = find_password(PasswordOptions(), home.generated_password)
    with embedded_rpc(home.chain_path, password) as url:
        yield url
